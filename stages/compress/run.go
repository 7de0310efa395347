// Package compress cuts each article that passed the prefilter down to the
// exact text the oracle will be given and the student trained on, and writes
// it to <filter>.compressed. Render is the one function that makes that text;
// Run is the stage.
package compress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/lang"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// ErrNoPrefilter means the filter's prefilter has not run (returned inside
// a spec.NeedError naming prefilter).
var ErrNoPrefilter = errors.New("no prefilter decisions for this filter")

// Options configure a compression run.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Full renders every passed article again, replacing the table.
	Full bool `yaml:"full"`
	// Waiting, when set, gets the line saying that another compress run
	// holds the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// Validate checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return errors.New("compress: no filter")
	}
	return nil
}

// Result summarises a run. Each count is counted on its own, from what was
// read or written, so that RowsIn = RowsOut + AlreadyRendered + Rejected +
// Duplicates is a check, not a definition. RowsIn is the passed decisions
// in the prefilter snapshot read, RowsOut the rows written (counted by the
// table writer).
type Result struct {
	spec.Summary
	Truncated int64 `json:"truncated"`
	// AlreadyRendered is the passed decisions that had a compressed row.
	AlreadyRendered int64 `json:"already_compressed"`
	// Rejected is the passed articles not in corpus.raw at the snapshot
	// read (a rolled-back ingest): there is no text to render.
	Rejected int64 `json:"rejected"`
	// Duplicates is the passed decisions whose id was already rendered in
	// this run: one row per id, whatever the input holds.
	Duplicates int64   `json:"duplicates"`
	MeanWords  float64 `json:"mean_words"`
	Method     string  `json:"method"`
	// BoilerplateLearned is the sources whose boilerplate this run learned
	// (again); LearnSeconds what that took, reading their pages included.
	BoilerplateLearned int64   `json:"boilerplate_learned"`
	LearnSeconds       float64 `json:"learn_seconds"`
	// BoilerplateSeq is the corpus.boilerplate snapshot the texts were cut
	// with (0: the filter does not learn boilerplate).
	BoilerplateSeq int64 `json:"boilerplate_sequence"`
	// Cut is the rendered articles whose source's learned furniture was cut.
	Cut int64 `json:"boilerplate_cut"`
	// OlderModel is the texts kept from earlier runs that were cut by
	// another model than their source's current one (compress --full
	// recuts them).
	OlderModel int64 `json:"older_model_texts"`
}

// Run renders the passed articles not yet compressed with the current
// settings. When the settings changed, or some compressed article no longer
// passes the prefilter, the table is rebuilt as one replacing snapshot.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	res := &Result{Summary: spec.Start(spec.Compress, l.RunID)}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	f := opts.Filter
	settings, err := SettingsFor(f)
	if err != nil {
		return res, err
	}
	// The signature is part of the method: a lake compressed before
	// signatures existed (or with another kind) is rebuilt once to get them.
	res.Method = settings.Method() + "+" + SignatureMethod
	out := spec.Compressed.For(f)
	if err := spec.Compressed.Ensure(ctx, l, f); err != nil {
		return res, err
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return res, err
	}
	defer sess.Close()
	pre := spec.Prefiltered.For(f)
	if ok, err := l.Exists(ctx, pre); err != nil {
		return res, err
	} else if !ok {
		return res, spec.Need(spec.Prefiltered, f.Namespace(), ErrNoPrefilter.Error(), ErrNoPrefilter)
	}
	preRel, preSnap, err := sess.Relation(ctx, lake.Ref{TableName: pre})
	if err != nil {
		return res, err
	}
	if preSnap == nil {
		return res, spec.Need(spec.Prefiltered, f.Namespace(), ErrNoPrefilter.Error(), ErrNoPrefilter)
	}
	rawRel, rawSnap, err := sess.Relation(ctx, spec.Raw.Ref(nil))
	if err != nil {
		return res, err
	}
	if err := sess.Input(ctx, "compress_raw", rawRel); err != nil {
		return res, err
	}
	if settings.Learn {
		if settings.Model, err = refreshModel(ctx, l, sess, rawSnap, opts.Waiting, res); err != nil {
			return res, fmt.Errorf("learn boilerplate: %w", err)
		}
		res.BoilerplateSeq = settings.Model.Seq
	}
	// One run at a time per table, from reading what is compressed to the commit.
	lock, err := spec.Compress.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return res, err
	}
	defer lock.Unlock()
	cur, err := l.Current(ctx, out)
	if err != nil {
		return res, err
	}
	full, curRel, err := needsRebuild(ctx, sess, cur, preRel, res.Method, opts.Full)
	if err != nil {
		return res, err
	}
	if !full && settings.Learn {
		if res.OlderModel, err = olderModelTexts(ctx, sess, curRel, settings.Model); err != nil {
			return res, err
		}
	}
	// Every passed decision is read; one whose article is not in corpus.raw
	// comes back with a NULL id from raw and is counted as rejected.
	q := "SELECT p.id, r.id IS NOT NULL, coalesce(r.title, ''), coalesce(r.source, ''), coalesce(r.dataset, ''), coalesce(r.published_date, ''), coalesce(r.content, '') FROM " +
		preRel + " p LEFT JOIN " + rawRel + " r ON r.id = p.id WHERE p.passed"
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM "+preRel+" WHERE passed", &res.RowsIn); err != nil {
		return res, err
	}
	res.Mode = "full"
	if !full {
		res.Mode = "incremental"
		done := "EXISTS (SELECT 1 FROM " + curRel + " c WHERE c.id = p.id)"
		q += " AND NOT " + done
		if err := sess.QueryRow(ctx, "SELECT count(*) FROM "+preRel+" p WHERE p.passed AND "+done, &res.AlreadyRendered); err != nil {
			return res, err
		}
	}
	q += " ORDER BY p.id"
	now := time.Now()
	var words, rendered int64
	pending, err := l.WriteRows(ctx, out, func(rb *lake.RowBuilder) error {
		rows, err := sess.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		last := ""
		for rows.Next() && !rb.Stopped() {
			var id string
			var inRaw bool
			var a Article
			if err := rows.Scan(&id, &inRaw, &a.Title, &a.Source, &a.Dataset, &a.PublishedDate, &a.Content); err != nil {
				return err
			}
			if id == last { // rows come ordered by id
				res.Duplicates++
				continue
			}
			last = id
			if !inRaw {
				res.Rejected++
				continue
			}
			r := Render(a, settings)
			rendered++
			words += int64(r.Words)
			if r.Truncated {
				res.Truncated++
			}
			writeRow(rb, rowOf{id: id, a: a, r: r, pre: preSnap.Seq, raw: rawSnap.Seq, at: now, run: l.RunID}, res)
		}
		return rows.Err()
	})
	if err != nil {
		return res, fmt.Errorf("render passed articles: %w", err)
	}
	res.RowsOut = pending.Rows()
	if rendered > 0 {
		res.MeanWords = float64(words) / float64(rendered)
	}
	inputs := []lake.Snapshot{*rawSnap, *preSnap}
	params := map[string]any{"method": res.Method, "mode": res.Mode}
	if bp := settings.Model; bp != nil && bp.snap != nil {
		// The snapshot the texts were cut with, not the table's current
		// one: another filter's run may have learned since.
		inputs = append(inputs, *bp.snap)
		params["boilerplate_sequence"] = bp.Seq
	}
	commit := lake.Commit{Stage: spec.Compress.Name, Inputs: inputs, Filter: f.Ref(), Replace: full, Params: params}
	res.SetInputs(commit.Inputs...)
	snap, err := pending.Commit(ctx, commit)
	if err != nil {
		return res, err
	}
	if !full && res.RowsOut == 0 {
		res.Mode = "none"
	}
	res.Finish(out, snap, start)
	return res, nil
}

