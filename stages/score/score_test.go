package score_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students"
)

var aiTech pipelinetest.AITech

func TestMain(m *testing.M) {
	if os.Getenv(fakeTrainerEnv) == "1" {
		os.Exit(fakeTrainer(os.Args[1:]))
	}
	code := m.Run()
	aiTech.Remove()
	os.Exit(code)
}

// trainAndTag trains a linear student on l and tags it production.
func trainAndTag(t *testing.T, l *lake.Lake, f *filters.Filter) string {
	t.Helper()
	ctx := context.Background()
	res, err := train.Run(ctx, l, train.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gate.Tag(ctx, l, gate.TagOptions{Filter: f, Tag: gate.Production, Model: res.Model.ID}); err != nil {
		t.Fatal(err)
	}
	return res.Model.ID
}

// Score is the pipeline, run on the fly: on the real ai-tech sample, every
// article's verdict and reason are the prefilter stage's, every passed
// article's text hash the compress stage's, and its scores, overall and tier
// what predict wrote for the same model; a rerun scores nothing; articles
// ingested later are scored once, by themselves; the filter's folder edited
// after training changes nothing (the package stored with the model rules).
func TestRun_MatchesThePipeline(t *testing.T) {
	ctx := context.Background()
	l, f := aiTech.Open(t)
	model := trainAndTag(t, l, f)
	// --model production names the tagged model (predict, eval, cascade).
	if id, err := students.ResolveID(ctx, l, f, students.Production); err != nil || id != model {
		t.Fatalf("ResolveID(production) = %q, %v; want %s", id, err, model)
	}
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: model, Split: "all"}); err != nil {
		t.Fatal(err)
	}
	// Rescore: the lake is shared with the package's other tests, whose
	// production models scored it before.
	res, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true})
	if err != nil {
		t.Fatal(err)
	}
	raw := testutil.QueryInt(t, l, "SELECT count(*) FROM corpus.raw")
	pre := testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Prefiltered.For(f).String())
	fr := res.Filters[0]
	if res.RowsIn != raw || fr.Scored+fr.Rejected != raw || fr.Model != model || fr.Scored < 500 {
		t.Fatalf("first run: %d read, %+v; corpus.raw has %d", res.RowsIn, fr, raw)
	}
	scores := spec.Scores.For(f).String()
	same := testutil.QueryStrings(t, l, `SELECT count(*) || ' ' || count(*) FILTER (WHERE s.passed = p.passed AND s.reason = p.reason)
		FROM `+scores+` s JOIN `+spec.Prefiltered.For(f).String()+` p ON p.id = s.id AND s.model = '`+model+`'`)
	if want := []string{itoa(pre) + " " + itoa(pre)}; strings.Join(same, "") != want[0] {
		t.Errorf("scores against prefiltered (rows, same verdict and reason): %v, want %v", same, want)
	}
	q := `SELECT count(*) || ' ' || count(*) FILTER (WHERE s.text_sha256 = c.text_sha256 AND s.tier = p.tier AND abs(s.overall - p.overall) < 1e-9)
		FROM ` + scores + ` s JOIN ` + spec.Compressed.For(f).String() + ` c USING (id) JOIN ` + spec.Predictions.For(f).String() + ` p ON p.id = s.id AND p.model = s.model
		WHERE s.passed AND s.model = '` + model + `'`
	passed := testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Prefiltered.For(f).String()+" WHERE passed")
	if got, want := strings.Join(testutil.QueryStrings(t, l, q), ""), itoa(passed)+" "+itoa(passed); got != want {
		t.Errorf("passed articles against compressed and predictions (rows, same text, tier, overall): %s, want %s", got, want)
	}
	again, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}})
	if err != nil || again.RowsIn != 0 || again.RowsOut != 0 || again.Filters[0].Already != raw {
		t.Fatalf("rerun: %+v, %v; want nothing read, %d scored before", again, err, raw)
	}
	// New articles: a folder of real BBC pages, scored by themselves.
	bbc := testutil.Shared(t, "corpus/bbc-fulltext/bbc/tech")
	in, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{bbc}})
	if err != nil {
		t.Fatal(err)
	}
	later, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}})
	if err != nil || later.RowsIn != in.RowsOut || later.RowsOut != in.RowsOut {
		t.Fatalf("after ingesting %d: %+v, %v", in.RowsOut, later, err)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT (id, model)) FROM "+scores); n != 0 {
		t.Errorf("%d duplicate keys in %s", n, scores)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM corpus.raw r WHERE NOT EXISTS (SELECT 1 FROM "+scores+" s WHERE s.id = r.id AND s.model = '"+model+"')"); n != 0 {
		t.Errorf("%d articles of corpus.raw have no score", n)
	}
	if snap, _ := l.Current(ctx, spec.Scores.For(f)); snap == nil || snap.Stage != "score" || !strings.Contains(snap.Inputs, "corpus.raw@") || !strings.Contains(snap.Inputs, ".model_tags@") {
		t.Errorf("scores lineage: %+v", snap)
	}
}

