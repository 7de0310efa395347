package label

import (
	"context"
	"fmt"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/label/selection"
)

// sampleOf picks Options.Sample articles of arts, which come in the seed's
// order (sql/label/sample.sql), and keeps that order: the first Sample
// (all when there are fewer), or under StratifyTier the first of each
// stratum, Sample shared evenly across the strata (selection.ShareEvenly).
// Each article kept records its inclusion probability: the sample's size
// over the articles, or its stratum's share over the stratum's size.
//
// The strata are the tiers the keywords scoring gives each compressed text:
// the keywords oracle's scores through filter.yaml's weights, gatekeepers
// and tiers (ScoreOf, TierOf). That scoring is free and deterministic, and
// it reads the compressed text only, never the labels, so the sample does
// not move as labels are added and is the same for every oracle and model.
func sampleOf(ctx context.Context, f *filters.Filter, arts []item, opts Options, res *Result) ([]item, error) {
	pool := selection.Pool{IDs: make([]string, len(arts))}
	for i, a := range arts {
		pool.IDs[i] = a.id
	}
	if opts.Stratify == StratifyTier {
		if err := keywordStrata(ctx, f, arts, &pool); err != nil {
			return nil, err
		}
		res.Strata = map[string]int64{}
	}
	// A sample is --select random over every article: one draw, the same
	// articles and inclusions.
	plan, _ := selection.Parse(selection.Random)
	drawn, err := selection.Choose(plan, opts.Sample, pool, uint64(opts.Seed))
	if err != nil {
		return nil, err
	}
	out := make([]item, 0, len(drawn.Picks))
	for _, pk := range drawn.Picks {
		it := arts[pk.Index]
		it.by, it.inclusion = "sample", pk.Inclusion
		out = append(out, it)
		if res.Strata != nil {
			res.Strata[pool.Strata[pk.Index]]++
		}
	}
	res.Sampled = int64(len(out))
	return out, nil
}

// keywordStrata sets the pool's strata: each article's keyword tier, in
// the order of the filter's tiers.
func keywordStrata(ctx context.Context, f *filters.Filter, arts []item, pool *selection.Pool) error {
	kw := oracle.NewKeywords(f)
	pool.Strata = make([]string, len(arts))
	for _, t := range f.Tiers {
		pool.StrataOrder = append(pool.StrataOrder, t.Name)
	}
	for i, a := range arts {
		tier, err := keywordTier(ctx, f, kw, a.text)
		if err != nil {
			return fmt.Errorf("the keyword tier of %s: %w", a.id, err)
		}
		pool.Strata[i] = tier
	}
	return nil
}

// keywordTier is the tier of the keywords oracle's scores of text.
func keywordTier(ctx context.Context, f *filters.Filter, kw *oracle.Keywords, text string) (string, error) {
	resp, err := kw.Call(ctx, oracle.Request{Input: text})
	if err != nil {
		return "", err
	}
	s, err := Parse(f, resp.Text)
	if err != nil {
		return "", err
	}
	overall, _ := f.ScoreOf(s.Values)
	return f.TierOf(overall), nil
}
