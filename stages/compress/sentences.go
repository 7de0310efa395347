package compress

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentences and words: a cleaned line is cut at sentence ends so that the
// head and tail are whole sentences, and words are counted against
// max_words.

type sentence struct {
	text      string
	words     int
	paraStart bool // first sentence of a paragraph (a line of content)
	pos       int  // byte offset of its line in the content
}

// splitSentences splits one cleaned line into sentences: after . ! ?
// (followed by white space) or CJK full stops. A line with no punctuation is
// one sentence.
func splitSentences(p string, pos int) []sentence {
	var out []sentence
	eachSentence(p, pos, func(s sentence) bool { out = append(out, s); return true })
	return out
}

// eachSentence calls fn with each sentence of a line, in order, until fn
// returns false; the line is scanned only as far as that.
func eachSentence(p string, pos int, fn func(sentence) bool) {
	first := true
	scanSentences(p, func(start, end int) bool {
		ok := fn(makeSentence(p[start:end], first, pos))
		first = false
		return ok
	})
}

func makeSentence(raw string, first bool, pos int) sentence {
	return sentence{text: oneLine(raw), words: countWords(raw), paraStart: first, pos: pos}
}

// sentenceBounds finds the sentences of a line (a cheap scan: no word counting).
func sentenceBounds(p string) [][2]int {
	var out [][2]int
	scanSentences(p, func(start, end int) bool { out = append(out, [2]int{start, end}); return true })
	return out
}

// scanSentences calls fn with the bounds of each sentence until it returns false.
func scanSentences(p string, fn func(start, end int) bool) {
	start, stopped := 0, false
	emit := func(end int) {
		if !stopped && strings.TrimSpace(p[start:end]) != "" {
			stopped = !fn(start, end)
		}
		start = end
	}
	for i := 0; i < len(p) && !stopped; {
		c := p[i]
		if c < utf8.RuneSelf {
			i++
			if (c == '.' || c == '!' || c == '?') && i < len(p) && p[i] < utf8.RuneSelf && asciiSpace[p[i]] && !shortToken(p[start:i]) {
				emit(i)
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		if r == '。' || r == '！' || r == '？' {
			emit(i)
		}
	}
	emit(len(p))
}

// sentences splits cleaned lines into sentences (used by tests).
func sentences(lines []string) ([]sentence, int) {
	var out []sentence
	total := 0
	for i, l := range lines {
		for _, s := range splitSentences(l, i) {
			total += s.words
			out = append(out, s)
		}
	}
	return out, total
}

// shortToken reports a sentence fragment ending in an abbreviation such as
// "Mr.", "U.S." or "e.g.".
func shortToken(s string) bool {
	j := strings.LastIndexByte(strings.TrimRight(s, ".!?"), ' ')
	last := strings.TrimRight(s[j+1:], ".!?")
	if last == "" {
		return false
	}
	if strings.Contains(last, ".") && len(last) <= 6 {
		return true // U.S, e.g, i.e
	}
	return len(last) <= 2 && unicode.IsUpper(rune(last[0])) || abbreviations[strings.ToLower(last)]
}

var abbreviations = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "inc": true, "ltd": true, "co": true, "corp": true, "vs": true, "etc": true, "e.g": true, "i.e": true, "no": true, "st": true, "jr": true, "sr": true}

// countWords counts whitespace-separated words, and each CJK character as a
// word (CJK text has no spaces; a character is roughly a token).
func countWords(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf { // ASCII fast path
			if asciiSpace[c] {
				in = false
			} else if !in {
				n++
				in = true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
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
