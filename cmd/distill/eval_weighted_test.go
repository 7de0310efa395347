package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// evalJSON is the part of eval --json the weighted tests read.
type evalJSON struct {
	Models []struct {
		All struct {
			N           int64    `json:"n"`
			MAE         float64  `json:"mae"`
			WeightedMAE *float64 `json:"weighted_mae"`
			EffectiveN  *float64 `json:"effective_n"`
		} `json:"all_dimensions"`
	} `json:"models"`
	Weighting *struct {
		Pool          float64 `json:"pool"`
		Evaluated     int64   `json:"evaluated"`
		Weighted      bool    `json:"weighted"`
		Unrepresented int64   `json:"unrepresented"`
	} `json:"weighting"`
	Warnings []string `json:"warnings"`
}

// TestCLI_EvalWeightedEstimatesThePool is issue 18's check, on the real
// ai-tech articles with the uplifting filter. A linear student learns from
// the simulate oracle with no offset or noise (the keywords oracle's
// scores under another name) on a random 120 articles, so the keywords
// oracle has labeled none and its selections draw from every compressed
// article. The truth is the student's MAE against the keywords oracle
// over every article (a copy of the lake labeled in full). Then, on fresh
// copies, the keywords oracle labels only --select upper:0.5,random:0.5
// --budget 80 (40 the student ranks highest, 40 drawn from the other 615
// at 40/615 each), eight seeds: eval's plain MAE over those 80 is far below
// the truth (the student errs less where it predicts high), and the
// weighted MAE finds it. The tolerance is the estimator's own: three
// standard errors of the mean of the eight seeds' estimates (their sample
// standard deviation / √8; the seeds' random parts are independent
// draws), and the plain MAE must miss by more than three of its own.
// Each seed's weights must also sum to the pool exactly (Σ 1/inclusion =
// 40 + 615 = every article).
func TestCLI_EvalWeightedEstimatesThePool(t *testing.T) {
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/uplifting/v1")
	lk := compressedAITech(t, fdir)
	n := passedCount(t, lk, fdir)
	// Seed 99: a selection seed equal to this round's would draw the same
	// random articles, the ones the student trained on.
	distill(t, 0, "--lake", lk, "label", "--filter", fdir, "--oracle", "simulate", "--model", "offset=0,noise=0", "--select", "random", "--budget", "120", "--seed", "99")
	distill(t, 0, "--lake", lk, "split", "--filter", fdir)
	distill(t, 0, "--lake", lk, "train", "--filter", fdir)
	out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv", "SELECT id FROM models")
	model := strings.TrimSpace(strings.Split(out, "\n")[1])
	distill(t, 0, "--lake", lk, "predict", "--filter", fdir, "--model", model, "--split", "all")

	copyLake := func() string {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "lake")
		if err := os.CopyFS(dst, os.DirFS(lk)); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	// keywords scores the model against the keywords oracle's labels alone.
	keywords := func(lk string, args ...string) []string {
		out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv", "SELECT DISTINCT oracle || '/' || model AS o FROM labels WHERE oracle = 'keywords'")
		name := strings.TrimSpace(strings.Split(out, "\n")[1])
		return append([]string{"--lake", lk, "eval", "--filter", fdir, "--model", model, "--split", "all", "--combine", "latest,oracle=" + name}, args...)
	}
	eval := func(lk string) evalJSON {
		t.Helper()
		out, _ := distill(t, 0, keywords(lk, "--json")...)
		var r evalJSON
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return r
	}

	full := copyLake()
	distill(t, 0, "--lake", full, "label", "--filter", fdir, "--oracle", "keywords")
	truth := eval(full).Models[0].All
	if truth.N != 8*n {
		t.Fatalf("the truth scored %d scores, want every dimension of the %d articles", truth.N, n)
	}

	const seeds = 8
	var plain, weighted []float64
	for seed := 1; seed <= seeds; seed++ {
		sel := copyLake()
		distill(t, 0, "--lake", sel, "label", "--filter", fdir, "--oracle", "keywords", "--select", "upper:0.5,random:0.5", "--budget", "80",
			"--select-model", model, "--seed", fmt.Sprint(seed))
		r := eval(sel)
		a := r.Models[0].All
		if a.N != 8*80 || a.WeightedMAE == nil || a.EffectiveN == nil || r.Weighting == nil || !r.Weighting.Weighted || r.Weighting.Unrepresented != 0 {
			t.Fatalf("seed %d: eval --json %+v, weighting %+v", seed, a, r.Weighting)
		}
		if math.Abs(r.Weighting.Pool-float64(n)) > 1e-6 {
			t.Errorf("seed %d: the weights sum to %g, want the %d articles of the pool", seed, r.Weighting.Pool, n)
		}
		// 40 weigh 1 and 40 weigh 615/40 each: (Σw)²/Σw² per dimension.
		if want := 8 * float64(n*n) / (40 + 40*math.Pow(float64(n-40)/40, 2)); math.Abs(*a.EffectiveN-want) > 1e-6 {
			t.Errorf("seed %d: effective n %g, want %g", seed, *a.EffectiveN, want)
		}
		plain, weighted = append(plain, a.MAE), append(weighted, *a.WeightedMAE)
		if seed == 1 {
			out, _ := distill(t, 0, keywords(sel)...)
			for _, want := range []string{"MAE (WEIGHTED)", fmt.Sprintf("estimates the MAE over the %d articles the selections drew from; effective n = ", n)} {
				if !strings.Contains(out, want) {
					t.Errorf("eval prints no %q:\n%s", want, out)
				}
			}
		}
	}
	pm, ps := meanSE(plain)
	wm, ws := meanSE(weighted)
	t.Logf("truth %.3f over %d articles; plain %.3f ± %.3f, weighted %.3f ± %.3f (mean ± standard error of %d seeds)", truth.MAE, n, pm, ps, wm, ws, seeds)
	if math.Abs(wm-truth.MAE) > 3*ws {
		t.Errorf("weighted MAE %.3f ± %.3f is more than 3 standard errors from the truth %.3f (per seed %.3f)", wm, ws, truth.MAE, weighted)
	}
	if math.Abs(pm-truth.MAE) < 3*ps || math.Abs(pm-truth.MAE) < 0.1*truth.MAE {
		t.Errorf("plain MAE %.3f ± %.3f should be far from the truth %.3f: the selection is not biased enough to test the weighting", pm, ps, truth.MAE)
	}
}

