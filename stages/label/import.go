package label

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// ImportResult summarises an import: RowsIn is the records read, RowsOut
// the labels written.
type ImportResult struct {
	spec.Summary
	Rejected    int64            `json:"rejected"`
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
	lines := []string{fmt.Sprintf("import: %s, %s imported, %d already imported, %d rejected, %s ingested -> labels@%d",
		human.Plural(int64(r.RowsIn), "record"), human.Plural(int64(r.RowsOut), "label"), r.Duplicates, r.Rejected, human.Plural(int64(r.NewArticles), "new article"), r.Snapshot)}
	for _, p := range r.Problems[:min(len(r.Problems), 5)] {
		lines = append(lines, p)
	}
	return lines
}

// Import reads labels made elsewhere: JSONL where each article carries
// <filter>_analysis (hyphens or underscores) with flat dimension scores plus
// reasoning, or per-dimension {"score", "evidence"} objects. Articles not in
// corpus.raw are ingested too. Rows are marked imported: their oracle saw the
// other project's rendering of the text, not compress.Render's.
func Import(ctx context.Context, l *lake.Lake, f *filters.Filter, paths []string) (*ImportResult, error) {
	start := time.Now()
	res := &ImportResult{Summary: spec.Start(spec.Label, l.RunID), ByModel: map[string]int64{}}
	res.Mode, res.Table = "import", spec.Labels.For(f).String()
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	keys := []string{f.Name + "_analysis", strings.ReplaceAll(f.Name, "_", "-") + "_analysis"}
	tmp, err := os.CreateTemp("", "distill-import-*.jsonl")
	if err != nil {
		return res, err
	}
	defer os.Remove(tmp.Name())
	articles := bufio.NewWriter(tmp)
	var rows []*labelRow
	for _, p := range paths {
		fh, err := os.Open(p)
		if err != nil {
			return res, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		line := 0
		for sc.Scan() {
			line++
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			res.RowsIn++
			var rec map[string]json.RawMessage
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				res.Rejected++
				res.Problems = append(res.Problems, fmt.Sprintf("%s:%d: not a JSON object: %v", p, line, err))
				continue
			}
			var analysis json.RawMessage
			for _, k := range keys {
				if a, ok := rec[k]; ok {
					analysis = a
					delete(rec, k)
				}
			}
			var id string
			json.Unmarshal(rec["id"], &id)
			if analysis == nil || id == "" {
				res.Rejected++
				res.Problems = append(res.Problems, fmt.Sprintf("%s:%d: no id or no %s", p, line, keys[0]))
				continue
			}
			s, err := Parse(f, string(analysis))
			if err != nil {
				res.Rejected++
				res.Problems = append(res.Problems, fmt.Sprintf("%s:%d: %s: %v", p, line, id, err))
				continue
			}
			var meta struct {
				Reasoning  string `json:"reasoning"`
				AnalyzedAt string `json:"analyzed_at"`
				AnalyzedBy string `json:"analyzed_by"`
			}
			json.Unmarshal(analysis, &meta)
			if meta.Reasoning != "" {
				for _, d := range f.Dimensions {
					if s.Evidence[d.Name] == "" {
						s.Evidence[d.Name] = "(overall reasoning) " + meta.Reasoning
					}
				}
			}
			model := meta.AnalyzedBy
			if model == "" {
				model = "unknown"
			}
			at, err := time.Parse(time.RFC3339Nano, meta.AnalyzedAt)
			if err != nil {
				at = time.Now().UTC()
			}
			overall, gated := f.ScoreOf(s.Values)
			rows = append(rows, &labelRow{ID: id, Scores: s.Values, Evidence: s.Evidence, ContentType: s.ContentType,
				Overall: overall, Gated: gated, Tier: f.TierOf(overall), Oracle: "import", Model: model,
				CacheKey: "import:" + sha(string(analysis)), Imported: true, Repaired: s.Repaired, LabeledAt: at})
			res.ByModel[model]++
			b, _ := json.Marshal(rec)
			articles.Write(append(b, '\n'))
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return res, fmt.Errorf("read %s: %w", p, err)
		}
	}
	if len(rows) == 0 && res.Rejected > 0 {
		return res, fmt.Errorf("%w: %d of %s; the first: %s", ErrAllRejected, res.Rejected, human.Plural(int64(res.RowsIn), "record"), res.Problems[0])
	}
	if err := articles.Flush(); err != nil {
		return res, err
	}
	tmp.Close()
	if len(rows) > 0 {
		ir, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{tmp.Name()}, Source: "import:" + strings.TrimSuffix(filepath.Base(paths[0]), filepath.Ext(paths[0]))})
		if err != nil {
			return res, fmt.Errorf("ingest the imported articles: %w", err)
		}
		res.NewArticles = ir.RowsOut
	}
	// Re-importing the same file adds nothing: skip (id, cache_key) pairs
	// already there, under the labels table's writer lock so that two imports
	// at once cannot both add the same pairs.
	lock, err := l.LockTable(ctx, spec.Labels.For(f), "label import", nil)
	if err != nil {
		return res, err
	}
	defer lock.Unlock()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return res, err
	}
	seen, err := stringSet(ctx, sess, spec.Labels.For(f), "SELECT id || '|' || cache_key FROM %s WHERE imported")
	sess.Close()
	if err != nil {
		return res, err
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
	if len(fresh) > 0 {
		w := &writer{l: l, f: f, res: &Result{}}
		snap, err := w.writeLabels(ctx, fresh, lake.Commit{Stage: spec.Label.Name + "-import", Filter: f.Ref(), Params: map[string]any{"paths": paths}})
		if err != nil {
			return res, err
		}
		res.SetOutput(spec.Labels.For(f), snap)
	}
	return res, nil
}

// Headline is the import's key figures.
func (r *ImportResult) Headline() string {
	return fmt.Sprintf("%s imported, %d already imported, %d rejected", human.Plural(int64(r.RowsOut), "label"), r.Duplicates, r.Rejected)
}
