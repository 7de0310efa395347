package ingest

import (
	"context"

	"github.com/distillery/distillery/lake"
)

// RawTable and RejectsTable are where ingest writes.
var (
	RawTable     = lake.TableName{Namespace: "corpus", Table: "raw"}
	RejectsTable = lake.TableName{Namespace: "corpus", Table: "rejects"}
)

// RawSchema is the schema of corpus.raw.
var RawSchema = lake.Schema{
	{Name: "id", Type: lake.String, Distinct: true, Required: true, Doc: "the input's own id, else u-<hash of url>, else h-<hash of title and content>"},
	{Name: "dataset", Type: lake.String, Doc: "--source, else the input's base name"},
	{Name: "source", Type: lake.String, Doc: "the record's own source (publisher, feed)"},
	{Name: "title", Type: lake.String, Distinct: true},
	{Name: "content", Type: lake.String, Distinct: true, Doc: "the article body; the description when the record has no body"},
	{Name: "description", Type: lake.String, Distinct: true},
	{Name: "published_date", Type: lake.String, Doc: "as given: a date, a timestamp or a year"},
	{Name: "url", Type: lake.String, Distinct: true},
	{Name: "tags", Type: lake.StringList, Doc: "e.g. the folder a .txt article was in"},
	{Name: "extra", Type: lake.String, Distinct: true, Doc: "JSON object of input fields with no column; keys starting with _ are ingest notes"},
	{Name: "content_sha256", Type: lake.String, Distinct: true, Required: true},
	{Name: "file", Type: lake.String, Doc: "input file: absolute, cleaned, symlinks resolved (one name per file however it was given)"},
	{Name: "line", Type: lake.Long, Doc: "line (or row) of the record in its file"},
	{Name: "ingested_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// RejectsSchema is the schema of corpus.rejects.
var RejectsSchema = lake.Schema{
	{Name: "file", Type: lake.String, Required: true, Doc: "as in corpus.raw: absolute, symlinks resolved"},
	{Name: "line", Type: lake.Long, Doc: "0 when the whole file is rejected"},
	{Name: "reason", Type: lake.String, Required: true, Doc: "a stable code, e.g. malformed_json"},
	{Name: "detail", Type: lake.String},
	{Name: "excerpt", Type: lake.String, Distinct: true, Doc: "the first 200 characters of the record"},
	{Name: "dataset", Type: lake.String},
	{Name: "rejected_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// Init creates the corpus tables (empty) if they do not exist.
func Init(ctx context.Context, l *lake.Lake) error {
	if err := l.EnsureTable(ctx, RawTable, RawSchema); err != nil {
		return err
	}
	return l.EnsureTable(ctx, RejectsTable, RejectsSchema)
}
