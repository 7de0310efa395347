package ingest

import (
	"context"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Init creates the corpus tables (empty) if they do not exist.
func Init(ctx context.Context, l *lake.Lake) error {
	for _, t := range spec.Ingest.Writes {
		if err := t.Ensure(ctx, l, nil); err != nil {
			return err
		}
	}
	return nil
}
