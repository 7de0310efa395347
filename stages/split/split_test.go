package split_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	distillery "github.com/distillery/distillery"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/split"
)

func loadFilter(t *testing.T) *filters.Filter {
	return testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
}

// words makes a text of n distinct-looking words from a seed, so that
// unrelated articles share no shingles.
func words(seed string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%dw%d", seed, i%7, i)
	}
	return out
}

// tierScore is a score that puts an article (all dimensions equal) in a tier.
var tierScore = map[string]float64{"deployed": 9, "early_commercial": 7, "pilot": 5, "vaporware": 2}

// articles makes n unrelated articles per tier, ids prefixed by prefix.
func articles(prefix string, perTier map[string]int) []labeltest.Article {
	var out []labeltest.Article
	for tier, n := range perTier {
		for i := range n {
			id := fmt.Sprintf("%s-%s-%04d", prefix, tier, i)
			out = append(out, labeltest.Article{ID: id, Text: strings.Join(words(id, 60), " "), Score: tierScore[tier]})
		}
	}
	return out
}

func splitsOf(t *testing.T, l *lake.Lake, ref string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if strings.Contains(ref, "@") {
		ref = `"` + ref + `"`
	}
	for _, row := range testutil.QueryStrings(t, l, `SELECT id || '=' || split FROM `+ref) {
		id, s, _ := strings.Cut(row, "=")
		out[id] = s
	}
	return out
}

// checkStrata checks every stratum's split counts against the ratios: within
// tol articles (tolArticles) or tol share (tolShare) for strata of minSize or more.
func checkStrata(t *testing.T, res *split.Result, ratios []float64, tolArticles float64, tolShare float64, minSize int64) {
	t.Helper()
	for _, s := range res.Strata {
		for i, n := range []int64{s.Train, s.Val, s.Test} {
			want := ratios[i] * float64(s.Articles)
			if tolArticles > 0 && math.Abs(float64(n)-want) > tolArticles {
				t.Errorf("stratum %s (%d articles): split %d has %d, want %.1f ± %g", s.Stratum, s.Articles, i, n, want, tolArticles)
			}
			if tolShare > 0 && s.Articles >= minSize && math.Abs(float64(n)/float64(s.Articles)-ratios[i]) > tolShare {
				t.Errorf("stratum %s (%d articles): split %d share %.3f, want %.2f ± %g", s.Stratum, s.Articles, i, float64(n)/float64(s.Articles), ratios[i], tolShare)
			}
		}
	}
}

func TestRun_FirstSplitIsWithinOneArticleOfTheRatiosPerStratum(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	for _, ratios := range [][]float64{{0.8, 0.1, 0.1}, {0.7, 0.15, 0.15}, {0.6, 0.4, 0}} {
		t.Run(fmt.Sprint(ratios), func(t *testing.T) {
			l := testutil.NewLake(t)
			labeltest.Write(t, l, f, articles("a", map[string]int{"deployed": 57, "early_commercial": 103, "pilot": 251, "vaporware": 409}))
			res, err := split.Run(ctx, l, split.Options{Filter: f, Ratios: ratios})
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != "first" || res.Articles != 820 || res.New != 820 || len(res.Strata) != 4 {
				t.Fatalf("result = %+v", res)
			}
			checkStrata(t, res, ratios, 1, 0, 0)
			if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM "+spec.Splits.In(f.Namespace()).String()); got != 820 {
				t.Errorf("splits has %d distinct ids, want 820", got)
			}
			// Stratum is the tier; the split records the seed and the labels snapshot.
			if got := testutil.QueryInt(t, l, `SELECT count(*) FROM sustainability_tech_deployment.splits s JOIN sustainability_tech_deployment.labels l USING (id) WHERE s.stratum <> l.tier OR s.seed <> 42 OR s.labels_sequence <> 1`); got != 0 {
				t.Errorf("%d rows with a wrong stratum, seed or labels_sequence", got)
			}
		})
	}
}

