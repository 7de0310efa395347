package train

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/suggest"
)

// The metrics --select-by names.
const (
	// MAE is the mean absolute error per dimension, lowest wins (the default).
	MAE = "mae"
	// Recall is recall@K: the share of the validation articles the oracle put
	// above the bottom tier that are among the K with the highest predicted
	// overall score.
	Recall = "recall"
	// NDCG is NDCG@K of the ranking by predicted overall score, with the
	// oracle's overall score as the gain.
	NDCG = "ndcg"
)

// ErrSelectBy is a --select-by (select_by) that names no metric.
var ErrSelectBy = errors.New("select-by")

// SelectBy is the validation metric that chooses the linear penalty and
// the lora epoch.
type SelectBy struct {
	// Metric is MAE, Recall or NDCG.
	Metric string
	// K is the ranking metrics' cut-off (0 for MAE).
	K int
}

// String is the metric as --select-by spells it: mae, recall@20.
func (s SelectBy) String() string {
	if s.K == 0 {
		return s.Metric
	}
	return fmt.Sprintf("%s@%d", s.Metric, s.K)
}

// Ranking is whether the metric scores the ranking by overall score (and
// so is maximised, over every dimension at once).
func (s SelectBy) Ranking() bool { return s.Metric != MAE }

// ParseSelectBy reads mae, recall@K or ndcg@K (K a positive integer); ""
// is mae.
func ParseSelectBy(s string) (SelectBy, error) {
	want := "want mae, recall@K or ndcg@K (K a positive integer, e.g. recall@20)"
	name, k, hasK := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "@")
	switch name {
	case "", MAE:
		if hasK {
			return SelectBy{}, fmt.Errorf("%w %q: mae takes no @K", ErrSelectBy, s)
		}
		return SelectBy{Metric: MAE}, nil
	case Recall, NDCG:
		n, err := strconv.Atoi(k)
		if !hasK || err != nil || n < 1 {
			return SelectBy{}, fmt.Errorf("%w %q: %s needs a cut-off K, a positive integer: %s@20 scores the 20 articles predicted highest", ErrSelectBy, s, name, name)
		}
		return SelectBy{Metric: name, K: n}, nil
	}
	var cands []string
	for _, m := range []string{MAE, Recall, NDCG} {
		if m != MAE && hasK {
			m += "@" + k
		}
		cands = append(cands, m)
	}
	return SelectBy{}, fmt.Errorf("%w %q: %s%s", ErrSelectBy, s, want, suggest.Phrase(strings.ToLower(s), cands))
}

// valSet is what a ranking metric needs of the validation split, in the
// order of the validation examples: the oracle's overall score and whether
// its tier is above the bottom one.
type valSet struct {
	by       SelectBy
	f        *filters.Filter
	dims     []string // the order of the prediction columns
	oracle   []float64
	relevant []bool
}

// score is the metric of validation predictions (rows in valSet order,
// columns in dims order).
func (v *valSet) score(pred [][]float64) float64 {
	order := v.rank(pred)
	if v.by.Metric == Recall {
		return recallAt(order, v.relevant, v.by.K)
	}
	return ndcgAt(order, v.oracle, v.by.K)
}

// rank is the validation rows by predicted overall score, highest first;
// a tie keeps the rows' order (by id).
func (v *valSet) rank(pred [][]float64) []int {
	overall := make([]float64, len(pred))
	order := make([]int, len(pred))
	for i, p := range pred {
		overall[i], order[i] = predictedOverall(v.f, v.dims, p), i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(overall[b], overall[a]) })
	return order
}

// predictedOverall is the overall score of one article's predicted scores
// (in dims order), as the labeler and predict compute it.
func predictedOverall(f *filters.Filter, dims []string, p []float64) float64 {
	scores := make(map[string]float64, len(dims))
	for d, name := range dims {
		scores[name] = p[d]
	}
	overall, _ := f.ScoreOf(scores)
	return overall
}

// recallAt is the share of the relevant rows among the first k of order
// (0 when none is relevant).
func recallAt(order []int, relevant []bool, k int) float64 {
	var hit, all int
	for pos, i := range order {
		if relevant[i] {
			all++
			if pos < k {
				hit++
			}
		}
	}
	if all == 0 {
		return 0
	}
	return float64(hit) / float64(all)
}

// ndcgAt is the discounted cumulative gain of the first k of order over
// that of the best order (0 when every gain is 0).
func ndcgAt(order []int, gain []float64, k int) float64 {
	dcg := func(g func(pos int) float64) float64 {
		s := 0.0
		for pos := range min(k, len(order)) {
			s += g(pos) / math.Log2(float64(pos+2))
		}
		return s
	}
	ideal := slices.Clone(gain)
	slices.SortFunc(ideal, func(a, b float64) int { return cmp.Compare(b, a) })
	best := dcg(func(pos int) float64 { return ideal[pos] })
	if best == 0 {
		return 0
	}
	return dcg(func(pos int) float64 { return gain[order[pos]] }) / best
}

// degenerate is what the run should tell the user when the metric cannot
// tell the choices apart on this validation split.
func (v *valSet) degenerate() []string {
	n := len(v.oracle)
	switch {
	case n == 0:
		return nil
	case v.by.Metric == Recall && !slices.Contains(v.relevant, true):
		return []string{fmt.Sprintf("no validation article is above the bottom tier: %s is 0 for every choice, so the first is kept", v.by)}
	case v.by.Metric == NDCG && !slices.ContainsFunc(v.oracle, func(x float64) bool { return x > 0 }):
		return []string{fmt.Sprintf("every validation article's overall score is 0: %s is 0 for every choice, so the first is kept", v.by)}
	case v.by.K >= n && v.by.Metric == Recall:
		return []string{fmt.Sprintf("%s is 1 for every choice with %d validation articles: the first is kept; choose a K below %d", v.by, n, n)}
	}
	return nil
}

// selectParams adds to a model's params the metric that chose and its
// value on validation (with a validation split), as JSON.
func selectParams(params map[string]any, by SelectBy, hasVal bool, valMAE, selected float64) string {
	params["select_by"] = by.String()
	if hasVal {
		params["select_value"] = valMAE
		if by.Ranking() {
			params["select_value"] = selected
		}
	}
	b, _ := json.Marshal(params)
	return string(b)
}

// selectedLine says which ranking metric chose the model and its value, from
// the model's params ("" when MAE chose: the MAE lines say it).
func selectedLine(params string) string {
	var p struct {
		SelectBy    string    `json:"select_by"`
		SelectValue *float64  `json:"select_value"`
		Lambda      []float64 `json:"chosen_lambda"`
		Epoch       int       `json:"best_epoch"`
	}
	if json.Unmarshal([]byte(params), &p) != nil || p.SelectValue == nil || p.SelectBy == "" || p.SelectBy == MAE {
		return ""
	}
	what := fmt.Sprintf("epoch %d", p.Epoch)
	if len(p.Lambda) > 0 {
		what = fmt.Sprintf("penalty %s (shared by every dimension)", human.Number(p.Lambda[0]))
	}
	return fmt.Sprintf("%s chosen by %s on validation: %s", what, p.SelectBy, human.Number(math.Round(*p.SelectValue*1000)/1000))
}
