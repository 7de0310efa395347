package train_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/train"
)

// TestLoRA_Plan runs the trainer's memory plan through train.Plan: the
// filter's dimensions become the head's labels, the run's flags reach the
// trainer, and --json is one object with fits and peak_bytes. Qwen2.5-7B at
// 512 tokens, batch 8, r 16 fits 16 GiB in 4bit with checkpointing (the seed
// design's claim) and not in bf16; more dimensions or a longer text never
// need less memory.
func TestLoRA_Plan(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	f, err := filters.Load(filepath.Join(testutil.RepoRoot(t), "filters", "uplifting", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	plan := func(o train.LoRAOptions) map[string]any {
		t.Helper()
		o.Python = python
		var out bytes.Buffer
		err := train.Plan(context.Background(), train.PlanOptions{Options: train.Options{Filter: f, Backend: "lora", LoRA: o}, GPUMemory: "16GiB", JSON: true}, &out)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || strings.Count(strings.TrimSpace(out.String()), "\n") != 0 {
			t.Fatalf("plan --json printed %q: %v", out.String(), err)
		}
		return doc
	}
	q := plan(train.LoRAOptions{BaseModel: "qwen2.5-7b", Quantize: "4bit", GradientCheckpointing: true})
	full := plan(train.LoRAOptions{BaseModel: "qwen2.5-7b"})
	if q["fits"] != true || full["fits"] != false {
		t.Errorf("qwen2.5-7b fits 16GiB: 4bit+checkpointing %v, bf16 %v; want true, false", q["fits"], full["fits"])
	}
	run := q["run"].(map[string]any)
	if run["num_labels"] != float64(len(f.Dimensions)) || run["quantize"] != "4bit" || run["gradient_checkpointing"] != true || run["max_length"] != 512.0 || run["batch_size"] != 8.0 {
		t.Errorf("the plan ran %v", run)
	}
	longer := plan(train.LoRAOptions{BaseModel: "qwen2.5-7b", Quantize: "4bit", GradientCheckpointing: true, MaxLength: 1024, GradAccum: 2})
	if longer["peak_bytes"].(float64) <= q["peak_bytes"].(float64) || longer["run"].(map[string]any)["grad_accum"] != 2.0 {
		t.Errorf("1024 tokens: peak %v, 512: %v", longer["peak_bytes"], q["peak_bytes"])
	}
	// The trainer's default base model (a hub id) plans with no download.
	if d := plan(train.LoRAOptions{}); d["architecture"].(map[string]any)["source"] != "Qwen/Qwen2.5-1.5B" {
		t.Errorf("the default base planned as %v", d["architecture"])
	}
}

// TestPlan_RefusesBeforeRunningPython: a plan of another backend, or a
// quantization the trainer has not, is refused by name without starting
// any Python (the interpreter given does not exist).
func TestPlan_RefusesBeforeRunningPython(t *testing.T) {
	nowhere := filepath.Join(t.TempDir(), "no-python")
	for _, c := range []struct {
		opts train.Options
		want error
		says string
	}{
		{train.Options{Backend: "linear"}, train.ErrPlanBackend, "not a linear one"},
		{train.Options{Backend: "lora", LoRA: train.LoRAOptions{Python: nowhere, Quantize: "3bit"}}, train.ErrLoRAOption, `quantize "3bit"`},
		{train.Options{Backend: "lora", LoRA: train.LoRAOptions{Python: nowhere, GradAccum: -1}}, train.ErrLoRAOption, "grad_accum -1"},
		// Every bad option at once.
		{train.Options{Backend: "lora", LoRA: train.LoRAOptions{Python: nowhere, Quantize: "4bits", GradAccum: -2, Dropout: new(1.5)}},
			train.ErrLoRAOption, `quantize "4bits": want none, 4bit, 8bit` + "\n" + "lora option: lora_dropout 1.5: want 0 or more, below 1\nlora option: grad_accum -2"},
	} {
		err := train.Plan(context.Background(), train.PlanOptions{Options: c.opts}, &bytes.Buffer{})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: %v, want %v saying %q", c.opts, err, c.want, c.says)
		}
	}
}
