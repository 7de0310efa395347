package drift_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/drift"
	"github.com/distillery/distillery/stages/drift/drifttest"
)

func TestRun_FlagsThePlantedShift(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			l, values := drifttest.Planted(t, f, seed)
			res, err := drift.Run(ctx, l, drift.Options{Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			if res.Window != "2026-W03" || len(res.Windows) != 2 || res.Windows[0].DatedByScoredAt != 20 || res.Windows[0].Articles != 330 ||
				res.Train != 300 || res.DatedByScoredAt != 20 {
				t.Fatalf("windows: %s %+v, train %d, dated by scored_at %d", res.Window, res.Windows, res.Train, res.DatedByScoredAt)
			}
			seen := map[string]int{}
			for _, r := range res.Rows {
				seen[r.Baseline]++
				if r.Dimension == "pass_rate" {
					if r.Baseline != "earlier" || r.Flagged || *r.Change != 0 {
						t.Errorf("pass rate: %+v", r)
					}
					continue
				}
				if !slices.Contains(f.DimensionNames(), r.Dimension) {
					continue
				}
				if want := slices.Contains(drifttest.Moved, r.Dimension); r.Flagged != want {
					t.Errorf("%s against %s: flagged %v, psi %.3f; want flagged %v", r.Dimension, r.Baseline, r.Flagged, *r.PSI, want)
				}
				if want := drifttest.PSI(values["recent"][r.Dimension], values[r.Baseline][r.Dimension]); math.Abs(*r.PSI-want) > 1e-9 {
					t.Errorf("%s against %s: psi %.6f, computed apart %.6f", r.Dimension, r.Baseline, *r.PSI, want)
				}
				if r.RecentArticles != 300 || r.BaselineArticles != 300 {
					t.Errorf("%s against %s: %d against %d articles", r.Dimension, r.Baseline, r.RecentArticles, r.BaselineArticles)
				}
			}
			if dims := len(f.Dimensions) + 2; seen["train"] != dims || seen["earlier"] != dims+1 || len(seen) != 2 {
				t.Errorf("rows per baseline: %v", seen)
			}
			for _, d := range drifttest.Moved {
				if !slices.Contains(res.Dimensions, d) {
					t.Errorf("flagged %v, want %s among them", res.Dimensions, d)
				}
			}
			if !strings.Contains(res.Next, "--select drift --budget 50") {
				t.Errorf("next: %q", res.Next)
			}
			// What the lake holds is what the run reported.
			checkLake(t, l, f, res)
		})
	}
}

func checkLake(t *testing.T, l *lake.Lake, f *filters.Filter, res *drift.Result) {
	t.Helper()
	sess, err := l.Session(context.Background(), f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var rows, flagged, runs int64
	var window string
	q := "SELECT count(*), count(*) FILTER (WHERE flagged), count(DISTINCT run_id), any_value(recent_window) FROM " + spec.Drifts.For(f).String() + " WHERE run_id = '" + res.RunID + "'"
	if err := sess.QueryRow(context.Background(), q, &rows, &flagged, &runs, &window); err != nil {
		t.Fatal(err)
	}
	if rows != res.RowsOut || rows != int64(len(res.Rows)) || flagged != int64(len(res.Flagged)) || runs != 1 || window != res.Window {
		t.Errorf("the lake holds %d rows (%d flagged) of window %s; the run reported %d (%d flagged) of %s", rows, flagged, window, len(res.Rows), len(res.Flagged), res.Window)
	}
}

// A newer window under MinArticles is listed, not compared: the newest
// window that large is; when none is, the newest is compared and reported,
// never flagged.
func TestRun_SmallWindowIsNotJudged(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l, _ := drifttest.Planted(t, f, 4)
	var few []labeltest.Scored
	for i := range 5 {
		few = append(few, labeltest.Scored{ID: fmt.Sprintf("N%d", i), Published: "2026-01-20", ScoredAt: time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC),
			Scores: map[string]float64{"impact_magnitude": 10, "scalability": 10}})
	}
	labeltest.WriteScores(t, l, f, few)
	res, err := drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Window != "2026-W03" || len(res.Windows) != 3 || res.Windows[0].Name != "2026-W04" || res.Windows[0].Position != 0 ||
		!slices.Equal(res.Dimensions[:2], drifttest.Moved) || !strings.Contains(strings.Join(res.Notes, "\n"), "2026-W04 (5)") {
		t.Fatalf("a newer window of 5: compared %s, windows %+v, flagged %v, notes %q", res.Window, res.Windows, res.Dimensions, res.Notes)
	}
	res, err = drift.Run(ctx, l, drift.Options{Filter: f, MinArticles: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Window != "2026-W04" || len(res.Flagged) != 0 || res.Next != "" {
		t.Fatalf("no window of 1000: %s, flagged %+v, next %q", res.Window, res.Flagged, res.Next)
	}
	for _, r := range res.Rows {
		if !strings.Contains(r.Note, "too few articles") {
			t.Errorf("%s against %s: note %q", r.Dimension, r.Baseline, r.Note)
		}
	}
	// Three windows: each earlier one is a baseline of its own too.
	if !slices.ContainsFunc(res.Rows, func(r drift.Row) bool { return r.Baseline == "2026-W02" }) {
		t.Errorf("no row against 2026-W02")
	}
	if !strings.Contains(strings.Join(res.Details(), "\n"), "not judged") {
		t.Errorf("details: %s", strings.Join(res.Details(), "\n"))
	}
}

func TestRun_Refuses(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	_, err := drift.Run(ctx, l, drift.Options{Filter: f})
	var need *spec.NeedError
	if !errors.Is(err, drift.ErrNoScores) || !errors.As(err, &need) || !strings.Contains(err.Error(), "distill score") {
		t.Errorf("no scores: %v", err)
	}
	for _, o := range []drift.Options{{}, {Filter: f, By: "month"}, {Filter: f, Threshold: -1}, {Filter: f, PassThreshold: 2}} {
		if _, err := drift.Run(ctx, l, o); !errors.Is(err, drift.ErrOptions) {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// --by day puts the undated articles in the day they were scored (after
// the newest published day, and too few to compare); --by run puts every
// score of one run in one window, compared with the training labels alone.
func TestRun_ByDayAndRun(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l, _ := drifttest.Planted(t, f, 6)
	res, err := drift.Run(ctx, l, drift.Options{Filter: f, By: drift.ByDay})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range res.Windows {
		names = append(names, fmt.Sprintf("%s:%d:%d", w.Name, w.Position, w.Articles))
	}
	if res.Window != "2026-01-13" || !slices.Equal(names, []string{"2026-01-14:0:20", "2026-01-13:1:310", "2026-01-06:2:330"}) {
		t.Errorf("by day: compared %s, windows %v", res.Window, names)
	}
	res, err = drift.Run(ctx, l, drift.Options{Filter: f, By: drift.ByRun})
	if err != nil {
		t.Fatal(err)
	}
	if res.Window != l.RunID || len(res.Windows) != 1 || res.DatedByScoredAt != 20 || slices.ContainsFunc(res.Rows, func(r drift.Row) bool { return r.Baseline != "train" }) {
		t.Errorf("by run: %s, %+v", res.Window, res.Windows)
	}
	if !slices.Contains(res.Dimensions, "impact_magnitude") {
		t.Errorf("by run against train: flagged %v", res.Dimensions)
	}
}
