package prefilter

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/lang"
)

// Article is what the rules look at.
type Article struct {
	ID, Title, Content, URL, Source, PublishedDate string
}

// Decision is the prefilter's verdict on one article.
type Decision struct {
	Passed bool
	// Reason is e.g. passed, excluded:vaporware, too_short:212_chars, language:fr, no_domain_keywords.
	Reason string
	// Rule names the rule that decided: required, min_chars, domain, junk, language, positive, exclude:<category>, all.
	Rule string
}

// Rules are a filter's prefilter rules, compiled once. A Rules value is not
// safe for concurrent use (it reuses a token buffer); Clone one per goroutine.
type Rules struct {
	p          filters.Prefilter
	positive   *matcher
	posRegexps []guardedRegexp
	excludes   []exclusion
	junk       *matcher
	toks       []string
	lower      []byte
	head       []byte
}

type exclusion struct {
	category string
	res      []guardedRegexp // each pattern guarded by its own required literals
	unless   *matcher
}

// Compile builds the rules of a loaded filter (whose regexes were validated).
func Compile(f *filters.Filter) (*Rules, error) {
	p := f.Prefilter
	r := &Rules{p: p, positive: newMatcher(p.Positive.Keywords), junk: junkMatcher}
	for _, pat := range p.Positive.Patterns {
		re, err := regexp.Compile(pat)
		if err != nil {
			return nil, fmt.Errorf("prefilter.positive.patterns %q: %w", pat, err)
		}
		r.posRegexps = append(r.posRegexps, guard(re))
	}
	for _, ex := range p.Exclude {
		// Patterns stay separate: one alternation of all would be guarded only
		// by the union of their literals, which common words make useless.
		e := exclusion{category: ex.Category, unless: newMatcher(ex.Unless)}
		for _, pat := range ex.Patterns {
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, fmt.Errorf("prefilter.exclude %s %q: %w", ex.Category, pat, err)
			}
			e.res = append(e.res, guard(re))
		}
		r.excludes = append(r.excludes, e)
	}
	return r, nil
}

// Clone returns rules that share the compiled parts and own a token buffer.
func (r *Rules) Clone() *Rules {
	c := *r
	c.toks, c.lower, c.head = nil, nil, nil
	return &c
}

// Decide applies the rules in order, cheapest first, and returns the first
// that blocks: required fields, minimum length, domain, scrape junk,
// language, domain keywords, then exclusions (regexes run only on articles
// that would pass). Language comes before keywords so that an article in
// another language is blocked for that, not for lacking English keywords.
func (r *Rules) Decide(a Article) Decision {
	for _, f := range r.p.Required {
		if strings.TrimSpace(field(a, f)) == "" {
			return Decision{Reason: "missing_field:" + f, Rule: "required"}
		}
	}
	// A rune is at most 4 bytes: long content needs no counting.
	chars := len(a.Content)
	if chars < 4*r.p.MinChars {
		chars = utf8.RuneCountInString(a.Content)
		if chars < r.p.MinChars {
			return Decision{Reason: fmt.Sprintf("too_short:%d_chars", chars), Rule: "min_chars"}
		}
	}
	if d, ok := r.domain(a.URL); ok {
		return Decision{Reason: "excluded_domain:" + d, Rule: "domain"}
	}
	r.head = append(append(append(r.head[:0], a.Title...), '\n'), headOf(a.Content, r.p.HeadChars)...)
	head := unsafeString(r.head) // no allocation per article
	lowered := false
	lower := func() string { // the lower-cased head, made only if a rule needs it
		if !lowered {
			r.lower, lowered = appendLower(r.lower[:0], head), true
		}
		return unsafeString(r.lower)
	}
	r.toks = tokenize(head, r.toks)
	if r.p.Junk {
		// Consent walls and paywalls sit at the top: the first 250 words.
		if n, first := r.junk.count(r.toks[:min(len(r.toks), 250)], lower, 3); n >= 3 || (n >= 1 && chars < 1000) {
			return Decision{Reason: "scrape_junk:" + strings.ReplaceAll(first, " ", "_"), Rule: "junk"}
		}
	}
	if len(r.p.Languages) > 0 {
		// Detect reads the title and the start of the head only (lang.Window).
		if code, _ := lang.Detect(head); code != "" && !slices.Contains(r.p.Languages, code) {
			return Decision{Reason: "language:" + code, Rule: "language"}
		}
	}
	if min := r.p.Positive.MinMatches; min > 0 {
		n, _ := r.positive.count(r.toks, lower, min)
		for _, re := range r.posRegexps {
			if n >= min {
				break
			}
			n += re.count(head, lower, min-n)
		}
		if n == 0 {
			return Decision{Reason: "no_domain_keywords", Rule: "positive"}
		}
		if n < min {
			return Decision{Reason: fmt.Sprintf("few_domain_keywords:%d_of_%d", n, min), Rule: "positive"}
		}
	}
	for _, ex := range r.excludes {
		for _, re := range ex.res {
			if re.MatchString(head, lower) {
				if n, _ := ex.unless.count(r.toks, lower, 1); n == 0 {
					return Decision{Reason: "excluded:" + ex.category, Rule: "exclude:" + ex.category}
				}
				break
			}
		}
	}
	return Decision{Passed: true, Reason: "passed", Rule: "all"}
}

func (r *Rules) domain(raw string) (string, bool) {
	if len(r.p.ExcludeDomains) == 0 || raw == "" {
		return "", false
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", false
	}
	host := strings.ToLower(strings.TrimPrefix(u.Hostname(), "www."))
	for _, d := range r.p.ExcludeDomains {
		d = strings.ToLower(d)
		if host == d || strings.HasSuffix(host, "."+d) {
			return d, true
		}
	}
	return "", false
}

func field(a Article, name string) string {
	switch name {
	case "title":
		return a.Title
	case "content":
		return a.Content
	case "url":
		return a.URL
	case "source":
		return a.Source
	case "published_date":
		return a.PublishedDate
	}
	return ""
}

// headOf is the first n characters (runes) of s.
func headOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Mostly ASCII: n bytes hold nearly n runes; count, then walk the rest.
	end := n
	for end > 0 && !utf8.RuneStart(s[end]) {
		end-- // n bytes may end inside a rune
	}
	runes := utf8.RuneCountInString(s[:end])
	for runes < n && end < len(s) {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		runes++
	}
	return s[:end]
}

// junkMatcher finds junk phrases; it is shared, read-only, by all rules.
var junkMatcher = newMatcher(junkPhrases)

// appendLower appends s lower-cased: ASCII through a table, other runes with
// unicode.ToLower (strings.ToLower falls back to a slow path for the whole
// string on its first non-ASCII rune, and scraped text is full of curly quotes).
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, lowerASCII[c])
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst
}

var lowerASCII = func() (t [128]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i + 'a' - 'A')
		}
	}
	return t
}()

// unsafeString views b as a string without copying; b must not change while
// the string is in use (it is reused only by the next Decide).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
