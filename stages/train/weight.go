package train

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/suggest"
	"github.com/distillery/distillery/lake"
)

// The weightings --sample-weight names.
const (
	// WeightNone weighs every training row 1 (the default).
	WeightNone = "none"
	// WeightScore weighs a training row 1 + S × overall/10: the upper tiers,
	// rare and the ones a filter is for, count up to 1 + S times as much.
	WeightScore = "score"
	// WeightTier weighs a training row by the inverse of its tier's
	// frequency among the training rows, so every tier present carries the
	// same total weight.
	WeightTier = "tier"
)

// SampleWeight is how the training rows are weighted in the loss
// (--sample-weight). Validation rows are never weighted: the validation
// figures, and the choice of penalty or epoch, stay comparable across
// weightings.
type SampleWeight struct {
	// Mode is WeightNone, WeightScore or WeightTier.
	Mode string
	// Scale is WeightScore's S (0 otherwise).
	Scale float64
}

// String is the weighting as --sample-weight spells it: none, score:2, tier.
func (w SampleWeight) String() string {
	if w.Mode == WeightScore {
		return WeightScore + ":" + strconv.FormatFloat(w.Scale, 'g', -1, 64)
	}
	if w.Mode == "" {
		return WeightNone
	}
	return w.Mode
}

// ParseSampleWeight reads none, score:S (S a finite number, 0 or more) or
// tier; "" is none, and so is score:0 (every weight 1).
func ParseSampleWeight(s string) (SampleWeight, error) {
	want := "want none, score:S (weight 1 + S × overall/10, S a number 0 or more, e.g. score:2) or tier (weight inversely proportional to the row's tier's count among the training rows)"
	name, arg, hasArg := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	switch name {
	case "", WeightNone, WeightTier:
		if hasArg {
			return SampleWeight{}, fmt.Errorf("%w %q: %s takes no :value; %s", ErrSampleWeight, s, name, want)
		}
		if name == WeightTier {
			return SampleWeight{Mode: WeightTier}, nil
		}
		return SampleWeight{Mode: WeightNone}, nil
	case WeightScore:
		scale, err := strconv.ParseFloat(strings.TrimSpace(arg), 64)
		if !hasArg || err != nil || scale < 0 || math.IsInf(scale, 0) || math.IsNaN(scale) {
			return SampleWeight{}, fmt.Errorf("%w %q: score needs a scale S, a finite number 0 or more: score:2 weighs a row of overall 10 three times one of 0; %s", ErrSampleWeight, s, want)
		}
		if scale == 0 {
			return SampleWeight{Mode: WeightNone}, nil
		}
		return SampleWeight{Mode: WeightScore, Scale: scale}, nil
	}
	cands := []string{WeightNone, WeightTier, WeightScore + ":2"}
	if hasArg {
		cands[2] = WeightScore + ":" + arg
	}
	return SampleWeight{}, fmt.Errorf("%w %q: %s%s", ErrSampleWeight, s, want, suggest.Phrase(strings.ToLower(strings.TrimSpace(s)), cands))
}

// Weights is the weight of each training row, in order, from the rows'
// overall scores (0-10) and, for tier, the filter's tiers (f.TierOf, as
// the labeler assigns them); nil for none. Every backend weighs its
// training rows with these: linear through linear.Example.Weight (readLinear
// sets it), lora through the weight column of its input (weightedQuery).
func (w SampleWeight) Weights(f *filters.Filter, overall []float64) []float64 {
	switch w.Mode {
	case WeightScore:
		out := make([]float64, len(overall))
		for i, o := range overall {
			out[i] = 1 + w.Scale*o/10
		}
		return out
	case WeightTier:
		tiers := make([]string, len(overall))
		count := map[string]int{}
		for i, o := range overall {
			tiers[i] = f.TierOf(o)
			count[tiers[i]]++
		}
		out := make([]float64, len(overall))
		for i, t := range tiers {
			out[i] = float64(len(overall)) / float64(len(count)*count[t])
		}
		return out
	}
	return nil
}

// weightedQuery is query (as for Fit) with a weight column after its
// others when opts weigh the training rows: each train row's weight from
// Weights over every train row's overall score, NULL on val rows; query
// itself when they do not. It reads the train rows' overall scores first
// and binds the weights as the session variable sample_weights.
func weightedQuery(ctx context.Context, sess *lake.Session, query string, opts Options) (string, error) {
	if opts.sampleWeight.Mode == WeightNone {
		return query, nil
	}
	rows, err := sess.Query(ctx, "SELECT id, overall FROM ("+query+") WHERE split = 'train' ORDER BY id")
	if err != nil {
		return "", err
	}
	type weight struct {
		ID     string  `json:"id"`
		Weight float64 `json:"weight"`
	}
	var ws []weight
	var overall []float64
	for rows.Next() {
		var id string
		var o float64
		if err := rows.Scan(&id, &o); err != nil {
			rows.Close()
			return "", err
		}
		ws, overall = append(ws, weight{ID: id}), append(overall, o)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return "", err
	}
	for i, w := range opts.sampleWeight.Weights(opts.Filter, overall) {
		ws[i].Weight = w
	}
	if err := sess.SetVariables(ctx, lake.Vars{"sample_weights": lake.JSONAs{Value: ws, Type: "STRUCT(id VARCHAR, weight DOUBLE)[]"}}); err != nil {
		return "", err
	}
	return `SELECT q.*, w.weight FROM (` + query + `) q
LEFT JOIN (SELECT unnest(getvariable('sample_weights'), recursive := true)) w ON q.split = 'train' AND w.id = q.id
ORDER BY q.split, q.id`, nil
}

// weightLine says how the training rows were weighted, from the model's
// params ("" when they were not: none, or a model older than weighting).
func weightLine(params string) string {
	var p struct {
		SampleWeight string `json:"sample_weight"`
	}
	if json.Unmarshal([]byte(params), &p) != nil || p.SampleWeight == "" || p.SampleWeight == WeightNone {
		return ""
	}
	return fmt.Sprintf("training rows weighted by %s (--sample-weight); validation figures unweighted", p.SampleWeight)
}
