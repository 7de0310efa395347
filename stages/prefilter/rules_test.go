package prefilter

import (
	"regexp"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
)

func testRules(t *testing.T, p filters.Prefilter) *Rules {
	t.Helper()
	r, err := Compile(&filters.Filter{Prefilter: p})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var long = strings.Repeat("Plain words about nothing in particular. ", 20)

func TestRules_Decide(t *testing.T) {
	p := filters.Prefilter{
		HeadChars: 2000, MinChars: 100, Required: []string{"title", "content"}, Junk: true,
		ExcludeDomains: []string{"spam.example"},
		Exclude:        []filters.Exclusion{{Category: "vaporware", Patterns: []string{`(?i)\bcould one day\b`}, Unless: []string{"commissioned"}}},
		Languages:      []string{"en", "fr"},
		Positive:       filters.Positive{MinMatches: 2, Keywords: []string{"solar", "heat pump*", "net-zero", "renewabl*", "太阳能"}, Patterns: []string{`\b[0-9]+ ?MW\b`}},
	}
	r := testRules(t, p)
	cases := []struct {
		name string
		a    Article
		want string
	}{
		{"missing title", Article{Content: long}, "missing_field:title"},
		{"too short counts characters", Article{Title: "t", Content: strings.Repeat("é", 99)}, "too_short:99_chars"},
		{"domain", Article{Title: "solar solar", Content: long, URL: "https://news.spam.example/x"}, "excluded_domain:spam.example"},
		{"cookie wall", Article{Title: "Solar news", Content: "We use cookies to improve your experience. Accept cookies to continue. " + strings.Repeat("x", 120)}, "scrape_junk:we_use_cookies"},
		{"no keywords", Article{Title: "Nothing", Content: long}, "no_domain_keywords"},
		{"one keyword", Article{Title: "Solar", Content: long}, "few_domain_keywords:1_of_2"},
		{"prefix and phrase", Article{Title: "Heat pumps go net-zero", Content: long}, "passed"},
		{"hyphen and space are the same", Article{Title: "A net zero plan with renewables", Content: long}, "passed"},
		{"pattern counts", Article{Title: "A 300 MW solar farm", Content: long}, "passed"},
		{"word boundaries", Article{Title: "Solaris and renewal", Content: long}, "no_domain_keywords"},
		{"CJK keyword as substring", Article{Title: "太阳能发电 solar", Content: long}, "passed"},
		{"exclusion", Article{Title: "Solar could one day power renewable cities", Content: long}, "excluded:vaporware"},
		{"exclusion overridden", Article{Title: "Solar could one day power renewable cities; plant commissioned", Content: long}, "passed"},
		{"language not listed", Article{Title: "Solar: neue Anlage", Content: strings.Repeat("Die neue Solaranlage versorgt seit Montag rund dreitausend Haushalte mit Strom aus erneuerbaren Quellen. ", 3)}, "language:de"},
		{"language listed", Article{Title: "Solar: une nouvelle centrale", Content: strings.Repeat("La nouvelle centrale alimente depuis lundi trois mille foyers en électricité, solar et renewables. ", 3)}, "passed"},
		{"language undetermined passes", Article{Title: "PV", Content: "solar renewables " + strings.Repeat("42 — ", 30)}, "passed"},
		{"only the head is matched", Article{Title: "t", Content: long + strings.Repeat("filler ", 400) + "solar solar heat pumps"}, "no_domain_keywords"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := r.Decide(tc.a)
			if d.Reason != tc.want {
				t.Errorf("reason = %q (rule %s), want %q", d.Reason, d.Rule, tc.want)
			}
			if d.Passed != (tc.want == "passed") {
				t.Errorf("passed = %v with reason %q", d.Passed, d.Reason)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	got := strings.Join(tokenize("Net-Zero, 300MW; Ørsted's CAFÉ", nil), "|")
	if want := "Net|Zero|300MW|Ørsted|s|CAFÉ"; got != want {
		t.Errorf("tokenize = %q, want %q", got, want)
	}
}

func TestGuard_RequiredLiterals(t *testing.T) {
	for _, tc := range []struct {
		pattern, text string
		always        bool
	}{
		{`\b[0-9][0-9,.]* ?(MW|GW|MWh|GWh)\b`, "a 300 MW plant", false},
		{`(?i)\b(could|might|may) (one day|someday) power`, "It COULD ONE DAY POWER homes", false},
		{`(?i)\bby (2040|2045|2050)\b.{0,60}\bplans?`, "by 2050 the plans", false},
		{`[0-9]+`, "42", true},
		{`(?i)café`, "CAFÉ", true},
		{`(?i)\b(researchers|scientists) (have )?demonstrated\b[^.]*\blab\b`, "In 2020 the RESEARCHERS have demonstrated it in the lab", false},
	} {
		re := regexp.MustCompile(tc.pattern)
		g := guard(re)
		if g.always != tc.always {
			t.Errorf("%s: always = %v, want %v (exact %q folded %q)", tc.pattern, g.always, tc.always, g.exact, g.folded)
		}
		lower := func() string { return strings.ToLower(tc.text) }
		if got := g.MatchString(tc.text, lower); !got {
			t.Errorf("%s on %q: the guard hid a match", tc.pattern, tc.text)
		}
		if g.MatchString("nothing here at all", func() string { return "nothing here at all" }) {
			t.Errorf("%s matched nothing", tc.pattern)
		}
		// Never a different answer from the plain regexp.
		for _, text := range []string{tc.text, "xresearchers demonstrated the lab", "a 5 MWh battery", "10GW", "researchers demonstrated lab. researchers demonstrated in the lab"} {
			lower := func() string { return strings.ToLower(text) }
			if got, want := g.MatchString(text, lower), re.MatchString(text); got != want {
				t.Errorf("%s on %q: guarded %v, plain %v", tc.pattern, text, got, want)
			}
		}
	}
}

func TestHeadOf(t *testing.T) {
	for _, s := range []string{"abc", "héllo wörld", "日本語のテキスト", strings.Repeat("é", 10)} {
		for n := 0; n <= 12; n++ {
			got := headOf(s, n)
			want := s
			if r := []rune(s); len(r) > n {
				want = string(r[:n])
			}
			if got != want {
				t.Errorf("headOf(%q, %d) = %q, want %q", s, n, got, want)
			}
		}
	}
}
