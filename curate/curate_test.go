package curate_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

func setup(t *testing.T) (*lake.Lake, *filters.Filter) {
	t.Helper()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	return testutil.NewLake(t), f
}

// TestPrepare_TiersInSQLMatchTheLabeler checks that sql/labels/combined_tiers.sql
// computes every article's overall score, gatekeeper and tier exactly as the
// labeler (filters.Filter.ScoreOf, TierOf) did when it wrote the row.
func TestPrepare_TiersInSQLMatchTheLabeler(t *testing.T) {
	ctx := context.Background()
	l, f := setup(t)
	var arts []labeltest.Article
	x := uint64(12345)
	next := func() float64 { x = x*6364136223846793005 + 1442695040888963407; return float64(x >> 33 % 11) }
	for i := range 600 {
		scores := map[string]float64{}
		for _, d := range f.DimensionNames() {
			scores[d] = next()
		}
		arts = append(arts, labeltest.Article{ID: fmt.Sprintf("a%03d", i), Text: "t", Scores: scores})
	}
	labeltest.Write(t, l, f, arts)
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	p, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, curate.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if p.Articles != 600 || p.LabelRows != 600 {
		t.Fatalf("prepared %+v", p)
	}
	var diff, gated, tiers int64
	q := `SELECT count(*) FILTER (WHERE c.tier <> l.tier OR abs(c.overall - l.overall) > 1e-9 OR c.gated <> l.gatekeeper_applied),
		count(*) FILTER (WHERE c.gated), count(DISTINCT c.tier)
		FROM combined_labels c JOIN labels_input l USING (id)`
	if err := sess.QueryRow(ctx, q, &diff, &gated, &tiers); err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Errorf("%d of 600 articles get another overall, gatekeeper or tier in SQL than from the labeler", diff)
	}
	if gated == 0 || tiers != 4 {
		t.Errorf("fixture too narrow: %d gated, %d tiers", gated, tiers)
	}
}

func TestPrepare_CombineRules(t *testing.T) {
	ctx := context.Background()
	l, f := setup(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// x: labeled 9 (deployed), then relabeled 2; y: once, 7.
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "x", Text: "t", Score: 9, LabeledAt: t0}, {ID: "y", Text: "u", Score: 7, LabeledAt: t0}})
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "x", Text: "t", Score: 2, LabeledAt: t0.Add(time.Hour), Oracle: "gemini"}})
	for _, c := range []struct {
		rule, tier string
		overall    float64
	}{
		{curate.Latest, "vaporware", 2},
		{curate.Mean, "pilot", 5.5},
	} {
		sess, err := l.Session(ctx, f.Namespace())
		if err != nil {
			t.Fatal(err)
		}
		p, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, c.rule)
		if err != nil {
			t.Fatal(err)
		}
		var tier string
		var overall float64
		var n int64
		if err := sess.QueryRow(ctx, "SELECT tier, overall, n_labels FROM combined_labels WHERE id = 'x'", &tier, &overall, &n); err != nil {
			t.Fatal(err)
		}
		if tier != c.tier || overall != c.overall || n != 2 || p.Articles != 2 || p.LabelRows != 3 {
			t.Errorf("%s: x is %s %.2f from %d labels (%+v); want %s %.2f from 2", c.rule, tier, overall, n, p, c.tier, c.overall)
		}
		sess.Close()
	}
	// Pinned: labels@1 knows only the first label of x.
	sess, _ := l.Session(ctx, f.Namespace())
	defer sess.Close()
	ref, _ := lake.ParseRef("labels@1", f.Namespace())
	if _, err := curate.Prepare(ctx, sess, f, ref, curate.Latest); err != nil {
		t.Fatal(err)
	}
	var tier string
	if err := sess.QueryRow(ctx, "SELECT tier FROM combined_labels WHERE id = 'x'", &tier); err != nil || tier != "deployed" {
		t.Errorf("labels@1: x is %q (%v), want deployed", tier, err)
	}
	if _, err := curate.Prepare(ctx, sess, f, ref, "median"); err == nil {
		t.Error("combine median: no error")
	}
}

