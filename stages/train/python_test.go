package train_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/lora"
)

// fakeTrainerEnv makes the test binary the trainer (see TestMain): it then
// plays `python -m distill_trainer train|predict` without torch, so the Go
// side of the lora backend is tested where the trainer is not installed.
const fakeTrainerEnv = "DISTILL_FAKE_TRAINER"

// fakeTrainer trains nothing (it writes the done event and the dimensions
// to its --out folder) and predicts 5 for every dimension.
func fakeTrainer(args []string) int {
	if len(args) < 3 || args[0] != "-m" || args[1] != lora.Module {
		fmt.Fprintf(os.Stderr, "want -m %s train|predict, got %q\n", lora.Module, args)
		return 2
	}
	flags := map[string]string{}
	for i := 3; i+1 < len(args); i += 2 {
		flags[args[i]] = args[i+1]
	}
	switch args[2] {
	case "train":
		cols, weights := fakeColumns()
		err := os.WriteFile(filepath.Join(flags["--out"], pipelinetest.FakeDimsFile), []byte(flags["--dimensions"]), 0o644)
		if err == nil && weights != nil {
			err = os.WriteFile(filepath.Join(flags["--out"], "fake_weights"), []byte(strings.Join(weights, "\n")), 0o644)
		}
		if err == nil && flags["--select-by"] != "" {
			seen := fmt.Sprintf("%s|%s|%s|%s", flags["--select-by"], flags["--weights"], flags["--gatekeepers"], cols)
			err = os.WriteFile(filepath.Join(flags["--out"], "fake_select"), []byte(seen), 0o644)
		}
		if err != nil {
			fmt.Printf(`{"event":"error","message":%q}`+"\n", err.Error())
			return 1
		}
		fmt.Println(`{"event":"start","device":"cpu","base_model":"fake","train_rows":3,"val_rows":1}`)
		if flags["--select-by"] != "" {
			fmt.Println(`{"event":"epoch","epoch":1,"val_mae":0.4,"select_value":0.5}`)
			fmt.Println(`{"event":"epoch","epoch":2,"val_mae":0.5,"select_value":0.75}`)
			fmt.Println(`{"event":"done","best_epoch":2,"val_mae":0.5,"select_value":0.75}`)
			return 0
		}
		fmt.Println(`{"event":"done","best_epoch":1,"val_mae":0.5}`)
		return 0
	case "predict":
		if err := fakePredict(flags["--model"]); err != nil {
			fmt.Fprintf(os.Stderr, `{"event":"error","message":%q}`+"\n", err.Error())
			return 1
		}
		return 0
	}
	return 2
}

// fakeColumns reads the training stream on stdin and names its columns;
// with a weight column, weights is a line "split id weight" per row (null
// for a null weight).
func fakeColumns() (cols string, weights []string) {
	rdr, err := ipc.NewReader(os.Stdin)
	if err != nil {
		io.Copy(io.Discard, os.Stdin)
		return err.Error(), nil
	}
	defer rdr.Release()
	w := rdr.Schema().FieldIndices("weight")
	for rdr.Next() {
		rec := rdr.RecordBatch()
		if len(w) == 0 {
			continue
		}
		split, id, wt := rec.Column(0).(*array.String), rec.Column(1).(*array.String), rec.Column(w[0]).(*array.Float64)
		for i := range int(rec.NumRows()) {
			v := "null"
			if wt.IsValid(i) {
				v = fmt.Sprint(wt.Value(i))
			}
			weights = append(weights, split.Value(i)+" "+id.Value(i)+" "+v)
		}
	}
	var names []string
	for _, f := range rdr.Schema().Fields() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ","), weights
}

func fakePredict(model string) error {
	batches, rows, err := pipelinetest.FakePredict(model, false)
	logPredictRun(model, batches, rows)
	return err
}

// fakePredictRuns is the file in the model's folder where each fake
// predictor process appends a line: the batches and rows it read.
const fakePredictRuns = "fake_predict_runs"

func logPredictRun(model string, batches, rows int) {
	f, err := os.OpenFile(filepath.Join(model, fakePredictRuns), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%d %d\n", batches, rows)
}

// The python that train ran is recorded with the model and is predict's
// default: `train --python X` followed by a plain `predict` used to run
// python3, which had no trainer. An explicit --python, or DISTILL_PYTHON,
// still wins.
func TestLoRA_PredictUsesTheTrainersPython(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	t.Setenv(fakeTrainerEnv, "1")
	t.Setenv("DISTILL_PYTHON", "")
	python, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{Python: python}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if got := m.Python(); got != python {
		t.Fatalf("model records python %q, want %q (params %s)", got, python, m.Params)
	}
	back, err := train.Find(ctx, l, f, m.ID)
	if err != nil || back.Python() != python {
		t.Fatalf("model row's python: %v, %v", back, err)
	}

	p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID, Split: "val"})
	if err != nil {
		t.Fatalf("predict without --python: %v", err)
	}
	if p.Predicted == 0 || p.Python != python {
		t.Errorf("predicted %d with %q, want the val split with %q", p.Predicted, p.Python, python)
	}

	missing := filepath.Join(t.TempDir(), "other-python")
	_, err = predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID, Split: "test", Python: missing})
	if !errors.Is(err, lora.ErrNotInstalled) || !strings.Contains(err.Error(), missing) {
		t.Errorf("an explicit --python did not win: %v", err)
	}
	t.Setenv("DISTILL_PYTHON", missing)
	_, err = predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID, Split: "test"})
	if !errors.Is(err, lora.ErrNotInstalled) || !strings.Contains(err.Error(), missing) {
		t.Errorf("DISTILL_PYTHON did not win: %v", err)
	}
}
