package prefilter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// keyword is a word or phrase as lower-case tokens; the last token may be a
// prefix (written with a trailing *).
type keyword struct {
	text   string
	tokens []string
	prefix bool
}

// matcher counts keyword hits in one pass over a text's tokens: keywords are
// indexed by their first token, so a text is scanned once however many
// keywords there are (not one regex scan per keyword). Keywords with no
// word boundaries to find (CJK) are matched as substrings.
type matcher struct {
	byFirst    map[string][]keyword // first token exact
	byPrefix   []keyword            // first token is a prefix (single-token prefix keywords)
	substrings []string
	// starts marks the first two bytes of every keyword's first token: most
	// tokens (the, and, of…) start with a pair no keyword has, and skip the map.
	starts [1 << 16]bool
}

// pairOf is the token's first two bytes, ASCII lower-cased.
func pairOf(t string) int {
	if len(t) == 1 {
		return int(lowerByte(t[0])) << 8
	}
	return int(lowerByte(t[0]))<<8 | int(lowerByte(t[1]))
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// needsLower reports whether t has upper-case or non-ASCII letters.
func needsLower(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

func newMatcher(kws []string) *matcher {
	m := &matcher{byFirst: map[string][]keyword{}}
	for _, k := range kws {
		prefix := strings.HasSuffix(k, "*")
		text := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(k), "*"))
		toks := tokenize(text, nil)
		if len(toks) == 0 {
			continue
		}
		if hasCJK(text) {
			m.substrings = append(m.substrings, text)
			continue
		}
		kw := keyword{text: k, tokens: toks, prefix: prefix}
		if len(toks[0]) == 1 {
			// A one-byte first token: the token must be exactly it, or (prefix) any token starting with it.
			for b := 0; b < 256; b++ {
				m.starts[int(toks[0][0])<<8|b] = true
			}
		} else {
			m.starts[pairOf(toks[0])] = true
		}
		if prefix && len(toks) == 1 {
			m.byPrefix = append(m.byPrefix, kw)
		} else {
			m.byFirst[toks[0]] = append(m.byFirst[toks[0]], kw)
		}
	}
	return m
}

func (m *matcher) empty() bool {
	return len(m.byFirst) == 0 && len(m.byPrefix) == 0 && len(m.substrings) == 0
}

// count returns how many keyword occurrences the tokens hold, stopping at
// limit (0: no limit), and the first keyword found. Tokens may be in any
// case; lower is the lower-cased text, needed only for CJK substrings.
func (m *matcher) count(toks []string, lower func() string, limit int) (int, string) {
	var scratch []byte
	n, first := 0, ""
	hit := func(k string) bool {
		if n == 0 {
			first = k
		}
		n++
		return limit > 0 && n >= limit
	}
	for i, t := range toks {
		if !m.starts[pairOf(t)] {
			continue
		}
		var kws []keyword
		lt := t
		if needsLower(t) {
			scratch = appendLower(scratch[:0], t)
			kws = m.byFirst[string(scratch)] // no allocation for a lookup
			lt = unsafeString(scratch)
		} else {
			kws = m.byFirst[t]
		}
		for _, kw := range kws {
			if matchAt(toks, i, kw) && hit(kw.text) {
				return n, first
			}
		}
		for _, kw := range m.byPrefix {
			if strings.HasPrefix(lt, kw.tokens[0]) && hit(kw.text) {
				return n, first
			}
		}
	}
	for _, s := range m.substrings {
		if c := strings.Count(lower(), s); c > 0 {
			for range c {
				if hit(s) {
					return n, first
				}
			}
		}
	}
	return n, first
}

func matchAt(toks []string, i int, kw keyword) bool {
	if i+len(kw.tokens) > len(toks) {
		return false
	}
	last := len(kw.tokens) - 1
	for j, kt := range kw.tokens {
		t := toks[i+j]
		if j == last && kw.prefix {
			if len(t) < len(kt) || !strings.EqualFold(t[:len(kt)], kt) {
				return false
			}
		} else if !strings.EqualFold(t, kt) {
			return false
		}
	}
	return true
}

// tokenize splits lower-cased text into runs of letters and digits, reusing
// buf. Tokens are substrings of text: no allocation per token.
func tokenize(text string, buf []string) []string {
	buf = buf[:0]
	start := -1
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf { // ASCII fast path
			if wordASCII[c] {
				if start < 0 {
					start = i
				}
			} else if start >= 0 {
				buf = append(buf, text[start:i])
				start = -1
			}
			i++
			continue
		}
		var word bool
		size := 1
		{
			r, n := utf8.DecodeRuneInString(text[i:])
			size = n
			word = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		if word && start < 0 {
			start = i
		} else if !word && start >= 0 {
			buf = append(buf, text[start:i])
			start = -1
		}
		i += size
	}
	if start >= 0 {
		buf = append(buf, text[start:])
	}
	return buf
}

var wordASCII = func() (t [128]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'
	}
	return t
}()

func hasCJK(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

// junkPhrases mark scrape junk: consent walls, paywall stubs, bot checks.
var junkPhrases = []string{
	"accept cookies", "accept all cookies", "cookie policy", "cookie settings", "we use cookies",
	"manage consent", "privacy preferences", "consent preferences",
	"subscribe to continue", "subscribe to read", "already a subscriber", "to continue reading",
	"this content is for subscribers", "create a free account to continue", "sign in to continue",
	"enable javascript", "please enable cookies", "are you a robot", "verify you are human", "access denied",
}
