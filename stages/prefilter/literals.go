package prefilter

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// guardedRegexp is a regexp with a cheap pre-check: the literal strings one
// of which must occur for the regexp to match at all. Go's regexp engine
// costs ~50 ns a byte on patterns like `\b[0-9]+ ?(MW|GW)\b`; a substring
// search for "MW" and "GW" costs a few, and most heads contain neither.
// When the literals begin every match (`\b(researchers|scientists) …`), the
// regexp runs anchored at each occurrence instead of over the whole text.
type guardedRegexp struct {
	re       *regexp.Regexp
	anchored *regexp.Regexp // ^(?:re), when leading
	exact    []string       // must match as is
	folded   []string       // lower-cased: match in lower-cased text
	always   bool           // no usable literals: always run the regexp
	leading  bool           // every match starts with one of the literals
	boundary bool           // the pattern starts with \b
}

func guard(re *regexp.Regexp) guardedRegexp {
	g := guardedRegexp{re: re, always: true}
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return g
	}
	tree = tree.Simplify()
	lits, ok := required(tree)
	lead, boundary := leadingLiterals(tree)
	if usable(lead) {
		lits, ok = lead, true // a match starts with one of these: run anchored there
		g.leading, g.boundary = true, boundary
	}
	if !ok {
		return g
	}
	for _, l := range lits {
		if !usableLiteral(l) {
			g.leading = false
			return g // too common to help, or Unicode case folding we should not guess at
		}
		if l.fold {
			g.folded = append(g.folded, strings.ToLower(l.s))
		} else {
			g.exact = append(g.exact, l.s)
		}
	}
	if !g.leading {
		g.exact, g.folded = minimal(g.exact), minimal(g.folded)
	}
	g.always = false
	if g.leading {
		a, err := regexp.Compile(`^(?:` + re.String() + `)`)
		if err != nil {
			g.leading = false
		}
		g.anchored = a
	}
	return g
}

// mayMatch reports whether text (and its lower-cased form) holds a literal
// the regexp requires; false means the regexp cannot match.
func (g guardedRegexp) mayMatch(text string, lower func() string) bool {
	if g.always {
		return true
	}
	for _, s := range g.exact {
		if strings.Contains(text, s) {
			return true
		}
	}
	for _, s := range g.folded {
		if strings.Contains(lower(), s) {
			return true
		}
	}
	return false
}

// MatchString reports whether the regexp matches text.
func (g guardedRegexp) MatchString(text string, lower func() string) bool {
	if !g.mayMatch(text, lower) {
		return false
	}
	if !g.leading {
		return g.re.MatchString(text)
	}
	lt := text
	if len(g.folded) > 0 {
		lt = lower()
		if len(lt) != len(text) { // lower-casing moved bytes: offsets would not line up
			return g.re.MatchString(text)
		}
	}
	try := func(hay, lit string) bool {
		for off := 0; ; {
			i := strings.Index(hay[off:], lit)
			if i < 0 {
				return false
			}
			p := off + i
			if !(g.boundary && p > 0 && isWordByte(text[p-1])) && g.anchored.MatchString(text[p:]) {
				return true
			}
			off = p + 1
		}
	}
	for _, s := range g.exact {
		if try(text, s) {
			return true
		}
	}
	for _, s := range g.folded {
		if try(lt, s) {
			return true
		}
	}
	return false
}

func (g guardedRegexp) count(text string, lower func() string, limit int) int {
	if !g.mayMatch(text, lower) {
		return 0
	}
	return len(g.re.FindAllStringIndex(text, limit))
}

func isWordByte(c byte) bool { return c >= utf8.RuneSelf || wordASCII[c] || c == '_' }

type literal struct {
	s    string
	fold bool
}

// maxSet bounds the literal sets built from character classes.
const maxSet = 16

// pureSet returns every string re matches when that is a small finite set
// of literals (`m(?:ight|ay)` is {might, may}).
func pureSet(re *syntax.Regexp) ([]literal, bool) {
	switch re.Op {
	case syntax.OpLiteral, syntax.OpCharClass:
		return extend(nil, re)
	case syntax.OpCapture:
		return pureSet(re.Sub[0])
	case syntax.OpAlternate:
		var all []literal
		for _, s := range re.Sub {
			l, ok := pureSet(s)
			if !ok || len(all)+len(l) > maxSet {
				return nil, false
			}
			all = append(all, l...)
		}
		return all, true
	case syntax.OpConcat:
		var run []literal
		for _, s := range re.Sub {
			l, ok := pureSet(s)
			if !ok {
				return nil, false
			}
			run, ok = cross(run, l)
			if !ok {
				return nil, false
			}
		}
		return run, run != nil
	}
	return nil, false
}

// cross is every a+b for a in run (nil: the empty string) and b in next.
func cross(run, next []literal) ([]literal, bool) {
	if run == nil {
		return next, true
	}
	if len(run)*len(next) > maxSet {
		return nil, false
	}
	var out []literal
	for _, a := range run {
		for _, b := range next {
			if a.fold != b.fold && strings.ToLower(b.s) != strings.ToUpper(b.s) {
				return nil, false // mixed case sensitivity on letters: give up
			}
			out = append(out, literal{a.s + b.s, a.fold || b.fold})
		}
	}
	return out, true
}

