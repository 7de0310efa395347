package agree_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/agree"
)

func TestRun_TwoOraclesIntoTheLake(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	labeltest.PlantNoisy(t, l, f, 120, 3,
		labeltest.Noisy{Oracle: "gemini", Model: "gemini-2.5-flash", SD: 0.4, Asks: 2, Articles: 120},
		labeltest.Noisy{Oracle: "gemini", Model: "gemini-2.5-pro", Offset: -2, SD: 0.4, Asks: 1, Articles: 80})
	dir := t.TempDir()
	res, err := agree.Run(ctx, l, agree.Options{Filter: f, Export: filepath.Join(dir, "review.jsonl"), Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Oracles) != 2 || len(res.Pairs) != 2 || res.Pairs[0].Kind != "pair" || res.Pairs[1].Kind != "self" || res.Listed != 5 {
		t.Fatalf("result: %+v", res)
	}
	// What the lake holds is what the run reported.
	q := `SELECT count(*) FILTER (WHERE kind = 'oracle'), count(*) FILTER (WHERE kind = 'pair'), count(*) FILTER (WHERE kind = 'self'),
		count(*) FILTER (WHERE kind = 'all'), any_value(mean_offset) FILTER (WHERE kind = 'pair' AND dimension = 'scalability'),
		any_value(mae) FILTER (WHERE kind = 'self' AND dimension = 'overall'), count(DISTINCT run_id), min(labels_sequence)
		FROM sustainability_tech_deployment.agreements`
	var oracles, pairs, selves, all, runs, seq int64
	var offset, selfMAE float64
	sess, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.QueryRow(ctx, q, &oracles, &pairs, &selves, &all, &offset, &selfMAE, &runs, &seq); err != nil {
		t.Fatal(err)
	}
	dims := int64(len(f.Dimensions) + 2)
	want := res.Pairs[0].Dimensions["scalability"]
	if oracles != 2 || pairs != dims || selves != dims || all != dims || runs != 1 || seq != 1 ||
		offset != *want.Offset || selfMAE != *res.Pairs[1].Dimensions["overall"].MAE {
		t.Errorf("agreements: %d oracle, %d pair, %d self, %d all rows, offset %.3f (reported %.3f), %d runs at labels@%d",
			oracles, pairs, selves, all, offset, *want.Offset, runs, seq)
	}
	if math.Abs(offset+2) > 0.25 {
		t.Errorf("pro - flash offset %.3f, planted -2", offset)
	}
	// The export: the five articles that spread most, every answer with its
	// scores, an empty analysis to judge.
	fh, err := os.Open(filepath.Join(dir, "review.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	var last = math.Inf(1)
	n := 0
	for sc.Scan() {
		var r agree.Review
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		n++
		if r.Spread > last || r.Text != "text of "+r.ID || len(r.Answers) != 3 || len(r.Answers[0].Scores) != len(f.Dimensions) ||
			r.HumanAnalysis["scalability"] != nil || len(r.HumanAnalysis) != len(f.Dimensions)+1 {
			t.Errorf("review %d: %+v", n, r)
		}
		last = r.Spread
	}
	if n != 5 {
		t.Errorf("%d reviews, want 5", n)
	}
	// A review someone may be judging is never replaced unasked.
	if fi, err := os.Stat(filepath.Join(dir, "review.jsonl")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the export's mode: %v, %v", fi.Mode(), err)
	}
	if _, err := agree.Run(ctx, l, agree.Options{Filter: f, Export: filepath.Join(dir, "review.jsonl")}); !errors.Is(err, agree.ErrOptions) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("an export over an existing file: %v", err)
	}
	if _, err := agree.Run(ctx, l, agree.Options{Filter: f, Export: filepath.Join(dir, "review.jsonl"), Top: 2, Force: true}); err != nil {
		t.Errorf("--force: %v", err)
	}
	// HTML, escaped.
	if _, err := agree.Run(ctx, l, agree.Options{Filter: f, Export: filepath.Join(dir, "review.html"), Top: 2, A: "gemini/gemini-2.5-flash", B: "gemini/gemini-2.5-pro"}); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "review.html"))
	if strings.Count(string(page), "<h2 id=") != 2 || !strings.Contains(string(page), "gemini/gemini-2.5-pro") {
		t.Errorf("html page: %.500s", page)
	}
}

func TestRun_Refuses(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	labeltest.PlantNoisy(t, l, f, 20, 3, labeltest.Noisy{Oracle: "gemini", Model: "gemini-2.5-flash", SD: 0.4, Asks: 1, Articles: 20})
	// One oracle asked once: recorded, with what to do.
	res, err := agree.Run(ctx, l, agree.Options{Filter: f})
	if err != nil || !strings.Contains(res.Note, "--repeat 2") || len(res.Pairs) != 0 || res.RowsOut != 1 {
		t.Errorf("one oracle: %+v, %v", res, err)
	}
	_, err = agree.Run(ctx, l, agree.Options{Filter: f, A: "gemini/gemini-2.5-pro"})
	if !errors.Is(err, agree.ErrUnknownOracle) || !strings.Contains(err.Error(), "gemini/gemini-2.5-flash (20 labels)") {
		t.Errorf("unknown oracle: %v", err)
	}
	for _, o := range []agree.Options{{Filter: f, A: "gemini"}, {Filter: f, Export: "x.csv"}, {Filter: f, Top: -1}, {}} {
		if _, err := agree.Run(ctx, l, o); !errors.Is(err, agree.ErrOptions) {
			t.Errorf("%+v: %v", o, err)
		}
	}
}
