// Package ingest loads articles from JSONL, JSONL.gz, JSON arrays, CSV,
// Parquet and folders of .txt files into corpus.raw, keeping every record it
// cannot use in corpus.rejects. The entry point is Run.
package ingest

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Result summarises a run. RowsIn counts the records as they were read (a
// file that could not be read at all counting as one); it equals RowsOut +
// Rejected + Duplicates, which Run checks before it commits. Snapshot is
// corpus.raw's sequence number after the run (0: still empty).
type Result struct {
	spec.Summary
	Rejected   int64 `json:"rejected"`
	Duplicates int64 `json:"duplicates"`
	// AlreadyInLake counts the duplicates whose id was in corpus.raw before this run.
	AlreadyInLake int64 `json:"already_in_lake"`
	// IDConflicts counts duplicates whose id matched a row with different content.
	IDConflicts int64 `json:"id_conflicts"`
	// RejectsKnown counts rejects already recorded by an earlier run (not written again).
	RejectsKnown int64 `json:"rejects_already_recorded"`
	Files        int   `json:"files"`
	// Skipped lists files in input folders that are not articles (README, unknown formats).
	Skipped []string `json:"skipped,omitempty"`
	// SkippedFolders lists folders not walked, each with why (e.g. the lake itself).
	SkippedFolders []string `json:"skipped_folders,omitempty"`
	// SnapshotID is the Iceberg id of corpus.raw's snapshot after the run.
	SnapshotID      int64          `json:"snapshot_id"`
	RejectsSnapshot *lake.Snapshot `json:"-"`
	// Rejects holds the first rejects of the run, for the summary.
	Rejects []Reject `json:"first_rejects,omitempty"`
	// ByReason counts this run's rejects by reason.
	ByReason map[string]int64 `json:"rejects_by_reason,omitempty"`
}

// input is one file to read.
type input struct {
	path    string // to open
	display string // as stored in the file column: see displayPath
	dataset string
	format  format
	gz      bool
	size    int64
}

// expansion is what the input paths name: files to read, files and folders
// skipped, and rejects for entries that could not be listed or opened.
type expansion struct {
	inputs         []input
	skipped        []string
	skippedFolders []string
	rejects        []Reject
	rejectDatasets []string // the dataset of each reject: its input folder's
}

func (ex *expansion) reject(r Reject, dataset string) {
	ex.rejects = append(ex.rejects, r)
	ex.rejectDatasets = append(ex.rejectDatasets, dataset)
}

// Run ingests opts.Paths into the lake as one new snapshot of corpus.raw
// (and one of corpus.rejects when records were rejected).
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	res := &Result{Summary: spec.Start(spec.Ingest, l.RunID)}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	if err := Init(ctx, l); err != nil {
		return res, err
	}
	ex, err := expand(opts.Paths, opts.Source, l.Root, os.ReadDir)
	if err != nil {
		return res, err
	}
	inputs := ex.inputs
	// Ingests take turns: each dedups against the ids in the lake when it
	// starts, so two at once could both add the same new article.
	lock, err := l.Lock(ctx, "ingest", opts.Waiting)
	if err != nil {
		return res, err
	}
	defer lock.Unlock()
	res.Files, res.Skipped, res.SkippedFolders = len(inputs), ex.skipped, ex.skippedFolders
	existing, knownRejects, base, err := loadExisting(ctx, l, inputs)
	if err != nil {
		return res, err
	}
	schema, err := l.WriteSchema(ctx, spec.Raw.For(nil))
	if err != nil {
		return res, err
	}
	c := newCollector(schema, existing, l.RunID)
	var total int64
	for _, in := range inputs {
		total += in.size
	}
	var done atomic.Int64
	progress := func(n int64) {
		if opts.Progress != nil {
			opts.Progress(done.Add(n), total)
		}
	}

	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var readErr error
	records := func(yield func(arrow.RecordBatch, error) bool) {
		stopped := false // the writer stopped pulling: yield must not be called again
		c.yield = func(rec arrow.RecordBatch) bool {
			if stopped || !yield(rec, nil) {
				stopped = true
				cancel()
				return false
			}
			return true
		}
		for i, r := range ex.rejects {
			c.dataset = ex.rejectDatasets[i]
			fileReject(c, r)
		}
		for _, in := range inputs {
			c.dataset = in.dataset
			if err := readInput(readCtx, in, &opts, c, progress); err != nil {
				readErr = err
				if !stopped {
					yield(nil, err)
				}
				return
			}
		}
		c.flush()
	}
	pending, err := l.Write(ctx, spec.Raw.For(nil), schema, records)
	if readErr != nil {
		return res, readErr
	}
	if err != nil {
		return res, err
	}
	c.count(res)
	if sum := res.RowsOut + res.Rejected + res.Duplicates; res.RowsIn != sum {
		pending.Discard()
		return res, fmt.Errorf("%w: %s read, but %s + %s + %s = %d; nothing committed",
			ErrCount, human.Plural(res.RowsIn, "record"), human.Plural(res.RowsOut, "row"), human.Plural(res.Rejected, "reject"), human.Plural(res.Duplicates, "duplicate"), sum)
	}
	var newRejects []Reject
	for _, r := range c.rejects {
		if knownRejects[rejectKey(r)] {
			res.RejectsKnown++
			continue
		}
		newRejects = append(newRejects, r)
	}
	if opts.Strict && res.Rejected > 0 {
		pending.Discard()
		res.Seconds = time.Since(start).Seconds()
		return res, fmt.Errorf("%w: %d rejected (first: %s line %d: %s: %s)", ErrStrict, res.Rejected,
			c.rejects[0].File, c.rejects[0].Line, c.rejects[0].Reason, c.rejects[0].Detail)
	}
	commit := lake.Commit{Stage: spec.Ingest.Name, Params: map[string]any{
		"paths": opts.Paths, "source": opts.Source, "map": opts.Map, "strict": opts.Strict,
		"rows": res.RowsOut, "rejected": res.Rejected, "duplicates": res.Duplicates,
	}}
	if base != nil {
		commit.Inputs = []lake.Snapshot{*base}
	}
	res.SetInputs(commit.Inputs...)
	snap, err := pending.Commit(ctx, commit)
	if err != nil {
		return res, err
	}
	res.SetOutput(spec.Raw.For(nil), snap)
	if snap != nil {
		res.SnapshotID = snap.ID
	}
	if len(newRejects) > 0 {
		rs, err := writeRejects(ctx, l, newRejects, c.datasets, commit)
		if err != nil {
			return res, fmt.Errorf("%s committed to %s, but the rejects were not recorded (rerun to record them): %w", human.Plural(res.RowsOut, "row"), spec.Raw.For(nil), err)
		}
		res.RejectsSnapshot = rs
	}
	res.Finish(spec.Raw.For(nil), snap, start)
	return res, nil
}

