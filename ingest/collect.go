package ingest

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Batches are flushed at this many rows or content bytes, whichever first.
const (
	batchRows    = 4096
	batchContent = 4 << 20
)

// collector receives records in input order, drops duplicates, and builds
// Arrow batches of corpus.raw rows.
type collector struct {
	b        *array.RecordBuilder
	col      map[string]int
	others   []int             // columns ingest does not know (added by another engine): null
	existing map[string]string // id -> content sha256, rows already in the lake
	seen     map[string]string // id -> content sha256, rows of this run
	runID    string
	now      arrow.Timestamp
	dataset  string
	datasets map[string]string // file -> dataset, for rejects
	yield    func(arrow.RecordBatch) bool
	content  int

	readN, rowsOut, dups, inLake, conflicts int64
	rejects                                 []Reject
}

func newCollector(schema *arrow.Schema, existing map[string]string, runID string) *collector {
	c := &collector{
		b: array.NewRecordBuilder(memory.DefaultAllocator, schema), col: map[string]int{},
		existing: existing, seen: map[string]string{}, runID: runID,
		now: arrow.Timestamp(time.Now().UnixMicro()), datasets: map[string]string{},
	}
	known := spec.Raw.Schema(nil)
	for i, f := range schema.Fields() {
		c.col[f.Name] = i
		if !slices.ContainsFunc(known, func(k lake.Column) bool { return k.Name == f.Name }) {
			c.others = append(c.others, i)
		}
	}
	return c
}

func (c *collector) read(n int) { c.readN += int64(n) }

func (c *collector) reject(r Reject) {
	r = cleanReject(r)
	c.datasets[r.File] = c.dataset
	c.rejects = append(c.rejects, r)
}

func (c *collector) article(a Article) {
	if field := invalidField(a); field != "" {
		// The readers decode every string (see build); this is the writer's
		// own check, so invalid bytes never reach a Parquet file.
		c.reject(Reject{File: a.File, Line: a.Line, Reason: ReasonInvalidUTF8, Detail: "column " + field + " is not valid UTF-8"})
		return
	}
	if sha, ok := c.seen[a.ID]; ok {
		c.dups++
		if sha != a.ContentSHA256 {
			c.conflicts++
		}
		return
	}
	if sha, ok := c.existing[a.ID]; ok {
		c.dups++
		c.inLake++
		if sha != a.ContentSHA256 {
			c.conflicts++
		}
		return
	}
	c.seen[a.ID] = a.ContentSHA256
	a.Dataset = c.dataset
	c.append(a)
	c.rowsOut++
	if c.b.Field(0).Len() >= batchRows || c.content >= batchContent {
		c.flush()
	}
}

func (c *collector) str(name, v string, nullIfEmpty bool) {
	sb := c.b.Field(c.col[name]).(*array.StringBuilder)
	if v == "" && nullIfEmpty {
		sb.AppendNull()
		return
	}
	sb.Append(v)
}

func (c *collector) append(a Article) {
	c.str("id", a.ID, false)
	c.str("dataset", a.Dataset, true)
	c.str("source", a.Source, true)
	c.str("title", a.Title, false)
	c.str("content", a.Content, false)
	c.str("description", a.Description, true)
	c.str("published_date", a.PublishedDate, true)
	c.str("url", a.URL, true)
	lb := c.b.Field(c.col["tags"]).(*array.ListBuilder)
	if len(a.Tags) == 0 {
		lb.AppendNull()
	} else {
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for _, t := range a.Tags {
			vb.Append(t)
		}
	}
	c.str("extra", a.Extra, true)
	c.str("content_sha256", a.ContentSHA256, false)
	c.str("file", a.File, false)
	c.b.Field(c.col["line"]).(*array.Int64Builder).Append(a.Line)
	c.b.Field(c.col["ingested_at"]).(*array.TimestampBuilder).Append(c.now)
	c.str("run_id", c.runID, false)
	for _, i := range c.others {
		c.b.Field(i).AppendNull()
	}
	c.content += len(a.Content)
}

// flush hands the current batch to the writer.
func (c *collector) flush() {
	if c.b.Field(0).Len() == 0 {
		return
	}
	rec := c.b.NewRecordBatch()
	c.content = 0
	if c.yield != nil {
		c.yield(rec)
	}
}

func (c *collector) count(r *Result) {
	r.RowsOut, r.Duplicates, r.AlreadyInLake, r.IDConflicts = c.rowsOut, c.dups, c.inLake, c.conflicts
	r.Rejected = int64(len(c.rejects))
	r.RowsIn = c.readN
	if c.conflicts > 0 {
		r.Warn("%s with different content: the first row of each was kept (see --map id=...)", human.Plural(int64(c.conflicts), "duplicate id"))
	}
	if len(c.rejects) > 0 {
		r.ByReason = map[string]int64{}
		for _, rj := range c.rejects {
			r.ByReason[rj.Reason]++
		}
		r.Rejects = c.rejects[:min(len(c.rejects), 5)]
	}
}

// writeRejects commits rejects to corpus.rejects as one snapshot.
func writeRejects(ctx context.Context, l *lake.Lake, rejects []Reject, datasets map[string]string, commit lake.Commit) (*lake.Snapshot, error) {
	now := time.Now()
	p, err := l.WriteRows(ctx, spec.Rejects.For(nil), func(rb *lake.RowBuilder) error {
		for _, r := range rejects {
			rb.String("file", r.File)
			rb.Long("line", r.Line)
			rb.String("reason", r.Reason)
			for col, v := range map[string]string{"detail": r.Detail, "excerpt": r.Excerpt, "dataset": datasets[r.File]} {
				if v != "" {
					rb.String(col, v)
				}
			}
			rb.Time("rejected_at", now)
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p.Commit(ctx, commit)
}

// invalidField names the first string column of a that is not valid UTF-8.
func invalidField(a Article) string {
	for _, f := range [...]struct{ name, v string }{{"id", a.ID}, {"dataset", a.Dataset}, {"source", a.Source},
		{"title", a.Title}, {"content", a.Content}, {"description", a.Description}, {"published_date", a.PublishedDate},
		{"url", a.URL}, {"extra", a.Extra}, {"file", a.File}} {
		if !utf8.ValidString(f.v) {
			return f.name
		}
	}
	for _, t := range a.Tags {
		if !utf8.ValidString(t) {
			return "tags"
		}
	}
	return ""
}
