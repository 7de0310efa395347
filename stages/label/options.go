package label

import (
	"fmt"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/label/selection"
)

// Options configure a labeling run.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	Oracle oracle.Oracle   `yaml:"-"`
	// Temperature and MaxTokens default to the filter's oracle settings.
	Temperature *float64 `yaml:"temperature"`
	MaxTokens   int      `yaml:"max_tokens"`
	Concurrency int      `yaml:"concurrency"`
	// TargetCount stops after this many new labels (0: all).
	TargetCount int `yaml:"target_count"`
	// MaxCost stops before the next call would take the run's cost past it (0: no limit).
	MaxCost float64 `yaml:"max_cost"`
	// Estimate makes no calls: it counts cache misses, tokens and cost.
	Estimate bool `yaml:"-"`
	// Full labels every compressed article again (cache hits cost nothing).
	Full bool `yaml:"full"`
	// Sample labels a fixed sample of this many compressed articles (0:
	// all): the first in an order fixed by Seed (sql/label/sample.sql), so
	// every oracle and model labels the same articles of one compressed
	// snapshot and can be compared on them.
	Sample int `yaml:"-"`
	// Stratify is how the sample is drawn: "none" ("" too) takes the first
	// Sample articles in seed order; "tier" shares Sample evenly across the
	// tiers the keywords scoring gives the articles (see sampleOf).
	Stratify string `yaml:"-"`
	// Seed fixes the sample's order.
	Seed int64 `yaml:"-"`
	// Select chooses Budget articles this oracle has not labeled, by a
	// strategy or a mixture (stages/label/selection: random, similar,
	// uncertain, upper, diverse; e.g. upper:0.5,random:0.5), each label
	// recording the strategy that chose it and its inclusion probability.
	// On a filter with none labeled, random picks --sample Budget's
	// articles (same Seed and Stratify).
	Select string `yaml:"-"`
	Budget int    `yaml:"-"`
	// Seeds are similar's seed articles (ids of the compressed table).
	Seeds []string `yaml:"-"`
	// Encoder names the embeddings similar and diverse read ("": the
	// newest).
	Encoder string `yaml:"-"`
	// SelectModel is the model whose predictions upper and uncertain read
	// (its predictions of every compressed article: distill predict
	// --split all; the command line runs that first).
	SelectModel string `yaml:"-"`
	// Repeat asks the oracle this many times per article (0 or 1: once),
	// each ask its own call and its own label row (labels.repeat 0..Repeat-1),
	// for measuring how consistent an oracle is with itself.
	Repeat int `yaml:"-"`
	// RPD is a requests-per-day quota (0: no limit): the run stops cleanly
	// before this oracle kind and model has made more than RPD requests in
	// the last 24 hours (oracle_calls' and this run's), saying when the next
	// may be made; a rerun then resumes. Live calls only: a --batch job has
	// the batch API's own limits.
	RPD int `yaml:"rpd"`
	// Evidence is how much evidence the oracle writes per dimension: full,
	// short or none ("": the filter's oracle.evidence, then full). Full is
	// the filter's prompt and schema as they are (today's cache keys);
	// short adds a line asking for at most ShortEvidenceWords words; none
	// asks for scores only and drops evidence from the schema.
	Evidence string `yaml:"-"`
	// ThinkingBudget caps a thinking model's thought tokens an answer
	// (billed as output): nil takes the filter's oracle.thinking_budget;
	// -1, or nil in both, the model's default (see thinkingModels: off
	// where the model allows, else its minimum); 0 turns thinking off
	// where the model allows. An OpenAI reasoning model is sent it as
	// reasoning_effort; other models get nothing (their labels record none).
	// Neither is a pipeline.yaml key: a pipeline takes both from filter.yaml's
	// oracle section, as a labeling run does without the flags.
	ThinkingBudget *int `yaml:"-"`
	// BatchSize is how many outcomes go into one Iceberg commit; a commit
	// also happens every FlushEvery. The journal, not the commit, makes an
	// answer safe, so batches can be large.
	BatchSize  int           `yaml:"batch_size"`
	FlushEvery time.Duration `yaml:"flush_every"`
	// SyncEvery is the journal's group-commit window: answers are written
	// as they arrive, and one fsync covers all written within it (a power
	// cut can lose at most this much; a killed process loses nothing).
	SyncEvery time.Duration `yaml:"sync_every"`
	// RPM limits requests per minute (0: no limit).
	RPM float64 `yaml:"rpm"`
	// TPM limits tokens per minute (0: no limit), a token bucket charged
	// with each call's expected tokens (prompt characters / 4 + max output).
	TPM float64 `yaml:"tpm"`
	// MaxAttempts bounds retries of rate limits, server errors and timeouts.
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the first retry delay (doubled each time, with jitter, capped at a minute).
	Backoff time.Duration `yaml:"backoff"`
	// StopAfterFailures stops the run with ErrFailing once this many
	// articles in a row failed with one error class and no answer came
	// between them (0: 10; negative: never). A run whose every call failed
	// returns ErrFailing whatever this is.
	StopAfterFailures int `yaml:"stop_after_failures"`
	// Progress, when set, is called after every article.
	Progress func(Result) `yaml:"-"`

	plan selection.Plan // Select parsed by Validate
}

