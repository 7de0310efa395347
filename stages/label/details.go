package label

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/distillery/distillery/internal/human"
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
		lines := []string{fmt.Sprintf("estimate for %s %s: %s to label, %s in the cache (free), %d sharing another's prompt (free), %s to make",
			r.Oracle, r.Model, human.Plural(int64(r.Cached+r.Shared+r.Misses), "article"), human.Plural(int64(r.Cached), "answer"), r.Shared, human.Plural(int64(r.Misses), "call")), cost}
		if r.Assumption != "" {
			lines = append(lines, "assumed: "+r.Assumption)
		}
		return lines
	}
	// Answers recovered from the journal are committed before the run looks
	// at what is done, so they are among the already labeled.
	already := fmt.Sprintf("%d already labeled", r.AlreadyDone)
	if r.Recovered > 0 {
		already += " (the recovered included)"
	}
	line := fmt.Sprintf("label %s %s: %d labeled, %d from the cache, %d sharing another's prompt, %d recovered from the journal, %d failed, %s; %s, %d+%d tokens, $%.4f, %.1f labels/s",
		r.Oracle, r.Model, r.Labeled, r.Cached, r.Shared, r.Recovered, r.Failed, already, human.Plural(int64(r.Calls), "call"), r.TokensIn, r.TokensOut, r.Cost, r.LabelsPerSec)
	if r.Snapshot > 0 {
		line += fmt.Sprintf(" -> labels@%d (%s committed)", r.Snapshot, human.Plural(int64(r.Committed), "row"))
	}
	lines := []string{line}
	if r.Elsewhere > 0 || r.TakenOver > 0 || r.DroppedDone > 0 {
		lines = append(lines, fmt.Sprintf("workers: %d labeled by other workers meanwhile, %s a dead worker paid for committed with no call (among the recovered), %d labels left out as another worker committed them first",
			r.Elsewhere, human.Plural(r.TakenOver, "answer"), r.DroppedDone))
	}
	if len(r.FailedBy) > 0 {
		var parts []string
		for k, v := range r.FailedBy {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(parts)
		lines = append(lines, fmt.Sprintf("failed by class: %s (every call is in oracle_calls)", strings.Join(parts, ", ")))
	}
	if line := r.sampleLine(); line != "" {
		lines = append(lines, line)
	}
	if r.Stopped != "" {
		stop := "stopped early: " + r.Stopped
		if r.NextRequestAt != nil {
			stop += fmt.Sprintf(" (the daily request quota is used up; the next request may be made at %s: rerun then to resume)",
				r.NextRequestAt.UTC().Format(time.RFC3339))
		}
		lines = append(lines, stop)
	}
	return lines
}

// sampleLine says how big the sample was and what each keyword tier gave,
// or what a selection chose and from how many ("" for neither).
func (r *Result) sampleLine() string {
	if r.Selection != "" {
		var parts []string
		for by, n := range r.Selected {
			parts = append(parts, fmt.Sprintf("%d %s", n, by))
		}
		sort.Strings(parts)
		if len(parts) == 0 {
			parts = []string{"none"}
		}
		return fmt.Sprintf("select %s: %s of %s not yet labeled by this oracle", r.Selection, strings.Join(parts, ", "), human.Plural(r.Pool, "article"))
	}
	if r.Sampled == 0 {
		return ""
	}
	line := "sample: " + human.Plural(r.Sampled, "article")
	if len(r.Strata) > 0 {
		var parts []string
		for tier, n := range r.Strata {
			parts = append(parts, fmt.Sprintf("%s %d", tier, n))
		}
		sort.Strings(parts)
		line += " (by keyword tier: " + strings.Join(parts, ", ") + ")"
	}
	return line
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	if r.Mode == "estimate" {
		return fmt.Sprintf("estimate: %s to make, $%.4f expected", human.Plural(int64(r.Misses), "call"), r.ExpectedCost)
	}
	s := fmt.Sprintf("%d labeled by %s (%d from the cache, %d sharing a prompt, %d failed), $%.4f", r.RowsOut, r.Model, r.Cached, r.Shared, r.Failed, r.Cost)
	if r.Stopped != "" {
		s += "; stopped: " + r.Stopped
	}
	return s
}
