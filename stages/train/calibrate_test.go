package train_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/calibrate"
)

// squashedLake is n labeled articles whose score grows with the cube of
// how often a word recurs among noise words, and the linear student's
// features with its logarithm: its straight line overpredicts the many low
// scores and underpredicts the few high ones, as a squashed student does.
func squashedLake(t *testing.T, n int, ratios []float64) (*lake.Lake, *filters.Filter) {
	t.Helper()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	r := rand.New(rand.NewPCG(16, 2))
	var arts []labeltest.Article
	for i := range n {
		c := r.IntN(6)
		s := math.Round(10 * math.Pow(float64(c)/5, 3))
		words := []string{fmt.Sprintf("a%d", i)}
		for range c + 1 {
			words = append(words, "deployed")
		}
		for range 2 {
			words = append(words, fmt.Sprintf("w%d", r.IntN(5)))
		}
		r.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
		arts = append(arts, labeltest.Article{ID: fmt.Sprintf("c%03d", i), Text: strings.Join(words, " "), Score: s})
	}
	labeltest.Write(t, l, f, arts)
	if _, err := split.Run(context.Background(), l, split.Options{Filter: f, Ratios: ratios}); err != nil {
		t.Fatal(err)
	}
	return l, f
}

func TestRun_Calibrates(t *testing.T) {
	ctx := context.Background()
	l, f := squashedLake(t, 1200, []float64{0.5, 0.3, 0.2})
	res, err := train.Run(ctx, l, train.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	m, c := res.Model, res.Calibration
	if c == nil || c.Skipped != "" || !strings.HasPrefix(c.Name, calibrate.Method+" sha256:") || c.Points != int(m.ValRows) {
		t.Fatalf("calibration %+v, want one fitted on the %d validation articles", c, m.ValRows)
	}
	if c.CalibratedMAE >= c.RawMAE {
		t.Errorf("in-sample validation MAE %.3f calibrated, %.3f raw: want lower", c.CalibratedMAE, c.RawMAE)
	}
	if _, name, err := calibrate.Load(filepath.Join(m.Dir(l), calibrate.File), m.Dimensions); err != nil || name != c.Name {
		t.Fatalf("%s: %q, %v; want %q", calibrate.File, name, err, c.Name)
	}
	row := testutil.QueryStrings(t, l, "SELECT calibration || ' ' || round(calibrated_val_mae, 6) FROM "+spec.Models.For(f).String()+" WHERE id = '"+m.ID+"'")
	if want := fmt.Sprintf("%s %g", c.Name, roundTo(c.CalibratedMAE, 6)); len(row) != 1 || row[0] != want {
		t.Errorf("models row: %q, want %q", row, want)
	}
	if snap, _ := l.Current(ctx, spec.Models.For(f)); snap == nil || !strings.Contains(fmt.Sprint(snap.Params), c.Name) {
		t.Errorf("train lineage params %v do not name the calibration %s", snap, c.Name)
	}
	if !strings.Contains(strings.Join(res.Details(), "\n"), "in-sample") {
		t.Errorf("train's output does not say the calibrated validation MAE is in-sample: %v", res.Details())
	}

	p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p.Calibration != c.Name {
		t.Errorf("predict applied %q, want %q", p.Calibration, c.Name)
	}
	preds := spec.Predictions.For(f).String()
	labels := spec.Labels.For(f).String()
	d := f.Dimensions[0].Name
	// Every row: raws present, the calibration named, the score the map of
	// the raw one, overall and tier from the calibrated scores.
	bad := testutil.QueryInt(t, l, "SELECT count(*) FROM "+preds+" WHERE model = '"+m.ID+"' AND ("+d+"_raw IS NULL OR overall_raw IS NULL OR tier_raw IS NULL OR calibration IS DISTINCT FROM '"+c.Name+"')")
	if bad != 0 {
		t.Errorf("%d predictions without their raw scores or calibration", bad)
	}
	cal, _, _ := calibrate.Load(filepath.Join(m.Dir(l), calibrate.File), m.Dimensions)
	dims := strings.Join(f.DimensionNames(), ", ")
	raws := strings.Join(f.DimensionNames(), "_raw, ") + "_raw"
	q := "SELECT [" + raws + "]::VARCHAR, [" + dims + "]::VARCHAR, tier FROM " + preds + " WHERE model = '" + m.ID + "' ORDER BY id"
	for _, line := range testutil.QueryStrings(t, l, "SELECT concat_ws('|', *COLUMNS(*)) FROM ("+q+")") {
		parts := strings.Split(line, "|")
		raw, got := floats(t, parts[0]), floats(t, parts[1])
		vals := map[string]float64{}
		for i, want := range cal.Apply(raw) {
			if diff := got[i] - want; diff > 1e-9 || diff < -1e-9 {
				t.Fatalf("row %s: scores %v, the calibration maps raw %v to %v", line, got, raw, cal.Apply(raw))
			}
			vals[f.Dimensions[i].Name] = want
		}
		if overall, _ := f.ScoreOf(vals); f.TierOf(overall) != parts[2] {
			t.Fatalf("row %s: tier %s, want %s from the calibrated scores", line, parts[2], f.TierOf(overall))
		}
	}
	// Held out: the test articles' MAE is lower calibrated than raw.
	var rawMAE, calMAE float64
	mae := "SELECT avg(abs(p." + d + "_raw - y." + d + ")), avg(abs(p." + d + " - y." + d + ")) FROM " + preds + " p JOIN " + labels + " y USING (id) WHERE p.model = '" + m.ID + "'"
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.QueryRow(ctx, mae, &rawMAE, &calMAE); err != nil {
		t.Fatal(err)
	}
	t.Logf("test MAE of %s: %.3f raw, %.3f calibrated", d, rawMAE, calMAE)
	if calMAE > 0.85*rawMAE {
		t.Errorf("test MAE %.3f calibrated, %.3f raw: want the calibration to take 15%% off on the planted squashed student", calMAE, rawMAE)
	}
}

func TestRun_NoCalibrate(t *testing.T) {
	ctx := context.Background()
	l, f := squashedLake(t, 200, []float64{0.5, 0.3, 0.2})
	res, err := train.Run(ctx, l, train.Options{Filter: f, Calibrate: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if res.Calibration.Name != "" || len(res.Warnings) != 0 && strings.Contains(strings.Join(res.Warnings, " "), "calibration") {
		t.Errorf("--no-calibrate: %+v, warnings %v", res.Calibration, res.Warnings)
	}
	if _, err := os.Stat(filepath.Join(m.Dir(l), calibrate.File)); !os.IsNotExist(err) {
		t.Errorf("--no-calibrate left %s: %v", calibrate.File, err)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Models.For(f).String()+" WHERE calibration IS NOT NULL"); n != 0 {
		t.Errorf("%d models rows name a calibration", n)
	}
	p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	d := f.Dimensions[0].Name
	q := "SELECT count(*) FROM " + spec.Predictions.For(f).String() + " WHERE " + d + "_raw IS NOT NULL OR overall_raw IS NOT NULL OR tier_raw IS NOT NULL OR calibration IS NOT NULL OR " + d + " IS NULL"
	if n := testutil.QueryInt(t, l, q); n != 0 || p.Calibration != "" || p.Predicted == 0 {
		t.Errorf("uncalibrated model: %d rows with raws or a calibration (want NULL raws), %+v", n, p)
	}
}

// Too few validation articles skip calibration with a warning; training
// goes on.
func TestRun_TooFewToCalibrate(t *testing.T) {
	l, f := squashedLake(t, 60, []float64{0.8, 0.1, 0.1})
	res, err := train.Run(context.Background(), l, train.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	warn := strings.Join(res.Warnings, "\n")
	if res.Calibration.Name != "" || !strings.Contains(warn, "no calibration") || !strings.Contains(warn, fmt.Sprintf("at least %d", calibrate.MinPoints)) {
		t.Errorf("%d validation articles: calibration %+v, warnings %q", res.Model.ValRows, res.Calibration, warn)
	}
}

func floats(t *testing.T, list string) []float64 {
	t.Helper()
	var out []float64
	for _, s := range strings.Split(strings.Trim(list, "[]"), ", ") {
		var x float64
		if _, err := fmt.Sscan(s, &x); err != nil {
			t.Fatalf("%q: %v", list, err)
		}
		out = append(out, x)
	}
	return out
}

func roundTo(x float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}

// pipeline.yaml's student section turns calibration off with
// calibrate: false and leaves it on when the key is absent.
func TestOptions_CalibrateKey(t *testing.T) {
	for doc, want := range map[string]bool{"calibrate: false": false, "calibrate: true": true, "backend: linear": true} {
		var o train.Options
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		if got := o.Calibrate == nil || *o.Calibrate; got != want {
			t.Errorf("%q: calibrate %v, want %v", doc, got, want)
		}
	}
}
