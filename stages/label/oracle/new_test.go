package oracle

import (
	"context"
	"errors"
	"testing"

	"github.com/distillery/distillery/filters"
)

func TestNew_KindsAndDefaultModel(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", secretKey)
	t.Setenv("OPENAI_API_KEY", secretKey)
	ctx := context.Background()
	f := &filters.Filter{}
	for _, tc := range []struct {
		cfg         Config
		kind, model string
		err         error
	}{
		{Config{Filter: f}, "keywords", NewKeywords(f).Model(), nil},
		{Config{Kind: "gemini", Filter: f}, "gemini", "gemini-2.5-flash", nil},
		{Config{Kind: "gemini", Filter: &filters.Filter{Oracle: filters.Oracle{Model: "gemini-from-filter"}}}, "gemini", "gemini-from-filter", nil},
		{Config{Kind: "gemini", Model: "gemini-flag", Filter: f}, "gemini", "gemini-flag", nil},
		{Config{Kind: "openai", Model: "deepseek-chat", Filter: f}, "openai", "deepseek-chat", nil},
		{Config{Kind: "openai", Filter: f}, "", "", ErrNoModel},
		{Config{Kind: "claude", Filter: f}, "", "", ErrKind},
	} {
		o, err := New(ctx, tc.cfg)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("New(%+v): %v, want %v", tc.cfg, err, tc.err)
			}
			continue
		}
		if err != nil || o.Kind() != tc.kind || o.Model() != tc.model {
			t.Errorf("New(%+v) = %v, %v; want %s %s", tc.cfg, o, err, tc.kind, tc.model)
		}
	}
}
