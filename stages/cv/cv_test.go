package cv_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/cv"
)

var aiTech pipelinetest.AITech

// aiTechLake runs the pipeline up to the split on the real ai-tech sample
// with the uplifting filter and its keywords oracle (655 articles pass, 27
// duplicate groups of 122 articles), once per test binary.
func aiTechLake(t *testing.T) (*lake.Lake, *filters.Filter) {
	t.Helper()
	return aiTech.Open(t)
}

func TestMain(m *testing.M) {
	code := m.Run()
	aiTech.Remove()
	os.Exit(code)
}

// The folds partition the split's articles, keep duplicate groups whole,
// spread each stratum evenly, and each fold model trained on the others.
func TestRun_FoldsPartitionTheArticles(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	const k = 5
	res, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: k})
	if err != nil {
		t.Fatal(err)
	}
	n := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.splits WHERE split IN ('train', 'val', 'test')")
	model := fmt.Sprintf("model = '%s'", res.Model)
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM uplifting.predictions WHERE "+model); got != n || res.RowsOut != n {
		t.Fatalf("%d articles predicted out of fold (%d rows written), want every one of the %d split articles once", got, res.RowsOut, n)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.predictions WHERE "+model+" AND (fold NOT BETWEEN 1 AND 5 OR overall IS NULL OR tier IS NULL)"); got != 0 {
		t.Errorf("%d predictions without a fold 1-5, an overall or a tier", got)
	}
	// Duplicate groups whole: the sample has groups of several articles.
	join := " FROM uplifting.predictions p JOIN uplifting.splits s USING (id) WHERE p." + model
	if groups := testutil.QueryInt(t, l, "SELECT count(*) FROM (SELECT s.dup_group"+join+" GROUP BY 1 HAVING count(*) > 1)"); groups < 10 {
		t.Fatalf("only %d duplicate groups: the test needs the sample's", groups)
	}
	if split := testutil.QueryInt(t, l, "SELECT count(*) FROM (SELECT s.dup_group"+join+" GROUP BY 1 HAVING count(DISTINCT p.fold) > 1)"); split != 0 {
		t.Errorf("%d duplicate groups straddle two folds", split)
	}
	// Each stratum spread within its largest group of an even share.
	if off := testutil.QueryInt(t, l, `WITH c AS (SELECT s.stratum, p.fold, count(*) AS n`+join+` GROUP BY ALL),
		g AS (SELECT stratum, max(n) AS biggest, sum(n) AS total FROM (SELECT s.stratum, s.dup_group, count(*) AS n`+join+` GROUP BY ALL) GROUP BY 1)
		SELECT count(*) FROM c JOIN g USING (stratum) WHERE abs(c.n - g.total / 5) > g.biggest`); off != 0 {
		t.Errorf("%d (stratum, fold) cells are further from an even share than the stratum's largest group", off)
	}
	if len(res.Folds) != k {
		t.Fatalf("%d folds reported", len(res.Folds))
	}
	// Evaluations: every fold's rows, raw and calibrated, and the pooled
	// row, whose MAE is the folds' mean and whose spread is theirs.
	run := fmt.Sprintf("run_id = '%s' AND model = '%s'", res.RunID, res.Model)
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT split) FROM uplifting.evaluations WHERE "+run); got != k+1 {
		t.Errorf("evaluations of the run cover %d splits, want the %d folds and cv", got, k)
	}
	if bad := testutil.QueryInt(t, l, `WITH f AS (SELECT calibrated, avg(mae) AS mae, stddev_samp(mae) AS sd, count(*) AS n FROM uplifting.evaluations
		WHERE `+run+` AND split LIKE 'fold%' AND dimension = '_all' GROUP BY 1)
		SELECT count(*) FROM uplifting.evaluations e JOIN f USING (calibrated)
		WHERE `+run+` AND e.split = 'cv' AND e.dimension = '_all' AND (abs(e.mae - f.mae) > 1e-9 OR abs(e.mae_sd - f.sd) > 1e-9 OR e.folds <> 5 OR f.n <> 5)`); bad != 0 {
		t.Errorf("%d pooled rows disagree with their folds", bad)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT train_mean) FROM uplifting.evaluations WHERE "+run+" AND dimension = 'agency' AND split LIKE 'fold%'"); got < 3 {
		t.Errorf("the folds' training means of agency take %d values: each fold's baseline is the other folds' mean", got)
	}
	if len(res.Pooled) != 2 || !res.Pooled[1].Calibrated || res.Pooled[0].MAE <= 0 {
		t.Errorf("pooled = %+v, want raw then calibrated", res.Pooled)
	}
	sizes := map[int]int64{}
	for _, fr := range res.Folds {
		sizes[fr.Fold] = int64(fr.Articles)
	}
	for _, fr := range res.Folds {
		val := sizes[fr.Fold%k+1]
		if fr.Val != val || fr.Train+fr.Val+int64(fr.Articles) != n {
			t.Errorf("fold %d: trained on %d, chose on %d (fold %d has %d), predicted %d; want the other folds, all %d articles", fr.Fold, fr.Train, fr.Val, fr.Fold%k+1, val, fr.Articles, n)
		}
	}
}

// The same seed deals the same folds and predicts the same scores (linear
// folds fit two at a time: which finishes first must not matter); another
// seed deals other folds.
func TestRun_SeedDealsTheFolds(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	type got struct {
		fold    int64
		overall float64
	}
	folds := func(seed int) map[string]got {
		res, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: 3, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]got{}
		sess, err := l.Session(ctx, f.Namespace())
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		rows, err := sess.Query(ctx, "SELECT id, fold, overall FROM uplifting.predictions WHERE model = ?", res.Model)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var g got
			if err := rows.Scan(&id, &g.fold, &g.overall); err != nil {
				t.Fatal(err)
			}
			out[id] = g
		}
		return out
	}
	a, b, c := folds(7), folds(7), folds(8)
	same, moved := 0, 0
	for id, g := range a {
		if b[id] == g {
			same++
		}
		if c[id].fold != g.fold {
			moved++
		}
	}
	if same != len(a) {
		t.Errorf("seed 7 twice: %d of %d articles in the same fold with the same overall score", same, len(a))
	}
	// Chance puts 2/3 of the articles in another of 3 folds.
	if frac := float64(moved) / float64(len(a)); frac < 0.5 || frac > 0.8 {
		t.Errorf("seeds 7 and 8: %.2f of the articles changed fold, chance gives 0.67", frac)
	}
}

func TestRun_TooFewArticles(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	if _, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: 2}); err == nil {
		t.Error("--folds 2 was accepted")
	}
	if _, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: 1000}); err == nil {
		t.Error("1,000 folds of 655 articles were accepted")
	}
}
