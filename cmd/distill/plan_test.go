package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
)

// TestLoRA_CLIPlan runs `distill train --plan` as a user does: every lora
// flag the run would take reaches the trainer's plan (the --json object
// echoes them), the filter's dimensions are the head's labels, no lake is
// opened, and the human form names the fit and the fix.
func TestLoRA_CLIPlan(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	filter := filepath.Join(testutil.RepoRoot(t), "filters", "uplifting", "v1")
	f, err := filters.Load(filter)
	if err != nil {
		t.Fatal(err)
	}
	nowhere := filepath.Join(t.TempDir(), "no-lake")
	out, _ := distill(t, 0, "train", "--plan", "--json", "--lake", nowhere, "--filter", filter, "--python", python,
		"--base-model", "qwen2.5-7b", "--quantize", "4bit", "--gradient-checkpointing", "--grad-accum", "2",
		"--batch-size", "4", "--max-length", "256", "--lora-r", "8", "--lora-dropout", "0", "--gpu-memory", "12GiB")
	var doc struct {
		Fits      bool           `json:"fits"`
		PeakBytes int64          `json:"peak_bytes"`
		GPU       int64          `json:"gpu_memory_bytes"`
		Run       map[string]any `json:"run"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--plan --json printed %q: %v", out, err)
	}
	want := map[string]any{"num_labels": float64(len(f.Dimensions)), "max_length": 256.0, "batch_size": 4.0, "grad_accum": 2.0, "lora_r": 8.0,
		"lora_dropout": 0.0, "quantize": "4bit", "gradient_checkpointing": true, "base_model": "qwen2.5-7b"}
	for k, v := range want {
		if doc.Run[k] != v {
			t.Errorf("run.%s = %v, want %v (%v)", k, doc.Run[k], v, doc.Run)
		}
	}
	if !doc.Fits || doc.PeakBytes <= 0 || doc.GPU != 12<<30 {
		t.Errorf("fits %v, peak %d, GPU %d", doc.Fits, doc.PeakBytes, doc.GPU)
	}
	out, _ = distill(t, 0, "train", "--plan", "--lake", nowhere, "--filter", filter, "--python", python, "--base-model", "qwen2.5-7b")
	for _, s := range []string{"qwen2.5-7b", "fits", "no", "--gradient-checkpointing"} {
		if !strings.Contains(out, s) {
			t.Errorf("the plan's table lacks %q:\n%s", s, out)
		}
	}
	_, errOut := distill(t, 1, "train", "--plan", "--lake", nowhere, "--filter", filter, "--python", python, "--base-model", "nosuch")
	if !strings.Contains(errOut, "neither a built-in architecture") || strings.Contains(errOut, "exit status") {
		t.Errorf("a bad base model: %q", errOut)
	}
	if _, err := os.Stat(nowhere); !os.IsNotExist(err) {
		t.Errorf("--plan made a lake at %s (%v)", nowhere, err)
	}
}
