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
//
// v2: learned boilerplate is cut before the head and tail are chosen, and
// max_words bounds the whole text, header and marker included.
const RenderVersion = 2

// Article is what the model input is made from.
type Article struct {
	Title, Source, PublishedDate, Content string
	// Dataset is corpus.raw's dataset: the boilerplate of an article with
	// no source is learned per dataset.
	Dataset string
}

// Site is what boilerplate is learned per: the source, else the dataset.
func (a Article) Site() string {
	if a.Source != "" {
		return a.Source
	}
	return a.Dataset
}

// Settings say how to cut text down.
type Settings struct {
	MaxWords    int
	HeadShare   float64
	Boilerplate []*regexp.Regexp
	// Learn cuts the furniture Model holds for the article's source.
	Learn bool
	Model *Model
}

// SettingsFor compiles a filter's compression settings.
func SettingsFor(f *filters.Filter) (Settings, error) {
	s := Settings{MaxWords: f.Compression.MaxWords, HeadShare: f.Compression.HeadShare, Learn: f.Compression.Learns()}
	for _, p := range f.Compression.Boilerplate {
		re, err := regexp.Compile(p)
		if err != nil {
			return s, fmt.Errorf("compression.boilerplate %q: %w", p, err)
		}
		s.Boilerplate = append(s.Boilerplate, re)
	}
	return s, nil
}

// Method names the rendering and its settings, e.g.
// head_tail:v2:800:0.70+learned:shingles:v1:6w:5%:df4:min10.
func (s Settings) Method() string {
	m := fmt.Sprintf("head_tail:v%d:%d:%.2f", RenderVersion, s.MaxWords, s.HeadShare)
	if len(s.Boilerplate) > 0 {
		m += fmt.Sprintf(":%d_boilerplate_rules", len(s.Boilerplate))
	}
	if s.Learn {
		m += "+learned:" + BoilerplateMethod
	}
	return m
}

// Rendered is the model input for one article.
type Rendered struct {
	Text      string
	Words     int
	Chars     int
	Truncated bool
	// BoilerplateVersion is the source's learned model Render applied (""
	// none: no model for the source, or learning off); BoilerplateCut says
	// whether it cut anything (a page it would all but empty is left whole).
	BoilerplateVersion string
	BoilerplateCut     bool
}

