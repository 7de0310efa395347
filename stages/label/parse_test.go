package label

import (
	"errors"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

func uplifting(t testing.TB) *filters.Filter {
	t.Helper()
	f := testutil.Filter(t, "filters/uplifting/v1")
	return f
}

func answer(scores map[string]string) string {
	var parts []string
	for _, d := range []string{"agency", "progress", "collective_benefit", "connection", "innovation", "justice", "resilience", "wonder"} {
		v, ok := scores[d]
		if !ok {
			v = `{"score": 5, "evidence": "e"}`
		}
		if v != "-" {
			parts = append(parts, `"`+d+`": `+v)
		}
	}
	return "{" + strings.Join(parts, ", ") + `, "content_type": "news"}`
}

func TestParse(t *testing.T) {
	f := uplifting(t)
	good := answer(nil)
	cases := []struct {
		name, raw, repaired, invalid string
	}{
		{"clean", good, "", ""},
		{"code fence", "```json\n" + good + "\n```", "code_fence", ""},
		{"surrounding text", "Here is my analysis:\n" + good + "\nHope this helps!", "surrounding_text", ""},
		{"trailing comma", strings.Replace(good, `"news"}`, `"news",}`, 1), "trailing_comma", ""},
		{"bare numbers", answer(map[string]string{"agency": "7"}), "", ""},
		{"scores only (evidence none)", strings.ReplaceAll(good, `, "evidence": "e"`, ""), "", ""},
		{"nested under dimensions", `{"dimensions": ` + good + `, "reasoning": "r"}`, "", ""},
		{"missing dimension", answer(map[string]string{"wonder": "-"}), "", "dimension wonder is missing"},
		{"out of range", answer(map[string]string{"progress": `{"score": 11}`}), "", "outside 0-10"},
		{"negative", answer(map[string]string{"progress": `{"score": -1}`}), "", "outside 0-10"},
		{"not a number", answer(map[string]string{"justice": `{"score": "high"}`}), "", "not a number"},
		{"no json", "I cannot rate this article.", "", "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(f, tc.raw)
			if tc.invalid != "" {
				var ve *ValidationError
				if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.invalid) {
					t.Fatalf("err = %v, want a validation error with %q", err, tc.invalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Repaired != tc.repaired || len(s.Values) != 8 || s.ContentType != "news" {
				t.Errorf("scores = %+v", s)
			}
		})
	}
}
