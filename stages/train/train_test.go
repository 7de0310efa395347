package train_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/export"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/lora"
)

var aiTech pipelinetest.AITech

// aiTechLake runs the pipeline up to the split on the real ai-tech sample
// with the uplifting filter and its keywords oracle (655 articles pass),
// once per test binary; the tests share it (a lake cannot be copied: Iceberg
// metadata holds absolute paths), so each reads only the model it trained.
func aiTechLake(t *testing.T) (*lake.Lake, *filters.Filter) {
	t.Helper()
	return aiTech.Open(t)
}

func TestMain(m *testing.M) {
	if os.Getenv(fakeTrainerEnv) == "1" {
		os.Exit(fakeTrainer(os.Args[1:]))
	}
	code := m.Run()
	aiTech.Remove()
	os.Exit(code)
}

// TestLinear_KeywordsLabelsOfTheAITechSample trains the Go student on the
// keywords oracle's labels of the real ai-tech sample, predicts the test
// split and checks it clearly beats predicting the training mean there.
func TestLinear_KeywordsLabelsOfTheAITechSample(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	res, err := train.Run(ctx, l, train.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if m.Backend != "linear" || m.TrainRows < 400 || m.ValRows < 40 || m.ValMAE <= 0 || m.ValMAE >= m.BaseMAE || len(m.ValMAEDims) != len(f.Dimensions) {
		t.Fatalf("model = %+v", m)
	}
	for _, name := range []string{"model.gob", "distill_run.json"} {
		if _, err := os.Stat(filepath.Join(m.Dir(l), name)); err != nil {
			t.Errorf("artifact: %v", err)
		}
	}
	back, err := train.Find(ctx, l, f, m.ID)
	if err != nil || back.Artifact != m.Artifact || back.ValMAE != m.ValMAE || strings.Join(back.Dimensions, ",") != strings.Join(f.DimensionNames(), ",") {
		t.Fatalf("Find = %+v, %v", back, err)
	}
	if snap, _ := l.Current(ctx, spec.Models.For(f)); snap == nil || snap.Stage != "train" || !strings.Contains(snap.Inputs, "uplifting.splits@1") {
		t.Errorf("models snapshot lineage: %+v", snap)
	}

	p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	nTest := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.splits WHERE split = 'test'")
	if p.Predicted != nTest {
		t.Fatalf("predicted %d, want the %d test articles", p.Predicted, nTest)
	}
	// Held-out MAE against the oracle, next to predicting the training mean.
	var student, baseline float64
	sess, _ := l.Session(ctx, f.Namespace())
	defer sess.Close()
	set, err := curate.DefineExamples(ctx, sess, f, lake.Ref{}, lake.Ref{}, "latest")
	if err != nil {
		t.Fatal(err)
	}
	q := `WITH ex AS (SELECT id, split, generate_subscripts(labels, 1) AS d, unnest(labels) AS y FROM examples),
		mu AS (SELECT d, avg(y) AS mu FROM ex WHERE split = 'train' GROUP BY d),
		pr AS (SELECT id, generate_subscripts(s, 1) AS d, unnest(s) AS p FROM (SELECT id, list_value(*COLUMNS(c -> list_contains(list_transform(getvariable('dimensions'), x -> x || '_raw'), c))) AS s FROM uplifting.predictions WHERE model = '` + m.ID + `'))
		SELECT avg(abs(pr.p - ex.y)), avg(abs(mu.mu - ex.y)) FROM ex JOIN pr USING (id, d) JOIN mu USING (d) WHERE ex.split = 'test'`
	if err := sess.QueryRow(ctx, q, &student, &baseline); err != nil {
		t.Fatal(err)
	}
	// Raw scores: calibration fitted on 66 validation articles can move a
	// 65-article test figure either way (see the README).
	t.Logf("test MAE (raw): student %.3f, training mean %.3f (%d dimensions: %v)", student, baseline, len(set.Dimensions), set.Dimensions)
	if student >= baseline {
		t.Errorf("student raw test MAE %.3f is not below the training mean's %.3f", student, baseline)
	}
	// One test split of 65 articles is noise (the split's seed alone moved
	// this figure from 20% to 2% better than the mean): the README's figure
	// and the bar are 5-fold cross-validation's, over every article.
	fig := crossValidated(t, l, f)
	readmeFigure(t, fig, testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.compressed"))
	// The median, the best constant for MAE, is much harder to beat on
	// labels this skewed (most scores 0): the student must not fall behind it.
	if fig.student > 0.9*fig.mean || fig.student > 1.02*fig.median {
		t.Errorf("student out-of-fold MAE %.3f is not clearly below the training mean's %.3f, or behind the median's %.3f", fig.student, fig.mean, fig.median)
	}
	// Overall and tier come from filter.yaml, as for the oracle's labels.
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.predictions WHERE model = '"+m.ID+"' AND (overall IS NULL OR tier IS NULL OR split <> 'test')"); n != 0 {
		t.Errorf("%d predictions without overall, tier or split", n)
	}
	// Incremental: a rerun predicts nothing; all adds the rest; --full everything again.
	again, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID})
	if err != nil || again.Predicted != 0 || again.Already != nTest {
		t.Errorf("rerun: %+v, %v", again, err)
	}
	all, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID, Split: "all"})
	nAll := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.compressed")
	if err != nil || all.Predicted != nAll-nTest {
		t.Errorf("all: %+v, %v (want %d)", all, err, nAll-nTest)
	}
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: "linear-nope"}); !errors.Is(err, train.ErrNoModel) {
		t.Errorf("unknown model: %v", err)
	}
}