// TestCLI_EvalWeightedWarnsWithoutRandomPart: labels chosen by --select
// upper alone all weigh 1, so eval shows no weighted MAE and warns that
// nothing represents the articles upper passed over.
func TestCLI_EvalWeightedWarnsWithoutRandomPart(t *testing.T) {
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/uplifting/v1")
	lk := compressedAITech(t, fdir)
	distill(t, 0, "--lake", lk, "label", "--filter", fdir, "--oracle", "keywords", "--select", "random", "--budget", "100", "--seed", "5")
	distill(t, 0, "--lake", lk, "split", "--filter", fdir)
	distill(t, 0, "--lake", lk, "train", "--filter", fdir)
	distill(t, 0, "--lake", lk, "label", "--filter", fdir, "--oracle", "keywords", "--select", "upper", "--budget", "30")
	out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv", "SELECT id FROM models")
	model := strings.TrimSpace(strings.Split(out, "\n")[1])
	out, _ = distill(t, 0, "--lake", lk, "eval", "--filter", fdir, "--model", model, "--split", "all", "--json")
	var r evalJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Weighting == nil || r.Weighting.Unrepresented != 30 || r.Weighting.Evaluated != 130 {
		t.Fatalf("weighting %+v, want 30 of 130 unrepresented", r.Weighting)
	}
	if !slicesContains(r.Warnings, "30 of the 130 scored articles were chosen by --select upper, which has no random part") {
		t.Errorf("warnings %q", r.Warnings)
	}
	// The report shows the weighted MAE the evaluations table holds.
	page := filepath.Join(t.TempDir(), "report.html")
	distill(t, 0, "--lake", lk, "report", "--filter", fdir, "-o", page, "--split", "all")
	stored, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv",
		"SELECT weighted_mae AS w FROM evaluations WHERE dimension = '_all' AND NOT coalesce(calibrated, false) AND split = 'all'")
	var w float64
	if _, err := fmt.Sscan(strings.TrimPrefix(stored, "w\n"), &w); err != nil || w <= 0 {
		t.Fatalf("the evaluations table's weighted MAE: %q (%v)", stored, err)
	}
	html, _ := os.ReadFile(page)
	if want := fmt.Sprintf("weighted by 1/inclusion %.3f", w); !strings.Contains(strings.ReplaceAll(string(html), "<wbr>", ""), want) {
		t.Errorf("the report does not show %q", want)
	}
}

func slicesContains(lines []string, part string) bool {
	for _, l := range lines {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}

// meanSE is the mean of xs and its standard error (sample sd / √n).
func meanSE(xs []float64) (float64, float64) {
	var s, ss float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss/float64(len(xs)-1)) / math.Sqrt(float64(len(xs)))
}
