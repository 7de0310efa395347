package train_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/embed"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/encode"
	"github.com/distillery/distillery/students/probe"
)

// embedParams are what an embed model records of itself.
type embedParams struct {
	Encoder       string    `json:"encoder"`
	EncoderSource string    `json:"encoder_source"`
	Dim           int       `json:"dim"`
	Lambdas       []float64 `json:"lambdas"`
	ChosenLambda  []float64 `json:"chosen_lambda"`
	SampleWeight  string    `json:"sample_weight"`
	SelectBy      string    `json:"select_by"`
}

func paramsOf(t *testing.T, m *train.Model) embedParams {
	t.Helper()
	var p embedParams
	if err := json.Unmarshal([]byte(m.Params), &p); err != nil {
		t.Fatalf("params %s: %v", m.Params, err)
	}
	return p
}

// TestEmbed_KeywordsLabelsOfTheAITechSample trains the embed student on
// the keywords oracle's labels of the real ai-tech sample: it beats the
// training mean on validation, records its encoder, predicts what the
// model in its folder predicts in process (with its own copy of the
// encoder, whatever happens to the lake's), weighs its rows with
// --sample-weight, takes the encoder of the filter's embeddings once
// distill embed has run (the one it fits itself until then), and
// cross-validates.
func TestEmbed_KeywordsLabelsOfTheAITechSample(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "embed"})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	t.Logf("embed: validation MAE %.3f (training mean %.3f), per dimension %.3f; %s", m.ValMAE, m.BaseMAE, m.ValMAEDims, m.Params)
	if m.Backend != "embed" || m.TrainRows < 400 || m.ValRows < 40 || m.ValMAE <= 0 || m.ValMAE >= m.BaseMAE || len(m.ValMAEDims) != len(f.Dimensions) {
		t.Fatalf("model = %+v", m)
	}
	p := paramsOf(t, m)
	if !encode.IsHashed(p.Encoder) || p.Dim != 256 || len(p.ChosenLambda) != len(f.Dimensions) || len(p.Lambdas) == 0 ||
		p.SampleWeight != "none" || p.SelectBy != "mae" || !strings.HasPrefix(p.EncoderSource, "fitted on ") || m.BaseModel != p.Encoder {
		t.Errorf("params = %+v, base model %q", p, m.BaseModel)
	}
	for _, name := range []string{probe.File, "encoder/encoder.json", "distill_run.json"} {
		if _, err := os.Stat(filepath.Join(m.Dir(l), name)); err != nil {
			t.Errorf("artifact: %v", err)
		}
	}
	if back, err := train.Find(ctx, l, f, m.ID); err != nil || back.Backend != "embed" || back.Params != m.Params {
		t.Errorf("Find = %+v, %v", back, err)
	}
	predictsInProcess(t, l, f, m)

	// Weighted rows: another model, and the weighting in its params.
	w, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "embed", SampleWeight: "score:2"})
	if err != nil {
		t.Fatal(err)
	}
	if pw := paramsOf(t, w.Model); pw.SampleWeight != "score:2" || pw.Encoder != p.Encoder {
		t.Errorf("weighted params = %+v", pw)
	}
	if got := weightsOf(t, l, w.Model); got == weightsOf(t, l, m) {
		t.Errorf("score:2 fitted the unweighted model's weights")
	}
	if !strings.Contains(strings.Join(w.Details(), "\n"), "weighted by score:2") {
		t.Errorf("details do not say the rows were weighted: %q", w.Details())
	}

	// distill embed fits the encoder train fitted (the same texts in the
	// same order); train then reads it from the embeddings.
	er, err := embed.Run(ctx, l, embed.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if er.Encoder != p.Encoder {
		t.Errorf("distill embed fitted %s, train fitted %s", er.Encoder, p.Encoder)
	}
	again, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "embed"})
	if err != nil {
		t.Fatal(err)
	}
	if pa := paramsOf(t, again.Model); pa.Encoder != er.Encoder || !strings.Contains(pa.EncoderSource, "uplifting.embeddings") {
		t.Errorf("after distill embed: params %+v", pa)
	}
	// The model's folder holds its encoder: gone from the lake, it still predicts.
	if err := os.RemoveAll(encode.Dir(l.Root, f.Namespace(), er.Encoder)); err != nil {
		t.Fatal(err)
	}
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: again.Model.ID, Split: "val"}); err != nil {
		t.Errorf("predict without the lake's encoder: %v", err)
	}
	// A refit ahead of train, with the encoder's files gone: train fits its own again.
	gone, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "embed"})
	if err != nil {
		t.Fatal(err)
	}
	if pg := paramsOf(t, gone.Model); !strings.Contains(pg.EncoderSource, "is gone") || pg.Encoder != er.Encoder {
		t.Errorf("encoder files gone: params %+v", pg)
	}

	crossValidatedEmbed(t, l, f)
}

