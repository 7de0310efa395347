package split_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/stats"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/split"
)

// generated makes n labeled articles: texts of 40 words from a 20,000-word
// vocabulary, 1% near-duplicates (one word changed) and 0.5% exact copies,
// scores skewed towards the low tiers as real corpora are.
func generated(f *filters.Filter, start, n int, rng *rand.Rand) []labeltest.Article {
	vocab := func() string { return "w" + strconv.Itoa(rng.IntN(20000)) }
	out := make([]labeltest.Article, 0, n)
	for i := range n {
		id := fmt.Sprintf("g%08d", start+i)
		var text string
		switch r := rng.IntN(1000); {
		case r < 10 && len(out) > 0:
			ws := strings.Fields(out[rng.IntN(len(out))].Text)
			ws[rng.IntN(len(ws))] = vocab()
			text = strings.Join(ws, " ")
		case r < 15 && len(out) > 0:
			text = out[rng.IntN(len(out))].Text
		default:
			ws := make([]string, 40)
			for j := range ws {
				ws[j] = vocab()
			}
			text = strings.Join(ws, " ")
		}
		base := []float64{1, 2, 3, 5, 7, 9}[min(rng.IntN(10), 5)]
		scores := map[string]float64{}
		for _, d := range f.DimensionNames() {
			scores[d] = min(10, max(0, base+float64(rng.IntN(3)-1)))
		}
		out = append(out, labeltest.Article{ID: id, Text: text, Scores: scores, Cost: 0.0004})
	}
	return out
}

// BenchmarkCuration builds a lake of CURATION_ROWS labels (default
// 1,000,000) and times, once each: distill stats, a first split, a split
// after 10,000 more labels, and a tier-distribution query in a fresh
// session. `make bench-curation` runs it.
func BenchmarkCuration(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CURATION_ROWS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	f := loadFilterB(b)
	l, err := lake.Create(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Now()
	for start := 0; start < n; start += 250_000 {
		if err := labeltest.WriteErr(ctx, l, f, generated(f, start, min(250_000, n-start), rng)); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("generated %d labels in %.1fs", n, time.Since(t0).Seconds())
	for i := 0; i < b.N; i++ {
		t := time.Now()
		st, err := stats.Run(ctx, l, stats.Options{Filter: f})
		if err != nil || st.Articles != int64(n) {
			b.Fatalf("stats: %v (%+v)", err, st)
		}
		statsS := time.Since(t).Seconds()

		t = time.Now()
		first, err := split.Run(ctx, l, split.Options{Filter: f, Fresh: true})
		if err != nil {
			b.Fatal(err)
		}
		splitS := time.Since(t).Seconds()

		if err := labeltest.WriteErr(ctx, l, f, generated(f, n+i*10_000, 10_000, rng)); err != nil {
			b.Fatal(err)
		}
		t = time.Now()
		again, err := split.Run(ctx, l, split.Options{Filter: f})
		if err != nil || again.New != 10_000 {
			b.Fatalf("incremental split: %v (%+v)", err, again)
		}
		incS := time.Since(t).Seconds()

		t = time.Now()
		sess, err := l.Session(ctx, f.Namespace())
		if err != nil {
			b.Fatal(err)
		}
		rows, err := sess.Query(ctx, "SELECT tier, count(*) FROM labels GROUP BY tier ORDER BY 2 DESC")
		if err != nil {
			b.Fatal(err)
		}
		tiers := 0
		for rows.Next() {
			tiers++
		}
		rows.Close()
		sess.Close()
		queryMS := float64(time.Since(t).Microseconds()) / 1000
		if i == 0 {
			b.ReportMetric(float64(n), "labels")
			b.ReportMetric(statsS, "stats_s")
			b.ReportMetric(splitS, "split_s")
			b.ReportMetric(incS, "split_after_10k_s")
			b.ReportMetric(queryMS, "tier_query_ms")
			b.ReportMetric(float64(first.Groups), "dup_groups")
			b.Logf("first split: %v groups (%d exact, %d near pairs), strata %d", first.Groups, first.ExactPairs, first.NearPairs, len(first.Strata))
		}
	}
}

func loadFilterB(b *testing.B) *filters.Filter {
	t := &testing.T{}
	return loadFilter(t)
}
