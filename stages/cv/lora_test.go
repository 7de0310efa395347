package cv_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
)

// TestLoRA_CV cross-validates the lora backend through the real Python
// trainer on a tiny BERT built from a config: its folds run one by one,
// each trained, calibrated on its validation fold and predicting its own
// fold through the trainer, and every article gets one out-of-fold
// prediction in range with raw and calibrated scores. `make test-trainer`
// sets DISTILL_PYTHON; without it the test skips and says so.
func TestLoRA_CV(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	ctx := context.Background()
	l, f := aiTechLake(t)
	base := pipelinetest.TinyBERT(t, python, l, "SELECT replace(text, chr(10), ' ') FROM uplifting.compressed ORDER BY id")
	res, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: 3,
		Student: train.Options{Backend: "lora", LoRA: train.LoRAOptions{Python: python, BaseModel: base, Epochs: 1, MaxLength: 128,
			BatchSize: 16, LR: 3e-3, Device: "cpu"}},
		Predict: predict.Options{Python: python, Device: "cpu", BatchSize: 32}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Folds) != 3 || res.RowsOut != res.RowsIn || len(res.Pooled) == 0 {
		t.Fatalf("lora cv: %d folds, %d of %d articles predicted, %d pooled rows", len(res.Folds), res.RowsOut, res.RowsIn, len(res.Pooled))
	}
	for _, fd := range res.Folds {
		if fd.Train+fd.Val+int64(fd.Articles) != res.RowsIn || fd.Iterations != 0 {
			t.Errorf("fold %d: trained on %d, chose on %d, predicted %d of %d (iterations %d: lora has none)", fd.Fold, fd.Train, fd.Val, fd.Articles, res.RowsIn, fd.Iterations)
		}
	}
	q := fmt.Sprintf(`SELECT count(*) FROM uplifting.predictions WHERE model = '%s'
AND (agency < 0 OR agency > 10 OR overall IS NULL OR tier IS NULL OR fold IS NULL OR agency_raw IS NULL OR calibration IS NULL)`, res.Model)
	if n := testutil.QueryInt(t, l, q); n != 0 {
		t.Errorf("%d lora out-of-fold predictions out of range, without a fold or without their raw and calibrated scores", n)
	}
	t.Logf("lora cv (tiny random BERT): pooled %+v", res.Pooled)
}
