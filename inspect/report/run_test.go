package report_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/distillery/distillery/inspect/report"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestRun_KnownLake renders the report of knownLake and checks, chart by
// chart, the number of bars and cells and the value each stands for.
func TestRun_KnownLake(t *testing.T) {
	l, f := knownLake(t)
	out := filepath.Join(t.TempDir(), "report.html")
	res, err := report.Run(context.Background(), l, report.Options{Filter: f, Out: out, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Out != out || res.Bytes != len(page) || res.Filter != "eval_tiny/v1" {
		t.Errorf("result = %+v", res)
	}
	for _, s := range res.Sections {
		// One oracle asked once: nothing to agree on (TestRun_Agreement).
		if s.Missing != "" && s.ID != report.SecAgreement && s.ID != report.SecDrift {
			t.Errorf("section %s: %s", s.ID, s.Missing)
		}
	}
	// 1 funnel + 1 tiers + 2 histograms + 1 splits + 2 activity + 1 MAE + 2 confusion + 9 tables.
	if res.Charts != 19 {
		t.Errorf("charts = %d, want 19", res.Charts)
	}
	doc := parse(t, page)

	for _, c := range []struct {
		id, class string
		want      []float64
	}{
		{"chart-funnel", "bar", []float64{14, 10, 10, 9, 9}},                // raw, passed, compressed, labeled, in a split
		{"chart-funnel", "blocked", []float64{2, 1, 1}},                     // min_chars, (not prefiltered yet), exclude:lab_only
		{"chart-tiers", "bar", []float64{3, 5, 1}},                          // high, mid, low
		{"chart-hist-0", "bar", []float64{0, 0, 2, 0, 1, 1, 2, 1, 1, 0, 1}}, // depth 8 6 2 4 5 2 6 7 10
		{"chart-hist-1", "bar", []float64{0, 0, 2, 0, 2, 1, 1, 0, 1, 0, 2}}, // clarity 8 4 2 4 5 6 2 10 10
		{"chart-splits", "bar", []float64{2, 2, 1, 1, 2, 1}},                // train high mid, val mid, test high mid low
		{"chart-labels-time", "bar", []float64{9}},                          // nine labels, all on 2026-01-01
		{"chart-cost-time", "series", []float64{0.3, 0.3}},                  // gemini-2.5-flash, gemini-2.5-pro in all
		{"chart-cost-time", "point", []float64{0.1, 0.3, 0.3}},              // days with calls; 01-03 has none
		{"chart-mae", "bar", []float64{1, 5.0 / 3, 1, 4.0 / 3, 0, 0, 0, 0}}, // m1 then m2: depth, clarity, overall, all
		{"chart-confusion-0", "cell", []float64{1, 0, 0, 0, 1, 0, 0, 1, 0}}, // m1: t3 low -> mid
		{"chart-confusion-1", "cell", []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}}, // m2: all right
	} {
		fig := byID(doc, c.id)
		if fig == nil {
			t.Errorf("no figure %s", c.id)
			continue
		}
		got := values(marks(fig, c.class))
		if !near(got, c.want) {
			t.Errorf("%s: %s marks %v, want %v", c.id, c.class, got, c.want)
		}
	}
	if n := len(marks(byID(doc, "chart-mae"), "baseline")); n != 8 {
		t.Errorf("chart-mae: %d baseline ticks, want 8", n)
	}
	// The funnel's rows: each step with the share kept; each blocking rule
	// with its most common reason; the snapshots read beside the chart.
	funnel := byID(doc, "chart-funnel")
	for _, row := range []string{
		"passed prefilter | 10 | 71.4% | 71.4% | – | –",
		"labeled | 9 | 90.0% | 64.3% | – | –",
		"blocked by min_chars | 2 | – | 14.3% | 2 | too_short:120_chars (1)",
		"blocked by (not prefiltered yet) | 1 | – | 7.1% | 1 | no decision (1)",
	} {
		if !slices.Contains(tableRows(funnel), row) {
			t.Errorf("chart-funnel: no Data row %q in %q", row, tableRows(funnel))
		}
	}
	if sub := text(find(funnel, func(n *html.Node) bool { return n.Data == "p" })); !strings.Contains(sub, "corpus.raw@2") ||
		!strings.Contains(sub, "eval_tiny.prefiltered@1") || !strings.Contains(sub, "eval_tiny.splits@1") {
		t.Errorf("chart-funnel subtitle %q does not name the snapshots read", sub)
	}
	// One series per oracle model.
	if leg := texts(byID(doc, "chart-cost-time"), ""); !slices.Contains(leg, "gemini/gemini-2.5-flash") || !slices.Contains(leg, "gemini/gemini-2.5-pro") {
		t.Errorf("chart-cost-time legend %q, want a series per gemini model", leg)
	}
	// Activity is by day: four days from 2026-01-01 to 01-04.
	if ticks := texts(byID(doc, "chart-cost-time"), "tick"); !slices.Contains(ticks, "2026-01-04") || !slices.Contains(ticks, "2026-01-01") {
		t.Errorf("cost ticks %q lack the first and last day", ticks)
	}

	// Snapshot history: every table of the lake, each snapshot a bar.
	snaps := map[string]int{}
	for _, fig := range figures(doc) {
		if strings.HasPrefix(attr(fig, "id"), "chart-snapshots-") {
			snaps[text(find(fig, func(n *html.Node) bool { return n.Data == "h3" }))] = len(marks(fig, "bar"))
		}
	}
	want := map[string]int{"raw": 2, "prefiltered": 1, "compressed": 2, "oracle_calls": 1, "labels": 1, "splits": 1, "models": 1, "predictions": 1, "evaluations": 2}
	if fmt.Sprint(snaps) != fmt.Sprint(want) {
		t.Errorf("snapshot bars %v, want %v", snaps, want)
	}

	// Every chart has a title, a description, axis or scale labels, and a
	// hover title on every mark.
	for _, fig := range figures(doc) {
		id := attr(fig, "id")
		svg := find(fig, func(n *html.Node) bool { return n.Data == "svg" && hasClass(n, "plot") })
		if svg == nil || attr(svg, "role") != "img" || find(svg, func(n *html.Node) bool { return n.Data == "desc" }) == nil {
			t.Errorf("%s: no accessible svg", id)
			continue
		}
		if len(texts(fig, "axis-title")) == 0 {
			t.Errorf("%s: no axis title", id)
		}
		for _, m := range marks(fig, "") {
			if title := find(m, func(n *html.Node) bool { return n.Data == "title" }); title == nil || title.FirstChild == nil || title.FirstChild.Data == "" {
				t.Errorf("%s: a %s mark has no title", id, m.Data)
			}
		}
	}
	// Self-contained: nothing to fetch.
	for _, bad := range []string{"http://", "https://", "<script", "<link", "@import", "url("} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page contains %q", bad)
		}
	}
}

