package train_test

import (
	"context"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
)

// BenchmarkLinear trains the Go student on about 5,000 real ai-tech
// articles (the uplifting filter with its prefilter's topic rule off, so
// nearly every article passes; keywords-oracle labels; a 98/1/1 split) and
// predicts all of them, reporting training seconds and articles/s.
func BenchmarkLinear(b *testing.B) {
	ctx := context.Background()
	l, f := pipelinetest.BenchLake(b, []float64{0.98, 0.01, 0.01})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := train.Run(ctx, l, train.Options{Filter: f})
		if err != nil {
			b.Fatal(err)
		}
		trainS := time.Since(t0).Seconds()
		p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: res.Model.ID, Split: "all"})
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.Logf("model params: %s", res.Model.Params)
			b.ReportMetric(float64(res.Model.TrainRows), "train_rows")
			b.ReportMetric(trainS, "train_s")
			b.ReportMetric(p.ArticlesPerS, "predict_articles/s")
			b.ReportMetric(res.Model.ValMAE, "val_mae")
			b.ReportMetric(res.Model.BaseMAE, "baseline_val_mae")
		}
	}
}
