// Package curate prepares a filter's labels for the curation SQL under sql/:
// Prepare defines, in a DuckDB session over the lake, the filter's
// dimensions, gatekeepers and tiers as tables and one combined label per
// article. Stats, split, export and evaluation all start from it, so they
// agree on what an article's scores and tier are.
package curate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/distillery/distillery"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// The rules that combine several labels of one article.
const (
	// Latest takes the most recent label (by labeled_at).
	Latest = "latest"
	// Mean averages every label's score per dimension.
	Mean = "mean"
)

// ErrNoLabels means the filter has no labels to curate yet (returned inside
// a spec.NeedError naming label).
var ErrNoLabels = errors.New("no labels for this filter yet")

// Combine is a parsed combine rule (filters.ParseCombine).
type Combine = filters.Combine

// ParseCombine reads a combine rule (filters.ParseCombine).
func ParseCombine(s string) (Combine, error) { return filters.ParseCombine(s) }

// CheckCombine validates a combine rule (see ParseCombine).
func CheckCombine(rule string) error {
	_, err := ParseCombine(rule)
	return err
}

// Prepared is what Prepare defined.
type Prepared struct {
	// Labels is the labels snapshot read.
	Labels *lake.Snapshot
	// Combine is the rule used.
	Combine string
	// Articles is the number of labeled articles; LabelRows the label rows.
	Articles, LabelRows int64
}

// defineOrder sets the variables dimensions, weights and gatekeepers in the
// order the dimension columns have in the labels table (the order in which
// SQL's COLUMNS(...) lists them), so scores and weights line up.
func defineOrder(ctx context.Context, sess *lake.Session, f *filters.Filter, rel string) error {
	cols, err := sess.ColumnNames(ctx, rel)
	if err != nil {
		return err
	}
	weight := map[string]float64{}
	for _, d := range f.Dimensions {
		weight[d.Name] = d.Weight
	}
	pos := map[string]int{}
	names, weights := []string{}, []float64{}
	for _, c := range cols {
		if w, ok := weight[c]; ok {
			names = append(names, c)
			weights = append(weights, w)
			pos[c] = len(names)
		}
	}
	if len(names) != len(f.Dimensions) {
		return fmt.Errorf("%s has %d of the filter's %s: relabel with this filter version", rel, len(names), human.Plural(int64(len(f.Dimensions)), "dimension column"))
	}
	gates := []map[string]any{}
	for _, g := range f.Gatekeepers {
		gates = append(gates, map[string]any{"pos": pos[g.Dimension], "below": g.Below, "cap": g.Cap})
	}
	err = sess.SetVariables(ctx, lake.Vars{"dimensions": names, "weights": weights,
		"gatekeepers": lake.JSONAs{Value: gates, Type: "STRUCT(pos INTEGER, below DOUBLE, cap DOUBLE)[]"}})
	if err != nil {
		return fmt.Errorf("define filter %s: %w", f.Name, err)
	}
	return nil
}

// Prepare defines in sess:
//   - filter_dimensions (dimension, weight, position), filter_gatekeepers
//     (dimension, below, cap), filter_tiers (tier, min_score, tier_rank);
//   - the variables dimensions, weights, gatekeepers and combine;
//   - labels_input: the labels at ref (the current snapshot when ref.At is "");
//   - combined_wide (id, one column per dimension, n_labels, labeled_at) and
//     combined_labels (id, overall, gated, tier, tier_rank, n_labels): one row
//     per article, several labels combined by rule; combined_scores (id,
//     n_labels, labeled_at, dimension, score), a view in long form.
func Prepare(ctx context.Context, sess *lake.Session, f *filters.Filter, ref lake.Ref, rule string) (*Prepared, error) {
	comb, err := ParseCombine(rule)
	if err != nil {
		return nil, err
	}
	if err := DefineFilter(ctx, sess, f); err != nil {
		return nil, err
	}
	rel, snap, err := sess.Relation(ctx, ref)
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return nil, spec.Need(spec.Labels, f.Namespace(), ErrNoLabels.Error(), ErrNoLabels)
	}
	if err != nil {
		return nil, err
	}
	if err := defineOrder(ctx, sess, f, rel); err != nil {
		return nil, err
	}
	if err := chooseLabels(ctx, sess, rel, snap, comb); err != nil {
		return nil, err
	}
	if err == nil {
		err = sess.TempTable(ctx, "combined_wide", "labels/combined_wide", nil)
	}
	if err == nil {
		err = sess.TempTable(ctx, "combined_labels", "labels/combined_tiers", nil)
	}
	if err == nil { // long form only when a query reads it (stats, strata by a dimension)
		err = sess.TempView(ctx, "combined_scores", "labels/combined_scores")
	}
	if err != nil {
		return nil, fmt.Errorf("combine labels of %s: %w", snap.Ref(), err)
	}
	p := &Prepared{Labels: snap, Combine: rule}
	if err := sess.QueryRowFile(ctx, "labels/counts", nil, &p.Articles, &p.LabelRows); err != nil {
		return nil, err
	}
	return p, nil
}