// rowOf is one compressed row's makings.
type rowOf struct {
	id       string
	a        Article
	r        Rendered
	pre, raw int64
	at       time.Time
	run      string
}

// writeRow writes one article's compressed row.
func writeRow(rb *lake.RowBuilder, w rowOf, res *Result) {
	sum := sha256.Sum256([]byte(w.r.Text))
	rb.String("id", w.id)
	rb.String("text", w.r.Text)
	rb.Long("words", int64(w.r.Words))
	rb.Long("chars", int64(w.r.Chars))
	rb.Bool("truncated", w.r.Truncated)
	rb.String("text_sha256", hex.EncodeToString(sum[:]))
	rb.String("method", res.Method)
	rb.Longs("minhash", Signature(w.r.Text))
	if w.r.BoilerplateCut {
		res.Cut++
	}
	if w.r.BoilerplateVersion != "" {
		rb.String("boilerplate_version", w.r.BoilerplateVersion)
	}
	if res.BoilerplateSeq > 0 {
		rb.Long("boilerplate_sequence", res.BoilerplateSeq)
	}
	// Detected on the title and the body the oracle reads (the
	// header's English labels left out).
	if code, _ := lang.Detect(w.a.Title + "\n" + Body(w.r.Text)); code != "" {
		rb.String("language", code)
	}
	rb.Long("prefilter_sequence", w.pre)
	rb.Long("raw_sequence", w.raw)
	rb.Time("compressed_at", w.at)
	rb.String("run_id", w.run)
	rb.EndRow()
}

// needsRebuild reports whether every passed article is to be rendered again
// (and the relation of the current snapshot when not): asked to, nothing
// compressed yet, other settings, or a compressed article that no longer
// passes (pre). A source's boilerplate learned again is not a reason: the
// texts it cut before stay as they are (each row names the model version
// that cut it), so their labels and splits stay valid; --full cuts every
// text with the current model.
func needsRebuild(ctx context.Context, sess *lake.Session, cur *lake.Snapshot, pre, method string, asked bool) (bool, string, error) {
	if asked || cur == nil || !sameMethod(cur, method) {
		return true, "", nil
	}
	curRel, _, err := sess.Relation(ctx, cur.Ref())
	if err != nil {
		return false, "", err
	}
	var stale int64
	err = sess.QueryRow(ctx, "SELECT count(*) FROM "+curRel+" c WHERE NOT EXISTS (SELECT 1 FROM "+pre+" p WHERE p.id = c.id AND p.passed)", &stale)
	return stale > 0, curRel, err
}

// olderModelTexts counts the compressed texts (of the snapshot cur) cut by
// another version of their source's model than model's: kept as they were
// when the source was learned again, so that their labels and splits stay.
func olderModelTexts(ctx context.Context, sess *lake.Session, cur string, model *Model) (int64, error) {
	if err := sess.Input(ctx, "compress_current", cur); err != nil {
		return 0, err
	}
	var sources, versions []string
	for src, m := range model.Sources {
		if m.Version != "" {
			sources, versions = append(sources, src), append(versions, m.Version)
		}
	}
	var n int64
	err := sess.QueryRowFile(ctx, "compress/older_model", lake.Params{"sources": sources, "versions": versions}, &n)
	return n, err
}

// sameMethod reports whether the table's current snapshot was made with method.
func sameMethod(s *lake.Snapshot, method string) bool {
	var p struct {
		Method string `json:"method"`
	}
	return json.Unmarshal([]byte(s.Params), &p) == nil && p.Method == method
}
