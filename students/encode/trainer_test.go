package encode_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/students/encode"
	"github.com/distillery/distillery/students/lora"
)

// tinyEncoder writes a random-weight 2-layer BERT (hidden size 32) and its
// word-level tokenizer with the trainer tests' helper, trainer/tests/tinymodel.py.
func tinyEncoder(t *testing.T, python string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tiny-encoder")
	script := `import sys; sys.path.insert(0, sys.argv[1]); import tinymodel as tm
tm.build_base_model(sys.argv[2], [" ".join(tm.FILLER + list(tm.SIGNALS))])`
	if out, err := exec.Command(python, "-c", script, filepath.Join(testutil.RepoRoot(t), "trainer/tests"), dir).CombinedOutput(); err != nil {
		t.Fatalf("build the tiny encoder: %v\n%s", err, out)
	}
	return dir
}

func newTrainer(t *testing.T, python, dir string, opts encode.TrainerOptions) *encode.Trainer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts.Device, opts.Threads = "cpu", 1
	e, err := encode.NewTrainer(ctx, python, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestTrainer_Encode runs the real trainer on a tiny model: dimension,
// name, unit vectors in the texts' order, more texts than one Arrow batch.
func TestTrainer_Encode(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	dir := tinyEncoder(t, python)
	e := newTrainer(t, python, dir, encode.TrainerOptions{BatchSize: 7})
	defer e.Close()
	var _ encode.Encoder = e
	if got, want := e.Dim(), 32; got != want {
		t.Errorf("Dim() = %d, want %d", got, want)
	}
	if !regexp.MustCompile(`^bert-32@[0-9a-f]{8}$`).MatchString(e.Name()) {
		t.Errorf("Name() = %q, want bert-32@<8 hex digits>", e.Name())
	}
	ctx := context.Background()

	t.Run("order", func(t *testing.T) {
		texts := []string{"solar power for the city", "the turbine market", "solar power for the city", "", "water policy report"}
		got, err := e.Encode(ctx, texts)
		if err != nil {
			t.Fatal(err)
		}
		checkUnit(t, got, 32)
		if d := dist(got[0], got[2]); d > 1e-5 {
			t.Errorf("one text twice: vectors %g apart, want equal", d)
		}
		for _, p := range [][2]int{{0, 1}, {0, 3}, {1, 4}, {3, 4}} {
			if d := dist(got[p[0]], got[p[1]]); d < 1e-3 {
				t.Errorf("%q and %q: vectors %g apart, want different", texts[p[0]], texts[p[1]], d)
			}
		}
		rev := []string{texts[4], texts[3], texts[2], texts[1], texts[0]}
		back, err := e.Encode(ctx, rev)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rev {
			if d := dist(back[i], got[len(got)-1-i]); d > 1e-5 {
				t.Errorf("reversed input, row %d: %g from the forward vector, want the same", i, d)
			}
		}
	})
	t.Run("many batches", func(t *testing.T) {
		texts := make([]string, 600) // three Arrow batches to the trainer
		for i := range texts {
			texts[i] = fmt.Sprintf("the %s of %s", []string{"city", "market", "energy"}[i%3], strings.Repeat("data ", i%5))
		}
		got, err := e.Encode(ctx, texts)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(texts) {
			t.Fatalf("%d vectors for %d texts", len(got), len(texts))
		}
		checkUnit(t, got, 32)
		if d := dist(got[0], got[15]); d > 1e-5 { // i%3 and i%5 both 0: the same text
			t.Errorf("rows 0 and 15 (one text): %g apart", d)
		}
	})
	t.Run("none", func(t *testing.T) {
		got, err := e.Encode(ctx, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("Encode(nil) = %d vectors, %v; want none, nil", len(got), err)
		}
	})
	if err := e.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := e.Encode(ctx, []string{"x"}); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("Encode after Close: %v, want ErrClosed", err)
	}
}

