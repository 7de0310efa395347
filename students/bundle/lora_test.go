package bundle_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/bundle"
)

// TestLoRA_ExportVerifyAndPredictPy trains a lora student on a tiny BERT
// built from a config, exports it, verifies it (the trainer predicting from
// the folder's adapter) and runs the folder's predict.py (transformers and
// peft, in the trainer's venv) against the lake's predictions. It needs the
// trainer: make test-trainer runs it.
func TestLoRA_ExportVerifyAndPredictPy(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	ctx := context.Background()
	l, f := trained(t)
	base := pipelinetest.TinyBERT(t, python, l, "SELECT replace(text, chr(10), ' ') FROM uplifting.compressed ORDER BY id")
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{
		Python: python, BaseModel: base, Epochs: 1, MaxLength: 128, BatchSize: 16, LR: 3e-3, Device: "cpu"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Model.ID
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: id, Python: python, Device: "cpu"}); err != nil {
		t.Fatal(err)
	}
	dir := exported(t, l, id)
	for _, want := range []string{"weights/adapter_config.json", "weights/distill_model.json", "calibration.json"} {
		if man, _ := bundle.ReadManifest(dir); !listed(man, want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	v, err := bundle.Verify(ctx, dir, l, bundle.VerifyOptions{Python: python})
	if err != nil || !v.OK || v.Checked == 0 || v.Tolerance != bundle.LoRATolerance {
		t.Fatalf("verify = %+v, %v (a student trained in fp32: tolerance %g)", v, err, bundle.LoRATolerance)
	}
	t.Logf("verify: %d articles, largest difference %.3g (tolerance %g)", v.Checked, v.MaxDiff, v.Tolerance)

	worst := predictPyAgrees(t, python, dir, l, id, res.Model.Dimensions)
	t.Logf("predict.py: largest difference %.3g", worst)
}

// TestLoRA_QuantizedAndMerged trains the lora student on a 4-bit base
// (bitsandbytes on the CPU: --quantize 4bit --device cpu), predicts with
// it as trained, exports it --merged, verifies the export on the CPU and,
// with the base model gone, scores it with predict.py from weights/merged/
// alone: the lake's predictions within LoRATolerance. A 4-bit export
// without --merged is refused by predict.py by name, not scored on a
// full-precision base it was not trained on.
func TestLoRA_QuantizedAndMerged(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	ctx := context.Background()
	l, f := trained(t)
	base := pipelinetest.TinyBERT(t, python, l, "SELECT replace(text, chr(10), ' ') FROM uplifting.compressed ORDER BY id")
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{
		Python: python, BaseModel: base, Epochs: 1, MaxLength: 128, BatchSize: 8, GradAccum: 2, LR: 3e-3, Device: "cpu", Quantize: "4bit"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Model.ID
	var params map[string]any
	if err := json.Unmarshal([]byte(res.Model.Params), &params); err != nil || params["quantize"] != "4bit" || params["grad_accum"] != 2.0 {
		t.Errorf("model params %s (%v): want quantize 4bit, grad_accum 2", res.Model.Params, err)
	}
	if p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: id, Python: python, Device: "cpu"}); err != nil {
		t.Fatal(err)
	} else if p.Quantize != "4bit" {
		t.Errorf("predict loaded the 4bit student's base as %q", p.Quantize)
	}
	plain := exported(t, l, id)
	cmd := exec.Command(python, filepath.Join(plain, "predict.py"), plain)
	cmd.Stdin = strings.NewReader(`{"id": "x", "text": "a"}` + "\n")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "trained on a 4bit base") {
		t.Errorf("predict.py on a 4bit export without merged/: %v\n%s", err, out)
	}

	parent := t.TempDir()
	dir := filepath.Join(parent, "merged-export")
	// --device cuda where torch sees no GPU: the trainer's refusal, and
	// nothing written.
	if _, err := bundle.Export(ctx, l, bundle.ExportOptions{Model: id, Dir: dir, Merged: true, Python: python, MergeDevice: "cuda"}); err == nil {
		t.Log("a CUDA device merged it; merging again on the CPU")
	} else if !strings.Contains(err.Error(), "CUDA") {
		t.Errorf("--merged --device cuda without a GPU: %v, want the trainer naming CUDA", err)
	} else if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("the refused merge left %v", entries)
	}
	if _, err := bundle.Export(ctx, l, bundle.ExportOptions{Model: id, Dir: dir, Merged: true, Python: python, MergeDevice: "cpu", Force: true}); err != nil {
		t.Fatal(err)
	}
	man, _ := bundle.ReadManifest(dir)
	for _, want := range []string{"weights/adapter_config.json", "weights/merged/config.json", "weights/merged/model.safetensors", "weights/merged/distill_merged.json"} {
		if !listed(man, want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	v, err := bundle.Verify(ctx, dir, l, bundle.VerifyOptions{Python: python, Device: "cpu"})
	if err != nil || !v.OK || v.Checked == 0 {
		t.Fatalf("verify = %+v, %v", v, err)
	}
	// Serving from merged/ needs no base model: take it away.
	if err := os.Rename(base, base+".gone"); err != nil {
		t.Fatal(err)
	}
	worst := predictPyAgrees(t, python, dir, l, id, res.Model.Dimensions)
	t.Logf("verify %d articles (largest difference %.3g); predict.py from merged/ alone: %.3g", v.Checked, v.MaxDiff, worst)

	// Rows predicted with --quantize overriding how the student trained are
	// not the folder's to match: verify compares the rows predicted as
	// trained (it compared all and failed with ErrMismatch).
	if err := os.Rename(base+".gone", base); err != nil {
		t.Fatal(err)
	}
	l.RunID = lake.NewRunID() // a distill predict of its own
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: id, Python: python, Device: "cpu", Quantize: "none", Full: true}); err != nil {
		t.Fatal(err)
	}
	if v, err := bundle.Verify(ctx, dir, l, bundle.VerifyOptions{Python: python, Device: "cpu"}); err != nil || !v.OK || v.Checked == 0 {
		t.Errorf("verify after a predict --quantize none: %+v, %v", v, err)
	}
}

