package label

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// writer turns outcomes into rows, counts them, and commits them.
type writer struct {
	l   *lake.Lake
	f   *filters.Filter
	j   *journal
	res *Result
	// set are the run's answer settings, recorded with every label it
	// makes; schema is the filter's response schema under them, encoded
	// once for the run.
	set    settings
	schema []byte
	// params are the run's lineageParams, added to every commit's Params
	// (none for what recover commits: another run's answers).
	params map[string]any
	// committed is the label rows the lake's snapshots say this run's
	// commits added (their added-records), read back, not counted here.
	committed atomic.Int64
	// ensured is the tables this writer has created or evolved; commits
	// run one at a time, so the map needs no lock.
	ensured map[*spec.Table]bool
	// claims split the articles with the workers on other machines when
	// the catalog is shared (nil otherwise: the table lock held for the
	// whole run is enough); see workers.go.
	claims *lake.Claims
	// full and since are Options.Full and when the run began: a --full run
	// on a shared catalog leaves out of its commits only the labels other
	// workers made since then.
	full  bool
	since time.Time
}

// row makes a label from validated scores; overall, gatekeeper and tier come
// from filter.yaml, never from the oracle.
func (w *writer) row(it item, s Scores, c call, attempts int, cached bool) *labelRow {
	overall, gated := w.f.ScoreOf(s.Values)
	r := &labelRow{ID: it.id, Scores: s.Values, Evidence: s.Evidence, ContentType: s.ContentType,
		Overall: overall, Gated: gated, Tier: w.f.TierOf(overall), Oracle: c.Oracle, Model: c.Model,
		PromptSHA: it.promptSHA, InputSHA: it.inputSHA, CacheKey: it.key, Attempts: attempts, Cached: cached,
		Repaired: s.Repaired, LatencyMS: c.LatencyMS, LabeledAt: time.Now().UTC(), Repeat: it.repeat,
		ThinkingBudget: w.set.thinking.budget, EvidenceMode: w.set.evidence, Settings: w.set.name()}
	r.chosen(it, w.res.Selection)
	if cached {
		r.LatencyMS = 0
	}
	return r
}

// share makes the labels of twins (articles with lead's prompt) from lead's
// answer: no call, no cost.
func (w *writer) share(lead *labelRow, twins []item) []*labelRow {
	out := make([]*labelRow, 0, len(twins))
	for _, it := range twins {
		r := *lead
		r.ID, r.InputSHA = it.id, it.inputSHA
		r.chosen(it, w.res.Selection)
		r.Cached, r.Cost, r.TokensIn, r.TokensOut, r.LatencyMS, r.Attempts = true, 0, 0, 0, 0, 0
		out = append(out, &r)
	}
	return out
}

func (w *writer) count(e entry, opts Options) {
	r := w.res
	if e.takenOver {
		r.Recovered += int64(1 + len(e.Shared))
		if opts.Progress != nil {
			opts.Progress(*r)
		}
		return
	}
	for _, c := range e.Calls {
		r.Calls++
		r.TokensIn += int64(c.TokensIn)
		r.TokensOut += int64(c.TokensOut)
		r.Cost += c.Cost
	}
	switch {
	case e.Label == nil && len(e.Calls) > 0:
		r.Failed += 1 + int64(e.twins)
		r.FailedBy[e.Calls[len(e.Calls)-1].Class] += 1 + int64(e.twins)
	case e.Label != nil && e.Label.Cached:
		r.Cached++
		r.RowsOut++
	case e.Label != nil:
		r.Labeled++
		r.RowsOut++
	}
	r.Shared += int64(len(e.Shared))
	r.RowsOut += int64(len(e.Shared))
	if opts.Progress != nil {
		opts.Progress(*r)
	}
}

// commit writes the entries' calls, then their labels, as one snapshot of
// each table, and empties the journal (every file: use it when the journal
// holds nothing else).
func (w *writer) commit(ctx context.Context, entries []entry) error {
	seq, err := w.commitOnly(ctx, entries)
	if err != nil {
		return err
	}
	if seq > 0 {
		w.res.Snapshot = seq
	}
	if err := w.j.reset(); err != nil {
		return fmt.Errorf("%w: %v", errNotEmptied, err)
	}
	return nil
}

// commitOnly writes the entries' calls, then their labels, as one snapshot
// of each table, and returns the labels' snapshot sequence number (0 when
// there were no labels). It touches neither the journal nor the result.
func (w *writer) commitOnly(ctx context.Context, entries []entry) (int64, error) {
	if err := fault("commit"); err != nil {
		return 0, err
	}
	if w.claims != nil {
		return w.commitShared(ctx, entries)
	}
	return w.commitEntries(ctx, entries)
}

