package agree_test

import (
	"context"
	"testing"

	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/agree"
)

// BenchmarkRun compares two oracles on 5,000 articles, one asked twice
// (15,000 labels, 8 dimensions): the whole agree run, writing included.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	f := testutil.Filter(b, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(b)
	labeltest.PlantNoisy(b, l, f, 5000, 1,
		labeltest.Noisy{Oracle: "gemini", Model: "gemini-2.5-flash", SD: 0.5, Asks: 2, Articles: 5000},
		labeltest.Noisy{Oracle: "gemini", Model: "gemini-2.5-pro", Offset: -1, SD: 0.7, Asks: 1, Articles: 5000})
	b.ResetTimer()
	for b.Loop() {
		res, err := agree.Run(ctx, l, agree.Options{Filter: f})
		if err != nil {
			b.Fatal(err)
		}
		if res.RowsIn != 15000 {
			b.Fatalf("read %d labels, want 15000", res.RowsIn)
		}
	}
	b.ReportMetric(float64(15000*b.N)/b.Elapsed().Seconds(), "labels/s")
}
