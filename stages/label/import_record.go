package label

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

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
