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
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
)

// ErrLeak means a duplicate group would be in two splits.
var ErrLeak = errors.New("duplicate group in more than one split")

// Table is <filter>.splits.
func Table(ns string) lake.TableName { return spec.Splits.In(ns) }

// Schema is the schema of <filter>.splits.
var Schema = spec.Splits.Schema(nil)

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
	Tier   string  `json:"tier"`
	Before int64   `json:"before"`
	After  int64   `json:"after"`
	Share  float64 `json:"share_after"`
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
}

// Run makes the split.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	out := Table(f.Namespace())
	if err := l.EnsureTable(ctx, out, Schema); err != nil {
		return nil, err
	}
	// One run at a time per table, from reading the previous split to the
	// commit: a split is only stable if each run starts from the last one.
	lock, err := l.LockTable(ctx, out, "split", opts.Waiting)
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
	inputs := []lake.Snapshot{*prep.Labels}

	// Inputs: signatures from compressed, content hashes from raw, the previous split.
	// Imported labels may have no compressed text: those articles are
	// grouped by what exists (a warning counts them).
	compRel, compSnap, err := optional(ctx, sess, compress.Table(f), "NULL::VARCHAR AS id, NULL::BIGINT[] AS minhash")
	if err != nil {
		return nil, err
	}
	rawRel, rawSnap, err := optional(ctx, sess, spec.Raw.For(nil), "NULL::VARCHAR AS id, NULL::VARCHAR AS content_sha256")
	if err != nil {
		return nil, err
	}
	for _, s := range []*lake.Snapshot{compSnap, rawSnap} {
		if s != nil {
			inputs = append(inputs, *s)
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
		inputs = append(inputs, *prevSnap)
	}
	res.SetInputs(inputs...)
	prev := "SELECT id, split, stratum, dup_group, seed, assigned_run_id, balanced_out, note FROM " + prevRel
	if res.Mode != "incremental" {
		prev = "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS split, NULL::VARCHAR AS stratum, NULL::VARCHAR AS dup_group, NULL::BIGINT AS seed, NULL::VARCHAR AS assigned_run_id, NULL::BOOLEAN AS balanced_out, NULL::VARCHAR AS note WHERE false"
	}
	minhash := "c.minhash"
	if !hasColumn(ctx, sess, compRel, "minhash") {
		minhash = "NULL::BIGINT[]"
	}
	setup := []string{
		fmt.Sprintf("SET VARIABLE seed = %d", opts.Seed),
		fmt.Sprintf("SET VARIABLE ratios = [%v, %v, %v]::DOUBLE[]", opts.Ratios[0], opts.Ratios[1], opts.Ratios[2]),
		"SET VARIABLE stratify_by = " + lake.QuoteString(opts.StratifyBy),
		fmt.Sprintf("SET VARIABLE near_threshold = %v", opts.NearThreshold),
		"SET VARIABLE run_id = " + lake.QuoteString(l.RunID),
		"CREATE OR REPLACE TEMP TABLE splits_previous AS " + prev,
		"CREATE OR REPLACE TEMP TABLE split_candidates AS SELECT a.id, r.content_sha256, " + minhash + " AS minhash FROM combined_labels a LEFT JOIN " +
			compRel + " c ON c.id = a.id LEFT JOIN " + rawRel + " r ON r.id = a.id",
		"CREATE OR REPLACE TEMP TABLE split_strata AS " + distillery.SQL("split/strata"),
		"CREATE OR REPLACE TEMP TABLE dup_members (id VARCHAR, dup_group VARCHAR)",
		"CREATE OR REPLACE TEMP TABLE split_excluded (id VARCHAR, note VARCHAR)",
	}
	if err := sess.ExecAll(ctx, setup...); err != nil {
		return nil, err
	}
	if err := sess.QueryRow(ctx, "SELECT count(*) FILTER (WHERE minhash IS NULL) FROM split_candidates", &res.NoSignature); err != nil {
		return nil, err
	}
	if res.NoSignature > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d labeled articles have no near-duplicate signature (compressed before signatures existed, or no compressed text): only exact duplicates are grouped for them; `distill compress` adds them", res.NoSignature))
	}

	// Duplicate groups: edges from SQL, connected components here.
	g, err := groupDuplicates(ctx, sess, res)
	if err != nil {
		return nil, err
	}
	if err := insertPairs(ctx, sess, "dup_members", g.members); err != nil {
		return nil, err
	}
	if err := insertPairs(ctx, sess, "split_excluded", g.excluded); err != nil {
		return nil, err
	}
	if len(g.straddling) > 0 {
		return nil, fmt.Errorf("%w: %s; articles split before are never moved, so this split is not written: this happens when near_duplicate_threshold was lowered or texts were recompressed after the last split; rerun with --fresh to split everything anew (the old split stays readable by time travel)", ErrLeak, strings.Join(g.straddling, "; "))
	}
	assign := []string{
		"CREATE OR REPLACE TEMP TABLE split_members AS " + distillery.SQL("split/members"),
		"CREATE OR REPLACE TEMP TABLE split_groups AS " + distillery.SQL("split/groups"),
		"CREATE OR REPLACE TEMP TABLE split_new_groups AS " + distillery.SQL("split/assign_stratified"),
		"CREATE OR REPLACE TEMP TABLE split_assigned AS " + distillery.SQL("split/assignments"),
	}
	if err := sess.ExecAll(ctx, assign...); err != nil {
		return nil, err
	}
	// The check that runs on every split.
	var leaks []string
	rows, err := sess.Query(ctx, distillery.SQL("split/straddling_groups"))
	if err != nil {
		return nil, fmt.Errorf("sql/split/straddling_groups.sql: %w", err)
	}
	for rows.Next() {
		var group, splits string
		var n int64
		if err := rows.Scan(&group, &splits, &n); err != nil {
			rows.Close()
			return nil, err
		}
		leaks = append(leaks, fmt.Sprintf("group %s (%d articles) is in %s", group, n, splits))
	}
	rows.Close()
	if len(leaks) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrLeak, strings.Join(leaks, "; "))
	}

	if err := balance(ctx, sess, opts, res); err != nil {
		return nil, err
	}
	// Articles split before that the labels read no longer have (a
	// rollback of labels) are carried over as they were.
	final := `CREATE OR REPLACE TEMP TABLE split_final AS
		SELECT a.id, a.split, a.stratum, a.dup_group, a.seed, coalesce(b.balanced_out, false) AS balanced_out, a.note, a.assigned_run_id,
			a.kept, true AS labeled
		FROM split_assigned a LEFT JOIN split_balanced b USING (id)
		UNION ALL
		SELECT p.id, p.split, p.stratum, p.dup_group, p.seed, coalesce(p.balanced_out, false), coalesce(p.note, 'no label in ` + strings.ReplaceAll(res.Labels, "'", "''") + `'), p.assigned_run_id,
			true, false
		FROM splits_previous p ANTI JOIN split_strata s USING (id)`
	if err := sess.ExecAll(ctx, final); err != nil {
		return nil, err
	}
	if err := summarise(ctx, sess, opts, res); err != nil {
		return nil, err
	}
	if res.Mode == "incremental" {
		var changed int64
		q := `SELECT count(*) FROM (
			(SELECT id, split, stratum, dup_group, balanced_out, note FROM split_final EXCEPT SELECT id, split, stratum, dup_group, coalesce(balanced_out, false), note FROM splits_previous)
			UNION ALL
			(SELECT id, split, stratum, dup_group, coalesce(balanced_out, false), note FROM splits_previous EXCEPT SELECT id, split, stratum, dup_group, balanced_out, note FROM split_final))`
		if err := sess.QueryRow(ctx, q, &changed); err != nil {
			return nil, err
		}
		if changed == 0 {
			res.Mode = "unchanged"
			res.Finish(out, prevSnap, start)
			return res, nil
		}
	}

	pending, err := sess.WriteQuery(ctx, out, fmt.Sprintf(`SELECT id, split, stratum, dup_group, seed, balanced_out, note, assigned_run_id,
		%d::BIGINT AS labels_sequence, now() AS split_at, %s AS run_id FROM split_final ORDER BY id`, prep.Labels.Seq, lake.QuoteString(l.RunID)))
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: "split", Inputs: inputs, Filter: f.Ref(), Replace: true, Params: map[string]any{
		"seed": opts.Seed, "ratios": opts.Ratios, "stratify_by": opts.StratifyBy, "combine": opts.Combine,
		"near_threshold": opts.NearThreshold, "balance": opts.Balance, "max_tier_share": opts.MaxTierShare, "mode": res.Mode,
	}})
	if err != nil {
		return nil, err
	}
	res.RowsOut = pending.Rows()
	res.Finish(out, snap, start)
	return res, nil
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
func groupDuplicates(ctx context.Context, sess *lake.Session, res *Result) (*groups, error) {
	type edge struct{ a, b string }
	var edges []edge
	prev := map[string]string{}
	rows, err := sess.Query(ctx, distillery.SQL("split/duplicate_edges"))
	if err != nil {
		return nil, fmt.Errorf("sql/split/duplicate_edges.sql: %w", err)
	}
	for rows.Next() {
		var a, b, kind string
		var sim float64
		var sa, sb sql.NullString
		if err := rows.Scan(&a, &b, &kind, &sim, &sa, &sb); err != nil {
			rows.Close()
			return nil, err
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
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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
			g.straddling = append(g.straddling, fmt.Sprintf("group %s (%d articles) already spans %s", group, len(members), strings.Join(splits, " and ")))
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
	if _, err := sess.Exec(ctx, "CREATE OR REPLACE TEMP TABLE tier_caps (tier VARCHAR, cap BIGINT)"); err != nil {
		return err
	}
	if opts.Balance {
		counts := map[string]int64{}
		var order []string
		rows, err := sess.Query(ctx, `SELECT t.tier, count(a.id) FROM filter_tiers t
			LEFT JOIN (SELECT a.id, l.tier FROM split_assigned a JOIN combined_labels l USING (id) WHERE a.split = 'train') a ON a.tier = t.tier
			GROUP BY t.tier, t.tier_rank ORDER BY t.tier_rank`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var t string
			var n int64
			if err := rows.Scan(&t, &n); err != nil {
				rows.Close()
				return err
			}
			counts[t] = n
			order = append(order, t)
		}
		rows.Close()
		caps, warn := Caps(counts, opts.MaxTierShare)
		if warn != "" {
			res.Warnings = append(res.Warnings, warn)
		}
		var total int64
		for _, t := range order {
			total += caps[t]
		}
		var values []string
		for _, t := range order {
			res.Balance = append(res.Balance, TierBalance{Tier: t, Before: counts[t], After: caps[t], Share: share(caps[t], total)})
			values = append(values, fmt.Sprintf("(%s, %d)", lake.QuoteString(t), caps[t]))
		}
		if len(values) > 0 {
			if _, err := sess.Exec(ctx, "INSERT INTO tier_caps VALUES "+strings.Join(values, ", ")); err != nil {
				return err
			}
		}
	}
	q := "CREATE OR REPLACE TEMP TABLE split_balanced AS " + distillery.SQL("split/balance")
	if !opts.Balance { // no caps: nobody is left out, and 800,000 rows need no ordering to say so
		q = "CREATE OR REPLACE TEMP TABLE split_balanced (id VARCHAR, balanced_out BOOLEAN)"
	}
	_, err := sess.Exec(ctx, q)
	return err
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
		warn = fmt.Sprintf("--balance: with %d tiers in the training set, a tier cannot be held under %.0f%%; capped at %.0f%% instead", n, 100*maxShare, 100*s)
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
	// Each count on its own, so Articles = Kept + New is a check.
	q := `SELECT count(*) FILTER (WHERE labeled), count(*) FILTER (WHERE labeled AND kept), count(*) FILTER (WHERE labeled AND NOT kept),
		count(*) FILTER (WHERE split = 'excluded'), count(*) FILTER (WHERE NOT labeled)
		FROM split_final`
	if err := sess.QueryRow(ctx, q, &res.Articles, &res.Kept, &res.New, &res.Excluded, &res.CarriedOver); err != nil {
		return err
	}
	res.RowsIn = res.Articles
	rows, err := sess.Query(ctx, "SELECT split, count(*) FROM split_final GROUP BY split ORDER BY split")
	if err != nil {
		return err
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return err
		}
		res.Counts[s] = n
	}
	rows.Close()
	rows, err = sess.Query(ctx, `SELECT stratum, count(*),
		count(*) FILTER (WHERE split = 'train'), count(*) FILTER (WHERE split = 'val'), count(*) FILTER (WHERE split = 'test'),
		count(*) FILTER (WHERE NOT kept)
		FROM split_final WHERE labeled AND split <> 'excluded'
		GROUP BY stratum ORDER BY stratum`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
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
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Tiers of the training set that are rare are reported, never invented.
	var tiers []stats.Tier
	var train int64
	trows, err := sess.Query(ctx, `SELECT t.tier, t.min_score, count(f.id) FROM filter_tiers t
		LEFT JOIN (SELECT f.id, l.tier FROM split_final f JOIN combined_labels l USING (id) WHERE f.split = 'train' AND NOT f.balanced_out) f ON f.tier = t.tier
		GROUP BY t.tier, t.min_score, t.tier_rank ORDER BY t.tier_rank`)
	if err != nil {
		return err
	}
	defer trows.Close()
	for trows.Next() {
		var t stats.Tier
		if err := trows.Scan(&t.Tier, &t.MinScore, &t.Articles); err != nil {
			return err
		}
		train += t.Articles
		tiers = append(tiers, t)
	}
	for i := range tiers {
		tiers[i].Share = share(tiers[i].Articles, train)
	}
	for _, w := range stats.TierWarnings(tiers, train, opts.Filter.Splits.MinTierShare, 1) {
		res.Warnings = append(res.Warnings, "training set: "+w)
	}
	return trows.Err()
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

func hasColumn(ctx context.Context, sess *lake.Session, rel, col string) bool {
	rows, err := sess.Query(ctx, "SELECT * FROM "+rel+" LIMIT 0")
	if err != nil {
		return false
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	return slices.Contains(cols, col)
}
