package compress_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/prefilter"
)

// aiTechLake is a lake holding the ai-tech sample, prefiltered with f.
func aiTechLake(t *testing.T) *lake.Lake {
	t.Helper()
	ctx := context.Background()
	l := testutil.NewLake(t)
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: load(t)}); err != nil {
		t.Fatal(err)
	}
	return l
}

// seqs is the current snapshot of each table named, 0 for none.
func seqs(t *testing.T, l *lake.Lake, names ...lake.TableName) []int64 {
	t.Helper()
	out := make([]int64, len(names))
	for i, n := range names {
		if ok, _ := l.Exists(context.Background(), n); !ok {
			continue
		}
		s, err := l.Current(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		if s != nil {
			out[i] = s.Seq
		}
	}
	return out
}

func TestWhatIf_RulesAgainstLearnedModel(t *testing.T) {
	ctx := context.Background()
	l := aiTechLake(t)
	f := load(t)
	if _, err := compress.WhatIf(ctx, l, compress.WhatIfOptions{Filter: f}); !errors.Is(err, compress.ErrNoCompressed) || !errors.Is(err, spec.ErrNotReady) {
		t.Fatalf("what-if before compress: %v, want ErrNoCompressed", err)
	}
	run, err := compress.Run(ctx, l, compress.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	tables := []lake.TableName{spec.Compressed.For(f), spec.Boilerplate.For(nil)}
	was := seqs(t, l, tables...)
	opts := compress.WhatIfOptions{Filter: f, Sample: 3, Estimator: label.Estimator{Filter: f}}
	res, err := compress.WhatIf(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(t, l, tables...); got[0] != was[0] || got[1] != was[1] {
		t.Errorf("what-if wrote: snapshots %v, were %v", got, was)
	}
	if res.Articles != run.RowsOut || res.NotInRaw != 0 || res.BoilerplateSeq != run.BoilerplateSeq || res.LearnedInMemory != 0 {
		t.Errorf("articles %d of %d compressed, boilerplate@%d (compress cut with @%d), %d learned in memory", res.Articles, run.RowsOut, res.BoilerplateSeq, run.BoilerplateSeq, res.LearnedInMemory)
	}
	if strings.Contains(res.Before, "learned") || !strings.Contains(res.After, "+learned:") {
		t.Errorf("methods %q -> %q: want the rules alone, then with the learned model", res.Before, res.After)
	}
	// The learned model only removes text: every figure falls, and most
	// scraped pages change.
	if res.Changed < res.Articles/2 || res.WordsAfter > res.WordsBefore || res.TokensAfter >= res.TokensBefore || res.CostAfter >= res.CostBefore || !res.Priced {
		t.Errorf("changed %d of %d; words %d -> %d; tokens %d -> %d; $%g -> $%g (priced %v)", res.Changed, res.Articles, res.WordsBefore, res.WordsAfter, res.TokensBefore, res.TokensAfter, res.CostBefore, res.CostAfter, res.Priced)
	}
	if res.MeanWordsBefore*float64(res.Articles) < float64(res.WordsBefore)-0.5 || res.Model != f.Oracle.Model {
		t.Errorf("mean words %g of %d articles, model %q", res.MeanWordsBefore, res.Articles, res.Model)
	}
	// The figures agree with the text compress stored (the learned model).
	var stored int64
	sess, _ := l.Session(ctx, f.Namespace())
	defer sess.Close()
	if err := sess.QueryRow(ctx, "SELECT sum(words) FROM compressed", &stored); err != nil || stored != res.WordsAfter {
		t.Errorf("words after %d, compress stored %d (%v)", res.WordsAfter, stored, err)
	}
	if len(res.Sample) != 3 {
		t.Fatalf("sample of %d, want 3", len(res.Sample))
	}
	for _, s := range res.Sample {
		// A text under max_words either way can grow: what the furniture
		// took goes to the article.
		if !s.Changed || s.TokensAfter == 0 || !strings.Contains(s.Marked, "⟦") || strings.Contains(s.Marked, "⟪") {
			t.Errorf("sampled %s: changed %v, words %d -> %d, tokens %d -> %d, marked %.200q", s.ID, s.Changed, s.WordsBefore, s.WordsAfter, s.TokensBefore, s.TokensAfter, s.Marked)
		}
		if n := len(strings.Fields(s.Marked)); n > 2*compress.ExcerptWords+6 {
			t.Errorf("sampled %s: %d words shown, want at most about %d", s.ID, n, 2*compress.ExcerptWords)
		}
	}
	again, err := compress.WhatIf(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Sample {
		if again.Sample[i].ID != res.Sample[i].ID || again.Sample[i].Marked != res.Sample[i].Marked {
			t.Errorf("sample %d: %s then %s: not deterministic", i, res.Sample[i].ID, again.Sample[i].ID)
		}
	}

	// Against itself, nothing changes.
	same, err := compress.WhatIf(ctx, l, compress.WhatIfOptions{Filter: f, Other: f, Estimator: label.Estimator{Filter: f}})
	if err != nil {
		t.Fatal(err)
	}
	if same.Changed != 0 || same.WordsAfter != same.WordsBefore || same.TokensAfter != same.TokensBefore || same.Before != same.After || len(same.Sample) != compress.WhatIfSample {
		t.Errorf("the filter against itself: %d changed, words %d -> %d, %q -> %q, sample of %d", same.Changed, same.WordsBefore, same.WordsAfter, same.Before, same.After, len(same.Sample))
	}
}

// Compressed without learning, the lake has no boilerplate model: what-if
// learns it in memory and writes nothing.
func TestWhatIf_NoModelYet(t *testing.T) {
	ctx := context.Background()
	l := aiTechLake(t)
	f := load(t)
	off := false
	f.Compression.LearnBoilerplate = &off
	if _, err := compress.Run(ctx, l, compress.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	res, err := compress.WhatIf(ctx, l, compress.WhatIfOptions{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := l.Exists(ctx, spec.Boilerplate.For(nil)); ok {
		t.Error("what-if created corpus.boilerplate")
	}
	if res.BoilerplateSeq != 0 || res.LearnedInMemory == 0 || res.Changed == 0 || res.WordsAfter >= res.WordsBefore || len(res.Notes) != 2 {
		t.Errorf("boilerplate@%d, %d sources learned in memory, %d changed, words %d -> %d, notes %q", res.BoilerplateSeq, res.LearnedInMemory, res.Changed, res.WordsBefore, res.WordsAfter, res.Notes)
	}
	if res.TokensBefore != 0 || res.Model != "" {
		t.Errorf("no estimator, yet tokens %d and model %q", res.TokensBefore, res.Model)
	}
}

func TestMarkText(t *testing.T) {
	content := "Menu Home News. The article says this. Footer text here"
	cut := []compress.Span{{0, 15}, {39, len(content)}}
	was := []compress.Span{{5, 15}, {16, 27}}
	got := compress.PlainMarks(compress.MarkText(content, cut, was, 60))
	want := "⟦Menu Home News.⟧ ⟪The article⟫ says this. ⟦Footer text here⟧"
	if got != want {
		t.Errorf("marked:\n got %q\nwant %q", got, want)
	}
	// A span edge inside a run of letters splits it.
	if got := compress.PlainMarks(compress.MarkText("abcdef", []compress.Span{{3, 6}}, nil, 60)); got != "abc ⟦def⟧" {
		t.Errorf("split word: %q", got)
	}
	long := strings.Repeat("w ", 200)
	got = compress.PlainMarks(compress.MarkText(long, []compress.Span{{0, 4}}, nil, 10))
	if !strings.HasPrefix(got, "⟦w w⟧ w") || !strings.Contains(got, " … 180 words … ") || len(strings.Fields(got)) != 20+4 {
		t.Errorf("elided: %q", got)
	}
}
