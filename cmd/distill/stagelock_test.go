package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// Two real processes running the same stage on the same lake at once leave
// one row per article id (defect 2 of issue 12: two overlapping prefilter
// runs gave 6,000 decisions for 4,000 articles).
func TestCLI_ConcurrentStagesOneRowPerKey(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	concurrentStagesOneRowPerKey(t, lk)
}

// concurrentStagesOneRowPerKey runs each keyed stage in two processes at
// once over the lake lk (already made) and checks one row per key. With
// second, the second process opens the lake through that folder instead
// (another machine's folder on the same shared catalog).
func concurrentStagesOneRowPerKey(t *testing.T, lk string, second ...string) {
	f := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	// A first run of each stage over two articles, so that the runs at once
	// below are incremental: each reads what is done, then appends the rest.
	seed := filepath.Join(t.TempDir(), "seed.jsonl")
	body := strings.Repeat("A 50 MW solar farm and a wind farm were commissioned and are in operation. ", 8)
	os.WriteFile(seed, []byte(`{"id":"seed-1","title":"Solar","content":"`+body+`"}`+"\n"+`{"id":"seed-2","title":"Wind","content":"`+body+`"}`+"\n"), 0o644)
	distill(t, 0, "--lake", lk, "ingest", seed)
	stages := []string{"prefilter", "compress", "label", "split"}
	for _, stage := range stages {
		distill(t, 0, stageArgs(lk, stage, f)...)
	}
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"))
	folders := append([]string{lk}, second...)
	for _, stage := range stages {
		var cmds []*exec.Cmd
		var outs []*bytes.Buffer
		for i := range 2 {
			cmd := exec.Command(os.Args[0], stageArgs(folders[i%len(folders)], stage, f)...)
			cmd.Env = append(os.Environ(), "DISTILL_TEST_MAIN=1")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmds, outs = append(cmds, cmd), append(outs, &out)
		}
		for _, c := range cmds {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range cmds {
			// label refuses a second run at once (its own lock): that is safe too.
			if err := c.Wait(); err != nil && !(stage == "label" && strings.Contains(outs[i].String(), "another")) {
				t.Errorf("%s run %d: %v\n%s", stage, i, err, outs[i])
			}
		}
		table := map[string]string{"prefilter": "prefiltered", "compress": "compressed", "label": "labels", "split": "splits"}[stage]
		out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", "SELECT count(*) - count(DISTINCT id) AS extra, count(*) > 0 AS some FROM "+table)
		if out != "extra,some\n0,true\n" {
			t.Errorf("after two %s runs at once, %s: %q, want no id twice\n%s\n%s", stage, table, out, outs[0], outs[1])
		}
	}
}

// stageArgs is the command line that runs stage with the defaults.
func stageArgs(lk, stage, filter string) []string {
	args := []string{"--lake", lk, stage, "--filter", filter}
	if stage == "label" {
		args = append(args, "--oracle", "keywords")
	}
	return args
}
