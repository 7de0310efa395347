package curate_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// alphaByDefinition is Krippendorff's interval alpha from its definition:
// D_o over the pairs within each unit weighted 1/(m_u - 1), D_e over every
// pair of pairable values, each a double loop.
func alphaByDefinition(units map[string][]float64) float64 {
	var all []float64
	var do float64
	for _, vs := range units {
		if len(vs) < 2 {
			continue
		}
		all = append(all, vs...)
		var s float64
		for i := range vs {
			for j := range vs {
				if i != j {
					s += (vs[i] - vs[j]) * (vs[i] - vs[j])
				}
			}
		}
		do += s / float64(len(vs)-1)
	}
	n := float64(len(all))
	var de float64
	for i := range all {
		for j := range all {
			if i != j {
				de += (all[i] - all[j]) * (all[i] - all[j])
			}
		}
	}
	return 1 - (do/n)/(de/(n*(n-1)))
}

func TestAgreements_RecoverOffsetAndNoise(t *testing.T) {
	ctx := context.Background()
	l, f := setup(t)
	values := labeltest.PlantNoisy(t, l, f, 300, 7,
		labeltest.Noisy{Oracle: "gemini", Model: "flash", SD: 0.3, Asks: 3, Articles: 300},
		labeltest.Noisy{Oracle: "gemini", Model: "pro", Offset: -1.5, SD: 0.6, Asks: 2, Articles: 200})
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, curate.Latest); err != nil {
		t.Fatal(err)
	}
	if err := curate.DefineAsks(ctx, sess); err != nil {
		t.Fatal(err)
	}
	pairs, all, err := curate.Agreements(ctx, sess, "", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]curate.Agreement{}
	for _, p := range pairs {
		got[p.A+"|"+p.B+"|"+p.Dimension] = p
	}
	// E|e1 - e2| = 2 sd / sqrt(pi) for normal noise; after the offset, the
	// pair's difference has sd sqrt(sd_a^2 + sd_b^2) and E|.| = sd sqrt(2/pi).
	selfMAE := func(sd float64) float64 { return 2 * sd / math.Sqrt(math.Pi) }
	covered := 0
	for _, d := range f.DimensionNames() {
		for _, c := range []struct {
			key  string
			want float64
			n    int64
		}{{"gemini/flash|gemini/flash|" + d, selfMAE(0.3), 300}, {"gemini/pro|gemini/pro|" + d, selfMAE(0.6), 200}} {
			g, ok := got[c.key]
			if !ok || g.Kind != "self" || g.Articles != c.n || math.Abs(*g.MAE-c.want) > 0.15*c.want {
				t.Errorf("%s: %+v; want self MAE %.3f on %d articles", c.key, g, c.want, c.n)
			}
		}
		g := got["gemini/flash|gemini/pro|"+d]
		if g.Kind != "pair" || g.Articles != 200 || g.AskPairs != 200*6 {
			t.Fatalf("%s: %+v", d, g)
		}
		// The 95% interval: within 3.5 standard errors of the truth always,
		// holding it for most dimensions.
		se := (*g.OffsetHigh - *g.OffsetLow) / (2 * 1.959964)
		if math.Abs(*g.Offset+1.5) > 3.5*se || se > 0.05 {
			t.Errorf("%s: offset %.3f [%.3f, %.3f] is far from -1.5", d, *g.Offset, *g.OffsetLow, *g.OffsetHigh)
		}
		if *g.OffsetLow <= -1.5 && -1.5 <= *g.OffsetHigh {
			covered++
		}
		after := math.Sqrt(0.3*0.3+0.6*0.6) * math.Sqrt(2/math.Pi)
		if math.Abs(*g.MAEAfterOffset-after) > 0.1*after || *g.MAE < 1.4 {
			t.Errorf("%s: MAE %.3f, after the offset %.3f; want about 1.5 and %.3f", d, *g.MAE, *g.MAEAfterOffset, after)
		}
		if *g.Spearman < 0.8 {
			t.Errorf("%s: Spearman %.3f; the oracles share the truth", d, *g.Spearman)
		}
	}
	if covered < len(f.Dimensions)-2 {
		t.Errorf("the offset's 95%% interval holds the truth for %d of %d dimensions", covered, len(f.Dimensions))
	}
	// Alpha across every ask equals the definition's double loop.
	for _, r := range all {
		vs, ok := values[r.Dimension]
		if !ok {
			continue
		}
		if want := alphaByDefinition(vs); r.Alpha == nil || math.Abs(*r.Alpha-want) > 1e-9 || r.Articles != 300 || r.Asks != 300*3+200*2 {
			t.Errorf("%s: alpha %v over %d articles, %d asks; by definition %.6f", r.Dimension, r.Alpha, r.Articles, r.Asks, want)
		}
	}
	if len(all) != len(f.Dimensions)+2 {
		t.Errorf("alpha rows: %d", len(all))
	}
	// Named: b - a as named, so the offset turns positive.
	pairs, _, err = curate.Agreements(ctx, sess, "gemini/pro", "gemini/flash")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, p := range pairs {
		kinds[p.Kind+":"+p.A+">"+p.B]++
		if p.Kind == "pair" && p.Dimension == "specificity" && (*p.Offset < 1.3 || *p.Offset > 1.7) {
			t.Errorf("pro→flash offset %.3f, want about +1.5", *p.Offset)
		}
	}
	if len(kinds) != 3 || kinds["pair:gemini/pro>gemini/flash"] != len(f.Dimensions)+2 {
		t.Errorf("named pairs: %v", kinds)
	}
}