func rejectKey(r Reject) string { return fmt.Sprintf("%s\x00%d\x00%s", r.File, r.Line, r.Reason) }

// loadExisting reads the ids already in corpus.raw (with their content hash)
// and the reject keys already recorded for these inputs.
func loadExisting(ctx context.Context, l *lake.Lake, inputs []input) (map[string]string, map[string]bool, *lake.Snapshot, error) {
	ids := map[string]string{}
	known := map[string]bool{}
	sess, err := l.Session(ctx, "")
	if err != nil {
		return nil, nil, nil, err
	}
	defer sess.Close()
	rel, base, err := sess.Relation(ctx, lake.Ref{TableName: spec.Raw.For(nil)})
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err := sess.Query(ctx, "SELECT id, content_sha256 FROM "+rel)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read ids of %s: %w", spec.Raw.For(nil), err)
	}
	for rows.Next() {
		var id, sha string
		if err := rows.Scan(&id, &sha); err != nil {
			rows.Close()
			return nil, nil, nil, err
		}
		ids[id] = sha
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, nil, err
	}
	files := map[string]bool{}
	for _, in := range inputs {
		files[in.display] = true
	}
	rrel, _, err := sess.Relation(ctx, lake.Ref{TableName: spec.Rejects.For(nil)})
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err = sess.Query(ctx, "SELECT file, line, reason FROM "+rrel)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read %s: %w", spec.Rejects.For(nil), err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.File, &r.Line, &r.Reason); err != nil {
			return nil, nil, nil, err
		}
		if files[r.File] {
			known[rejectKey(r)] = true
		}
	}
	return ids, known, base, rows.Err()
}

