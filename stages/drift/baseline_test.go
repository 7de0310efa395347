package drift_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/drift"
	"github.com/distillery/distillery/stages/drift/drifttest"
)

// A student's scores are smoother than the oracle's whole-number labels:
// with nothing moved, against the labels PSI flags the student's own shape
// (on the README's tour lake every dimension but two was flagged, PSI up to
// 13, with equal means); once the model that scored the stream predicted
// the training articles too, the train baseline is its own scores of them
// and nothing is flagged.
func TestRun_TrainBaselineIsTheStudentsOwnScores(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	st := drifttest.NewStudent(7)
	preds := st.Train(t, l, f, 400)
	var scored []labeltest.Scored
	for i := range 400 {
		a := labeltest.Scored{ID: fmt.Sprintf("S%04d", i), Published: "2026-01-13", ScoredAt: time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC), Scores: map[string]float64{}}
		a.Scores = st.Scores(f)
		scored = append(scored, a)
	}
	labeltest.WriteScores(t, l, f, scored)

	flagged := func(res *drift.Result) (n int) {
		for _, r := range res.Rows {
			if r.Baseline == "train" && r.Flagged && r.Dimension != "tier" && r.Dimension != "overall" {
				n++
			}
		}
		return n
	}
	res, err := drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.TrainSource != "labels" || flagged(res) == 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "--split train") {
		t.Fatalf("against the labels: source %q, %d dimensions flagged, notes %q; want labels, some flagged, the predict command", res.TrainSource, flagged(res), res.Notes)
	}
	drifttest.Predictions(t, l, f, "m1", preds)
	res, err = drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.TrainSource != "predictions:m1" || flagged(res) != 0 {
		t.Errorf("against the student's own scores: source %q, %d dimensions flagged; want none", res.TrainSource, flagged(res))
		for _, r := range res.Rows {
			if r.Flagged {
				t.Logf("%+v psi %v", r, *r.PSI)
			}
		}
	}
}

// A stream that did not move is not flagged, at the sizes a small filter
// sees: three weeks of 60 scored articles and 300 training labels, every
// score drawn from one distribution, eight seeds. With a fixed PSI of 0.2
// every one of those runs flagged something (the review: 12 of 12); the
// bound of chance for the counts and bins keeps them quiet, and a week
// judged one by one against each earlier week is shown, not flagged.
func TestRun_StableStreamIsNotFlagged(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	for seed := uint64(1); seed <= 8; seed++ {
		l := testutil.NewLake(t)
		rng := rand.New(rand.NewPCG(seed, 3))
		draw := func() float64 { return math.Max(0, math.Min(10, 5+1.5*rng.NormFloat64())) }
		var labels []labeltest.Article
		split := map[string]string{}
		for i := range 300 {
			s := map[string]float64{}
			for _, d := range f.DimensionNames() {
				s[d] = math.Round(draw())
			}
			id := fmt.Sprintf("L%04d", i)
			labels = append(labels, labeltest.Article{ID: id, Text: "text of " + id, Scores: s})
			split[id] = "train"
		}
		labeltest.Write(t, l, f, labels)
		labeltest.WriteSplits(t, l, f, split)
		var scored []labeltest.Scored
		for w, day := range []string{"2026-01-06", "2026-01-13", "2026-01-20"} {
			for i := range 60 {
				a := labeltest.Scored{ID: fmt.Sprintf("S%d-%03d", w, i), Published: day, ScoredAt: time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC), Scores: map[string]float64{}}
				for _, d := range f.DimensionNames() {
					a.Scores[d] = math.Round(draw())
				}
				scored = append(scored, a)
			}
		}
		labeltest.WriteScores(t, l, f, scored)
		res, err := drift.Run(ctx, l, drift.Options{Filter: f})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Rows {
			if r.Flagged {
				t.Errorf("seed %d: %s against %s flagged, PSI %.3f (chance %v), %d against %d articles", seed, r.Dimension, r.Baseline, *r.PSI, *r.Chance, r.RecentArticles, r.BaselineArticles)
			}
		}
	}
}

// The train baseline is the predictions of the model that scored the window
// compared, not of the newest row's model: a new production model that
// scored a few articles of a newer, smaller window does not change it (the
// review: every train row flagged, and a note naming the wrong model).
func TestRun_TrainBaselineIsTheWindowsModel(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	st := drifttest.NewStudent(11)
	drifttest.Predictions(t, l, f, "m1", st.Train(t, l, f, 400))
	var scored []labeltest.Scored
	for i := range 400 {
		a := labeltest.Scored{ID: fmt.Sprintf("S%04d", i), Published: "2026-01-13", ScoredAt: time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC), Scores: st.Scores(f)}
		scored = append(scored, a)
	}
	for i := range 3 {
		a := labeltest.Scored{ID: fmt.Sprintf("N%d", i), Published: "2026-01-20", ScoredAt: time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC), Model: "m2", Scores: map[string]float64{}}
		for _, d := range f.DimensionNames() {
			a.Scores[d] = 5
		}
		scored = append(scored, a)
	}
	labeltest.WriteScores(t, l, f, scored)
	res, err := drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Window != "2026-W03" || res.TrainSource != "predictions:m1" {
		t.Fatalf("window %s against %s; want 2026-W03 against m1's predictions", res.Window, res.TrainSource)
	}
	for _, r := range res.Rows {
		if r.Flagged {
			t.Errorf("%s against %s flagged, PSI %.3f", r.Dimension, r.Baseline, *r.PSI)
		}
	}
}

// A NaN score is left out of the bins and the means: it used to land in
// bin 10 and make the mean NaN, so --json failed after the run was
// committed.
func TestRun_NaNScoreIsLeftOut(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l, _ := drifttest.Planted(t, f, 5)
	odd := labeltest.Scored{ID: "NaN1", Published: "2026-01-13", ScoredAt: time.Date(2026, 1, 14, 9, 0, 0, 0, time.UTC), Scores: map[string]float64{}}
	for _, d := range f.DimensionNames() {
		odd.Scores[d] = 5
	}
	odd.Scores["impact_magnitude"] = math.NaN()
	labeltest.WriteScores(t, l, f, []labeltest.Scored{odd})
	res, err := drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("--json: %v", err)
	}
}
