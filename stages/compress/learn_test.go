package compress_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/prefilter"
)

const (
	siteMenu   = "Menu Home World Politics Business Tech Science Sports Opinion Newsletters"
	siteFooter = "Follow us on Facebook Follow us on X. Copyright 2024 Example Media. All rights reserved. Privacy Policy Cookie Settings"
)

// sitePages writes n pages of one site (ids from first): the site's menu and
// footer around an article of sentences made of random words, one line.
func sitePages(t *testing.T, dir string, first, n int) string {
	t.Helper()
	var b strings.Builder
	for i := first; i < first+n; i++ {
		art := randomArticle(uint64(i), 7, 12, 9, 5000)
		fmt.Fprintf(&b, `{"id": "p%03d", "title": "Page %d", "source": "example.org", "content": %q}`+"\n",
			i, i, siteMenu+" "+strings.Join(art, " ")+" "+siteFooter)
	}
	p := filepath.Join(dir, fmt.Sprintf("pages-%d.jsonl", first))
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// randomArticle is n sentences of words random words each (w0 … w<vocab>),
// from the seed: text no two pages share, so none of it is furniture.
func randomArticle(seed, stream uint64, n, words, vocab int) []string {
	rng := rand.New(rand.NewPCG(seed, stream))
	art := make([]string, n)
	for i := range art {
		w := make([]string, words)
		for j := range w {
			w[j] = fmt.Sprintf("w%d", rng.IntN(vocab))
		}
		art[i] = strings.Join(w, " ") + "."
	}
	return art
}

func compressPages(t *testing.T, l *lake.Lake, f *filters.Filter, path string, full bool) *compress.Result {
	t.Helper()
	ctx := context.Background()
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{path}}); err != nil {
		t.Fatal(err)
	}
	if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	res, err := compress.Run(ctx, l, compress.Options{Filter: f, Full: full})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The model is learned when a source first has enough pages, kept while it
// grows by less than a quarter, learned again past that; texts cut before
// keep their text and their version (their labels and splits stay valid),
// new ones get the new model, and --full cuts them all with it.
func TestRun_LearnsBoilerplateAsSourcesGrow(t *testing.T) {
	dir := t.TempDir()
	l := testutil.NewLake(t)
	f := caseFilter(t, filepath.Join("testdata", "own_budget"))
	f.Compression.MaxWords = 0 // whole texts: what was cut shows
	q := func(sql string) []string { return testutil.QueryStrings(t, l, sql) }
	table := spec.Compressed.For(f).String()

	res := compressPages(t, l, f, sitePages(t, dir, 0, 5), false)
	if res.BoilerplateLearned != 0 || res.Cut != 0 {
		t.Fatalf("5 pages: learned %d sources, cut %d texts; want none (too few pages)", res.BoilerplateLearned, res.Cut)
	}
	res = compressPages(t, l, f, sitePages(t, dir, 5, 15), false)
	if res.BoilerplateLearned != 1 || res.Cut != 15 || res.BoilerplateSeq != 1 || res.OlderModel != 5 {
		t.Fatalf("20 pages: learned %d, cut %d of the 15 new, boilerplate@%d, %d texts cut before the model; want 1, 15, @1, 5",
			res.BoilerplateLearned, res.Cut, res.BoilerplateSeq, res.OlderModel)
	}
	if d := strings.Join(res.Details(), "\n"); !strings.Contains(d, "5 texts cut by an older model of their source") {
		t.Errorf("the run does not say that 5 texts were cut before the model: %s", d)
	}
	if n := q("SELECT count(*) FROM " + table + " WHERE text LIKE '%All rights reserved%' AND boilerplate_version IS NOT NULL"); n[0] != "0" {
		t.Errorf("%s texts cut with the model still hold the footer", n[0])
	}
	if n := q("SELECT count(*) FROM " + table + " WHERE text LIKE '%All rights reserved%' AND boilerplate_version IS NULL"); n[0] != "5" {
		t.Errorf("the 5 pages compressed before the model: %s still hold the footer, want 5 (kept as they were)", n[0])
	}
	before := q("SELECT boilerplate_version FROM " + table + " WHERE id = 'p010'")[0]

	res = compressPages(t, l, f, sitePages(t, dir, 20, 3), false) // +15%: the model is kept
	if res.BoilerplateLearned != 0 || res.BoilerplateSeq != 1 || res.Cut != 3 {
		t.Errorf("+3 pages: learned %d, boilerplate@%d, cut %d; want 0, @1, 3", res.BoilerplateLearned, res.BoilerplateSeq, res.Cut)
	}
	res = compressPages(t, l, f, sitePages(t, dir, 23, 10), false) // 33 pages, +43% since learned
	if res.BoilerplateLearned != 1 || res.BoilerplateSeq != 2 || res.RowsOut != 10 {
		t.Errorf("+10 pages: learned %d, boilerplate@%d, %d rendered; want 1, @2, 10 (only the new)", res.BoilerplateLearned, res.BoilerplateSeq, res.RowsOut)
	}
	if got := q("SELECT boilerplate_version || ' ' || boilerplate_sequence FROM " + table + " WHERE id = 'p010'")[0]; got != before+" 1" {
		t.Errorf("p010 after the model was learned again: %q, want %q (its text and version kept)", got, before+" 1")
	}
	if got := q("SELECT count(DISTINCT boilerplate_sequence) FROM " + table + " WHERE boilerplate_version IS NOT NULL")[0]; got != "2" {
		t.Errorf("texts cut by %s boilerplate snapshots, want 2", got)
	}

	res = compressPages(t, l, f, sitePages(t, dir, 33, 1), true) // --full: every text with the current model
	if res.Cut != 34 || res.Mode != "full" || res.OlderModel != 0 {
		t.Errorf("--full: cut %d of 34 (%s), %d texts left cut by an older model", res.Cut, res.Mode, res.OlderModel)
	}
	if n := q("SELECT count(*) FROM " + table + " WHERE text LIKE '%All rights reserved%' OR text LIKE '%Politics Business%'"); n[0] != "0" {
		t.Errorf("after --full %s texts hold the menu or footer", n[0])
	}
}

