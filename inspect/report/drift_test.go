package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/distillery/distillery/inspect/report"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/drift"
	"github.com/distillery/distillery/stages/drift/drifttest"
)

// TestRun_Drift: the drift section draws the latest drift run: one PSI bar
// per dimension (overall, tier) and baseline, the flagged ones marked, the
// pass rate in the table.
func TestRun_Drift(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l, _ := drifttest.Planted(t, f, 5)
	if _, err := drift.Run(ctx, l, drift.Options{Filter: f, Threshold: 100}); err != nil {
		t.Fatal(err) // an older run the report must not show
	}
	res, err := drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep, err := report.Run(ctx, l, report.Options{Filter: f, Writer: &buf, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Sections {
		if s.ID == report.SecDrift && s.Missing != "" {
			t.Fatalf("drift section: %s", s.Missing)
		}
	}
	var want []float64
	flagged := 0
	for _, r := range res.Rows {
		if r.PSI != nil {
			want = append(want, *r.PSI)
		}
		if r.Flagged {
			flagged++
		}
	}
	doc := parse(t, buf.Bytes())
	fig := byID(doc, "chart-drift")
	if got := values(marks(fig, "bar")); len(want) != 2*(len(f.Dimensions)+2) || !near(got, want) {
		t.Errorf("drift bars %v, want %v", got, want)
	}
	rows := tableRows(fig)
	if n := strings.Count(strings.Join(rows, "\n"), "| flagged"); n != flagged || flagged == 0 {
		t.Errorf("%d flagged rows in the table, the run flagged %d:\n%s", n, flagged, strings.Join(rows, "\n"))
	}
	if !strings.Contains(strings.Join(rows, "\n"), "pass_rate") && !strings.Contains(strings.Join(rows, "\n"), "pass rate") {
		t.Errorf("no pass rate row:\n%s", strings.Join(rows, "\n"))
	}
	if sec := text(byID(doc, report.SecDrift)); !strings.Contains(sec, "Newest window 2026-W03 (by week)") {
		t.Errorf("drift section text: %.600s", sec)
	}
}
