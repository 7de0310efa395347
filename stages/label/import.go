package label

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// importer maps records to labels under one set of ImportOptions.
type importer struct {
	opts ImportOptions
	// keys are the paths where a record's analysis may be (the first found
	// is used; all are cut from the article).
	keys [][]string
	dims map[string][]string
	// mapping names what, beyond the analysis, makes a label: folded into
	// the cache key so that one analysis imported under another oracle,
	// model or --dim mapping is another label. Empty for the defaults,
	// whose cache key stays "import:"+sha(analysis).
	mapping string
}

// newImporter prepares validated options.
func newImporter(opts ImportOptions) *importer {
	im := &importer{opts: opts}
	if im.opts.Oracle == "" {
		im.opts.Oracle = importOracle
	}
	if opts.Key != "" {
		im.keys = [][]string{strings.Split(opts.Key, ".")}
	} else {
		name := opts.Filter.Name
		im.keys = [][]string{{name + "_analysis"}, {strings.ReplaceAll(name, "_", "-") + "_analysis"}}
	}
	im.dims, _ = opts.dimPaths()
	if im.opts.Oracle != importOracle || opts.Model != "" || len(im.dims) > 0 {
		var dims []string
		for name, path := range im.dims {
			dims = append(dims, name+"="+strings.Join(path, "."))
		}
		slices.Sort(dims)
		im.mapping = "oracle=" + im.opts.Oracle + "\nmodel=" + opts.Model + "\ndims=" + strings.Join(dims, ",")
	}
	return im
}

// keyName is the analysis's name in messages.
func (im *importer) keyName() string { return strings.Join(im.keys[0], ".") }

// readFile reads one JSONL file, handing each label and its article (the
// record without its analysis) to emit; rejected records are counted in res
// with their file:line and reason.
func (im *importer) readFile(p string, res *ImportResult, emit func(*labelRow, []byte) error) error {
	fh, err := os.Open(p)
	if err != nil {
		return err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		res.RowsIn++
		row, article, err := im.record(sc.Bytes())
		if err != nil {
			res.Rejected++
			var u *unjudgedError
			if errors.As(err, &u) {
				res.Unjudged++
			}
			res.Problems = append(res.Problems, fmt.Sprintf("%s:%d: %v", p, line, err))
			continue
		}
		if err := emit(row, article); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	return nil
}

// unjudgedError rejects an analysis whose scores are still null.
type unjudgedError struct{ dims []string }

func (e *unjudgedError) Error() string {
	return "not judged yet: " + strings.Join(e.dims, ", ") + " still null"
}

// record maps one JSONL record to its label and its article.
func (im *importer) record(b []byte) (*labelRow, []byte, error) {
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %v", err)
	}
	var id string
	if err := json.Unmarshal(rec["id"], &id); err != nil || id == "" {
		return nil, nil, errors.New(`no "id" (a string) in the record`)
	}
	var analysis json.RawMessage
	for _, k := range im.keys {
		if a, ok := cut(rec, k); ok && analysis == nil {
			analysis = a
		}
	}
	if analysis == nil {
		return nil, nil, fmt.Errorf("%s: no %s in the record", id, im.keyName())
	}
	row, err := im.label(id, analysis)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", id, err)
	}
	article, err := json.Marshal(rec)
	return row, article, err
}

// label maps one analysis object to a label row: the dimensions' scores and
// evidence, content type, time and model, and what is left in Extra.
func (im *importer) label(id string, raw json.RawMessage) (*labelRow, error) {
	f := im.opts.Filter
	// plain gives the scores; exact (numbers as written) loses each field
	// as it is mapped, and what remains is Extra.
	var plain, exact map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if json.Unmarshal(raw, &plain) != nil || dec.Decode(&exact) != nil || plain == nil {
		return nil, fmt.Errorf("%s is not a JSON object", im.keyName())
	}
	// The defaults' cache key hashes the analysis as written (that of the
	// imports before --oracle, --model and --dim); the others hash it with
	// sorted keys and no spaces, so that a review saved again with other
	// formatting is the same label.
	canonical := ""
	if im.mapping != "" {
		b, err := compactJSON(exact)
		if err != nil {
			return nil, err
		}
		canonical = b
	}
	r := &labelRow{ID: id, Scores: map[string]float64{}, Evidence: map[string]string{}, Oracle: im.opts.Oracle,
		Imported: true, LabeledAt: time.Now().UTC()}
	var problems, unjudged []string
	for _, d := range f.Dimensions {
		path := im.dims[d.Name]
		if path == nil {
			path = defaultPath(plain, d.Name)
		}
		v, ok := lookup(plain, path)
		switch {
		case !ok && im.dims[d.Name] != nil:
			problems = append(problems, fmt.Sprintf("dimension %s: no %s in %s", d.Name, strings.Join(path, "."), im.keyName()))
			continue
		case !ok:
			problems = append(problems, fmt.Sprintf("dimension %s is missing from %s", d.Name, im.keyName()))
			continue
		case unset(v):
			unjudged = append(unjudged, d.Name)
			continue
		}
		score, evidence, err := scoreOf(v)
		if err != nil {
			if what := notNumber(v); what != "" {
				err = fmt.Errorf("%s is not a number", what)
			}
			problems = append(problems, fmt.Sprintf("dimension %s (%s.%s): %v", d.Name, im.keyName(), strings.Join(path, "."), err))
			continue
		}
		r.Scores[d.Name], r.Evidence[d.Name] = score, evidence
		consumeScore(exact, path, v)
	}
	if len(problems) > 0 {
		if len(unjudged) > 0 {
			problems = append(problems, (&unjudgedError{unjudged}).Error())
		}
		return nil, &ValidationError{strings.Join(problems, "; ")}
	}
	if len(unjudged) > 0 {
		return nil, &unjudgedError{unjudged}
	}
	if err := im.meta(r, plain, exact); err != nil {
		return nil, err
	}
	r.Overall, r.Gated = f.ScoreOf(r.Scores)
	r.Tier = f.TierOf(r.Overall)
	r.CacheKey = "import:" + sha(string(raw))
	if im.mapping != "" {
		r.CacheKey = "import:" + sha(canonical+"\n"+im.mapping)
	}
	return r, nil
}

