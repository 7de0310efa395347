// Package split cuts a filter's labeled articles into train, val and test as
// <filter>.splits, with the SQL under sql/split/. Run is the stage.
//
// The hard rule is stability: an article that has a split keeps it when the
// split is made again after more labels arrive; new articles fill each
// stratum towards the ratios. Duplicates (same content) and near-duplicates
// (MinHash of the compressed text) form groups that never straddle two
// splits; a check runs on every split and refuses to write one that leaks.
package split

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/distillery/distillery"
	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/inspect/stats"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// ErrLeak means a duplicate group would be in two splits.
var ErrLeak = errors.New("duplicate group in more than one split")

// Stratum is one stratum's counts after the split.
type Stratum struct {
	Stratum  string  `json:"stratum"`
	Articles int64   `json:"articles"`
	Train    int64   `json:"train"`
	Val      int64   `json:"val"`
	Test     int64   `json:"test"`
	MaxOff   float64 `json:"max_deviation"` // largest |share - ratio| over the three splits
	NewCount int64   `json:"new"`
}

// TierBalance is one tier of the training set before and after --balance.
type TierBalance struct {
	Tier    string  `json:"tier"`
	Before  int64   `json:"before"`
	After   int64   `json:"after"`
	LeftOut int64   `json:"left_out"`
	Share   float64 `json:"share_after"`
}

// Result summarises a split. Mode is first, incremental, fresh or
// unchanged; RowsIn is the labeled articles, RowsOut the rows written (none
// when unchanged).
type Result struct {
	spec.Summary
	Labels      string         `json:"labels"`
	Articles    int64          `json:"articles"`
	Kept        int64          `json:"kept"` // had a split before and kept it
	New         int64          `json:"new"`
	Excluded    int64          `json:"excluded"`
	CarriedOver int64          `json:"carried_over"` // split before, no label now
	Counts      map[string]int `json:"counts"`
	Strata      []Stratum      `json:"strata"`
	Groups      int64          `json:"duplicate_groups"`
	InGroups    int64          `json:"articles_in_groups"`
	ExactPairs  int64          `json:"exact_pairs"`
	NearPairs   int64          `json:"near_pairs"`
	NoSignature int64          `json:"without_signature"`
	Balance     []TierBalance  `json:"balance,omitempty"`
	// BalancedOut is the training articles --balance left out, all tiers.
	BalancedOut int64 `json:"balanced_out"`
}

// Run makes the split.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	out := spec.Splits.For(f)
	if err := spec.Splits.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	// One run at a time per table, from reading the previous split to the
	// commit: a split is only stable if each run starts from the last one.
	lock, err := spec.Split.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	prep, err := curate.Prepare(ctx, sess, f, opts.Labels, opts.Combine)
	if err != nil {
		return nil, err
	}
	res := &Result{Summary: spec.Start(spec.Split, l.RunID), Labels: prep.Labels.Ref().String(), Counts: map[string]int{}}
	if w, err := curate.MixedWarning(ctx, sess, "the articles split", "(SELECT id FROM combined_labels)"); err != nil {
		return nil, err
	} else if w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	in, err := readInputs(ctx, sess, out, opts, prep.Labels, res)
	if err != nil {
		return nil, err
	}
	p := lake.Params{
		"seed": opts.Seed, "ratios": opts.Ratios, "stratify_by": opts.StratifyBy, "near_threshold": opts.NearThreshold,
		"run_id": l.RunID, "labels": res.Labels, "labels_sequence": prep.Labels.Seq, "incremental": res.Mode == "incremental",
	}
	if err := assign(ctx, sess, p, res); err != nil {
		return nil, err
	}
	if err := balance(ctx, sess, opts, res); err != nil {
		return nil, err
	}
	if err := sess.TempTable(ctx, "split_final", "split/final", p); err != nil {
		return nil, err
	}
	if err := summarise(ctx, sess, opts, res); err != nil {
		return nil, err
	}
	if res.Mode == "incremental" {
		var changed int64
		if err := sess.QueryRowFile(ctx, "split/changed_rows", nil, &changed); err != nil {
			return nil, err
		}
		if changed == 0 {
			res.Mode = "unchanged"
			res.Finish(out, in.previous, start)
			return res, nil
		}
	}
	snap, err := commit(ctx, sess, out, opts, in.snapshots, res)
	if err != nil {
		return nil, err
	}
	res.Finish(out, snap, start)
	return res, nil
}

