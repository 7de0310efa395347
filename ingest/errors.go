package ingest

import "errors"

// Sentinel errors of the ingest stage.
var (
	// ErrNoPaths means no input path was given.
	ErrNoPaths = errors.New("no input paths")
	// ErrBadMap means a --map entry is malformed or names an unknown field.
	ErrBadMap = errors.New("bad --map")
	// ErrStrict means --strict was set and some records were rejected.
	ErrStrict = errors.New("rejected records under --strict: nothing committed")
	// ErrCount means the records read do not add up to rows, rejects and
	// duplicates: a reader lost or invented a record (a bug to report).
	ErrCount = errors.New("ingest counts do not add up")
	// ErrLakeInput means an input path is a distill or Iceberg lake (or inside
	// one): its files are tables, not articles.
	ErrLakeInput = errors.New("a lake holds tables, not articles: query it with distill sql, or export it")
)
