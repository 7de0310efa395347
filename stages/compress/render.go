package compress

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/distillery/distillery/filters"
)

// Marker stands where text was cut out of the middle of an article.
const Marker = "[…]"

// RenderVersion changes whenever Render's output for the same input changes;
// it is part of Method, so stored texts say which rendering made them.
const RenderVersion = 1

// Article is what the model input is made from.
type Article struct {
	Title, Source, PublishedDate, Content string
}

// Settings say how to cut text down.
type Settings struct {
	MaxWords    int
	HeadShare   float64
	Boilerplate []*regexp.Regexp
}

// SettingsFor compiles a filter's compression settings.
func SettingsFor(f *filters.Filter) (Settings, error) {
	s := Settings{MaxWords: f.Compression.MaxWords, HeadShare: f.Compression.HeadShare}
	for _, p := range f.Compression.Boilerplate {
		re, err := regexp.Compile(p)
		if err != nil {
			return s, fmt.Errorf("compression.boilerplate %q: %w", p, err)
		}
		s.Boilerplate = append(s.Boilerplate, re)
	}
	return s, nil
}

// Method names the rendering and its settings, e.g. head_tail:v1:800:0.70.
func (s Settings) Method() string {
	m := fmt.Sprintf("head_tail:v%d:%d:%.2f", RenderVersion, s.MaxWords, s.HeadShare)
	if len(s.Boilerplate) > 0 {
		m += fmt.Sprintf(":%d_boilerplate_rules", len(s.Boilerplate))
	}
	return m
}

// Rendered is the model input for one article.
type Rendered struct {
	Text      string
	Words     int
	Chars     int
	Truncated bool
}

