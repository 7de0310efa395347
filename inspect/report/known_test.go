package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
)

// knownLake is evaltest.Known's lake (filter eval_tiny: depth and clarity,
// tiers high >= 7, mid >= 4, low; nine labeled articles in three splits;
// models m1 and m2) with oracle calls and two evaluations added:
//
//   - labels (keywords oracle, 2026-01-01 00:00:00 to 00:00:08 UTC):
//     depth 8 6 2 4 5 2 6 7 10, clarity 8 4 2 4 5 6 2 10 10, so tiers
//     high 3 (t1, r3, r4), mid 5 (t2, t4, v1, r1, r2), low 1 (t3);
//   - splits: test t1 t2 t3 t4 (high, mid, low, mid), val v1 (mid),
//     train r1 r2 r3 r4 (mid, mid, high, high);
//   - oracle calls by gemini: gemini-2.5-flash $0.10 on 2026-01-01 and $0.20
//     (one failed) on 01-02, gemini-2.5-pro $0.30 on 01-04, so activity is
//     by day, four days, and the cost is two series of $0.30 each;
//   - the funnel: corpus.raw gets x1-x5 too (14 articles); the prefilter
//     passes the nine and x5, blocks x1 and x2 (min_chars) and x3
//     (exclude:lab_only) and has not seen x4; x5 is compressed but never
//     labeled: raw 14, passed 10, compressed 10, labeled 9, in a split 9;
//   - evaluations: m1 alone on test, then m1 --compare m2 (the latest run of
//     both, on t1-t3). m1 predicts (7, 8, 7.5), (5, 5, 5), (3, 6, 4.5) for
//     oracle (8, 8, 8), (6, 4, 5), (2, 2, 2): MAE depth 1, clarity 5/3,
//     overall 1, pooled 4/3, and t3 (low) lands in mid; m2 is exact.
func knownLake(t *testing.T) (*lake.Lake, *filters.Filter) {
	t.Helper()
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := evaltest.Known(t, l)
	writeCalls(t, l, f, []call{
		{"c1", "t1", "gemini", "gemini-2.5-flash", "ok", 0.10, day(1, 9)},
		{"c2", "t2", "gemini", "gemini-2.5-flash", "ok", 0.15, day(2, 10)},
		{"c3", "t2", "gemini", "gemini-2.5-flash", "failed", 0.05, day(2, 11)},
		{"c4", "t3", "gemini", "gemini-2.5-pro", "ok", 0.30, day(4, 8)},
	})
	writeFunnel(t, l, f)
	for _, o := range []evaluate.Options{{Filter: f, Model: "m1"}, {Filter: f, Model: "m1", Compare: "m2"}} {
		if _, err := evaluate.Run(ctx, l, o); err != nil {
			t.Fatal(err)
		}
	}
	return l, f
}

type call struct {
	key, id, oracle, model, status string
	cost                           float64
	at                             time.Time
}

func day(d, hour int) time.Time { return time.Date(2026, 1, d, hour, 0, 0, 0, time.UTC) }

func writeCalls(t *testing.T, l *lake.Lake, f *filters.Filter, calls []call) {
	t.Helper()
	ctx := context.Background()
	if err := l.EnsureTable(ctx, spec.OracleCalls.For(f), spec.OracleCalls.Schema(nil)); err != nil {
		t.Fatal(err)
	}
	p, err := l.WriteRows(ctx, spec.OracleCalls.For(f), func(rb *lake.RowBuilder) error {
		for _, c := range calls {
			rb.String("cache_key", c.key)
			rb.String("id", c.id)
			rb.String("oracle", c.oracle)
			rb.String("model", c.model)
			rb.String("status", c.status)
			rb.Long("tokens_in", 100)
			rb.Long("tokens_out", 20)
			rb.Double("cost_usd", c.cost)
			rb.Time("called_at", c.at)
			rb.EndRow()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, lake.Commit{Stage: "label"}); err != nil {
		t.Fatal(err)
	}
}

// writeFunnel adds what knownLake's comment says to corpus.raw,
// <filter>.prefiltered and <filter>.compressed.
func writeFunnel(t *testing.T, l *lake.Lake, f *filters.Filter) {
	t.Helper()
	writeTable(t, l, spec.Raw, nil, "ingest", func(rb *lake.RowBuilder) {
		for _, id := range []string{"x1", "x2", "x3", "x4", "x5"} {
			rb.String("id", id)
			rb.String("content_sha256", "sha-"+id)
			rb.EndRow()
		}
	})
	type decision struct{ id, reason, rule string }
	decisions := []decision{{"x1", "too_short:120_chars", "min_chars"}, {"x2", "too_short:80_chars", "min_chars"},
		{"x3", "excluded:lab_only", "exclude:lab_only"}, {"x5", "passed", "all"}}
	for _, id := range []string{"t1", "t2", "t3", "t4", "v1", "r1", "r2", "r3", "r4"} {
		decisions = append(decisions, decision{id, "passed", "all"})
	}
	writeTable(t, l, spec.Prefiltered, f, "prefilter", func(rb *lake.RowBuilder) {
		for _, d := range decisions {
			rb.String("id", d.id)
			rb.Bool("passed", d.rule == "all")
			rb.String("reason", d.reason)
			rb.String("rule", d.rule)
			rb.EndRow()
		}
	})
	writeTable(t, l, spec.Compressed, f, "compress", func(rb *lake.RowBuilder) {
		rb.String("id", "x5")
		rb.String("text", "text of x5")
		rb.EndRow()
	})
}

func writeTable(t *testing.T, l *lake.Lake, tb *spec.Table, f *filters.Filter, stage string, fill func(*lake.RowBuilder)) {
	t.Helper()
	ctx := context.Background()
	if err := l.EnsureTable(ctx, tb.For(f), tb.Schema(f)); err != nil {
		t.Fatal(err)
	}
	p, err := l.WriteRows(ctx, tb.For(f), func(rb *lake.RowBuilder) error { fill(rb); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, lake.Commit{Stage: stage}); err != nil {
		t.Fatal(err)
	}
}
