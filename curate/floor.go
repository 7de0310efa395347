package curate

import (
	"context"
	"database/sql"
	"math"
	"slices"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// Floor is the noise floor of a student scored against one oracle's
// labels: the oracle's own self-MAE (two of its answers to one question
// disagreeing), what an ideal student (one that learned the oracle's
// expected answer) is off by against the labels scored against, and the
// oracle's MAE against another oracle on the articles both scored. A
// student whose MAE is near the ideal cannot get much better by tuning: the
// labels themselves differ by that much.
type Floor struct {
	// Oracle is the oracle the student is scored against (oracle_name).
	Oracle string `json:"oracle"`
	// SelfArticles is the articles it was asked about more than once.
	SelfArticles int64 `json:"self_articles"`
	// Answers is how many of its answers the combine rule averages an
	// article (1 under latest): the ideal student's MAE is the self-MAE
	// over √(2 × Answers), for normal noise.
	Answers float64 `json:"answers_averaged"`
	// Other is the oracle sharing the most articles with it ("" when none),
	// on InterArticles articles.
	Other         string `json:"other,omitempty"`
	InterArticles int64  `json:"inter_articles,omitempty"`
	// Dimensions holds each dimension's, overall's and (mean over the
	// dimensions) "all dimensions"' figures.
	Dimensions map[string]FloorFigures `json:"dimensions"`
	// Mixed names the oracles the labels scored against come from when
	// there are several (the combine rule names none): then there is no
	// floor, only this.
	Mixed []string `json:"mixed,omitempty"`
}

// FloorFigures are one dimension's floor; nil where there is no figure.
type FloorFigures struct {
	SelfMAE  *float64 `json:"self_mae"`
	IdealMAE *float64 `json:"ideal_mae"`
	InterMAE *float64 `json:"inter_mae"`
}

// AllDimensions is the key of the dimensions' mean in Floor.Dimensions.
const AllDimensions = "all dimensions"

// NoiseFloor measures, in a session of its own, the floor of the labels at
// ref as combine uses them: for the oracle the rule names, else the one
// oracle the used labels come from. It is nil when that oracle was asked
// once an article and no other oracle scored its articles, and a Floor
// with only Mixed when the labels used come from several oracles.
// prepared is the caller's session, in which Prepare read the same labels:
// when they hold one oracle asked once an article (the common case) that
// says so at once, without reading and combining the labels again.
func NoiseFloor(ctx context.Context, l *lake.Lake, prepared *lake.Session, f *filters.Filter, ref lake.Ref, combine string) (*Floor, error) {
	comb, err := ParseCombine(combine)
	if err != nil {
		return nil, err
	}
	if more, err := worthMeasuring(ctx, prepared, ""); err != nil || !more {
		return nil, err
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if _, err := Prepare(ctx, sess, f, ref, combine); err != nil {
		return nil, err
	}
	fl := &Floor{Oracle: comb.Oracle, Answers: 1, Dimensions: map[string]FloorFigures{}}
	if fl.Oracle == "" {
		names, err := usedOracles(ctx, sess)
		if err != nil || len(names) == 0 {
			return nil, err
		}
		if len(names) > 1 {
			return &Floor{Mixed: names, Dimensions: map[string]FloorFigures{}}, nil
		}
		fl.Oracle = names[0]
	}
	if more, err := worthMeasuring(ctx, sess, fl.Oracle); err != nil || !more {
		return nil, err
	}
	if comb.Rule == Mean {
		var k sql.NullFloat64
		if err := sess.SetVariables(ctx, lake.Vars{"floor_oracle": fl.Oracle}); err != nil {
			return nil, err
		}
		if err := sess.QueryRowFile(ctx, "labels/answers_per_article", nil, &k); err != nil {
			return nil, err
		}
		fl.Answers = max(1, k.Float64)
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

// usedOracles names the oracles of the labels the combine rule uses for
// the articles it scores (sql/labels/provenance.sql).
func usedOracles(ctx context.Context, sess *lake.Session) ([]string, error) {
	if err := sess.Input(ctx, "prov_labels", "labels_input"); err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "prov_articles", "combined_labels"); err != nil {
		return nil, err
	}
	sources, err := Sources(ctx, sess)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range sources {
		if !slices.Contains(names, p.Name()) {
			names = append(names, p.Name())
		}
	}
	return names, nil
}

// worthMeasuring says, cheaply, whether oracle ("": any oracle) has
// repeats or the labels have a second oracle (sql/labels/oracles.sql, over
// the labels_all Prepare defined in sess): else there is no floor.
func worthMeasuring(ctx context.Context, sess *lake.Session, oracle string) (bool, error) {
	oracles, repeated := 0, false
	err := sess.EachFile(ctx, "labels/oracles", nil, func(rows *sql.Rows) error {
		var name string
		var labels, articles int64
		if err := rows.Scan(&name, &labels, &articles); err != nil {
			return err
		}
		oracles++
		repeated = repeated || (oracle == "" || name == oracle) && labels > articles
		return nil
	})
	return oracles > 1 || repeated, err
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
			if g.MAE != nil {
				ideal := *g.MAE / math.Sqrt(2*fl.Answers)
				fig.IdealMAE = &ideal
			}
			fl.SelfArticles = max(fl.SelfArticles, g.Articles)
		case g.Kind == "pair" && g.A == fl.Oracle && g.B == fl.Other:
			fig.InterMAE = g.MAE
		default:
			continue
		}
		fl.Dimensions[g.Dimension] = fig
	}
	var all FloorFigures
	for _, field := range []func(*FloorFigures) **float64{
		func(x *FloorFigures) **float64 { return &x.SelfMAE },
		func(x *FloorFigures) **float64 { return &x.IdealMAE },
		func(x *FloorFigures) **float64 { return &x.InterMAE }} {
		sum, n := 0.0, 0
		for _, d := range f.Dimensions {
			fig := fl.Dimensions[d.Name]
			if v := *field(&fig); v != nil {
				sum += *v
				n++
			}
		}
		if n == len(f.Dimensions) && n > 0 {
			mean := sum / float64(n)
			*field(&all) = &mean
		}
	}
	fl.Dimensions[AllDimensions] = all
}
