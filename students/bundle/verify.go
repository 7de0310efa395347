package bundle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students"
)

// VerifyOptions tune Verify's prediction check.
type VerifyOptions struct {
	// Sample is how many of the model's predicted articles are predicted
	// again (default 200); Seed picks them (default 1).
	Sample int
	Seed   int
	// Python runs a lora model's trainer (see Load).
	Python string
	// Device is where a lora model predicts: auto (default), cpu or cuda.
	// A model trained quantized (4bit, 8bit) needs CUDA, or cpu said here.
	Device string
	// Tolerance overrides the largest difference allowed (0: Tolerance,
	// or a lora model's by the dtype it trained in).
	Tolerance float64
}

// Tolerance is how far Load's predictions may be from the lake's: the same
// Go code on the same bytes gives the same floats, so only a formatting
// round trip could move them. LoRATolerance is a lora model's: the
// trainer pads each batch to its longest text, and other batch-mates than
// predict's change the sums of a forward pass in their last bits.
// LoRABF16Tolerance is a lora model's that trained in bf16 (a GPU's
// default): its body computes in bf16, whose rounding other batch-mates
// move by a few hundredths (0.029 measured on CPU autocast with a 2-layer
// model; a deep model's and a GPU's kernels have not been measured, hence
// the margin, the one merge allows bf16).
const (
	Tolerance         = 1e-6
	LoRATolerance     = 1e-4
	LoRABF16Tolerance = 0.15
)

// MaxShown is how many mismatches a result lists.
const MaxShown = 5

// VerifyResult is what Verify checked and found.
type VerifyResult struct {
	Dir   string `json:"dir"`
	Model string `json:"model"`
	// Files is how many files the manifest lists; Problems those that
	// differ, are missing or are not listed.
	Files    int       `json:"files"`
	Problems []Problem `json:"problems"`
	// Checked is how many articles were predicted again, Tolerance the
	// largest difference allowed, MaxDiff the largest seen.
	Checked    int        `json:"checked"`
	Tolerance  float64    `json:"tolerance"`
	MaxDiff    float64    `json:"max_difference"`
	Mismatches int        `json:"mismatches"`
	Shown      []Mismatch `json:"first_mismatches"`
	// Predictions is the lake table compared with ("": not compared).
	Predictions string `json:"predictions,omitempty"`
	OK          bool   `json:"ok"`
}

// Mismatch is one article's value that differs: a dimension, overall or
// tier.
type Mismatch struct {
	ID     string `json:"id"`
	Field  string `json:"field"`
	Lake   any    `json:"lake"`
	Folder any    `json:"folder"`
}

// Verify checks dir: every file against the manifest (a changed, missing
// or extra file fails, named), then, with a lake, that Load's predictor,
// reading only the folder, predicts a seeded sample of the articles the
// lake's <filter>.predictions holds for the model as the lake recorded
// them: every dimension, overall and tier. A failed check returns the
// result and an error.
func Verify(ctx context.Context, dir string, l *lake.Lake, opts VerifyOptions) (*VerifyResult, error) {
	if opts.Sample <= 0 {
		opts.Sample = 200
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Tolerance < 0 || math.IsNaN(opts.Tolerance) {
		return nil, fmt.Errorf("verify: --tolerance %g: want a difference above 0 (or 0 for the model's default)", opts.Tolerance)
	}
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	res := &VerifyResult{Dir: dir, Model: man.Model.ID, Files: len(man.Files), Problems: []Problem{}, Shown: []Mismatch{}, Tolerance: Tolerance}
	if man.Model.Backend == "lora" {
		res.Tolerance = LoRATolerance
		if trainedDtype(dir) == "bf16" {
			res.Tolerance = LoRABF16Tolerance
		}
	}
	if opts.Tolerance > 0 {
		res.Tolerance = opts.Tolerance
	}
	if res.Problems, err = checkFiles(dir, man); err != nil {
		return nil, err
	}
	if len(res.Problems) > 0 {
		var msgs []string
		for _, p := range res.Problems {
			msgs = append(msgs, p.Error())
		}
		return res, fmt.Errorf("%s: %w", strings.Join(msgs, "; "), res.Problems[0])
	}
	if l == nil {
		res.OK = true
		return res, nil
	}
	ids, texts, want, err := sample(ctx, l, man, opts)
	if err != nil {
		return res, err
	}
	p, err := LoadOn(ctx, dir, opts.Python, opts.Device)
	if err != nil {
		return res, err
	}
	defer p.Close()
	got, err := p.Predict(ctx, texts)
	if err != nil {
		return res, err
	}
	res.Checked = len(ids)
	for i, id := range ids {
		res.compare(id, man.Model.Dimensions, want[i], got[i])
	}
	if res.Mismatches > 0 {
		first := res.Shown[0]
		hint := ""
		if man.Model.Backend == "lora" && res.Tolerance < LoRABF16Tolerance && res.MaxDiff < LoRABF16Tolerance {
			hint = fmt.Sprintf(" (a lora model predicted in bf16, a GPU's default, on one side and fp32 on the other differs by a few hundredths: --tolerance %g if so)", LoRABF16Tolerance)
		}
		return res, fmt.Errorf("%w: %d values of %d articles differ by more than %g (largest %.3g), first %s %s: lake %v, folder %v%s",
			ErrMismatch, res.Mismatches, res.Checked, res.Tolerance, res.MaxDiff, first.ID, first.Field, first.Lake, first.Folder, hint)
	}
	res.OK = true
	return res, nil
}

// compare records where got differs from the lake's row want.
func (r *VerifyResult) compare(id string, dims []string, want map[string]any, got Scores) {
	bad := func(field string, lake, folder any) {
		r.Mismatches++
		if len(r.Shown) < MaxShown {
			r.Shown = append(r.Shown, Mismatch{ID: id, Field: field, Lake: lake, Folder: folder})
		}
	}
	num := func(field string, v float64, tol float64) bool {
		w, ok := want[field].(float64)
		d := math.Abs(w - v)
		if ok && !math.IsNaN(d) {
			r.MaxDiff = math.Max(r.MaxDiff, d)
		}
		if !ok || !(d <= tol) {
			bad(field, want[field], v)
			return false
		}
		return true
	}
	for d, name := range dims {
		num(name, got.Dimensions[d], r.Tolerance)
	}
	// overall is rounded to 2 decimals: a lora model's scores, off by up to
	// the tolerance, may then round the other way.
	overallTol := r.Tolerance
	if r.Tolerance > Tolerance {
		overallTol = r.Tolerance + 0.01 + 1e-9
	}
	sameOverall := num("overall", got.Overall, overallTol) && want["overall"] == got.Overall
	if t, _ := want["tier"].(string); t != got.Tier && (sameOverall || r.Tolerance == Tolerance) {
		bad("tier", want["tier"], got.Tier)
	}
}

// trainedDtype is the dtype a lora folder's model trained in (bf16,
// fp32), as its weights/distill_model.json records it; "" when it does not.
func trainedDtype(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, WeightsDir, "distill_model.json"))
	if err != nil {
		return ""
	}
	var meta struct {
		Dtype string `json:"dtype"`
	}
	json.Unmarshal(b, &meta)
	return meta.Dtype
}

