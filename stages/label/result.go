package label

import (
	"time"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Result summarises a run.
type Result struct {
	// Summary: RowsIn is the asks planned (each compressed article read, or
	// each of the sample's, once per repeat), RowsOut the labels
	// written, Mode incremental, full or estimate.
	spec.Summary
	// Input is the compressed snapshot labeled (lineage of every commit).
	Input   *lake.Snapshot `json:"-"`
	Oracle  string         `json:"oracle"`
	Model   string         `json:"model"`
	Labeled int64          `json:"labeled"` // new answers paid for
	Cached  int64          `json:"cached"`  // answers taken from oracle_calls
	// Shared counts labels that reuse an answer this run asked for another
	// article with the same rendered prompt (no call, no cost).
	Shared      int64            `json:"shared"`
	Recovered   int64            `json:"recovered_from_journal"`
	Failed      int64            `json:"failed"`
	FailedBy    map[string]int64 `json:"failed_by_class,omitempty"`
	Calls       int64            `json:"calls"`
	Rejected    int64            `json:"rejected"`
	Duplicates  int64            `json:"duplicates"`
	AlreadyDone int64            `json:"already_labeled"`
	TokensIn    int64            `json:"tokens_in"`
	TokensOut   int64            `json:"tokens_out"`
	Cost        float64          `json:"cost_usd"`
	Unpriced    bool             `json:"unpriced,omitempty"`
	// Evidence and ThinkingBudget are the run's answer settings: the
	// evidence mode asked for and the thinking budget sent (nil: none).
	Evidence       string `json:"evidence_mode,omitempty"`
	ThinkingBudget *int   `json:"thinking_budget,omitempty"`
	Stopped        string `json:"stopped,omitempty"` // why the run ended early
	// NextRequestAt is when the daily quota (Options.RPD) has room for a
	// request again, when it stopped the run (Stopped "rpd").
	NextRequestAt *time.Time `json:"next_request_at,omitempty"`
	// Sampled is the articles of the sample (Options.Sample); Strata how
	// many of them each keyword tier gave (Options.Stratify tier).
	Sampled int64            `json:"sampled,omitempty"`
	Strata  map[string]int64 `json:"sample_strata,omitempty"`
	// Selection is the plan (Options.Select) and its budget; Pool the
	// articles it chose among (not labeled by this oracle); Selected how
	// many each strategy chose; Short what a strategy had no candidate
	// for (given to the random part).
	Selection    string           `json:"selection,omitempty"`
	Pool         int64            `json:"selection_pool,omitempty"`
	Selected     map[string]int64 `json:"selected_by,omitempty"`
	Short        map[string]int64 `json:"selection_short,omitempty"`
	LabelsPerSec float64          `json:"labels_per_s"`
	// Committed is the label rows this run's snapshots of the labels table
	// added, as the snapshots record them: RowsOut plus Recovered when
	// every answer reached the lake.
	Committed int64 `json:"committed"`
	// With workers on a shared catalog: Elsewhere is the asks another
	// worker claimed and committed (not asked here), TakenOver the answers
	// a dead worker paid for that this run committed with no call, and
	// DroppedDone the labels this run made that another worker had
	// committed first (the commit's anti-join left them out).
	Elsewhere   int64 `json:"labeled_by_other_workers,omitempty"`
	TakenOver   int64 `json:"taken_over,omitempty"`
	DroppedDone int64 `json:"dropped_as_committed,omitempty"`
	// Syncs is how many fsyncs of the journal covered Synced answers.
	Syncs  int64 `json:"journal_syncs"`
	Synced int64 `json:"journal_synced"`
	// Estimate fields (Options.Estimate).
	Misses       int64   `json:"cache_misses,omitempty"`
	ExpectedIn   int64   `json:"expected_tokens_in,omitempty"`
	ExpectedOut  int64   `json:"expected_tokens_out,omitempty"`
	ExpectedCost float64 `json:"expected_cost_usd,omitempty"`
	// ExpectedThoughts and ExpectedAnswer are the output tokens an answer
	// is expected to take (both billed as output), as Assumption says.
	ExpectedThoughts int64  `json:"expected_thought_tokens_per_answer,omitempty"`
	ExpectedAnswer   int64  `json:"expected_answer_tokens_per_answer,omitempty"`
	Assumption       string `json:"estimate_assumption,omitempty"`
}
