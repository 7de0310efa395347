package predict

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/calibrate"
)

// modelCalibration is the calibration train recorded for the model (nil:
// none, as for a model trained before calibration or with
// --no-calibrate), loaded from its folder. The models row names the file
// by its sha256, so a calibration.json changed or lost since is an error,
// never a silent switch to raw or other scores.
func modelCalibration(ctx context.Context, sess *lake.Session, l *lake.Lake, f *filters.Filter, m *students.Model) (*calibrate.Calibration, string, error) {
	rel, snap, err := sess.Relation(ctx, spec.Models.Ref(f))
	if err != nil || snap == nil {
		return nil, "", err
	}
	cols, err := sess.ColumnNames(ctx, rel)
	if err != nil || !slices.Contains(cols, "calibration") {
		return nil, "", err
	}
	rows, err := sess.Query(ctx, "SELECT calibration FROM "+rel+" WHERE id = ?", m.ID)
	if err != nil {
		return nil, "", err
	}
	var want sql.NullString
	for rows.Next() {
		if err := rows.Scan(&want); err != nil {
			rows.Close()
			return nil, "", err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || !want.Valid {
		return nil, "", err
	}
	path := filepath.Join(m.Dir(l), calibrate.File)
	cal, got, err := calibrate.Load(path, m.Dimensions)
	if err != nil {
		return nil, "", fmt.Errorf("model %s was calibrated (%s): %w", m.ID, want.String, err)
	}
	if got != want.String {
		return nil, "", fmt.Errorf("model %s: %s is %s, but the model was trained with %s: the file changed since; train again, or restore it", m.ID, path, got, want.String)
	}
	return cal, got, nil
}

// EmitScores writes an article's score columns: with a calibration the
// calibrated scores, overall and tier, and the raw ones in the *_raw
// columns; without, the raw scores and NULL raws.
func EmitScores(rb *lake.RowBuilder, f *filters.Filter, m *students.Model, cal *calibrate.Calibration, calName string, raw []float64) {
	scores := raw
	if cal != nil {
		scores = cal.Apply(raw)
	}
	vals := map[string]float64{}
	for i, d := range m.Dimensions {
		rb.Double(d, scores[i])
		vals[d] = scores[i]
	}
	overall, gated := f.ScoreOf(vals)
	rb.Double("overall", overall)
	rb.Bool("gatekeeper_applied", gated)
	rb.String("tier", f.TierOf(overall))
	if cal == nil {
		return
	}
	for i, d := range m.Dimensions {
		rb.Double(d+"_raw", raw[i])
		vals[d] = raw[i]
	}
	rawOverall, _ := f.ScoreOf(vals)
	rb.Double("overall_raw", rawOverall)
	rb.String("tier_raw", f.TierOf(rawOverall))
	rb.String("calibration", calName)
}
