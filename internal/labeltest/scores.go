package labeltest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
)

// Scored is one article as distill score leaves it: its corpus.raw row
// (with a published date) and its <filter>.scores row.
type Scored struct {
	ID string
	// Published is corpus.raw's published_date, as given ("" for none).
	Published string
	// Rejected marks an article the prefilter blocked (no scores).
	Rejected bool
	// Scores per dimension: overall and tier follow from the filter.
	Scores map[string]float64
	// Model defaults to m1, ScoredAt to 2026-01-01, RunID to the lake's.
	Model    string
	ScoredAt time.Time
	RunID    string
}

// WriteScores appends the articles to corpus.raw (once per id) and their
// scores to <filter>.scores, as two snapshots.
func WriteScores(t testing.TB, l *lake.Lake, f *filters.Filter, arts []Scored) {
	t.Helper()
	ctx := context.Background()
	if err := spec.Raw.Ensure(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	if err := spec.Scores.Ensure(ctx, l, f); err != nil {
		t.Fatal(err)
	}
	write := func(name lake.TableName, stage string, fill func(rb *lake.RowBuilder)) {
		p, err := l.WriteRows(ctx, name, func(rb *lake.RowBuilder) error { fill(rb); return nil })
		if err == nil {
			_, err = p.Commit(ctx, lake.Commit{Stage: stage})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	write(spec.Raw.For(nil), spec.Ingest.Name, func(rb *lake.RowBuilder) {
		seen := map[string]bool{}
		for _, a := range arts {
			if seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			sum := sha256.Sum256([]byte("content of " + a.ID))
			rb.String("id", a.ID)
			rb.String("title", "t "+a.ID)
			rb.String("content", "content of "+a.ID)
			if a.Published != "" {
				rb.String("published_date", a.Published)
			}
			rb.String("content_sha256", hex.EncodeToString(sum[:]))
			rb.String("file", "labeltest")
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
	})
	write(spec.Scores.For(f), spec.Score.Name, func(rb *lake.RowBuilder) {
		for _, a := range arts {
			model, at, run := a.Model, a.ScoredAt, a.RunID
			if model == "" {
				model = "m1"
			}
			if at.IsZero() {
				at = epoch
			}
			if run == "" {
				run = l.RunID
			}
			rb.String("id", a.ID)
			rb.String("model", model)
			rb.Bool("passed", !a.Rejected)
			if a.Rejected {
				rb.String("reason", "no_domain_keywords")
			} else {
				rb.String("reason", "passed")
				for _, d := range f.DimensionNames() {
					rb.Double(d, a.Scores[d])
				}
				overall, gated := f.ScoreOf(a.Scores)
				rb.Double("overall", overall)
				rb.Bool("gatekeeper_applied", gated)
				rb.String("tier", f.TierOf(overall))
				rb.String("stage", "model")
			}
			rb.String("filter_sha256", f.SHA256)
			rb.Time("scored_at", at)
			rb.String("run_id", run)
			rb.EndRow()
		}
	})
}

// WriteSplits appends one <filter>.splits row per id of split.
func WriteSplits(t testing.TB, l *lake.Lake, f *filters.Filter, split map[string]string) {
	t.Helper()
	ctx := context.Background()
	if err := spec.Splits.Ensure(ctx, l, f); err != nil {
		t.Fatal(err)
	}
	p, err := l.WriteRows(ctx, spec.Splits.For(f), func(rb *lake.RowBuilder) error {
		for id, s := range split {
			rb.String("id", id)
			rb.String("split", s)
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
		return nil
	})
	if err == nil {
		_, err = p.Commit(ctx, lake.Commit{Stage: spec.Split.Name})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// WriteCompressed appends a compressed text ("text of ID") for each id to
// <filter>.compressed: the articles label chooses among.
func WriteCompressed(t testing.TB, l *lake.Lake, f *filters.Filter, ids []string) {
	t.Helper()
	ctx := context.Background()
	if err := spec.Compressed.Ensure(ctx, l, f); err != nil {
		t.Fatal(err)
	}
	p, err := l.WriteRows(ctx, spec.Compressed.For(f), func(rb *lake.RowBuilder) error {
		for _, id := range ids {
			text := "text of " + id
			sum := sha256.Sum256([]byte(text))
			rb.String("id", id)
			rb.String("text", text)
			rb.String("text_sha256", hex.EncodeToString(sum[:]))
			rb.Longs("minhash", compress.Signature(text))
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
		return nil
	})
	if err == nil {
		_, err = p.Commit(ctx, lake.Commit{Stage: spec.Compress.Name})
	}
	if err != nil {
		t.Fatal(err)
	}
}