// --rescore scores again with a newly tagged production model, once; an
// export holds the newest score of each article, one row each.
func TestRun_RescoreAndExport(t *testing.T) {
	ctx := context.Background()
	l, f := aiTech.Open(t)
	first := trainAndTag(t, l, f)
	if _, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}}); err != nil {
		t.Fatal(err)
	}
	second := trainAndTag(t, l, f)
	if same, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}}); err != nil || same.RowsIn != 0 {
		t.Fatalf("a new production model without --rescore: %+v, %v; want nothing scored", same, err)
	}
	res, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true})
	if err != nil {
		t.Fatal(err)
	}
	raw := testutil.QueryInt(t, l, "SELECT count(*) FROM corpus.raw")
	if res.RowsIn != raw || res.Filters[0].Model != second {
		t.Fatalf("rescore: %d read with %s; want %d with %s (first %s)", res.RowsIn, res.Filters[0].Model, raw, second, first)
	}
	if again, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true}); err != nil || again.RowsIn != 0 {
		t.Fatalf("second rescore: %+v, %v; want nothing", again, err)
	}
	for _, ext := range []string{".jsonl", ".parquet"} {
		out := filepath.Join(t.TempDir(), "scored"+ext)
		ex, err := score.Export(ctx, l, []string{f.Namespace()}, out)
		if err != nil {
			t.Fatal(err)
		}
		reader := "read_json_auto"
		if ext == ".parquet" {
			reader = "read_parquet"
		}
		got := testutil.QueryStrings(t, l, "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || count(*) FILTER (WHERE model = '"+second+"') FROM "+reader+"('"+out+"')")
		if want := itoa(raw) + " " + itoa(raw) + " " + itoa(raw); ex.Rows != raw || strings.Join(got, "") != want {
			t.Errorf("%s: %d rows, read back %v; want %s (every article once, by the newest model)", ext, ex.Rows, got, want)
		}
	}
	// Production rolled back to the first model, which scored every
	// article before: nothing to score, and the export is the first
	// model's scores again, not the retired second's (the review found the
	// newest by time published).
	if _, err := gate.Tag(ctx, l, gate.TagOptions{Filter: f, Tag: gate.Production, Model: first}); err != nil {
		t.Fatal(err)
	}
	// (other tests of the package may have ingested articles since the
	// first model scored: those only are scored now)
	unscored := testutil.QueryInt(t, l, "SELECT count(*) FROM corpus.raw r WHERE NOT EXISTS (SELECT 1 FROM "+spec.Scores.For(f).String()+" s WHERE s.id = r.id AND s.model = '"+first+"')")
	raw = testutil.QueryInt(t, l, "SELECT count(*) FROM corpus.raw")
	if back, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true}); err != nil || back.RowsIn != unscored {
		t.Fatalf("rescore after the rollback: %+v, %v; want the %d articles the first model did not score", back, err, unscored)
	}
	out := filepath.Join(t.TempDir(), "back.parquet")
	if _, err := score.Export(ctx, l, []string{f.Namespace()}, out); err != nil {
		t.Fatal(err)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM read_parquet('"+out+"') WHERE model = '"+first+"'"); got != raw {
		t.Errorf("after the rollback, %d of %d exported rows are the production model's", got, raw)
	}
	if _, err := score.Export(ctx, l, []string{f.Namespace()}, filepath.Join(t.TempDir(), "scored.csv")); !errors.Is(err, score.ErrOptions) {
		t.Errorf("export to .csv: %v, want ErrOptions", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
