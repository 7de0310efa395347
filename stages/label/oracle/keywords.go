package oracle

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/distillery/distillery/filters"
)

// Saturation is how many distinct keywords of a dimension give it 10.
const Saturation = 4

// Keywords is the zero-cost offline oracle: it scores each dimension from
// the keyword evidence lists in filter.yaml. It exists for offline demos,
// tests and cold starts; its rows say "keywords", never an LLM's name.
type Keywords struct {
	dims  []keywordDim
	calls atomic.Int64
	hits  []atomic.Int64 // per dimension: calls that scored it above 0
}

type keywordDim struct {
	name   string
	terms  []string         // lower-case; a trailing * is a prefix
	levels map[int][]string // score -> terms, for stage-like dimensions
}

// NewKeywords builds the keywords oracle of a filter.
func NewKeywords(f *filters.Filter) *Keywords {
	k := &Keywords{}
	for _, d := range f.Dimensions {
		kd := keywordDim{name: d.Name, levels: map[int][]string{}}
		for _, t := range d.Keywords {
			kd.terms = append(kd.terms, strings.ToLower(strings.TrimSpace(t)))
		}
		for lvl, terms := range d.KeywordLevels {
			for _, t := range terms {
				kd.levels[lvl] = append(kd.levels[lvl], strings.ToLower(strings.TrimSpace(t)))
			}
		}
		k.dims = append(k.dims, kd)
	}
	k.hits = make([]atomic.Int64, len(k.dims))
	return k
}

// Silent lists the dimensions this oracle scored 0 on every call it
// answered (none before any call): their terms never occur in the texts, so
// a student learns nothing from them, as with a scaffold's placeholders.
func (k *Keywords) Silent() (dims []string, calls int64) {
	calls = k.calls.Load()
	if calls == 0 {
		return nil, 0
	}
	for i, d := range k.dims {
		if k.hits[i].Load() == 0 {
			dims = append(dims, d.name)
		}
	}
	return dims, calls
}

// Blind lists the dimensions of f the keywords oracle has no terms for
// (neither keywords nor keyword_levels): it scores them 0 on every article,
// which a run must say rather than label silently.
func Blind(f *filters.Filter) []string {
	var out []string
	for _, d := range f.Dimensions {
		if len(d.Keywords) == 0 && len(d.KeywordLevels) == 0 {
			out = append(out, d.Name)
		}
	}
	return out
}

// Kind is "keywords".
func (k *Keywords) Kind() string { return "keywords" }

// Model names the scoring rule.
func (k *Keywords) Model() string { return fmt.Sprintf("keywords-v2-sat%d", Saturation) }

// Call scores req.Input: a dimension with keyword levels gets the highest
// level whose terms occur; otherwise 10 × (distinct keywords found /
// Saturation), capped at 10.
func (k *Keywords) Call(ctx context.Context, req Request) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	words := wordSet(strings.ToLower(req.Input))
	lower := " " + strings.Join(strings.Fields(strings.ToLower(req.Input)), " ") + " "
	out := map[string]any{}
	k.calls.Add(1)
	for i, d := range k.dims {
		var found []string
		for _, t := range d.terms {
			if hasTerm(t, words, lower) {
				found = append(found, strings.TrimSuffix(t, "*"))
			}
		}
		score := min(10, (10*len(found)+Saturation/2)/Saturation)
		if len(d.levels) > 0 {
			score, found = 0, nil
			for lvl, terms := range d.levels {
				for _, t := range terms {
					if hasTerm(t, words, lower) && lvl >= score {
						if lvl > score {
							found = nil
						}
						score = lvl
						found = append(found, strings.TrimSuffix(t, "*"))
					}
				}
			}
		}
		ev := "no evidence terms found"
		if len(found) > 0 {
			ev = "mentions " + strings.Join(found[:min(len(found), 4)], ", ")
		}
		if score > 0 {
			k.hits[i].Add(1)
		}
		out[d.name] = map[string]any{"score": score, "evidence": ev}
	}
	b, _ := json.Marshal(out)
	return Response{Text: string(b)}, nil
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 || r == '-')
	}) {
		m[w] = true
	}
	return m
}

func hasTerm(t string, words map[string]bool, lower string) bool {
	if strings.HasSuffix(t, "*") {
		p := strings.TrimSuffix(t, "*")
		for w := range words {
			if strings.HasPrefix(w, p) {
				return true
			}
		}
		return false
	}
	if strings.Contains(t, " ") {
		return strings.Contains(lower, " "+t+" ") || strings.Contains(lower, " "+t)
	}
	return words[t]
}