// meta maps the analysis's other known fields (content_type, reasoning,
// analyzed_at, analyzed_by) where they are used, and keeps the rest of
// exact in r.Extra.
func (im *importer) meta(r *labelRow, plain, exact map[string]any) error {
	if ct, ok := plain["content_type"].(string); ok {
		r.ContentType = ct
		delete(exact, "content_type")
	}
	// The overall reasoning stands in for missing evidence; when every
	// dimension has its own, it is kept in Extra.
	if reasoning, ok := plain["reasoning"].(string); ok {
		used := reasoning == ""
		for _, d := range im.opts.Filter.Dimensions {
			if r.Evidence[d.Name] == "" && reasoning != "" {
				r.Evidence[d.Name], used = "(overall reasoning) "+reasoning, true
			}
		}
		if used {
			delete(exact, "reasoning")
		}
	}
	if s, ok := plain["analyzed_at"].(string); ok {
		if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
			r.LabeledAt = at
			delete(exact, "analyzed_at")
		}
	}
	r.Model = im.opts.Model
	if r.Model == "" {
		r.Model = "unknown"
		if by, ok := plain["analyzed_by"].(string); ok && by != "" {
			r.Model = by
			delete(exact, "analyzed_by")
		}
	}
	if len(exact) == 0 {
		return nil
	}
	extra, err := compactJSON(exact)
	if err != nil {
		return fmt.Errorf("keep the unmapped fields: %w", err)
	}
	r.Extra = extra
	return nil
}

// compactJSON encodes v with no spaces, map keys sorted, and <, > and &
// as they are.
func compactJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// defaultPath is where a dimension is found without --dim: at the top level,
// or under a "dimensions" or "scores" object (as Parse reads oracles'
// answers). Nil when it is nowhere.
func defaultPath(a map[string]any, dim string) []string {
	if _, ok := a[dim]; ok {
		return []string{dim}
	}
	for _, k := range []string{"dimensions", "scores"} {
		if inner, ok := a[k].(map[string]any); ok {
			if _, ok := inner[dim]; ok {
				return []string{k, dim}
			}
		}
	}
	return nil
}

// unset says whether a dimension's value is null or {"score": null}: a
// review not judged yet, never a 0.
func unset(v any) bool {
	if m, ok := v.(map[string]any); ok {
		s, has := m["score"]
		return has && s == nil
	}
	return v == nil
}

// notNumber describes a score that is not a number, briefly (a long text
// is cut); "" for a number or an object without a score.
func notNumber(v any) string {
	if m, ok := v.(map[string]any); ok {
		v = m["score"]
	}
	switch x := v.(type) {
	case float64, nil:
		return ""
	case string:
		if r := []rune(x); len(r) > 40 {
			x = string(r[:40]) + "…"
		}
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

// lookup follows path through nested objects.
func lookup(m map[string]any, path []string) (any, bool) {
	if len(path) == 0 {
		return nil, false
	}
	var v any = m
	for _, k := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// consumeScore removes from exact what a dimension's value mapped to
// columns: a bare score, or the score and evidence of an object (its
// reasoning too when it stood in for the evidence); its other fields stay.
func consumeScore(exact map[string]any, path []string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		remove(exact, path)
		return
	}
	fields := []string{"score", "evidence"}
	if e, _ := m["evidence"].(string); e == "" {
		if _, ok := m["reasoning"].(string); ok {
			fields = append(fields, "reasoning")
		}
	}
	if obj, ok := lookupExact(exact, path); ok {
		for _, k := range fields {
			if _, isString := obj[k].(string); k == "score" || isString {
				delete(obj, k)
			}
		}
		if len(obj) == 0 {
			remove(exact, path)
		}
	}
}

// lookupExact is lookup for an object at path.
func lookupExact(m map[string]any, path []string) (map[string]any, bool) {
	v, ok := lookup(m, path)
	if !ok {
		return nil, false
	}
	obj, ok := v.(map[string]any)
	return obj, ok
}

// remove deletes path's leaf, and each object above it that this leaves
// empty.
func remove(m map[string]any, path []string) {
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	inner, ok := m[path[0]].(map[string]any)
	if !ok {
		return
	}
	remove(inner, path[1:])
	if len(inner) == 0 {
		delete(m, path[0])
	}
}

// cut takes the value at path out of a record (re-encoding the objects
// above it), and reports whether it was there.
func cut(rec map[string]json.RawMessage, path []string) (json.RawMessage, bool) {
	v, ok := rec[path[0]]
	if !ok {
		return nil, false
	}
	if len(path) == 1 {
		delete(rec, path[0])
		return v, true
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(v, &inner) != nil || inner == nil {
		return nil, false
	}
	got, ok := cut(inner, path[1:])
	if !ok {
		return nil, false
	}
	if len(inner) == 0 {
		delete(rec, path[0])
	} else if b, err := json.Marshal(inner); err == nil {
		rec[path[0]] = b
	}
	return got, true
}