func TestPrepare_CombineOneOracle(t *testing.T) {
	ctx := context.Background()
	l, f := setup(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// keywords/test labels x 9 and y 7; gemini/pro labels x 2, twice (3 then 1).
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "x", Text: "t", Score: 9, LabeledAt: t0}, {ID: "y", Text: "u", Score: 7, LabeledAt: t0}})
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "x", Text: "t", Score: 3, LabeledAt: t0.Add(time.Hour), Oracle: "gemini", Model: "pro"}})
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "x", Text: "t", Score: 1, LabeledAt: t0.Add(2 * time.Hour), Oracle: "gemini", Model: "pro"}})
	for _, c := range []struct {
		rule     string
		articles int64
		overall  float64
		n        int64
	}{
		{"oracle=keywords/test", 2, 9, 1},
		{"oracle=gemini/pro", 1, 1, 2},
		{"mean,oracle=gemini/pro", 1, 2, 2},
		{" oracle=gemini/pro , mean ", 1, 2, 2},
		{"mean", 2, 13.0 / 3, 3},
	} {
		sess, err := l.Session(ctx, f.Namespace())
		if err != nil {
			t.Fatal(err)
		}
		p, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, c.rule)
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		var overall float64
		var n int64
		if err := sess.QueryRow(ctx, "SELECT overall, n_labels FROM combined_labels WHERE id = 'x'", &overall, &n); err != nil {
			t.Fatal(err)
		}
		if p.Articles != c.articles || math.Abs(overall-c.overall) > 0.006 || n != c.n {
			t.Errorf("%s: %d articles, x %.2f from %d labels; want %d, %.2f from %d", c.rule, p.Articles, overall, n, c.articles, c.overall, c.n)
		}
		w, err := curate.MixedWarning(ctx, sess, "the test", "combined_labels")
		if err != nil {
			t.Fatal(err)
		}
		if (w != "") != (c.rule == "mean") {
			t.Errorf("%s: mixing warning %q", c.rule, w)
		}
		sess.Close()
	}
	sess, _ := l.Session(ctx, f.Namespace())
	defer sess.Close()
	_, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, "oracle=openai/gpt-4o")
	if err == nil || !strings.Contains(err.Error(), "it has: gemini/pro (2 labels), keywords/test (2 labels)") {
		t.Errorf("an oracle with no labels: %v", err)
	}
	for rule, want := range map[string]curate.Combine{
		"oracle=simulate/offset=1,noise=0.5":       {Rule: "latest", Oracle: "simulate/offset=1,noise=0.5"},
		"mean,oracle=simulate/offset=1,noise=0.5":  {Rule: "mean", Oracle: "simulate/offset=1,noise=0.5"},
		"oracle=simulate/offset=1,noise=0.5, mean": {Rule: "mean", Oracle: "simulate/offset=1,noise=0.5"},
	} {
		if got, err := curate.ParseCombine(rule); err != nil || got != want {
			t.Errorf("combine %q: %+v, %v", rule, got, err)
		}
	}
	for _, bad := range []string{"oracle=gemini", "latest,mean", "oracle=a/b,oracle=c/d", "median", "oracle=/x", "x,oracle=a/b"} {
		if err := curate.CheckCombine(bad); err == nil {
			t.Errorf("combine %q: no error", bad)
		}
	}
}

// TestMixedWarning_Settings: labels of one model under two answer settings
// are two sources, and the warning says how to use one.
func TestMixedWarning_Settings(t *testing.T) {
	ctx := context.Background()
	l, f := setup(t)
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "x", Text: "t", Score: 5}, {ID: "y", Text: "u", Score: 5, Settings: "evidence=none"}})
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, curate.Latest); err != nil {
		t.Fatal(err)
	}
	w, err := curate.MixedWarning(ctx, sess, "the test", "combined_labels")
	if err != nil || !strings.Contains(w, "keywords/test evidence=none") || !strings.Contains(w, "--combine oracle=") {
		t.Errorf("warning %q, %v", w, err)
	}
}

// TestPrepare_MeanCountsAnAnswerOnce: an answer written twice (a relabel
// under --full served from the cache: one cache key) weighs once in mean.
func TestPrepare_MeanCountsAnAnswerOnce(t *testing.T) {
	ctx := context.Background()
	l, f := setup(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	labeltest.Write(t, l, f, []labeltest.Article{
		{ID: "x", Text: "t", Score: 10, LabeledAt: t0, CacheKey: "k0"},
		{ID: "x", Text: "t", Score: 7, LabeledAt: t0.Add(time.Minute), CacheKey: "k1", Repeat: 1},
		{ID: "x", Text: "t", Score: 10, LabeledAt: t0.Add(time.Hour), CacheKey: "k0"},
	})
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, "mean,oracle=keywords/test"); err != nil {
		t.Fatal(err)
	}
	var overall float64
	var n int64
	if err := sess.QueryRow(ctx, "SELECT overall, n_labels FROM combined_labels WHERE id = 'x'", &overall, &n); err != nil {
		t.Fatal(err)
	}
	if overall != 8.5 || n != 2 {
		t.Errorf("x: %.2f from %d labels, want 8.5 from its 2 answers", overall, n)
	}
}

func TestPrepare_NoLabels(t *testing.T) {
	ctx := context.Background()
	l, f := setup(t)
	sess, _ := l.Session(ctx, f.Namespace())
	defer sess.Close()
	if _, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, curate.Latest); !errors.Is(err, curate.ErrNoLabels) || !errors.Is(err, spec.ErrNotReady) {
		t.Errorf("err = %v, want ErrNoLabels", err)
	}
}