func TestExport_Formats(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	dir := t.TempDir()
	nVal := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.splits WHERE split = 'val'")

	// JSONL regression rows.
	res, err := export.Run(ctx, l, export.Options{Filter: f, Split: "val", Out: filepath.Join(dir, "val.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != nVal {
		t.Fatalf("exported %d rows, want %d", res.Rows, nVal)
	}
	fh, _ := os.Open(res.Path)
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var row struct {
			ID     string    `json:"id"`
			Text   string    `json:"text"`
			Labels []float64 `json:"labels"`
			Dims   []string  `json:"dimension_names"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		if row.ID == "" || !strings.HasPrefix(row.Text, "Title: ") || len(row.Labels) != len(f.Dimensions) || strings.Join(row.Dims, ",") != strings.Join(f.DimensionNames(), ",") {
			t.Fatalf("row %d = %+v", lines, row)
		}
		lines++
	}
	if int64(lines) != nVal {
		t.Errorf("%d lines", lines)
	}
	// The text is exactly the compressed text the oracle saw.
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM read_json('"+res.Path+"') j JOIN uplifting.compressed c USING (id) WHERE j.text <> c.text"); n != 0 {
		t.Errorf("%d exported texts differ from the compressed text", n)
	}

	// Parquet instruction rows.
	res, err = export.Run(ctx, l, export.Options{Filter: f, Split: "train", Style: "instruction", Format: "parquet", Out: filepath.Join(dir, "train.parquet")})
	if err != nil {
		t.Fatal(err)
	}
	outputs := testutil.QueryStrings(t, l, "SELECT output FROM read_parquet('"+res.Path+"') LIMIT 3")
	for _, o := range outputs {
		var out struct {
			Dimensions map[string]float64 `json:"dimensions"`
			Overall    *float64           `json:"overall_score"`
			Tier       string             `json:"tier"`
		}
		if err := json.Unmarshal([]byte(o), &out); err != nil || len(out.Dimensions) != len(f.Dimensions) || out.Overall == nil || out.Tier == "" {
			t.Errorf("output %q: %v", o, err)
		}
	}
	if got := testutil.QueryStrings(t, l, "SELECT DISTINCT instruction FROM read_parquet('"+res.Path+"')"); len(got) != 1 || strings.Contains(got[0], filters.Placeholder) {
		t.Errorf("instruction = %q", got)
	}

	// An Arrow IPC stream.
	res, err = export.Run(ctx, l, export.Options{Filter: f, Split: "test", Format: "arrow", Out: filepath.Join(dir, "test.arrow")})
	if err != nil {
		t.Fatal(err)
	}
	af, _ := os.Open(res.Path)
	defer af.Close()
	rdr, err := ipc.NewReader(af)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rows += rec.NumRows()
		if _, ok := rec.Column(2).(*array.List); !ok || rec.Schema().Field(0).Name != "id" {
			t.Fatalf("arrow schema %s", rec.Schema())
		}
	}
	if rows != res.Rows || rows == 0 {
		t.Errorf("arrow rows %d, want %d", rows, res.Rows)
	}
	for _, bad := range []export.Options{{Filter: f, Split: "holdout"}, {Filter: f, Format: "csv"}, {Filter: f, Style: "chat"}} {
		if _, err := export.Run(ctx, l, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestTrain_Errors(t *testing.T) {
	ctx := context.Background()
	l, f := aiTechLake(t)
	if _, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "forest"}); err == nil || !strings.Contains(err.Error(), "linear, lora or embed") {
		t.Errorf("unknown backend: %v", err)
	}
	loraRows := "SELECT count(*) FROM (SELECT 1 FROM uplifting.models WHERE backend = 'lora')"
	before := int64(0)
	if ok, _ := l.Exists(ctx, spec.Models.For(f)); ok {
		before = testutil.QueryInt(t, l, loraRows)
	}
	// A python that is not there, and one without the trainer: both say how to install it.
	pythons := []string{filepath.Join(t.TempDir(), "no-python")}
	if p, err := exec.LookPath("python3"); err == nil && exec.Command(p, "-c", "import "+lora.Module).Run() != nil {
		pythons = append(pythons, p)
	}
	for _, python := range pythons {
		_, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "lora", LoRA: train.LoRAOptions{Python: python}})
		if !errors.Is(err, lora.ErrNotInstalled) || !strings.Contains(fmt.Sprint(err), "for "+python+": run make trainer-venv and pass --python") {
			t.Errorf("lora with %s: %v", python, err)
		}
	}
	if ok, _ := l.Exists(ctx, spec.Models.For(f)); ok {
		if n := testutil.QueryInt(t, l, loraRows); n != before {
			t.Errorf("a failed lora run left %d model rows", n-before)
		}
	}
	empty := testutil.NewLake(t)
	if _, err := train.Run(ctx, empty, train.Options{Filter: f}); !errors.Is(err, curate.ErrNoLabels) || !errors.Is(err, spec.ErrNotReady) {
		t.Errorf("empty lake: %v", err)
	}
	// A run that failed leaves no empty models table behind.
	if ok, err := empty.Exists(ctx, spec.Models.For(f)); ok || err != nil {
		t.Errorf("a failed train made %s (%v)", spec.Models.For(f), err)
	}
}

// readmeMAE is README's sentence on how well the linear student does.
var readmeMAE = regexp.MustCompile(`keywords-oracle labels of the real ai-tech sample \(uplifting filter, ([\d,]+) articles pass, 5-fold cross-validation\):\s+out-of-fold MAE ([\d.]+) against ([\d.]+) for predicting the training mean \((\d+)% lower\)\s+and ([\d.]+) for its median`)

// cvFigure is what crossValidated measures.
type cvFigure struct{ student, mean, median float64 }

// readmeFigure fails when README's figure for this test is not what it
// measures now, so the figure a user reads is the one they reproduce.
func readmeFigure(t *testing.T, fig cvFigure, passed int64) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := readmeMAE.FindStringSubmatch(string(b))
	const format = "%s articles pass, 5-fold cross-validation): out-of-fold MAE %s against %s for predicting the training mean (%s%% lower) and %s for its median"
	want := fmt.Sprintf(format, fmt.Sprint(passed), fmt.Sprintf("%.3f", fig.student), fmt.Sprintf("%.3f", fig.mean),
		fmt.Sprintf("%.0f", 100*(1-fig.student/fig.mean)), fmt.Sprintf("%.3f", fig.median))
	if m == nil {
		t.Fatalf("README.md lacks the sentence on this test's figure; it should read %q", want)
	}
	if got := fmt.Sprintf(format, strings.ReplaceAll(m[1], ",", ""), m[2], m[3], m[4], m[5]); got != want {
		t.Errorf("README.md says %q; this test measures %q", got, want)
	}
}

// crossValidated runs distill cv (5 folds) and computes from its
// out-of-fold predictions, every dimension's scores pooled and averaged
// over the folds, the student's MAE and that of predicting each fold's
// training mean and median (of the other folds); cv's own pooled row in
// <filter>.evaluations must agree.
func crossValidated(t *testing.T, l *lake.Lake, f *filters.Filter) cvFigure {
	t.Helper()
	ctx := context.Background()
	res, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: 5})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := curate.DefineExamples(ctx, sess, f, lake.Ref{}, lake.Ref{}, "latest"); err != nil {
		t.Fatal(err)
	}
	// list_value(*COLUMNS(...)), not [COLUMNS(...)]: the brackets make one
	// single-score list per column, and only the first dimension was read.
	q := `WITH ex AS (SELECT id, generate_subscripts(labels, 1) AS d, unnest(labels) AS y FROM examples),
		p AS (SELECT id, fold, generate_subscripts(s, 1) AS d, unnest(s) AS p
		      FROM (SELECT id, fold, list_value(*COLUMNS(c -> list_contains(getvariable('dimensions'), c))) AS s FROM uplifting.predictions WHERE model = '` + res.Model + `')),
		folds AS (SELECT DISTINCT fold FROM p),
		mu AS (SELECT k.fold, ex.d, avg(ex.y) AS mu, median(ex.y) AS med FROM folds k JOIN p ON p.fold <> k.fold JOIN ex ON ex.id = p.id AND ex.d = p.d GROUP BY ALL)
		SELECT avg(s), avg(b), avg(m) FROM (
		    SELECT p.fold, avg(abs(p.p - ex.y)) AS s, avg(abs(mu.mu - ex.y)) AS b, avg(abs(mu.med - ex.y)) AS m
		    FROM p JOIN ex USING (id, d) JOIN mu ON mu.fold = p.fold AND mu.d = p.d GROUP BY 1)`
	var fig cvFigure
	if err := sess.QueryRow(ctx, q, &fig.student, &fig.mean, &fig.median); err != nil {
		t.Fatal(err)
	}
	t.Logf("5-fold out-of-fold MAE: student %.3f, training mean %.3f, median %.3f", fig.student, fig.mean, fig.median)
	var back cvFigure
	if err := sess.QueryRow(ctx, "SELECT mae, baseline_mae, median_baseline_mae FROM uplifting.evaluations WHERE run_id = '"+res.RunID+
		"' AND split = 'cv' AND dimension = '_all' AND calibrated", &back.student, &back.mean, &back.median); err != nil {
		t.Fatal(err)
	}
	if math.Abs(back.student-fig.student) > 1e-9 || math.Abs(back.mean-fig.mean) > 1e-9 || math.Abs(back.median-fig.median) > 1e-9 {
		t.Errorf("evaluations' cv row says %+v; computed from the predictions: %+v", back, fig)
	}
	return fig
}
