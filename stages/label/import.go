package label

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// ImportOptions say where an import finds each record's labels and how it
// names them. Only Filter is required.
type ImportOptions struct {
	Filter *filters.Filter `yaml:"-"`
	// Paths are the JSONL files to read.
	Paths []string `yaml:"-"`
	// Key is the analysis object's name in each record; a dotted path
	// ("a.b") reaches a nested object. Default: <filter>_analysis, with
	// hyphens or underscores.
	Key string `yaml:"key"`
	// Dims take dimensions' scores from dotted paths inside the analysis:
	// "PATH" (its last segment names the dimension) or "NAME=PATH". The
	// value there is a number or a {"score", "evidence"} object. A dimension
	// not named here is found as by default: at the analysis's top level, or
	// under its "dimensions" or "scores" object.
	Dims []string `yaml:"dims"`
	// Oracle fills the labels' oracle column; default "import" (a person's
	// judgments: "human").
	Oracle string `yaml:"oracle"`
	// Model fills the labels' model column; default: each analysis's
	// analyzed_by, else "unknown".
	Model string `yaml:"model"`
}

// importOracle is the oracle column of imports that name none.
const importOracle = "import"

// Validate reports options an import cannot start with, before any file is
// read: an unknown dimension names the filter's dimensions.
func (o *ImportOptions) Validate() error {
	if o.Filter == nil {
		return fmt.Errorf("%w: Filter is required", ErrOptions)
	}
	if o.Key != "" && slices.Contains(strings.Split(o.Key, "."), "") {
		return fmt.Errorf("%w: key %q has an empty segment", ErrOptions, o.Key)
	}
	if strings.ContainsAny(o.Oracle, "/ ") {
		return fmt.Errorf("%w: oracle %q: one word, as an oracle's kind (human, import); the model goes in --model, and agree names the two KIND/MODEL", ErrOptions, o.Oracle)
	}
	_, err := o.dimPaths()
	return err
}

// dimPaths parses Dims: dimension name -> path inside the analysis.
func (o *ImportOptions) dimPaths() (map[string][]string, error) {
	f, out := o.Filter, map[string][]string{}
	for _, d := range o.Dims {
		name, path, named := strings.Cut(d, "=")
		if !named {
			path = name
		}
		segs := strings.Split(strings.TrimSpace(path), ".")
		if !named {
			name = segs[len(segs)-1]
		}
		name = strings.TrimSpace(name)
		switch {
		case slices.Contains(segs, ""):
			return nil, fmt.Errorf("%w: dim %q: the path has an empty segment (want PATH or NAME=PATH, e.g. scores.agency)", ErrOptions, d)
		case !slices.Contains(f.DimensionNames(), name):
			return nil, fmt.Errorf("%w: dim %q: the filter %s has no dimension %q (its dimensions: %s)", ErrOptions, d, f.Name, name, strings.Join(f.DimensionNames(), ", "))
		case out[name] != nil:
			return nil, fmt.Errorf("%w: dim %q: dimension %s is given twice", ErrOptions, d, name)
		}
		out[name] = segs
	}
	return out, nil
}

// ImportResult summarises an import: RowsIn is the records read, RowsOut
// the labels written.
type ImportResult struct {
	spec.Summary
	Rejected int64 `json:"rejected"`
	// Unjudged counts the rejected records whose analysis still has null
	// scores (a review file not judged yet).
	Unjudged    int64            `json:"unjudged,omitempty"`
	Duplicates  int64            `json:"duplicates"`
	NewArticles int64            `json:"new_articles"`
	Problems    []string         `json:"problems,omitempty"`
	ByModel     map[string]int64 `json:"by_model"`
}

// ImportResult is a spec.Result: spec.Print prints it.
var _ spec.Result = (*ImportResult)(nil)

// Details are the import's own lines: what became of the records, and the
// first problems.
func (r *ImportResult) Details() []string {
	rejected := fmt.Sprintf("%d rejected", r.Rejected)
	if r.Unjudged > 0 {
		rejected += fmt.Sprintf(" (%d not judged yet)", r.Unjudged)
	}
	lines := []string{fmt.Sprintf("import: %s, %s imported, %d already imported, %s, %s ingested -> labels@%d",
		human.Plural(int64(r.RowsIn), "record"), human.Plural(int64(r.RowsOut), "label"), r.Duplicates, rejected, human.Plural(int64(r.NewArticles), "new article"), r.Snapshot)}
	for _, p := range r.Problems[:min(len(r.Problems), 5)] {
		lines = append(lines, p)
	}
	return lines
}