// expand turns paths into files: folders are walked (sorted), and files that
// are not articles (README*, hidden, unknown formats) are skipped and listed.
// The lake folder is never walked into, nor is another lake (see isLake);
// a path inside the lake is a reject, and another lake given by name is an
// error (ErrLakeInput). Links to folders are listed, not followed. An entry
// that cannot be listed or opened (a link loop, a dangling link) is a reject
// naming its path; the rest of the folder is still read.
// readDir lists a folder (os.ReadDir; tests inject failures).
func expand(paths []string, source, lakeRoot string, readDir func(string) ([]os.DirEntry, error)) (expansion, error) {
	var ex expansion
	lakeDir := canonicalPath(lakeRoot)
	insideLake := func(path, dataset string) {
		ex.reject(Reject{File: displayPath(path), Reason: ReasonInsideLake,
			Detail: "inside the lake " + validPath(lakeDir) + ": its files are the lake's tables, not articles (query them with distill sql; move other files out of the lake folder to ingest them)"}, dataset)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return ex, fmt.Errorf("input %s: %w", p, err)
		}
		if within(canonicalPath(p), lakeDir) {
			insideLake(p, datasetName(p, source))
			continue
		}
		if other, ok := lakeOf(canonicalPath(p)); ok {
			what := "is a lake"
			if other != canonicalPath(p) {
				what = "is inside the lake " + validPath(other)
			}
			return ex, fmt.Errorf("input %s %s: %w", p, what, ErrLakeInput)
		}
		if !st.IsDir() {
			f, gz := detect(p)
			ex.inputs = append(ex.inputs, input{path: p, display: displayPath(p), dataset: datasetName(p, source), format: f, gz: gz, size: st.Size()})
			continue
		}
		ds := datasetName(p, source)
		var walk func(dir string)
		walk = func(dir string) {
			if within(canonicalPath(dir), lakeDir) {
				ex.skippedFolders = append(ex.skippedFolders, validPath(dir)+" (the lake itself)")
				return
			}
			if isLake(dir) {
				ex.skippedFolders = append(ex.skippedFolders, validPath(dir)+" (a lake: query it with distill sql, or export it)")
				return
			}
			entries, err := readDir(dir)
			if err != nil && len(entries) == 0 {
				ex.reject(Reject{File: displayPath(dir), Reason: ReasonUnreadable, Detail: "folder cannot be read: " + err.Error()}, ds)
				return
			}
			if err != nil {
				ex.reject(Reject{File: displayPath(dir), Reason: ReasonUnreadable, Detail: "folder only partly read: " + err.Error()}, ds)
			}
			for _, d := range entries {
				path := filepath.Join(dir, d.Name())
				name := d.Name()
				if strings.HasPrefix(name, ".") {
					if !d.IsDir() {
						ex.skipped = append(ex.skipped, validPath(path))
					}
					continue
				}
				if d.Type()&os.ModeSymlink != 0 {
					info, err := os.Stat(path)
					if err != nil { // a loop or a dangling link
						ex.reject(Reject{File: displayPath(path), Reason: ReasonUnreadable, Detail: "link cannot be followed: " + err.Error()}, ds)
						continue
					}
					if info.IsDir() {
						ex.skippedFolders = append(ex.skippedFolders, validPath(path)+" (link to a folder, not followed: give its target path to ingest it)")
						continue
					}
					if within(canonicalPath(path), lakeDir) {
						insideLake(path, ds)
						continue
					}
				}
				if d.IsDir() {
					walk(path)
					continue
				}
				f, gz := detect(name)
				if f == fmtUnknown || strings.HasPrefix(strings.ToUpper(name), "README") {
					ex.skipped = append(ex.skipped, validPath(path))
					continue
				}
				info, err := os.Stat(path)
				if err != nil {
					ex.reject(Reject{File: displayPath(path), Reason: ReasonUnreadable, Detail: err.Error()}, ds)
					continue
				}
				ex.inputs = append(ex.inputs, input{path: path, display: displayPath(path), dataset: ds, format: f, gz: gz, size: info.Size()})
			}
		}
		walk(p)
	}
	return ex, nil
}