// inputs are the snapshots a split reads.
type inputs struct {
	snapshots []lake.Snapshot // every snapshot read, for lineage
	previous  *lake.Snapshot  // the previous split's (nil for none)
}

// readInputs names what the split SQL reads: signatures from compressed,
// content hashes from raw, the previous split (split_compressed, split_raw,
// splits_input), and sets res.Mode. Imported labels may have no compressed
// text: those articles are grouped by what exists (a warning counts them).
func readInputs(ctx context.Context, sess *lake.Session, out lake.TableName, opts Options, labels *lake.Snapshot, res *Result) (*inputs, error) {
	f := opts.Filter
	in := &inputs{snapshots: []lake.Snapshot{*labels}}
	compRel, compSnap, err := optional(ctx, sess, spec.Compressed.For(f), "NULL::VARCHAR AS id, NULL::BIGINT[] AS minhash")
	if err != nil {
		return nil, err
	}
	cols, err := sess.ColumnNames(ctx, compRel)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(cols, "minhash") { // compressed before signatures existed
		compRel = "(SELECT id, NULL::BIGINT[] AS minhash FROM " + compRel + ")"
	}
	rawRel, rawSnap, err := optional(ctx, sess, spec.Raw.For(nil), "NULL::VARCHAR AS id, NULL::VARCHAR AS content_sha256")
	if err != nil {
		return nil, err
	}
	for _, s := range []*lake.Snapshot{compSnap, rawSnap} {
		if s != nil {
			in.snapshots = append(in.snapshots, *s)
		}
	}
	prevRel, prevSnap, err := sess.Relation(ctx, lake.Ref{TableName: out})
	if err != nil {
		return nil, err
	}
	res.Mode = "incremental"
	switch {
	case opts.Fresh:
		res.Mode = "fresh"
	case prevSnap == nil:
		res.Mode = "first"
	default:
		in.snapshots = append(in.snapshots, *prevSnap)
		in.previous = prevSnap
	}
	res.SetInputs(in.snapshots...)
	for name, rel := range map[string]string{"split_compressed": compRel, "split_raw": rawRel, "splits_input": prevRel} {
		if err := sess.Input(ctx, name, rel); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// assign groups duplicates and assigns every labeled article a split
// (split_assigned), refusing a split in which a group would leak.
func assign(ctx context.Context, sess *lake.Session, p lake.Params, res *Result) error {
	for _, t := range [][2]string{{"splits_previous", "split/previous"}, {"split_candidates", "split/candidates"}, {"split_strata", "split/strata"}} {
		if err := sess.TempTable(ctx, t[0], t[1], p); err != nil {
			return err
		}
	}
	if err := sess.ExecAll(ctx, "CREATE OR REPLACE TEMP TABLE dup_members (id VARCHAR, dup_group VARCHAR)",
		"CREATE OR REPLACE TEMP TABLE split_excluded (id VARCHAR, note VARCHAR)"); err != nil {
		return err
	}
	if err := sess.QueryRowFile(ctx, "split/unsigned_candidates", nil, &res.NoSignature); err != nil {
		return err
	}
	if res.NoSignature > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("no near-duplicate signature for %s (compressed before signatures existed, or no compressed text): only exact duplicates are grouped for them; `distill compress` adds the signatures", human.Plural(res.NoSignature, "labeled article")))
	}
	// Duplicate groups: edges from SQL, connected components here.
	g, err := groupDuplicates(ctx, sess, p, res)
	if err != nil {
		return err
	}
	if err := insertPairs(ctx, sess, "dup_members", g.members); err != nil {
		return err
	}
	if err := insertPairs(ctx, sess, "split_excluded", g.excluded); err != nil {
		return err
	}
	if len(g.straddling) > 0 {
		return fmt.Errorf("%w: %s; articles split before are never moved, so this split is not written: this happens when near_duplicate_threshold was lowered or texts were recompressed after the last split; rerun with --fresh to split everything anew (the old split stays readable by time travel)", ErrLeak, strings.Join(g.straddling, "; "))
	}
	for _, t := range [][2]string{{"split_members", "split/members"}, {"split_groups", "split/groups"},
		{"split_new_groups", "split/assign_stratified"}, {"split_assigned", "split/assignments"}} {
		if err := sess.TempTable(ctx, t[0], t[1], p); err != nil {
			return err
		}
	}
	// The check that runs on every split.
	var leaks []string
	if err := sess.EachFile(ctx, "split/straddling_groups", nil, func(rows *sql.Rows) error {
		var group, splits string
		var n int64
		if err := rows.Scan(&group, &splits, &n); err != nil {
			return err
		}
		leaks = append(leaks, fmt.Sprintf("group %s (%s) is in %s", group, human.Plural(int64(n), "article"), splits))
		return nil
	}); err != nil {
		return err
	}
	if len(leaks) > 0 {
		return fmt.Errorf("%w: %s", ErrLeak, strings.Join(leaks, "; "))
	}
	return nil
}

