// Package labeltest builds small lakes of labeled articles with known
// scores, texts and duplicates, for the tests and benchmarks of the stages
// after labeling (split, stats, export, train, eval). Rows are written with
// the stages' own schemas and the labeler's own scoring (filters.ScoreOf,
// TierOf), so the tables look exactly as the pipeline leaves them.
package labeltest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
)

// Article is one labeled article.
type Article struct {
	ID string
	// Text is the compressed text; Content the raw content (default Text).
	Text, Content string
	// Scores per dimension; a dimension left out scores Score.
	Scores map[string]float64
	Score  float64
	// Oracle and Model default to keywords / test; LabeledAt to a fixed time
	// plus the article's position (so later rows are later).
	Oracle, Model string
	LabeledAt     time.Time
	Imported      bool
	// Repeat is the ask's index (label --repeat); CacheKey, when set, the
	// answer's key (the same for a relabel served from the cache).
	Repeat   int
	CacheKey string
	// Settings are the answer settings beyond the defaults (labels.settings).
	Settings string
	// InputSHA, when set, is the label's input_sha256 (the text the oracle
	// saw: duplicates share it).
	InputSHA string
	Cost     float64
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Write appends the articles to corpus.raw and <filter>.compressed (once per
// id) and one label row each to <filter>.labels, as three snapshots.
func Write(t testing.TB, l *lake.Lake, f *filters.Filter, arts []Article) {
	t.Helper()
	if err := WriteErr(context.Background(), l, f, arts); err != nil {
		t.Fatal(err)
	}
}

// WriteErr is Write for benchmarks and generators that handle their errors.
func WriteErr(ctx context.Context, l *lake.Lake, f *filters.Filter, arts []Article) error {
	raw := spec.Raw.For(nil)
	tables := []struct {
		name   lake.TableName
		schema lake.Schema
	}{{raw, spec.Raw.Schema(nil)}, {spec.Compressed.For(f), spec.Compressed.Schema(nil)}, {spec.Labels.For(f), spec.Labels.Schema(f)}}
	for _, tb := range tables {
		if err := l.EnsureTable(ctx, tb.name, tb.schema); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	var fresh []Article
	for _, a := range arts {
		if !seen[a.ID] {
			seen[a.ID] = true
			fresh = append(fresh, a)
		}
	}
	write := func(name lake.TableName, stage string, fill func(rb *lake.RowBuilder)) error {
		p, err := l.WriteRows(ctx, name, func(rb *lake.RowBuilder) error { fill(rb); return nil })
		if err != nil {
			return err
		}
		_, err = p.Commit(ctx, lake.Commit{Stage: stage})
		return err
	}
	if err := write(raw, "ingest", func(rb *lake.RowBuilder) {
		for _, a := range fresh {
			content := a.Content
			if content == "" {
				content = a.Text
			}
			sum := sha256.Sum256([]byte(content))
			rb.String("id", a.ID)
			rb.String("title", "t "+a.ID)
			rb.String("content", content)
			rb.String("content_sha256", hex.EncodeToString(sum[:]))
			rb.String("file", "labeltest")
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
	}); err != nil {
		return err
	}
	if err := write(spec.Compressed.For(f), "compress", func(rb *lake.RowBuilder) {
		for _, a := range fresh {
			sum := sha256.Sum256([]byte(a.Text))
			rb.String("id", a.ID)
			rb.String("text", a.Text)
			rb.String("text_sha256", hex.EncodeToString(sum[:]))
			rb.Longs("minhash", compress.Signature(a.Text))
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
	}); err != nil {
		return err
	}
	return write(spec.Labels.For(f), "label", func(rb *lake.RowBuilder) {
		for i, a := range arts {
			scores := map[string]float64{}
			for _, d := range f.DimensionNames() {
				v, ok := a.Scores[d]
				if !ok {
					v = a.Score
				}
				scores[d] = v
				rb.Double(d, v)
			}
			overall, gated := f.ScoreOf(scores)
			oracle, model, at := a.Oracle, a.Model, a.LabeledAt
			if oracle == "" {
				oracle = "keywords"
			}
			if model == "" {
				model = "test"
			}
			if at.IsZero() {
				at = epoch.Add(time.Duration(i) * time.Second)
			}
			rb.String("id", a.ID)
			rb.Double("overall", overall)
			rb.Bool("gatekeeper_applied", gated)
			rb.String("tier", f.TierOf(overall))
			rb.String("oracle", oracle)
			rb.String("model", model)
			rb.String("filter_sha256", f.SHA256)
			rb.Double("cost_usd", a.Cost)
			rb.Bool("cached", false)
			rb.Bool("imported", a.Imported)
			rb.Time("labeled_at", at)
			rb.String("run_id", l.RunID)
			rb.Int("repeat", int32(a.Repeat))
			if a.CacheKey != "" {
				rb.String("cache_key", a.CacheKey)
			}
			if a.Settings != "" {
				rb.String("settings", a.Settings)
			}
			if a.InputSHA != "" {
				rb.String("input_sha256", a.InputSHA)
			}
			rb.EndRow()
		}
	})
}

// Noisy is an oracle that answers each dimension with the article's true
// score + Offset + N(0, SD), Asks times (repeats 0..Asks-1), on the first
// Articles articles.
type Noisy struct {
	Oracle, Model string
	Offset, SD    float64
	Asks          int
	Articles      int
}

// PlantNoisy writes n articles whose true scores are uniform on [2, 8],
// labeled by every oracle of noisy, seeded; it returns every ask's score
// per dimension and article (for an independent computation).
func PlantNoisy(t testing.TB, l *lake.Lake, f *filters.Filter, n int, seed uint64, noisy ...Noisy) map[string]map[string][]float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	values := map[string]map[string][]float64{}
	for _, d := range f.DimensionNames() {
		values[d] = map[string][]float64{}
	}
	var arts []Article
	for i := range n {
		id := fmt.Sprintf("a%04d", i)
		truth := map[string]float64{}
		for _, d := range f.DimensionNames() {
			truth[d] = 2 + 6*rng.Float64()
		}
		for _, o := range noisy {
			if i >= o.Articles {
				continue
			}
			for k := range o.Asks {
				scores := map[string]float64{}
				for _, d := range f.DimensionNames() {
					scores[d] = truth[d] + o.Offset + o.SD*rng.NormFloat64()
					values[d][id] = append(values[d][id], scores[d])
				}
				arts = append(arts, Article{ID: id, Text: "text of " + id, Scores: scores, Oracle: o.Oracle, Model: o.Model,
					Repeat: k, LabeledAt: t0.Add(time.Duration(len(arts)) * time.Second)})
			}
		}
	}
	Write(t, l, f, arts)
	return values
}
