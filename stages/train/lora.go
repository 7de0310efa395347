package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/students/lora"
)

// LoRAOptions are the lora backend's hyperparameters (trainer/PROTOCOL.md).
type LoRAOptions struct {
	// Python runs the trainer (`python -m distill_trainer`); default
	// lora.PythonDefault: $DISTILL_PYTHON, else python3.
	Python    string  `yaml:"python"`
	BaseModel string  `yaml:"base_model"`
	Epochs    int     `yaml:"epochs"`
	LR        float64 `yaml:"lr"`
	BatchSize int     `yaml:"batch_size"`
	MaxLength int     `yaml:"max_length"`
	R         int     `yaml:"lora_r"`
	Alpha     int     `yaml:"lora_alpha"`
	// Dropout is LoRA's dropout; nil: 0.05 (0 is no dropout).
	Dropout *float64 `yaml:"lora_dropout"`
	Seed    int      `yaml:"seed"`
	Device  string   `yaml:"device"`
	// Quantize loads the frozen base in 4bit (bitsandbytes NF4, double
	// quantization) or 8bit (LLM.int8); none or empty: full precision.
	// The LoRA layers and the head stay fp32; predict loads it the same way.
	Quantize string `yaml:"quantize"`
	// GradientCheckpointing recomputes activations in the backward pass.
	GradientCheckpointing bool `yaml:"gradient_checkpointing"`
	// GradAccum micro-batches of BatchSize make one optimizer step (0, 1: none).
	GradAccum int `yaml:"grad_accum"`
}

// ErrLoRAOption is a lora option out of range.
var ErrLoRAOption = errors.New("lora option")

// check refuses what the trainer would refuse, before any row is read.
// Every problem is reported, not only the first.
func (o *LoRAOptions) check() error {
	var errs []error
	if o.Quantize != "" && !slices.Contains(lora.Quantizations, o.Quantize) {
		errs = append(errs, fmt.Errorf("%w: quantize %q: want %s", ErrLoRAOption, o.Quantize, strings.Join(lora.Quantizations, ", ")))
	}
	if o.Dropout != nil && !(*o.Dropout >= 0 && *o.Dropout < 1) {
		errs = append(errs, fmt.Errorf("%w: lora_dropout %g: want 0 or more, below 1", ErrLoRAOption, *o.Dropout))
	}
	if o.GradAccum < 0 {
		errs = append(errs, fmt.Errorf("%w: grad_accum %d: want 1 or more", ErrLoRAOption, o.GradAccum))
	}
	return errors.Join(errs...)
}

func (o *LoRAOptions) defaults() {
	if o.Python == "" {
		o.Python = lora.PythonDefault()
	}
	if o.Epochs == 0 {
		o.Epochs = 3
	}
	if o.LR == 0 {
		o.LR = 2e-4
	}
	if o.BatchSize == 0 {
		o.BatchSize = 8
	}
	if o.MaxLength == 0 {
		o.MaxLength = 512
	}
	if o.R == 0 {
		o.R = 16
	}
	if o.Alpha == 0 {
		o.Alpha = 32
	}
	if o.Dropout == nil {
		d := 0.05
		o.Dropout = &d
	}
	if o.Seed == 0 {
		o.Seed = 42
	}
	if o.Device == "" {
		o.Device = "auto"
	}
	if o.Quantize == "" {
		o.Quantize = "none"
	}
	if o.GradAccum == 0 {
		o.GradAccum = 1
	}
}

func (o *LoRAOptions) args() []string {
	a := []string{
		"--epochs", strconv.Itoa(o.Epochs), "--lr", strconv.FormatFloat(o.LR, 'g', -1, 64),
		"--batch-size", strconv.Itoa(o.BatchSize), "--max-length", strconv.Itoa(o.MaxLength),
		"--lora-r", strconv.Itoa(o.R), "--lora-alpha", strconv.Itoa(o.Alpha),
		"--lora-dropout", strconv.FormatFloat(*o.Dropout, 'g', -1, 64), "--seed", strconv.Itoa(o.Seed), "--device", o.Device,
	}
	if o.BaseModel != "" {
		a = append(a, "--base-model", o.BaseModel)
	}
	// Only when set, so the command line of a run without them is as before.
	if o.Quantize != "" && o.Quantize != "none" {
		a = append(a, "--quantize", o.Quantize)
	}
	if o.GradAccum > 1 {
		a = append(a, "--grad-accum", strconv.Itoa(o.GradAccum))
	}
	if o.GradientCheckpointing {
		a = append(a, "--gradient-checkpointing")
	}
	return a
}

