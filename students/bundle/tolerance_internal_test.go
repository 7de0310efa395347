package bundle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A lora folder's predictions are compared within the tolerance of the
// dtype its weights/distill_model.json says it trained in: bf16's rounding
// moves scores by hundredths between batchings, fp32's by 1e-6. --tolerance
// overrides either; a negative one is refused.
func TestVerify_LoRAToleranceFollowsTheTrainedDtype(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		meta string
		want float64
	}{
		{`{"dtype": "bf16"}`, LoRABF16Tolerance},
		{`{"dtype": "fp32"}`, LoRATolerance},
		{`{}`, LoRATolerance},
	} {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, WeightsDir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, WeightsDir, "distill_model.json"), []byte(c.meta), 0o644); err != nil {
			t.Fatal(err)
		}
		files, err := hashTree(dir)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(&Manifest{Format: Format, Version: Version, Model: ModelInfo{ID: "lora-x", Backend: "lora", Dimensions: []string{"a"}}, Filter: Filter{Name: "f", Version: 1}, Files: files})
		if err := os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if res, err := Verify(ctx, dir, nil, VerifyOptions{}); err != nil || res.Tolerance != c.want {
			t.Errorf("%s: tolerance %v (%v), want %g", c.meta, res, err, c.want)
		}
		if res, err := Verify(ctx, dir, nil, VerifyOptions{Tolerance: 0.5}); err != nil || res.Tolerance != 0.5 {
			t.Errorf("%s with --tolerance 0.5: %v (%v)", c.meta, res, err)
		}
		if _, err := Verify(ctx, dir, nil, VerifyOptions{Tolerance: -1}); err == nil {
			t.Errorf("%s: --tolerance -1 taken", c.meta)
		}
	}
}

// overall is rounded to 2 decimals: with every dimension within the
// tolerance, the rounded overall may be off by the tolerance and one more
// rounding step (at 0.15 it had no room for that step).
func TestVerify_OverallHasRoomForItsRounding(t *testing.T) {
	for _, tol := range []float64{LoRATolerance, LoRABF16Tolerance, 0.05} {
		want := map[string]any{"a": 5.0, "overall": 5.0, "tier": "high"}
		r := &VerifyResult{Tolerance: tol}
		r.compare("x", []string{"a"}, want, Scores{Dimensions: []float64{5 + tol*0.999}, Overall: 5 + tol + 0.004, Tier: "high"})
		if r.Mismatches != 0 {
			t.Errorf("tolerance %g, overall off by it and a rounding step: %+v", tol, r.Shown)
		}
		r = &VerifyResult{Tolerance: tol}
		r.compare("y", []string{"a"}, want, Scores{Dimensions: []float64{5}, Overall: 5 + tol + 0.02, Tier: "high"})
		if r.Mismatches != 1 {
			t.Errorf("tolerance %g: an overall 0.02 beyond it passed", tol)
		}
	}
}
