package curate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// ErrNoSplits means the filter has no split yet (returned inside a
// spec.NeedError naming split).
var ErrNoSplits = errors.New("no split for this filter yet")

// ExampleSet is what DefineExamples defined.
type ExampleSet struct {
	*Prepared
	Splits     *lake.Snapshot
	Compressed *lake.Snapshot
	// Dimensions are the dimension names in the order of each example's labels.
	Dimensions []string
	// Counts are examples per split; NoText counts split articles without a
	// compressed text (imported labels of articles never compressed).
	Counts map[string]int64
	NoText int64
}

// Inputs lists the snapshots the examples were read from, for lineage.
func (e *ExampleSet) Inputs() []lake.Snapshot {
	return []lake.Snapshot{*e.Labels, *e.Splits, *e.Compressed}
}

// DefineExamples prepares the labels (Prepare) and defines the view
// examples (split, id, text, labels, overall, tier, balanced_out) from the
// splits at splitsRef (zero: current) and the current compressed texts.
func DefineExamples(ctx context.Context, sess *lake.Session, f *filters.Filter, labels, splits lake.Ref, combine string) (*ExampleSet, error) {
	if labels.Table == "" {
		labels = lake.Ref{TableName: spec.Labels.For(f)}
	}
	if splits.Table == "" {
		splits = lake.Ref{TableName: spec.Splits.For(f)}
	}
	p, err := Prepare(ctx, sess, f, labels, combine)
	if err != nil {
		return nil, err
	}
	set := &ExampleSet{Prepared: p, Counts: map[string]int64{}}
	srel, ssnap, err := sess.Relation(ctx, splits)
	if errors.Is(err, lake.ErrNoTable) || (err == nil && ssnap == nil) {
		return nil, spec.Need(spec.Splits, f.Namespace(), ErrNoSplits.Error(), ErrNoSplits)
	}
	if err != nil {
		return nil, err
	}
	crel, csnap, err := sess.Relation(ctx, lake.Ref{TableName: spec.Compressed.For(f)})
	if err != nil {
		return nil, err
	}
	if csnap == nil {
		return nil, spec.Need(spec.Compressed, f.Namespace(), "", nil)
	}
	set.Splits, set.Compressed = ssnap, csnap
	err = sess.Input(ctx, "splits_input", srel)
	if err == nil {
		err = sess.Input(ctx, "compressed_input", "(SELECT id, text FROM "+crel+")")
	}
	if err == nil {
		err = sess.TempView(ctx, "examples", "students/examples")
	}
	if err != nil {
		return nil, fmt.Errorf("define examples: %w", err)
	}
	if err := sess.EachFile(ctx, "students/example_counts", nil, func(rows *sql.Rows) error {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return err
		}
		set.Counts[s] = n
		return nil
	}); err != nil {
		return nil, err
	}
	if err := sess.QueryRowFile(ctx, "students/without_text", nil, &set.NoText); err != nil {
		return nil, err
	}
	if err := sess.QueryRow(ctx, "SELECT getvariable('dimensions')", (*stringList)(&set.Dimensions)); err != nil {
		return nil, err
	}
	return set, nil
}

// stringList scans a DuckDB VARCHAR[].
type stringList []string

func (l *stringList) Scan(v any) error {
	items, ok := v.([]any)
	if !ok {
		return fmt.Errorf("want a list, got %T", v)
	}
	*l = (*l)[:0]
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return fmt.Errorf("want strings, got %T", it)
		}
		*l = append(*l, s)
	}
	return nil
}