// isLake says whether dir is a distill lake (a catalog.db beside a
// warehouse/ folder) or an Iceberg table folder (metadata/*.metadata.json):
// its files are tables and their bookkeeping, not articles.
func isLake(dir string) bool {
	if st, err := os.Stat(filepath.Join(dir, "catalog.db")); err == nil && !st.IsDir() {
		if st, err := os.Stat(filepath.Join(dir, "warehouse")); err == nil && st.IsDir() {
			return true
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "metadata"))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".metadata.json") {
			return true
		}
	}
	return false
}

// lakeOf returns the lake holding the canonical path p: p itself or the
// nearest folder above it that isLake.
func lakeOf(p string) (string, bool) {
	for d := p; ; {
		if isLake(d) {
			return d, true
		}
		up := filepath.Dir(d)
		if up == d {
			return "", false
		}
		d = up
	}
}

// within says whether path is dir or inside it (both canonical).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func datasetName(p, source string) string {
	if source != "" {
		return validPath(source)
	}
	base := filepath.Base(filepath.Clean(p))
	if base == "." || base == ".." {
		base = filepath.Base(canonicalPath(p)) // `ingest .` is named after the folder
	}
	base = validPath(base)
	base = strings.TrimSuffix(base, ".gz")
	if ext := filepath.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// readInput reads one file into the collector; an error here is an I/O
// failure of the whole run, not a bad record.
func readInput(ctx context.Context, in input, opts *Options, c *collector, progress func(int64)) error {
	s := &src{file: in.display, m: newMapping(opts.Map), max: opts.MaxRecordBytes}
	if in.format == fmtText {
		s.tag = textTag(in.path)
	}
	f, err := os.Open(in.path)
	if err != nil {
		fileReject(c, Reject{File: in.display, Reason: ReasonUnreadable, Detail: err.Error()})
		return nil
	}
	defer f.Close()
	if in.format == fmtParquet && !in.gz {
		err := readParquet(ctx, f, s, c)
		progress(in.size)
		return err
	}
	var r io.Reader = &countingReader{r: f, progress: progress}
	if in.size == 0 {
		fileReject(c, Reject{File: in.display, Reason: ReasonEmptyFile, Detail: "the file is empty"})
		return nil
	}
	if in.gz {
		gr, err := gzip.NewReader(r)
		if err != nil {
			fileReject(c, Reject{File: in.display, Reason: ReasonUnreadable, Detail: "not gzip: " + err.Error()})
			return nil
		}
		defer gr.Close()
		r = &gzipErrReader{r: gr}
	}
	if in.format == fmtParquet {
		fileReject(c, Reject{File: in.display, Reason: ReasonUnsupported, Detail: "gzipped Parquet: unzip it first (Parquet compresses its own pages)"})
		return nil
	}
	err2 := readStream(ctx, r, in.format, s, opts.Workers, c)
	var gzErr *gzipError
	if errors.As(err2, &gzErr) {
		fileReject(c, Reject{File: in.display, Reason: ReasonUnreadable, Detail: "corrupt gzip stream: " + gzErr.err.Error()})
		return nil
	}
	return err2
}