func TestNoiseFloor(t *testing.T) {
	l, f := setup(t)
	labeltest.PlantNoisy(t, l, f, 150, 5,
		labeltest.Noisy{Oracle: "gemini", Model: "flash", SD: 0.5, Asks: 2, Articles: 150},
		labeltest.Noisy{Oracle: "gemini", Model: "pro", Offset: 1, SD: 0.5, Asks: 1, Articles: 60},
		labeltest.Noisy{Oracle: "openai", Model: "gpt", Offset: 1, SD: 0.5, Asks: 1, Articles: 40})
	// The latest label of an article is gpt's (its first 40), pro's (the
	// next 20) or flash's: no one oracle, no floor, and which ones say so.
	fl, err := noiseFloor(t, l, f, curate.Latest)
	if err != nil || fl == nil || len(fl.Mixed) != 3 || fl.SelfArticles != 0 {
		t.Fatalf("mixed labels' floor: %+v, %v", fl, err)
	}
	fl, err = noiseFloor(t, l, f, "oracle=gemini/flash")
	if err != nil {
		t.Fatal(err)
	}
	// Against the one sharing the most articles.
	if fl == nil || fl.Oracle != "gemini/flash" || fl.SelfArticles != 150 || fl.Other != "gemini/pro" || fl.InterArticles != 60 || fl.Answers != 1 {
		t.Fatalf("floor: %+v", fl)
	}
	all := fl.Dimensions[curate.AllDimensions]
	self, ideal, inter := all.SelfMAE, all.IdealMAE, all.InterMAE
	if want := 2 * 0.5 / math.Sqrt(math.Pi); self == nil || math.Abs(*self-want) > 0.1*want || ideal == nil || math.Abs(*ideal-*self/math.Sqrt2) > 1e-9 {
		t.Errorf("self-MAE %v (want about %.3f), ideal %v", self, want, ideal)
	}
	if inter == nil || *inter < 0.9 || fl.Dimensions["overall"].SelfMAE == nil {
		t.Errorf("inter-oracle MAE %v (offset 1), overall %+v", inter, fl.Dimensions["overall"])
	}
	// Averaging flash's two answers halves the ideal student's error.
	fl, err = noiseFloor(t, l, f, "mean,oracle=gemini/flash")
	if err != nil || fl == nil || fl.Answers != 2 || math.Abs(*fl.Dimensions[curate.AllDimensions].IdealMAE-*self/2) > 1e-9 {
		t.Fatalf("mean of two answers: %+v, %v", fl, err)
	}
	// Named by the combine rule: pro was asked once, so only the MAE against flash.
	fl, err = noiseFloor(t, l, f, "oracle=gemini/pro")
	if err != nil || fl == nil || fl.Oracle != "gemini/pro" || fl.SelfArticles != 0 || fl.Other != "gemini/flash" {
		t.Fatalf("pro's floor: %+v, %v", fl, err)
	}
	// One oracle asked once: no floor.
	one := testutil.NewLake(t)
	labeltest.PlantNoisy(t, one, f, 10, 5, labeltest.Noisy{Oracle: "gemini", Model: "flash", SD: 0.5, Asks: 1, Articles: 10})
	if fl, err := noiseFloor(t, one, f, curate.Latest); fl != nil || err != nil {
		t.Errorf("one oracle asked once: %+v, %v", fl, err)
	}
}

// noiseFloor is curate.NoiseFloor as eval calls it: after Prepare read the
// same labels in the caller's session.
func noiseFloor(t *testing.T, l *lake.Lake, f *filters.Filter, rule string) (*curate.Floor, error) {
	t.Helper()
	ctx := context.Background()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	ref := lake.Ref{TableName: spec.Labels.For(f)}
	if _, err := curate.Prepare(ctx, sess, f, ref, rule); err != nil {
		t.Fatal(err)
	}
	return curate.NoiseFloor(ctx, l, sess, f, ref, rule)
}

// TestAgreements_DuplicatesCountOnce: two articles with one text are one
// question, asked once for both (their labels share the text and the cache
// keys): a comparison counts it once, not twice.
func TestAgreements_DuplicatesCountOnce(t *testing.T) {
	ctx := context.Background()
	l, f := setup(t)
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var arts []labeltest.Article
	for i, id := range []string{"twin1", "twin2", "solo"} {
		text := "the same text"
		if id == "solo" {
			text = "another text"
		}
		for rep, score := range []float64{5, 7} {
			arts = append(arts, labeltest.Article{ID: id, Text: text, Score: score + float64(i), Oracle: "gemini", Model: "flash", Repeat: rep,
				CacheKey: fmt.Sprintf("%s-%d", text, rep), InputSHA: text, LabeledAt: t0.Add(time.Duration(len(arts)) * time.Second)})
		}
	}
	labeltest.Write(t, l, f, arts)
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, curate.Latest); err != nil {
		t.Fatal(err)
	}
	if err := curate.DefineAsks(ctx, sess); err != nil {
		t.Fatal(err)
	}
	// The offset's interval: Student's t's 97.5% quantile (sql/agree/t975.sql)
	// against the table's, to 0.003.
	for df, want := range map[int]float64{1: 12.706, 2: 4.303, 5: 2.571, 6: 2.447, 10: 2.228, 30: 2.042, 120: 1.980} {
		var got float64
		if err := sess.QueryRow(ctx, fmt.Sprintf("SELECT t975(%d)", df), &got); err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 0.003 {
			t.Errorf("t975(%d) = %.4f, want %.3f", df, got, want)
		}
	}
	pairs, _, err := curate.Agreements(ctx, sess, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		if p.Dimension == "overall" && (p.Kind != "self" || p.Articles != 2 || p.AskPairs != 2) {
			t.Errorf("%+v: want gemini/flash against itself on 2 questions (the twins are one)", p)
		}
	}
}
