package label

import (
	"context"
	"fmt"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/label/oracle"
)

// sampleOf picks Options.Sample articles of arts, which come in the seed's
// order (sql/label/sample.sql), and keeps that order: the first Sample
// (all when there are fewer), or under StratifyTier the first of each
// stratum, Sample shared evenly across the strata (shareEvenly).
//
// The strata are the tiers the keywords scoring gives each compressed text:
// the keywords oracle's scores through filter.yaml's weights, gatekeepers
// and tiers (ScoreOf, TierOf). That scoring is free and deterministic, and
// it reads the compressed text only, never the labels, so the sample does
// not move as labels are added and is the same for every oracle and model.
func sampleOf(ctx context.Context, f *filters.Filter, arts []item, opts Options, res *Result) ([]item, error) {
	if opts.Stratify != StratifyTier {
		arts = arts[:min(opts.Sample, len(arts))]
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
	for i, share := range shareEvenly(sizes, opts.Sample) {
		for _, pos := range members[names[i]][:share] {
			keep[pos] = true
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

// shareEvenly shares n across strata of the given sizes: evenly, except
// that a stratum smaller than its share gives all it has and what it lacks
// is shared by the others; a remainder too small to share goes one each to
// the first strata with room. The shares sum to n, or to every stratum's
// size when n is more.
func shareEvenly(sizes []int, n int) []int {
	shares := make([]int, len(sizes))
	var open []int // strata with room
	for i, s := range sizes {
		if s > 0 {
			open = append(open, i)
		}
	}
	for n > 0 && len(open) > 0 {
		each := n / len(open)
		if each == 0 {
			for _, i := range open[:n] {
				shares[i]++
			}
			break
		}
		var room []int
		for _, i := range open {
			give := min(each, sizes[i]-shares[i])
			shares[i] += give
			n -= give
			if shares[i] < sizes[i] {
				room = append(room, i)
			}
		}
		open = room
	}
	return shares
}
