package predict_test

import (
	"context"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
)

// BenchmarkPredict scores the whole ai-tech sample (about 5,000 real
// articles that pass the uplifting filter with its topic rule off; keywords
// labels) with a linear and an embed student trained on it once, every
// iteration a --full predict of every article. articles/s is the stage's
// own figure (reading the texts, scoring, building the rows); e2e_articles/s
// adds opening the model and the commit.
func BenchmarkPredict(b *testing.B) {
	ctx := context.Background()
	l, f := pipelinetest.BenchLake(b, []float64{0.8, 0.1, 0.1})
	for _, backend := range []string{"linear", "embed"} {
		res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: backend})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(backend, func(b *testing.B) {
			var n int64
			var stage, e2e float64
			for b.Loop() {
				t0 := time.Now()
				p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: res.Model.ID, Split: "all", Full: true})
				if err != nil {
					b.Fatal(err)
				}
				n += p.Predicted
				stage += p.PredictSecond
				e2e += time.Since(t0).Seconds()
			}
			b.ReportMetric(float64(n)/float64(b.N), "articles")
			b.ReportMetric(float64(n)/stage, "articles/s")
			b.ReportMetric(float64(n)/e2e, "e2e_articles/s")
		})
	}
}
