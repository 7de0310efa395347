package split

import (
	"fmt"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the split's own lines: what became of the labeled articles,
// the counts per split, the duplicate groups, then a table of the strata
// (and of the tiers --balance capped).
func (r *Result) Details() []string {
	var lines []string
	if r.Mode == "unchanged" {
		lines = append(lines, fmt.Sprintf("up to date with %s: the split is unchanged", r.Labels))
	} else {
		lines = append(lines, fmt.Sprintf("of %s: %s, %d kept their split, %d new, %d excluded, %d carried over without a label",
			r.Labels, human.Plural(r.Articles, "article"), r.Kept, r.New, r.Excluded, r.CarriedOver))
	}
	counts := fmt.Sprintf("train %d, val %d, test %d", r.Counts["train"], r.Counts["val"], r.Counts["test"])
	if r.Counts["excluded"] > 0 {
		counts += fmt.Sprintf(", excluded %d", r.Counts["excluded"])
	}
	lines = append(lines, counts,
		fmt.Sprintf("duplicate groups: %d (%s; %s and %s)", r.Groups, human.Plural(r.InGroups, "article"), human.Plural(r.ExactPairs, "exact pair"), human.Plural(r.NearPairs, "near-duplicate pair")))
	strata := []string{"STRATUM\tARTICLES\tTRAIN\tVAL\tTEST\tMAX OFF RATIO\tNEW"}
	for _, s := range r.Strata {
		strata = append(strata, fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%.1f%%\t%d", s.Stratum, s.Articles, s.Train, s.Val, s.Test, 100*s.MaxOff, s.NewCount))
	}
	lines = append(lines, spec.Columns(strata...)...)
	if len(r.Balance) > 0 {
		var before int64
		bal := []string{"BALANCE (train)\tBEFORE\tAFTER\tLEFT OUT\tSHARE"}
		for _, b := range r.Balance {
			before += b.Before
			bal = append(bal, fmt.Sprintf("%s\t%d\t%d\t%d\t%.1f%%", b.Tier, b.Before, b.After, b.LeftOut, 100*b.Share))
		}
		lines = append(lines, fmt.Sprintf("balance left out %d of %s: %s", r.BalancedOut, human.Plural(before, "training article"), r.balanceCut()))
		lines = append(lines, spec.Columns(bal...)...)
	}
	return lines
}

// balanceCut says which tiers --balance cut, and to what: "vaporware was
// cut to 15" or "the largest tiers were cut to 15 each" (Caps cuts every
// capped tier to one common size).
func (r *Result) balanceCut() string {
	var cut []TierBalance
	for _, b := range r.Balance {
		if b.LeftOut > 0 {
			cut = append(cut, b)
		}
	}
	switch len(cut) {
	case 0:
		return "no tier was over the cap"
	case 1:
		return fmt.Sprintf("%s was cut to %d", cut[0].Tier, cut[0].After)
	}
	names := make([]string, len(cut))
	for i, b := range cut {
		names[i] = b.Tier
	}
	return fmt.Sprintf("the largest tiers (%s) were cut to %d each", strings.Join(names, ", "), cut[0].After)
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	return fmt.Sprintf("%s: train %d, val %d, test %d, %s", r.Mode, r.Counts["train"], r.Counts["val"], r.Counts["test"], human.Plural(r.Groups, "duplicate group"))
}
