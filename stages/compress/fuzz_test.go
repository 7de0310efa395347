package compress

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzModel is furniture learned from twelve pages of one site: a menu and
// a footer around different articles.
var fuzzModel = func() *Model {
	var pages []string
	for i := range 12 {
		pages = append(pages, "Menu Home News Sport Weather "+strings.Repeat(string(rune('a'+i))+"x ", 20+i)+
			"Follow us on X. © 2024 Site. All rights reserved.")
	}
	return &Model{Sources: map[string]*SourceModel{"site": LearnSource("site", pages)}}
}()

// FuzzRender: whatever the article, Render never panics and keeps its
// promises: at most MaxWords words, header and marker included; Words is the
// text's word count; valid UTF-8 in, valid UTF-8 out; the same text twice.
// The learned spans and what Removed reports are ordered, disjoint ranges
// of the content on UTF-8 boundaries.
func FuzzRender(f *testing.F) {
	f.Add("A title", "site", "Menu Home News Sport Weather The plant opened. It is big.\nFollow us on X. © 2024 Site. All rights reserved.", 60)
	f.Add(strings.Repeat("t ", 100), "site", strings.Repeat("Long sentence here. ", 200), 50)
	f.Add("", "", "太阳能。电池。", 800)
	f.Add("x", "site", "Menu Home News Sport Weather", 0)
	// An article long enough for the learned cut to be made (the model
	// leaves a page it would all but empty whole).
	f.Add("t", "site", "Menu Home News Sport Weather "+strings.Repeat("The new plant runs on wind and sun all year. ", 12)+
		"Follow us on X. © 2024 Site. All rights reserved.", 0)
	f.Fuzz(func(t *testing.T, title, source, content string, maxWords int) {
		if maxWords > 0 && maxWords < 50 || maxWords > 5000 {
			return // filter validation allows 0 (no limit) or 50 and more
		}
		s := Settings{MaxWords: maxWords, HeadShare: 0.7, Learn: true, Model: fuzzModel}
		a := Article{Title: title, Source: source, Content: content}
		r := Render(a, s)
		if maxWords > 0 && r.Words > maxWords {
			t.Fatalf("%d words, max_words %d", r.Words, maxWords)
		}
		if r.Words != countWords(r.Text) {
			t.Fatalf("Words %d, text has %d", r.Words, countWords(r.Text))
		}
		if utf8.ValidString(title) && utf8.ValidString(source) && utf8.ValidString(content) && !utf8.ValidString(r.Text) {
			t.Fatalf("text %q is not UTF-8", r.Text)
		}
		if again := Render(a, s); again != r {
			t.Fatal("two renders differ")
		}
		check := func(what string, spans []Span) {
			end := 0
			for _, sp := range spans {
				if sp.Start < end || sp.End < sp.Start || sp.End > len(content) {
					t.Fatalf("%s: %v out of order or bounds (content %d bytes)", what, spans, len(content))
				}
				if utf8.ValidString(content) && (!utf8.ValidString(content[:sp.Start]) || !utf8.ValidString(content[sp.End:])) {
					t.Fatalf("%s: %v splits a character", what, sp)
				}
				end = sp.End
			}
		}
		check("Spans", fuzzModel.Sources["site"].Spans(content))
		removed := Removed(Article{Dataset: source, Content: content}, s)
		check("Removed", removed)
		// Removed is what Render cuts: the content with those ranges made
		// line breaks renders, by the rules alone, to the same text (the
		// model keyed by the dataset: a source would be a header line).
		learned := Render(Article{Dataset: source, Content: content}, Settings{Learn: true, Model: fuzzModel, HeadShare: 0.7})
		var b strings.Builder
		last := 0
		for _, sp := range removed {
			b.WriteString(content[last:sp.Start])
			b.WriteByte('\n')
			last = sp.End
		}
		b.WriteString(content[last:])
		if plain := Render(Article{Dataset: source, Content: b.String()}, Settings{HeadShare: 0.7}); plain.Text != learned.Text {
			t.Fatalf("Render cuts other than Removed:\nlearned %q\nRemoved %q", learned.Text, plain.Text)
		}
	})
}
