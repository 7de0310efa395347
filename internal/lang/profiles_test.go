package lang

import "testing"

// TestProfiles guards the go:linkname route into whatlanggo: a release that
// renames the variables (they link to nil maps then), changes their type or
// drops a language must fail here rather than quietly detect less.
func TestProfiles(t *testing.T) {
	ps := profiles()
	if len(ps) != 38 {
		t.Errorf("%d profiles, want 38", len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if len(p.code) != 2 || seen[p.code] {
			t.Errorf("profile code %q: want a distinct ISO 639-1 code", p.code)
		}
		seen[p.code] = true
		if len(p.trigrams) != 300 {
			t.Errorf("%s: %d trigrams, want 300", p.code, len(p.trigrams))
		}
	}
	for _, code := range []string{"ar", "fa", "ur", "ru", "sr", "hi", "he", "yi", "en", "nb", "vi"} {
		if !seen[code] {
			t.Errorf("no profile for %q", code)
		}
	}
}
