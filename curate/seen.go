package curate

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Seen is what LeaveOutSeen left out.
type Seen struct {
	// Labeled is the labeled articles in scope before, Left after.
	Labeled, Left int64
	// By says, per model that had seen some, how many and under which split
	// snapshot: "prod (10, trained with eval_tiny.splits@1)".
	By []string
	// Inputs are the split snapshots read.
	Inputs []lake.Snapshot
	// Unread are the models whose split snapshot could not be read (expired).
	Unread []string
}

// Any says whether articles were left out.
func (s *Seen) Any() bool { return s != nil && s.Left < s.Labeled }

// Sentence says what was left out and why ("" when nothing was).
func (s *Seen) Sentence(split string) string {
	if !s.Any() {
		return ""
	}
	return fmt.Sprintf("%d of the %s were training or validation articles of a model scored, under the split it trained with: %s",
		s.Labeled-s.Left, human.Plural(s.Labeled, split+" article"), strings.Join(s.By, ", "))
}

// LeaveOutSeen deletes from the temporary table eval_scope (id, split) the
// labeled articles (combined_labels) that one of models trained or chose on
// under the split it trained with: train or val in the <filter>.splits
// snapshot its models_input row names, when that is not current (the
// snapshot scope was taken from). After a new split (split --fresh, other
// ratios, another seed) a test article may be one, and a model scored on
// what it learned looks better than it is. A model whose row names no
// split, or names the current one, is not checked; one whose snapshot the
// lake no longer holds (distill expire) is listed in Unread.
func LeaveOutSeen(ctx context.Context, sess *lake.Session, f *filters.Filter, models []string, current int64) (*Seen, error) {
	out := &Seen{}
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM eval_scope WHERE id IN (SELECT id FROM combined_labels)", &out.Labeled); err != nil {
		return nil, err
	}
	out.Left = out.Labeled
	cols, err := sess.ColumnNames(ctx, "models_input")
	if err != nil || !slices.Contains(cols, "splits_sequence") {
		return out, err // a models table from before lineage: nothing to check against
	}
	trained := map[string]int64{}
	var order []string
	if err := sess.SetVariables(ctx, lake.Vars{"seen_models": models}); err != nil {
		return nil, err
	}
	if err := sess.EachFile(ctx, "students/model_splits", nil, func(rows *sql.Rows) error {
		var m string
		var seq sql.NullInt64
		if err := rows.Scan(&m, &seq); err != nil {
			return err
		}
		if seq.Valid && seq.Int64 != current {
			trained[m] = seq.Int64
			order = append(order, m)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := sess.ExecAll(ctx, "CREATE OR REPLACE TEMP TABLE seen_ids (id VARCHAR)"); err != nil {
		return nil, err
	}
	for _, m := range order {
		ref := spec.Splits.Ref(f)
		ref.At = strconv.FormatInt(trained[m], 10)
		rel, snap, err := sess.Relation(ctx, ref)
		if err != nil || snap == nil {
			out.Unread = append(out.Unread, fmt.Sprintf("%s (%s)", m, ref))
			continue
		}
		out.Inputs = append(out.Inputs, *snap)
		if err := sess.Input(ctx, "seen_splits", rel); err != nil {
			return nil, err
		}
		if err := sess.TempTable(ctx, "seen_by_model", "students/seen_articles", nil); err != nil {
			return nil, err
		}
		var n int64
		if err := sess.QueryRow(ctx, "SELECT count(*) FROM seen_by_model", &n); err != nil {
			return nil, err
		}
		if n == 0 {
			continue
		}
		out.By = append(out.By, fmt.Sprintf("%s (%d, trained with %s)", m, n, snap.Ref()))
		if err := sess.ExecAll(ctx, "INSERT INTO seen_ids SELECT id FROM seen_by_model"); err != nil {
			return nil, err
		}
	}
	if len(out.By) > 0 {
		err := sess.ExecAll(ctx, "DELETE FROM eval_scope WHERE id IN (SELECT id FROM seen_ids)")
		if err == nil {
			err = sess.QueryRow(ctx, "SELECT count(*) FROM eval_scope WHERE id IN (SELECT id FROM combined_labels)", &out.Left)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