// sample reads a seeded sample of the model's predictions from the lake,
// with the texts they were made from.
func sample(ctx context.Context, l *lake.Lake, man *Manifest, opts VerifyOptions) (ids, texts []string, want []map[string]any, err error) {
	ns := man.Filter.Name
	sess, err := l.Session(ctx, ns)
	if err != nil {
		return nil, nil, nil, err
	}
	defer sess.Close()
	for _, in := range []struct {
		name string
		t    *spec.Table
	}{{"predictions_input", spec.Predictions}, {"compressed_input", spec.Compressed}} {
		rel, snap, err := sess.Relation(ctx, lake.Ref{TableName: in.t.In(ns)})
		if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
			return nil, nil, nil, fmt.Errorf("%w: %s has no rows: distill predict --filter DIR --model %s", ErrNoPredictions, in.t.In(ns), man.Model.ID)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if err := sess.Input(ctx, in.name, rel); err != nil {
			return nil, nil, nil, err
		}
	}
	skip, trained, err := otherQuantizations(ctx, l, man)
	if err != nil {
		return nil, nil, nil, err
	}
	err = sess.EachFile(ctx, "bundle/sample", lake.Params{"id": man.Model.ID, "seed": opts.Seed, "sample": opts.Sample, "skip_runs": skip}, func(rows *sql.Rows) error {
		var id, text, pred string
		if err := rows.Scan(&id, &text, &pred); err != nil {
			return err
		}
		row := map[string]any{}
		if err := json.Unmarshal([]byte(pred), &row); err != nil {
			return fmt.Errorf("prediction of %s: %w", id, err)
		}
		ids, texts, want = append(ids, id), append(texts, text), append(want, row)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if len(ids) == 0 && len(skip) > 0 {
		return nil, nil, nil, fmt.Errorf("%w: every prediction of %s in %s was made with --quantize overriding the %s it trained in, which the folder does not reproduce: distill predict --filter DIR --model %s --full (as trained), then verify",
			ErrNoPredictions, man.Model.ID, spec.Predictions.In(ns), trained, man.Model.ID)
	}
	if len(ids) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: %s holds no predictions of %s: distill predict --filter DIR --model %s", ErrNoPredictions, spec.Predictions.In(ns), man.Model.ID, man.Model.ID)
	}
	return ids, texts, want, nil
}

// otherQuantizations are the runs whose commits of <filter>.predictions
// record predictions of a lora model with its base loaded otherwise than it
// trained (predict --quantize), and how it trained: the folder predicts as
// trained, so those rows are not its to match.
func otherQuantizations(ctx context.Context, l *lake.Lake, man *Manifest) (runs []string, trained string, err error) {
	runs = []string{}
	if man.Model.Backend != "lora" {
		return runs, "", nil
	}
	trained = (&students.Model{Backend: man.Model.Backend, Params: string(man.Model.Params)}).Quantize()
	snaps, err := l.Snapshots(ctx, spec.Predictions.In(man.Filter.Name))
	if err != nil {
		return nil, "", err
	}
	for _, s := range snaps {
		var p struct {
			Model, Quantize string
		}
		if json.Unmarshal([]byte(s.Params), &p) == nil && p.Model == man.Model.ID && p.Quantize != "" && p.Quantize != trained {
			runs = append(runs, s.RunID)
		}
	}
	return runs, trained, nil
}
