package stats

import (
	"context"
	"database/sql"

	"github.com/distillery/distillery/lake"
)

// The figures below read a session that curate.Prepare has filled, so that
// the report computes them with stats' SQL in its own session.

// Scope makes the articles the statistics describe readable as
// stats_articles and stats_scores: every combined article, or, with split
// set, those the splits snapshot splitsRel puts in it.
func Scope(ctx context.Context, sess *lake.Session, split, splitsRel string) error {
	var err error
	if split == "" {
		err = sess.Input(ctx, "stats_articles", "combined_labels")
	} else if err = sess.Input(ctx, "splits_input", splitsRel); err == nil {
		err = sess.TempTable(ctx, "stats_articles", "stats/articles_in_split", lake.Params{"split": split})
	}
	if err != nil {
		return err
	}
	return sess.TempView(ctx, "stats_scores", "stats/scores")
}

// Distribution reads the tier counts, and each dimension's summary and
// 0-10 histogram, of the articles in Scope.
func Distribution(ctx context.Context, sess *lake.Session) ([]Tier, []Dimension, error) {
	var tiers []Tier
	if err := sess.EachFile(ctx, "stats/tier_counts", nil, func(r *sql.Rows) error {
		var t Tier
		err := r.Scan(&t.Tier, &t.MinScore, &t.Articles, &t.Share)
		tiers = append(tiers, t)
		return err
	}); err != nil {
		return nil, nil, err
	}
	var dims []Dimension
	if err := sess.EachFile(ctx, "stats/dimension_summary", nil, func(r *sql.Rows) error {
		var d Dimension
		var mean, mn, mx sql.NullFloat64
		err := r.Scan(&d.Name, &d.Weight, &d.Articles, &mean, &d.Std, &mn, &mx)
		d.Mean, d.Min, d.Max = mean.Float64, mn.Float64, mx.Float64
		dims = append(dims, d)
		return err
	}); err != nil {
		return nil, nil, err
	}
	pos := map[string]int{}
	for i, d := range dims {
		pos[d.Name] = i
	}
	if err := sess.EachFile(ctx, "stats/dimension_histogram", nil, func(r *sql.Rows) error {
		var dim string
		var bin int
		var n int64
		if err := r.Scan(&dim, &bin, &n); err != nil {
			return err
		}
		if i, ok := pos[dim]; ok && bin >= 0 && bin < len(dims[i].Histogram) {
			dims[i].Histogram[bin] = n
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	return tiers, dims, nil
}

// Sources reads the label rows of each oracle, model and prompt.
func Sources(ctx context.Context, sess *lake.Session) ([]Source, error) {
	var out []Source
	err := sess.EachFile(ctx, "stats/labels_by_oracle", nil, func(r *sql.Rows) error {
		var s Source
		var oracle, model, prompt sql.NullString
		err := r.Scan(&oracle, &model, &prompt, &s.Imported, &s.Labels, &s.Articles, &s.Cached, &s.CostUSD, &s.First, &s.Last)
		s.Oracle, s.Model, s.FilterSHA256 = oracle.String, model.String, prompt.String
		s.First, s.Last = s.First.UTC(), s.Last.UTC()
		out = append(out, s)
		return err
	})
	return out, err
}

// OracleCost reads what the oracle has cost: the calls of
// oracle_calls_input (curate.DefineCalls) and the labels of labels_input.
func OracleCost(ctx context.Context, sess *lake.Session) (Cost, error) {
	var c Cost
	err := sess.QueryRowFile(ctx, "stats/cost", nil, &c.Calls, &c.FailedCalls, &c.TokensIn, &c.TokensOut, &c.CostUSD, &c.LabelCostUSD)
	return c, err
}

// SplitBalance reads the tiers of each split of the splits snapshot rel.
func SplitBalance(ctx context.Context, sess *lake.Session, rel string) ([]SplitTier, error) {
	if err := sess.Input(ctx, "splits_input", rel); err != nil {
		return nil, err
	}
	var out []SplitTier
	err := sess.EachFile(ctx, "split/balance_by_tier", nil, func(r *sql.Rows) error {
		var b SplitTier
		err := r.Scan(&b.Split, &b.Tier, &b.Articles, &b.Share, &b.Used)
		out = append(out, b)
		return err
	})
	return out, err
}
