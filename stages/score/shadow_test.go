package score_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/stages/train"
)

// Shadow scores production's articles with a candidate (trained with tier
// weights, so it differs) into <filter>.shadow without touching scores,
// and its figures equal the ones computed straight from the two tables;
// a rerun shadows nothing; production itself is refused as a candidate.
func TestShadow_ComparesOnRealTraffic(t *testing.T) {
	ctx := context.Background()
	l, f := aiTech.Open(t)
	prod := trainAndTag(t, l, f)
	// Rescore: the lake is shared with the other tests, whose production
	// models scored it before.
	if _, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true}); err != nil {
		t.Fatal(err)
	}
	cand, err := train.Run(ctx, l, train.Options{Filter: f, SampleWeight: "tier"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := l.Current(ctx, spec.Scores.For(f))
	res, err := score.Shadow(ctx, l, score.ShadowOptions{Filter: f, Candidate: cand.Model.ID})
	if err != nil {
		t.Fatal(err)
	}
	scores, shadow := spec.Scores.For(f).String(), spec.Shadows.For(f).String()
	n := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM "+scores)
	if res.Production != prod || res.RowsOut != n || res.Articles != n {
		t.Fatalf("shadow: production %s, %d written, %d compared; want %s, %d, %d", res.Production, res.RowsOut, res.Articles, prod, n, n)
	}
	if after, _ := l.Current(ctx, spec.Scores.For(f)); after.Seq != before.Seq {
		t.Errorf("shadow wrote scores: @%d -> @%d", before.Seq, after.Seq)
	}
	join := " FROM " + scores + " p JOIN " + shadow + " c ON c.id = p.id AND c.model = '" + cand.Model.ID + "' AND p.model = '" + prod + "'"
	flips := testutil.QueryInt(t, l, "SELECT count(*)"+join+" WHERE coalesce(p.tier, 'r') <> coalesce(c.tier, 'r')")
	if res.TierFlips != flips {
		t.Errorf("tier flips %d, straight from the tables %d", res.TierFlips, flips)
	}
	var overall *score.DimDiff
	for i := range res.Dimensions {
		if res.Dimensions[i].Dimension == "overall" {
			overall = &res.Dimensions[i]
		}
	}
	want := testutil.QueryStrings(t, l, "SELECT round(avg(abs(c.overall - p.overall)), 10)"+join+" WHERE p.passed AND c.passed")
	if overall == nil || fmt.Sprint(overall.MAE) != want[0] || overall.MAE == 0 || len(res.Dimensions) != len(f.Dimensions)+1 {
		t.Errorf("overall %+v, straight from the tables %v (dimensions %d)", overall, want, len(res.Dimensions))
	}
	var listed int64
	for _, fl := range res.Flips {
		listed += fl.Articles
	}
	if listed != flips || len(res.Changed) != int(math.Min(float64(flips), 20)) {
		t.Errorf("flips listed %d and %d articles shown, of %d", listed, len(res.Changed), flips)
	}
	again, err := score.Shadow(ctx, l, score.ShadowOptions{Filter: f, Candidate: cand.Model.ID})
	if err != nil || again.RowsOut != 0 || again.Articles != n {
		t.Fatalf("rerun: %+v, %v", again, err)
	}
	if _, err := score.Shadow(ctx, l, score.ShadowOptions{Filter: f, Candidate: prod}); !errors.Is(err, score.ErrOptions) {
		t.Errorf("production as the candidate: %v, want ErrOptions", err)
	}
}
