package label

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label/selection"
)

// selectOf chooses Options.Budget of arts (in the seed's order, keys their
// cache keys) by Options.Select, among those this oracle has not labeled
// (done) or labeled for this very selection, and returns them, with their
// keys, in the order chosen: a scoring strategy's best first. Counting a
// selection's own labels back into its pool makes a rerun of the same
// command choose the same articles and label only those not yet labeled:
// a run stopped early (--target-count, --max-cost, kill -9) resumes, the
// budget is spent once, and the inclusion probabilities recorded hold for
// the selection as a whole. A new round needs a new selection: another
// seed, budget, model or encoder.
func selectOf(ctx context.Context, sess *lake.Session, f *filters.Filter, arts []item, keys []string, done map[string]bool, labeled bool, opts Options, res *Result) ([]item, []string, error) {
	in := selection.Pool{}
	res.Selection = fmt.Sprintf("%s budget=%d seed=%d", opts.plan, opts.Budget, opts.Seed)
	if opts.Stratify == StratifyTier {
		res.Selection += " stratify=tier"
	}
	var vecs map[string][]float32
	if opts.plan.NeedsVectors() {
		encoder, _, err := curate.Embeddings(ctx, sess, f, opts.Encoder)
		if err != nil {
			return nil, nil, err
		}
		if vecs, err = encoderVectors(ctx, sess, f, encoder); err != nil {
			return nil, nil, err
		}
		res.Selection += " encoder=" + encoder
	}
	if opts.plan.NeedsPredictions() {
		res.Selection += " model=" + opts.SelectModel
	}
	var run *driftRun
	if opts.plan.NeedsDrift() {
		var err error
		if run, err = latestDrift(ctx, sess, f); err != nil {
			return nil, nil, err
		}
		res.Selection += " drift=" + run.id
	}
	mine := map[string]bool{}
	if labeled {
		var err error
		if mine, err = selectedKeys(ctx, sess, res.Selection); err != nil {
			return nil, nil, err
		}
	}
	var pool []item
	var poolKeys []string
	for i, a := range arts {
		if k := a.id + "|" + keys[i]; !done[k] || mine[k] {
			pool, poolKeys = append(pool, a), append(poolKeys, keys[i])
		}
	}
	res.Pool = int64(len(pool))
	in.IDs = make([]string, len(pool))
	for i, a := range pool {
		in.IDs[i] = a.id
	}
	if opts.Stratify == StratifyTier {
		if err := keywordStrata(ctx, f, pool, &in); err != nil {
			return nil, nil, err
		}
	}
	if vecs != nil {
		if err := poolVectors(vecs, f, opts, &in); err != nil {
			return nil, nil, err
		}
	}
	if opts.plan.NeedsPredictions() {
		if err := poolPredictions(ctx, sess, f, opts, &in, res); err != nil {
			return nil, nil, err
		}
	}
	if run != nil {
		if err := poolDrift(ctx, sess, f, run, labeled, &in, res); err != nil {
			return nil, nil, err
		}
	}
	out, err := selection.Choose(opts.plan, opts.Budget, in, uint64(opts.Seed))
	if err != nil {
		return nil, nil, err
	}
	res.Selected = map[string]int64{}
	chosen, chosenKeys := make([]item, 0, len(out.Picks)), make([]string, 0, len(out.Picks))
	for _, pk := range out.Picks {
		it := pool[pk.Index]
		it.by, it.inclusion = pk.By, pk.Inclusion
		chosen, chosenKeys = append(chosen, it), append(chosenKeys, poolKeys[pk.Index])
		res.Selected[pk.By]++
	}
	for s, n := range out.Short {
		if res.Short == nil {
			res.Short = map[string]int64{}
		}
		res.Short[s] = int64(n)
		if opts.plan.Unbiased() {
			res.Warn("%s had %d fewer candidates than its share: the random part labels them instead", s, n)
		} else {
			res.Warn("%s had %d fewer candidates than its share, and the selection has no random part to take them", s, n)
		}
	}
	if !opts.plan.Unbiased() {
		res.Warn("--select %s labels only what it ranks first: metrics on these labels describe those articles, not the corpus; add a random share (e.g. %s:0.8,random:0.2) to estimate the whole pool", opts.plan, opts.plan[0].Strategy)
	}
	return chosen, chosenKeys, nil
}

