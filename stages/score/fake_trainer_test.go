package score_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/lora"
)

// fakeTrainerEnv makes the test binary the trainer (see TestMain): it
// trains nothing and predicts 5 for every dimension; with fakeDropEnv set
// its predict leaves out the first article of the stream, as a broken
// predictor would.
const (
	fakeTrainerEnv = "DISTILL_FAKE_SCORE_TRAINER"
	fakeDropEnv    = "DISTILL_FAKE_SCORE_DROP"
)

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
		io.Copy(io.Discard, os.Stdin) // the training stream
		if err := os.WriteFile(filepath.Join(flags["--out"], pipelinetest.FakeDimsFile), []byte(flags["--dimensions"]), 0o644); err != nil {
			fmt.Printf(`{"event":"error","message":%q}`+"\n", err.Error())
			return 1
		}
		fmt.Println(`{"event":"start","device":"cpu","base_model":"fake","train_rows":3,"val_rows":1}`)
		fmt.Println(`{"event":"done","best_epoch":1,"val_mae":0.5}`)
		return 0
	case "predict":
		if _, _, err := pipelinetest.FakePredict(flags["--model"], os.Getenv(fakeDropEnv) == "1"); err != nil {
			fmt.Fprintf(os.Stderr, `{"event":"error","message":%q}`+"\n", err.Error())
			return 1
		}
		return 0
	}
	return 2
}

// fakeLoRA trains a lora model of f with the fake trainer (the test binary,
// returned as the Python to give predict and score).
func fakeLoRA(t *testing.T, l *lake.Lake, f *filters.Filter) (python, id string) {
	t.Helper()
	t.Setenv(fakeTrainerEnv, "1")
	python, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.Run(context.Background(), l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{Python: python}})
	if err != nil {
		t.Fatal(err)
	}
	return python, res.Model.ID
}

// A model that returns no scores for an article sent to it fails the run,
// committing nothing: committed, the article would have no score and the
// next run would skip it as scored (the review found it committed).
func TestRun_FailsWhenTheModelLosesAnArticle(t *testing.T) {
	ctx := context.Background()
	l, f := aiTech.Open(t)
	python, id := fakeLoRA(t, l, f)
	if _, err := gate.Tag(ctx, l, gate.TagOptions{Filter: f, Tag: gate.Production, Model: id}); err != nil {
		t.Fatal(err)
	}
	before, _ := l.Current(ctx, spec.Scores.For(f))
	t.Setenv(fakeDropEnv, "1")
	_, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true, Python: python})
	if !errors.Is(err, score.ErrLost) {
		t.Fatalf("a predictor that drops an article: %v, want ErrLost", err)
	}
	if after, _ := l.Current(ctx, spec.Scores.For(f)); (before == nil) != (after == nil) || (before != nil && before.Seq != after.Seq) {
		t.Errorf("the failed run committed: %v -> %v", before, after)
	}
	t.Setenv(fakeDropEnv, "")
	ok, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true, Python: python})
	if err != nil {
		t.Fatal(err)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM corpus.raw"); ok.RowsOut != n {
		t.Errorf("the run after: %d rows, corpus.raw has %d", ok.RowsOut, n)
	}
}
