package split

import (
	"errors"
	"fmt"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Options configure a split. Zero values take the filter's splits section.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Labels pins the labels snapshot; the zero Ref is the current one.
	Labels lake.Ref `yaml:"-"`
	// Seed orders new articles (default filter.yaml's splits.seed).
	Seed int `yaml:"seed"`
	// Ratios are train, val and test shares.
	Ratios []float64 `yaml:"ratios"`
	// StratifyBy is tier, overall_bin or <dimension>_bin.
	StratifyBy string `yaml:"stratify_by"`
	// Combine is how several labels of one article become one (latest, mean).
	Combine string `yaml:"combine"`
	// NearThreshold is the estimated Jaccard similarity that makes two
	// articles near-duplicates.
	NearThreshold float64 `yaml:"near_threshold"`
	// Balance caps each tier's share of the training set (MaxTierShare) by
	// leaving articles out of training, never touching val and test.
	Balance      bool    `yaml:"balance"`
	MaxTierShare float64 `yaml:"max_tier_share"`
	// Fresh ignores the previous split: every article is assigned anew (the
	// old split stays readable by time travel).
	Fresh bool `yaml:"fresh"`
	// Waiting, when set, gets the line saying that another split run holds
	// the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults from the filter and checks the options.
func (o *Options) Validate() error {
	f := o.Filter
	if f == nil {
		return errors.New("split: no filter")
	}
	if o.Labels.Table == "" {
		o.Labels = lake.Ref{TableName: spec.Labels.For(f)}
	}
	if o.Seed == 0 {
		o.Seed = f.Splits.Seed
	}
	if o.Ratios == nil {
		o.Ratios = f.Splits.Ratios
	}
	if o.StratifyBy == "" {
		o.StratifyBy = f.Splits.StratifyBy
	}
	if o.Combine == "" {
		o.Combine = f.Splits.Combine
	}
	if o.NearThreshold == 0 {
		o.NearThreshold = f.Splits.NearDuplicateThreshold
	}
	if o.MaxTierShare == 0 {
		o.MaxTierShare = f.Splits.MaxTierShare
	}
	if err := filters.CheckRatios(o.Ratios); err != nil {
		return err
	}
	if err := f.CheckStratifyBy(o.StratifyBy); err != nil {
		return err
	}
	if o.NearThreshold <= 0 || o.NearThreshold > 1 {
		return fmt.Errorf("near-duplicate threshold %g must be in (0, 1]", o.NearThreshold)
	}
	if o.MaxTierShare <= 0 || o.MaxTierShare > 1 {
		return fmt.Errorf("max tier share %g must be in (0, 1]", o.MaxTierShare)
	}
	return curate.CheckCombine(o.Combine)
}
