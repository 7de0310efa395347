package evaluate

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
)

// readWeighting fills res.Weighting from the scored articles' weights
// (sql/eval/weighting.sql) when a selection or sample chose any label, and
// warns when a selection without a random part chose some of those scored:
// their inclusion is 1 and nothing stands for the articles it passed over,
// so the weighted MAE covers only what was chosen.
func readWeighting(ctx context.Context, sess *lake.Session, res *Result) error {
	w := &Weighting{}
	var plans string
	if err := sess.QueryRowFile(ctx, "eval/weighting", nil, &w.Labeled, &w.Selected, &w.Pool, &w.Evaluated, &w.EffectiveN,
		&w.Weighted, &w.Unrepresented, &plans); err != nil {
		return err
	}
	if w.Selected == 0 {
		return nil
	}
	if plans != "" {
		w.Plans = strings.Split(plans, "; ")
	}
	res.Weighting = w
	if w.Unrepresented > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d of the %s %s chosen by --select %s, which has no random part: their inclusion is 1 and nothing stands for the articles it passed over, so the weighted MAE covers only what was chosen (label --select with a random share, e.g. upper:0.8,random:0.2, to estimate the whole pool)",
			w.Unrepresented, human.Plural(w.Evaluated, "scored article"), human.Noun(w.Unrepresented, "was", "were"), strings.Join(w.Plans, " and ")))
	}
	return nil
}

// Line says what the weighted MAE estimates, or nothing when every
// article weighs the same.
func (w *Weighting) Line() string {
	if w == nil || !w.Weighted {
		return ""
	}
	return fmt.Sprintf("(MAE (WEIGHTED): each article weighted by 1/inclusion of its label (label --select, --sample): estimates the MAE over the %s the selections drew from; effective n = %s of the %d scored)",
		human.Plural(int64(math.Round(w.Pool)), "article"), human.Number(math.Round(w.EffectiveN*10)/10), w.Evaluated)
}
