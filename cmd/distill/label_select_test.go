package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

// The active-learning loop from the command line, on the real ai-tech
// articles with the uplifting filter and its keywords oracle: a random
// round, a student, then --select upper:0.5,random:0.5, whose upper picks
// are the student's highest predictions among the articles not labeled
// (checked against the same ranking in SQL), the production model by
// default; similar with a seeds file; the choices recorded per label.
func TestCLI_SelectActiveLearning(t *testing.T) {
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/uplifting/v1")
	f, err := filters.Load(fdir)
	if err != nil {
		t.Fatal(err)
	}
	lowest := f.Tiers[len(f.Tiers)-1].Name
	lk := compressedAITech(t, fdir)
	sqlCSV := func(q string) string {
		out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv", q)
		return out
	}
	label := func(args ...string) string {
		out, _ := distill(t, 0, append([]string{"--lake", lk, "label", "--filter", fdir, "--oracle", "keywords"}, args...)...)
		return out
	}
	label("--select", "random", "--budget", "120", "--seed", "3")
	distill(t, 0, "--lake", lk, "split", "--filter", fdir)
	distill(t, 0, "--lake", lk, "train", "--filter", fdir)
	model := strings.TrimSpace(strings.Split(sqlCSV("SELECT id FROM models"), "\n")[1])
	distill(t, 0, "--lake", lk, "model", "tag", "production", model, "--filter", fdir)

	_, errOut := distill(t, 0, "--lake", lk, "label", "--filter", fdir, "--oracle", "keywords", "--select", "upper:0.5,random:0.5", "--budget", "40", "--seed", "3")
	if !strings.Contains(errOut, "select: "+model+" predicted") {
		t.Errorf("the production model should predict the pool first; stderr:\n%s", errOut)
	}
	// upper's 20 are the student's top 20 among the unlabeled in SQL.
	want := sqlCSV(fmt.Sprintf(`SELECT id FROM (
		SELECT id FROM predictions WHERE model = '%s' AND id NOT IN (SELECT id FROM labels WHERE selected_by = 'random' AND selection LIKE '%% budget=120 %%')
		ORDER BY (tier <> '%s') DESC, overall DESC, hash('sample:3:' || id), id LIMIT 20) ORDER BY id`, model, lowest))
	got := sqlCSV("SELECT id FROM labels WHERE selected_by = 'upper' ORDER BY id")
	if got != want {
		t.Errorf("upper labeled\n%s\nthe student's top 20 of the unlabeled:\n%s", got, want)
	}
	counts := sqlCSV(`SELECT selected_by, count(*) AS n, min(inclusion) AS lo, max(inclusion) AS hi, any_value(selection) AS plan
		FROM labels WHERE selection LIKE 'upper%' GROUP BY 1 ORDER BY 1`)
	// The random 20 are drawn from what the first round and upper left.
	wantCounts := fmt.Sprintf("selected_by,n,lo,hi,plan\nrandom,20,%[1]v,%[1]v,\"upper:0.5,random:0.5 budget=40 seed=3 model=%[2]s\"\nupper,20,1,1,\"upper:0.5,random:0.5 budget=40 seed=3 model=%[2]s\"\n", 20.0/(float64(passedCount(t, lk, fdir))-140), model)
	if counts != wantCounts {
		t.Errorf("the second round's labels:\n%s\nwant\n%s", counts, wantCounts)
	}

	// similar, seeds from a file, --json.
	distill(t, 0, "--lake", lk, "embed", "--filter", fdir)
	seeds := sqlCSV("SELECT id FROM labels WHERE tier <> '" + lowest + "' ORDER BY overall DESC, id LIMIT 3")
	seedsFile := filepath.Join(t.TempDir(), "seeds.txt")
	os.WriteFile(seedsFile, []byte("# known positives\n"+strings.TrimPrefix(seeds, "id\n")), 0o644)
	out := label("--select", "similar:0.75,random:0.25", "--budget", "16", "--seeds-file", seedsFile, "--json")
	var res struct {
		Selection string           `json:"selection"`
		Pool      int64            `json:"selection_pool"`
		Selected  map[string]int64 `json:"selected_by"`
		Labeled   int64            `json:"labeled"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Selected["similar"] != 12 || res.Selected["random"] != 4 || res.Pool != passedCount(t, lk, fdir)-160 || !strings.Contains(res.Selection, "encoder=hashed-256@") {
		t.Errorf("similar:0.75,random:0.25: %+v", res)
	}
	// Mistakes say what to do.
	_, errOut = distill(t, 1, "--lake", lk, "label", "--filter", fdir, "--oracle", "keywords", "--select", "similar", "--budget", "5")
	if !strings.Contains(errOut, "--seeds") {
		t.Errorf("similar without seeds: %s", errOut)
	}
	_, errOut = distill(t, 1, "--lake", lk, "label", "--filter", fdir, "--oracle", "keywords", "--select", "upper:0.6,random:0.6", "--budget", "5")
	if !strings.Contains(errOut, "sum to 1.2") {
		t.Errorf("shares past 1: %s", errOut)
	}
}

// passedCount is the compressed articles of the filter.
func passedCount(t *testing.T, lk, fdir string) int64 {
	out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv", "SELECT count(*) AS n FROM compressed")
	var n int64
	fmt.Sscan(strings.TrimPrefix(out, "n\n"), &n)
	return n
}