// TestCollect_LatestEvaluation reads only each model's latest run: m1 was
// evaluated alone (4 test articles), then beside m2 (3 articles).
func TestCollect_LatestEvaluation(t *testing.T) {
	l, f := knownLake(t)
	d, err := report.Collect(context.Background(), l, report.Options{Filter: f, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range d.Errors {
		got = append(got, fmt.Sprintf("%s %s n=%d vs %s", e.Model, e.Dimension, e.N, e.ComparedWith))
	}
	want := []string{"m1 depth n=3 vs m2", "m1 clarity n=3 vs m2", "m1 overall n=3 vs m2", "m1 _all n=6 vs m2",
		"m2 depth n=3 vs m1", "m2 clarity n=3 vs m1", "m2 overall n=3 vs m1", "m2 _all n=6 vs m1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d.Unit != "day" || d.Evaluations != "eval_tiny.evaluations@2" || d.Calls != "eval_tiny.oracle_calls@1" || d.Cost.FailedCalls != 1 {
		t.Errorf("unit %q, evaluations %q, calls %q, cost %+v", d.Unit, d.Evaluations, d.Calls, d.Cost)
	}
	// --split val: m1 was never evaluated there.
	d, err = report.Collect(context.Background(), l, report.Options{Filter: f, Split: "val", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Errors) != 0 || !strings.Contains(d.Missing[report.SecMAE], "val split") {
		t.Errorf("val: errors %v, missing %q", d.Errors, d.Missing[report.SecMAE])
	}
}

// TestRun_MissingTables: sections whose tables do not exist yet say so, and
// the page still renders.
func TestRun_MissingTables(t *testing.T) {
	ctx := context.Background()
	f := evaltest.Filter(t)
	l := testutil.NewLake(t)

	var buf bytes.Buffer
	res, err := report.Run(ctx, l, report.Options{Filter: f, Writer: &buf, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Charts != 0 || res.Out != "" || len(res.Sections) != 10 {
		t.Errorf("empty lake: %+v", res)
	}
	for _, s := range res.Sections {
		if s.Missing == "" {
			t.Errorf("empty lake: section %s is not missing", s.ID)
		}
	}
	if !strings.Contains(buf.String(), "No labels yet") || !strings.Contains(buf.String(), "No evaluations yet") {
		t.Errorf("empty lake: the page does not say what is missing")
	}
	if s := res.Sections[0]; s.ID != report.SecFunnel || !strings.Contains(s.Missing, "run `distill ingest PATH` first") {
		t.Errorf("empty lake: the first section %s says %q, want the funnel naming `distill ingest PATH`", s.ID, s.Missing)
	}

	// Labels only: the label sections draw; split, evaluation sections wait;
	// the funnel stops at the prefilter, naming the command that makes it.
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "a", Text: "x", Score: 8}, {ID: "b", Text: "y", Score: 2}})
	buf.Reset()
	res, err = report.Run(ctx, l, report.Options{Filter: f, Writer: &buf, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	missing := map[string]bool{}
	for _, s := range res.Sections {
		missing[s.ID] = s.Missing != ""
	}
	doc := parse(t, buf.Bytes())
	if got := values(marks(byID(doc, "chart-funnel"), "bar")); !near(got, []float64{2}) {
		t.Errorf("labels only: funnel bars %v, want raw alone (2)", got)
	}
	notes := text(byID(doc, report.SecFunnel))
	for _, want := range []string{"eval_tiny.prefiltered has no snapshot yet", "distill prefilter --filter DIR", "eval_tiny.splits has no snapshot yet", "distill split --filter DIR"} {
		if !strings.Contains(notes, want) {
			t.Errorf("labels only: the funnel section does not say %q:\n%s", want, notes)
		}
	}
	want := map[string]bool{report.SecFunnel: false, report.SecTiers: false, report.SecHistograms: false, report.SecSplits: true, report.SecActivity: false,
		report.SecAgreement: true, report.SecMAE: true, report.SecConfusion: true, report.SecDrift: true, report.SecSnapshots: false}
	if fmt.Sprint(missing) != fmt.Sprint(want) {
		t.Errorf("labels only: missing %v, want %v", missing, want)
	}
}

// TestRun_SeriesPerOracleModel: labels over time has one series per oracle
// and model, not one per oracle.
func TestRun_SeriesPerOracleModel(t *testing.T) {
	f := evaltest.Filter(t)
	l := testutil.NewLake(t)
	labeltest.Write(t, l, f, []labeltest.Article{
		{ID: "a", Text: "x", Score: 8, Oracle: "gemini", Model: "gemini-2.5-flash"},
		{ID: "b", Text: "y", Score: 2, Oracle: "gemini", Model: "gemini-2.5-flash"},
		{ID: "c", Text: "z", Score: 5, Oracle: "gemini", Model: "gemini-2.5-pro"},
		{ID: "d", Text: "w", Score: 5, Oracle: "keywords", Model: "keywords-v2"},
	})
	var buf bytes.Buffer
	if _, err := report.Run(context.Background(), l, report.Options{Filter: f, Writer: &buf, Now: now}); err != nil {
		t.Fatal(err)
	}
	fig := byID(parse(t, buf.Bytes()), "chart-labels-time")
	want := []string{"gemini/gemini-2.5-flash", "gemini/gemini-2.5-pro", "keywords/keywords-v2"}
	if got := texts(fig, ""); !slices.Equal(got[:min(len(got), 3)], want) {
		t.Errorf("legend and labels %q, want the legend %q first", got, want)
	}
	if got := values(marks(fig, "bar")); !near(got, []float64{2, 1, 1}) {
		t.Errorf("bars %v, want 2, 1, 1 (one stacked segment per oracle model)", got)
	}
}

// TestRun_Escapes: text from the lake (here an oracle name) is escaped.
func TestRun_Escapes(t *testing.T) {
	f := evaltest.Filter(t)
	l := testutil.NewLake(t)
	evil := `<script>alert("x")</script>&`
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "a", Text: "x", Score: 8, Oracle: evil}})
	var buf bytes.Buffer
	if _, err := report.Run(context.Background(), l, report.Options{Filter: f, Writer: &buf, Now: now}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script") {
		t.Fatal("an oracle name reached the page unescaped")
	}
	doc := parse(t, buf.Bytes())
	if leg := texts(byID(doc, "chart-labels-time"), ""); !slices.Contains(leg, evil+"/test") { // oracle/model
		t.Errorf("the oracle name does not read back as text: %q", leg)
	}
}

func TestOptions_Validate(t *testing.T) {
	f := evaltest.Filter(t)
	o := report.Options{Filter: f}
	if err := o.Validate(); err != nil || o.Out != report.DefaultOut || o.Split != report.Test || o.Combine != "latest" || o.Now.IsZero() {
		t.Errorf("defaults: %+v (%v)", o, err)
	}
	for _, bad := range []report.Options{{}, {Filter: f, Split: "holdout"}, {Filter: f, Combine: "median"}} {
		if err := bad.Validate(); !errors.Is(err, report.ErrOptions) {
			t.Errorf("%+v: err %v, want ErrOptions", bad, err)
		}
	}
}

// --- HTML helpers ---

func parse(t *testing.T, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

func walk(n *html.Node, fn func(*html.Node)) {
	if n == nil {
		return
	}
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	walk(n, func(m *html.Node) {
		if m.Type == html.ElementNode && match(m) {
			out = append(out, m)
		}
	})
	return out
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if all := findAll(n, match); len(all) > 0 {
		return all[0]
	}
	return nil
}

func byID(doc *html.Node, id string) *html.Node {
	return find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
}

func figures(doc *html.Node) []*html.Node {
	return findAll(doc, func(n *html.Node) bool { return n.Data == "figure" && hasClass(n, "chart") })
}

// marks lists a figure's marks of a class ("" for all).
func marks(fig *html.Node, class string) []*html.Node {
	return findAll(fig, func(n *html.Node) bool { return hasClass(n, "mark") && (class == "" || hasClass(n, class)) })
}

func values(ms []*html.Node) []float64 {
	var out []float64
	for _, m := range ms {
		v, _ := strconv.ParseFloat(attr(m, "data-value"), 64)
		out = append(out, v)
	}
	return out
}

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > 1e-9 || d < -1e-9 {
			return false
		}
	}
	return true
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(m *html.Node) {
		if m.Type == html.TextNode && (m.Parent == nil || m.Parent.Data != "title") {
			b.WriteString(m.Data)
		}
	})
	return strings.TrimSpace(b.String())
}

// tableRows is a figure's Data table, one "a | b | c" string a row.
func tableRows(fig *html.Node) []string {
	var out []string
	for _, tr := range findAll(fig, func(n *html.Node) bool { return n.Data == "tr" }) {
		var cells []string
		for _, td := range findAll(tr, func(n *html.Node) bool { return n.Data == "td" }) {
			cells = append(cells, text(td))
		}
		if len(cells) > 0 {
			out = append(out, strings.Join(cells, " | "))
		}
	}
	return out
}

// texts lists the svg <text> and legend entries of a figure with a class
// ("" for all).
func texts(fig *html.Node, class string) []string {
	var out []string
	for _, n := range findAll(fig, func(n *html.Node) bool {
		return (n.Data == "text" || n.Data == "li") && (class == "" || hasClass(n, class))
	}) {
		out = append(out, text(n))
	}
	return out
}
