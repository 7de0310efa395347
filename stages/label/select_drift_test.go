package label_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/drift"
	"github.com/distillery/distillery/stages/drift/drifttest"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// --select drift labels the articles of the newest window whose scores of
// the dimensions the latest drift run flagged fall where the window moved
// away from the labels: here the 40 of 80 whose impact_magnitude is 9,
// where every label says 5.
func TestRun_SelectDrift(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), Select: "drift", Budget: 5}); err == nil {
		t.Fatal("--select drift on an empty lake: no error")
	}
	var labels []labeltest.Article
	split := map[string]string{}
	for i := range 60 {
		id := fmt.Sprintf("L%02d", i)
		labels = append(labels, labeltest.Article{ID: id, Text: "text of " + id, Score: 5})
		split[id] = "train"
	}
	labeltest.Write(t, l, f, labels)
	labeltest.WriteSplits(t, l, f, split)
	var scored []labeltest.Scored
	var ids, moved []string
	for i := range 80 {
		id := fmt.Sprintf("R%02d", i)
		s := labeltest.Scored{ID: id, Published: "2026-01-13", ScoredAt: time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC), Scores: map[string]float64{}}
		for _, d := range f.DimensionNames() {
			s.Scores[d] = 5
		}
		if i%2 == 0 {
			s.Scores["impact_magnitude"] = 9
			moved = append(moved, id)
		}
		scored = append(scored, s)
		ids = append(ids, id)
	}
	labeltest.WriteScores(t, l, f, scored)
	labeltest.WriteCompressed(t, l, f, ids)
	_, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), Select: "drift", Budget: 5})
	var need *spec.NeedError
	if !errors.As(err, &need) || !strings.Contains(err.Error(), "distill drift") {
		t.Errorf("--select drift before any drift run: %v", err)
	}
	dr, err := drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dr.Dimensions, "impact_magnitude") || slices.Contains(dr.Dimensions, "scalability") || !strings.Contains(dr.Next, "--select drift --budget 50") {
		t.Fatalf("drift flagged %v, next %q", dr.Dimensions, dr.Next)
	}
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), Select: "drift", Budget: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Labeled != 10 || res.Selected["drift"] != 10 || !strings.Contains(res.Selection, "drift budget=10") {
		t.Fatalf("--select drift: %+v", res)
	}
	q := "SELECT id FROM " + spec.Labels.For(f).String() + " WHERE selected_by = 'drift' AND inclusion = 1 ORDER BY id"
	got := testutil.QueryStrings(t, l, q)
	if len(got) != 10 {
		t.Fatalf("labels chosen by drift: %v", got)
	}
	for _, id := range got {
		if !slices.Contains(moved, id) {
			t.Errorf("--select drift labeled %s, whose scores sit where nothing moved", id)
		}
	}
}

// When drift compared with the student's own scores of the training
// articles, --select drift ranks against the same baseline (the student's
// scores are smoother than the oracle's whole-number labels: against the
// labels the middle bins of a flagged dimension look over-represented) and
// picks the moved articles. With only the dimensions flagged against train
// ranked, the labels' ranking picks them here too: this test guards the
// predictions path, it does not tell the two apart.
func TestRun_SelectDriftRanksAgainstDriftsBaseline(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	st := drifttest.NewStudent(21)
	drifttest.Predictions(t, l, f, "m1", st.Train(t, l, f, 400))
	var scored []labeltest.Scored
	var ids, moved []string
	for i := range 400 {
		id := fmt.Sprintf("R%03d", i)
		s := labeltest.Scored{ID: id, Published: "2026-01-13", ScoredAt: time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC), Scores: st.Scores(f)}
		if i%2 == 0 {
			s.Scores["impact_magnitude"] = math.Min(10, s.Scores["impact_magnitude"]+2.5)
			moved = append(moved, id)
		}
		scored = append(scored, s)
		ids = append(ids, id)
	}
	labeltest.WriteScores(t, l, f, scored)
	labeltest.WriteCompressed(t, l, f, ids)
	dr, err := drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if dr.TrainSource != "predictions:m1" || !slices.Contains(dr.Dimensions, "impact_magnitude") {
		t.Fatalf("drift: against %s flagged %v", dr.TrainSource, dr.Dimensions)
	}
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), Select: "drift", Budget: 40}); err != nil {
		t.Fatal(err)
	}
	got := testutil.QueryStrings(t, l, "SELECT id FROM "+spec.Labels.For(f).String()+" WHERE selected_by = 'drift'")
	n := 0
	for _, id := range got {
		if slices.Contains(moved, id) {
			n++
		}
	}
	if len(got) != 40 || n < 36 {
		t.Errorf("--select drift picked %d articles, %d of them moved; want 40, at least 36", len(got), n)
	}
}
