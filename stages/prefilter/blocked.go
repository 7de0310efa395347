package prefilter

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// RuleCount is how many articles one rule blocked, and how many of those
// already have labels in the filter's labels table.
type RuleCount struct {
	Rule    string `json:"rule"`
	N       int64  `json:"n"`
	Labeled int64  `json:"labeled"`
}

// ruleTally counts blocked articles by rule.
type ruleTally map[string]*RuleCount

func (t ruleTally) add(rule string, labeled bool) {
	rc := t[rule]
	if rc == nil {
		rc = &RuleCount{Rule: rule}
		t[rule] = rc
	}
	rc.N++
	if labeled {
		rc.Labeled++
	}
}

// sorted is the tally, most blocked first.
func (t ruleTally) sorted() []RuleCount {
	out := make([]RuleCount, 0, len(t))
	for _, rc := range t {
		out = append(out, *rc)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].N > out[j].N || out[i].N == out[j].N && out[i].Rule < out[j].Rule
	})
	return out
}

// BlockedLine is "blocked: min_chars 1204, positive 3310": the articles
// each rule blocked, most first.
func BlockedLine(rcs []RuleCount) string {
	parts := make([]string, len(rcs))
	for i, rc := range rcs {
		parts[i] = fmt.Sprintf("%s %d", rc.Rule, rc.N)
	}
	return "blocked: " + strings.Join(parts, ", ")
}

// labeledWarnings name every rule that blocks labeled articles: labels are
// paid for (or imported as seeds), and a rule that quietly drops them is
// the surprise this warns about. verb and noun make "blocks 3 labeled
// articles" or "would block 3 more labeled articles".
func labeledWarnings(rcs []RuleCount, verb, noun string, labels lake.TableName, hint string) []string {
	out := []string{}
	for _, rc := range rcs {
		if rc.Labeled > 0 {
			out = append(out, fmt.Sprintf("%s %s %s: articles with labels in %s (seed, imported or paid for)%s",
				rc.Rule, verb, human.Plural(rc.Labeled, noun), labels, hint))
		}
	}
	return out
}

// labeledRelation is the filter's labels table as a relation of sess, or ""
// when nothing is labeled yet.
func labeledRelation(ctx context.Context, l *lake.Lake, sess *lake.Session, f *filters.Filter) (string, error) {
	labels := spec.Labels.For(f)
	if ok, err := l.Exists(ctx, labels); err != nil || !ok {
		return "", err
	}
	rel, _, err := sess.Relation(ctx, lake.Ref{TableName: labels})
	return rel, err
}
