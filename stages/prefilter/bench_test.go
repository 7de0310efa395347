package prefilter_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/prefilter"
)

var (
	aiTechOnce sync.Once
	aiTechArts []prefilter.Article
)

// aiTech reads the real ai-tech sample as prefilter articles (once).
func aiTech(b *testing.B) []prefilter.Article {
	path := testutil.Shared(b, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz")
	aiTechOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			var r struct{ Title, Text, URL, Source string }
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				aiTechArts = append(aiTechArts, prefilter.Article{Title: r.Title, Content: r.Text, URL: r.URL, Source: r.Source})
			}
		}
	})
	return aiTechArts
}

// BenchmarkDecide runs the sustainability rules over the real ai-tech sample
// (5,129 scraped pages, rules on title + 3,000 characters) on one core and
// reports articles/s.
func BenchmarkDecide(b *testing.B) { benchDecide(b, load(b, stdv1)) }

// BenchmarkDecide_Languages is BenchmarkDecide with `languages: [en]`
// added: what language detection costs the prefilter.
func BenchmarkDecide_Languages(b *testing.B) {
	f := load(b, stdv1)
	f.Prefilter.Languages = []string{"en"}
	benchDecide(b, f)
}

// benchDecide decides the ai-tech sample with f's rules, one article an
// iteration, and reports articles/s.
func benchDecide(b *testing.B, f *filters.Filter) {
	arts := aiTech(b)
	rules, err := prefilter.Compile(f)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rules.Decide(arts[i%len(arts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}