// TestTrainer_Name: one folder gives one name in every process; a token
// budget that changes long texts' vectors changes it.
func TestTrainer_Name(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	dir := tinyEncoder(t, python)
	names := map[string]string{}
	for label, opts := range map[string]encode.TrainerOptions{
		"default": {}, "again": {BatchSize: 3}, "short": {MaxLength: 16},
	} {
		e := newTrainer(t, python, dir, opts)
		names[label] = e.Name()
		if err := e.Close(); err != nil {
			t.Errorf("%s: Close: %v", label, err)
		}
	}
	if names["default"] != names["again"] {
		t.Errorf("two encoders of one folder: %q and %q, want one name", names["default"], names["again"])
	}
	if names["short"] == names["default"] {
		t.Errorf("max length 16 and the default share the name %q", names["short"])
	}
}

// TestTrainer_Cancel: a cancelled Encode stops the process; the encoder is closed then.
func TestTrainer_Cancel(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	e := newTrainer(t, python, tinyEncoder(t, python), encode.TrainerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Encode(ctx, []string{"solar"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Encode with a cancelled context: %v, want context.Canceled", err)
	}
	// A context cancelled while vectors are on their way: the texts are
	// taken at once (the feeder waits for them), encoding them takes seconds.
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	texts := make([]string, 20000)
	for i := range texts {
		texts[i] = strings.Repeat("energy water power ", 30)
	}
	if _, err := e.Encode(ctx, texts); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Encode past its deadline: %v, want context.DeadlineExceeded", err)
	}
	if _, err := e.Encode(context.Background(), []string{"x"}); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("Encode after a cancelled one: %v, want ErrClosed", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("Close after a cancelled Encode: %v, want nil (the Encode reported it)", err)
	}
}

// TestTrainer_NotAModel: the trainer's own refusal comes back with its message and exit 2.
func TestTrainer_NotAModel(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	_, err := encode.NewTrainer(context.Background(), python, t.TempDir(), encode.TrainerOptions{Device: "cpu"})
	var le *lora.Error
	if !errors.As(err, &le) || le.ExitCode() != 2 || !strings.Contains(le.Message, "no config.json") {
		t.Fatalf("NewTrainer on an empty folder: %v, want the trainer's exit-2 error about config.json", err)
	}
}

// TestTrainer_NoModel needs no Python: the folder is checked first.
func TestTrainer_NoModel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "minilm")
	_, err := encode.NewTrainer(context.Background(), "python3", dir, encode.TrainerOptions{})
	var me *encode.ModelError
	if !errors.Is(err, encode.ErrNoModel) || !errors.As(err, &me) || me.Dir != dir {
		t.Fatalf("NewTrainer on a missing folder: %v, want a *ModelError for %s", err, dir)
	}
	if want := "-m distill_trainer fetch-minilm --out " + dir; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

// TestTrainer_NotInstalled needs no Python either: an interpreter that is not there.
func TestTrainer_NotInstalled(t *testing.T) {
	_, err := encode.NewTrainer(context.Background(), filepath.Join(t.TempDir(), "python"), t.TempDir(), encode.TrainerOptions{})
	if !errors.Is(err, lora.ErrNotInstalled) || !strings.Contains(err.Error(), "make trainer-venv") {
		t.Fatalf("NewTrainer with no interpreter: %v, want lora.ErrNotInstalled saying make trainer-venv", err)
	}
}

func TestTrainerOptions_Validate(t *testing.T) {
	if err := encode.DefaultTrainerOptions().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, o := range []encode.TrainerOptions{{BatchSize: -1}, {MaxLength: 1}, {Threads: -2}, {Device: "tpu"}} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func checkUnit(t *testing.T, vs [][]float32, dim int) {
	t.Helper()
	for i, v := range vs {
		if len(v) != dim {
			t.Fatalf("vector %d has %d values, want %d", i, len(v), dim)
		}
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(math.Sqrt(n)-1) > 1e-4 {
			t.Errorf("vector %d has norm %g, want 1", i, math.Sqrt(n))
		}
	}
}

func dist(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}