// Headline is the import's key figures.
func (r *ImportResult) Headline() string {
	return fmt.Sprintf("%s imported, %d already imported, %d rejected", human.Plural(int64(r.RowsOut), "label"), r.Duplicates, r.Rejected)
}

// Import reads labels made elsewhere with the default options: JSONL where
// each article carries <filter>_analysis. See ImportWith.
func Import(ctx context.Context, l *lake.Lake, f *filters.Filter, paths []string) (*ImportResult, error) {
	return ImportWith(ctx, l, ImportOptions{Filter: f, Paths: paths})
}

// ImportWith reads labels made elsewhere: JSONL where each article carries
// an analysis object (opts.Key) with the dimensions' scores, flat or as
// {"score", "evidence"} objects, plus reasoning, content_type, analyzed_at
// and analyzed_by. What the analysis holds beyond the columns is kept in
// the extra column. A record with null scores (not judged yet) is rejected.
// Articles not in corpus.raw are ingested too. Rows are marked imported:
// their oracle saw the other project's rendering of the text, not
// compress.Render's. A record already imported (same id and cache key) is
// skipped; it returns ErrAllRejected when every record was rejected.
func ImportWith(ctx context.Context, l *lake.Lake, opts ImportOptions) (*ImportResult, error) {
	start := time.Now()
	res := &ImportResult{Summary: spec.Start(spec.Label, l.RunID), ByModel: map[string]int64{}}
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	if err := opts.Validate(); err != nil {
		return res, err
	}
	f := opts.Filter
	res.Mode, res.Table = "import", spec.Labels.For(f).String()
	im := newImporter(opts)
	tmp, err := os.CreateTemp("", "distill-import-*.jsonl")
	if err != nil {
		return res, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	articles := bufio.NewWriter(tmp)
	var rows []*labelRow
	for _, p := range opts.Paths {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		err := im.readFile(p, res, func(r *labelRow, article []byte) error {
			rows = append(rows, r)
			res.ByModel[r.Model]++
			_, err := articles.Write(append(article, '\n'))
			return err
		})
		if err != nil {
			return res, err
		}
	}
	if len(rows) == 0 && res.Rejected > 0 {
		return res, fmt.Errorf("%w: %d of %s; the first: %s", ErrAllRejected, res.Rejected, human.Plural(int64(res.RowsIn), "record"), res.Problems[0])
	}
	if err := articles.Flush(); err != nil {
		return res, err
	}
	if err := tmp.Close(); err != nil {
		return res, err
	}
	if len(rows) > 0 {
		p := opts.Paths[0]
		ir, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{tmp.Name()}, Source: "import:" + strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))})
		if err != nil {
			return res, fmt.Errorf("ingest the imported articles: %w", err)
		}
		res.NewArticles = ir.RowsOut
	}
	return res, im.commit(ctx, l, rows, res)
}

// commit writes the rows not imported before. Re-importing the same file
// adds nothing: (id, cache_key) pairs already there are skipped, under the
// labels table's writer lock so that two imports at once cannot both add
// the same pairs.
func (im *importer) commit(ctx context.Context, l *lake.Lake, rows []*labelRow, res *ImportResult) error {
	f := im.opts.Filter
	lock, err := l.LockTable(ctx, spec.Labels.For(f), "label import", nil)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return err
	}
	seen, err := stringSet(ctx, sess, spec.Labels.For(f), "SELECT id || '|' || cache_key FROM %s WHERE imported")
	sess.Close()
	if err != nil {
		return err
	}
	var fresh []*labelRow
	for _, r := range rows {
		if k := r.ID + "|" + r.CacheKey; !seen[k] {
			seen[k] = true
			fresh = append(fresh, r)
		} else {
			res.Duplicates++
		}
	}
	res.RowsOut = int64(len(fresh))
	if len(fresh) == 0 {
		return nil
	}
	params := map[string]any{"paths": im.opts.Paths}
	for k, v := range map[string]string{"key": im.opts.Key, "oracle": im.opts.Oracle, "model": im.opts.Model} {
		if v != "" {
			params[k] = v
		}
	}
	if len(im.opts.Dims) > 0 {
		params["dims"] = im.opts.Dims
	}
	w := &writer{l: l, f: f, res: &Result{}}
	snap, err := w.writeLabels(ctx, fresh, lake.Commit{Stage: spec.Label.Name + "-import", Filter: f.Ref(), Params: params})
	if err != nil {
		return err
	}
	res.SetOutput(spec.Labels.For(f), snap)
	return nil
}
