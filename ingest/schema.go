package ingest

import (
	"context"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// RawTable and RejectsTable are where ingest writes.
var (
	RawTable     = spec.Raw.For(nil)
	RejectsTable = spec.Rejects.For(nil)
)

// RawSchema is the schema of corpus.raw.
var RawSchema = spec.Raw.Schema(nil)

// RejectsSchema is the schema of corpus.rejects.
var RejectsSchema = spec.Rejects.Schema(nil)

// Init creates the corpus tables (empty) if they do not exist.
func Init(ctx context.Context, l *lake.Lake) error {
	if err := l.EnsureTable(ctx, RawTable, RawSchema); err != nil {
		return err
	}
	return l.EnsureTable(ctx, RejectsTable, RejectsSchema)
}