// commit writes split_final as the table's new snapshot.
func commit(ctx context.Context, sess *lake.Session, out lake.TableName, opts Options, inputs []lake.Snapshot, res *Result) (*lake.Snapshot, error) {
	pending, err := sess.WriteQuery(ctx, out, distillery.SQL("split/splits"))
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Split.Name, Inputs: inputs, Filter: opts.Filter.Ref(), Replace: true, Params: map[string]any{
		"seed": opts.Seed, "ratios": opts.Ratios, "stratify_by": opts.StratifyBy, "combine": opts.Combine,
		"near_threshold": opts.NearThreshold, "balance": opts.Balance, "max_tier_share": opts.MaxTierShare, "mode": res.Mode,
	}})
	if err != nil {
		return nil, err
	}
	res.RowsOut = pending.Rows()
	return snap, nil
}

// groups is the outcome of duplicate grouping.
type groups struct {
	members    [][2]string // (id, dup_group) of articles that have duplicates
	excluded   [][2]string // (id, note)
	straddling []string
}

// groupDuplicates joins duplicate pairs into groups (connected components).
// A new article whose duplicates already sit in two different splits cannot
// join both: it is excluded, with a note, and the groups stay apart.
func groupDuplicates(ctx context.Context, sess *lake.Session, p lake.Params, res *Result) (*groups, error) {
	type edge struct{ a, b string }
	var edges []edge
	prev := map[string]string{}
	if err := sess.EachFile(ctx, "split/duplicate_edges", p, func(rows *sql.Rows) error {
		var a, b, kind string
		var sim float64
		var sa, sb sql.NullString
		if err := rows.Scan(&a, &b, &kind, &sim, &sa, &sb); err != nil {
			return err
		}
		edges = append(edges, edge{a, b})
		if kind == "exact" {
			res.ExactPairs++
		} else {
			res.NearPairs++
		}
		if sa.Valid {
			prev[a] = sa.String
		}
		if sb.Valid {
			prev[b] = sb.String
		}
		return nil
	}); err != nil {
		return nil, err
	}
	components := func(skip map[string]bool) map[string][]string {
		u := newUnionFind()
		for _, e := range edges {
			if !skip[e.a] && !skip[e.b] {
				u.union(e.a, e.b)
			}
		}
		return u.components()
	}
	g := &groups{}
	excluded := map[string]bool{}
	for _, members := range components(nil) {
		splits := splitsOf(members, prev)
		if len(splits) < 2 {
			continue
		}
		for _, id := range members {
			if _, ok := prev[id]; !ok {
				excluded[id] = true
				g.excluded = append(g.excluded, [2]string{id, "duplicate of articles already in " + strings.Join(splits, " and ") + ": it cannot join one without leaking into the other"})
			}
		}
	}
	for _, members := range components(excluded) {
		group := slices.Min(members)
		res.Groups++
		res.InGroups += int64(len(members))
		for _, id := range members {
			g.members = append(g.members, [2]string{id, group})
		}
		if splits := splitsOf(members, prev); len(splits) > 1 {
			g.straddling = append(g.straddling, fmt.Sprintf("group %s (%s) already spans %s", group, human.Plural(int64(len(members)), "article"), strings.Join(splits, " and ")))
		}
	}
	slices.SortFunc(g.members, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	slices.SortFunc(g.excluded, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	slices.Sort(g.straddling)
	return g, nil
}

func splitsOf(ids []string, prev map[string]string) []string {
	var out []string
	for _, id := range ids {
		if s, ok := prev[id]; ok && s != "excluded" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// balance writes split_balanced (id, balanced_out) for the training set.
func balance(ctx context.Context, sess *lake.Session, opts Options, res *Result) error {
	if !opts.Balance { // no caps: nobody is left out, and 800,000 rows need no ordering to say so
		_, err := sess.Exec(ctx, "CREATE OR REPLACE TEMP TABLE split_balanced (id VARCHAR, balanced_out BOOLEAN)")
		return err
	}
	if _, err := sess.Exec(ctx, "CREATE OR REPLACE TEMP TABLE tier_caps (tier VARCHAR, cap BIGINT)"); err != nil {
		return err
	}
	counts := map[string]int64{}
	var order []string
	if err := sess.EachFile(ctx, "split/train_tiers_assigned", nil, func(rows *sql.Rows) error {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return err
		}
		counts[t] = n
		order = append(order, t)
		return nil
	}); err != nil {
		return err
	}
	caps, warn := Caps(counts, opts.MaxTierShare)
	if warn != "" {
		res.Warnings = append(res.Warnings, warn)
	}
	var total int64
	for _, t := range order {
		total += caps[t]
	}
	for _, t := range order {
		res.Balance = append(res.Balance, TierBalance{Tier: t, Before: counts[t], After: caps[t], LeftOut: counts[t] - caps[t], Share: share(caps[t], total)})
		res.BalancedOut += counts[t] - caps[t]
		if _, err := sess.Exec(ctx, "INSERT INTO tier_caps VALUES (?, ?)", t, caps[t]); err != nil {
			return fmt.Errorf("insert into tier_caps: %w", err)
		}
	}
	if before := total + res.BalancedOut; 2*res.BalancedOut > before {
		// The cap is a share, so one rare tier shrinks every other one to
		// its size: a user who asked for balance may not expect this.
		res.Warn("--balance left out more than half of the training set (%d of %s): %s; label more articles of the small tiers, or raise splits.max_tier_share",
			res.BalancedOut, human.Plural(before, "article"), res.balanceCut())
	}
	return sess.TempTable(ctx, "split_balanced", "split/balance", lake.Params{"seed": opts.Seed})
}

// Caps returns, per tier, the most training articles to keep so that no
// tier is over maxShare of what is kept, leaving out as few as possible: the
// largest tiers are cut to one common size x = maxShare * (articles kept).
// With n tiers present no cap under 1/n can hold, so the cap becomes 1/n
// (a warning says so); with one tier there is nothing to balance.
func Caps(counts map[string]int64, maxShare float64) (map[string]int64, string) {
	caps := map[string]int64{}
	var vals []int64
	for t, n := range counts {
		caps[t] = n
		if n > 0 {
			vals = append(vals, n)
		}
	}
	n := len(vals)
	if n < 2 {
		return caps, "--balance: the training set has fewer than two tiers, so no tier can be capped"
	}
	slices.Sort(vals)
	warn := ""
	s := maxShare
	if s*float64(n) < 1 {
		s = 1 / float64(n)
		warn = fmt.Sprintf("--balance: with %s in the training set, a tier cannot be held under %.0f%%; capped at %.0f%% instead", human.Plural(int64(n), "tier"), 100*maxShare, 100*s)
	}
	var total int64
	for _, v := range vals {
		total += v
	}
	if float64(vals[n-1]) <= s*float64(total) {
		return caps, warn
	}
	x := float64(vals[0])
	for k := 1; k <= n; k++ { // cap the k largest tiers at x
		var rest int64
		for _, v := range vals[:n-k] {
			rest += v
		}
		den := 1 - s*float64(k)
		xk := float64(vals[n-k])
		if den > 1e-12 {
			xk = s * float64(rest) / den
		}
		if xk <= float64(vals[n-k])+1e-9 && (k == n || xk >= float64(vals[n-k-1])-1e-9) {
			x = xk
			break
		}
	}
	for t, c := range caps {
		caps[t] = min(c, int64(x+1e-9))
	}
	return caps, warn
}

// summarise fills the counts, strata and tier warnings from split_final.
func summarise(ctx context.Context, sess *lake.Session, opts Options, res *Result) error {
	if err := sess.QueryRowFile(ctx, "split/totals", nil, &res.Articles, &res.Kept, &res.New, &res.Excluded, &res.CarriedOver); err != nil {
		return err
	}
	res.RowsIn = res.Articles
	if err := sess.EachFile(ctx, "split/split_sizes", nil, func(rows *sql.Rows) error {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return err
		}
		res.Counts[s] = n
		return nil
	}); err != nil {
		return err
	}
	if err := sess.EachFile(ctx, "split/stratum_sizes", nil, func(rows *sql.Rows) error {
		var s Stratum
		if err := rows.Scan(&s.Stratum, &s.Articles, &s.Train, &s.Val, &s.Test, &s.NewCount); err != nil {
			return err
		}
		for i, n := range []int64{s.Train, s.Val, s.Test} {
			if d := abs(share(n, s.Articles) - opts.Ratios[i]); d > s.MaxOff {
				s.MaxOff = d
			}
		}
		res.Strata = append(res.Strata, s)
		return nil
	}); err != nil {
		return err
	}
	// Tiers of the training set that are rare are reported, never invented.
	var tiers []stats.Tier
	var train int64
	if err := sess.EachFile(ctx, "split/train_tiers", nil, func(rows *sql.Rows) error {
		var t stats.Tier
		if err := rows.Scan(&t.Tier, &t.MinScore, &t.Articles); err != nil {
			return err
		}
		train += t.Articles
		tiers = append(tiers, t)
		return nil
	}); err != nil {
		return err
	}
	for i := range tiers {
		tiers[i].Share = share(tiers[i].Articles, train)
	}
	for _, w := range stats.TierWarnings(tiers, train, opts.Filter.Splits.MinTierShare, 1) {
		res.Warnings = append(res.Warnings, "training set: "+w)
	}
	return nil
}

func share(n, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// insertPairs inserts (a, b) string pairs into a two-column temp table.
func insertPairs(ctx context.Context, sess *lake.Session, table string, rows [][2]string) error {
	for len(rows) > 0 {
		n := min(len(rows), 500)
		args := make([]any, 0, 2*n)
		ph := make([]string, 0, n)
		for _, r := range rows[:n] {
			args = append(args, r[0], r[1])
			ph = append(ph, "(?, ?)")
		}
		if _, err := sess.Exec(ctx, "INSERT INTO "+table+" VALUES "+strings.Join(ph, ", "), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// optional returns a relation for the current snapshot of a table, or an
// empty one with the given columns when the table does not exist.
func optional(ctx context.Context, sess *lake.Session, name lake.TableName, columns string) (string, *lake.Snapshot, error) {
	rel, snap, err := sess.Relation(ctx, lake.Ref{TableName: name})
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return "(SELECT " + columns + " WHERE false)", nil, nil
	}
	return rel, snap, err
}
