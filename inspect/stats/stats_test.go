package stats_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/distillery/distillery/inspect/stats"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/split"
)

func TestRun_KnownDistribution(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	// 10 deployed (9), 30 early_commercial (7), 60 vaporware (2); one
	// dimension varies: deployment_stage = i % 11 for article i.
	var arts []labeltest.Article
	for i := range 100 {
		score := 2.0
		switch {
		case i < 10:
			score = 9
		case i < 40:
			score = 7
		}
		arts = append(arts, labeltest.Article{ID: fmt.Sprintf("a%03d", i), Text: fmt.Sprintf("text %d", i), Score: score,
			Scores: map[string]float64{"deployment_stage": float64(i % 11)}, Cost: 0.01})
	}
	labeltest.Write(t, l, f, arts)
	res, err := stats.Run(ctx, l, stats.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Articles != 100 || res.LabelRows != 100 || res.Labels != "sustainability_tech_deployment.labels@1" {
		t.Fatalf("res = %+v", res)
	}
	tiers := map[string]int64{}
	for _, tr := range res.Tiers {
		tiers[tr.Tier] = tr.Articles
	}
	// Tiers follow the overall score, which deployment_stage (weight 0.25) moves.
	var sum int64
	for _, n := range tiers {
		sum += n
	}
	if sum != 100 || len(res.Tiers) != 4 {
		t.Errorf("tiers = %+v", res.Tiers)
	}
	var ds, iq *stats.Dimension
	for i := range res.Dimensions {
		switch res.Dimensions[i].Name {
		case "deployment_stage":
			ds = &res.Dimensions[i]
		case "impact_magnitude":
			iq = &res.Dimensions[i]
		}
	}
	// deployment_stage: 0..10 repeated; 100 = 9 full cycles + 0..0: bins 0 has 10, others 9.
	for b, n := range ds.Histogram {
		want := int64(9)
		if b == 0 {
			want = 10
		}
		if n != want {
			t.Errorf("deployment_stage histogram bin %d = %d, want %d", b, n, want)
		}
	}
	if ds.Min != 0 || ds.Max != 10 {
		t.Errorf("deployment_stage min/max = %g/%g", ds.Min, ds.Max)
	}
	if want := (10*9 + 30*7 + 60*2) / 100.0; math.Abs(iq.Mean-want) > 1e-9 || iq.Histogram[9] != 10 || iq.Histogram[7] != 30 || iq.Histogram[2] != 60 {
		t.Errorf("impact_magnitude = %+v, want mean %g", iq, want)
	}
	if len(res.Sources) != 1 || res.Sources[0].Labels != 100 || math.Abs(res.Sources[0].CostUSD-1) > 1e-9 || res.Sources[0].FilterSHA256 != f.SHA256 {
		t.Errorf("sources = %+v", res.Sources)
	}
	if math.Abs(res.Cost.LabelCostUSD-1) > 1e-9 {
		t.Errorf("cost = %+v", res.Cost)
	}
	// Warnings name the tiers outside 10-40%.
	joined := strings.Join(res.Warnings, "\n")
	for tier, n := range tiers {
		share := float64(n) / 100
		if (share < 0.1 || share > 0.4) != strings.Contains(joined, "tier "+tier+" ") {
			t.Errorf("tier %s at %.0f%%: warnings %q", tier, 100*share, res.Warnings)
		}
	}

	// Per split, and with the split balance.
	if _, err := split.Run(ctx, l, split.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	train, err := stats.Run(ctx, l, stats.Options{Filter: f, Split: "train"})
	if err != nil {
		t.Fatal(err)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.splits WHERE split = 'train'"); train.Articles != n || len(train.Balance) == 0 {
		t.Errorf("train stats: %d articles, want %d; balance %+v", train.Articles, n, train.Balance)
	}
	// A tagged labels snapshot is what stats describes.
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "new", Text: "new", Score: 9}})
	if _, err := l.Tag(ctx, "v1", lake.Ref{TableName: lake.TableName{Namespace: f.Namespace(), Table: "labels"}, At: "1"}, false); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]int64{"labels@v1": 100, "labels@2": 101, "labels": 101} {
		r, _ := lake.ParseRef(ref, f.Namespace())
		res, err := stats.Run(ctx, l, stats.Options{Filter: f, Labels: r})
		if err != nil || res.Articles != want {
			t.Errorf("stats of %s: %v articles (%v), want %d", ref, res, err, want)
		}
	}
	if _, err := stats.Run(ctx, l, stats.Options{Filter: f, Split: "holdout"}); err == nil {
		t.Error("split holdout: no error")
	}
}