// predictPyAgrees runs the export's predict.py on every article model id
// predicted and wants the lake's scores (within LoRATolerance), overall and
// tier; returns the largest difference.
func predictPyAgrees(t *testing.T, python, dir string, l *lake.Lake, id string, dims []string) float64 {
	t.Helper()
	where := " FROM uplifting.predictions p JOIN uplifting.compressed c ON c.id = p.id WHERE p.model = '" + id + "' ORDER BY p.id"
	in := testutil.QueryStrings(t, l, "SELECT to_json({'id': p.id, 'text': c.text})::VARCHAR"+where)
	want := testutil.QueryStrings(t, l, "SELECT to_json(p)::VARCHAR"+where)
	cmd := exec.Command(python, filepath.Join(dir, "predict.py"), dir)
	cmd.Stdin = strings.NewReader(strings.Join(in, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("predict.py: %v\n%s", err, stderrOf(err))
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("predict.py wrote %d lines for %d articles", len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		var g, w map[string]any
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(want[i]), &w)
		for _, k := range dims {
			d := math.Abs(g[k].(float64) - w[k].(float64))
			worst = math.Max(worst, d)
			if d > bundle.LoRATolerance {
				t.Errorf("article %v %s: predict.py %v, lake %v", w["id"], k, g[k], w[k])
			}
		}
		if d := math.Abs(g["overall"].(float64) - w["overall"].(float64)); d > 0.01+1e-9 || (d == 0 && g["tier"] != w["tier"]) {
			t.Errorf("article %v: overall/tier %v/%v, lake %v/%v", w["id"], g["overall"], g["tier"], w["overall"], w["tier"])
		}
	}
	return worst
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
