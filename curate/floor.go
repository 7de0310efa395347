package curate

import (
	"context"
	"database/sql"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// Floor is the noise floor of a student scored against one oracle's
// labels: the oracle's own self-MAE (its repeated asks disagreeing) and its
// MAE against another oracle on the articles both scored. A student whose
// MAE is near them cannot get much better by tuning: the labels themselves
// differ by that much.
type Floor struct {
	// Oracle is the oracle the student is scored against (KIND/MODEL).
	Oracle string `json:"oracle"`
	// SelfArticles is the articles it was asked about more than once.
	SelfArticles int64 `json:"self_articles"`
	// Other is the oracle sharing the most articles with it ("" when none),
	// on InterArticles articles.
	Other         string `json:"other,omitempty"`
	InterArticles int64  `json:"inter_articles,omitempty"`
	// Dimensions holds each dimension's, overall's and (mean over the
	// dimensions) "all dimensions"' figures.
	Dimensions map[string]FloorFigures `json:"dimensions"`
}

// FloorFigures are one dimension's floor; nil where there is no figure.
type FloorFigures struct {
	SelfMAE  *float64 `json:"self_mae"`
	InterMAE *float64 `json:"inter_mae"`
}

// AllDimensions is the key of the dimensions' mean in Floor.Dimensions.
const AllDimensions = "all dimensions"

// NoiseFloor measures the floor of labels at ref for the oracle the
// combine rule names (else the oracle with the most labels), in a session
// of its own. It is nil when that oracle was asked once per article and no
// other oracle scored its articles.
func NoiseFloor(ctx context.Context, l *lake.Lake, f *filters.Filter, ref lake.Ref, combine string) (*Floor, error) {
	comb, err := ParseCombine(combine)
	if err != nil {
		return nil, err
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if _, err := Prepare(ctx, sess, f, ref, Latest); err != nil {
		return nil, err
	}
	fl := &Floor{Oracle: comb.Oracle, Dimensions: map[string]FloorFigures{}}
	// Cheaply first: one oracle with one label an article has no floor.
	oracles, repeated := 0, false
	err = sess.EachFile(ctx, "labels/oracles", nil, func(rows *sql.Rows) error {
		var name string
		var labels, articles int64
		if err := rows.Scan(&name, &labels, &articles); err != nil {
			return err
		}
		if fl.Oracle == "" {
			fl.Oracle = name // the most labels first
		}
		oracles++
		repeated = repeated || name == fl.Oracle && labels > articles
		return nil
	})
	if err != nil || (oracles < 2 && !repeated) {
		return nil, err
	}
	if err := DefineAsks(ctx, sess); err != nil {
		return nil, err
	}
	pairs, _, err := Agreements(ctx, sess, fl.Oracle, "")
	if err != nil {
		return nil, err
	}
	fl.fill(f, pairs)
	if fl.SelfArticles == 0 && fl.Other == "" {
		return nil, nil
	}
	return fl, nil
}

// fill takes the oracle's self pair and its pair with the other oracle
// sharing the most articles.
func (fl *Floor) fill(f *filters.Filter, pairs []Agreement) {
	shared := map[string]int64{}
	for _, g := range pairs {
		if g.Kind == "pair" && g.A == fl.Oracle && g.Dimension == "overall" {
			shared[g.B] = g.Articles
		}
	}
	for other, n := range shared {
		if n > fl.InterArticles || n == fl.InterArticles && other < fl.Other {
			fl.Other, fl.InterArticles = other, n
		}
	}
	for _, g := range pairs {
		fig := fl.Dimensions[g.Dimension]
		switch {
		case g.Kind == "self" && g.A == fl.Oracle:
			fig.SelfMAE = g.MAE
			fl.SelfArticles = max(fl.SelfArticles, g.Articles)
		case g.Kind == "pair" && g.A == fl.Oracle && g.B == fl.Other:
			fig.InterMAE = g.MAE
		default:
			continue
		}
		fl.Dimensions[g.Dimension] = fig
	}
	var all FloorFigures
	for i, get := range []func(FloorFigures) *float64{
		func(x FloorFigures) *float64 { return x.SelfMAE }, func(x FloorFigures) *float64 { return x.InterMAE }} {
		sum, n := 0.0, 0
		for _, d := range f.Dimensions {
			if v := get(fl.Dimensions[d.Name]); v != nil {
				sum += *v
				n++
			}
		}
		if n == len(f.Dimensions) && n > 0 {
			mean := sum / float64(n)
			if i == 0 {
				all.SelfMAE = &mean
			} else {
				all.InterMAE = &mean
			}
		}
	}
	fl.Dimensions[AllDimensions] = all
}
