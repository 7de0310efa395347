package score_test

import (
	"context"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/stages/train"
)

// TestLoRA_Score scores with a lora production model (a tiny BERT built
// from a config, through the real trainer: `make test-trainer`): the texts
// rendered in Go stream to one trainer process, and every passed article's
// scores are what distill predict wrote for it.
func TestLoRA_Score(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	ctx := context.Background()
	l, f := aiTech.Open(t)
	base := pipelinetest.TinyBERT(t, python, l, "SELECT replace(text, chr(10), ' ') FROM uplifting.compressed ORDER BY id")
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{
		Python: python, BaseModel: base, Epochs: 1, MaxLength: 128, BatchSize: 16, LR: 3e-3, Device: "cpu"}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model.ID
	if _, err := gate.Tag(ctx, l, gate.TagOptions{Filter: f, Tag: gate.Production, Model: m}); err != nil {
		t.Fatal(err)
	}
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m, Split: "all", Python: python, Device: "cpu"}); err != nil {
		t.Fatal(err)
	}
	sc, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true, Python: python, Device: "cpu", BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	passed := testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Prefiltered.For(f).String()+" WHERE passed")
	if sc.Filters[0].Scored < passed || sc.Filters[0].Backend != "lora" {
		t.Fatalf("scored %+v, want at least the %d passed articles", sc.Filters[0], passed)
	}
	q := `SELECT count(*) FROM ` + spec.Scores.For(f).String() + ` s JOIN ` + spec.Predictions.For(f).String() + ` p ON p.id = s.id AND p.model = s.model
		WHERE s.model = '` + m + `' AND abs(s.overall - p.overall) < 1e-4 AND abs(s.agency - p.agency) < 1e-4 AND s.tier = p.tier`
	if n := testutil.QueryInt(t, l, q); n != passed {
		t.Errorf("%d of the %d passed articles scored as predict scored them", n, passed)
	}
}
