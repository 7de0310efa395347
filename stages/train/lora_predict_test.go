package train_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students"
)

// TestLoRA_OneTrainerPerPredictRun: a lora predict run starts the trainer
// once and streams it every batch (loading a model takes seconds; once per
// batch would dwarf the scoring), both for predict.Run and for Score over
// a query of more rows than one Arrow batch holds.
func TestLoRA_OneTrainerPerPredictRun(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	t.Setenv(fakeTrainerEnv, "1")
	python, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DISTILL_PYTHON", python)
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{Python: python}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	// runs is one "batches rows" line per trainer process started.
	runs := func() []string {
		raw, _ := os.ReadFile(filepath.Join(m.Dir(l), fakePredictRuns))
		return strings.Split(strings.TrimSpace(string(raw)), "\n")
	}

	p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID, Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if got := runs(); len(got) != 1 || got[0] != fmt.Sprintf("1 %d", p.Predicted) {
		t.Fatalf("predict.Run of %d articles started the trainer %d times (batches, rows: %q), want once", p.Predicted, len(got), got)
	}

	// Eight copies of every text: more rows than one DuckDB chunk (2,048).
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	rel, _, err := sess.Relation(ctx, lake.Ref{TableName: spec.Compressed.For(f)})
	if err != nil {
		t.Fatal(err)
	}
	q := "SELECT t.id || '-' || n AS id, t.text, NULL::VARCHAR AS split FROM " + rel + " t, range(8) r(n) ORDER BY 1"
	seen := map[string]int{}
	err = predict.Score(ctx, l, sess, q, (*students.Model)(m), predict.Options{Filter: f}, func(id, _ string, _ []float64) { seen[id]++ })
	if err != nil {
		t.Fatal(err)
	}
	got := runs()
	if len(got) != 2 {
		t.Fatalf("Score started the trainer %d times (batches, rows: %q), want once", len(got)-1, got[1:])
	}
	t.Logf("one trainer for Score: %s (batches, rows)", got[1])
	var batches, rows int
	if _, err := fmt.Sscanf(got[1], "%d %d", &batches, &rows); err != nil || batches < 2 || rows != 8*int(p.Predicted) || len(seen) != rows {
		t.Errorf("one trainer read %q (batches, rows) and %d distinct ids came back, want several batches of %d rows in all", got[1], len(seen), 8*p.Predicted)
	}
}
