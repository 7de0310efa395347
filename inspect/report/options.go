package report

import (
	"fmt"
	"io"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// The evaluation splits the report can chart (a row of <filter>.evaluations
// has one of these in its split column).
const (
	Test  = "test"
	Val   = "val"
	Train = "train"
	All   = "all"
	// CV is cross-validation's pooled rows (distill cv: each metric the
	// mean over the folds, out-of-fold predictions of every labeled article).
	CV = "cv"
)

// DefaultOut is the file written when Options.Out is empty.
const DefaultOut = "report.html"

// Options say which filter to report on and where the HTML goes.
type Options struct {
	Filter *filters.Filter
	// Out is the HTML file written (default report.html). It is replaced
	// whole, never left half-written.
	Out string
	// Writer, when set, receives the HTML instead of Out (`-o -`: stdout).
	Writer io.Writer
	// Split is the evaluation split whose MAE and tier confusion are charted:
	// test (default), val, train, all, or cv (cross-validation, pooled over
	// its folds).
	Split string
	// Labels pins the labels snapshot; the zero Ref is the current one.
	Labels lake.Ref
	// Combine is the rule for articles with several labels (latest, mean;
	// default the filter's splits.combine).
	Combine string
	// Now is the time printed as "generated at" (default: the time of the
	// run; tests pin it).
	Now time.Time
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return fmt.Errorf("%w: no filter", ErrOptions)
	}
	if o.Out == "" && o.Writer == nil {
		o.Out = DefaultOut
	}
	if o.Split == "" {
		o.Split = Test
	}
	switch o.Split {
	case Test, Val, Train, All, CV:
	default:
		return fmt.Errorf("%w: split %q: want test, val, train, all or cv", ErrOptions, o.Split)
	}
	if o.Labels.Table == "" {
		o.Labels = lake.Ref{TableName: spec.Labels.For(o.Filter)}
	}
	if o.Combine == "" {
		o.Combine = o.Filter.Splits.Combine
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if err := curate.CheckCombine(o.Combine); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return nil
}
