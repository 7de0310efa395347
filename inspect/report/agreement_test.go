package report_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/inspect/report"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/agree"
)

// TestRun_Agreement: the agreement section draws the latest agree run as
// the lake holds it, and the noise floor comes with the data.
func TestRun_Agreement(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	labeltest.PlantNoisy(t, l, f, 60, 9,
		labeltest.Noisy{Oracle: "gemini", Model: "gemini-2.5-flash", SD: 0.5, Asks: 2, Articles: 60},
		labeltest.Noisy{Oracle: "gemini", Model: "gemini-2.5-pro", Offset: -1.5, SD: 0.5, Asks: 1, Articles: 30})
	if _, err := agree.Run(ctx, l, agree.Options{Filter: f, A: "gemini/gemini-2.5-pro"}); err != nil {
		t.Fatal(err) // an older run the report must not show
	}
	if _, err := agree.Run(ctx, l, agree.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res, err := report.Run(ctx, l, report.Options{Filter: f, Writer: &buf, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Sections {
		if s.ID == report.SecAgreement && s.Missing != "" {
			t.Fatalf("agreement section: %s", s.Missing)
		}
	}
	// The bars are the latest run's MAE, read back from the lake: pairs,
	// then self rows, each in the filter's dimension order.
	var want []float64
	for _, s := range testutil.QueryStrings(t, l, strings.Replace(
		`SELECT mae::VARCHAR FROM sustainability_tech_deployment.agreements
		WHERE agreed_at = (SELECT max(agreed_at) FROM sustainability_tech_deployment.agreements) AND kind IN ('pair', 'self')
		ORDER BY kind, oracle_a, CASE dimension WHEN 'overall' THEN 1000 WHEN 'tier' THEN 1001 ELSE list_position(DIMS, dimension) END`,
		"DIMS", "['"+strings.Join(f.DimensionNames(), "', '")+"']", 1)) {
		var v float64
		if _, err := fmt.Sscan(s, &v); err != nil {
			t.Fatal(err)
		}
		want = append(want, v)
	}
	doc := parse(t, buf.Bytes())
	fig := byID(doc, "chart-agreement")
	if got := values(marks(fig, "bar")); len(want) != 2*(len(f.Dimensions)+2) || !near(got, want) {
		t.Errorf("agreement bars %v, want %v", got, want)
	}
	rows := tableRows(fig)
	if !slices.ContainsFunc(rows, func(r string) bool {
		return strings.HasPrefix(r, "gemini/gemini-2.5-pro vs gemini/gemini-2.5-flash | tier | 30 |") && strings.HasSuffix(r, "%")
	}) {
		t.Errorf("no tier row with the share in one tier: %q", rows)
	}
	// A run narrowed to flash's repeats replaces only those; labels added
	// since a comparison say it is older than them.
	if _, err := agree.Run(ctx, l, agree.Options{Filter: f, A: "gemini/gemini-2.5-flash", B: "gemini/gemini-2.5-flash"}); err != nil {
		t.Fatal(err)
	}
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "late", Text: "late", Score: 3, Oracle: "gemini", Model: "gemini-2.5-pro"}})
	buf.Reset()
	if _, err := report.Run(ctx, l, report.Options{Filter: f, Writer: &buf, Now: now}); err != nil {
		t.Fatal(err)
	}
	doc = parse(t, buf.Bytes())
	if got := values(marks(byID(doc, "chart-agreement"), "bar")); len(got) != len(want) {
		t.Errorf("after a narrowed run: %d bars, want %d", len(got), len(want))
	}
	if note := text(byID(doc, report.SecAgreement)); !strings.Contains(note, "older labels snapshot") {
		t.Errorf("no note of comparisons older than the labels: %s", note)
	}
	d, err := report.Collect(ctx, l, report.Options{Filter: f, Now: now, Combine: "oracle=gemini/gemini-2.5-flash"})
	if err != nil {
		t.Fatal(err)
	}
	if d.NoiseFloor == nil || d.NoiseFloor.Oracle != "gemini/gemini-2.5-flash" || d.NoiseFloor.Other != "gemini/gemini-2.5-pro" {
		t.Errorf("noise floor: %+v", d.NoiseFloor)
	}
}