// Render makes the model input from an article: a header (title, source,
// date), then the body with boilerplate lines removed and, when it is longer
// than MaxWords, cut at sentence boundaries to its lead (HeadShare of the
// words) and its closing part, with Marker where text was cut.
//
// This is the only function that renders model input: the oracle's prompt
// and the student's training text are both made from its output.
func Render(a Article, s Settings) Rendered {
	var b strings.Builder
	if t := oneLine(a.Title); t != "" {
		b.WriteString("Title: " + t + "\n")
	}
	if src := oneLine(a.Source); src != "" {
		b.WriteString("Source: " + src + "\n")
	}
	if d := oneLine(a.PublishedDate); d != "" {
		b.WriteString("Date: " + d + "\n")
	}
	paras := cleanParagraphs(a.Content, s.Boilerplate)
	sents, total := sentences(paras)
	truncated := s.MaxWords > 0 && total > s.MaxWords
	if b.Len() > 0 && len(sents) > 0 {
		b.WriteByte('\n')
	}
	if !truncated {
		writeSentences(&b, sents)
	} else {
		headBudget := int(float64(s.MaxWords)*s.HeadShare + 0.5)
		tailBudget := s.MaxWords - headBudget
		head := takeHead(sents, headBudget)
		tail := takeTail(sents[len(head):], tailBudget)
		if len(head) == 0 && len(sents) > 0 {
			// One giant sentence: cut it at a word boundary.
			head = []sentence{{text: firstWords(sents[0].text, headBudget), words: headBudget}}
		}
		writeSentences(&b, head)
		b.WriteString("\n\n" + Marker + "\n\n")
		writeSentences(&b, tail)
	}
	text := strings.TrimRight(b.String(), " \n")
	return Rendered{Text: text, Words: countWords(text), Chars: utf8.RuneCountInString(text), Truncated: truncated}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// boilerplateLines are whole lines that are site furniture, not article text.
var boilerplateLines = map[string]bool{
	"advertisement": true, "share this article": true, "share": true, "share on facebook": true,
	"share on twitter": true, "tweet": true, "email": true, "print": true, "read more": true,
	"related articles": true, "related": true, "sign up for our newsletter": true, "subscribe": true,
	"follow us": true, "skip to content": true, "skip to main content": true, "menu": true,
	"accept cookies": true, "we use cookies": true, "cookie policy": true, "comments": true,
	"most popular": true, "trending": true, "sponsored": true, "log in": true, "sign in": true,
}

var boilerplateStarts = []string{"sign up for", "subscribe to our", "follow us on", "share this", "click here to",
	"we use cookies", "by continuing to use", "this article was originally published", "read more:", "related:", "image:", "photo:", "copyright ©", "© ",
	"open navigation menu", "close alert", "to revisit this article", "to revist this article", "save this story"}

// cleanParagraphs splits content into paragraphs (non-empty lines) and
// drops boilerplate lines: short lines that are site furniture.
func cleanParagraphs(content string, extra []*regexp.Regexp) []string {
	content = strings.ReplaceAll(content, "\r\n", "\n")
	var out []string
	for line := range strings.SplitSeq(content, "\n") {
		t := oneLine(line)
		if t == "" {
			continue
		}
		if len(t) < 160 && isBoilerplate(t, extra) {
			continue
		}
		out = append(out, t)
	}
	return out
}

func isBoilerplate(t string, extra []*regexp.Regexp) bool {
	l := strings.ToLower(strings.TrimRight(t, ".:!|»›>- "))
	if boilerplateLines[l] {
		return true
	}
	for _, p := range boilerplateStarts {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	for _, re := range extra {
		if re.MatchString(t) {
			return true
		}
	}
	return false
}

type sentence struct {
	text      string
	words     int
	paraStart bool // first sentence of a paragraph
}

// sentences splits paragraphs into sentences: after . ! ? (followed by a
// space) or CJK full stops. Text with no punctuation is one sentence a paragraph.
func sentences(paras []string) ([]sentence, int) {
	var out []sentence
	total := 0
	for _, p := range paras {
		start, first := 0, true
		emit := func(end int) {
			t := strings.TrimSpace(p[start:end])
			if t != "" {
				w := countWords(t)
				out = append(out, sentence{text: t, words: w, paraStart: first})
				total += w
				first = false
			}
			start = end
		}
		for i := 0; i < len(p); {
			r, n := utf8.DecodeRuneInString(p[i:])
			i += n
			switch r {
			case '。', '！', '？':
				emit(i)
			case '.', '!', '?':
				// End of sentence when followed by a space (and not a lone initial like "U.").
				if i < len(p) && p[i] == ' ' && !shortToken(p[start:i]) {
					emit(i)
				}
			}
		}
		emit(len(p))
	}
	return out, total
}

// shortToken reports a sentence fragment ending in an abbreviation such as "Mr." or "U.S.".
func shortToken(s string) bool {
	j := strings.LastIndexByte(strings.TrimRight(s, ".!?"), ' ')
	last := s[j+1:]
	last = strings.TrimRight(last, ".!?")
	return len(last) <= 2 && last != "" && unicode.IsUpper(rune(last[0])) || abbreviations[strings.ToLower(last)]
}

var abbreviations = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "inc": true, "ltd": true, "co": true, "corp": true, "vs": true, "etc": true, "e.g": true, "i.e": true, "no": true, "st": true, "jr": true, "sr": true}

func takeHead(sents []sentence, budget int) []sentence {
	w := 0
	for i, s := range sents {
		if w+s.words > budget {
			return sents[:i]
		}
		w += s.words
	}
	return sents
}

func takeTail(sents []sentence, budget int) []sentence {
	w := 0
	for i := len(sents) - 1; i >= 0; i-- {
		if w+sents[i].words > budget {
			if i == len(sents)-1 {
				// The closing sentence alone is too long: keep its end.
				return []sentence{{text: lastWords(sents[i].text, budget), words: budget, paraStart: true}}
			}
			return sents[i+1:]
		}
		w += sents[i].words
	}
	return sents
}

func writeSentences(b *strings.Builder, sents []sentence) {
	for i, s := range sents {
		if i > 0 {
			if s.paraStart {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(s.text)
	}
}

// countWords counts whitespace-separated words, and each CJK character as a
// word (CJK text has no spaces; a character is roughly a token).
func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		switch {
		case isCJK(r):
			n++
			in = false
		case unicode.IsSpace(r):
			in = false
		default:
			if !in {
				n++
				in = true
			}
		}
	}
	return n
}

func isCJK(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r))
}

// firstWords is the first n words of s (CJK characters count as words).
func firstWords(s string, n int) string {
	c, in := 0, false
	for i, r := range s {
		word := isCJK(r) || !unicode.IsSpace(r)
		if word && (isCJK(r) || !in) {
			if c == n {
				return strings.TrimSpace(s[:i])
			}
			c++
		}
		in = word && !isCJK(r)
	}
	return s
}

// lastWords is the last n words of s.
func lastWords(s string, n int) string {
	total := countWords(s)
	if total <= n {
		return s
	}
	skip := firstWords(s, total-n)
	return strings.TrimSpace(s[len(skip):])
}
