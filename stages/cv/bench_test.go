package cv_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
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
	f, err := filters.Load(filepath.Join(testutil.RepoRoot(b), "filters/uplifting/v1"))
	if err != nil {
		b.Fatal(err)
	}
	f.Prefilter.Positive.MinMatches = 0
	f.Prefilter.Exclude = nil
	f.SHA256 = "bench-" + f.SHA256
	l, err := lake.Create(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	sample := testutil.Shared(b, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz")
	if err := pipelinetest.ToSplit(ctx, l, f, []string{sample}, nil); err != nil {
		b.Fatal(err)
	}
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