// required returns a set of literals one of which every match contains.
func required(re *syntax.Regexp) ([]literal, bool) {
	if l, ok := pureSet(re); ok {
		return l, true
	}
	switch re.Op {
	case syntax.OpLiteral:
		return []literal{{string(re.Rune), re.Flags&syntax.FoldCase != 0}}, true
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var all []literal
		for _, s := range re.Sub {
			l, ok := required(s)
			if !ok {
				return nil, false
			}
			all = append(all, l...)
		}
		return all, true
	case syntax.OpConcat:
		// Any one child's set will do; take the most selective (longest
		// shortest literal). Adjacent literals and small classes join:
		// [GM], W -> {"GW", "MW"}.
		var best []literal
		bestLen := 0
		var run []literal
		for _, s := range re.Sub {
			if next, ok := extend(run, s); ok {
				run = next
				if m := shortest(run); m > bestLen {
					best, bestLen = run, m
				}
				continue
			}
			run = nil
			if l, ok := required(s); ok {
				if m := shortest(l); m > bestLen {
					best, bestLen = l, m
				}
			}
		}
		return best, best != nil
	}
	return nil, false
}

// extend appends a literal or a small character class to every string of run.
func extend(run []literal, s *syntax.Regexp) ([]literal, bool) {
	var alts []literal
	switch s.Op {
	case syntax.OpLiteral:
		alts = []literal{{string(s.Rune), s.Flags&syntax.FoldCase != 0}}
	case syntax.OpCharClass:
		n := 0
		for i := 0; i < len(s.Rune); i += 2 {
			n += int(s.Rune[i+1]-s.Rune[i]) + 1
		}
		if n > 4 {
			return nil, false
		}
		for i := 0; i < len(s.Rune); i += 2 {
			for r := s.Rune[i]; r <= s.Rune[i+1]; r++ {
				alts = append(alts, literal{string(r), false})
			}
		}
	default:
		return nil, false
	}
	if run == nil {
		return alts, true
	}
	if len(run)*len(alts) > maxSet {
		return nil, false
	}
	var out []literal
	for _, a := range run {
		for _, b := range alts {
			if a.fold != b.fold && len(b.s) > 0 {
				return nil, false
			}
			out = append(out, literal{a.s + b.s, a.fold})
		}
	}
	return out, true
}

// leadingLiterals returns the set of literals every match starts with
// (after a zero-width \b or ^), and whether a \b precedes them.
func leadingLiterals(re *syntax.Regexp) ([]literal, bool) {
	boundary := false
	for {
		switch re.Op {
		case syntax.OpCapture:
			re = re.Sub[0]
			continue
		case syntax.OpConcat:
			i := 0
			for i < len(re.Sub) && (re.Sub[i].Op == syntax.OpWordBoundary || re.Sub[i].Op == syntax.OpBeginText || re.Sub[i].Op == syntax.OpBeginLine) {
				boundary = boundary || re.Sub[i].Op == syntax.OpWordBoundary
				i++
			}
			if i == len(re.Sub) {
				return nil, false
			}
			// The longest run of finite children is a set of whole prefixes.
			var run []literal
			j := i
			for ; j < len(re.Sub); j++ {
				l, ok := pureSet(re.Sub[j])
				if !ok {
					break
				}
				next, ok := cross(run, l)
				if !ok {
					break
				}
				run = next
			}
			if run != nil {
				return run, boundary
			}
			re = re.Sub[i]
			continue
		case syntax.OpLiteral, syntax.OpCharClass:
			l, ok := pureSet(re)
			if !ok {
				return nil, false
			}
			return l, boundary
		case syntax.OpAlternate:
			var all []literal
			for _, s := range re.Sub {
				l, _ := leadingLiterals(s)
				if l == nil {
					return nil, false
				}
				all = append(all, l...)
			}
			// A \b inside an alternative is not tracked: only a shared leading one.
			return all, boundary
		}
		return nil, false
	}
}

// minimal drops literals that contain another one of the set: if "MW"
// occurs, so may "MWh"; searching for both is wasted.
func minimal(ss []string) []string {
	var out []string
	for i, s := range ss {
		redundant := false
		for j, o := range ss {
			if i != j && strings.Contains(s, o) && (len(o) < len(s) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, s)
		}
	}
	return out
}

func usable(ls []literal) bool {
	if len(ls) == 0 {
		return false
	}
	for _, l := range ls {
		if !usableLiteral(l) {
			return false
		}
	}
	return true
}

func usableLiteral(l literal) bool { return len(l.s) >= 2 && (!l.fold || isASCII(l.s)) }

func shortest(ls []literal) int {
	m := -1
	for _, l := range ls {
		if n := utf8.RuneCountInString(l.s); m < 0 || n < m {
			m = n
		}
	}
	return m
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
