package label

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/distillery/distillery/filters"
)

// Scores is a validated oracle answer.
type Scores struct {
	Values      map[string]float64
	Evidence    map[string]string
	ContentType string
	// Repaired says what was fixed in the raw text to parse it ("" when nothing).
	Repaired string
}

// ValidationError says why an answer was refused; it is fed back to the
// oracle once ("ask again with the validation error").
type ValidationError struct{ Msg string }

func (e *ValidationError) Error() string { return e.Msg }

var (
	fenceRe         = regexp.MustCompile("(?s)^\\s*```[a-zA-Z]*\\s*\\n?(.*?)\\n?\\s*```\\s*$")
	trailingCommaRe = regexp.MustCompile(`,\s*([}\]])`)
)

// Parse reads an oracle's answer for filter f. It repairs what is
// unambiguous (code fences, text around the one JSON object, trailing
// commas) and refuses the rest: a missing dimension, a score outside 0-10 or
// not a number is a ValidationError, never clamped or invented.
func Parse(f *filters.Filter, raw string) (Scores, error) {
	var s Scores
	text := strings.TrimSpace(raw)
	var fixes []string
	if m := fenceRe.FindStringSubmatch(text); m != nil {
		text, fixes = strings.TrimSpace(m[1]), append(fixes, "code_fence")
	}
	if i, j := strings.IndexByte(text, '{'), strings.LastIndexByte(text, '}'); i > 0 || (j >= 0 && j < len(text)-1) {
		if i < 0 || j < i {
			return s, &ValidationError{"no JSON object in the answer"}
		}
		text, fixes = text[i:j+1], append(fixes, "surrounding_text")
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(text), &obj); err != nil {
		fixed := trailingCommaRe.ReplaceAllString(text, "$1")
		if fixed == text || json.Unmarshal([]byte(fixed), &obj) != nil {
			return s, &ValidationError{"the answer is not valid JSON: " + err.Error()}
		}
		fixes = append(fixes, "trailing_comma")
	}
	// Some oracles nest the scores under "dimensions" or "scores".
	for _, k := range []string{"dimensions", "scores"} {
		if inner, ok := obj[k].(map[string]any); ok && obj[f.Dimensions[0].Name] == nil {
			for kk, v := range obj {
				if _, dup := inner[kk]; !dup && kk != k {
					inner[kk] = v
				}
			}
			obj = inner
		}
	}
	s = Scores{Values: map[string]float64{}, Evidence: map[string]string{}, Repaired: strings.Join(fixes, ",")}
	var problems []string
	for _, d := range f.Dimensions {
		v, ok := obj[d.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("dimension %s is missing", d.Name))
			continue
		}
		score, evidence, err := scoreOf(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("dimension %s: %v", d.Name, err))
			continue
		}
		s.Values[d.Name], s.Evidence[d.Name] = score, evidence
	}
	if len(problems) > 0 {
		return s, &ValidationError{strings.Join(problems, "; ")}
	}
	if ct, ok := obj["content_type"].(string); ok {
		s.ContentType = ct
	}
	return s, nil
}

// scoreOf reads {"score": 7, "evidence": "…"} or a bare number.
func scoreOf(v any) (float64, string, error) {
	evidence := ""
	if m, ok := v.(map[string]any); ok {
		evidence, _ = m["evidence"].(string)
		if evidence == "" {
			evidence, _ = m["reasoning"].(string)
		}
		var found bool
		if v, found = m["score"]; !found {
			return 0, "", fmt.Errorf(`no "score"`)
		}
	}
	n, ok := v.(float64)
	if !ok {
		return 0, "", fmt.Errorf("score %v is not a number", v)
	}
	if math.IsNaN(n) || n < 0 || n > 10 {
		return 0, "", fmt.Errorf("score %g is outside 0-10", n)
	}
	return n, evidence, nil
}
