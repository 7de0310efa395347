package diff

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"

	"github.com/distillery/distillery/lake"
)

// labelColumns are what the labels part of a diff needs at both sides.
var labelColumns = []string{"id", "tier", "overall", "labeled_at"}

// dimensions are the score columns of a labels table: DOUBLE columns with a
// matching <name>_evidence column, in table order.
func dimensions(cols []column) []string {
	var out []string
	for _, c := range cols {
		if c.Type == "DOUBLE" && has(cols, c.Name+"_evidence") {
			out = append(out, c.Name)
		}
	}
	return out
}

// labels computes the mean shift of every dimension and the tier
// transition matrix. diff_a and diff_b must be keyed by id; a labels table
// without the columns it needs gets no labels part (nil).
func labels(ctx context.Context, sess *lake.Session, a, b []column) (*LabelsDiff, error) {
	for _, c := range labelColumns {
		if !has(a, c) || !has(b, c) {
			return nil, nil
		}
	}
	d := &LabelsDiff{Dimensions: []string{}, Means: []MeanShift{}, Tiers: []string{}, Transitions: []Transition{}}
	for _, dim := range dimensions(b) {
		if has(a, dim) && has(a, dim+"_evidence") {
			d.Dimensions = append(d.Dimensions, dim)
		}
	}
	scores := append(append([]string{}, d.Dimensions...), "overall")
	if err := sess.SetVariables(ctx, lake.Vars{"diff_dimensions": scores}); err != nil {
		return nil, err
	}
	err := sess.EachFile(ctx, "diff/label_means", nil, func(rows *sql.Rows) error {
		var m MeanShift
		var ma, mb, sh, ca, cb, cs sql.NullFloat64
		if err := rows.Scan(&m.Dimension, &m.RowsA, &ma, &m.RowsB, &mb, &sh, &d.CommonIDs, &ca, &cb, &cs); err != nil {
			return err
		}
		m.MeanA, m.MeanB, m.Shift = ptr(ma), ptr(mb), ptr(sh)
		m.CommonMeanA, m.CommonMeanB, m.CommonShift = ptr(ca), ptr(cb), ptr(cs)
		d.Means = append(d.Means, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ranked := map[int64]string{}
	err = sess.EachFile(ctx, "diff/tier_matrix", nil, func(rows *sql.Rows) error {
		var from, to sql.NullString
		var t Transition
		var ra, rb int64
		if err := rows.Scan(&from, &to, &t.IDs, &ra, &rb); err != nil {
			return err
		}
		t.From, t.To = from.String, to.String
		ranked[ra], ranked[rb] = t.From, t.To
		d.Transitions = append(d.Transitions, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range slices.Sorted(maps.Keys(ranked)) {
		d.Tiers = append(d.Tiers, ranked[r])
	}
	return d, nil
}

func ptr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	f := v.Float64
	return &f
}

// TierName is a tier for display: "" (no tier) as "(none)".
func TierName(t string) string {
	if strings.TrimSpace(t) == "" {
		return "(none)"
	}
	return t
}
