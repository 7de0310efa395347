package agree

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Run compares the oracles of opts.Filter's labels and appends the figures
// to <filter>.agreements (and writes opts.Export).
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	ref := lake.Ref{TableName: spec.Labels.For(f)}
	if opts.Labels != "" {
		if ref, err = lake.ParseRef(opts.Labels, f.Namespace()); err != nil {
			return nil, err
		}
	}
	p, err := curate.Prepare(ctx, sess, f, ref, curate.Latest)
	if err != nil {
		return nil, err
	}
	if err := curate.DefineAsks(ctx, sess); err != nil {
		return nil, err
	}
	res := &Result{Summary: spec.Start(spec.Agree, l.RunID), Filter: fmt.Sprintf("%s/v%d", f.Name, f.Version),
		Labels: p.Labels.Ref().String(), Alpha: map[string]curate.Reliability{}, Pairs: []Pair{}}
	if err := readOracles(ctx, sess, opts, res); err != nil {
		return nil, err
	}
	pairs, all, err := curate.Agreements(ctx, sess, opts.A, opts.B)
	if err != nil {
		return nil, err
	}
	switch {
	case len(pairs) == 0 && (opts.A != "" || opts.B != ""):
		res.Note = fmt.Sprintf("nothing to compare: the oracles named (%s) share no article in %s and have no repeated answers there", strings.Trim(opts.A+", "+opts.B, ", "), res.Labels)
	case len(pairs) == 0:
		res.Note = fmt.Sprintf("nothing to compare: %s holds %s, each asked once per article and no two on one article; label a sample with a second oracle (distill label --filter DIR --oracle KIND --model MODEL --sample N) or ask again (--repeat 2)",
			res.Labels, oracleList(res.Oracles))
	}
	group(res, pairs, all)
	if opts.Export != "" {
		if res.Listed, err = export(ctx, l, sess, opts); err != nil {
			return nil, err
		}
		res.Exported = opts.Export
	}
	out := spec.Agreements.For(f)
	if err := spec.Agreements.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	lock, err := spec.Agree.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	pending, err := l.WriteRows(ctx, out, func(rb *lake.RowBuilder) error {
		fillRows(rb, res.Oracles, pairs, all, p.Labels.Seq, l.RunID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Agree.Name, Inputs: []lake.Snapshot{*p.Labels}, Filter: f.Ref(),
		Params: map[string]any{"a": opts.A, "b": opts.B, "labels": opts.Labels, "export": opts.Export}})
	if err != nil {
		return nil, err
	}
	res.RowsIn, res.RowsOut = p.LabelRows, pending.Rows()
	res.SetInputs(*p.Labels)
	res.Finish(out, snap, start)
	return res, nil
}

// readOracles lists the oracles there are, and checks that --a and --b
// name some of them.
func readOracles(ctx context.Context, sess *lake.Session, opts Options, res *Result) error {
	res.Oracles = []Oracle{}
	err := sess.EachFile(ctx, "agree/oracles", nil, func(rows *sql.Rows) error {
		var o Oracle
		if err := rows.Scan(&o.Name, &o.Labels, &o.Articles, &o.MaxAsks); err != nil {
			return err
		}
		res.Oracles = append(res.Oracles, o)
		return nil
	})
	if err != nil {
		return err
	}
	if err := readCosts(ctx, sess, res); err != nil {
		return err
	}
	for _, name := range []string{opts.A, opts.B} {
		known := name == ""
		for _, o := range res.Oracles {
			known = known || o.Name == name
		}
		if !known {
			return fmt.Errorf("%w: %s in %s; it has %s", ErrUnknownOracle, name, res.Labels, oracleList(res.Oracles))
		}
	}
	return nil
}

// readCosts adds each oracle's tokens and dollars (sql/agree/costs.sql).
func readCosts(ctx context.Context, sess *lake.Session, res *Result) error {
	at := map[string]*Oracle{}
	for i := range res.Oracles {
		at[res.Oracles[i].Name] = &res.Oracles[i]
	}
	return sess.EachFile(ctx, "agree/costs", nil, func(rows *sql.Rows) error {
		var name string
		var paid int64
		var in, out, per sql.NullFloat64
		var total float64
		if err := rows.Scan(&name, &paid, &in, &out, &per, &total); err != nil {
			return err
		}
		if o := at[name]; o != nil {
			o.Paid, o.TokensIn, o.TokensOut, o.CostPerLabel, o.CostUSD = paid, curate.Nullable(in), curate.Nullable(out), curate.Nullable(per), total
		}
		return nil
	})
}

func oracleList(os []Oracle) string {
	var parts []string
	for _, o := range os {
		parts = append(parts, fmt.Sprintf("%s (%d labels)", o.Name, o.Labels))
	}
	if len(parts) == 0 {
		return "no labels"
	}
	return strings.Join(parts, ", ")
}

// group puts each comparison's rows together, in the order SQL gave them.
func group(res *Result, pairs []curate.Agreement, all []curate.Reliability) {
	at := map[string]int{}
	for _, g := range pairs {
		k := g.Kind + "|" + g.A + "|" + g.B
		i, ok := at[k]
		if !ok {
			i = len(res.Pairs)
			at[k] = i
			res.Pairs = append(res.Pairs, Pair{Kind: g.Kind, A: g.A, B: g.B, Dimensions: map[string]curate.Figures{}})
		}
		pr := &res.Pairs[i]
		pr.Dimensions[g.Dimension] = g.Figures
		pr.order = append(pr.order, g)
		pr.Articles = max(pr.Articles, g.Articles)
	}
	for _, a := range all {
		res.Alpha[a.Dimension] = a
	}
	res.alphaOrder = all
}

// fillRows writes one row per oracle, one per comparison and dimension,
// and one per dimension for the alpha across every ask.
func fillRows(rb *lake.RowBuilder, oracles []Oracle, pairs []curate.Agreement, all []curate.Reliability, labelsSeq int64, runID string) {
	now := time.Now()
	double := func(col string, v *float64) {
		if v == nil {
			rb.Null(col)
		} else {
			rb.Double(col, *v)
		}
	}
	end := func() {
		rb.Long("labels_sequence", labelsSeq)
		rb.Time("agreed_at", now)
		rb.String("run_id", runID)
		rb.EndRow()
	}
	for _, o := range oracles {
		rb.String("kind", "oracle")
		rb.String("oracle_a", o.Name)
		rb.String("oracle_b", o.Name)
		rb.String("dimension", "*")
		rb.Long("articles", o.Articles)
		rb.Long("asks", o.Labels)
		end()
	}
	for _, g := range pairs {
		rb.String("kind", g.Kind)
		rb.String("oracle_a", g.A)
		rb.String("oracle_b", g.B)
		rb.String("dimension", g.Dimension)
		rb.Long("articles", g.Articles)
		rb.Long("ask_pairs", g.AskPairs)
		for _, c := range []struct {
			col string
			v   *float64
		}{{"mae", g.MAE}, {"mean_offset", g.Offset}, {"offset_low", g.OffsetLow}, {"offset_high", g.OffsetHigh},
			{"mae_after_offset", g.MAEAfterOffset}, {"spearman", g.Spearman}, {"alpha", g.Alpha}, {"tier_agreement", g.TierAgreement}} {
			double(c.col, c.v)
		}
		end()
	}
	for _, a := range all {
		rb.String("kind", "all")
		rb.String("oracle_a", "*")
		rb.String("oracle_b", "*")
		rb.String("dimension", a.Dimension)
		rb.Long("articles", a.Articles)
		rb.Long("asks", a.Asks)
		double("alpha", a.Alpha)
		end()
	}
}
