package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/distillery/distillery/students/lora"
)

// PlanOptions ask the trainer's memory plan for a lora run: the run's
// Options (base model, dimensions, batch size, length, rank, quantization,
// checkpointing, accumulation) and the GPU's memory.
type PlanOptions struct {
	Options
	// GPUMemory is the GPU's memory as the trainer parses it: 16GiB, 24GB,
	// 80G or a number of bytes.
	GPUMemory string
	// JSON asks for one JSON object ({"fits": ..., "peak_bytes": ...}).
	JSON bool
}

// ErrPlanBackend is --plan asked of a backend other than lora.
var ErrPlanBackend = errors.New("--plan estimates a lora run's GPU memory")

// Plan runs the trainer's plan (`python -m distill_trainer plan`) for the
// lora run opts would make and copies what it prints to w. It reads no
// lake and loads no weights: the base model is a folder holding a
// config.json or a built-in architecture (qwen2.5-7b, qwen2.5-1.5b,
// gemma-3-1b, 1b, or their hub ids, the trainer's default among them).
func Plan(ctx context.Context, opts PlanOptions, w io.Writer) error {
	if opts.Backend != "" && opts.Backend != "lora" {
		return fmt.Errorf("%w, not a %s one: pass --backend lora", ErrPlanBackend, opts.Backend)
	}
	o := opts.LoRA
	if err := o.check(); err != nil {
		return err
	}
	o.defaults()
	args := []string{"plan", "--max-length", strconv.Itoa(o.MaxLength), "--batch-size", strconv.Itoa(o.BatchSize),
		"--grad-accum", strconv.Itoa(o.GradAccum), "--lora-r", strconv.Itoa(o.R),
		"--lora-dropout", strconv.FormatFloat(*o.Dropout, 'g', -1, 64), "--quantize", o.Quantize}
	if opts.Filter != nil {
		args = append(args, "--dimensions", strings.Join(opts.Filter.DimensionNames(), ","))
	}
	if o.BaseModel != "" {
		args = append(args, "--base-model", o.BaseModel)
	}
	if o.GradientCheckpointing {
		args = append(args, "--gradient-checkpointing")
	}
	if opts.GPUMemory != "" {
		args = append(args, "--gpu-memory", opts.GPUMemory)
	}
	if opts.JSON {
		args = append(args, "--json")
	}
	return lora.Run(ctx, lora.Command{
		Name:   "lora plan",
		Python: o.Python,
		Args:   args,
		Read: func(r io.Reader) error {
			_, err := io.Copy(w, r)
			return err
		},
	})
}
