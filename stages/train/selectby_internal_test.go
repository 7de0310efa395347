package train

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

func TestRankingMetrics_ByHand(t *testing.T) {
	// Rows 0-3; predicted order 2, 0, 3, 1; rows 0 and 1 relevant.
	order := []int{2, 0, 3, 1}
	relevant := []bool{true, true, false, false}
	for k, want := range map[int]float64{1: 0, 2: 0.5, 3: 0.5, 4: 1, 10: 1} {
		if got := recallAt(order, relevant, k); got != want {
			t.Errorf("recall@%d = %g, want %g", k, got, want)
		}
	}
	if got := recallAt(order, []bool{false, false, false, false}, 2); got != 0 {
		t.Errorf("recall with nothing relevant = %g", got)
	}
	gain := []float64{3, 1, 2, 0}
	// DCG@2 = 2/log2(2) + 3/log2(3); ideal 3 + 2/log2(3).
	want := (2 + 3/math.Log2(3)) / (3 + 2/math.Log2(3))
	if got := ndcgAt(order, gain, 2); math.Abs(got-want) > 1e-12 {
		t.Errorf("ndcg@2 = %g, want %g", got, want)
	}
	if got := ndcgAt([]int{0, 2, 1, 3}, gain, 4); math.Abs(got-1) > 1e-12 {
		t.Errorf("ndcg of the ideal order = %g", got)
	}
	if got := ndcgAt(order, []float64{0, 0, 0, 0}, 2); got != 0 {
		t.Errorf("ndcg with no gain = %g", got)
	}
}

// The overall score selection ranks by is sql/labels/combined_tiers.sql's
// for the same scores (continuous, as predictions are; gatekeepers
// included), with the dimensions in the labels table's order; and an
// article is relevant exactly when SQL's tier is above the bottom one and
// its overall reaches the lowest tier above the bottom (what the trainer,
// given overall, relies on).
func TestPredictedOverall_MatchesTheSQL(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	rng := rand.New(rand.NewPCG(3, 9))
	var arts []labeltest.Article
	for i := range 500 {
		scores := map[string]float64{}
		for _, d := range f.DimensionNames() {
			scores[d] = math.Round(rng.Float64()*10*1e6) / 1e6
		}
		arts = append(arts, labeltest.Article{ID: fmt.Sprintf("p%03d", i), Text: "t", Scores: scores})
	}
	labeltest.Write(t, l, f, arts)
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := curate.Prepare(ctx, sess, f, lake.Ref{TableName: spec.Labels.For(f)}, curate.Latest); err != nil {
		t.Fatal(err)
	}
	var dims []string
	if err := sess.QueryRow(ctx, "SELECT getvariable('dimensions')", (*stringsScan)(&dims)); err != nil {
		t.Fatal(err)
	}
	var gated int
	relevantMin := f.Tiers[len(f.Tiers)-2].Min
	err = sess.Each(ctx, `SELECT c.id, c.overall, c.gated, c.tier <> (SELECT tier FROM filter_tiers ORDER BY tier_rank DESC LIMIT 1)
		FROM combined_labels c ORDER BY c.id`, func(rows *sql.Rows) error {
		var id string
		var overall float64
		var g, relevant bool
		if err := rows.Scan(&id, &overall, &g, &relevant); err != nil {
			return err
		}
		var a labeltest.Article
		for _, x := range arts {
			if x.ID == id {
				a = x
			}
		}
		p := make([]float64, len(dims))
		for d, name := range dims {
			p[d] = a.Scores[name]
		}
		if got := predictedOverall(f, dims, p); got != overall {
			t.Errorf("%s: overall %v in Go, %v in SQL", id, got, overall)
		}
		if relevant != (overall >= relevantMin) {
			t.Errorf("%s: overall %v, relevant %v", id, overall, relevant)
		}
		if g {
			gated++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if gated == 0 {
		t.Error("no article gated: the fixture misses the gatekeeper")
	}
}

type stringsScan []string

func (s *stringsScan) Scan(v any) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("dimensions: %T", v)
	}
	for _, x := range list {
		*s = append(*s, fmt.Sprint(x))
	}
	return nil
}

// selectionCases is the Python trainer's test fixture: the metrics the Go
// side computes on random predictions, which trainer/tests reproduce so
// the two cannot drift. -update rewrites it; otherwise it must be current.
func TestSelectionCases_PythonFixture(t *testing.T) {
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	dims := slices.Clone(f.DimensionNames())
	slices.Reverse(dims) // the trainer's --dimensions order need not be the filter's
	rng := rand.New(rand.NewPCG(5, 1))
	type cases struct {
		Dimensions  []string           `json:"dimensions"`
		Weights     string             `json:"weights"`
		Gatekeepers string             `json:"gatekeepers"`
		Overall     []float64          `json:"overall"`
		Relevant    []bool             `json:"relevant"`
		Predictions [][]float64        `json:"predictions"`
		Want        map[string]float64 `json:"want"`
	}
	args := selectArgs(SelectBy{Metric: Recall, K: 1}, f)
	c := cases{Dimensions: dims, Weights: args[3], Gatekeepers: args[5], Want: map[string]float64{}}
	for range 80 {
		p := make([]float64, len(dims))
		for d := range p {
			p[d] = math.Round(rng.Float64()*10*1e4) / 1e4
			if rng.IntN(5) == 0 { // ties in the predicted overall
				p[d] = 5
			}
		}
		c.Predictions = append(c.Predictions, p)
		o := float64(rng.IntN(101)) / 10
		c.Overall, c.Relevant = append(c.Overall, o), append(c.Relevant, o >= f.Tiers[len(f.Tiers)-2].Min)
	}
	for _, by := range []SelectBy{{Recall, 5}, {Recall, 20}, {NDCG, 5}, {NDCG, 20}, {NDCG, 200}} {
		v := &valSet{by: by, f: f, dims: dims, oracle: c.Overall, relevant: c.Relevant}
		c.Want[by.String()] = v.score(c.Predictions)
	}
	got, _ := json.MarshalIndent(c, "", " ")
	path := filepath.Join(testutil.RepoRoot(t), "trainer", "tests", "data", "selection_cases.json")
	if testutil.Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != string(got)+"\n" {
		t.Errorf("%s is not what the Go side computes now (%v): rerun with -update, then the trainer's tests", path, err)
	}
}
