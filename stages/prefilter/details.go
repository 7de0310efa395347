package prefilter

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own lines: the decisions, the articles each rule
// blocked, then the commonest reasons (see topReasons).
func (r *Result) Details() []string {
	share := 0.0
	if r.RowsOut > 0 {
		share = 100 * float64(r.Passed) / float64(r.RowsOut)
	}
	lines := []string{fmt.Sprintf("%d decided (%s), %d passed (%.1f%%), %d blocked, %d already decided",
		r.RowsOut, r.Mode, r.Passed, share, r.Blocked, r.AlreadyDecided)}
	if len(r.BlockedBy) > 0 {
		lines = append(lines, BlockedLine(r.BlockedBy))
	}
	for _, rc := range topReasons(r.ByReason, 6) {
		lines = append(lines, fmt.Sprintf("%7d  %s", rc.N, rc.Reason))
	}
	return lines
}

// reasonCount is how many articles one reason decided.
type reasonCount struct {
	Reason string
	N      int64
}

// topReasons are the n commonest reasons, most first. Reasons that differ
// only in a number (too_short:212_chars, too_short:205_chars) count as one.
func topReasons(by map[string]int64, n int) []reasonCount {
	grouped := map[string]int64{}
	for r, c := range by {
		grouped[reasonCode(r)] += c
	}
	all := make([]reasonCount, 0, len(grouped))
	for r, c := range grouped {
		all = append(all, reasonCount{r, c})
	}
	sort.Slice(all, func(i, j int) bool {
		return all[i].N > all[j].N || all[i].N == all[j].N && all[i].Reason < all[j].Reason
	})
	return all[:min(n, len(all))]
}

// reasonCode is a reason without its number (too_short:212_chars is
// too_short), so that counts by reason have a row per kind, not per length;
// reasons whose detail is a name (excluded:vaporware) stay whole.
func reasonCode(r string) string {
	if code, detail, ok := strings.Cut(r, ":"); ok && strings.ContainsAny(detail, "0123456789") {
		return code
	}
	return r
}

// Headline is the run's key figures.
func (r *Result) Headline() string { return fmt.Sprintf("%d decided, %d passed", r.RowsOut, r.Passed) }