// encoderVectors reads the encoder's vectors of the compressed articles'
// current texts (compressed_input is plan's).
func encoderVectors(ctx context.Context, sess *lake.Session, f *filters.Filter, encoder string) (map[string][]float32, error) {
	vecs, err := curate.Vectors(ctx, sess, encoder)
	if errors.Is(err, curate.ErrNoEmbeddings) {
		known, _ := sess.StringSet(ctx, "SELECT DISTINCT encoder FROM embeddings_input")
		names := make([]string, 0, len(known))
		for k := range known {
			names = append(names, k)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("%w: %s has no embeddings by %s (of its current texts): --encoder names one of %s, or run distill embed --filter DIR",
			ErrSelection, spec.Embeddings.For(f), encoder, strings.Join(names, ", "))
	}
	return vecs, err
}

// poolVectors sets the vectors of the pool and of the seeds: every article
// of the pool must have one.
func poolVectors(vecs map[string][]float32, f *filters.Filter, opts Options, in *selection.Pool) error {
	in.Vectors = make([][]float32, len(in.IDs))
	var missing []string
	for i, id := range in.IDs {
		if in.Vectors[i] = vecs[id]; in.Vectors[i] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %d of the %d articles to choose from have no embedding of their current text (e.g. %s): run distill embed --filter DIR",
			ErrSelection, len(missing), len(in.IDs), strings.Join(missing[:min(3, len(missing))], ", "))
	}
	var unknown []string
	for _, id := range opts.Seeds {
		if v := vecs[id]; v != nil {
			in.Seeds = append(in.Seeds, v)
		} else {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%w: --seeds %s: no embedding of such an article: a seed is the id of a compressed article (distill sql \"SELECT id FROM %s.compressed\")",
			ErrSelection, strings.Join(unknown, ", "), f.Namespace())
	}
	return nil
}

// poolPredictions reads Options.SelectModel's predictions of the pool.
func poolPredictions(ctx context.Context, sess *lake.Session, f *filters.Filter, opts Options, in *selection.Pool, res *Result) error {
	rel, snap, err := sess.Relation(ctx, spec.Predictions.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return spec.Need(spec.Predictions, f.Namespace(), f.Namespace()+" has no predictions", ErrSelection)
	}
	if err != nil {
		return err
	}
	if err := sess.Input(ctx, "predictions_input", rel); err != nil {
		return err
	}
	type pred struct {
		overall float64
		tier    string
	}
	preds := map[string]pred{}
	err = sess.EachFile(ctx, "label/select_predictions", lake.Params{"model": opts.SelectModel}, func(rows *sql.Rows) error {
		var id string
		var p pred
		var tier sql.NullString
		if err := rows.Scan(&id, &p.overall, &tier); err != nil {
			return err
		}
		p.tier = tier.String
		preds[id] = p
		return nil
	})
	if err != nil {
		return err
	}
	lowest := f.Tiers[len(f.Tiers)-1].Name
	for _, t := range f.Tiers[:len(f.Tiers)-1] {
		in.Boundaries = append(in.Boundaries, t.Min)
	}
	in.Overall, in.Upper = make([]float64, len(in.IDs)), make([]bool, len(in.IDs))
	missing := 0
	for i, id := range in.IDs {
		p, ok := preds[id]
		if !ok {
			in.Overall[i] = math.NaN()
			missing++
			continue
		}
		in.Overall[i], in.Upper[i] = p.overall, p.tier != lowest
	}
	if missing == len(in.IDs) && missing > 0 {
		return fmt.Errorf("%w: model %s has predicted none of the %d articles to choose from: distill predict --filter DIR --model %s --split all",
			ErrSelection, opts.SelectModel, len(in.IDs), opts.SelectModel)
	}
	if missing > 0 {
		res.Warn("%d of the %d articles to choose from have no prediction by %s: %s passes them over (distill predict --split all predicts them)",
			missing, len(in.IDs), opts.SelectModel, opts.plan)
	}
	return nil
}

// selectedKeys is the asks (id|cache_key) the selection has labeled, from
// labels_input (none in a labels table older than --select).
func selectedKeys(ctx context.Context, sess *lake.Session, sel string) (map[string]bool, error) {
	out := map[string]bool{}
	cols, err := sess.ColumnNames(ctx, "labels_input")
	if err != nil || !slices.Contains(cols, "selection") {
		return out, err
	}
	err = sess.EachFile(ctx, "label/selected_keys", lake.Params{"selection": sel}, func(rows *sql.Rows) error {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		out[k] = true
		return nil
	})
	return out, err
}