// Render makes the model input from an article: a header (title, source,
// date), then the body with the source's learned furniture cut out and
// boilerplate lines removed and, when the whole is longer than MaxWords, cut
// at sentence boundaries to its lead (HeadShare of the body's words) and its
// closing part, with Marker where text was cut. The head and tail are chosen
// from the cleaned body, so the tail is the article's ending, not the site's.
//
// This is the only function that renders model input: the oracle's prompt
// and the student's training text are both made from its output.
func Render(a Article, s Settings) Rendered {
	var b strings.Builder
	// Each header line gets at most a quarter of MaxWords, so that the
	// header fits with room for the body whatever the fields hold.
	capWords := MaxHeaderWords
	if s.MaxWords > 0 {
		capWords = min(capWords, max(s.MaxWords/4, 1))
	}
	if t := headerLine(a.Title, capWords); t != "" {
		b.WriteString("Title: " + t + "\n")
	}
	if src := headerLine(a.Source, capWords); src != "" {
		b.WriteString("Source: " + src + "\n")
	}
	if d := headerLine(a.PublishedDate, capWords); d != "" {
		b.WriteString("Date: " + d + "\n")
	}
	headerWords := countWords(b.String())
	// The header and the marker count against MaxWords too.
	body := max(s.MaxWords-headerWords-1, 1)
	headBudget := int(float64(body)*s.HeadShare + 0.5)
	tailBudget := body - headBudget
	if s.MaxWords <= 0 {
		headBudget, tailBudget = int(^uint(0)>>1), 0
	}
	content := strings.ReplaceAll(a.Content, "\r\n", "\n")
	var version string
	var cut bool
	if sm := s.Model.For(a.Site()); s.Learn && sm != nil {
		version = sm.Version
		content, cut = sm.Clean(content)
	}
	head, stop, stopK := takeHead(content, headBudget, s.Boilerplate)
	var tail []sentence
	truncated := false
	if stop >= 0 {
		var complete bool
		tail, complete = takeTail(content, stop, stopK, tailBudget, s.Boilerplate)
		truncated = !complete
		if len(head) == 0 && truncated {
			// The first sentence alone is over the head budget: cut it at a word.
			first, _ := firstSentence(content, s.Boilerplate)
			cut := firstWords(first, headBudget)
			head = []sentence{{text: cut, words: countWords(cut), paraStart: true}}
		}
	}
	if b.Len() > 0 && len(head)+len(tail) > 0 {
		b.WriteByte('\n')
	}
	writeSentences(&b, head, false)
	if truncated {
		b.WriteString("\n\n" + Marker)
		writeSentences(&b, tail, true)
	} else if len(tail) > 0 {
		// Everything fitted: the tail continues the head.
		if len(head) > 0 {
			if tail[0].paraStart {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		writeSentences(&b, tail, false)
	}
	text := strings.TrimRight(b.String(), " \n")
	// Words are counted once, per sentence: the header's, the sentences', the marker's.
	words := headerWords
	for _, s := range head {
		words += s.words
	}
	for _, s := range tail {
		words += s.words
	}
	if truncated {
		words++
	}
	return Rendered{Text: text, Words: words, Chars: utf8.RuneCountInString(text), Truncated: truncated, BoilerplateVersion: version, BoilerplateCut: cut}
}

// A header line (title, source, date) is cut to its first MaxHeaderWords
// words (fewer when MaxWords is small) and MaxHeaderChars characters, with
// Marker at the cut: a title can be a whole article pasted into the wrong
// field (a 1 MB title was 131k words of model input).
const (
	MaxHeaderWords = 60
	MaxHeaderChars = 400
)

// headerLine is oneLine, cut to maxWords words and MaxHeaderChars characters.
func headerLine(s string, maxWords int) string {
	s = oneLine(s)
	words, chars := 0, 0
	inWord := false
	for i, r := range s {
		if chars == MaxHeaderChars {
			return cutAt(s, i)
		}
		chars++
		if r == ' ' {
			inWord = false
			continue
		}
		if !inWord {
			if words == maxWords {
				return cutAt(s, i)
			}
			words++
			inWord = true
		}
	}
	return s
}

// cutAt keeps s[:i], backed off to the last whole word when i falls inside
// one, and marks the cut.
func cutAt(s string, i int) string {
	head := s[:i]
	if s[i] != ' ' {
		if j := strings.LastIndexByte(head, ' '); j > 0 {
			head = head[:j]
		}
	}
	return strings.TrimRight(head, " ") + " " + Marker
}

// oneLine collapses runs of white space to one space and trims the ends.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !needsCollapse(s) {
		return s // the common case: nothing to collapse, no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		var r rune = rune(c)
		n := 1
		if c >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if isSpace(r) {
			space = true
		} else {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// maybeSpace marks the bytes that can start white space other than a single
// ' ': ASCII controls, ' ' (a double space), and the lead bytes of the
// Unicode spaces (U+0085, U+00A0, U+1680, U+2000-U+205F, U+3000).
var maybeSpace = func() (t [256]bool) {
	for _, c := range []byte{'\t', '\n', '\v', '\f', '\r', ' ', 0xC2, 0xE1, 0xE2, 0xE3} {
		t[c] = true
	}
	return t
}()

// needsCollapse reports white space that oneLine would change.
func needsCollapse(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !maybeSpace[c] {
			continue
		}
		switch {
		case c == ' ':
			if i+1 < len(s) && s[i+1] == ' ' {
				return true
			}
		case c < utf8.RuneSelf:
			return true
		default:
			if r, _ := utf8.DecodeRuneInString(s[i:]); unicode.IsSpace(r) {
				return true
			}
		}
	}
	return false
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiSpace[r]
	}
	return unicode.IsSpace(r)
}

var asciiSpace = [128]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

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

// cleanLine is a line of content with spaces collapsed, or "" when it is
// empty or boilerplate (short lines that are site furniture).
func cleanLine(line string, extra []*regexp.Regexp) string {
	t := strings.TrimSpace(line)
	if len(t) >= 320 {
		return t // too long to be furniture; sentences are collapsed when kept
	}
	t = oneLine(t)
	if t == "" || (len(t) < 160 && isBoilerplate(t, extra)) {
		return ""
	}
	return t
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

// takeHead takes whole sentences from the start of content while they fit
// budget. It reads only as many lines as that needs (long articles are never
// processed whole) and returns where it stopped: the byte offset of the line
// and how many of its sentences it took; -1 when everything fitted.
func takeHead(content string, budget int, extra []*regexp.Regexp) ([]sentence, int, int) {
	var out []sentence
	w := 0
	for pos := 0; pos < len(content); {
		end := strings.IndexByte(content[pos:], '\n')
		if end < 0 {
			end = len(content)
		} else {
			end += pos
		}
		if line := cleanLine(content[pos:end], extra); line != "" {
			k, full := 0, false
			eachSentence(line, pos, func(s sentence) bool {
				if w+s.words > budget {
					full = true
					return false
				}
				w += s.words
				out = append(out, s)
				k++
				return true
			})
			if full {
				return out, pos, k
			}
		}
		pos = end + 1
	}
	return out, -1, 0
}

// takeTail takes whole sentences from the end of content while they fit
// budget, back to where the head stopped at most (line offset stop, after its
// first stopK sentences). It returns them in order, and complete when it took
// everything the head left.
func takeTail(content string, stop, stopK, budget int, extra []*regexp.Regexp) ([]sentence, bool) {
	var rev []sentence
	w := 0
	end := len(content)
	for end >= stop {
		start := strings.LastIndexByte(content[:end], '\n') + 1
		if start < stop {
			start = stop
		}
		if line := cleanLine(content[start:end], extra); line != "" {
			bounds := sentenceBounds(line)
			first := 0
			if start == stop {
				first = min(stopK, len(bounds)) // the head took these
			}
			for i := len(bounds) - 1; i >= first; i-- {
				s := makeSentence(line[bounds[i][0]:bounds[i][1]], i == 0, start)
				if w+s.words > budget {
					if len(rev) == 0 {
						// The closing sentence alone is too long: keep its end.
						cut := lastWords(s.text, budget)
						rev = append(rev, sentence{text: cut, words: countWords(cut), paraStart: true, pos: start})
					}
					return reverse(rev), false
				}
				w += s.words
				rev = append(rev, s)
			}
		}
		if start == stop {
			break
		}
		end = start - 1
	}
	return reverse(rev), true
}

func firstSentence(content string, extra []*regexp.Regexp) (string, bool) {
	for line := range strings.SplitSeq(content, "\n") {
		if l := cleanLine(line, extra); l != "" {
			s := splitSentences(l, 0)
			return s[0].text, true
		}
	}
	return "", false
}

func reverse(s []sentence) []sentence {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

// writeSentences joins sentences: a space within a paragraph, a blank line
// between paragraphs (and before the first when sep is set).
func writeSentences(b *strings.Builder, sents []sentence, sep bool) {
	for i, s := range sents {
		switch {
		case i == 0 && sep:
			b.WriteString("\n\n")
		case i == 0:
		case s.paraStart:
			b.WriteString("\n\n")
		default:
			b.WriteByte(' ')
		}
		b.WriteString(s.text)
	}
}
