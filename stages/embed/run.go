package embed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students/encode"
)

// Result is an embed run.
type Result struct {
	spec.Summary
	// Encoder names the encoder (embeddings.encoder); Dim its vectors'
	// length; Fitted is set when this run fitted it, on FitTexts texts.
	Encoder  string `json:"encoder"`
	Dim      int    `json:"dim"`
	Fitted   bool   `json:"fitted"`
	FitTexts int    `json:"fit_texts,omitempty"`
	// Embedded is the articles this run embedded; Already those the
	// encoder had embedded before.
	Embedded     int64   `json:"embedded"`
	Already      int64   `json:"already_embedded"`
	ArticlesPerS float64 `json:"articles_per_second"`
}

// batch is how many texts are encoded at once.
const batch = 4096

// Run embeds the compressed articles the encoder has not embedded and
// commits one snapshot.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	if err := spec.Embeddings.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	lock, err := spec.Embed.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	crel, csnap, err := sess.Relation(ctx, spec.Compressed.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || (err == nil && csnap == nil) {
		return nil, spec.Need(spec.Compressed, f.Namespace(), "no compressed articles for this filter", ErrNoCompressed)
	}
	if err != nil {
		return nil, err
	}
	erel, esnap, err := sess.Relation(ctx, spec.Embeddings.Ref(f))
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "compressed_input", crel); err != nil {
		return nil, err
	}
	if esnap == nil {
		erel = "(SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS encoder, NULL::VARCHAR AS text_sha256, NULL::TIMESTAMPTZ AS embedded_at, NULL::VARCHAR AS run_id WHERE false)"
	}
	if err := sess.Input(ctx, "embeddings_input", erel); err != nil {
		return nil, err
	}
	res := &Result{Summary: spec.Start(spec.Embed, l.RunID)}
	enc, err := encoder(ctx, l, sess, f, opts, res)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	res.Encoder, res.Dim = enc.Name(), enc.Dim()
	var total int64
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM compressed_input", &total); err != nil {
		return nil, err
	}
	out := spec.Embeddings.For(f)
	encStart := time.Now()
	pending, err := l.WriteRows(ctx, out, func(rb *lake.RowBuilder) error {
		return embedNew(ctx, sess, enc, rb, l.RunID, res)
	})
	if err != nil {
		return nil, err
	}
	res.Already = max(total-res.Embedded, 0)
	if secs := time.Since(encStart).Seconds(); res.Embedded > 0 && secs > 0 {
		res.ArticlesPerS = float64(res.Embedded) / secs
	}
	inputs := []lake.Snapshot{*csnap}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Embed.Name, Inputs: inputs, Filter: f.Ref(),
		Params: map[string]any{"model": opts.Model, "encoder": enc.Name(), "dim": enc.Dim(), "refit": opts.Refit, "fitted": res.Fitted}})
	if err != nil {
		return nil, err
	}
	res.RowsIn, res.RowsOut = total, pending.Rows()
	res.SetInputs(*csnap)
	res.Finish(out, snap, start)
	return res, nil
}

// embedNew reads the texts the encoder has not embedded and writes their
// vectors, batch by batch.
func embedNew(ctx context.Context, sess *lake.Session, enc encode.Encoder, rb *lake.RowBuilder, runID string, res *Result) error {
	var ids, texts, shas []string
	flush := func() error {
		if len(texts) == 0 {
			return nil
		}
		vs, err := enc.Encode(ctx, texts)
		if err != nil {
			return err
		}
		if len(vs) != len(texts) {
			return fmt.Errorf("encoder %s returned %d vectors for %d texts", enc.Name(), len(vs), len(texts))
		}
		now := time.Now().UTC()
		for i, v := range vs {
			rb.String("id", ids[i])
			rb.String("encoder", enc.Name())
			rb.String("text_sha256", shas[i])
			rb.Floats("vector", v)
			rb.Int("dim", int32(len(v)))
			rb.Time("embedded_at", now)
			rb.String("run_id", runID)
			rb.EndRow()
			if rb.Stopped() {
				return context.Canceled
			}
		}
		res.Embedded += int64(len(texts))
		ids, texts, shas = ids[:0], texts[:0], shas[:0]
		return nil
	}
	err := sess.EachFile(ctx, "embed/todo", lake.Params{"encoder": enc.Name()}, func(rows *sql.Rows) error {
		var id, text string
		var sha sql.NullString
		if err := rows.Scan(&id, &text, &sha); err != nil {
			return err
		}
		ids, texts, shas = append(ids, id), append(texts, text), append(shas, sha.String)
		if len(texts) >= batch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// encoder is the encoder to embed with: for hashed, the one the newest
// run used (unless Refit), else a new one fitted on every compressed text
// and saved under the lake; else the sentence encoder folder Model.
func encoder(ctx context.Context, l *lake.Lake, sess *lake.Session, f *filters.Filter, opts Options, res *Result) (encode.Encoder, error) {
	if opts.Model != Hashed {
		return sentenceEncoder(ctx, opts)
	}
	if !opts.Refit {
		name, e, err := curate.LatestHashed(ctx, l, sess, f)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s embedded this filter's articles but %s is gone; run distill embed --filter DIR --refit to fit a new encoder", ErrEncoderMissing, name, encode.Dir(l.Root, f.Namespace(), name))
		}
		if err != nil || name != "" {
			return e, err
		}
	}
	e, fitted, err := curate.FitHashed(ctx, sess)
	if err != nil {
		return nil, err
	}
	if err := e.Save(encode.Dir(l.Root, f.Namespace(), e.Name())); err != nil {
		return nil, err
	}
	res.Fitted, res.FitTexts = true, fitted
	return e, nil
}
