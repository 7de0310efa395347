package train_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/linear"
)

// A --sample-weight that names no weighting is refused before anything
// runs, naming the flag and the accepted forms; good ones are normalised.
func TestSampleWeight_Validate(t *testing.T) {
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	forms := "want none, score:S (weight 1 + S × overall/10, S a number 0 or more, e.g. score:2) or tier"
	for in, want := range map[string]string{
		"scor:2":     `--sample-weight "scor:2": ` + forms + " (weight inversely proportional to the row's tier's count among the training rows) (did you mean score:2?)",
		"teir":       "(did you mean tier?)",
		"score":      `--sample-weight "score": score needs a scale S, a finite number 0 or more`,
		"score:":     "score needs a scale S",
		"score:-1":   "score needs a scale S",
		"score:inf":  "score needs a scale S",
		"score:NaN":  "score needs a scale S",
		"score:x":    "score needs a scale S",
		"tier:2":     `--sample-weight "tier:2": tier takes no :value; ` + forms,
		"none:1":     "none takes no :value",
		"inverse":    forms,
		"tiers":      forms,
		"score:2:3":  "score needs a scale S",
		"score:1e99": "", // finite: accepted
	} {
		o := train.Options{Filter: f, SampleWeight: in}
		err := o.Validate()
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", in, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, train.ErrSampleWeight) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	for in, want := range map[string]string{"": "none", "None": "none", "score:0": "none", " Score:2 ": "score:2",
		"score:2.50": "score:2.5", "score:0.5": "score:0.5", "TIER": "tier"} {
		o := train.Options{Filter: f, SampleWeight: in}
		if err := o.Validate(); err != nil || o.SampleWeight != want {
			t.Errorf("%q: %v, sample-weight %q, want %q", in, err, o.SampleWeight, want)
		}
	}
}

// score:S weighs 1 + S × overall/10; tier gives every tier present the
// same total weight, the weights summing to the number of rows.
func TestSampleWeight_Weights(t *testing.T) {
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	overall := []float64{0, 1, 2, 3, 4.5, 8, 10} // tiers: 4 in the lowest, 1 pilot, 2 deployed
	w, _ := train.ParseSampleWeight("score:2")
	got := w.Weights(f, overall)
	for i, o := range overall {
		if want := 1 + 2*o/10; got[i] != want {
			t.Errorf("score:2, overall %g: weight %g, want %g", o, got[i], want)
		}
	}
	w, _ = train.ParseSampleWeight("tier")
	got = w.Weights(f, overall)
	perTier, sum := map[string]float64{}, 0.0
	for i, o := range overall {
		perTier[f.TierOf(o)] += got[i]
		sum += got[i]
	}
	if len(perTier) != 3 || math.Abs(sum-float64(len(overall))) > 1e-12 {
		t.Errorf("tier: per tier %v, sum %g, want 3 tiers summing to %d", perTier, sum, len(overall))
	}
	for tier, s := range perTier {
		if math.Abs(s-float64(len(overall))/3) > 1e-12 {
			t.Errorf("tier %s carries %g, want %g", tier, s, float64(len(overall))/3)
		}
	}
	if got[0] != 7.0/(3*4) || got[4] != 7.0/3 || got[5] != 7.0/(3*2) {
		t.Errorf("tier weights %v", got)
	}
	w, _ = train.ParseSampleWeight("none")
	if got := w.Weights(f, overall); got != nil {
		t.Errorf("none: %v, want nil", got)
	}
}