// A corpus whose articles are made of the same sentences (templated pages)
// is not emptied: the model would leave nearly nothing of each page, so the
// rules alone cut it.
func TestRun_TemplatedPagesAreNotEmptied(t *testing.T) {
	var pages []string
	for i := range 40 {
		pages = append(pages, fmt.Sprintf("Plant %d opened on Monday. It holds enough energy for a small town of people. "+
			"Officials said the project was on schedule and on budget. Analysts expect more such plants to open next year.", i))
	}
	m := compress.LearnSource("templated", pages)
	if m == nil || len(m.Shingles) == 0 {
		t.Fatal("the templated pages' sentences were not learned as furniture: the test tests nothing")
	}
	if spans := m.Spans(pages[0]); len(spans) == 0 {
		t.Fatal("Spans finds nothing on a templated page")
	}
	if cut := m.Cut(pages[0]); cut != nil {
		t.Errorf("Cut would cut %v of a page it all but empties", cut)
	}
	settings := compress.Settings{MaxWords: 800, HeadShare: 0.7, Learn: true, Model: &compress.Model{Sources: map[string]*compress.SourceModel{"templated": m}}}
	r := compress.Render(compress.Article{Source: "templated", Content: pages[0]}, settings)
	if r.BoilerplateCut || !strings.Contains(r.Text, "Officials said") {
		t.Errorf("rendered %q (cut %v): want the page whole, by the rules alone", r.Text, r.BoilerplateCut)
	}
}

// Two filters compressing at once over the same corpus learn its
// boilerplate once: the second waits for the first's model and reads it.
func TestRun_TwoFiltersAtOnceLearnOnce(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{testutil.Shared(t, aiTechPath)}}); err != nil {
		t.Fatal(err)
	}
	fs := []*filters.Filter{load(t), testutil.Filter(t, "filters/uplifting/v1")}
	for _, f := range fs {
		if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
			t.Fatal(err)
		}
	}
	results := make([]*compress.Result, len(fs))
	errs := make(chan error, len(fs))
	for i, f := range fs {
		go func() {
			var err error
			results[i], err = compress.Run(ctx, l, compress.Options{Filter: f, Waiting: func(string) {}})
			errs <- err
		}()
	}
	for range fs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := l.Snapshots(ctx, spec.Boilerplate.For(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 || results[0].BoilerplateLearned+results[1].BoilerplateLearned != 14 {
		t.Errorf("%d snapshots of corpus.boilerplate, %d+%d sources learned; want 1 snapshot, the 14 sources of 10 pages or more learned once",
			len(snaps), results[0].BoilerplateLearned, results[1].BoilerplateLearned)
	}
	for i, f := range fs {
		n := testutil.QueryStrings(t, l, "SELECT count(*) FROM "+spec.Compressed.For(f).String()+" WHERE boilerplate_sequence <> 1")[0]
		if n != "0" || results[i].BoilerplateSeq != 1 {
			t.Errorf("%s: %s texts cut with another model than boilerplate@1 (run says @%d)", f.Name, n, results[i].BoilerplateSeq)
		}
	}
}

// The head and tail are chosen from the cleaned body: a page longer than
// max_words ends with the article's last sentence, not the site's footer,
// and opens with the article, not the menu. The rules alone (a one-line
// page: no line is furniture) keep both.
func TestRender_TailIsTheArticlesEnding(t *testing.T) {
	var pages []string
	var first, last []string
	for i := range 30 {
		art := randomArticle(uint64(i), 9, 80, 8, 99999)
		first, last = append(first, art[0]), append(last, art[len(art)-1])
		pages = append(pages, siteMenu+" "+strings.Join(art, " ")+" "+siteFooter)
	}
	m := &compress.Model{Sources: map[string]*compress.SourceModel{"example.org": compress.LearnSource("example.org", pages)}}
	a := compress.Article{Title: "Page 3", Source: "example.org", Content: pages[3]}
	for _, learn := range []bool{true, false} {
		r := compress.Render(a, compress.Settings{MaxWords: 200, HeadShare: 0.7, Learn: learn, Model: m})
		body := compress.Body(r.Text)
		opens, ends := strings.HasPrefix(body, first[3]), strings.HasSuffix(r.Text, last[3])
		if !r.Truncated || r.Words > 200 {
			t.Fatalf("learn %v: %d words, truncated %v: the page is to be cut", learn, r.Words, r.Truncated)
		}
		if learn && (!ends || !opens || !r.BoilerplateCut) {
			t.Errorf("learned: the text opens %q and ends %q; want the article's first and last sentences", body[:60], r.Text[len(r.Text)-60:])
		}
		if !learn && (ends || opens) {
			t.Errorf("rules alone: the text opens with the article (%v) or ends with it (%v): the test does not test the learned cut", opens, ends)
		}
	}
}
