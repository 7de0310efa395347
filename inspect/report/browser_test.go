package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/report"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
)

// chartCheck measures, in the browser, every chart of the page: the size
// its SVG is drawn at, how many marks it has, how many are drawn with a
// non-zero size (a line may be flat: its box needs width or height), and
// the marks standing for a non-zero value that are not visible. It also
// lists anything the page would fetch.
const chartCheck = `JSON.stringify((() => {
  const charts = [];
  for (const fig of document.querySelectorAll('figure.chart')) {
    const svg = fig.querySelector('svg.plot');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const marks = svg ? [...svg.querySelectorAll('.mark')] : [];
    let drawn = 0;
    const invisible = [];
    for (const m of marks) {
      const r = m.getBoundingClientRect();
      const st = getComputedStyle(m);
      const painted = st.display !== 'none' && st.visibility !== 'hidden' && parseFloat(st.opacity) > 0 &&
        (m.tagName === 'path' ? st.stroke !== 'none' : st.fill !== 'none');
      const sized = m.tagName === 'path' ? (r.width > 0 || r.height > 0) : (r.width > 0 && r.height > 0);
      if (painted && sized) drawn++;
      else if (parseFloat(m.getAttribute('data-value')) !== 0) invisible.push((m.querySelector('title') || m).textContent);
    }
    charts.push({id: fig.id, width: box.width, height: box.height, marks: marks.length, drawn, invisible});
  }
  const external = [...document.querySelectorAll('[src], [href], link, iframe, object, embed')]
    .map(e => e.getAttribute('src') || e.getAttribute('href') || e.tagName)
    .filter(u => !u.startsWith('#'));
  return {charts, external, sections: document.querySelectorAll('section.section').length};
})())`

type checked struct {
	Charts []struct {
		ID        string   `json:"id"`
		Width     float64  `json:"width"`
		Height    float64  `json:"height"`
		Marks     int      `json:"marks"`
		Drawn     int      `json:"drawn"`
		Invisible []string `json:"invisible"`
	} `json:"charts"`
	External []string `json:"external"`
	Sections int      `json:"sections"`
}

