package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/pipeline"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
)

func setup(t *testing.T, extra string) (string, *lake.Lake) {
	t.Helper()
	dir := t.TempDir()
	fh, _ := os.Create(filepath.Join(dir, "news.jsonl"))
	if _, err := sample.Write(fh, 600, 3); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	flt := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	yaml := fmt.Sprintf("lake: lake\nsources:\n  - path: news.jsonl\nfilter: %s\nreport:\n  skip: true\n%s", flt, extra)
	p := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := lake.Create(context.Background(), filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return p, l
}

// run loads the pipeline file p and runs it on l, printing to out.
func run(t *testing.T, p string, l *lake.Lake, out *bytes.Buffer) *pipeline.Result {
	t.Helper()
	cfg, err := pipeline.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.Run(context.Background(), l, cfg, pipeline.Options{Out: out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return res
}

func TestRun_SkipsUnchangedStagesAndRedoesOnlyNewWork(t *testing.T) {
	ctx := context.Background()
	p, l := setup(t, "")
	cfg, err := pipeline.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	first := run(t, p, l, &out)
	names := []string{}
	for _, s := range first.Stages {
		names = append(names, s.Stage)
		if s.Skipped {
			t.Errorf("first run skipped %s", s.Stage)
		}
	}
	if strings.Join(names, ",") != "ingest,prefilter,compress,label,split,train,predict,eval" || first.Model == "" {
		t.Fatalf("stages %v, model %q", names, first.Model)
	}
	// Nothing changed: every stage is skipped, no snapshot is added.
	before := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.models")
	second, err := pipeline.Run(ctx, l, cfg, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range second.Stages {
		if !s.Skipped {
			t.Errorf("second run ran %s", s.Stage)
		}
	}
	if testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.models") != before || second.Model != first.Model {
		t.Error("an unchanged run trained again")
	}
	// Ten more articles: each stage does the work for those only.
	fh, _ := os.OpenFile(filepath.Join(filepath.Dir(p), "news.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	arts, _ := sample.Write(&bytes.Buffer{}, 10, 99)
	for i, a := range arts {
		fmt.Fprintf(fh, `{"id":"more-%d","title":%q,"content":%q}`+"\n", i, a.Title, a.Content)
	}
	fh.Close()
	out.Reset()
	third, err := pipeline.Run(ctx, l, cfg, pipeline.Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ingest: 610 in, 10 out") || third.Stages[0].Skipped {
		t.Errorf("third run:\n%s", out.String())
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.prefiltered WHERE id LIKE 'more-%'"); n != 10 {
		t.Errorf("%d new articles decided", n)
	}
	for _, tbl := range []string{"prefiltered", "labels"} {
		cur, err := l.Current(ctx, lake.TableName{Namespace: "sustainability_tech_deployment", Table: tbl})
		if err != nil || cur.Operation != "append" || cur.AddedRows > 10 {
			t.Errorf("%s: the third run's snapshot %+v (%v): want an append of the new articles only", tbl, cur, err)
		}
	}
}

func TestRun_FailureNamesTheStageAndTheResumeCommand(t *testing.T) {
	ctx := context.Background()
	// A python that passes the check before the run (it has the trainer)
	// and fails in training.
	py := filepath.Join(t.TempDir(), "python")
	script := "#!/bin/sh\n[ \"$1\" = -c ] && exit 0\necho 'the trainer broke' >&2\nexit 3\n"
	if err := os.WriteFile(py, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p, l := setup(t, "student:\n  backend: lora\n  python: "+py+"\n")
	cfg, err := pipeline.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.Run(ctx, l, cfg, pipeline.Options{Resume: "distill run " + p})
	var se *pipeline.StageError
	if !errors.As(err, &se) || se.Stage != "train" || !strings.Contains(se.Hint(), "distill run "+p) {
		t.Fatalf("err = %v", err)
	}
	// What ran before the failure is committed and is not redone.
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.splits"); n == 0 {
		t.Error("the split before the failure was lost")
	}
	res, _ := pipeline.Run(ctx, l, cfg, pipeline.Options{})
	for _, s := range res.Stages[:5] {
		if !s.Skipped {
			t.Errorf("after a failure in train, %s ran again", s.Stage)
		}
	}
}

func TestLoad_Errors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown key":      "filter: f\nfliter: g\n",
		"no filter":        "sources: [{path: a.jsonl}]\n",
		"bad oracle":       "filter: f\noracle: {kind: claude}\n",
		"openai, no model": "filter: f\noracle: {kind: openai}\n",
		"bad backend":      "filter: f\nstudent: {backend: forest}\n",
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := pipeline.Load(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// An oracle that cannot be reached stops the pipeline at its label stage,
// with the label stage's error, before split runs.
func TestRun_UnreachableOracleStopsAtLabel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	t.Setenv("GEMINI_API_KEY", "test-key-not-secret")
	p, l := setup(t, "oracle:\n  kind: gemini\n  base_url: "+url+"\n")
	cfg, err := pipeline.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := pipeline.Run(context.Background(), l, cfg, pipeline.Options{Out: &out})
	var se *pipeline.StageError
	if !errors.As(err, &se) || se.Stage != "label" || !errors.Is(err, label.ErrFailing) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	for _, s := range res.Stages {
		if s.Stage == "split" {
			t.Errorf("split ran after the label stage failed:\n%s", out.String())
		}
	}
}

// Each stage's outcome is printed by spec.Print, the function its own
// command uses, and `distill run --json` carries the same result object.
func TestRun_PrintsEachStageAsItsCommandDoes(t *testing.T) {
	p, l := setup(t, "")
	var out bytes.Buffer
	res := run(t, p, l, &out)
	for i, s := range res.Stages {
		r := s.Result
		if r == nil || r.Sum().Stage != s.Stage || s.Summary != spec.Brief(r) {
			t.Fatalf("stage %s: result %+v, summary %q", s.Stage, r, s.Summary)
		}
		var one bytes.Buffer
		if err := spec.Print(&one, r, false); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d/%d %s", i+1, len(res.Stages), one.String()); !strings.Contains(out.String(), want) {
			t.Errorf("distill run printed\n%s\nwant, for %s, what its command prints:\n%s", out.String(), s.Stage, want)
		}
	}
	// The summary keeps what it said before the stages shared a printer:
	// the stage's key figures and where they went.
	for stage, want := range map[string]string{
		"ingest": "600 new articles, 0 rejected, 0 duplicates -> corpus.raw@",
		"train":  "examples: validation MAE ",
		"eval":   ": MAE ",
	} {
		for _, s := range res.Stages {
			if s.Stage == stage && !strings.Contains(s.Summary, want) {
				t.Errorf("%s's summary %q does not say %q", stage, s.Summary, want)
			}
		}
	}
}
