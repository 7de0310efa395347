package compress

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var settings = Settings{MaxWords: 100, HeadShare: 0.7}

func TestRender_ShortTextKeptWhole(t *testing.T) {
	r := Render(Article{Title: "Solar farm opens", Source: "pv_magazine", PublishedDate: "2025-01-15", Content: "The farm opened. It has 300 MW.\n\nLocals cheered."}, settings)
	want := "Title: Solar farm opens\nSource: pv_magazine\nDate: 2025-01-15\n\nThe farm opened. It has 300 MW.\n\nLocals cheered."
	if r.Text != want || r.Truncated {
		t.Errorf("text = %q (truncated %v), want %q", r.Text, r.Truncated, want)
	}
	if r.Words != countWords(want) || r.Chars != utf8.RuneCountInString(want) {
		t.Errorf("words %d chars %d", r.Words, r.Chars)
	}
}

func sentencesN(n int, word string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat(word+" ", 9) + word + ". ")
	}
	return b.String()
}

func TestRender_HeadAndTailAtSentenceBoundaries(t *testing.T) {
	content := "LEAD " + sentencesN(30, "middle") + "\n\nThe closing line ends here."
	r := Render(Article{Title: "T", Content: content}, settings)
	if !r.Truncated || !strings.Contains(r.Text, Marker) {
		t.Fatalf("not truncated: %q", r.Text)
	}
	head, tail, _ := strings.Cut(r.Text, Marker)
	if !strings.Contains(head, "LEAD") || !strings.HasSuffix(strings.TrimSpace(tail), "The closing line ends here.") {
		t.Errorf("lead or closing lost:\n%s", r.Text)
	}
	if !strings.HasSuffix(strings.TrimSpace(head), ".") {
		t.Errorf("head not cut at a sentence boundary: %q", head)
	}
	if body := countWords(r.Text) - countWords("Title: T") - 1; body > settings.MaxWords {
		t.Errorf("%d body words, want at most %d", body, settings.MaxWords)
	}
	if r2 := Render(Article{Title: "T", Content: content}, settings); r2 != r {
		t.Error("not deterministic")
	}
}

// Words is what countWords says of the whole text, however it was computed.
func TestRender_WordCountMatchesText(t *testing.T) {
	for _, c := range []string{"short one.", "LEAD " + sentencesN(30, "middle") + "\n\nEnd.", strings.Repeat("word ", 500), strings.Repeat("太阳能。", 100)} {
		r := Render(Article{Title: "A title", Source: "s", Content: c}, settings)
		if want := countWords(r.Text); r.Words != want {
			t.Errorf("Words = %d, countWords(text) = %d for %q…", r.Words, want, c[:10])
		}
	}
}

func TestRender_NoPunctuationOneGiantParagraph(t *testing.T) {
	content := strings.Repeat("word ", 5000)
	r := Render(Article{Title: "T", Content: content}, settings)
	if !r.Truncated || r.Words > settings.MaxWords+10 || !strings.Contains(r.Text, Marker) {
		t.Errorf("giant paragraph: %d words, truncated %v", r.Words, r.Truncated)
	}
}

func TestRender_CJK(t *testing.T) {
	content := strings.Repeat("太阳能发电站已经投入运营。", 60) // 60 sentences of 13 characters, no spaces
	r := Render(Article{Title: "太阳能", Content: content}, settings)
	if !r.Truncated || !strings.Contains(r.Text, Marker) {
		t.Fatalf("CJK text not cut: %d words", r.Words)
	}
	head, _, _ := strings.Cut(r.Text, Marker)
	if !strings.HasSuffix(strings.TrimSpace(head), "。") {
		t.Errorf("CJK head not cut at a full stop: %q", head)
	}
	if !utf8.ValidString(r.Text) {
		t.Error("invalid UTF-8 after cutting CJK")
	}
}

func TestRender_Boilerplate(t *testing.T) {
	content := "Skip to main content\nShare this article\nThe plant opened in May.\nAdvertisement\nIt runs on wind.\nSign up for our newsletter and get updates\nFeatured Topics Newsletters Events"
	s := settings
	s.Boilerplate = []*regexp.Regexp{regexp.MustCompile(`(?i)^featured topics`)}
	r := Render(Article{Content: content}, s)
	if r.Text != "The plant opened in May.\n\nIt runs on wind." {
		t.Errorf("boilerplate kept: %q", r.Text)
	}
}

func TestSentences_Abbreviations(t *testing.T) {
	sents, _ := sentences([]string{"Mr. Smith met Dr. Jones in the U.S. today. They agreed."})
	if len(sents) != 2 {
		var got []string
		for _, s := range sents {
			got = append(got, s.text)
		}
		t.Errorf("sentences = %q", got)
	}
}

// A title of a megabyte (an article pasted into the title field) is cut in
// the model input: the header stays within MaxHeaderWords and
// MaxHeaderChars, and the whole input within MaxWords plus the header's cap.
func TestRender_LongTitleCapped(t *testing.T) {
	title := strings.Repeat("word ", 1<<20/5)
	r := Render(Article{Title: title, Source: strings.Repeat("s", 5000), Content: sentencesN(30, "body")}, settings)
	line, _, _ := strings.Cut(r.Text, "\n")
	if n := utf8.RuneCountInString(line); n > len("Title: ")+MaxHeaderChars+len(" "+Marker) {
		t.Errorf("title line of %d characters, want at most %d", n, MaxHeaderChars)
	}
	if !strings.HasSuffix(line, "word "+Marker) {
		t.Errorf("title line does not end with a whole word and the marker: …%q", line[max(0, len(line)-40):])
	}
	// max_words bounds the whole text: header and marker included.
	for _, mw := range []int{50, 60, 100, 800} {
		s := Settings{MaxWords: mw, HeadShare: 0.7}
		long := Article{Title: title, Source: strings.Repeat("src ", 500), PublishedDate: strings.Repeat("2024 ", 500), Content: sentencesN(400, "body")}
		if r := Render(long, s); r.Words > mw || r.Words != countWords(r.Text) || !r.Truncated {
			t.Errorf("max_words %d: %d words (text has %d), truncated %v", mw, r.Words, countWords(r.Text), r.Truncated)
		}
	}
	if r.Words != countWords(r.Text) {
		t.Errorf("words = %d, text has %d", r.Words, countWords(r.Text))
	}
	for _, short := range []string{"Solar farm opens", strings.TrimSpace(strings.Repeat("w ", MaxHeaderWords))} {
		if got := headerLine(short, MaxHeaderWords); got != short {
			t.Errorf("headerLine(%q) = %q, want it unchanged", short, got)
		}
	}
}
