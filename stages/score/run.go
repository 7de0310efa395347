// Package score puts students to work: Run reads the articles of
// corpus.raw that a filter has not scored, once for every filter, and
// runs each through the prefilter, the compression and the production
// model of that filter (the package stored with the model, its
// calibration) into <filter>.scores, which the application downstream
// reads (Newest, Export). Shadow scores the same articles with a candidate,
// apart.
package score

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
)

// FilterResult is what a run did for one filter.
type FilterResult struct {
	Filter      string `json:"filter"`
	Model       string `json:"model"`
	Backend     string `json:"backend"`
	Package     string `json:"package"`
	Calibration string `json:"calibration,omitempty"`
	// Quantize is how a lora model's base loaded (4bit, 8bit, none).
	Quantize string `json:"quantize,omitempty"`
	Table    string `json:"table"`
	Snapshot int64  `json:"snapshot"`
	// Scored passed the prefilter and got the model's scores; Rejected did
	// not pass (a row with the reason, no scores).
	Scored   int64 `json:"scored"`
	Rejected int64 `json:"rejected"`
	// Already is the articles of corpus.raw this filter had scored before.
	Already int64 `json:"already_scored"`
	// Cascade is the enabled cascade's first-stage model; Cascaded the
	// passed articles it kept from the production model (Scored counts
	// them too).
	Cascade  string `json:"cascade_model,omitempty"`
	Cascaded int64  `json:"cascaded"`
}

// Result summarises a score run: RowsIn is the articles read (once for
// every filter), RowsOut the rows written over all filters.
type Result struct {
	spec.Summary
	Filters      []*FilterResult `json:"filters"`
	ArticlesPerS float64         `json:"articles_per_second"`
	// Ingest is the ingest of the paths given first (nil: none given);
	// Export the file of newest scores written after (nil: none asked).
	Ingest *ingest.Result `json:"ingest,omitempty"`
	Export *Exported      `json:"export,omitempty"`
}

// article is a corpus.raw row to score, and the filters that need it.
type article struct {
	pre   prefilter.Article
	comp  compress.Article
	needs []bool
}

// row is one scores row on its way to the writer.
type row struct {
	id, reason, sha string
	passed          bool
	// cascaded: the scores are the first stage's, which did not forward
	// the article.
	cascaded bool
	scores   []float64
}

// Run scores every article of corpus.raw that each filter has not scored
// yet and commits one snapshot per filter.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	res := &Result{Summary: spec.Start(spec.Score, l.RunID), Filters: []*FilterResult{}}
	res.Mode = "incremental"
	if opts.Rescore {
		res.Mode = "rescore"
	}
	targets, err := targetsOf(ctx, l, opts)
	if err != nil {
		return nil, err
	}
	if err := quantizations(targets, opts.Quantize); err != nil {
		return nil, err
	}
	for _, t := range targets {
		if err := spec.Scores.Ensure(ctx, l, t.pkg); err != nil {
			return nil, err
		}
		// One run at a time per table, from reading what is scored to the
		// commit; taken in namespace order, so two runs never wait on
		// each other.
		lock, err := spec.Score.Lock(ctx, l, t.pkg, opts.Waiting)
		if err != nil {
			return nil, err
		}
		defer lock.Unlock()
		res.Filters = append(res.Filters, t.res)
		res.Warnings = append(res.Warnings, t.warnings...)
	}
	sess, err := l.Session(ctx, spec.CorpusNamespace)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	scan, err := plan(ctx, sess, targets, opts.Rescore, "")
	if err != nil {
		return nil, err
	}
	res.RowsIn = scan.todo
	t0 := time.Now()
	pendings, err := scoreAll(ctx, l, sess, scan, targets, opts)
	if err != nil {
		return nil, err
	}
	if secs := time.Since(t0).Seconds(); secs > 0 {
		res.ArticlesPerS = float64(res.RowsIn) / secs
	}
	var inputs []lake.Snapshot
	for i, t := range targets {
		in := append([]lake.Snapshot{*scan.raw}, t.inputs...)
		snap, err := pendings[i].Commit(ctx, lake.Commit{Stage: spec.Score.Name, Inputs: in, Filter: t.pkg.Ref(),
			Params: t.params(map[string]any{"model": t.model.ID, "backend": t.model.Backend, "calibration": t.calName, "rescore": opts.Rescore})})
		if err != nil {
			return nil, err
		}
		if snap != nil {
			t.res.Snapshot = snap.Seq
		}
		res.RowsOut += pendings[i].Rows()
		inputs = append(inputs, in...)
		if len(targets) == 1 {
			res.SetOutput(spec.Scores.For(t.pkg), snap)
		}
	}
	res.SetInputs(dedupe(inputs)...)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// targetsOf resolves every filter to score, in namespace order.
func targetsOf(ctx context.Context, l *lake.Lake, opts Options) ([]*target, error) {
	nss, given, err := namespaces(ctx, l, opts)
	if err != nil {
		return nil, err
	}
	slices.Sort(nss)
	var out []*target
	for _, ns := range nss {
		t, err := resolve(ctx, l, ns, given[ns], opts.All)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, spec.Need(spec.ModelTags, "", fmt.Sprintf("%s: no filter of this lake has a model tagged production (distill model tag production MODEL --filter DIR)", ErrNothingToScore), ErrNothingToScore)
	}
	return out, nil
}

// dedupe keeps the first of snapshots naming one table.
func dedupe(snaps []lake.Snapshot) []lake.Snapshot {
	seen := map[string]bool{}
	var out []lake.Snapshot
	for _, s := range snaps {
		if k := s.Ref().String(); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// textSHA is the text_sha256 compress writes for a text.
func textSHA(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// render decides and renders a for target t with the worker's own rules:
// the Text to predict, or the rejected row.
func render(t *target, rules *prefilter.Rules, a *article) (predict.Text, row, bool) {
	d := rules.Decide(a.pre)
	if !d.Passed {
		return predict.Text{}, row{id: a.pre.ID, reason: d.Reason}, false
	}
	r := compress.Render(a.comp, t.settings)
	return predict.Text{ID: a.pre.ID, Text: r.Text}, row{id: a.pre.ID, reason: d.Reason, passed: true, sha: textSHA(r.Text)}, true
}