// commitEntries is commitOnly's writing: the calls, then the labels.
func (w *writer) commitEntries(ctx context.Context, entries []entry) (int64, error) {
	var calls []call
	var labels []*labelRow
	for _, e := range entries {
		calls = append(calls, e.Calls...)
		if e.Label != nil {
			labels = append(labels, e.Label)
		}
		labels = append(labels, e.Shared...)
	}
	params := map[string]any{"labels": len(labels), "calls": len(calls)}
	for k, v := range w.params {
		params[k] = v
	}
	commit := lake.Commit{Stage: spec.Label.Name, Filter: w.f.Ref(), Params: params}
	if w.res.Input != nil {
		commit.Inputs = []lake.Snapshot{*w.res.Input}
	}
	if len(calls) > 0 {
		if _, err := w.writeCalls(ctx, calls, commit); err != nil {
			return 0, err
		}
	}
	if err := fault("commit labels"); err != nil {
		return 0, err
	}
	if len(labels) > 0 {
		snap, err := w.writeLabels(ctx, labels, commit)
		if err != nil {
			return 0, err
		}
		w.committed.Add(snap.AddedRows)
		return snap.Seq, nil
	}
	return 0, nil
}

func (w *writer) writeCalls(ctx context.Context, calls []call, commit lake.Commit) (*lake.Snapshot, error) {
	return w.write(ctx, spec.OracleCalls, commit, func(rb *lake.RowBuilder) {
		for _, c := range calls {
			w.callRow(rb, c)
		}
	})
}

func (w *writer) callRow(rb *lake.RowBuilder, c call) {
	rb.String("cache_key", c.Key)
	rb.String("id", c.ID)
	rb.String("oracle", c.Oracle)
	rb.String("model", c.Model)
	rb.String("prompt_sha256", c.PromptSHA)
	rb.String("status", c.Status)
	if c.Class != "" {
		rb.String("error_class", c.Class)
		rb.String("error", c.Error)
	}
	if c.HTTP != 0 {
		rb.Int("http_status", int32(c.HTTP))
	}
	rb.String("response", c.Response)
	rb.Long("tokens_in", int64(c.TokensIn))
	rb.Long("tokens_out", int64(c.TokensOut))
	rb.Double("cost_usd", c.Cost)
	rb.Long("latency_ms", c.LatencyMS)
	rb.Int("attempt", int32(c.Attempt))
	rb.Double("temperature", c.Temperature)
	rb.Int("max_tokens", int32(c.MaxTokens))
	rb.Time("called_at", c.CalledAt)
	rb.String("run_id", w.l.RunID)
	rb.EndRow()
}

func (w *writer) writeLabels(ctx context.Context, labels []*labelRow, commit lake.Commit) (*lake.Snapshot, error) {
	return w.write(ctx, spec.Labels, commit, func(rb *lake.RowBuilder) {
		for _, r := range labels {
			w.labelRow(rb, r)
		}
	})
}

func (w *writer) labelRow(rb *lake.RowBuilder, r *labelRow) {
	rb.String("id", r.ID)
	for _, d := range w.f.Dimensions {
		if v, ok := r.Scores[d.Name]; ok {
			rb.Double(d.Name, v)
		}
		if ev := r.Evidence[d.Name]; ev != "" {
			rb.String(d.Name+"_evidence", ev)
		}
	}
	if r.ContentType != "" {
		rb.String("content_type", r.ContentType)
	}
	rb.Double("overall", r.Overall)
	rb.Bool("gatekeeper_applied", r.Gated)
	rb.String("tier", r.Tier)
	rb.String("oracle", r.Oracle)
	rb.String("model", r.Model)
	rb.String("prompt_sha256", r.PromptSHA)
	rb.String("input_sha256", r.InputSHA)
	rb.String("cache_key", r.CacheKey)
	rb.Long("tokens_in", int64(r.TokensIn))
	rb.Long("tokens_out", int64(r.TokensOut))
	rb.Double("cost_usd", r.Cost)
	rb.Long("latency_ms", r.LatencyMS)
	rb.Int("attempts", int32(r.Attempts))
	rb.Bool("cached", r.Cached)
	rb.Bool("imported", r.Imported)
	if r.Repaired != "" {
		rb.String("repaired", r.Repaired)
	}
	rb.String("filter_sha256", w.f.SHA256)
	rb.Time("labeled_at", r.LabeledAt)
	rb.String("run_id", w.l.RunID)
	rb.Int("repeat", int32(r.Repeat))
	if r.Extra != "" {
		rb.String("extra", r.Extra)
	}
	if r.ThinkingBudget != nil {
		rb.Int("thinking_budget", int32(*r.ThinkingBudget))
	}
	if r.Settings != "" {
		rb.String("settings", r.Settings)
	}
	if r.EvidenceMode != "" {
		rb.String("evidence_mode", r.EvidenceMode)
	}
	if r.SelectedBy != "" {
		rb.String("selected_by", r.SelectedBy)
		rb.Double("inclusion", r.Inclusion)
	}
	if r.Selection != "" {
		rb.String("selection", r.Selection)
	}
	rb.EndRow()
}

