package curate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/distillery/distillery/lake"
)

// ErrNoPredictions means there is nothing to score: no predictions table,
// no prediction of a model for an article in scope, or predictions made
// for another version of the filter.
var ErrNoPredictions = errors.New("no predictions to evaluate")

// PredictionsRelation checks that rel (a snapshot of <filter>.predictions
// named name) has the columns eval, cv and gate read, and adds the raw
// columns of calibration as nulls where it lacks them: a table written
// before predict calibrated holds only raw output, in the main columns.
func PredictionsRelation(ctx context.Context, sess *lake.Session, rel, name string, dims []string) (string, error) {
	cols, err := sess.ColumnNames(ctx, rel)
	if err != nil {
		return "", err
	}
	var missing []string
	for _, c := range append([]string{"id", "model", "overall", "split", "predicted_at", "run_id"}, dims...) {
		if !slices.Contains(cols, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%w: %s has no column %s: were these predictions made for another version of the filter? rerun `distill predict`", ErrNoPredictions, name, strings.Join(missing, ", "))
	}
	var added []string
	for _, c := range append(RawColumns(dims), "overall_raw") {
		if !slices.Contains(cols, c) {
			added = append(added, "NULL::DOUBLE AS "+quoteIdent(c))
		}
	}
	for _, c := range []string{"tier_raw", "calibration"} {
		if !slices.Contains(cols, c) {
			added = append(added, "NULL::VARCHAR AS "+quoteIdent(c))
		}
	}
	if len(added) == 0 {
		return rel, nil
	}
	return "(SELECT *, " + strings.Join(added, ", ") + " FROM " + rel + ")", nil
}

// RawColumns are the columns of <filter>.predictions that hold the
// uncalibrated student output of each dimension.
func RawColumns(dims []string) []string {
	out := make([]string, len(dims))
	for i, d := range dims {
		out[i] = d + "_raw"
	}
	return out
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
