package bundle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Description is distill model describe's report of one model.
type Description struct {
	Model *ModelInfo `json:"model"`
	// Artifact is the model's folder under the lake; Files its files.
	Artifact string `json:"artifact"`
	Files    []File `json:"files"`
	// Tags are the tags that name the model now.
	Tags        []string     `json:"tags"`
	Evaluations []Evaluation `json:"evaluations"`
	Gates       []GateRow    `json:"gates"`
}

// Evaluation is a row of the model's latest evaluation of a split.
type Evaluation struct {
	Split        string    `json:"split"`
	Dimension    string    `json:"dimension"`
	Calibrated   bool      `json:"calibrated"`
	N            int64     `json:"n"`
	MAE          *float64  `json:"mae"`
	Spearman     *float64  `json:"spearman"`
	TierAccuracy *float64  `json:"tier_accuracy"`
	EvaluatedAt  time.Time `json:"evaluated_at"`
	RunID        string    `json:"run_id"`
}

// GateRow is a row of the newest gate run with the model as candidate.
type GateRow struct {
	Against    string    `json:"against"`
	Metric     string    `json:"metric"`
	Candidate  *float64  `json:"candidate_value"`
	Other      *float64  `json:"against_value"`
	Difference *float64  `json:"difference"`
	Low        *float64  `json:"difference_low"`
	High       *float64  `json:"difference_high"`
	Regression bool      `json:"regression"`
	Verdict    string    `json:"verdict"`
	GatedAt    time.Time `json:"gated_at"`
	RunID      string    `json:"run_id"`
}

// TagsOf lists the tags that name a model now, read from the filter's
// model_tags (stages/gate owns them).
type TagsOf func(ctx context.Context, l *lake.Lake, f *filters.Filter, model string) ([]string, error)

// Describe reports model id (with f, also students.Latest; without, the
// model is looked for in every filter): its row, the tags naming it now,
// its latest evaluations and gate run, and its files.
func Describe(ctx context.Context, l *lake.Lake, f *filters.Filter, id string, tags TagsOf) (*Description, error) {
	m, ns, err := findModel(ctx, l, id, f)
	if err != nil {
		return nil, err
	}
	d := &Description{Artifact: m.Artifact, Files: []File{}, Tags: []string{}, Evaluations: []Evaluation{}, Gates: []GateRow{}}
	if d.Model, err = modelInfo(ctx, l, ns, m); err != nil {
		return nil, err
	}
	if tags != nil {
		nsf := f
		if nsf == nil {
			nsf = &filters.Filter{Name: ns}
		}
		if d.Tags, err = tags(ctx, l, nsf, m.ID); err != nil {
			return nil, err
		}
	}
	if d.Files, err = hashTree(m.Dir(l)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sess, err := l.Session(ctx, ns)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if ok, err := input(ctx, sess, "evaluations_input", spec.Evaluations.In(ns)); err != nil {
		return nil, err
	} else if ok {
		err = sess.EachFile(ctx, "bundle/evaluations", lake.Params{"id": m.ID}, func(rows *sql.Rows) error {
			var e Evaluation
			var mae, rho, acc sql.NullFloat64
			var n sql.NullInt64
			var cal sql.NullBool
			if err := rows.Scan(&e.Split, &e.Dimension, &cal, &n, &mae, &rho, &acc, &e.EvaluatedAt, &e.RunID); err != nil {
				return err
			}
			e.N, e.Calibrated = n.Int64, cal.Bool
			e.MAE, e.Spearman, e.TierAccuracy = ptr(mae), ptr(rho), ptr(acc)
			d.Evaluations = append(d.Evaluations, e)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if ok, err := input(ctx, sess, "gates_input", spec.Gates.In(ns)); err != nil {
		return nil, err
	} else if ok {
		err = sess.EachFile(ctx, "bundle/gates", lake.Params{"id": m.ID}, func(rows *sql.Rows) error {
			var g GateRow
			var c, o, df, lo, hi sql.NullFloat64
			if err := rows.Scan(&g.Against, &g.Metric, &c, &o, &df, &lo, &hi, &g.Regression, &g.Verdict, &g.GatedAt, &g.RunID); err != nil {
				return err
			}
			g.Candidate, g.Other, g.Difference, g.Low, g.High = ptr(c), ptr(o), ptr(df), ptr(lo), ptr(hi)
			d.Gates = append(d.Gates, g)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// input makes table readable as name; false when it has no rows yet.
func input(ctx context.Context, sess *lake.Session, name string, t lake.TableName) (bool, error) {
	rel, snap, err := sess.Relation(ctx, lake.Ref{TableName: t})
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, sess.Input(ctx, name, rel)
}

func ptr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

// Params is the model's params as an object, for printing.
func (m *ModelInfo) ParamsMap() map[string]any {
	out := map[string]any{}
	json.Unmarshal(m.Params, &out)
	return out
}
