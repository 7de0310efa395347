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

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/embed"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// --select random --budget N on a filter with none labeled picks the
// articles of --sample N with the same seed (and stratification); each
// label records random and N over the pool. A second run spends its budget
// on articles not labeled yet, each with probability N over what was left.
func TestRun_SelectRandomIsTheSample(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 200)
	srv, _ := fakeOpenAI(t, f)
	pool := passed(t, l, f)
	const n = 15
	for _, stratify := range []string{label.StratifyNone, label.StratifyTier} {
		a, b := "sample-"+stratify, "select-"+stratify
		if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, a), Sample: n, Stratify: stratify, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, b), Select: "random", Budget: n, Stratify: stratify, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if res.Labeled != n || res.Pool != pool || res.Selected["random"] != n {
			t.Errorf("%s: %+v", stratify, res)
		}
		if byA, byB := idsOf(t, l, f, a), idsOf(t, l, f, b); !slices.Equal(byA, byB) {
			t.Errorf("stratify %s: --sample labeled %v, --select random %v", stratify, byA, byB)
		}
	}
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE model = 'select-none' AND selected_by = 'random' AND abs(inclusion - %d/%d) < 1e-12 AND selection LIKE 'random budget=15 seed=5%%'", spec.Labels.For(f), n, pool)
	if got := testutil.QueryInt(t, l, q); got != n {
		t.Errorf("%d of %d labels record random and inclusion %d/%d", got, n, n, pool)
	}
	if got := testutil.QueryInt(t, l, fmt.Sprintf("SELECT count(*) FROM %s WHERE model = 'sample-none' AND selected_by = 'sample' AND abs(inclusion - %d/%d) < 1e-12", spec.Labels.For(f), n, pool)); got != n {
		t.Errorf("%d of %d sample labels record their inclusion", got, n)
	}
	// A second round (another seed): 15 more, none labeled before, each
	// with probability 15 over what the first round left.
	before := idsOf(t, l, f, "select-none")
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, "select-none"), Select: "random", Budget: n, Seed: 6})
	if err != nil || res.Labeled != n || res.Pool != pool-n {
		t.Fatalf("second round: %+v, %v", res, err)
	}
	after := idsOf(t, l, f, "select-none")
	if len(after) != 2*n {
		t.Errorf("two rounds of %d labeled %d articles", n, len(after))
	}
	q = fmt.Sprintf("SELECT count(*) FROM %s WHERE model = 'select-none' AND abs(inclusion - %d/%d) < 1e-12", spec.Labels.For(f), n, pool-n)
	if got := testutil.QueryInt(t, l, q); got != n {
		t.Errorf("second round: %d labels with inclusion %d/%d (first round: %v)", got, n, pool-n, before)
	}
}

// A selection stopped early (--target-count here; --max-cost or kill -9
// alike) resumes when the same command runs again: it labels the articles
// an uninterrupted run labels, spends its budget once, warns while
// incomplete, and the same articles carry the same inclusions; --repeat's
// later asks are finished too.
func TestRun_SelectResumes(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 200)
	srv, _ := fakeOpenAI(t, f)
	opts := func(model string, target int) label.Options {
		return label.Options{Filter: f, Oracle: openAI(t, srv.URL, model), Select: "random", Budget: 12, Stratify: label.StratifyTier,
			Seed: 4, Repeat: 2, TargetCount: target}
	}
	whole, err := label.Run(ctx, l, opts("whole", 0))
	if err != nil || whole.Labeled != 24 {
		t.Fatalf("uninterrupted: %+v, %v", whole, err)
	}
	first, err := label.Run(ctx, l, opts("stopped", 5))
	if err != nil || first.Labeled != 5 || !strings.Contains(strings.Join(first.Warnings, " "), "rerun the same command to finish it") {
		t.Fatalf("stopped early: %+v, %v", first, err)
	}
	rest, err := label.Run(ctx, l, opts("stopped", 0))
	if err != nil || rest.Labeled != 19 || strings.Contains(strings.Join(rest.Warnings, " "), "finish it") {
		t.Fatalf("resumed: labeled %d, warnings %v, %v", rest.Labeled, rest.Warnings, err)
	}
	again, err := label.Run(ctx, l, opts("stopped", 0))
	if err != nil || again.Labeled != 0 {
		t.Errorf("a third run of a finished selection labeled %d", again.Labeled)
	}
	q := func(model string) []string {
		return testutil.QueryStrings(t, l, fmt.Sprintf("SELECT id || ' ' || repeat || ' ' || round(inclusion, 9) FROM %s WHERE model = '%s' ORDER BY ALL", spec.Labels.For(f), model))
	}
	if w, s := q("whole"), q("stopped"); !slices.Equal(w, s) || len(w) != 24 {
		t.Errorf("resumed selection:\n%v\nuninterrupted:\n%v", s, w)
	}
}

