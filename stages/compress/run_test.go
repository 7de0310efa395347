package compress_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/lang"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/prefilter"
)

func load(t testing.TB) *filters.Filter {
	t.Helper()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	return f
}

// The oracle's prompt and the training text come from the same stored text.
func TestRun_PromptIsBuiltFromCompressedText(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz")}}); err != nil {
		t.Fatal(err)
	}
	f := load(t)
	if _, err := compress.Run(ctx, l, compress.Options{Filter: f}); err == nil {
		t.Error("compress before prefilter: want an error")
	}
	pre, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	res, err := compress.Run(ctx, l, compress.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsIn != pre.Passed || res.RowsOut != pre.Passed || res.Truncated == 0 || res.Mode != "full" {
		t.Errorf("compressed %d of %d passed (%+v)", res.RowsOut, pre.Passed, res)
	}
	again, _ := compress.Run(ctx, l, compress.Options{Filter: f})
	if again.RowsIn != pre.Passed || again.RowsOut != 0 || again.AlreadyRendered != pre.Passed || again.Mode != "none" {
		t.Errorf("rerun compressed again: %+v", again)
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var id, text, title, source, date, content string
	var seq int64
	err = sess.QueryRow(ctx, `SELECT c.id, c.text, r.title, r.source, coalesce(r.published_date, ''), r.content, c.boilerplate_sequence
		FROM compressed c JOIN corpus.raw r USING (id) WHERE c.truncated AND c.boilerplate_version IS NOT NULL ORDER BY c.id LIMIT 1`, &id, &text, &title, &source, &date, &content, &seq)
	if err != nil {
		t.Fatal(err)
	}
	// The text is made again from the article and the boilerplate snapshot
	// the row names: without that model it differs.
	settings, _ := compress.SettingsFor(f)
	a := compress.Article{Title: title, Source: source, PublishedDate: date, Content: content}
	if plain := compress.Render(a, settings); plain.Text == text {
		t.Errorf("the text of %s is the same without the learned boilerplate", id)
	}
	if settings.Model, err = compress.ReadModel(ctx, l, seq); err != nil {
		t.Fatal(err)
	}
	if again := compress.Render(a, settings); again.Text != text {
		t.Errorf("stored text of %s differs from Render's output", id)
	}
	prompt := f.RenderPrompt(text)
	if !strings.Contains(prompt, text) || strings.Contains(prompt, filters.Placeholder) || !strings.HasPrefix(prompt, f.Prompt[:40]) {
		t.Error("the prompt is not prompt.md with the stored text in place of the placeholder")
	}
	var bad int64
	if err := sess.QueryRow(ctx, `SELECT count(*) FROM compressed WHERE text_sha256 <> sha256(text) OR words > 800`, &bad); err != nil || bad != 0 {
		t.Errorf("%d rows with a wrong hash or over the word budget (%v)", bad, err)
	}
}

// aiTech is the ai-tech sample as articles, in id order.
func aiTech(b *testing.B) []compress.Article {
	pages := aiTechPages(b)
	ids := make([]string, 0, len(pages))
	for id := range pages {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return len(ids[i]) < len(ids[j]) || len(ids[i]) == len(ids[j]) && ids[i] < ids[j] })
	out := make([]compress.Article, len(ids))
	for i, id := range ids {
		p := pages[id]
		out[i] = compress.Article{Title: p.title, Content: p.text, Source: p.source}
	}
	return out
}

// benchSettings are the sustainability filter's, with the boilerplate
// learned from the ai-tech sample.
func benchSettings(b *testing.B) compress.Settings {
	settings, err := compress.SettingsFor(load(b))
	if err != nil {
		b.Fatal(err)
	}
	settings.Model = learnedModel(b)
	return settings
}

// BenchmarkRender renders the real ai-tech sample (scraped pages of up to
// 60,000 characters) on one core, with the boilerplate learned from it, and
// reports articles/s.
func BenchmarkRender(b *testing.B) {
	arts, settings := aiTech(b), benchSettings(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		compress.Render(arts[i%len(arts)], settings)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkCompressArticle is all compress does for one article besides
// reading and writing rows: Render with the learned boilerplate, the
// language and the MinHash signature.
func BenchmarkCompressArticle(b *testing.B) {
	arts, settings := aiTech(b), benchSettings(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := arts[i%len(arts)]
		r := compress.Render(a, settings)
		lang.Detect(a.Title + "\n" + compress.Body(r.Text))
		compress.Signature(r.Text)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkLearn learns the boilerplate of the whole ai-tech sample (5,129
// pages, 16 sources), one source after another on one core.
func BenchmarkLearn(b *testing.B) {
	bySource := map[string][]string{}
	for _, a := range aiTech(b) {
		bySource[a.Source] = append(bySource[a.Source], a.Content)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for src, pages := range bySource {
			compress.LearnSource(src, pages)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/learn")
}
