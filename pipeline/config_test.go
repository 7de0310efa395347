package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/students/linear"
)

// Every setting a stage's flags have reaches the stage from the file.
func TestParse_SectionsDecodeIntoTheStagesOptions(t *testing.T) {
	c, err := parse("pipeline.yaml", []byte(`filter: f
sources: [{path: a.jsonl, strict: true, max_record_bytes: 1024, workers: 2}]
prefilter: {full: true}
compress: {full: true}
oracle: {kind: keywords, temperature: 0.2, max_tokens: 300, batch_size: 50, flush_every: 30s, sync_every: 10ms,
  max_attempts: 3, backoff: 2s, stop_after_failures: -1, full: true}
split: {near_threshold: 0.7, max_tier_share: 0.4, fresh: true, combine: mean}
student: {backend: linear, select_by: recall@20, linear: {min_df: 1, lambdas: [2, 1]}, lora_r: 8, lora_alpha: 16, lora_dropout: 0.1, seed: 7,
  quantize: 4bit, gradient_checkpointing: true, grad_accum: 4}
predict: {split: all, workers: 3, batch_size: 16, device: cpu, python: py, full: true, quantize: none}
evaluate: {split: val, compare: m2, k: 10, combine: latest}
`))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Oracle
	if o.Temperature == nil || *o.Temperature != 0.2 || o.MaxTokens != 300 || o.BatchSize != 50 || o.FlushEvery != 30*time.Second ||
		o.SyncEvery != 10*time.Millisecond || o.MaxAttempts != 3 || o.Backoff != 2*time.Second || o.StopAfterFailures != -1 || !o.Full {
		t.Errorf("oracle: %+v", o)
	}
	if s := c.Sources[0]; !s.Strict || s.MaxRecordBytes != 1024 || s.Workers != 2 {
		t.Errorf("sources[0]: %+v", s)
	}
	if s := c.Split; s.NearThreshold != 0.7 || s.MaxTierShare != 0.4 || !s.Fresh {
		t.Errorf("split: %+v", s)
	}
	if !c.Prefilter.Full || !c.Compress.Full {
		t.Errorf("prefilter %+v, compress %+v", c.Prefilter, c.Compress)
	}
	f := loadFilter(t)
	tr := c.trainOptions(f)
	want := linear.DefaultConfig()
	want.MinDF, want.Lambdas = 1, []float64{2, 1}
	if tr.Linear.Bits != want.Bits || tr.Linear.MinDF != 1 || tr.Linear.NGrams != want.NGrams || len(tr.Linear.Lambdas) != 2 || tr.Linear.MaxIter != want.MaxIter {
		t.Errorf("student.linear: got %+v, want the defaults with min_df and lambdas set: %+v", tr.Linear, want)
	}
	if tr.LoRA.R != 8 || tr.LoRA.Alpha != 16 || tr.LoRA.Dropout == nil || *tr.LoRA.Dropout != 0.1 || tr.LoRA.Seed != 7 || tr.Combine != "mean" || tr.SelectBy != "recall@20" ||
		tr.LoRA.Quantize != "4bit" || !tr.LoRA.GradientCheckpointing || tr.LoRA.GradAccum != 4 {
		t.Errorf("student: %+v", tr)
	}
	if p := c.predictOptions(f, "m"); p.Split != "all" || p.Workers != 3 || p.BatchSize != 16 || p.Device != "cpu" || p.Python != "py" || !p.Full || p.Quantize != "none" {
		t.Errorf("predict: %+v", p)
	}
	if e := c.evalOptions(f, "m"); e.Split != "val" || e.Compare != "m2" || e.K != 10 || e.Combine != "latest" {
		t.Errorf("evaluate: %+v", e)
	}
	if err := c.Check(f); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// Settings one section lends another, as before the sections were Options.
func TestParse_DefaultsLentBetweenSections(t *testing.T) {
	c, err := parse("pipeline.yaml", []byte("filter: f\nsplit: {combine: mean}\nevaluate: {split: val}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := loadFilter(t)
	if p := c.predictOptions(f, "m"); p.Split != "val" {
		t.Errorf("predict split %q, want evaluate's", p.Split)
	}
	if e := c.evalOptions(f, "m"); e.Combine != "mean" {
		t.Errorf("eval combine %q, want split's", e.Combine)
	}
	if tr := c.trainOptions(f); tr.Combine != "mean" || tr.Linear.Bits != 0 {
		t.Errorf("train: combine %q, linear %+v (want split's combine, linear left to train's defaults)", tr.Combine, tr.Linear)
	}
}

func TestParse_ErrorsNameTheKey(t *testing.T) {
	for body, want := range map[string]string{
		"filter: f\nsplit: {ratios: [0.5, 0.1]}\n":          "split.ratios: ",
		"filter: f\nsplit: {near_threshold: 2}\n":           "split.near_threshold: ",
		"filter: f\nsplit: {max_tier_share: -1}\n":          "split.max_tier_share: ",
		"filter: f\nsplit: {combine: median}\n":             "split.combine: ",
		"filter: f\nstudent: {combine: median}\n":           "student.combine: ",
		"filter: f\noracle: {concurrency: -2}\n":            "oracle.concurrency: ",
		"filter: f\noracle: {flush_every: soon}\n":          "soon",
		"filter: f\noracle: {estimate: true}\n":             "pipeline.yaml:2: oracle.estimate: unknown key",
		"filter: f\npredict: {split: everything}\n":         "predict.split: ",
		"filter: f\nevaluate: {k: -1}\n":                    "evaluate.k: ",
		"filter: f\nsources: [{path: a, map: {body: x}}]\n": "sources[0]: ",
		"filter: f\nsources: [{source: s}]\n":               "sources[0].path: required",
		"filter: f\nstudent: {linear: {bitz: 3}}\n":         "pipeline.yaml:2: student.linear.bitz: unknown key (did you mean bits?)",
		"filter: f\nsplit: {seed: one}\n":                   `pipeline.yaml:2: split.seed: "one" is not a whole number`,
		"filter: f\nsplit: {ratios: [0.1, 0.2, 0.9]}\n":     "pipeline.yaml:2: split.ratios: ratios 0.1, 0.2, 0.9 sum to 1.2, not 1",
	} {
		if _, err := parse("pipeline.yaml", []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to say %q", body, err, want)
		}
	}
}

// A typo names the file, the line, the dotted key and the key meant, never
// a Go type; every problem of the file comes out of one Load, one a line.
func TestLoad_EveryProblemWithFileAndLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipeline.yaml")
	os.WriteFile(p, []byte("filter: f\n\nsoruces: [{path: a.jsonl}]\nsplit:\n  ratio: [0.8, 0.2]\n  near_threshold: 2\noracle: {kind: claude}\n"), 0o644)
	_, err := Load(p)
	if err == nil {
		t.Fatal("loaded without error")
	}
	want := []string{
		p + ":3: soruces: unknown key (did you mean sources?)",
		p + ":5: split.ratio: unknown key (did you mean ratios?)",
		p + ":6: split.near_threshold: 2 must be in (0, 1]",
		p + ":7: oracle.kind: \"claude\": want keywords, gemini, openai or simulate",
	}
	if got, w := err.Error(), "4 problems in "+p+":\n  "+strings.Join(want, "\n  "); got != w {
		t.Errorf("got\n%s\nwant\n%s", got, w)
	}
}

func TestConfig_CheckRunsEachStagesValidate(t *testing.T) {
	f := loadFilter(t)
	for body, want := range map[string]string{
		"filter: f\nsplit: {stratify_by: colour}\n":   "split.stratify_by: ",
		"filter: f\nstudent: {select_by: recal@20}\n": "did you mean recall@20?",
	} {
		c, err := parse("pipeline.yaml", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Check(f); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to say %q", body, err, want)
		}
	}
}

// predict, and cv's folds, run where a lora student trained unless
// predict.device says otherwise: a student trained in 4 bits on the CPU
// stopped at predict for want of CUDA.
func TestParse_PredictDeviceDefaultsToTheStudents(t *testing.T) {
	f := loadFilter(t)
	for _, c := range []struct{ yaml, want string }{
		{"filter: f\nstudent: {backend: lora, device: cpu}\n", "cpu"},
		{"filter: f\nstudent: {backend: lora, device: cpu}\npredict: {device: cuda}\n", "cuda"},
		{"filter: f\nstudent: {backend: linear, device: cpu}\n", ""},
	} {
		cfg, err := parse("pipeline.yaml", []byte(c.yaml))
		if err != nil {
			t.Fatal(err)
		}
		if p := cfg.predictOptions(f, "m"); p.Device != c.want {
			t.Errorf("%q: predict device %q, want %q", c.yaml, p.Device, c.want)
		}
		if o := cfg.cvOptions(f); o.Predict.Device != c.want {
			t.Errorf("%q: cv's predict device %q, want %q", c.yaml, o.Predict.Device, c.want)
		}
	}
}