// --select similar labels the articles nearest the seeds' mean embedding:
// checked against the same ranking computed in SQL from the embeddings
// table with array_cosine_similarity.
func TestRun_SelectSimilar(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 200)
	kw := oracle.NewKeywords(f)
	seeds := testutil.QueryStrings(t, l, "SELECT id FROM "+spec.Compressed.For(f).String()+" ORDER BY id LIMIT 3")
	opts := label.Options{Filter: f, Oracle: kw, Select: "similar", Budget: 12, Seeds: seeds}
	if _, err := label.Run(ctx, l, opts); !errors.As(err, new(*spec.NeedError)) || !strings.Contains(err.Error(), "distill embed") {
		t.Fatalf("similar before embed: %v", err)
	}
	emb, err := embed.Run(ctx, l, embed.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	res, err := label.Run(ctx, l, opts)
	if err != nil || res.Labeled != 12 || res.Selected["similar"] != 12 {
		t.Fatalf("similar: %+v, %v", res, err)
	}
	if len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, " "), "random share") {
		t.Errorf("similar alone should warn that it estimates nothing of the pool: %v", res.Warnings)
	}
	emTable := spec.Embeddings.For(f).String()
	want := testutil.QueryStrings(t, l, fmt.Sprintf(`WITH c AS (
		SELECT list_reduce(list(vector), (a, b) -> list_transform(list_zip(a, b), p -> p[1] + p[2])) AS v
		FROM %[1]s WHERE id IN ('%[2]s'))
		SELECT e.id FROM %[1]s e, c
		ORDER BY array_cosine_similarity(e.vector::FLOAT[256], c.v::FLOAT[256]) DESC LIMIT 12`, emTable, strings.Join(seeds, "','")))
	got := testutil.QueryStrings(t, l, fmt.Sprintf("SELECT id FROM %s WHERE selected_by = 'similar'", spec.Labels.For(f)))
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("similar labeled %v; SQL ranks first %v", got, want)
	}
	if q := fmt.Sprintf("SELECT count(*) FROM %s WHERE selection LIKE '%%encoder=%s' AND inclusion = 1", spec.Labels.For(f), emb.Encoder); testutil.QueryInt(t, l, q) != 12 {
		t.Errorf("the labels do not record the encoder %s and inclusion 1", emb.Encoder)
	}
	// Unknown seeds and strategies are refused, naming what to do.
	opts.Seeds = []string{"no-such-id"}
	if _, err := label.Run(ctx, l, opts); !errors.Is(err, label.ErrSelection) || !strings.Contains(err.Error(), "no-such-id") {
		t.Errorf("unknown seed: %v", err)
	}
	for _, bad := range []label.Options{
		{Select: "best", Budget: 3},
		{Select: "random"},
		{Budget: 3},
		{Select: "random", Budget: 3, Sample: 3},
		{Select: "similar", Budget: 3},
		{Select: "upper", Budget: 3},
		{Select: "random", Budget: 3, Seeds: seeds},
		{Select: "random", Budget: -3},
		{Select: "diverse", Budget: 3, Stratify: label.StratifyTier},
	} {
		bad.Filter, bad.Oracle = f, kw
		if _, err := label.Run(ctx, l, bad); !errors.Is(err, label.ErrOptions) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// --select diverse draws from every cluster of the embeddings; the weights
// (1/inclusion) of its labels add up to the pool.
func TestRun_SelectDiverse(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 200)
	if _, err := embed.Run(ctx, l, embed.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), Select: "diverse", Budget: 20, Seed: 3})
	if err != nil || res.Labeled != 20 || res.Selected["diverse"] != 20 {
		t.Fatalf("diverse: %+v, %v", res, err)
	}
	var sum float64
	for _, s := range testutil.QueryStrings(t, l, fmt.Sprintf("SELECT (1 / inclusion)::VARCHAR FROM %s", spec.Labels.For(f))) {
		var w float64
		fmt.Sscan(s, &w)
		sum += w
	}
	if math.Abs(sum-float64(passed(t, l, f))) > 1e-6 {
		t.Errorf("diverse's weights sum to %g, the pool is %d", sum, passed(t, l, f))
	}
}

// A batch job of a selection: Collect, a later run with no --select, still
// records how each article was chosen.
func TestBatch_Select(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 60)
	srv, _ := fakeBatchAPI(t, f)
	t.Setenv("GEMINI_API_KEY", secret)
	g, err := oracle.NewGemini(ctx, "gemini-2.5-flash", srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := label.SubmitBatch(ctx, l, label.Options{Filter: f, Oracle: g, Select: "random", Budget: 8, Seed: 2})
	if err != nil || sub.Requests != 8 {
		t.Fatalf("submit: %+v, %v", sub, err)
	}
	for range 2 {
		if _, _, err := label.Collect(ctx, l, label.Options{Filter: f, Oracle: g}); err != nil {
			t.Fatal(err)
		}
	}
	pool := passed(t, l, f)
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE selected_by = 'random' AND abs(inclusion - 8/%d) < 1e-12 AND selection = 'random budget=8 seed=2'", spec.Labels.For(f), pool)
	// The fake fails the first request.
	if got, all := testutil.QueryInt(t, l, q), testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Labels.For(f).String()); got != 7 || all != 7 {
		t.Errorf("%d of %d collected labels record the selection, want 7 of 7", got, all)
	}
}
