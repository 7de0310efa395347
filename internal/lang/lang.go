package lang

import (
	"math"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Window is how many characters (runes) of a text Detect reads: callers put
// the title first, so it sees the title and the start of the body. More
// text barely helps (the accuracy is the same at 600 and 2,000 characters
// on the reference files) and costs time on every article.
const Window = 700

// minLetters: below this many letters a text is too short to tell.
const minLetters = 20

// MinConfidence is the confidence below which Detect says "" rather than
// guess: a lead of under 1.8 nats over the runner-up.
const MinConfidence = 0.3

// confidenceScale is the runner-up lead (in weight units, 100 a nat) at
// which the confidence is 1-1/e: 5 nats, the evidence of a few words.
const confidenceScale = 500

// script is a writing system, counted by letters.
type script uint8

const (
	latin script = iota
	cyrillic
	greek
	hebrew
	arabic
	devanagari
	bengali
	tamil
	thai
	georgian
	hangul
	kana
	han
	otherScript
	numScripts
)

// single are the scripts that name their language alone.
var single = map[script]string{greek: "el", bengali: "bn", tamil: "ta", thai: "th", georgian: "ka", hangul: "ko", kana: "ja", han: "zh"}

func scriptOf(r rune) script {
	switch {
	case r < 0x250 || (r >= 0x1E00 && r <= 0x1EFF):
		return latin
	case r >= 0x370 && r <= 0x3FF:
		return greek
	case r >= 0x400 && r <= 0x52F:
		return cyrillic
	case r >= 0x590 && r <= 0x5FF:
		return hebrew
	case r >= 0x600 && r <= 0x6FF || r >= 0x750 && r <= 0x77F || r >= 0xFB50 && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF:
		return arabic
	case r >= 0x900 && r <= 0x97F:
		return devanagari
	case r >= 0x980 && r <= 0x9FF:
		return bengali
	case r >= 0xB80 && r <= 0xBFF:
		return tamil
	case r >= 0xE00 && r <= 0xE7F:
		return thai
	case r >= 0x10A0 && r <= 0x10FF:
		return georgian
	case r >= 0xAC00 && r <= 0xD7AF || r >= 0x1100 && r <= 0x11FF || r >= 0x3130 && r <= 0x318F:
		return hangul
	case r >= 0x3040 && r <= 0x30FF:
		return kana
	case r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF:
		return han
	}
	return otherScript
}

// Detect returns the ISO 639-1 code of the language text is written in
// ("en", "de", …) and a confidence in 0-1, or "" and 0 when it cannot tell:
// too few letters, or two languages too close to call. It reads only the
// first Window characters. Detect is safe for concurrent use and does not
// allocate.
func Detect(text string) (code string, confidence float64) {
	m := get()
	var scores [64]int32
	var letters [numScripts]int
	// a, b are the two characters before the current one, as trigram
	// characters: lower-cased letters, and one space for any run of others.
	a, b := rune(' '), rune(' ')
	read := 0
	for i := 0; i < len(text) && read < Window; read++ {
		r := rune(text[i])
		if r < utf8.RuneSelf {
			i++
			r = asciiTrigram[r]
			if r != ' ' {
				letters[latin]++
			}
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(text[i:])
			i += size
			if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
				letters[scriptOf(r)]++
				r = unicode.ToLower(r)
			} else {
				r = ' '
			}
		}
		if r == ' ' && b == ' ' {
			continue
		}
		if b != ' ' || (a != ' ' && r != ' ') {
			for _, p := range m.lookup(pack(a, b, r)) {
				scores[p.lang] += p.weight
			}
		}
		a, b = b, r
	}
	if b != ' ' {
		for _, p := range m.lookup(pack(a, b, ' ')) {
			scores[p.lang] += p.weight
		}
	}
	return m.decide(&scores, &letters)
}

// decide names the language from the letters of each script and the
// trigram scores.
func (m *model) decide(scores *[64]int32, letters *[numScripts]int) (string, float64) {
	best, total := latin, 0
	for s, n := range letters {
		total += n
		if n > letters[best] {
			best = script(s)
		}
	}
	if total < minLetters || best == otherScript {
		return "", 0
	}
	// Japanese writes most words in Han characters, with kana between them.
	if best == han && letters[kana]*10 >= letters[han] {
		best = kana
	}
	if code, ok := single[best]; ok {
		return code, float64(letters[best]) / float64(total)
	}
	first, second := -1, -1
	for i, s := range m.script {
		if s != best {
			continue
		}
		switch {
		case first < 0 || scores[i] > scores[first]:
			first, second = i, first
		case second < 0 || scores[i] > scores[second]:
			second = i
		}
	}
	if first < 0 || scores[first] <= 0 {
		return "", 0
	}
	conf := 1.0
	if second >= 0 {
		conf = 1 - math.Exp(-float64(scores[first]-scores[second])/confidenceScale)
	}
	if conf < MinConfidence {
		return "", conf
	}
	return m.codes[first], conf
}

// Codes are the languages Detect can return, sorted.
func Codes() []string {
	m := get()
	out := slices.Clone(m.codes)
	for _, c := range single {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// asciiTrigram maps an ASCII byte to its trigram character: letters
// lower-cased, everything else a space.
var asciiTrigram = func() (t [utf8.RuneSelf]rune) {
	for c := range t {
		switch {
		case c >= 'a' && c <= 'z':
			t[c] = rune(c)
		case c >= 'A' && c <= 'Z':
			t[c] = rune(c + 'a' - 'A')
		default:
			t[c] = ' '
		}
	}
	return t
}()
