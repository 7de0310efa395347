package gate

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// leaveOutSeen drops from eval_scope the labeled articles that a gated
// model trained or chose on under the split it trained with (train or val
// in that snapshot of <filter>.splits): after a new split (split --fresh,
// other ratios) a test article may be one of them, and a model scored on
// what it learned looks better than it is, the production model as much
// as the candidate. res warns what was left out; when nothing is left the
// gate stops. A model whose split snapshot the lake no longer holds
// (distill expire) is not checked, and res says so.
func leaveOutSeen(ctx context.Context, sess *lake.Session, opts Options, in *inputs, current *lake.Snapshot, res *Result) error {
	models := []string{opts.Candidate}
	if !in.baselines {
		models = append(models, in.others...)
	}
	seen := map[string]bool{}
	var by []string // "prod (10, trained with eval_tiny.splits@1)"
	for _, m := range models {
		var labelsSeq, splitsSeq sql.NullInt64
		if err := sess.QueryRowFile(ctx, "gate/model_training", lake.Params{"id": m}, &labelsSeq, &splitsSeq); err != nil {
			return err
		}
		if !splitsSeq.Valid || splitsSeq.Int64 == current.Seq {
			continue // trained with this very split: its test articles are unseen
		}
		ref := spec.Splits.Ref(opts.Filter)
		ref.At = strconv.FormatInt(splitsSeq.Int64, 10)
		rel, snap, err := relation(ctx, sess, spec.Splits, ref, "")
		if err != nil {
			res.Warn("could not read %s, the split %s trained with (%v): articles it trained on may be among those gated", ref, m, err)
			continue
		}
		in.add(snap)
		if err := sess.Input(ctx, "seen_splits", rel); err != nil {
			return err
		}
		n := 0
		if err := sess.EachFile(ctx, "gate/seen_articles", nil, func(rows *sql.Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			seen[id], n = true, n+1
			return nil
		}); err != nil {
			return err
		}
		if n > 0 {
			by = append(by, fmt.Sprintf("%s (%d, trained with %s)", m, n, snap.Ref()))
		}
	}
	if len(seen) == 0 {
		return nil
	}
	var labeled int64
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM eval_scope WHERE id IN (SELECT id FROM combined_labels)", &labeled); err != nil {
		return err
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	if err := sess.SetVariables(ctx, lake.Vars{"gate_seen": ids}); err != nil {
		return err
	}
	if err := sess.ExecAll(ctx, "DELETE FROM eval_scope WHERE list_contains(getvariable('gate_seen'), id)"); err != nil {
		return err
	}
	left := labeled - int64(len(seen))
	what := fmt.Sprintf("%d of the %s were training or validation articles of a model gated, under the split it trained with: %s",
		len(seen), human.Plural(labeled, opts.Split+" article"), strings.Join(by, ", "))
	if left <= 0 {
		return fmt.Errorf("%w: %s; every one was, so no article is left that no side has seen: train and predict the candidate with the current split, then gate again", ErrNoArticles, what)
	}
	res.Warn("%s; a model scored on what it learned looks better than it is, so they are left out and the gate scores the other %d", what, left)
	return nil
}
