package label

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own lines: what an estimate expects to pay, or
// where each article's label came from, what it cost and why a run stopped.
func (r *Result) Details() []string {
	if r.Mode == "estimate" {
		cost := fmt.Sprintf("expected tokens: %d in, %d out; expected cost: $%.4f", r.ExpectedIn, r.ExpectedOut, r.ExpectedCost)
		if r.Unpriced {
			cost += " (no price known for this model: set oracle.prices in filter.yaml)"
		}
		return []string{fmt.Sprintf("estimate for %s %s: %d articles to label, %d answers in the cache (free), %d sharing another's prompt (free), %d calls to make",
			r.Oracle, r.Model, r.Cached+r.Shared+r.Misses, r.Cached, r.Shared, r.Misses), cost}
	}
	// Answers recovered from the journal are committed before the run looks
	// at what is done, so they are among the already labeled.
	already := fmt.Sprintf("%d already labeled", r.AlreadyDone)
	if r.Recovered > 0 {
		already += " (the recovered included)"
	}
	line := fmt.Sprintf("label %s %s: %d labeled, %d from the cache, %d sharing another's prompt, %d recovered from the journal, %d failed, %s; %d calls, %d+%d tokens, $%.4f, %.1f labels/s",
		r.Oracle, r.Model, r.Labeled, r.Cached, r.Shared, r.Recovered, r.Failed, already, r.Calls, r.TokensIn, r.TokensOut, r.Cost, r.LabelsPerSec)
	if r.Snapshot > 0 {
		line += fmt.Sprintf(" -> labels@%d (%d rows committed)", r.Snapshot, r.Committed)
	}
	lines := []string{line}
	if len(r.FailedBy) > 0 {
		var parts []string
		for k, v := range r.FailedBy {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(parts)
		lines = append(lines, fmt.Sprintf("failed by class: %s (every call is in oracle_calls)", strings.Join(parts, ", ")))
	}
	if r.Stopped != "" {
		lines = append(lines, "stopped early: "+r.Stopped)
	}
	return lines
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	if r.Mode == "estimate" {
		return fmt.Sprintf("estimate: %d calls to make, $%.4f expected", r.Misses, r.ExpectedCost)
	}
	s := fmt.Sprintf("%d labeled by %s (%d from the cache, %d sharing a prompt, %d failed), $%.4f", r.RowsOut, r.Model, r.Cached, r.Shared, r.Failed, r.Cost)
	if r.Stopped != "" {
		s += "; stopped: " + r.Stopped
	}
	return s
}