// selectArgs are the trainer's flags for a ranking --select-by: the metric,
// and the filter's weights and gatekeepers (in filter order, as ScoreOf
// sums them) so the trainer scores the overall as the labeler does; none
// for MAE, so a trainer older than them still runs the default.
func selectArgs(by SelectBy, f *filters.Filter) []string {
	if !by.Ranking() {
		return nil
	}
	var w, g []string
	for _, d := range f.Dimensions {
		w = append(w, d.Name+":"+strconv.FormatFloat(d.Weight, 'g', -1, 64))
	}
	for _, k := range f.Gatekeepers {
		g = append(g, fmt.Sprintf("%s:%s:%s", k.Dimension, strconv.FormatFloat(k.Below, 'g', -1, 64), strconv.FormatFloat(k.Cap, 'g', -1, 64)))
	}
	return []string{"--select-by", by.String(), "--weights", strings.Join(w, ","), "--gatekeepers", strings.Join(g, ",")}
}

// trainLoRA streams the examples to the Python trainer as an Arrow IPC
// stream and follows its JSON progress lines.
func trainLoRA(ctx context.Context, sess *lake.Session, query string, opts Options, m *Model, dir string) error {
	o := opts.LoRA
	// Recorded in the model's params: predict runs the same interpreter
	// unless told otherwise, from whatever folder it is run in.
	python := lora.Recordable(o.Python)
	query, err := weightedQuery(ctx, sess, query, opts)
	if err != nil {
		return err
	}
	var done *lora.Event
	err = lora.Run(ctx, lora.Command{
		Name:   "lora trainer",
		Python: python,
		Args:   append(append([]string{"train", "--out", dir, "--dimensions", strings.Join(m.Dimensions, ",")}, o.args()...), selectArgs(opts.selectBy, opts.Filter)...),
		Feed:   func(w io.Writer) error { return sess.WriteArrowStream(ctx, query, w) },
		Read: func(r io.Reader) error {
			err := lora.ReadEvents(r, func(ev lora.Event) {
				switch ev.Event {
				case "start":
					m.BaseModel, m.TrainRows, m.ValRows = ev.BaseModel, ev.TrainRows, ev.ValRows
					report(opts, Progress{Message: fmt.Sprintf("training on %s, %s, %s", ev.Device, human.Plural(int64(ev.TrainRows), "example"), human.Plural(int64(ev.Trainable), "trainable parameter"))})
				case "step":
					report(opts, Progress{Epoch: ev.Epoch, Step: ev.Step, Steps: ev.Steps, Loss: ev.Loss})
				case "epoch":
					msg := fmt.Sprintf("epoch %d: validation MAE %.3f", ev.Epoch, ev.ValMAE)
					if ev.SelectValue != nil {
						msg += fmt.Sprintf(", %s %.3f", opts.selectBy, *ev.SelectValue)
					}
					report(opts, Progress{Epoch: ev.Epoch, ValMAE: ev.ValMAE, Message: msg})
				case "done":
					done = &ev
				}
			})
			if err == nil && done == nil {
				return errNoDone
			}
			return err
		},
	})
	if err != nil {
		return err
	}
	m.ValMAE, m.ValMAEDims = done.ValMAE, done.ValMAEDims
	params := map[string]any{"epochs": o.Epochs, "lr": o.LR, "batch_size": o.BatchSize, "max_length": o.MaxLength,
		"lora_r": o.R, "lora_alpha": o.Alpha, "lora_dropout": *o.Dropout, "seed": o.Seed, "device": o.Device, "best_epoch": done.BestEpoch, "python": python,
		"sample_weight": opts.sampleWeight.String(), "quantize": o.Quantize, "gradient_checkpointing": o.GradientCheckpointing, "grad_accum": o.GradAccum}
	selected := 0.0
	if done.SelectValue != nil {
		selected = *done.SelectValue
	}
	m.Params = selectParams(params, opts.selectBy, true, done.ValMAE, selected)
	if m.BaseModel == "" {
		m.BaseModel = o.BaseModel
	}
	return nil
}

// errNoDone is a trainer that exited 0 without its done event (so without
// the metrics the model row needs): not the trainer, or a broken one.
var errNoDone = errors.New("its output ended without a done event")

func report(opts Options, p Progress) {
	if opts.Progress != nil {
		opts.Progress(p)
	}
}