// readStream reads one decompressed input of a text format: the BOM decides
// the encoding (see decodeBOM), the first byte tells JSONL from a JSON array
// when the name does not.
func readStream(ctx context.Context, r io.Reader, format format, s *src, workers int, c sink) error {
	r, enc := decodeBOM(r)
	if enc != "" {
		s.notes = map[string]string{"encoding": enc}
	}
	br := newPeekReader(r)
	if format == fmtJSON || format == fmtUnknown {
		switch br.firstByte() {
		case '[':
			format = fmtJSON
		case '{':
			format = fmtJSONL
		default:
			if format == fmtUnknown {
				fileReject(c, Reject{File: s.file, Reason: ReasonUnsupported, Detail: "not JSONL, JSON, CSV, Parquet or .txt (by name or content)"})
				return nil
			}
			format = fmtJSONL
		}
	}
	switch format {
	case fmtJSONL:
		return readJSONL(ctx, br, s, workers, c)
	case fmtJSON:
		return readJSONArray(ctx, br, s, c)
	case fmtCSV:
		return readCSV(ctx, br, s, c)
	case fmtText:
		return readText(br, s, c)
	}
	return fmt.Errorf("read %s: format %d has no stream reader", s.file, format)
}

type countingReader struct {
	r        io.Reader
	progress func(int64)
	pending  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.pending += int64(n)
	if c.pending >= 1<<20 || err != nil {
		c.progress(c.pending)
		c.pending = 0
	}
	return n, err
}

// gzipError marks a decompression failure so it becomes a reject, not a crash.
type gzipError struct{ err error }

func (e *gzipError) Error() string { return "gzip: " + e.err.Error() }
func (e *gzipError) Unwrap() error { return e.err }

type gzipErrReader struct{ r io.Reader }

func (g *gzipErrReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = &gzipError{err}
	}
	return n, err
}

// peekReader lets the format be sniffed from the first non-space byte.
type peekReader struct {
	r    io.Reader
	head []byte
}

func newPeekReader(r io.Reader) *peekReader { return &peekReader{r: r} }

func (p *peekReader) firstByte() byte {
	buf := make([]byte, 512)
	for {
		n, err := p.r.Read(buf)
		p.head = append(p.head, buf[:n]...)
		for _, b := range p.head {
			if b != ' ' && b != '\n' && b != '\r' && b != '\t' {
				return b
			}
		}
		if err != nil || len(p.head) > 1<<16 {
			return 0
		}
	}
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// Add folds run b (a later run of the same command, e.g. the next source
// of a pipeline.yaml) into a and returns the total: counts add up, the
// output is b's, the first rejects are a's then b's. A nil a is b.
func (a *Result) Add(b *Result) *Result {
	if a == nil {
		return b
	}
	sum := *a
	sum.RowsIn += b.RowsIn
	sum.RowsOut += b.RowsOut
	sum.Seconds += b.Seconds
	sum.Inputs = append(append([]string{}, a.Inputs...), b.Inputs...)
	sum.Warnings = append(append([]string{}, a.Warnings...), b.Warnings...)
	sum.Table, sum.Snapshot, sum.Output, sum.Mode = b.Table, b.Snapshot, b.Output, b.Mode
	sum.Rejected += b.Rejected
	sum.Duplicates += b.Duplicates
	sum.AlreadyInLake += b.AlreadyInLake
	sum.IDConflicts += b.IDConflicts
	sum.RejectsKnown += b.RejectsKnown
	sum.Files += b.Files
	sum.Skipped = append(append([]string{}, a.Skipped...), b.Skipped...)
	sum.SkippedFolders = append(append([]string{}, a.SkippedFolders...), b.SkippedFolders...)
	sum.SnapshotID, sum.RejectsSnapshot = b.SnapshotID, b.RejectsSnapshot
	sum.Rejects = append(append([]Reject{}, a.Rejects...), b.Rejects...)
	sum.ByReason = map[string]int64{}
	for _, m := range []map[string]int64{a.ByReason, b.ByReason} {
		for k, v := range m {
			sum.ByReason[k] += v
		}
	}
	return &sum
}
