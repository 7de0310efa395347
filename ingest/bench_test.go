package ingest_test

import (
	"context"
	"os"
	"testing"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
)

// BenchmarkRun_AITechSample ingests the real ai-tech sample (5,129 articles,
// 16 MB gzip, 55 MB JSON) into a fresh lake per iteration; set
// DISTILL_BENCH_FILE to ingest another file (e.g. the sample unzipped).
func BenchmarkRun_AITechSample(b *testing.B) {
	path := os.Getenv("DISTILL_BENCH_FILE")
	if path == "" {
		path = testutil.Shared(b, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz")
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for b.Loop() {
		b.StopTimer()
		l := testutil.NewLake(b)
		b.StartTimer()
		res, err := ingest.Run(context.Background(), l, ingest.Options{Paths: []string{path}})
		if err != nil || res.RowsOut != 5129 {
			b.Fatalf("rows %d, err %v", res.RowsOut, err)
		}
	}
}
