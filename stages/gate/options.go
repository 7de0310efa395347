package gate

import (
	"fmt"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
)

// Against values that name no model.
const (
	// Production is the model the production tag names (the default);
	// with none, the baselines.
	Production = "production"
	// Baselines compares with the training mean and median predictors.
	Baselines = "baseline"
)

// Options say which model to gate against what.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Candidate is the model id gated (a row of <filter>.models).
	Candidate string `yaml:"candidate"`
	// Against is production (default), baseline, or a model id.
	Against string `yaml:"against"`
	// Threshold is the overall score at or above which an article is
	// relevant; nil: the lowest tier above the bottom one's min_score.
	Threshold *float64 `yaml:"threshold"`
	// Bootstrap is the number of resamples (default 2000); Seed seeds them.
	Bootstrap int    `yaml:"bootstrap"`
	Seed      uint64 `yaml:"seed"`
	// Split is the split gated: test (default); val or all for a lake whose
	// test split is too small.
	Split string `yaml:"split"`
	// Combine is how several labels of one article become one (default the
	// filter's splits.combine).
	Combine string `yaml:"combine"`
	// Waiting, when set, gets the line saying that another gate run holds
	// the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// DefaultBootstrap is the resamples of a gate unless told.
const DefaultBootstrap = 2000

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	f := o.Filter
	if f == nil {
		return fmt.Errorf("%w: no filter", ErrOptions)
	}
	if o.Candidate == "" {
		return fmt.Errorf("%w: no candidate: name the model to gate with --candidate", ErrOptions)
	}
	if o.Against == "" {
		o.Against = Production
	}
	if o.Against == o.Candidate {
		return fmt.Errorf("%w: --against %s is the candidate itself", ErrOptions, o.Against)
	}
	if o.Bootstrap == 0 {
		o.Bootstrap = DefaultBootstrap
	}
	if o.Bootstrap < 100 {
		return fmt.Errorf("%w: --bootstrap %d: want at least 100 resamples for a 95%% interval", ErrOptions, o.Bootstrap)
	}
	if o.Split == "" {
		o.Split = "test"
	}
	switch o.Split {
	case "test", "val", "all":
	default:
		return fmt.Errorf("%w: split %q: want test, val or all (never train: the candidate learned those)", ErrOptions, o.Split)
	}
	if o.Threshold == nil && len(f.Tiers) < 2 {
		return fmt.Errorf("%w: filter %s has one tier, so no tier above the bottom one: give --threshold", ErrOptions, f.Name)
	}
	if o.Combine == "" {
		o.Combine = f.Splits.Combine
	}
	return curate.CheckCombine(o.Combine)
}

// threshold is the decision threshold.
func (o *Options) threshold() (float64, string) {
	if o.Threshold != nil {
		return *o.Threshold, "--threshold"
	}
	t := o.Filter.Tiers[len(o.Filter.Tiers)-2]
	return t.Min, "tier " + t.Name
}
