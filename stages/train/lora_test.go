package train_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
)

// TestLoRA_EndToEnd trains the lora backend through the real Python trainer
// (trainer/, run with $DISTILL_PYTHON) on a tiny BERT built from a config
// (no download), feeding it Arrow from the lake, then predicts the test
// split through it. `make test-trainer` sets DISTILL_PYTHON; without a
// Python that imports distill_trainer and torch the test skips and says so.
func TestLoRA_EndToEnd(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	ctx := context.Background()
	l, f := aiTechLake(t)
	// A tiny base model whose vocabulary is the lake's own words.
	base := pipelinetest.TinyBERT(t, python, l, "SELECT replace(text, chr(10), ' ') FROM uplifting.compressed ORDER BY id")

	var events int
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{
		Python: python, BaseModel: base, Epochs: 2, MaxLength: 128, BatchSize: 16, LR: 3e-3, Device: "cpu"},
		Progress: func(train.Progress) { events++ }})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if m.Backend != "lora" || m.BaseModel == "" || m.TrainRows == 0 || m.ValRows == 0 || m.ValMAE <= 0 || len(m.ValMAEDims) != len(f.Dimensions) || events == 0 {
		t.Fatalf("model %+v after %d progress events", m, events)
	}
	for _, name := range []string{"distill_model.json", "distill_run.json", "adapter_config.json"} {
		if _, err := os.Stat(filepath.Join(m.Dir(l), name)); err != nil {
			t.Errorf("artifact: %v", err)
		}
	}
	t.Logf("lora (tiny random BERT): validation MAE %.3f, training mean %.3f, %.0fs", m.ValMAE, m.BaseMAE, m.Seconds)
	// Calibration is fitted on the trainer's own validation predictions
	// (val_predictions.arrow): their MAE is the one the trainer reported.
	c := res.Calibration
	if c == nil || c.Name == "" || c.Points != int(m.ValRows) || math.Abs(c.RawMAE-m.ValMAE) > 1e-4 {
		t.Fatalf("calibration %+v, want one fitted on the %d validation predictions whose MAE the trainer reported (%.4f)", c, m.ValRows, m.ValMAE)
	}

	p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID, Python: python, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	nTest := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.splits WHERE split = 'test'")
	if p.Predicted != nTest {
		t.Fatalf("predicted %d, want %d", p.Predicted, nTest)
	}
	if p.Calibration != c.Name {
		t.Errorf("predict applied calibration %q, want %q", p.Calibration, c.Name)
	}
	q := "SELECT count(*) FROM uplifting.predictions WHERE model = '" + m.ID + "' AND (agency < 0 OR agency > 10 OR overall IS NULL OR tier IS NULL OR agency_raw IS NULL OR calibration IS NULL)"
	if n := testutil.QueryInt(t, l, q); n != 0 {
		t.Errorf("%d lora predictions out of range or without a tier", n)
	}
}
