package cv

import (
	"errors"
	"fmt"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
)

// DefaultFolds is K when Options.Folds is 0.
const DefaultFolds = 5

// Options configure a cross-validation run.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Folds is K (3 or more: each fold model needs another fold to choose
	// its penalty or epoch on, and a third to train on).
	Folds int `yaml:"folds"`
	// Seed deals the folds (default filter.yaml's splits.seed).
	Seed int `yaml:"seed"`
	// Student is the backend and its settings, as for train.
	Student train.Options `yaml:",inline"`
	// Predict carries the lora predictor's settings (batch size, device).
	Predict predict.Options `yaml:"-"`
	// Labels and Splits pin the snapshots read (zero: current).
	Labels, Splits lake.Ref `yaml:"-"`
	// Progress, when set, gets a line per fold.
	Progress func(msg string) `yaml:"-"`
	// Waiting, when set, gets the line saying that another run holds a
	// table cv writes (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return errors.New("cv: no filter")
	}
	if o.Folds == 0 {
		o.Folds = DefaultFolds
	}
	if o.Folds < 3 {
		return fmt.Errorf("--folds %d: want 3 or more (each fold model trains on K-2 folds and chooses its penalty or epoch on one more)", o.Folds)
	}
	if o.Seed == 0 {
		o.Seed = o.Filter.Splits.Seed
	}
	o.Student.Filter = o.Filter
	if err := o.Student.Validate(); err != nil {
		return err
	}
	o.Predict.Filter = o.Filter
	return nil
}
