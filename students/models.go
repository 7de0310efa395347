// Package students holds what every student backend shares: a trained
// model as a row of <filter>.models (Model) and finding one by id (Find),
// which train writes and predict and eval read. The backends are its
// subpackages: linear (pure Go) and lora (the Python trainer).
package students

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// ErrNoModel means no row of <filter>.models has the id.
var ErrNoModel = errors.New("no such model")

// Latest, as a model id, is the filter's newest model (by trained_at), so
// predict and eval need no id copied from train's output.
const Latest = "latest"

// Model is a row of <filter>.models.
type Model struct {
	ID         string    `json:"id"`
	Backend    string    `json:"backend"`
	BaseModel  string    `json:"base_model,omitempty"`
	Params     string    `json:"params"`
	Dimensions []string  `json:"dimensions"`
	Artifact   string    `json:"artifact"`
	TrainRows  int64     `json:"train_rows"`
	ValRows    int64     `json:"val_rows"`
	ValMAE     float64   `json:"val_mae"`
	ValMAEDims []float64 `json:"val_mae_per_dimension"`
	BaseMAE    float64   `json:"baseline_val_mae"`
	Seconds    float64   `json:"seconds"`
	// FilterSHA is the sha256 of the filter package the model was trained for.
	FilterSHA string `json:"filter_sha256,omitempty"`
}

// Python is the interpreter a lora model was trained with (params.python),
// predict's default for it; "" for other models and older rows.
func (m *Model) Python() string {
	var p struct {
		Python string `json:"python"`
	}
	json.Unmarshal([]byte(m.Params), &p)
	return p.Python
}

// Quantize is how a lora model's base was loaded when it trained
// (params.quantize: 4bit, 8bit or none; none for rows older than it), ""
// for other models.
func (m *Model) Quantize() string {
	if m.Backend != "lora" {
		return ""
	}
	var p struct {
		Quantize string `json:"quantize"`
	}
	json.Unmarshal([]byte(m.Params), &p)
	if p.Quantize == "" {
		return "none"
	}
	return p.Quantize
}

// Dir is the model's artifact folder.
func (m *Model) Dir(l *lake.Lake) string { return filepath.Join(l.Root, m.Artifact) }

// Find returns the model row with the id.
func Find(ctx context.Context, l *lake.Lake, f *filters.Filter, id string) (*Model, error) {
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	rel, snap, err := sess.Relation(ctx, lake.Ref{TableName: spec.Models.For(f)})
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return nil, spec.Need(spec.Models, f.Namespace(), fmt.Sprintf("%s %q: %s has no models yet", ErrNoModel, id, f.Namespace()), ErrNoModel)
	}
	if err != nil {
		return nil, err
	}
	m := &Model{}
	var base, params, fsha sql.NullString
	var dims string
	var valMAE, baseMAE sql.NullFloat64
	if err := sess.Input(ctx, "models_input", rel); err != nil {
		return nil, err
	}
	err = sess.QueryRowFile(ctx, "students/model", lake.Params{"id": id},
		&m.ID, &m.Backend, &base, &params, &dims, &m.Artifact, &m.TrainRows, &m.ValRows, &valMAE, &baseMAE, &m.Seconds, &fsha)
	if errors.Is(err, sql.ErrNoRows) {
		known, _ := sess.StringSet(ctx, "SELECT id FROM models_input")
		var ids []string
		for k := range known {
			ids = append(ids, k)
		}
		return nil, fmt.Errorf("%w %q in %s (models: %v)", ErrNoModel, id, spec.Models.For(f), ids)
	}
	if err != nil {
		return nil, err
	}
	m.BaseModel, m.Params, m.ValMAE, m.BaseMAE, m.FilterSHA = base.String, params.String, valMAE.Float64, baseMAE.Float64, fsha.String
	if err := json.Unmarshal([]byte(dims), &m.Dimensions); err != nil {
		return nil, fmt.Errorf("model %s: dimensions: %w", id, err)
	}
	return m, nil
}

// Production, as a model id, is the model the filter's production tag
// names now (distill model tag production MODEL).
const Production = "production"

// ResolveID is id, for Latest the id of the filter's newest model, and for
// Production the model the production tag names.
func ResolveID(ctx context.Context, l *lake.Lake, f *filters.Filter, id string) (string, error) {
	if id == Production {
		return tagged(ctx, l, f, Production)
	}
	if id != Latest {
		return id, nil
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return "", err
	}
	defer sess.Close()
	rel, snap, err := sess.Relation(ctx, lake.Ref{TableName: spec.Models.For(f)})
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return "", spec.Need(spec.Models, f.Namespace(), fmt.Sprintf("%s has no models yet", f.Namespace()), ErrNoModel)
	}
	if err != nil {
		return "", err
	}
	if err := sess.Input(ctx, "models_input", rel); err != nil {
		return "", err
	}
	var newest string
	if err := sess.QueryRowFile(ctx, "students/newest", nil, &newest); err != nil {
		return "", err
	}
	return newest, nil
}

// tagged is the model tag names in the filter's model_tags, or an error
// saying none is (ResolveID's Production).
func tagged(ctx context.Context, l *lake.Lake, f *filters.Filter, tag string) (string, error) {
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return "", err
	}
	defer sess.Close()
	model, snap, err := Tagged(ctx, sess, f, tag)
	if err != nil || model != "" {
		return model, err
	}
	none := fmt.Sprintf("no model of %s is tagged %s (distill model tag %s MODEL --filter DIR)", f.Namespace(), tag, tag)
	if snap == nil {
		return "", spec.Need(spec.ModelTags, f.Namespace(), ErrNoModel.Error()+": "+none, ErrNoModel)
	}
	return "", fmt.Errorf("%w: %s", ErrNoModel, none)
}

// Tagged is the model the tag names now ("" when it was never given) and
// the model_tags snapshot read (nil when there is none): the one reading
// of tags that gate, score, shadow and --model production share. It leaves
// model_tags_input defined in sess (empty without a table).
func Tagged(ctx context.Context, sess *lake.Session, f *filters.Filter, tag string) (string, *lake.Snapshot, error) {
	snap, err := InputTags(ctx, sess, f)
	if err != nil || snap == nil {
		return "", snap, err
	}
	var model string
	err = sess.QueryRowFile(ctx, "gate/tagged", lake.Params{"tag": tag}, &model)
	if errors.Is(err, sql.ErrNoRows) {
		return "", snap, nil
	}
	return model, snap, err
}

// InputTags defines model_tags_input: the current snapshot of
// <filter>.model_tags, or no rows when nothing was ever tagged.
func InputTags(ctx context.Context, sess *lake.Session, f *filters.Filter) (*lake.Snapshot, error) {
	rel, snap, err := sess.Relation(ctx, spec.ModelTags.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		rel, snap, err = "(SELECT NULL::VARCHAR AS tag, NULL::VARCHAR AS model, NULL::VARCHAR AS note, NULL::TIMESTAMPTZ AS tagged_at, NULL::VARCHAR AS run_id WHERE false)", nil, nil
	}
	if err != nil {
		return nil, err
	}
	return snap, sess.Input(ctx, "model_tags_input", rel)
}