func TestRun_StableWhenLabelsAreAdded(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	l := testutil.NewLake(t)
	labeltest.Write(t, l, f, articles("a", map[string]int{"early_commercial": 150, "pilot": 200, "vaporware": 150}))
	first, err := split.Run(ctx, l, split.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	before := splitsOf(t, l, "sustainability_tech_deployment.splits@1")

	// More articles, and 60 old ones relabeled into another tier (their
	// stratum changes, their split must not).
	more := articles("b", map[string]int{"deployed": 120, "early_commercial": 80, "pilot": 30, "vaporware": 250})
	for i := range 60 {
		id := fmt.Sprintf("a-pilot-%04d", i)
		more = append(more, labeltest.Article{ID: id, Text: strings.Join(words(id, 60), " "), Score: 9})
	}
	labeltest.Write(t, l, f, more)
	second, err := split.Run(ctx, l, split.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	after := splitsOf(t, l, "sustainability_tech_deployment.splits")
	moved := 0
	for id, s := range before {
		if after[id] != s {
			moved++
		}
	}
	if moved != 0 {
		t.Fatalf("%d of %d articles moved split after labels were added", moved, len(before))
	}
	if second.Mode != "incremental" || second.Kept != 500 || second.New != 480 || len(after) != 980 {
		t.Fatalf("second split = %+v (%d rows)", second, len(after))
	}
	checkStrata(t, second, []float64{0.8, 0.1, 0.1}, 0, 0.02, 100)
	if got := testutil.QueryInt(t, l, `SELECT count(*) FROM sustainability_tech_deployment.splits WHERE id LIKE 'a-%' AND assigned_run_id <> (SELECT any_value(run_id) FROM "sustainability_tech_deployment.splits@1")`); got != 0 {
		t.Errorf("%d old articles lost the run that assigned them", got)
	}
	// The same again changes nothing and writes no snapshot.
	third, err := split.Run(ctx, l, split.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if third.Mode != "unchanged" || third.Snapshot != second.Snapshot {
		t.Errorf("rerun = %s @%d, want unchanged @%d", third.Mode, third.Snapshot, second.Snapshot)
	}
	// A new seed moves nothing either; --fresh re-assigns everything.
	if _, err := split.Run(ctx, l, split.Options{Filter: f, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if got := splitsOf(t, l, "sustainability_tech_deployment.splits"); !sameMap(got, after) {
		t.Error("another seed moved articles that had a split")
	}
	fresh, err := split.Run(ctx, l, split.Options{Filter: f, Seed: 7, Fresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Mode != "fresh" || fresh.Kept != 0 {
		t.Errorf("fresh = %+v", fresh)
	}
	checkStrata(t, fresh, []float64{0.8, 0.1, 0.1}, 1, 0, 0)
	_ = first
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// nearCopy replaces k words at the start (or the end) of a text.
func nearCopy(ws []string, k int, atEnd bool, tag string) string {
	out := append([]string(nil), ws...)
	for i := range k {
		j := i
		if atEnd {
			j = len(out) - 1 - i
		}
		out[j] = tag + fmt.Sprint(i)
	}
	return strings.Join(out, " ")
}

func TestRun_DuplicateGroupsNeverStraddleSplits(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	l := testutil.NewLake(t)
	arts := articles("a", map[string]int{"pilot": 150, "vaporware": 150})
	// 20 groups of 4: the original, an exact copy under another id (same
	// content), and two near copies with a few words changed.
	for g := range 20 {
		base := words(fmt.Sprintf("g%02d", g), 200)
		text := strings.Join(base, " ")
		score := []float64{5, 2}[g%2]
		arts = append(arts,
			labeltest.Article{ID: fmt.Sprintf("g%02d-orig", g), Text: text, Score: score},
			labeltest.Article{ID: fmt.Sprintf("g%02d-copy", g), Text: text, Content: text, Score: score + 0.5},
			labeltest.Article{ID: fmt.Sprintf("g%02d-near1", g), Text: nearCopy(base, 3, false, "x"), Score: score},
			labeltest.Article{ID: fmt.Sprintf("g%02d-near2", g), Text: nearCopy(base, 3, true, "y"), Score: score},
		)
	}
	labeltest.Write(t, l, f, arts)
	res, err := split.Run(ctx, l, split.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Groups != 20 || res.InGroups != 80 {
		t.Fatalf("groups = %d with %d articles, want 20 with 80 (%+v)", res.Groups, res.InGroups, res)
	}
	if got := testutil.QueryInt(t, l, `SELECT count(*) FROM (SELECT dup_group FROM sustainability_tech_deployment.splits GROUP BY 1 HAVING count(DISTINCT split) > 1)`); got != 0 {
		t.Errorf("%d duplicate groups straddle splits", got)
	}
	if got := testutil.QueryInt(t, l, `SELECT count(DISTINCT dup_group) FROM sustainability_tech_deployment.splits WHERE id LIKE 'g%'`); got != 20 {
		t.Errorf("the 80 grouped articles have %d dup_group values, want 20", got)
	}
	// Groups are whole units in the ratios: every stratum within one group (4).
	checkStrata(t, res, []float64{0.8, 0.1, 0.1}, 4, 0, 0)
}

func TestRun_ArticleBridgingTwoSplitsIsExcluded(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	// A and B differ at both ends (similarity under the threshold); C, the
	// text they were both made from, is a near-duplicate of each.
	base := words("bridge", 120)
	a, b, c := nearCopy(base, 6, false, "p"), nearCopy(base, 6, true, "q"), strings.Join(base, " ")
	sa, sb, sc := compress.Signature(a), compress.Signature(b), compress.Signature(c)
	if compress.Similarity(sa, sb) >= 0.8 || compress.Similarity(sa, sc) < 0.8 || compress.Similarity(sb, sc) < 0.8 {
		t.Fatalf("fixture similarities A-B %.2f, A-C %.2f, B-C %.2f: want A-B < 0.8 <= A-C, B-C",
			compress.Similarity(sa, sb), compress.Similarity(sa, sc), compress.Similarity(sb, sc))
	}
	for seed := 1; seed < 60; seed++ {
		l := testutil.NewLake(t)
		arts := articles("a", map[string]int{"pilot": 40})
		arts = append(arts, labeltest.Article{ID: "A", Text: a, Score: 5}, labeltest.Article{ID: "B", Text: b, Score: 5})
		labeltest.Write(t, l, f, arts)
		if _, err := split.Run(ctx, l, split.Options{Filter: f, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		first := splitsOf(t, l, "sustainability_tech_deployment.splits")
		if first["A"] == first["B"] {
			continue // this seed put them together: try another
		}
		labeltest.Write(t, l, f, []labeltest.Article{{ID: "C", Text: c, Score: 5}})
		res, err := split.Run(ctx, l, split.Options{Filter: f, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		after := splitsOf(t, l, "sustainability_tech_deployment.splits")
		if after["C"] != "excluded" || after["A"] != first["A"] || after["B"] != first["B"] || res.Excluded != 1 {
			t.Fatalf("after adding C: A %s→%s, B %s→%s, C %s (excluded %d)", first["A"], after["A"], first["B"], after["B"], after["C"], res.Excluded)
		}
		note := testutil.QueryStrings(t, l, "SELECT note FROM sustainability_tech_deployment.splits WHERE id = 'C'")
		if len(note) != 1 || !strings.Contains(note[0], "duplicate of articles already in") {
			t.Errorf("note = %q", note)
		}
		return
	}
	t.Fatal("no seed put A and B in different splits")
}

func TestRun_LoweredThresholdThatWouldLeakFailsLoudly(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	base := words("bridge", 120)
	a, b := nearCopy(base, 6, false, "p"), nearCopy(base, 6, true, "q")
	for seed := 1; seed < 60; seed++ {
		l := testutil.NewLake(t)
		arts := append(articles("a", map[string]int{"pilot": 40}), labeltest.Article{ID: "A", Text: a, Score: 5}, labeltest.Article{ID: "B", Text: b, Score: 5})
		labeltest.Write(t, l, f, arts)
		if _, err := split.Run(ctx, l, split.Options{Filter: f, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		first := splitsOf(t, l, "sustainability_tech_deployment.splits")
		if first["A"] == first["B"] {
			continue
		}
		_, err := split.Run(ctx, l, split.Options{Filter: f, Seed: seed, NearThreshold: 0.3})
		if err == nil || !strings.Contains(err.Error(), "already spans") || !strings.Contains(err.Error(), "--fresh") {
			t.Fatalf("err = %v, want a loud leak error that suggests --fresh", err)
		}
		if got := testutil.QueryInt(t, l, "SELECT count(*) FROM (SELECT 1 FROM sustainability_tech_deployment.splits)"); got != 42 {
			t.Errorf("splits has %d rows after the refused split", got)
		}
		if _, err := split.Run(ctx, l, split.Options{Filter: f, Seed: seed, NearThreshold: 0.3, Fresh: true}); err != nil {
			t.Fatalf("--fresh: %v", err)
		}
		if got := splitsOf(t, l, "sustainability_tech_deployment.splits"); got["A"] != got["B"] {
			t.Errorf("after --fresh A is in %s and B in %s", got["A"], got["B"])
		}
		return
	}
	t.Fatal("no seed put A and B in different splits")
}

func TestRun_BalanceCapsTrainingTiersOnly(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	l := testutil.NewLake(t)
	labeltest.Write(t, l, f, articles("a", map[string]int{"deployed": 40, "early_commercial": 160, "pilot": 200, "vaporware": 600}))
	plain, err := split.Run(ctx, l, split.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	before := splitsOf(t, l, "sustainability_tech_deployment.splits")
	bal, err := split.Run(ctx, l, split.Options{Filter: f, Balance: true})
	if err != nil {
		t.Fatal(err)
	}
	if !sameMap(before, splitsOf(t, l, "sustainability_tech_deployment.splits")) {
		t.Error("--balance moved articles between splits")
	}
	// Training tiers after balance: none over 40%.
	rows := testutil.QueryStrings(t, l, `SELECT l.tier || '=' || count(*) FROM sustainability_tech_deployment.splits s
		JOIN sustainability_tech_deployment.labels l USING (id) WHERE s.split = 'train' AND NOT s.balanced_out GROUP BY l.tier ORDER BY 1`)
	total, counts := 0, map[string]int{}
	for _, r := range rows {
		var n int
		tier, v, _ := strings.Cut(r, "=")
		fmt.Sscan(v, &n)
		counts[tier] = n
		total += n
	}
	for tier, n := range counts {
		if float64(n) > 0.4*float64(total)+1 {
			t.Errorf("tier %s is %d of %d training articles after --balance", tier, n, total)
		}
	}
	if counts["deployed"] != 32 || counts["early_commercial"] != 128 || counts["pilot"] != 160 {
		t.Errorf("balance cut tiers under the cap: %v", counts)
	}
	if got := testutil.QueryInt(t, l, `SELECT count(*) FROM sustainability_tech_deployment.splits WHERE balanced_out AND split <> 'train'`); got != 0 {
		t.Errorf("%d val/test articles balanced out", got)
	}
	if len(bal.Balance) != 4 {
		t.Errorf("balance report = %+v", bal.Balance)
	}
	warned := false
	for _, w := range bal.Warnings {
		warned = warned || strings.Contains(w, "tier deployed") && strings.Contains(w, "under 10%")
	}
	if !warned {
		t.Errorf("no warning for the rare deployed tier: %q", bal.Warnings)
	}
	_ = plain
}

func TestCaps(t *testing.T) {
	for _, c := range []struct {
		counts map[string]int64
		share  float64
		want   map[string]int64
		warn   bool
	}{
		{map[string]int64{"a": 100, "b": 300, "c": 600}, 0.4, map[string]int64{"a": 100, "b": 200, "c": 200}, false},
		{map[string]int64{"a": 300, "b": 300, "c": 300}, 0.4, map[string]int64{"a": 300, "b": 300, "c": 300}, false},
		{map[string]int64{"a": 216, "b": 412, "c": 0}, 0.4, map[string]int64{"a": 216, "b": 216, "c": 0}, true},
		{map[string]int64{"a": 50}, 0.4, map[string]int64{"a": 50}, true},
		{map[string]int64{"a": 32, "b": 128, "c": 160, "d": 480}, 0.4, map[string]int64{"a": 32, "b": 128, "c": 160, "d": 213}, false},
	} {
		got, warn := split.Caps(c.counts, c.share)
		if !sameCounts(got, c.want) || (warn != "") != c.warn {
			t.Errorf("Caps(%v, %g) = %v, %q; want %v (warning %v)", c.counts, c.share, got, warn, c.want, c.warn)
		}
	}
}

func sameCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestRun_PinnedLabelsAndOptions(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	l := testutil.NewLake(t)
	labeltest.Write(t, l, f, articles("a", map[string]int{"pilot": 50}))
	labeltest.Write(t, l, f, articles("b", map[string]int{"pilot": 70}))
	ref, _ := lake.ParseRef("labels@1", f.Namespace())
	res, err := split.Run(ctx, l, split.Options{Filter: f, Labels: ref, StratifyBy: "overall_bin"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Articles != 50 || res.Labels != "sustainability_tech_deployment.labels@1" || res.Strata[0].Stratum != "4-6" {
		t.Errorf("split of labels@1 = %+v", res)
	}
	for _, bad := range []split.Options{
		{Filter: f, Ratios: []float64{0.8, 0.3, 0.1}},
		{Filter: f, StratifyBy: "nonsense_bin"},
		{Filter: f, Combine: "median"},
		{Filter: f, NearThreshold: 1.5},
	} {
		if _, err := split.Run(ctx, l, bad); err == nil {
			t.Errorf("options %+v: no error", bad)
		}
	}
}

// The last check before a split is written finds a group in two splits, and
// only grouped articles are read (an ungrouped article is its own group).
func TestStraddlingGroupsSQL(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	sess, err := l.Session(ctx, "sustainability_tech_deployment")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.ExecAll(ctx,
		"CREATE TEMP TABLE dup_members AS SELECT * FROM (VALUES ('a', 'a'), ('b', 'a'), ('c', 'c'), ('d', 'c'), ('e', 'e'), ('f', 'e')) t(id, dup_group)",
		`CREATE TEMP TABLE split_assigned AS SELECT * FROM (VALUES
			('a', 'train', 'a'), ('b', 'test', 'a'),     -- a leak
			('c', 'val', 'c'), ('d', 'val', 'c'),        -- one split
			('e', 'train', 'e'), ('f', 'excluded', 'e'), -- excluded aside
			('x', 'train', 'x'), ('y', 'test', 'y')      -- ungrouped
		) t(id, split, dup_group)`,
	); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = sess.Each(ctx, distillery.SQL("split/straddling_groups"), func(r *sql.Rows) error {
		var group string
		var splits []any
		var n int64
		if err := r.Scan(&group, &splits, &n); err != nil {
			return err
		}
		got = append(got, fmt.Sprintf("%s %v %d", group, splits, n))
		return nil
	})
	if err != nil || len(got) != 1 || got[0] != "a [test train] 2" {
		t.Fatalf("%v, %v", got, err)
	}
}

// --balance says what it left out, tier by tier, and warns when that is
// most of the training set: it once cut training from 288 to 45 articles
// without a word.
func TestRun_BalanceSaysWhatItLeftOut(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	l := testutil.NewLake(t)
	labeltest.Write(t, l, f, articles("a", map[string]int{"deployed": 10, "early_commercial": 10, "pilot": 10, "vaporware": 300}))
	res, err := split.Run(ctx, l, split.Options{Filter: f, Balance: true})
	if err != nil {
		t.Fatal(err)
	}
	var before, out int64
	for _, b := range res.Balance {
		before += b.Before
		out += b.LeftOut
		if b.LeftOut != b.Before-b.After {
			t.Errorf("tier %s: left out %d, before %d, after %d", b.Tier, b.LeftOut, b.Before, b.After)
		}
	}
	var vap split.TierBalance
	for _, b := range res.Balance {
		if b.Tier == "vaporware" {
			vap = b
		}
	}
	if res.BalancedOut != out || out*2 <= before || vap.LeftOut == 0 {
		t.Fatalf("balanced out %d (tiers say %d of %d); vaporware %+v", res.BalancedOut, out, before, vap)
	}
	if got := testutil.QueryInt(t, l, `SELECT count(*) FROM sustainability_tech_deployment.splits WHERE balanced_out`); got != out {
		t.Errorf("%d rows balanced out, the summary says %d", got, out)
	}
	line := fmt.Sprintf("balance left out %d of %d training articles: vaporware was cut to %d", out, before, vap.After)
	if d := res.Details(); !slices.Contains(d, line) {
		t.Errorf("details lack %q:\n%s", line, strings.Join(d, "\n"))
	}
	warned := false
	for _, w := range res.Warnings {
		warned = warned || strings.HasPrefix(w, "--balance left out more than half of the training set")
	}
	if !warned {
		t.Errorf("no warning that most of training was left out: %q", res.Warnings)
	}

	// A mild cut is reported, not warned about.
	l = testutil.NewLake(t)
	labeltest.Write(t, l, f, articles("b", map[string]int{"deployed": 100, "early_commercial": 100, "pilot": 100, "vaporware": 300}))
	res, err = split.Run(ctx, l, split.Options{Filter: f, Balance: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := strings.Join(res.Details(), "\n"); res.BalancedOut == 0 || !strings.Contains(d, fmt.Sprintf("balance left out %d of ", res.BalancedOut)) {
		t.Errorf("mild cut: balanced out %d, details:\n%s", res.BalancedOut, d)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "more than half") {
			t.Errorf("mild cut warned: %q", w)
		}
	}
}

// Seeds give independent assignments: two seeds' test sets share about as
// many articles as chance predicts (10 of 100 here: 100 × 100/1,000), not
// all or none of them (the seed was once mixed into the order so that every
// seed was a fixed permutation of one order).
func TestRun_SeedsAreIndependent(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	l := testutil.NewLake(t)
	labeltest.Write(t, l, f, articles("s", map[string]int{"vaporware": 1000}))
	var tests []map[string]bool
	for seed := 1; seed <= 8; seed++ {
		if _, err := split.Run(ctx, l, split.Options{Filter: f, Seed: seed, Fresh: true}); err != nil {
			t.Fatal(err)
		}
		test := map[string]bool{}
		for id, s := range splitsOf(t, l, spec.Splits.In(f.Namespace()).String()) {
			if s == "test" {
				test[id] = true
			}
		}
		if len(test) != 100 {
			t.Fatalf("seed %d: %d test articles, want 100", seed, len(test))
		}
		tests = append(tests, test)
	}
	total, pairs := 0, 0
	for i := range tests {
		for j := i + 1; j < len(tests); j++ {
			shared := 0
			for id := range tests[i] {
				if tests[j][id] {
					shared++
				}
			}
			if shared > 25 {
				t.Errorf("seeds %d and %d share %d of 100 test articles; chance gives about 10", i+1, j+1, shared)
			}
			total, pairs = total+shared, pairs+1
		}
	}
	if mean := float64(total) / float64(pairs); mean < 6 || mean > 14 {
		t.Errorf("seeds share %.1f test articles on average, chance gives 10", mean)
	}
}

// Labels of two oracles in one split are said: a student trained on them
// learns two judges at once. One oracle is not.
func TestRun_WarnsOfMixedOracles(t *testing.T) {
	ctx := context.Background()
	f := loadFilter(t)
	l := testutil.NewLake(t)
	arts := articles("m", map[string]int{"vaporware": 60})
	labeltest.Write(t, l, f, arts)
	res, err := split.Run(ctx, l, split.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(res.Warnings, "\n"); strings.Contains(w, "sources") {
		t.Errorf("one oracle, and a warning of mixed sources: %s", w)
	}
	more := articles("n", map[string]int{"vaporware": 20})
	for i := range more {
		more[i].Oracle, more[i].Model = "gemini", "gemini-2.5-pro"
	}
	labeltest.Write(t, l, f, more)
	res, err = split.Run(ctx, l, split.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(res.Warnings, "\n")
	if !strings.Contains(w, "come from 2 sources") || !strings.Contains(w, "gemini/gemini-2.5-pro") || !strings.Contains(w, ": 20") || !strings.Contains(w, ": 60") {
		t.Errorf("labels of two oracles, warned %q", w)
	}
}
