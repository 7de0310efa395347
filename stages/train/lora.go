package train

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/distillery/distillery/lake"
)

// LoRAOptions are the lora backend's hyperparameters (trainer/PROTOCOL.md).
type LoRAOptions struct {
	// Python runs the trainer (`python -m distill_trainer`); default
	// $DISTILL_PYTHON, else python3.
	Python    string  `yaml:"python"`
	BaseModel string  `yaml:"base_model"`
	Epochs    int     `yaml:"epochs"`
	LR        float64 `yaml:"lr"`
	BatchSize int     `yaml:"batch_size"`
	MaxLength int     `yaml:"max_length"`
	R         int     `yaml:"lora_r"`
	Alpha     int     `yaml:"lora_alpha"`
	Dropout   float64 `yaml:"lora_dropout"`
	Seed      int     `yaml:"seed"`
	Device    string  `yaml:"device"`
}

func (o *LoRAOptions) defaults() {
	if o.Python == "" {
		o.Python = PythonDefault()
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
	if o.Dropout == 0 {
		o.Dropout = 0.05
	}
	if o.Seed == 0 {
		o.Seed = 42
	}
	if o.Device == "" {
		o.Device = "auto"
	}
}

// PythonDefault is the interpreter that runs the trainer.
func PythonDefault() string {
	if p := os.Getenv("DISTILL_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

func (o *LoRAOptions) args() []string {
	a := []string{
		"--epochs", strconv.Itoa(o.Epochs), "--lr", strconv.FormatFloat(o.LR, 'g', -1, 64),
		"--batch-size", strconv.Itoa(o.BatchSize), "--max-length", strconv.Itoa(o.MaxLength),
		"--lora-r", strconv.Itoa(o.R), "--lora-alpha", strconv.Itoa(o.Alpha),
		"--lora-dropout", strconv.FormatFloat(o.Dropout, 'g', -1, 64), "--seed", strconv.Itoa(o.Seed), "--device", o.Device,
	}
	if o.BaseModel != "" {
		a = append(a, "--base-model", o.BaseModel)
	}
	return a
}

// trainerEvent is one JSON line of the trainer's progress.
type trainerEvent struct {
	Event      string    `json:"event"`
	Epoch      int       `json:"epoch"`
	Step       int       `json:"step"`
	Steps      int       `json:"steps"`
	Loss       float64   `json:"loss"`
	ValMAE     float64   `json:"val_mae"`
	ValMAEDims []float64 `json:"val_mae_per_dimension"`
	BestEpoch  int       `json:"best_epoch"`
	Message    string    `json:"message"`
	Device     string    `json:"device"`
	BaseModel  string    `json:"base_model"`
	TrainRows  int64     `json:"train_rows"`
	ValRows    int64     `json:"val_rows"`
	Trainable  int64     `json:"trainable_params"`
}

// trainLoRA streams the examples to the Python trainer as an Arrow IPC
// stream and follows its JSON progress lines.
func trainLoRA(ctx context.Context, sess *lake.Session, query string, opts Options, m *Model, dir string) error {
	o := opts.LoRA
	args := append([]string{"-m", "distill_trainer", "train", "--out", dir, "--dimensions", strings.Join(m.Dimensions, ",")}, o.args()...)
	cmd := exec.CommandContext(ctx, o.Python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &tail{buf: &stderr, max: 8 << 10}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the lora trainer (%s -m distill_trainer): %w; install it with `pip install -e trainer` (see trainer/README.md) or set --python / DISTILL_PYTHON", o.Python, err)
	}
	// Feed the examples while reading progress, so neither pipe fills up.
	fed := make(chan error, 1)
	go func() {
		err := sess.WriteArrowStream(ctx, query, stdin)
		stdin.Close()
		fed <- err
	}()
	var done *trainerEvent
	var trainerErr string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var ev trainerEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			continue // not a protocol line
		}
		switch ev.Event {
		case "start":
			m.BaseModel, m.TrainRows, m.ValRows = ev.BaseModel, ev.TrainRows, ev.ValRows
			report(opts, Progress{Message: fmt.Sprintf("training on %s, %d examples, %d trainable parameters", ev.Device, ev.TrainRows, ev.Trainable)})
		case "step":
			report(opts, Progress{Epoch: ev.Epoch, Step: ev.Step, Steps: ev.Steps, Loss: ev.Loss})
		case "epoch":
			report(opts, Progress{Epoch: ev.Epoch, ValMAE: ev.ValMAE, Message: fmt.Sprintf("epoch %d: validation MAE %.3f", ev.Epoch, ev.ValMAE)})
		case "done":
			e := ev
			done = &e
		case "error":
			trainerErr = ev.Message
		}
	}
	feedErr := <-fed
	waitErr := cmd.Wait()
	switch {
	case trainerErr != "":
		return fmt.Errorf("lora trainer: %s", trainerErr)
	case waitErr != nil:
		return fmt.Errorf("lora trainer: %w\n%s", waitErr, lastLines(stderr.String(), 15))
	case feedErr != nil && !errors.Is(feedErr, os.ErrClosed):
		return fmt.Errorf("stream examples to the lora trainer: %w", feedErr)
	case done == nil:
		return fmt.Errorf("lora trainer exited without a done line\n%s", lastLines(stderr.String(), 15))
	}
	m.ValMAE, m.ValMAEDims = done.ValMAE, done.ValMAEDims
	params, _ := json.Marshal(map[string]any{"epochs": o.Epochs, "lr": o.LR, "batch_size": o.BatchSize, "max_length": o.MaxLength,
		"lora_r": o.R, "lora_alpha": o.Alpha, "lora_dropout": o.Dropout, "seed": o.Seed, "device": o.Device, "best_epoch": done.BestEpoch})
	m.Params = string(params)
	if m.BaseModel == "" {
		m.BaseModel = o.BaseModel
	}
	return nil
}

func report(opts Options, p Progress) {
	if opts.Progress != nil {
		opts.Progress(p)
	}
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf *bytes.Buffer
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

var _ io.Writer = (*tail)(nil)

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
