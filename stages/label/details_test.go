package label_test

import (
	"strings"
	"testing"

	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
)

// A count of one reads in the singular (issue 14: "1 calls", "(1 rows)").
func TestResult_DetailsSingular(t *testing.T) {
	est := &label.Result{Summary: spec.Summary{Mode: "estimate"}, Oracle: "gemini", Model: "m", Cached: 1, Misses: 1}
	run := &label.Result{Summary: spec.Summary{Mode: "incremental", Snapshot: 2}, Oracle: "gemini", Model: "m", Calls: 1, Committed: 1}
	for _, c := range []struct {
		got  string
		want []string
	}{
		{strings.Join(est.Details(), "\n"), []string{"2 articles to label", "1 answer in the cache", "1 call to make"}},
		{est.Headline(), []string{"estimate: 1 call to make"}},
		{strings.Join(run.Details(), "\n"), []string{"; 1 call,", "(1 row committed)"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.got, w) {
				t.Errorf("got %q, want it to contain %q", c.got, w)
			}
		}
	}
}