// How a sample is stratified (Options.Stratify).
const (
	StratifyNone = "none"
	StratifyTier = "tier"
)

// defaults fills the zero fields: the filter's oracle settings, then the
// package's.
func (o *Options) defaults() {
	if o.Temperature == nil {
		t := o.Filter.Oracle.Temperature
		o.Temperature = &t
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = o.Filter.Oracle.MaxOutputTokens
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 30 * time.Second
	}
	if o.SyncEvery <= 0 {
		o.SyncEvery = 50 * time.Millisecond
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.StopAfterFailures == 0 {
		o.StopAfterFailures = 10
	}
	if o.Repeat <= 0 {
		o.Repeat = 1
	}
	if o.Evidence == "" {
		o.Evidence = o.Filter.Oracle.Evidence
	}
	if o.Evidence == "" {
		o.Evidence = filters.EvidenceFull
	}
	if o.ThinkingBudget == nil {
		o.ThinkingBudget = o.Filter.Oracle.ThinkingBudget
	}
	if o.ThinkingBudget != nil && *o.ThinkingBudget < 0 {
		o.ThinkingBudget = nil // the model's default
	}
}

// Validate reports options a run cannot start with. Zero and negative
// limits are not errors: they mean no limit.
func (o *Options) Validate() error {
	switch {
	case o.Filter == nil:
		return fmt.Errorf("%w: Filter is required", ErrOptions)
	case o.Oracle == nil:
		return fmt.Errorf("%w: Oracle is required", ErrOptions)
	case o.Sample < 0:
		return fmt.Errorf("%w: Sample (--sample) is %d: want a number of articles, or 0 for all", ErrOptions, o.Sample)
	case o.Stratify != "" && o.Stratify != StratifyNone && o.Stratify != StratifyTier:
		return fmt.Errorf("%w: Stratify (--stratify) is %q: want %s or %s", ErrOptions, o.Stratify, StratifyTier, StratifyNone)
	case o.Stratify == StratifyTier && o.Sample == 0 && o.Select == "":
		return fmt.Errorf("%w: Stratify (--stratify) %s draws a sample: give its size (--sample N)", ErrOptions, StratifyTier)
	case o.Select != "" && o.Budget < 0:
		return fmt.Errorf("%w: Budget (--budget) is %d: want a number of articles to label, 1 or more", ErrOptions, o.Budget)
	case o.Select != "" && o.Budget == 0:
		return fmt.Errorf("%w: Select (--select) %s needs a budget: --budget N, the articles to label", ErrOptions, o.Select)
	case o.Select == "" && o.Budget != 0:
		return fmt.Errorf("%w: Budget (--budget) %d without --select: say how to choose (--select random|similar|uncertain|upper|diverse)", ErrOptions, o.Budget)
	case o.Select != "" && o.Sample > 0:
		return fmt.Errorf("%w: --select and --sample both choose the articles: --select random --budget N is --sample N on a filter with none labeled", ErrOptions)
	case o.Select != "" && o.Full:
		return fmt.Errorf("%w: --select chooses among the articles not yet labeled; --full relabels every one", ErrOptions)
	case o.Repeat < 0:
		return fmt.Errorf("%w: Repeat (--repeat) is %d: want 1 or more", ErrOptions, o.Repeat)
	case o.ThinkingBudget != nil && *o.ThinkingBudget < -1:
		return fmt.Errorf("%w: ThinkingBudget (--thinking-budget) is %d: want thought tokens an answer (0: thinking off), or -1 for the model's default", ErrOptions, *o.ThinkingBudget)
	}
	if o.Select != "" {
		p, err := selection.Parse(o.Select)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrOptions, err)
		}
		switch {
		case p.Uses(selection.Similar) && len(o.Seeds) == 0:
			return fmt.Errorf("%w: --select similar needs seed articles: --seeds ID,... or --seeds-file FILE", ErrOptions)
		case !p.Uses(selection.Similar) && len(o.Seeds) > 0:
			return fmt.Errorf("%w: --seeds are for --select similar, not %s", ErrOptions, o.Select)
		case o.Stratify == StratifyTier && !p.Uses(selection.Random):
			return fmt.Errorf("%w: --stratify tier stratifies the random part of a selection, and %s has none", ErrOptions, o.Select)
		case p.NeedsPredictions() && o.SelectModel == "":
			return fmt.Errorf("%w: --select %s reads a student's predictions: name the model (--select-model ID)", ErrOptions, o.Select)
		}
		o.plan = p
	}
	if err := filters.CheckEvidence(o.Evidence); err != nil {
		return fmt.Errorf("%w: Evidence (--evidence) %v", ErrOptions, err)
	}
	return nil
}
