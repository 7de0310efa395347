package lang

import (
	"cmp"
	"slices"

	// unsafe is imported for go:linkname alone.
	_ "unsafe"

	"github.com/abadojack/whatlanggo"
)

// whatlanggo keeps franc's trigram profiles (the 300 commonest trigrams of
// each language, commonest first) in unexported variables and exports only
// its own Detect, which builds maps and sorts on every call: ~600 µs an
// article against this package's 8 µs. We read its data, not a copy of it,
// through go:linkname. The variables are filled by whatlanggo's package
// initialisation, which runs before this package's because we import it,
// and the model is built only at first use. A whatlanggo release that
// renames them still links, to empty maps of our own, and one that changes
// their type reads garbage: TestProfiles fails on either.
var (
	//go:linkname latinLangs github.com/abadojack/whatlanggo.latinLangs
	latinLangs map[whatlanggo.Lang][]string
	//go:linkname cyrillicLangs github.com/abadojack/whatlanggo.cyrillicLangs
	cyrillicLangs map[whatlanggo.Lang][]string
	//go:linkname arabicLangs github.com/abadojack/whatlanggo.arabicLangs
	arabicLangs map[whatlanggo.Lang][]string
	//go:linkname devanagariLangs github.com/abadojack/whatlanggo.devanagariLangs
	devanagariLangs map[whatlanggo.Lang][]string
	//go:linkname hebrewLangs github.com/abadojack/whatlanggo.hebrewLangs
	hebrewLangs map[whatlanggo.Lang][]string
)

// languages are the languages scored by trigrams: the 38 of these five
// scripts that news is written in. The others whatlanggo profiles in them
// (Nynorsk beside Bokmål, Bhojpuri and Maithili beside Hindi, Saraiki beside
// Urdu, Uzbek, Cebuano, Esperanto, …) are left out, so that a language
// rarely published in does not take articles from a commoner neighbour.
var languages = map[script][]whatlanggo.Lang{
	arabic:     {whatlanggo.Arb, whatlanggo.Pes, whatlanggo.Urd},
	cyrillic:   {whatlanggo.Bel, whatlanggo.Bul, whatlanggo.Mkd, whatlanggo.Rus, whatlanggo.Srp, whatlanggo.Ukr},
	devanagari: {whatlanggo.Hin, whatlanggo.Mar, whatlanggo.Nep},
	hebrew:     {whatlanggo.Heb, whatlanggo.Ydd},
	latin: {
		whatlanggo.Afr, whatlanggo.Ces, whatlanggo.Dan, whatlanggo.Deu, whatlanggo.Eng, whatlanggo.Spa,
		whatlanggo.Est, whatlanggo.Fin, whatlanggo.Fra, whatlanggo.Hrv, whatlanggo.Hun, whatlanggo.Ind,
		whatlanggo.Ita, whatlanggo.Lit, whatlanggo.Lav, whatlanggo.Nob, whatlanggo.Nld, whatlanggo.Pol,
		whatlanggo.Por, whatlanggo.Ron, whatlanggo.Slv, whatlanggo.Swe, whatlanggo.Tur, whatlanggo.Vie,
	},
}

// iso6391 are the ISO 639-1 codes of the macrolanguages whose individual
// language whatlanggo profiles and has no 639-1 code for: Iranian Persian
// (pes) is Persian (fa), Eastern Yiddish (ydd) is Yiddish (yi).
var iso6391 = map[whatlanggo.Lang]string{whatlanggo.Pes: "fa", whatlanggo.Ydd: "yi"}

// profile is one language's trigrams, commonest first.
type profile struct {
	code     string // ISO 639-1
	script   script
	trigrams []string
}

// profiles are the profiles of languages, in a fixed order (by script, then
// code) so that a tie between two languages always goes the same way.
func profiles() []profile {
	lists := map[script]map[whatlanggo.Lang][]string{
		latin: latinLangs, cyrillic: cyrillicLangs, arabic: arabicLangs,
		devanagari: devanagariLangs, hebrew: hebrewLangs,
	}
	var out []profile
	for s, langs := range languages {
		for _, l := range langs {
			code := l.Iso6391()
			if c, ok := iso6391[l]; ok {
				code = c
			}
			out = append(out, profile{code: code, script: s, trigrams: lists[s][l]})
		}
	}
	slices.SortFunc(out, func(a, b profile) int {
		return cmp.Or(cmp.Compare(a.script, b.script), cmp.Compare(a.code, b.code))
	})
	return out
}
