package gate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/stages/gate/gatetest"
)

type planted struct {
	l *lake.Lake
	f *filters.Filter
}

func newPlanted(t *testing.T, testOracle string) *planted {
	t.Helper()
	l := testutil.NewLake(t)
	return &planted{l: l, f: gatetest.Planted(t, l, testOracle)}
}

func metric(t *testing.T, r *gate.Result, name string) gate.MetricDiff {
	t.Helper()
	for _, m := range r.Comparisons[0].Metrics {
		if m.Metric == name {
			return m
		}
	}
	t.Fatalf("no %s in %+v", name, r.Comparisons[0])
	return gate.MetricDiff{}
}

// A better and an equal candidate pass, a worse one fails, each against
// the production model, and every run leaves its verdict in the table.
func TestRun_PlantedCandidates(t *testing.T) {
	ctx := context.Background()
	p := newPlanted(t, "")
	for i, c := range []struct{ candidate, verdict string }{{"better", gate.Pass}, {"equal", gate.Pass}, {"worse", gate.Regression}} {
		res, err := gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: c.candidate, Bootstrap: 500, Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", c.candidate, err)
		}
		if res.Verdict != c.verdict || res.Articles != 80 || res.Against != "production model prod" || res.Threshold != 4 {
			t.Errorf("%s: verdict %s on %d articles against %q at %g, want %s on 80 against production model prod at 4\n%s",
				c.candidate, res.Verdict, res.Articles, res.Against, res.Threshold, c.verdict, strings.Join(res.Details(), "\n"))
		}
		t.Logf("%s:\n%s", c.candidate, strings.Join(res.Details(), "\n"))
		mae := metric(t, res, gate.MAE)
		switch c.candidate {
		case "better":
			if *mae.High >= 0 {
				t.Errorf("better: MAE difference interval [%g, %g], want wholly below 0", *mae.Low, *mae.High)
			}
		case "equal":
			if *mae.Difference != 0 || *mae.Low != 0 || *mae.High != 0 {
				t.Errorf("equal: MAE difference %g [%g, %g], want 0 [0, 0]", *mae.Difference, *mae.Low, *mae.High)
			}
		case "worse":
			if !mae.Regression || len(res.Regressed()) == 0 {
				t.Errorf("worse: MAE %+v is not a regression", mae)
			}
		}
		if res.Table != "eval_tiny.gates" || res.Snapshot != int64(i+1) || res.RowsOut != int64(len(gate.Metrics)) {
			t.Errorf("%s: wrote %d rows to %s@%d", c.candidate, res.RowsOut, res.Table, res.Snapshot)
		}
	}
	got := testutil.QueryInt(t, p.l, "SELECT count(*) FROM eval_tiny.gates WHERE verdict = 'regression' AND candidate = 'worse' AND against = 'prod' AND model_tags_sequence = 1")
	if got != int64(len(gate.Metrics)) {
		t.Errorf("rows of the worse candidate's regression: %d, want %d", got, len(gate.Metrics))
	}
}

// The same seed gives the same intervals; another seed other ones.
func TestRun_Seeded(t *testing.T) {
	ctx := context.Background()
	p := newPlanted(t, "")
	run := func(seed uint64) gate.MetricDiff {
		res, err := gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: "better", Bootstrap: 200, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return metric(t, res, gate.Recall)
	}
	a, b, c := run(3), run(3), run(4)
	if *a.Low != *b.Low || *a.High != *b.High {
		t.Errorf("seed 3 twice: [%g, %g] and [%g, %g]", *a.Low, *a.High, *b.Low, *b.High)
	}
	if *a.Low == *c.Low && *a.High == *c.High {
		t.Errorf("seeds 3 and 4 give the same interval [%g, %g]", *a.Low, *a.High)
	}
}

// Test articles labeled by another oracle than the candidate learned from
// are refused, naming both oracles, and nothing is written.
func TestRun_RefusesMixedOracles(t *testing.T) {
	ctx := context.Background()
	p := newPlanted(t, "keywords")
	_, err := gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: "better", Bootstrap: 200})
	var oe *gate.OracleError
	if !errors.Is(err, gate.ErrMixedOracles) || !errors.As(err, &oe) {
		t.Fatalf("err = %v, want an OracleError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "keywords/keywords-model") || !strings.Contains(msg, "gemini/gemini-model") || !strings.Contains(msg, "on 80") ||
		!strings.Contains(oe.Hint(), "distill label --filter") {
		t.Errorf("the refusal does not say which oracles differ and what to do: %v (hint %q)", err, oe.Hint())
	}
	if snap, err := p.l.Current(ctx, spec.Gates.For(p.f)); snap != nil {
		t.Errorf("a refused gate wrote %s@%d (%v)", spec.Gates.For(p.f), snap.Seq, err)
	}
}

// Without a production model the candidate meets the baselines, judged on
// MAE alone.
func TestRun_Baselines(t *testing.T) {
	ctx := context.Background()
	p := newPlanted(t, "")
	res, err := gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: "better", Against: gate.Baselines, Bootstrap: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Comparisons) != 2 || res.Comparisons[0].Against != "baseline:mean" || res.Comparisons[1].Against != "baseline:median" || res.Verdict != gate.Pass {
		t.Fatalf("comparisons %+v, verdict %s", res.Comparisons, res.Verdict)
	}
	for _, m := range res.Comparisons[0].Metrics {
		if m.Judged != (m.Metric == gate.MAE || m.Metric == gate.OverallMAE) {
			t.Errorf("against a baseline, %s judged = %v", m.Metric, m.Judged)
		}
		if m.Metric == gate.Spearman && m.Against != nil {
			t.Errorf("a constant's Spearman = %g, want none", *m.Against)
		}
	}
}

