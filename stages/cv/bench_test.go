package cv_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/train"
)

// BenchmarkCV10 cross-validates the linear student with 10 folds on about
// 5,000 real ai-tech articles (the uplifting filter with its prefilter's
// topic rule off, keywords-oracle labels, the default split) and trains one
// student on the same lake, reporting both in seconds and their ratio
// (issue 16 asks for cv --folds 10 within 10x one train).
func BenchmarkCV10(b *testing.B) {
	ctx := context.Background()
	l, f := pipelinetest.BenchLake(b, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		tr, err := train.Run(ctx, l, train.Options{Filter: f})
		if err != nil {
			b.Fatal(err)
		}
		trainS := time.Since(t0).Seconds()
		var params struct {
			Iterations int `json:"iterations"`
		}
		if err := json.Unmarshal([]byte(tr.Model.Params), &params); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(params.Iterations), "train_iters")
		t0 = time.Now()
		res, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: 10})
		if err != nil {
			b.Fatal(err)
		}
		cvS, iters := time.Since(t0).Seconds(), 0
		for _, fd := range res.Folds {
			iters += fd.Iterations
		}
		b.ReportMetric(float64(res.RowsOut), "articles")
		b.ReportMetric(cvS, "cv10_s")
		b.ReportMetric(cvS/trainS, "cv10/train")
		b.ReportMetric(float64(iters)/float64(len(res.Folds)), "cv10_iters/fold")
		b.ReportMetric(trainS, "train_s")
	}
}
