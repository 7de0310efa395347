package label

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label/selection"
)

// driftRun is the latest drift run, as --select drift reads it.
type driftRun struct {
	id, window, by string
	// trainSource is what drift's train baseline was (predictions:MODEL
	// or labels): the ranking compares with the same.
	trainSource string
	at          time.Time
	flagged     []string
}

// latestDrift reads the latest drift run of <filter>.drift
// (sql/label/select_drift_run.sql): it must have flagged a dimension or
// overall, or there is nothing to select for.
func latestDrift(ctx context.Context, sess *lake.Session, f *filters.Filter) (*driftRun, error) {
	rel, snap, err := sess.Relation(ctx, spec.Drifts.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		return nil, spec.Need(spec.Drifts, f.Namespace(), fmt.Sprintf("--select drift: %s has no drift run", f.Namespace()), ErrSelection)
	}
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "drift_input", rel); err != nil {
		return nil, err
	}
	r := &driftRun{}
	var flagged []any
	err = sess.QueryRowFile(ctx, "label/select_drift_run", nil, &r.id, &r.at, &r.window, &r.by, &r.trainSource, &flagged)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, spec.Need(spec.Drifts, f.Namespace(), fmt.Sprintf("--select drift: %s has no drift run", f.Namespace()), ErrSelection)
	}
	if err != nil {
		return nil, err
	}
	for _, v := range flagged {
		r.flagged = append(r.flagged, fmt.Sprint(v))
	}
	if len(r.flagged) == 0 {
		return nil, fmt.Errorf("%w: --select drift: the latest drift run (%s, window %s) flagged no dimension against train: nothing moved away from what the student learned to label for", ErrSelection, r.at.UTC().Format(time.RFC3339), r.window)
	}
	return r, nil
}

// poolDrift scores each article of the pool by how far its scores sit
// where the run's window moved away from the labels
// (sql/label/select_drift.sql over the scores windowed as drift windows
// them, sql/drift/articles.sql).
func poolDrift(ctx context.Context, sess *lake.Session, f *filters.Filter, run *driftRun, labeled bool, in *selection.Pool, res *Result) error {
	scores, snap, err := sess.Relation(ctx, spec.Scores.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		return spec.Need(spec.Scores, f.Namespace(), "--select drift: no scores", ErrSelection)
	}
	if err != nil {
		return err
	}
	raw, _, err := sess.Relation(ctx, spec.Raw.Ref(nil))
	if err != nil {
		return err
	}
	labels := "SELECT id, labeled_at, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM labels_input"
	// Rank against the baseline drift flagged against: the student's own
	// scores of the labeled articles when that is what drift compared
	// with (its scores are smoother than the labels: against the labels
	// every flagged dimension's middle bins would look over-represented).
	if model, ok := strings.CutPrefix(run.trainSource, "predictions:"); ok && labeled {
		prel, psnap, err := sess.Relation(ctx, spec.Predictions.Ref(f))
		if err != nil {
			return err
		}
		if psnap != nil {
			if err := sess.Input(ctx, "drift_predictions", prel); err != nil {
				return err
			}
			if err := sess.SetVariables(ctx, lake.Vars{"drift_model": model}); err != nil {
				return err
			}
			labels = "SELECT id, predicted_at AS labeled_at, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM drift_predictions" +
				" WHERE model = getvariable('drift_model') AND id IN (SELECT id FROM labels_input)"
		}
	}
	if !labeled {
		labels = "SELECT id, NULL::TIMESTAMPTZ AS labeled_at, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM drift_articles WHERE false"
	}
	err = sess.SetVariables(ctx, lake.Vars{"dimensions": f.DimensionNames(), "drift_dimensions": run.flagged})
	if err == nil {
		err = sess.Input(ctx, "drift_scores", scores)
	}
	if err == nil {
		err = sess.Input(ctx, "drift_raw", raw)
	}
	if err == nil {
		err = sess.TempTable(ctx, "drift_articles", "drift/articles", lake.Params{"by": run.by})
	}
	if err == nil {
		_, err = sess.Exec(ctx, "CREATE OR REPLACE TEMP TABLE drift_labels AS "+labels)
	}
	if err != nil {
		return err
	}
	score := map[string]float64{}
	err = sess.EachFile(ctx, "label/select_drift", lake.Params{"window": run.window}, func(rows *sql.Rows) error {
		var id string
		var s float64
		if err := rows.Scan(&id, &s); err != nil {
			return err
		}
		score[id] = s
		return nil
	})
	if err != nil {
		return err
	}
	in.Drift = make([]float64, len(in.IDs))
	found := 0
	for i, id := range in.IDs {
		v, ok := score[id]
		if !ok {
			v = math.NaN()
		} else {
			found++
		}
		in.Drift[i] = v
	}
	if found == 0 {
		res.Warn("--select drift: none of the %d articles to choose from is among the window %s's articles in the moved score ranges of %s (score them with distill score, and compress them: label chooses among <filter>.compressed)",
			len(in.IDs), run.window, strings.Join(run.flagged, ", "))
	}
	return nil
}