// chosen records how the article was chosen: by a selection (its plan,
// the strategy that chose it and its inclusion probability) or by a
// sample.
func (r *labelRow) chosen(it item, selection string) {
	r.SelectedBy, r.Inclusion, r.Selection = it.by, it.inclusion, ""
	if it.selection != "" {
		selection = it.selection
	}
	if it.by != "" && it.by != "sample" {
		r.Selection = selection
	}
}

// write commits the rows fill builds to t, creating t first if need be: a
// table is made by the first commit with rows for it, so a run that fails
// before then (an unreachable oracle, a bad key) leaves no empty table.
func (w *writer) write(ctx context.Context, t *spec.Table, commit lake.Commit, fill func(*lake.RowBuilder)) (*lake.Snapshot, error) {
	if !w.ensured[t] {
		if err := t.Ensure(ctx, w.l, w.f); err != nil {
			return nil, err
		}
		if w.ensured == nil {
			w.ensured = map[*spec.Table]bool{}
		}
		w.ensured[t] = true
	}
	p, err := w.l.WriteRows(ctx, t.For(w.f), func(rb *lake.RowBuilder) error { fill(rb); return nil })
	if err != nil {
		return nil, err
	}
	return p.Commit(ctx, commit)
}

// recover commits what a run that died left in the journal, skipping what
// already reached the lake (a crash between commit and journal reset).
func (w *writer) recover(ctx context.Context) error {
	entries, err := w.j.read()
	if err != nil || len(entries) == 0 {
		return err
	}
	sess, err := w.l.Session(ctx, w.f.Namespace())
	if err != nil {
		return err
	}
	defer sess.Close()
	// A run killed before its first commit left entries but no tables.
	seenCalls, err := stringSet(ctx, sess, spec.OracleCalls.For(w.f), "SELECT cache_key || '|' || epoch_us(called_at) FROM %s")
	if err != nil {
		return fmt.Errorf("recover the journal: %w", err)
	}
	seenLabels, err := stringSet(ctx, sess, spec.Labels.For(w.f), "SELECT id || '|' || cache_key || '|' || epoch_us(labeled_at) FROM %s")
	if err != nil {
		return fmt.Errorf("recover the journal: %w", err)
	}
	var todo []entry
	for _, e := range entries {
		var keep entry
		for _, c := range e.Calls {
			if !seenCalls[fmt.Sprintf("%s|%d", c.Key, c.CalledAt.UnixMicro())] {
				keep.Calls = append(keep.Calls, c)
			}
		}
		seen := func(r *labelRow) bool {
			return seenLabels[fmt.Sprintf("%s|%s|%d", r.ID, r.CacheKey, r.LabeledAt.UnixMicro())]
		}
		if e.Label != nil && !seen(e.Label) {
			keep.Label = e.Label
			w.res.Recovered++
		}
		for _, r := range e.Shared {
			if !seen(r) {
				keep.Shared = append(keep.Shared, r)
				w.res.Recovered++
			}
		}
		if len(keep.Calls) > 0 || keep.Label != nil || len(keep.Shared) > 0 {
			todo = append(todo, keep)
		}
	}
	if len(todo) == 0 {
		return w.j.reset()
	}
	return w.commit(ctx, todo)
}

// relationIfAny is the table's current relation in sess, or "" when the
// table does not exist yet (its first commit creates it).
func relationIfAny(ctx context.Context, sess *lake.Session, name lake.TableName) (string, error) {
	rel, _, err := sess.Relation(ctx, lake.Ref{TableName: name})
	if errors.Is(err, lake.ErrNoTable) {
		return "", nil
	}
	return rel, err
}

// stringSet runs query (with %s for the table's relation) for StringSet; a
// table that does not exist yet holds nothing.
func stringSet(ctx context.Context, sess *lake.Session, name lake.TableName, query string) (map[string]bool, error) {
	rel, err := relationIfAny(ctx, sess, name)
	if err != nil || rel == "" {
		return map[string]bool{}, err
	}
	return sess.StringSet(ctx, fmt.Sprintf(query, rel))
}