// chooseLabels defines labels_input: the labels of rel that comb uses
// (sql/labels/chosen.sql), and the variables combine and combine_oracle.
func chooseLabels(ctx context.Context, sess *lake.Session, rel string, snap *lake.Snapshot, comb Combine) error {
	err := sess.SetVariables(ctx, lake.Vars{"combine": comb.Rule, "combine_oracle": comb.Oracle})
	if err == nil {
		err = defineAll(ctx, sess, rel)
	}
	if err == nil {
		err = sess.TempView(ctx, "labels_input", "labels/chosen")
	}
	if err != nil || comb.Oracle == "" {
		return err
	}
	var n int64
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM labels_input", &n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	var have []string
	if err := sess.EachFile(ctx, "labels/oracles", nil, func(rows *sql.Rows) error {
		var o string
		var k, articles int64
		if err := rows.Scan(&o, &k, &articles); err != nil {
			return err
		}
		have = append(have, fmt.Sprintf("%s (%s)", o, human.Plural(k, "label")))
		return nil
	}); err != nil {
		return err
	}
	return fmt.Errorf("combine oracle=%s: %s has no label of that oracle; it has: %s", comb.Oracle, snap.Ref(), strings.Join(have, ", "))
}

// defineAll defines labels_all as rel (InputLabels) and the macro
// oracle_name (sql/labels/oracle_name.sql).
func defineAll(ctx context.Context, sess *lake.Session, rel string) error {
	if err := InputLabels(ctx, sess, "labels_all", rel); err != nil {
		return err
	}
	if _, err := sess.Exec(ctx, distillery.SQL("labels/oracle_name")); err != nil {
		return fmt.Errorf("sql/labels/oracle_name.sql: %w", err)
	}
	return nil
}

// InputLabels defines the view name over rel, a snapshot of
// <filter>.labels, with the columns labels gained since a table was made
// (repeat, extra, settings) as nulls where it lacks them.
func InputLabels(ctx context.Context, sess *lake.Session, name, rel string) error {
	cols, err := sess.ColumnNames(ctx, rel)
	if err != nil {
		return err
	}
	extra := ""
	for _, c := range [][2]string{{"repeat", "INTEGER"}, {"extra", "VARCHAR"}, {"settings", "VARCHAR"}, {"selected_by", "VARCHAR"}, {"inclusion", "DOUBLE"}, {"selection", "VARCHAR"}} {
		if !slices.Contains(cols, c[0]) {
			extra += fmt.Sprintf(", NULL::%s AS %q", c[1], c[0])
		}
	}
	if _, err := sess.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP VIEW %q AS SELECT *%s FROM %s", name, extra, rel)); err != nil {
		return fmt.Errorf("input %s: %w", name, err)
	}
	return nil
}

// DefineFilter defines the filter's dimensions, gatekeepers and tiers as
// temporary tables, and the variable dimensions.
func DefineFilter(ctx context.Context, sess *lake.Session, f *filters.Filter) error {
	err := sess.ExecAll(ctx,
		"CREATE OR REPLACE TEMP TABLE filter_dimensions (dimension VARCHAR, weight DOUBLE, position INTEGER)",
		"CREATE OR REPLACE TEMP TABLE filter_gatekeepers (dimension VARCHAR, below DOUBLE, cap DOUBLE)",
		"CREATE OR REPLACE TEMP TABLE filter_tiers (tier VARCHAR, min_score DOUBLE, tier_rank INTEGER)")
	if err != nil {
		return fmt.Errorf("define filter %s: %w", f.Name, err)
	}
	var rows [][]any
	for i, d := range f.Dimensions {
		rows = append(rows, []any{"filter_dimensions", d.Name, d.Weight, i + 1})
	}
	for _, g := range f.Gatekeepers {
		rows = append(rows, []any{"filter_gatekeepers", g.Dimension, g.Below, g.Cap})
	}
	for i, t := range f.Tiers {
		rows = append(rows, []any{"filter_tiers", t.Name, t.Min, i + 1})
	}
	for _, r := range rows {
		if _, err := sess.Exec(ctx, "INSERT INTO "+r[0].(string)+" VALUES (?, ?, ?)", r[1:]...); err != nil {
			return fmt.Errorf("define filter %s: %s: %w", f.Name, r[0], err)
		}
	}
	if err := sess.SetVariables(ctx, lake.Vars{"dimensions": f.DimensionNames()}); err != nil {
		return fmt.Errorf("define filter %s: %w", f.Name, err)
	}
	return nil
}

// Each runs sql/<name>.sql and hands every row to scan; errors name the file.
func Each(ctx context.Context, sess *lake.Session, name string, scan func(*sql.Rows) error) error {
	return sess.EachFile(ctx, name, nil, scan)
}

// DefineCalls defines oracle_calls_input: the filter's current oracle calls,
// or an empty table of the same shape when it has none (imported labels
// only). It returns the snapshot read (nil for none).
func DefineCalls(ctx context.Context, sess *lake.Session, f *filters.Filter) (*lake.Snapshot, error) {
	ref := spec.OracleCalls.Ref(f)
	rel, snap, err := sess.Relation(ctx, ref)
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return nil, err
	}
	if snap == nil {
		return nil, sess.TempView(ctx, "oracle_calls_input", "labels/no_oracle_calls")
	}
	return snap, sess.Input(ctx, "oracle_calls_input", rel)
}
