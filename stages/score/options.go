package score

import (
	"fmt"
	"runtime"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/predict"
)

// Options say which filters score the new articles of corpus.raw.
type Options struct {
	// Filters are the filter packages given (--filter): each is scored
	// with its production model, through the package stored with that
	// model (see students.Model.Package).
	Filters []*filters.Filter `yaml:"-"`
	// All scores every filter namespace of the lake with a production
	// model (--all), with the packages stored with the models.
	All bool `yaml:"-"`
	// Rescore scores again, with the current production model, every
	// article it has not scored yet (default: only the articles no model
	// of the filter scored).
	Rescore bool `yaml:"rescore"`
	// Workers render and score on this many cores (default: every core).
	Workers int `yaml:"workers"`
	// LoRA batch size, device and interpreter (see predict.Options).
	BatchSize int    `yaml:"batch_size"`
	Device    string `yaml:"device"`
	Python    string `yaml:"python"`
	// Quantize loads a lora model's base in 4bit, 8bit or none (empty: as
	// it was trained; see predict.Options).
	Quantize string `yaml:"quantize"`
	// Progress, when set, is told the articles read of those to score.
	Progress func(done, total int64) `yaml:"-"`
	// Waiting, when set, gets the line saying another run holds a table.
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if len(o.Filters) == 0 && !o.All {
		return fmt.Errorf("%w: score needs --filter DIR (one or more) or --all", ErrOptions)
	}
	if len(o.Filters) > 0 && o.All {
		return fmt.Errorf("%w: --all scores every filter with a production model: give it or --filter, not both", ErrOptions)
	}
	seen := map[string]bool{}
	for _, f := range o.Filters {
		if f == nil {
			return fmt.Errorf("%w: a nil filter", ErrOptions)
		}
		if seen[f.Namespace()] {
			return fmt.Errorf("%w: filter %s given twice", ErrOptions, f.Namespace())
		}
		seen[f.Namespace()] = true
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if err := predict.CheckQuantize(o.Quantize); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return nil
}
