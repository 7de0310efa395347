package prefilter

import (
	"context"
	"sort"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// WhatIfResult compares two rule sets on the same articles; nothing is written.
type WhatIfResult struct {
	Articles     int64 `json:"articles"`
	PassedBefore int64 `json:"passed_before"`
	PassedAfter  int64 `json:"passed_after"`
	// ToPassed were blocked and would pass; ToBlocked passed and would be blocked.
	ToPassed  int64 `json:"to_passed"`
	ToBlocked int64 `json:"to_blocked"`
	// Reasons counts the new reason of every article that flips, without
	// its number (too_short, not too_short:212_chars).
	Reasons []ReasonCount `json:"flip_reasons"`
	// ByTier splits the flips by the tier of the article's label, where one exists.
	ByTier []TierFlips `json:"by_tier,omitempty"`
	// BlockedBy is each rule of other with the passed articles it would
	// block, and how many of those have labels, most first.
	BlockedBy []RuleCount `json:"blocked_by"`
	// Examples are a few flipped ids, to look at.
	Examples []string `json:"examples,omitempty"`
	// Warnings name the rules that would block labeled articles.
	Warnings []string `json:"warnings"`
}

// ReasonCount is one reason and how many flipped articles it decided.
type ReasonCount struct {
	Reason string `json:"reason"`
	N      int64  `json:"n"`
}

// TierFlips is how many labeled articles of one tier would flip each way.
type TierFlips struct {
	Tier      string `json:"tier"`
	ToPassed  int64  `json:"to_passed"`
	ToBlocked int64  `json:"to_blocked"`
}

// WhatIf decides every article of raw with base's rules and with other's,
// and reports what would change.
func WhatIf(ctx context.Context, l *lake.Lake, base, other *filters.Filter, raw lake.Ref) (WhatIfResult, error) {
	var res WhatIfResult
	if raw.Table == "" {
		raw = spec.Raw.Ref(nil)
	}
	before, err := Compile(base)
	if err != nil {
		return res, err
	}
	after, err := Compile(other)
	if err != nil {
		return res, err
	}
	sess, err := l.Session(ctx, base.Namespace())
	if err != nil {
		return res, err
	}
	defer sess.Close()
	rawRel, rawSnap, err := sess.Relation(ctx, raw)
	if err != nil {
		return res, err
	}
	if rawSnap == nil {
		return res, spec.Need(spec.Raw, "", "", ErrNoRaw)
	}
	tiers := map[string]string{}
	lrel, err := labeledRelation(ctx, l, sess, base)
	if err != nil {
		return res, err
	}
	if lrel != "" {
		rows, err := sess.Query(ctx, "SELECT id, arg_max(tier, labeled_at) FROM "+lrel+" GROUP BY id")
		if err == nil {
			for rows.Next() {
				var id, tier string
				if rows.Scan(&id, &tier) == nil {
					tiers[id] = tier
				}
			}
			rows.Close()
		}
	}
	rows, err := sess.Query(ctx, "SELECT id, title, content, coalesce(url, ''), coalesce(source, ''), coalesce(published_date, '') FROM "+rawRel+" ORDER BY id")
	if err != nil {
		return res, err
	}
	defer rows.Close()
	reasons := map[string]int64{}
	blocked := ruleTally{}
	byTier := map[string]*TierFlips{}
	for rows.Next() {
		var a Article
		if err := rows.Scan(&a.ID, &a.Title, &a.Content, &a.URL, &a.Source, &a.PublishedDate); err != nil {
			return res, err
		}
		res.Articles++
		b, o := before.Decide(a), after.Decide(a)
		if b.Passed {
			res.PassedBefore++
		}
		if o.Passed {
			res.PassedAfter++
		}
		if b.Passed == o.Passed {
			continue
		}
		reasons[reasonCode(o.Reason)]++
		if len(res.Examples) < 5 {
			res.Examples = append(res.Examples, a.ID)
		}
		tf := (*TierFlips)(nil)
		t, hasLabel := tiers[a.ID]
		if hasLabel {
			if tf = byTier[t]; tf == nil {
				tf = &TierFlips{Tier: t}
				byTier[t] = tf
			}
		}
		if o.Passed {
			res.ToPassed++
			if tf != nil {
				tf.ToPassed++
			}
		} else {
			res.ToBlocked++
			blocked.add(o.Rule, hasLabel)
			if tf != nil {
				tf.ToBlocked++
			}
		}
	}
	for r, n := range reasons {
		res.Reasons = append(res.Reasons, ReasonCount{r, n})
	}
	sort.Slice(res.Reasons, func(i, j int) bool {
		if res.Reasons[i].N != res.Reasons[j].N {
			return res.Reasons[i].N > res.Reasons[j].N
		}
		return res.Reasons[i].Reason < res.Reasons[j].Reason
	})
	res.BlockedBy = blocked.sorted()
	res.Warnings = labeledWarnings(res.BlockedBy, "would block", "more labeled article", spec.Labels.For(base), "")
	for _, t := range base.Tiers {
		if tf := byTier[t.Name]; tf != nil {
			res.ByTier = append(res.ByTier, *tf)
		}
	}
	return res, rows.Err()
}
