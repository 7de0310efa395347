package train_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
)

// plantedLake holds articles whose overall score follows one word: those
// with "commissioned" score high on every dimension; the others have
// noisy scores and words of a large vocabulary a model can overfit.
func plantedLake(t *testing.T, n int, seed uint64) (*lake.Lake, *filters.Filter) {
	t.Helper()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	var arts []labeltest.Article
	for i := range n {
		var ws []string
		for range 40 {
			ws = append(ws, fmt.Sprintf("w%d", rng.IntN(400)))
		}
		hi := rng.IntN(4) == 0
		scores := map[string]float64{}
		for _, d := range f.DimensionNames() {
			s := float64(rng.IntN(6))
			if hi {
				s = float64(4 + rng.IntN(7))
			}
			scores[d] = s
		}
		if hi {
			for range 1 + rng.IntN(3) {
				ws[rng.IntN(len(ws))] = "commissioned"
			}
		}
		arts = append(arts, labeltest.Article{ID: fmt.Sprintf("a%04d", i), Text: strings.Join(ws, " "), Scores: scores})
	}
	labeltest.Write(t, l, f, arts)
	if _, err := split.Run(context.Background(), l, split.Options{Filter: f, Ratios: []float64{0.6, 0.4, 0}}); err != nil {
		t.Fatal(err)
	}
	return l, f
}

// On planted labels MAE and recall@20 choose different penalties: MAE
// the one that fits each dimension's noisy scores best, recall@20 a larger
// one, shared by every dimension, that ranks the articles with the planted
// word first. Each choice, the metric and its value land in the model's
// params, and train's output names them.
func TestSelectBy_MAEAndRecallChooseDifferentPenalties(t *testing.T) {
	ctx := context.Background()
	l, f := plantedLake(t, 400, 3)
	chosen := func(by string) (*train.Result, map[string]any) {
		t.Helper()
		res, err := train.Run(ctx, l, train.Options{Filter: f, SelectBy: by})
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
		return res, p
	}
	lambdas := func(p map[string]any) string { return fmt.Sprint(p["chosen_lambda"]) }
	res, p := chosen("")
	if lambdas(p) != "[1 1 1 1 1 1 1 1]" || p["select_by"] != "mae" || p["select_value"] != res.Model.ValMAE {
		t.Errorf("by MAE: params %v", p)
	}
	if line := strings.Join(res.Details(), "\n"); strings.Contains(line, "chosen by") {
		t.Errorf("by MAE, the output names a ranking metric:\n%s", line)
	}
	res, p = chosen("recall@20")
	v, _ := p["select_value"].(float64)
	if lambdas(p) != "[16 16 16 16 16 16 16 16]" || p["select_by"] != "recall@20" || v <= 0 || v > 1 {
		t.Errorf("by recall@20: params %v", p)
	}
	want := fmt.Sprintf("penalty 16 (shared by every dimension) chosen by recall@20 on validation: %.3f", v)
	if got := strings.Join(res.Details(), "\n"); !strings.Contains(got, strings.TrimRight(strings.TrimRight(want, "0"), ".")) {
		t.Errorf("output:\n%s\nwant a line %q", got, want)
	}
	res, p = chosen("ndcg@20")
	if v, _ := p["select_value"].(float64); p["select_by"] != "ndcg@20" || v <= 0 || v > 1 {
		t.Errorf("by ndcg@20: params %v", p)
	}
}

// A --select-by that names no metric is refused before anything runs,
// with the nearest name.
func TestSelectBy_BadNames(t *testing.T) {
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	for _, c := range []struct{ in, want string }{
		{"recal@20", `select-by "recal@20": want mae, recall@K or ndcg@K (K a positive integer, e.g. recall@20) (did you mean recall@20?)`},
		{"ndgc@5", "(did you mean ndcg@5?)"},
		{"mea", "(did you mean mae?)"},
		{"recall", "recall needs a cut-off K, a positive integer: recall@20"},
		{"recall@0", "recall needs a cut-off K"},
		{"ndcg@x", "ndcg needs a cut-off K"},
		{"mae@3", "mae takes no @K"},
	} {
		o := train.Options{Filter: f, SelectBy: c.in}
		err := o.Validate()
		if err == nil || !errors.Is(err, train.ErrSelectBy) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
	for in, want := range map[string]string{"": "mae", "MAE": "mae", "Recall@20": "recall@20", "ndcg@5": "ndcg@5"} {
		o := train.Options{Filter: f, SelectBy: in}
		if err := o.Validate(); err != nil || o.SelectBy != want {
			t.Errorf("%q: %v, select-by %q, want %q", in, err, o.SelectBy, want)
		}
	}
}

// With a ranking --select-by, the lora trainer gets the metric, the
// filter's weights and gatekeepers, and the oracle's overall and relevance
// beside the labels; the model keeps the epoch the trainer chose by it,
// with the metric's value, and train's output says so.
func TestSelectBy_LoRAPlumbing(t *testing.T) {
	ctx := context.Background()
	l, f := plantedLake(t, 60, 1)
	t.Setenv(fakeTrainerEnv, "1")
	python, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", SelectBy: "ndcg@10", LoRA: train.LoRAOptions{Python: python},
		Progress: func(p train.Progress) { notes = append(notes, p.Message) }})
	if err != nil {
		t.Fatal(err)
	}
	seen, err := os.ReadFile(filepath.Join(res.Model.Dir(l), "fake_select"))
	if err != nil {
		t.Fatal(err)
	}
	want := "ndcg@10|deployment_stage:0.25,impact_magnitude:0.2,evidence_quality:0.15,technology_maturity:0.1,economic_viability:0.1," +
		"scalability:0.08,climate_relevance:0.07,specificity:0.05|evidence_quality:3:3.5|split,id,text,labels,overall,relevant"
	if string(seen) != want {
		t.Errorf("the trainer got\n%s\nwant\n%s", seen, want)
	}
	var p map[string]any
	json.Unmarshal([]byte(res.Model.Params), &p)
	if p["select_by"] != "ndcg@10" || p["select_value"] != 0.75 || p["best_epoch"] != 2.0 {
		t.Errorf("params %v", p)
	}
	if got := strings.Join(res.Details(), "\n"); !strings.Contains(got, "epoch 2 chosen by ndcg@10 on validation: 0.75") {
		t.Errorf("output:\n%s", got)
	}
	if !slices.Contains(notes, "epoch 2: validation MAE 0.500, ndcg@10 0.750") {
		t.Errorf("progress %q", notes)
	}

	// By MAE, the trainer gets none of it (a trainer without the flags still runs).
	res, err = train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{Python: python}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.Model.Dir(l), "fake_select")); !os.IsNotExist(err) {
		t.Errorf("by MAE the trainer got --select-by (%v)", err)
	}
}
