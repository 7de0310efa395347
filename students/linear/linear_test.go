package linear

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/compress"
)

// synthetic texts whose two scores follow words in them.
func synthetic(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 7))
	filler := strings.Fields("the a report said on in of and market year company new plan people city")
	out := make([]Example, n)
	for i := range out {
		var ws []string
		a, b := rng.IntN(3), rng.IntN(3)
		for range 60 {
			ws = append(ws, filler[rng.IntN(len(filler))])
		}
		for range a * 2 {
			ws[rng.IntN(len(ws))] = "turbine"
		}
		for range b {
			ws[rng.IntN(len(ws))] = "commissioned"
		}
		out[i] = Example{Text: strings.Join(ws, " "), Labels: []float64{float64(a * 4), float64(b * 5)}}
	}
	return out
}

func mae(m *Model, ex []Example) []float64 {
	out := make([]float64, len(m.Dimensions))
	for _, e := range ex {
		p := m.Predict(e.Text)
		for d := range p {
			out[d] += math.Abs(p[d]-e.Labels[d]) / float64(len(ex))
		}
	}
	return out
}

func TestTrain_LearnsASignalAndBeatsTheMean(t *testing.T) {
	train, val, test := synthetic(800, 1), synthetic(200, 2), synthetic(200, 3)
	m, rep, err := Train(train, val, []string{"a", "b"}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := mae(m, test)
	for d, name := range m.Dimensions {
		base := 0.0
		for _, e := range test {
			base += math.Abs(m.Mean[d]-e.Labels[d]) / float64(len(test))
		}
		if got[d] > 0.3*base {
			t.Errorf("%s: test MAE %.3f, mean baseline %.3f: want under 30%% of it", name, got[d], base)
		}
	}
	if rep.Features == 0 || rep.ValMAE == nil || rep.MeanBaselineMAE[0] <= rep.ValMAE[0] {
		t.Errorf("report = %+v", rep)
	}
	// Saved and loaded, it predicts exactly the same.
	path := filepath.Join(t.TempDir(), "model.gob")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range test[:50] {
		a, b := m.Predict(e.Text), back.Predict(e.Text)
		for d := range a {
			if a[d] != b[d] {
				t.Fatalf("reloaded model predicts %v, trained one %v", b, a)
			}
		}
	}
}

func TestTrain_Errors(t *testing.T) {
	if _, _, err := Train(nil, nil, []string{"a"}, DefaultConfig()); err != ErrNoExamples {
		t.Errorf("no examples: %v", err)
	}
	if _, _, err := Train([]Example{{Text: "x", Labels: []float64{1, 2}}}, nil, []string{"a"}, DefaultConfig()); err == nil || !strings.Contains(err.Error(), "2 labels, want 1") {
		t.Errorf("label count: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.gob")); err == nil {
		t.Error("missing model: no error")
	}
}

// TestCrossValidation_RealOracleLabels trains on the 100 real oracle labels
// of the reference project's ai-engineering-practice filter (five
// dimensions, Gemini-scored), rendered as the oracle input is, in 5-fold
// cross-validation, and compares held-out MAE with predicting the training
// mean. These labels carry almost no signal a bag of words can use (every
// article is a "research_study"; scores take two or three values; a
// nearest-neighbour median did no better, and even the training median
// only gains 3%): what the test holds the student to is that choosing the
// penalty on held-out data keeps it from doing worse than the mean.
func TestCrossValidation_RealOracleLabels(t *testing.T) {
	f := testutil.Filter(t, "stages/label/testdata/ai_engineering_practice/v1")
	all := realExamples(t)
	dims := f.DimensionNames()
	rng := rand.New(rand.NewPCG(42, 42))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	var studentAbs, meanAbs float64
	perDim := make([]float64, len(dims))
	baseDim := make([]float64, len(dims))
	for fold := range 5 {
		var train, held []Example
		for i, e := range all {
			if i%5 == fold {
				held = append(held, e)
			} else {
				train = append(train, e)
			}
		}
		// The penalty is chosen on a slice of the training folds, never on the held-out one.
		m, _, err := Train(train[16:], train[:16], dims, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range held {
			p := m.Predict(e.Text)
			for d := range dims {
				perDim[d] += math.Abs(p[d] - e.Labels[d])
				baseDim[d] += math.Abs(m.Mean[d] - e.Labels[d])
				studentAbs += math.Abs(p[d] - e.Labels[d])
				meanAbs += math.Abs(m.Mean[d] - e.Labels[d])
			}
		}
	}
	n := float64(len(all) * len(dims))
	var lines []string
	for d, name := range dims {
		lines = append(lines, fmt.Sprintf("%s %.2f (mean %.2f)", name, perDim[d]/100, baseDim[d]/100))
	}
	t.Logf("5-fold CV MAE: student %.3f, training mean %.3f; %s", studentAbs/n, meanAbs/n, strings.Join(lines, ", "))
	if studentAbs/n > 1.03*meanAbs/n {
		t.Errorf("student MAE %.3f is worse than the mean baseline %.3f", studentAbs/n, meanAbs/n)
	}
}

func realExamples(t *testing.T) []Example {
	f := testutil.Filter(t, "stages/label/testdata/ai_engineering_practice/v1")
	settings, err := compress.SettingsFor(f)
	if err != nil {
		t.Fatal(err)
	}
	dims := f.DimensionNames()
	var all []Example
	files, _ := filepath.Glob(testutil.Shared(t, "reference/llm-distillery/filters/ai-engineering-practice/v1/calibration/ai-engineering-practice") + "/scored_batch_*.jsonl")
	for _, p := range files {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			an, _ := rec["ai-engineering-practice_analysis"].(map[string]any)
			var labels []float64
			for _, d := range dims {
				v, _ := an[d].(map[string]any)
				s, ok := v["score"].(float64)
				if !ok {
					t.Fatalf("%s: %s has no score for %s", p, rec["id"], d)
				}
				labels = append(labels, s)
			}
			str := func(k string) string { s, _ := rec[k].(string); return s }
			r := compress.Render(compress.Article{Title: str("title"), Source: str("source"), PublishedDate: str("published_date"), Content: str("content")}, settings)
			all = append(all, Example{Text: r.Text, Labels: labels})
		}
		fh.Close()
	}
	if len(all) != 100 {
		t.Fatalf("read %d labeled articles, want 100", len(all))
	}
	rng := rand.New(rand.NewPCG(42, 42))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all
}
