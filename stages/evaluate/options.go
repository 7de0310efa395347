package evaluate

import (
	"fmt"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// The splits an evaluation can score; All is every labeled article that has
// a prediction, whatever its split.
const (
	Test  = "test"
	Val   = "val"
	Train = "train"
	All   = "all"
)

// DefaultRecallTarget is the recall the threshold sweep's for_recall_target
// reaches unless Options say otherwise: the reference project chose models
// that miss few articles worth keeping.
const DefaultRecallTarget = 0.9

// Options say which model to score, on which articles.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Model is the model id (a row of <filter>.models) whose predictions are scored.
	Model string `yaml:"-"`
	// Compare is a second model id scored beside Model. Both are then scored
	// on the articles both predicted.
	Compare string `yaml:"compare"`
	// Split is test (default), val, train, or all.
	Split string `yaml:"split"`
	// Labels, Splits and Predictions pin the snapshots read; the zero Ref is
	// the table's current snapshot.
	Labels, Splits, Predictions lake.Ref `yaml:"-"`
	// Combine is how several labels of one article become one (latest, mean;
	// default the filter's splits.combine).
	Combine string `yaml:"combine"`
	// K is the k of recall@k. 0 takes, per model and split, the number of
	// evaluated articles the oracle put in a tier above the bottom one (then
	// recall@k is also precision@k).
	K int `yaml:"k"`
	// RecallTarget is the recall the threshold sweep looks for the highest
	// threshold to reach (default DefaultRecallTarget).
	RecallTarget float64 `yaml:"recall_target"`
	// Waiting, when set, gets the line saying that another eval run holds
	// the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	f := o.Filter
	if f == nil {
		return fmt.Errorf("%w: no filter", ErrOptions)
	}
	if o.Model == "" {
		return fmt.Errorf("%w: no model: name one with --model (`distill sql --filter DIR \"SELECT id FROM models\"` lists them)", ErrOptions)
	}
	if o.Compare == o.Model {
		return fmt.Errorf("%w: --compare %s is the model itself", ErrOptions, o.Compare)
	}
	if o.Split == "" {
		o.Split = Test
	}
	switch o.Split {
	case Test, Val, Train, All:
	default:
		return fmt.Errorf("%w: split %q: want test, val, train or all", ErrOptions, o.Split)
	}
	if o.K < 0 {
		return fmt.Errorf("%w: k must be 0 (the default) or more, got %d", ErrOptions, o.K)
	}
	if o.RecallTarget == 0 {
		o.RecallTarget = DefaultRecallTarget
	}
	if o.RecallTarget < 0 || o.RecallTarget > 1 {
		return fmt.Errorf("%w: recall target %s: want a share above 0 and at most 1, e.g. 0.9", ErrOptions, human.Number(o.RecallTarget))
	}
	if o.Labels.Table == "" {
		o.Labels = lake.Ref{TableName: spec.Labels.For(f)}
	}
	if o.Splits.Table == "" {
		o.Splits = lake.Ref{TableName: spec.Splits.For(f)}
	}
	if o.Predictions.Table == "" {
		o.Predictions = spec.Predictions.Ref(f)
	}
	if o.Combine == "" {
		o.Combine = f.Splits.Combine
	}
	return curate.CheckCombine(o.Combine)
}

// models lists the models evaluated: Model, then Compare when set.
func (o *Options) models() []string {
	if o.Compare == "" {
		return []string{o.Model}
	}
	return []string{o.Model, o.Compare}
}
