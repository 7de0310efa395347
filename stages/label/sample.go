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
	if opts.Stratify != StratifyTier {
		n := min(opts.Sample, len(arts))
		for i := range arts[:n] {
			arts[i].by, arts[i].inclusion = "sample", float64(n)/float64(len(arts))
		}
		arts = arts[:n]
		res.Sampled = int64(len(arts))
		return arts, nil
	}
	kw := oracle.NewKeywords(f)
	members := map[string][]int{} // tier -> positions in arts, in seed order
	for i, a := range arts {
		tier, err := keywordTier(ctx, f, kw, a.text)
		if err != nil {
			return nil, fmt.Errorf("the keyword tier of %s: %w", a.id, err)
		}
		members[tier] = append(members[tier], i)
	}
	var names []string
	var sizes []int
	for _, t := range f.Tiers {
		if n := len(members[t.Name]); n > 0 {
			names, sizes = append(names, t.Name), append(sizes, n)
		}
	}
	keep := make([]bool, len(arts))
	res.Strata = map[string]int64{}
	for i, share := range selection.ShareEvenly(sizes, opts.Sample) {
		for _, pos := range members[names[i]][:share] {
			keep[pos] = true
			arts[pos].by, arts[pos].inclusion = "sample", float64(share)/float64(sizes[i])
		}
		res.Strata[names[i]] = int64(share)
	}
	var out []item
	for i, a := range arts {
		if keep[i] {
			out = append(out, a)
		}
	}
	res.Sampled = int64(len(out))
	return out, nil
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
