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
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/stages/train"
)

// A cascade is measured on val and test before it is on; once on, score
// keeps from the production model exactly the passed articles whose first
// stage overall falls below the threshold (they keep the first stage's
// scores), and forwards the rest; --disable turns it off.
func TestCascade_MeasuredThenOn(t *testing.T) {
	ctx := context.Background()
	l, f := aiTech.Open(t)
	prod := trainAndTag(t, l, f)
	first, err := train.Run(ctx, l, train.Options{Filter: f, SampleWeight: "tier"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := score.Cascade(ctx, l, score.CascadeOptions{Filter: f, First: first.Model.ID, Recall: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	if m.Val.Positives == 0 || m.Val.Recall < 0.95 || m.Test.Articles == 0 || m.Test.Forwarded <= 0 || m.Test.Forwarded > 1 || m.Enabled {
		t.Fatalf("measured: %+v", m)
	}
	// Val's recall read straight from the tables.
	preds := spec.Predictions.For(f).String()
	kept := testutil.QueryInt(t, l, `SELECT count(*) FROM `+preds+` p JOIN `+spec.Splits.For(f).String()+` s USING (id)
		WHERE p.model = '`+first.Model.ID+`' AND s.split = 'val' AND p.overall >= `+ftoa(m.Threshold)+` AND p.id IN (SELECT id FROM `+spec.Labels.For(f).String()+` WHERE tier <> 'not_uplifting')`)
	if kept == 0 {
		t.Errorf("no val article at or above the threshold %g", m.Threshold)
	}
	// eval shows the same figures beside the production model's, on test.
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: prod, Split: "test"}); err != nil {
		t.Fatal(err)
	}
	ev, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: prod, Split: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if c := ev.Cascade; c == nil || c.First != first.Model.ID || c.Articles != m.Test.Articles || c.Recall != m.Test.Recall || c.Forwarded != m.Test.Forwarded || c.Enabled {
		t.Errorf("eval's cascade %+v, want the test figures %+v (not on)", ev.Cascade, m.Test)
	}
	bbc := testutil.Shared(t, "corpus/bbc-fulltext/bbc/business")
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{bbc}}); err != nil {
		t.Fatal(err)
	}
	on, err := score.Cascade(ctx, l, score.CascadeOptions{Filter: f, First: first.Model.ID, Recall: 0.95, Enable: true})
	if err != nil || !on.Enabled {
		t.Fatalf("enable: %+v, %v", on, err)
	}
	defer func() {
		if _, err := score.Cascade(ctx, l, score.CascadeOptions{Filter: f, Disable: true}); err != nil {
			t.Fatal(err)
		}
	}()
	res, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true})
	if err != nil {
		t.Fatal(err)
	}
	fr := res.Filters[0]
	if fr.Cascade != first.Model.ID || fr.Cascaded == 0 || fr.Cascaded >= fr.Scored {
		t.Fatalf("score with the cascade on: %+v", fr)
	}
	scores := spec.Scores.For(f).String()
	run := " FROM " + scores + " WHERE run_id = '" + l.RunID + "'"
	if n := testutil.QueryInt(t, l, "SELECT count(*)"+run+" AND stage = 'cascade' AND overall >= "+ftoa(on.Threshold)); n != 0 {
		t.Errorf("%d articles kept back with an overall at or above the threshold", n)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*)"+run+" AND stage = 'cascade'"); n != fr.Cascaded {
		t.Errorf("%d cascade rows, the run says %d", n, fr.Cascaded)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*)"+run+" AND passed AND cascade_model IS DISTINCT FROM '"+first.Model.ID+"'"); n != 0 {
		t.Errorf("%d passed rows do not name the first stage", n)
	}
	// Production retrained on an edited package: the threshold was tuned
	// on the first stage's package, so the cascade is off, said so.
	edited := t.TempDir()
	if err := f.CopyTo(edited); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(edited, "NOTES.md"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	f2, err := filters.Load(edited)
	if err != nil {
		t.Fatal(err)
	}
	trainAndTag(t, l, f2)
	mixed, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Rescore: true})
	if err != nil {
		t.Fatal(err)
	}
	if mixed.Filters[0].Cascade != "" || mixed.Filters[0].Cascaded != 0 || !strings.Contains(strings.Join(mixed.Warnings, "\n"), "the cascade is off") {
		t.Errorf("production on another package: %+v, warnings %q", mixed.Filters[0], mixed.Warnings)
	}
	if _, err := score.Cascade(ctx, l, score.CascadeOptions{Filter: f, First: first.Model.ID, Recall: 1.5}); !errors.Is(err, score.ErrOptions) {
		t.Errorf("recall 1.5: %v, want ErrOptions", err)
	}
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