// On the real ai-tech sample, score:2 and tier fit other models than none:
// the params record the weighting, the output names it, the intercept (the
// weighted training mean) rises on every dimension as the high scorers
// weigh more, and validation is scored on the same rows either way.
func TestSampleWeight_LinearOnTheAITechSample(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	fitted := func(sw string) (*train.Result, map[string]any, *linear.Model) {
		t.Helper()
		res, err := train.Run(ctx, l, train.Options{Filter: f, SampleWeight: sw})
		if err != nil {
			t.Fatal(err)
		}
		back, err := train.Find(ctx, l, f, res.Model.ID)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(back.Params), &p); err != nil {
			t.Fatalf("params of the models row %q: %v", back.Params, err)
		}
		m, err := linear.Load(filepath.Join(res.Model.Dir(l), "model.gob"))
		if err != nil {
			t.Fatal(err)
		}
		return res, p, m
	}
	plain, pp, pm := fitted("")
	if pp["sample_weight"] != "none" || strings.Contains(strings.Join(plain.Details(), "\n"), "weighted") {
		t.Errorf("none: params %v, output %q", pp, plain.Details())
	}
	for _, sw := range []string{"score:2", "tier"} {
		res, p, m := fitted(sw)
		if p["sample_weight"] != sw {
			t.Errorf("%s: params %v", sw, p)
		}
		want := "training rows weighted by " + sw + " (--sample-weight); validation figures unweighted"
		if got := strings.Join(res.Details(), "\n"); !strings.Contains(got, want) {
			t.Errorf("%s: output\n%s\nwant a line %q", sw, got, want)
		}
		if res.Model.TrainRows != plain.Model.TrainRows || res.Model.ValRows != plain.Model.ValRows {
			t.Errorf("%s: %d/%d rows, unweighted %d/%d", sw, res.Model.TrainRows, res.Model.ValRows, plain.Model.TrainRows, plain.Model.ValRows)
		}
		if res.Model.ValMAE == plain.Model.ValMAE {
			t.Errorf("%s: validation MAE %.6f, the same as unweighted", sw, res.Model.ValMAE)
		}
		for d, name := range m.Dimensions {
			if m.Mean[d] <= pm.Mean[d] {
				t.Errorf("%s: %s's intercept %.3f, unweighted %.3f: want higher", sw, name, m.Mean[d], pm.Mean[d])
			}
		}
		t.Logf("%s: validation MAE %.3f (unweighted %.3f)", sw, res.Model.ValMAE, plain.Model.ValMAE)
	}
}

// The lora trainer gets the training rows' weights as a weight column (NULL
// on validation rows), and none without weighting.
func TestSampleWeight_LoRAGetsAWeightColumn(t *testing.T) {
	ctx := context.Background()
	l, f := plantedLake(t, 60, 1)
	t.Setenv(fakeTrainerEnv, "1")
	python, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", SampleWeight: "tier", LoRA: train.LoRAOptions{Python: python}})
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	json.Unmarshal([]byte(res.Model.Params), &p)
	if p["sample_weight"] != "tier" {
		t.Errorf("params %v", p)
	}
	b, err := os.ReadFile(filepath.Join(res.Model.Dir(l), "fake_weights"))
	if err != nil {
		t.Fatal(err)
	}
	// What Weights gives the training rows' overall scores, as the examples hold them.
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := curate.DefineExamples(ctx, sess, f, lake.Ref{}, lake.Ref{}, "latest"); err != nil {
		t.Fatal(err)
	}
	rows, err := sess.Query(ctx, "SELECT id, overall FROM examples WHERE split = 'train' AND NOT balanced_out ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var overall []float64
	for rows.Next() {
		var id string
		var o float64
		if err := rows.Scan(&id, &o); err != nil {
			t.Fatal(err)
		}
		ids, overall = append(ids, id), append(overall, o)
	}
	rows.Close()
	tier, _ := train.ParseSampleWeight("tier")
	var want []string
	for i, w := range tier.Weights(f, overall) {
		want = append(want, fmt.Sprintf("train %s %v", ids[i], w))
	}
	var got []string
	for _, line := range strings.Split(string(b), "\n") {
		if fs := strings.Fields(line); len(fs) != 3 || fs[0] == "val" && fs[2] != "null" {
			t.Errorf("line %q: want split, id and weight, null on a val row", line)
		} else if fs[0] == "train" {
			got = append(got, line)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) == len(strings.Split(string(b), "\n")) {
		t.Errorf("the trainer got\n%s\nwant the train rows\n%s\nand val rows", b, strings.Join(want, "\n"))
	}

	res, err = train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{Python: python}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.Model.Dir(l), "fake_weights")); !os.IsNotExist(err) {
		t.Errorf("unweighted, the trainer got a weight column (%v)", err)
	}
}

// TestLoRA_SampleWeightReachesTheTrainer trains the lora backend through the
// real Python trainer (skipped without it, as TestLoRA_EndToEnd) with
// score:2: the trainer reads the weight column DuckDB streams (NULL on
// validation rows) and says it trained weighted.
func TestLoRA_SampleWeightReachesTheTrainer(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	ctx := context.Background()
	l, f := aiTechLake(t)
	base := pipelinetest.TinyBERT(t, python, l, "SELECT replace(text, chr(10), ' ') FROM uplifting.compressed ORDER BY id")
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", SampleWeight: "score:2", LoRA: train.LoRAOptions{
		Python: python, BaseModel: base, Epochs: 1, MaxLength: 64, BatchSize: 32, Device: "cpu"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(res.Model.Dir(l), "distill_model.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Weighted  bool  `json:"weighted"`
		TrainRows int64 `json:"train_rows"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	json.Unmarshal([]byte(res.Model.Params), &p)
	if !meta.Weighted || meta.TrainRows != res.Model.TrainRows || p["sample_weight"] != "score:2" {
		t.Errorf("trainer's metadata %s; params %v", b, p)
	}
}
