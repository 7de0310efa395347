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
	"strings"

	"github.com/distillery/distillery"
	"github.com/distillery/distillery/filters"
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

// LabelsTable is <filter>.labels.
func LabelsTable(f *filters.Filter) lake.TableName {
	return spec.Labels.For(f)
}

// CheckCombine validates a combine rule.
func CheckCombine(rule string) error {
	if rule != Latest && rule != Mean {
		return fmt.Errorf("combine %q: want %s or %s", rule, Latest, Mean)
	}
	return nil
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
	rows, err := sess.Query(ctx, "SELECT * FROM "+rel+" LIMIT 0")
	if err != nil {
		return err
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return err
	}
	weight := map[string]float64{}
	for _, d := range f.Dimensions {
		weight[d.Name] = d.Weight
	}
	pos := map[string]int{}
	var names, weights []string
	for _, c := range cols {
		if w, ok := weight[c]; ok {
			names = append(names, lake.QuoteString(c))
			weights = append(weights, fmt.Sprint(w))
			pos[c] = len(names)
		}
	}
	if len(names) != len(f.Dimensions) {
		return fmt.Errorf("%s has %d of the filter's %d dimension columns: relabel with this filter version", rel, len(names), len(f.Dimensions))
	}
	var gates []string
	for _, g := range f.Gatekeepers {
		gates = append(gates, fmt.Sprintf("{'pos': %d, 'below': %v, 'cap': %v}", pos[g.Dimension], g.Below, g.Cap))
	}
	for _, q := range []string{
		"SET VARIABLE dimensions = [" + strings.Join(names, ", ") + "]::VARCHAR[]",
		"SET VARIABLE weights = [" + strings.Join(weights, ", ") + "]::DOUBLE[]",
		"SET VARIABLE gatekeepers = [" + strings.Join(gates, ", ") + "]::STRUCT(pos INTEGER, below DOUBLE, cap DOUBLE)[]",
	} {
		if _, err := sess.Exec(ctx, q); err != nil {
			return fmt.Errorf("define filter %s: %w", f.Name, err)
		}
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
	if err := CheckCombine(rule); err != nil {
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
	steps := []string{
		"SET VARIABLE combine = " + lake.QuoteString(rule),
		"CREATE OR REPLACE TEMP VIEW labels_input AS SELECT * FROM " + rel,
		"CREATE OR REPLACE TEMP TABLE combined_wide AS " + distillery.SQL("labels/combined_wide"),
		"CREATE OR REPLACE TEMP TABLE combined_labels AS " + distillery.SQL("labels/combined_tiers"),
		// Long form only when a query reads it (stats, strata by a dimension).
		"CREATE OR REPLACE TEMP VIEW combined_scores AS " + distillery.SQL("labels/combined_scores"),
	}
	for _, q := range steps {
		if _, err := sess.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("combine labels of %s: %w", snap.Ref(), err)
		}
	}
	p := &Prepared{Labels: snap, Combine: rule}
	if err := sess.QueryRow(ctx, "SELECT (SELECT count(*) FROM combined_labels), (SELECT count(*) FROM labels_input)", &p.Articles, &p.LabelRows); err != nil {
		return nil, err
	}
	return p, nil
}

// DefineFilter defines the filter's dimensions, gatekeepers and tiers as
// temporary tables, and the variable dimensions.
func DefineFilter(ctx context.Context, sess *lake.Session, f *filters.Filter) error {
	var dims, names, gates, tiers []string
	for i, d := range f.Dimensions {
		dims = append(dims, fmt.Sprintf("(%s, %v, %d)", lake.QuoteString(d.Name), d.Weight, i+1))
		names = append(names, lake.QuoteString(d.Name))
	}
	for _, g := range f.Gatekeepers {
		gates = append(gates, fmt.Sprintf("(%s, %v, %v)", lake.QuoteString(g.Dimension), g.Below, g.Cap))
	}
	for i, t := range f.Tiers {
		tiers = append(tiers, fmt.Sprintf("(%s, %v, %d)", lake.QuoteString(t.Name), t.Min, i+1))
	}
	steps := []string{
		"CREATE OR REPLACE TEMP TABLE filter_dimensions (dimension VARCHAR, weight DOUBLE, position INTEGER)",
		"CREATE OR REPLACE TEMP TABLE filter_gatekeepers (dimension VARCHAR, below DOUBLE, cap DOUBLE)",
		"CREATE OR REPLACE TEMP TABLE filter_tiers (tier VARCHAR, min_score DOUBLE, tier_rank INTEGER)",
		"INSERT INTO filter_dimensions VALUES " + strings.Join(dims, ", "),
		"INSERT INTO filter_tiers VALUES " + strings.Join(tiers, ", "),
		"SET VARIABLE dimensions = [" + strings.Join(names, ", ") + "]::VARCHAR[]",
	}
	if len(gates) > 0 {
		steps = append(steps, "INSERT INTO filter_gatekeepers VALUES "+strings.Join(gates, ", "))
	}
	for _, q := range steps {
		if _, err := sess.Exec(ctx, q); err != nil {
			return fmt.Errorf("define filter %s: %w", f.Name, err)
		}
	}
	return nil
}

// Each runs sql/<name>.sql and hands every row to scan; errors name the file.
func Each(ctx context.Context, sess *lake.Session, name string, scan func(*sql.Rows) error) error {
	if err := sess.Each(ctx, distillery.SQL(name), scan); err != nil {
		return fmt.Errorf("sql/%s.sql: %w", name, err)
	}
	return nil
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
	q := "CREATE OR REPLACE TEMP VIEW oracle_calls_input AS SELECT * FROM " + rel
	if snap == nil {
		q = "CREATE OR REPLACE TEMP TABLE oracle_calls_input (cache_key VARCHAR, id VARCHAR, oracle VARCHAR, status VARCHAR, " +
			"tokens_in BIGINT, tokens_out BIGINT, cost_usd DOUBLE, called_at TIMESTAMPTZ)"
	}
	_, err = sess.Exec(ctx, q)
	return snap, err
}
