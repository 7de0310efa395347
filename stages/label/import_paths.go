package label

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// compactJSON encodes v with no spaces, map keys sorted, and <, > and &
// as they are.
func compactJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// defaultPath is where a dimension is found without --dim: at the top level,
// or under a "dimensions" or "scores" object (as Parse reads oracles'
// answers). Nil when it is nowhere.
func defaultPath(a map[string]any, dim string) []string {
	if _, ok := a[dim]; ok {
		return []string{dim}
	}
	for _, k := range []string{"dimensions", "scores"} {
		if inner, ok := a[k].(map[string]any); ok {
			if _, ok := inner[dim]; ok {
				return []string{k, dim}
			}
		}
	}
	return nil
}

// unset says whether a dimension's value is null or {"score": null}: a
// review not judged yet, never a 0.
func unset(v any) bool {
	if m, ok := v.(map[string]any); ok {
		s, has := m["score"]
		return has && s == nil
	}
	return v == nil
}

// notNumber describes a score that is not a number, briefly (a long text
// is cut); "" for a number or an object without a score.
func notNumber(v any) string {
	if m, ok := v.(map[string]any); ok {
		v = m["score"]
	}
	switch x := v.(type) {
	case float64, nil:
		return ""
	case string:
		if r := []rune(x); len(r) > 40 {
			x = string(r[:40]) + "…"
		}
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

// lookup follows path through nested objects.
func lookup(m map[string]any, path []string) (any, bool) {
	if len(path) == 0 {
		return nil, false
	}
	var v any = m
	for _, k := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// consumeScore removes from exact what a dimension's value mapped to
// columns: a bare score, or the score and evidence of an object (its
// reasoning too when it stood in for the evidence); its other fields stay.
func consumeScore(exact map[string]any, path []string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		remove(exact, path)
		return
	}
	fields := []string{"score", "evidence"}
	if e, _ := m["evidence"].(string); e == "" {
		if _, ok := m["reasoning"].(string); ok {
			fields = append(fields, "reasoning")
		}
	}
	if obj, ok := lookupExact(exact, path); ok {
		for _, k := range fields {
			if _, isString := obj[k].(string); k == "score" || isString {
				delete(obj, k)
			}
		}
		if len(obj) == 0 {
			remove(exact, path)
		}
	}
}

// lookupExact is lookup for an object at path.
func lookupExact(m map[string]any, path []string) (map[string]any, bool) {
	v, ok := lookup(m, path)
	if !ok {
		return nil, false
	}
	obj, ok := v.(map[string]any)
	return obj, ok
}

// remove deletes path's leaf, and each object above it that this leaves
// empty.
func remove(m map[string]any, path []string) {
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	inner, ok := m[path[0]].(map[string]any)
	if !ok {
		return
	}
	remove(inner, path[1:])
	if len(inner) == 0 {
		delete(m, path[0])
	}
}

// cut takes the value at path out of a record (re-encoding the objects
// above it), and reports whether it was there.
func cut(rec map[string]json.RawMessage, path []string) (json.RawMessage, bool) {
	v, ok := rec[path[0]]
	if !ok {
		return nil, false
	}
	if len(path) == 1 {
		delete(rec, path[0])
		return v, true
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(v, &inner) != nil || inner == nil {
		return nil, false
	}
	got, ok := cut(inner, path[1:])
	if !ok {
		return nil, false
	}
	if len(inner) == 0 {
		delete(rec, path[0])
	} else if b, err := json.Marshal(inner); err == nil {
		rec[path[0]] = b
	}
	return got, true
}