// predictsInProcess checks predict's raw scores of the test split are the
// model's own, computed here from its folder.
func predictsInProcess(t *testing.T, l *lake.Lake, f *filters.Filter, m *train.Model) {
	t.Helper()
	ctx := context.Background()
	pr, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	nTest := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.splits WHERE split = 'test'")
	if pr.Predicted != nTest || pr.Backend != "embed" {
		t.Fatalf("predict: %+v, want the %d test articles", pr, nTest)
	}
	model, enc, err := probe.Open(m.Dir(l))
	if err != nil {
		t.Fatal(err)
	}
	ids := testutil.QueryStrings(t, l, "SELECT id FROM uplifting.splits WHERE split = 'test' ORDER BY id")
	texts := testutil.QueryStrings(t, l, "SELECT c.text FROM uplifting.splits s JOIN uplifting.compressed c USING (id) WHERE s.split = 'test' ORDER BY id")
	want, err := model.PredictTexts(ctx, enc, texts)
	if err != nil {
		t.Fatal(err)
	}
	// *_raw holds the raw scores of a calibrated model, the score columns
	// those of one that is not.
	suffix := "_raw"
	if pr.Calibration == "" {
		suffix = ""
	}
	var cols []string
	for _, d := range f.DimensionNames() {
		cols = append(cols, fmt.Sprintf("%s%s::VARCHAR", d, suffix))
	}
	got := testutil.QueryStrings(t, l, "SELECT concat_ws(',', "+strings.Join(cols, ", ")+") FROM uplifting.predictions WHERE model = '"+m.ID+"' ORDER BY id")
	if len(got) != len(ids) {
		t.Fatalf("%d predictions, want %d", len(got), len(ids))
	}
	for i := range ids {
		var parts []string
		for _, x := range want[i] {
			parts = append(parts, fmt.Sprint(x))
		}
		if g := strings.Split(got[i], ","); !sameScores(g, want[i]) {
			t.Fatalf("article %s: predict wrote %v, the model predicts %v", ids[i], g, parts)
		}
	}
}

func sameScores(got []string, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i, g := range got {
		var x float64
		if _, err := fmt.Sscan(g, &x); err != nil || math.Abs(x-want[i]) > 1e-12 {
			return false
		}
	}
	return true
}

// weightsOf is the model's first dimension's weights, as text.
func weightsOf(t *testing.T, l *lake.Lake, m *train.Model) string {
	t.Helper()
	model, _, err := probe.Open(m.Dir(l))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(model.Weights[0])
}

// crossValidatedEmbed runs distill cv with the embed backend: every
// labeled article predicted once out of fold, the figures in
// <filter>.evaluations under the run's cv model id, better than the
// training mean.
func crossValidatedEmbed(t *testing.T, l *lake.Lake, f *filters.Filter) {
	t.Helper()
	ctx := context.Background()
	res, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: 5, Student: train.Options{Backend: "embed"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Backend != "embed" || !strings.HasPrefix(res.Model, "cv-embed-") || len(res.Folds) != 5 {
		t.Fatalf("cv = %+v", res)
	}
	n := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.splits WHERE split IN ('train', 'val', 'test')")
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM uplifting.predictions WHERE model = '"+res.Model+"'"); got != n {
		t.Errorf("%d articles predicted out of fold, want %d", got, n)
	}
	var raw *cv.Pooled
	for i := range res.Pooled {
		if !res.Pooled[i].Calibrated {
			raw = &res.Pooled[i]
		}
	}
	if raw == nil || raw.MAE >= raw.BaselineMAE {
		t.Fatalf("pooled = %+v", res.Pooled)
	}
	t.Logf("embed 5-fold out-of-fold MAE (raw) %.3f ± %.3f, training mean %.3f, median %.3f", raw.MAE, raw.MAESD, raw.BaselineMAE, raw.MedianBaselineMAE)
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.evaluations WHERE model = '"+res.Model+"' AND split = 'cv' AND dimension = '_all'"); got != 2 {
		t.Errorf("%d pooled evaluation rows of %s, want raw and calibrated", got, res.Model)
	}
}

// TestEmbed_PredictSameOnAnyCores: the embed backend encodes and scores on
// every core while it reads the next batch; its scores, and their order,
// are the same bits on 1 core and on 4, over more rows than one batch.
func TestEmbed_PredictSameOnAnyCores(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "embed"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	rel, _, err := sess.Relation(ctx, lake.Ref{TableName: spec.Compressed.For(f)})
	if err != nil {
		t.Fatal(err)
	}
	// Four copies of every text, each cut at another length: 2,620 rows.
	q := "SELECT t.id || '-' || n AS id, left(t.text, 500 * (n + 1)) AS text, NULL::VARCHAR AS split FROM " + rel + " t, range(4) r(n) ORDER BY 1"
	var runs [2][]string
	for k, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		err := predict.Score(ctx, l, sess, q, (*students.Model)(res.Model), predict.Options{Filter: f}, func(id, _ string, s []float64) {
			runs[k] = append(runs[k], fmt.Sprintf("%s %x", id, s))
		})
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(runs[0]) != 4*int(testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Compressed.For(f).String())) {
		t.Fatalf("scored %d rows", len(runs[0]))
	}
	if !slices.Equal(runs[0], runs[1]) {
		for i := range runs[0] {
			if i >= len(runs[1]) || runs[0][i] != runs[1][i] {
				t.Fatalf("row %d: %q on 1 core, %q on 4", i, runs[0][i], runs[1][i])
			}
		}
	}
}
