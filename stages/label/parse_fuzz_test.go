package label

import (
	"errors"
	"math"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

// FuzzParse feeds arbitrary oracle answers to the JSON repair and
// validation of Parse. It must never panic; a refusal is always a
// ValidationError (the labeler feeds it back to the oracle); an accepted
// answer has a score in 0-10 for every dimension and only valid UTF-8 in
// what is stored (evidence, content type, repairs).
func FuzzParse(f *testing.F) {
	flt, err := filters.Load(filepath.Join(testutil.RepoRoot(f), "filters/uplifting/v1"))
	if err != nil {
		f.Fatal(err)
	}
	good := `{"agency": {"score": 5, "evidence": "e"}, "progress": 6, "collective_benefit": 5, "connection": 5, "innovation": 5, "justice": 5, "resilience": 5, "wonder": {"score": 1, "reasoning": "r"}, "content_type": "news"}`
	for _, s := range []string{
		good,
		"```json\n" + good + "\n```",
		"Here you go: " + good + " hope it helps",
		`{"scores": {"agency": 5,}, "content_type": "x",}`,
		`{"dimensions": {"agency": 11}}`,
		"{\"agency\": {\"score\": 5, \"evidence\": \"\xff\"}}",
		`}{`, "", "```", `{"agency": NaN}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := Parse(flt, raw)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("refusal %T %v is not a ValidationError", err, err)
			}
			return
		}
		if len(s.Values) != len(flt.Dimensions) {
			t.Fatalf("accepted %d scores for %d dimensions", len(s.Values), len(flt.Dimensions))
		}
		for _, d := range flt.Dimensions {
			v, ok := s.Values[d.Name]
			if !ok || math.IsNaN(v) || v < 0 || v > 10 {
				t.Fatalf("dimension %s: score %v (present %v)", d.Name, v, ok)
			}
			if !utf8.ValidString(s.Evidence[d.Name]) {
				t.Fatalf("dimension %s: evidence is not UTF-8: %q", d.Name, s.Evidence[d.Name])
			}
		}
		if !utf8.ValidString(s.ContentType) || !utf8.ValidString(s.Repaired) {
			t.Fatalf("content type %q or repairs %q not UTF-8", s.ContentType, s.Repaired)
		}
	})
}
