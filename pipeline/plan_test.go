package pipeline

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
)

func loadFilter(t *testing.T) *filters.Filter {
	return testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
}

func TestPlan_KnowsEverySpecStage(t *testing.T) {
	for _, s := range spec.Pipeline() {
		if _, ok := hows[s.Name]; !ok {
			t.Errorf("spec stage %s: the pipeline does not know how to run it (add it to hows in plan.go)", s.Name)
		}
	}
	for name := range hows {
		if spec.StageNamed(name) == nil {
			t.Errorf("hows has %s, which is not in spec.Stages", name)
		}
	}
	r := &runner{c: &Config{Sources: []Source{{Path: "a.jsonl"}}, CV: CV{Folds: 5}, Report: Report{Skip: true}}, f: loadFilter(t), res: &Result{}}
	all, err := plan(r)
	if err != nil {
		t.Fatal(err)
	}
	if last := all[len(all)-1]; last.name != reportName || last.skip != "report.skip" {
		t.Errorf("the last step is %s (skip %q), want the report, skipped for report.skip", last.name, last.skip)
	}
	stages := runnable(all)
	if len(stages) != len(spec.Pipeline()) {
		t.Fatalf("got %d steps, want one per spec stage (%d)", len(stages), len(spec.Pipeline()))
	}
	for i, s := range spec.Pipeline() {
		if got, want := stages[i].output, s.Output().For(r.f); stages[i].name != s.Name || got != want {
			t.Errorf("step %d: %s writing %s, want %s writing %s", i, stages[i].name, got, s.Name, want)
		}
	}
}

func TestPlan_UnknownStageStopsTheRun(t *testing.T) {
	saved := spec.Stages
	t.Cleanup(func() { spec.Stages = saved })
	spec.Stages = append(append([]*spec.Spec{}, saved...), &spec.Spec{Name: "distil_more", Writes: []*spec.Table{spec.Models}})
	_, err := plan(&runner{c: &Config{}, f: loadFilter(t), res: &Result{}})
	if !errors.Is(err, ErrUnknownStage) {
		t.Fatalf("err = %v, want ErrUnknownStage", err)
	}
}

// The settings a pipeline.yaml could hold before its sections became the
// stages' Options hash as they did then, so that no stage of an existing
// lake runs again for the change; a setting added since changes the hash.
func TestParams_LegacySettingsHashAsBefore(t *testing.T) {
	c, err := parse("pipeline.yaml", []byte(`filter: f
sources: [{path: a.jsonl, source: s, map: {content: body}}]
oracle: {kind: gemini, model: m, concurrency: 8, max_cost: 5}
split: {seed: 42, ratios: [0.8, 0.1, 0.1], stratify_by: tier, balance: true}
student: {backend: lora, base_model: b, epochs: 2, lr: 0.001, device: cpu}
evaluate: {split: val}
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		got  any
		want string
	}{
		"label":     {c.labelParams(), `{"Kind":"gemini","Model":"m","BaseURL":"","Concurrency":8,"RPM":0,"TPM":0,"MaxCost":5,"TargetCount":0}`},
		"split":     {c.splitParams(), `{"Seed":42,"Ratios":[0.8,0.1,0.1],"StratifyBy":"tier","Combine":"","Balance":true}`},
		"train":     {c.trainParams(), `{"Backend":"lora","BaseModel":"b","Python":"","Epochs":2,"LR":0.001,"BatchSize":0,"MaxLength":0,"Device":"cpu"}`},
		"predict":   {c.predictParams(), `{"Split":"val"}`},
		"eval":      {c.evalParams(), `{"Split":"val"}`},
		"sources":   {c.sourceParams(), `[{"Path":"a.jsonl","Source":"s","Map":{"content":"body"}}]`},
		"prefilter": {optionalParams(c.Prefilter), `null`},
		"compress":  {optionalParams(c.Compress), `null`},
	} {
		b, err := json.Marshal(tc.got)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s: got %s (%v)\nwant %s", name, b, err, tc.want)
		}
	}
	c.Oracle.BatchSize = 100
	c.Student.Linear.MinDF = 1
	c.Prefilter.Full = true
	for name, tc := range map[string]struct {
		got  any
		want string
	}{
		"label":     {c.labelParams(), `"Extra":{"batch_size":100}`},
		"train":     {c.trainParams(), `"Extra":{"linear":{"min_df":1}}`},
		"prefilter": {optionalParams(c.Prefilter), `{"full":true}`},
	} {
		b, _ := json.Marshal(tc.got)
		if !json.Valid(b) || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: got %s, want it to hold %s", name, b, tc.want)
		}
	}
}

// A lake's state.json stays valid across upgrades: each stage's
// fingerprint hashes the snapshots of the tables it hashed before the plan
// came from spec.Stages (860098d), so an unchanged lake runs nothing. (Eval
// once hashed models too, and evaluated an unchanged model again.)
func TestPlan_FingerprintsHashTheTablesTheyAlwaysDid(t *testing.T) {
	legacy := map[string][]string{
		"prefilter": {"raw"},
		"compress":  {"raw", "prefiltered"},
		"label":     {"compressed"},
		"split":     {"labels", "compressed", "raw"},
		"train":     {"labels", "splits", "compressed"},
		"predict":   {"models", "splits", "compressed"},
		"eval":      {"predictions", "labels", "splits"},
		"cv":        {"labels", "splits", "compressed"}, // new with cv
	}
	for _, s := range spec.Pipeline() {
		h := hows[s.Name]
		if h.inputs != nil { // ingest hashes its files
			continue
		}
		var got []string
		for _, tb := range hashedReads(s, h) {
			got = append(got, tb.Name)
		}
		slices.Sort(got)
		want := slices.Clone(legacy[s.Name])
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s hashes %v, want %v: every lake's state.json would run it again", s.Name, got, want)
		}
	}
}

// Every flag of label has its key: --timeout is oracle.timeout.
func TestLoad_OracleTimeout(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pipeline.yaml")
	flt := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	if err := os.WriteFile(p, []byte("filter: "+flt+"\noracle: {kind: keywords, timeout: 30s}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Oracle.Timeout != 30*time.Second {
		t.Errorf("oracle.timeout = %v, want 30s", c.Oracle.Timeout)
	}
}
