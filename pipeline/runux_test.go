package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/pipeline"
	"github.com/distillery/distillery/spec"
)

// writeArticles writes n sample articles, their ids prefixed, to path.
func writeArticles(t *testing.T, path, prefix string, n int, seed uint64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	arts, err := sample.Write(&bytes.Buffer{}, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for i, a := range arts {
		fmt.Fprintf(&b, `{"id":"%s-%d","title":%q,"content":%q}`+"\n", prefix, i, a.Title, a.Content)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Every problem a run would meet is found before anything is written, and
// reported together: the filter's settings, a missing source, a missing
// API key, a python that cannot run the lora trainer.
func TestRun_ChecksEverythingBeforeWriting(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", "")
	p, l := setup(t, "oracle: {kind: gemini}\nsplit: {stratify_by: nope}\nstudent: {backend: lora, python: /nonexistent/python}\n")
	body, _ := os.ReadFile(p)
	body = bytes.Replace(body, []byte("sources:\n"), []byte("sources:\n  - path: missing/*.jsonl\n"), 1)
	os.WriteFile(p, body, 0o644)
	cfg, err := pipeline.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.Run(context.Background(), l, cfg, pipeline.Options{})
	var ce *pipeline.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *CheckError", err)
	}
	for _, want := range []string{"split.stratify_by", "sources[0].path: missing/*.jsonl: no such file", "GEMINI_API_KEY", "student.python: /nonexistent/python", "make trainer-venv"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if _, err := l.Current(context.Background(), spec.Raw.For(nil)); !errors.Is(err, lake.ErrNoTable) {
		t.Errorf("corpus.raw exists after a failed check (%v): something was written", err)
	}
	if _, err := os.Stat(filepath.Join(l.Root, "pipeline")); !os.IsNotExist(err) {
		t.Errorf("the run's state was written after a failed check")
	}
}

// A quantized lora student whose Python has no bitsandbytes, or no CUDA
// device (unless student.device is cpu), is found before anything is
// written (or any article labeled), with what to do; so is what predict
// will load (predict.quantize, predict.device) and predict.quantize told a
// linear student. The Python is
// python3 with the trainer's package on PYTHONPATH and, for the second and
// third cases, stand-ins for bitsandbytes and torch (a torch.cuda that
// sees no device): the check's decisions, not torch, are under test.
func TestRun_ChecksAQuantizedStudentBeforeAnything(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if exec.Command(python, "-c", "import bitsandbytes").Run() == nil || exec.Command(python, "-c", "import torch").Run() == nil {
		t.Skip(python + " has bitsandbytes or torch: the stand-ins would not be the ones found")
	}
	fakes := t.TempDir()
	for name, body := range map[string]string{"bitsandbytes": "", "torch": "class cuda:\n    @staticmethod\n    def is_available():\n        return False\n"} {
		os.MkdirAll(filepath.Join(fakes, name), 0o755)
		os.WriteFile(filepath.Join(fakes, name, "__init__.py"), []byte(body), 0o644)
	}
	trainer := filepath.Join(testutil.RepoRoot(t), "trainer")
	withFakes := trainer + string(os.PathListSeparator) + fakes
	lora := "backend: lora, python: " + python
	for _, c := range []struct {
		path, student, predict string
		says                   string // "": no quantize problem at all
	}{
		{trainer, lora + ", quantize: 4bit", "", "student.quantize: 4bit needs bitsandbytes, which " + python + " does not have: pip install bitsandbytes"},
		{withFakes, lora + ", quantize: 4bit", "", "student.quantize: 4bit needs a CUDA GPU, and torch in " + python + " sees none"},
		// predict runs where the student trained unless predict.device says.
		{withFakes, lora + ", quantize: 4bit, device: cpu", "", ""},
		{withFakes, lora + ", quantize: 4bit, device: cpu", "device: cuda", "predict.quantize: 4bit needs a CUDA GPU, and torch in " + python + " sees none: run where there is one, set predict.quantize: none, or predict.device: cpu"},
		{trainer, lora + ", device: cpu", "quantize: 8bit", "predict.quantize: 8bit needs bitsandbytes, which " + python + " does not have"},
		{trainer, lora + ", quantize: 4bit, device: cpu", "quantize: none", "student.quantize: 4bit needs bitsandbytes"},
		// A linear student has no base model: 4bit is refused before the
		// labels are paid for (it was refused at predict), none is true.
		{trainer, "backend: linear", "quantize: 4bit", "predict.quantize: 4bit: the student is linear: only a lora student's base model is quantized"},
		{trainer, "backend: linear", "quantize: none", ""},
	} {
		t.Setenv("PYTHONPATH", c.path)
		p, l := setup(t, "student: {"+c.student+"}\npredict: {"+c.predict+"}\nsplit: {stratify_by: nope}\n")
		// Load finds what the file alone says is wrong, Run's check the
		// rest (split.stratify_by is always wrong here: a run never starts).
		cfg, err := pipeline.Load(p)
		if err == nil {
			_, err = pipeline.Run(context.Background(), l, cfg, pipeline.Options{})
			var ce *pipeline.CheckError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "split.stratify_by") {
				t.Fatalf("err = %v, want a *CheckError naming split.stratify_by", err)
			}
		}
		if c.says == "" && strings.Contains(err.Error(), "quantize") {
			t.Errorf("student {%s}, predict {%s}: %v", c.student, c.predict, err)
		} else if c.says != "" && !strings.Contains(err.Error(), c.says) {
			t.Errorf("student {%s}, predict {%s}: %v, want it to say %q", c.student, c.predict, err, c.says)
		}
		if _, err := l.Current(context.Background(), spec.Raw.For(nil)); !errors.Is(err, lake.ErrNoTable) {
			t.Errorf("corpus.raw exists after a failed check (%v): something was written", err)
		}
	}
}

// Compaction rewrites files, not rows: a run after it skips every stage.
func TestRun_CompactionIsNotAnInputChange(t *testing.T) {
	ctx := context.Background()
	p, l := setup(t, "")
	var out bytes.Buffer
	run(t, p, l, &out)
	// A second batch of articles gives every table a second data file.
	writeArticles(t, filepath.Join(filepath.Dir(p), "news.jsonl"), "second", 620, 7)
	run(t, p, l, &out)
	results, err := l.CompactAll(ctx, lake.CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	compacted := 0
	for _, r := range results {
		if r.Snapshot != nil {
			compacted++
		}
	}
	if compacted < 3 {
		t.Fatalf("compaction made %d snapshots: the test needs tables with several files", compacted)
	}
	out.Reset()
	res := run(t, p, l, &out)
	for _, s := range res.Stages {
		if !s.Skipped {
			t.Errorf("after a compaction, %s ran again:\n%s", s.Stage, out.String())
		}
	}
}

// One source of two gains a file: ingest reads that source only, and says
// which it left unread.
func TestRun_IngestReadsOnlyChangedSources(t *testing.T) {
	dir := t.TempDir()
	writeArticles(t, filepath.Join(dir, "big.jsonl"), "big", 300, 1)
	writeArticles(t, filepath.Join(dir, "drops", "one.jsonl"), "drop1", 5, 2)
	flt := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	p := filepath.Join(dir, "pipeline.yaml")
	yaml := fmt.Sprintf("sources:\n  - path: big.jsonl\n  - path: drops\nfilter: %s\nreport: {skip: true}\n", flt)
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := lake.Create(context.Background(), filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out bytes.Buffer
	run(t, p, l, &out)
	writeArticles(t, filepath.Join(dir, "drops", "two.jsonl"), "drop2", 10, 3)
	out.Reset()
	res := run(t, p, l, &out)
	ing := res.Stages[0]
	if ing.Stage != "ingest" || ing.Result == nil {
		t.Fatalf("first stage %+v", ing)
	}
	if s := ing.Result.Sum(); s.RowsIn != 15 || s.RowsOut != 10 {
		t.Errorf("ingest read %d records and added %d, want 15 (the changed source) and 10:\n%s", s.RowsIn, s.RowsOut, out.String())
	}
	if !strings.Contains(out.String(), "not read again, unchanged since the last run: big.jsonl") {
		t.Errorf("ingest does not say which source it left unread:\n%s", out.String())
	}
}

// `distill run --json` gives each stage the object its own command's --json
// prints, with whether the pipeline skipped it.
func TestRun_JSONEntryIsTheStageResult(t *testing.T) {
	p, l := setup(t, "")
	var out bytes.Buffer
	res := run(t, p, l, &out)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Stages []map[string]any `json:"stages"`
	}
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	var own bytes.Buffer
	if err := spec.Print(&own, res.Stages[1].Result, true); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	json.Unmarshal(own.Bytes(), &want)
	pre := decoded.Stages[1]
	for k, v := range want {
		if fmt.Sprint(pre[k]) != fmt.Sprint(v) {
			t.Errorf("run --json's prefilter entry has %s = %v, its command's --json %v", k, pre[k], v)
		}
	}
	if pre["stage"] != "prefilter" || pre["skipped"] != false || pre["passed"] == nil {
		t.Errorf("run --json's prefilter entry: %v", pre)
	}
	again, err := pipeline.Run(context.Background(), l, mustLoad(t, p), pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(again.Stages[0])
	var skipped map[string]any
	json.Unmarshal(b, &skipped)
	if skipped["skipped"] != true || !strings.Contains(fmt.Sprint(skipped["reason"]), "inputs unchanged since") {
		t.Errorf("a skipped stage's entry: %s", b)
	}
}

func mustLoad(t *testing.T, p string) *pipeline.Config {
	t.Helper()
	cfg, err := pipeline.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The same pipeline file run from another working directory, named by
// another relative path, reads no source again: sources are fingerprinted
// relative to the file, not to where distill runs.
func TestRun_SourcesSameFromAnotherFolder(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg")
	writeArticles(t, filepath.Join(cfg, "a.jsonl"), "a", 300, 1)
	flt := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	yaml := fmt.Sprintf("sources:\n  - path: a.jsonl\nfilter: %s\nreport: {skip: true}\n", flt)
	if err := os.WriteFile(filepath.Join(cfg, "pipeline.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := lake.Create(context.Background(), filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out bytes.Buffer
	t.Chdir(cfg)
	run(t, "pipeline.yaml", l, &out)
	t.Chdir(dir)
	out.Reset()
	res := run(t, filepath.Join("cfg", "pipeline.yaml"), l, &out)
	if ing := res.Stages[0]; ing.Stage != "ingest" || !ing.Skipped {
		t.Errorf("ingest ran again from another folder:\n%s", out.String())
	}
}
