package curate

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/distillery/distillery"

	"github.com/distillery/distillery/lake"
)

// Agreement is how far two oracles (or one oracle's repeats) agree on one
// dimension, the overall score or the tier.
type Agreement struct {
	// Kind is pair (two oracles) or self (one oracle's asks).
	Kind string `json:"kind"`
	// A and B are oracles named KIND/MODEL; offsets are B - A.
	A         string `json:"a"`
	B         string `json:"b"`
	Dimension string `json:"dimension"`
	Position  int    `json:"-"`
	Figures
}

// Figures are an agreement's numbers (sql/agree/pairs.sql says how each is
// computed); nil where undefined (a constant side's Spearman, alpha when
// every value is the same).
type Figures struct {
	// Articles is how many articles both scored; AskPairs the pairs of
	// single asks compared on them.
	Articles       int64    `json:"n"`
	AskPairs       int64    `json:"ask_pairs"`
	MAE            *float64 `json:"mae"`
	Offset         *float64 `json:"offset"`
	OffsetLow      *float64 `json:"offset_low"`
	OffsetHigh     *float64 `json:"offset_high"`
	MAEAfterOffset *float64 `json:"mae_after_offset"`
	Spearman       *float64 `json:"spearman"`
	Alpha          *float64 `json:"alpha"`
	// TierAgreement is the tier row's share of ask pairs in one tier.
	TierAgreement *float64 `json:"tier_agreement,omitempty"`
}

// Reliability is Krippendorff's alpha across every oracle and ask for one
// dimension (sql/agree/alpha_all.sql).
type Reliability struct {
	Dimension string   `json:"dimension"`
	Position  int      `json:"-"`
	Articles  int64    `json:"n"`
	Asks      int64    `json:"asks"`
	Alpha     *float64 `json:"alpha"`
}

// DefineAsks defines, in a session Prepare has prepared, agree_asks (every
// label as an ask of its oracle), agree_tiers (each ask's overall score and
// tier) and agree_scores (sql/agree/scores.sql). It replaces combined_wide
// with one row per ask: run it in a session of its own.
func DefineAsks(ctx context.Context, sess *lake.Session) error {
	if _, err := sess.Exec(ctx, distillery.SQL("agree/t975")); err != nil {
		return fmt.Errorf("sql/agree/t975.sql: %w", err)
	}
	for _, t := range [][2]string{{"agree_asks", "agree/asks"}, {"combined_wide", "agree/ask_wide"},
		{"agree_tiers", "labels/combined_tiers"}, {"agree_scores", "agree/scores"}} {
		if err := sess.TempTable(ctx, t[0], t[1], nil); err != nil {
			return err
		}
	}
	return nil
}

// Agreements runs sql/agree/pairs.sql over agree_scores (DefineAsks) for
// the pairs a and b select ("" for any: sql/agree/diffs.sql, kept as
// agree_diffs) and sql/agree/alpha_all.sql.
func Agreements(ctx context.Context, sess *lake.Session, a, b string) ([]Agreement, []Reliability, error) {
	err := sess.SetVariables(ctx, lake.Vars{"agree_a": a, "agree_b": b})
	if err == nil {
		err = sess.TempTable(ctx, "agree_diffs", "agree/diffs", nil)
	}
	if err != nil {
		return nil, nil, err
	}
	pairs := []Agreement{}
	err = sess.EachFile(ctx, "agree/pairs", nil, func(rows *sql.Rows) error {
		var g Agreement
		var f [8]sql.NullFloat64
		if err := rows.Scan(&g.Kind, &g.A, &g.B, &g.Dimension, &g.Position, &g.Articles, &g.AskPairs,
			&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]); err != nil {
			return err
		}
		for i, p := range []**float64{&g.MAE, &g.Offset, &g.OffsetLow, &g.OffsetHigh, &g.MAEAfterOffset, &g.Spearman, &g.Alpha, &g.TierAgreement} {
			*p = Nullable(f[i])
		}
		pairs = append(pairs, g)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("agreement of oracles: %w", err)
	}
	all := []Reliability{}
	err = sess.EachFile(ctx, "agree/alpha_all", nil, func(rows *sql.Rows) error {
		var r Reliability
		var alpha sql.NullFloat64
		if err := rows.Scan(&r.Dimension, &r.Position, &r.Articles, &r.Asks, &alpha); err != nil {
			return err
		}
		r.Alpha = Nullable(alpha)
		all = append(all, r)
		return nil
	})
	return pairs, all, err
}

// Nullable is v as a pointer: nil when NULL.
func Nullable(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	x := v.Float64
	return &x
}
