// Package pipelinetest builds the lakes that the tests and benchmarks of
// the later stages (train, cv) start from: real articles run through
// ingest, prefilter, compress, the filter's keywords oracle and a split.
package pipelinetest

import (
	"context"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/split"
)

// ToSplit ingests paths into l and runs prefilter, compress, label (the
// keywords oracle of f, 2 calls at once) and split (ratios; nil: the
// filter's) for f.
func ToSplit(ctx context.Context, l *lake.Lake, f *filters.Filter, paths []string, ratios []float64) error {
	for _, step := range []func() error{
		func() error { _, err := ingest.Run(ctx, l, ingest.Options{Paths: paths}); return err },
		func() error { _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); return err },
		func() error { _, err := compress.Run(ctx, l, compress.Options{Filter: f}); return err },
		func() error {
			_, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), Concurrency: 2})
			return err
		},
		func() error { _, err := split.Run(ctx, l, split.Options{Filter: f, Ratios: ratios}); return err },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