// TestReport_Chromium renders the report of a known lake in headless
// Chromium and fails on any console error, exception or blocked request,
// on an external resource, and on a chart with nothing drawn or a mark
// for a non-zero value that has no size. Set REPORT_SCREENSHOT=DIR to keep
// a full-page screenshot of the report for a person to look at.
func TestReport_Chromium(t *testing.T) {
	b := startChromium(t)
	l, f := knownLake(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	res, err := report.Run(context.Background(), l, report.Options{Filter: f, Out: out, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, width := range []int{1280, 420} { // a desktop and a phone
		pc, err := b.check(ctx, out, chartCheck, width)
		if err != nil {
			t.Fatal(err)
		}
		if len(pc.Errors) > 0 {
			t.Errorf("width %d: the page logged errors:\n%s", width, strings.Join(pc.Errors, "\n"))
		}
		var got checked
		if err := json.Unmarshal([]byte(pc.Result), &got); err != nil {
			t.Fatalf("check result %q: %v", pc.Result, err)
		}
		if len(got.Charts) != res.Charts || got.Sections != 10 || len(got.External) > 0 {
			t.Errorf("width %d: %d charts (want %d), %d sections, external resources %q", width, len(got.Charts), res.Charts, got.Sections, got.External)
		}
		for _, c := range got.Charts {
			if c.Width <= 0 || c.Height <= 0 || c.Drawn == 0 || len(c.Invisible) > 0 {
				t.Errorf("width %d: chart %s drawn %gx%g with %d of %d marks visible; invisible non-zero marks: %q", width, c.ID, c.Width, c.Height, c.Drawn, c.Marks, c.Invisible)
			}
		}
		if keep := os.Getenv("REPORT_SCREENSHOT"); keep != "" && len(pc.Screenshot) > 0 {
			name := filepath.Join(keep, fmt.Sprintf("report-%d.png", width))
			if err := os.WriteFile(name, pc.Screenshot, 0o644); err != nil {
				t.Error(err)
			}
			t.Logf("screenshot: %s", name)
		}
	}
}

// TestReport_ChromiumCatchesFaults proves the check fails when it should:
// a page that requests something (blocked by the report's own policy, so
// logged as an error), throws, or draws a chart with an empty mark.
func TestReport_ChromiumCatchesFaults(t *testing.T) {
	b := startChromium(t)
	dir := t.TempDir()
	page := `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-inline'">
<title>faulty</title></head><body>
<img src="http://192.0.2.1/x.png" alt="">
<script>console.error("broken on purpose")</script>
<section class="section"><figure class="chart" id="chart-empty"><svg class="plot" viewBox="0 0 100 50" width="100" height="50">
<rect class="mark bar" x="10" y="10" width="0" height="30" fill="#0072B2" data-value="5"><title>five</title></rect>
</svg></figure></section></body></html>`
	file := filepath.Join(dir, "faulty.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pc, err := b.check(ctx, file, chartCheck, 800)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(pc.Errors, "\n")
	if !strings.Contains(joined, "broken on purpose") || !strings.Contains(joined, "192.0.2.1") {
		t.Errorf("errors caught:\n%s\nwant the console error and the blocked image", joined)
	}
	var got checked
	if err := json.Unmarshal([]byte(pc.Result), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Charts) != 1 || got.Charts[0].Drawn != 0 || len(got.Charts[0].Invisible) != 1 || len(got.External) != 1 {
		t.Errorf("check = %+v, want one chart with its one mark invisible and one external resource", got)
	}
}

// narrowCheck measures the page's layout: whether anything is wider than
// the viewport, where the title's text ends, and, for the title and every summary
// card's detail, each place a rendered line ends inside a word. A line
// may end only at a space, or after a dot, underscore, slash or hyphen:
// "sustainability_tech_deplo|yment.labels" is a word broken in two.
const narrowCheck = `JSON.stringify((() => {
  const boundary = c => /[\s._\/-]/.test(c);
  const broken = [];
  const lines = [];
  for (const el of document.querySelectorAll('h1, .card-detail')) {
    const chars = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (let i = 0; i < n.data.length; i++) {
        const r = document.createRange();
        r.setStart(n, i);
        r.setEnd(n, i + 1);
        const rect = r.getClientRects()[0];
        chars.push({c: n.data[i], rect});
      }
    }
    let prev = null, gap = false, count = 1, text = '';
    for (const ch of chars) {
      text += ch.c;
      if (!ch.rect || /\s/.test(ch.c)) { gap = true; continue; }
      if (prev && ch.rect.top > prev.rect.top + prev.rect.height / 2) {
        count++;
        if (!gap && !boundary(prev.c)) broken.push(text.slice(0, -1) + '|' + ch.c);
      }
      prev = ch;
      gap = false;
    }
    lines.push({text: el.textContent, lines: count});
  }
  // The text's own extent: a block's box keeps its width when text overflows it.
  const title = document.createRange();
  title.selectNodeContents(document.querySelector('h1'));
  const h1 = title.getBoundingClientRect();
  return {viewport: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
    h1Left: h1.left, h1Right: h1.right, broken, lines};
})())`

// TestReport_ChromiumNarrow renders the report of a filter with a long name
// at a phone's 420 px: nothing may be wider than the screen, the title must
// fit, and the long table names in the summary cards may wrap only where
// their parts meet (after a dot or an underscore), never mid-word.
func TestReport_ChromiumNarrow(t *testing.T) {
	b := startChromium(t)
	f := longNamedFilter(t, "sustainability_tech_deployment")
	l := testutil.NewLake(t)
	labeltest.Write(t, l, f, []labeltest.Article{{ID: "a", Text: "x", Score: 8}, {ID: "b", Text: "y", Score: 2}})
	out := filepath.Join(t.TempDir(), "report.html")
	if _, err := report.Run(context.Background(), l, report.Options{Filter: f, Out: out, Now: now}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const width = 420
	pc, err := b.check(ctx, out, narrowCheck, width)
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.Errors) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(pc.Errors, "\n"))
	}
	var got struct {
		Viewport    float64  `json:"viewport"`
		ScrollWidth float64  `json:"scrollWidth"`
		H1Left      float64  `json:"h1Left"`
		H1Right     float64  `json:"h1Right"`
		Broken      []string `json:"broken"`
		Lines       []struct {
			Text  string `json:"text"`
			Lines int    `json:"lines"`
		} `json:"lines"`
	}
	if err := json.Unmarshal([]byte(pc.Result), &got); err != nil {
		t.Fatalf("check result %q: %v", pc.Result, err)
	}
	if got.Viewport != width || got.ScrollWidth > got.Viewport {
		t.Errorf("the page is %g px wide in a %g px viewport (want %d)", got.ScrollWidth, got.Viewport, width)
	}
	if got.H1Left < 0 || got.H1Right > got.Viewport {
		t.Errorf("the title spans %g-%g px, outside the %g px viewport", got.H1Left, got.H1Right, got.Viewport)
	}
	if len(got.Broken) > 0 {
		t.Errorf("lines end mid-word (| marks the break):\n%s", strings.Join(got.Broken, "\n"))
	}
	// The check must have had something to check: the labels card's long
	// table name cannot fit on one line of a card at this width.
	wrapped := false
	for _, l := range got.Lines {
		wrapped = wrapped || strings.Contains(l.Text, "sustainability_tech_deployment.labels") && l.Lines > 1
	}
	if !wrapped {
		t.Errorf("no card wraps the long table name at %d px: %+v", width, got.Lines)
	}
}

// longNamedFilter is the eval_tiny filter renamed, in a temporary folder.
func longNamedFilter(t *testing.T, name string) *filters.Filter {
	t.Helper()
	src := evaltest.FilterDir(t)
	dir := filepath.Join(t.TempDir(), name, "v1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == filters.ConfigFile {
			data = []byte(strings.Replace(string(data), "name: eval_tiny", "name: "+name, 1))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := filters.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != name {
		t.Fatalf("filter name %q, want %q", f.Name, name)
	}
	return f
}