// A model without predictions of the test articles is refused with the
// command that makes them; an unknown candidate with the closest id.
func TestRun_Refusals(t *testing.T) {
	ctx := context.Background()
	p := newPlanted(t, "")
	gatetest.Write(t, p.l, spec.Train, spec.Models, p.f, func(rb *lake.RowBuilder) {
		rb.String("id", "fresh")
		rb.String("backend", "linear")
		rb.EndRow()
	})
	_, err := gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: "fresh"})
	var hint interface{ Hint() string }
	if !errors.Is(err, gate.ErrNoPredictions) || !errors.As(err, &hint) || !strings.Contains(hint.Hint(), "distill predict --filter "+p.f.Dir+" --model fresh --split test") {
		t.Errorf("err = %v, want one naming the predict command", err)
	}
	_, err = gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: "bettr"})
	if !errors.Is(err, gate.ErrNoModel) || !strings.Contains(err.Error(), "did you mean better?") {
		t.Errorf("err = %v, want no such model with did you mean", err)
	}
	_, err = gate.Tag(ctx, p.l, gate.TagOptions{Filter: p.f, Tag: gate.Production, Model: "prodd"})
	if !errors.Is(err, gate.ErrNoModel) || !strings.Contains(err.Error(), "did you mean prod?") {
		t.Errorf("tag err = %v, want no such model with did you mean", err)
	}
}

// The newest row of a tag wins; the listing marks it.
func TestTag_NewestWins(t *testing.T) {
	ctx := context.Background()
	p := newPlanted(t, "")
	res, err := gate.Tag(ctx, p.l, gate.TagOptions{Filter: p.f, Tag: gate.Production, Model: "better", Note: "beats prod"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous != "prod" || res.Model != "better" {
		t.Errorf("tag result %+v", res)
	}
	tags, err := gate.Tags(ctx, p.l, p.f)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 || tags[0].Model != "better" || !tags[0].Current || tags[1].Current || tags[0].Note != "beats prod" {
		t.Errorf("tags = %+v", tags)
	}
	models, err := gate.Models(ctx, p.l, p.f)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		if want := m.ID == "better"; want != (len(m.Tags) == 1 && m.Tags[0] == gate.Production) {
			t.Errorf("model %s tags %v", m.ID, m.Tags)
		}
	}
	gr, err := gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: "worse", Bootstrap: 200})
	if err != nil || gr.Against != "production model better" {
		t.Errorf("gate after retagging: against %q, %v", gr.Against, err)
	}
}

// After a new split (split --fresh), test articles may be ones a model
// trained or chose on under the split it trained with; scored on them it
// looks better than it is. The gate leaves them out, says so, and gates on
// the rest: here the production model and the candidates trained at
// splits@1, where a000-a009 were training articles, and splits@2 deals
// those to test (the models "predict" them perfectly, as a memorised
// training article can be).
func TestRun_LeavesOutArticlesAModelTrainedOn(t *testing.T) {
	ctx := context.Background()
	p := newPlanted(t, "")
	gatetest.Rewrite(t, p.l, spec.Split, spec.Splits, p.f, func(rb *lake.RowBuilder) {
		for i := range 120 {
			split := "test"
			if i >= 10 && i < 50 {
				split = "train"
			}
			rb.String("id", fmt.Sprintf("a%03d", i))
			rb.String("split", split)
			rb.String("run_id", "fresh")
			rb.EndRow()
		}
	})
	var preds []evaltest.Prediction
	for _, row := range testutil.QueryStrings(t, p.l, "SELECT id || ',' || depth || ',' || clarity FROM eval_tiny.labels WHERE id < 'a010' ORDER BY id") {
		var id string
		var d, c float64
		parts := strings.Split(row, ",")
		id = parts[0]
		fmt.Sscan(parts[1], &d)
		fmt.Sscan(parts[2], &c)
		overall, _ := p.f.ScoreOf(map[string]float64{"depth": d, "clarity": c})
		for _, m := range []string{"prod", "better", "equal", "worse"} {
			preds = append(preds, evaltest.Prediction{ID: id, Model: m, Split: "test", Depth: d, Clarity: c, Overall: overall})
		}
	}
	if len(preds) != 40 {
		t.Fatalf("planted %d predictions of a000-a009, want 40", len(preds))
	}
	evaltest.WritePredictions(t, p.l, p.f, preds)
	res, err := gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: "better", Bootstrap: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	warned := strings.Join(res.Warnings, "\n")
	t.Log(warned)
	if res.Articles != 70 || !strings.Contains(warned, "10 of the 80 test articles") || !strings.Contains(warned, "prod") || !strings.Contains(warned, "better") {
		t.Errorf("gated %d articles, warned %q; want 70 (the 80 of test but the 10 the models trained on), and a warning naming both models", res.Articles, warned)
	}
	// Every gated article seen: an error saying so, not a verdict.
	gatetest.Rewrite(t, p.l, spec.Split, spec.Splits, p.f, func(rb *lake.RowBuilder) {
		for i := range 120 {
			split := "train"
			if i < 10 {
				split = "test"
			}
			rb.String("id", fmt.Sprintf("a%03d", i))
			rb.String("split", split)
			rb.String("run_id", "fresh2")
			rb.EndRow()
		}
	})
	_, err = gate.Run(ctx, p.l, gate.Options{Filter: p.f, Candidate: "better", Bootstrap: 200, Seed: 1})
	t.Log(err)
	if !errors.Is(err, gate.ErrNoArticles) || !strings.Contains(fmt.Sprint(err), "trained") {
		t.Errorf("gating only articles the models trained on: %v, want ErrNoArticles saying why", err)
	}
}
