package label

import "errors"

// Errors that end a run early; what was done before them is committed.
var (
	ErrNoCompressed = errors.New("no compressed articles")
	ErrAuth         = errors.New("the oracle refused the API key (401/403): check it; nothing more was asked")
	ErrQuota        = errors.New("the oracle's quota is used up (per-day limit or no balance)")
	ErrFailing      = errors.New("the oracle failed call after call the same way, so the run stopped instead of going through the corpus; what was labeled is committed: fix the cause and rerun")
	ErrBusy         = errors.New("another labeling run of this filter is using this lake: wait for it to end (it holds the lock named here)")
)

// ErrUnpriced means --max-cost was asked of a model with no known price:
// every cost would be counted as $0 and the cap would never stop the run.
var ErrUnpriced = errors.New("the model has no known price, so --max-cost cannot be enforced")

// ErrOptions means Options cannot start a run; the message names the field.
var ErrOptions = errors.New("invalid label options")

// ErrNoBatch means SubmitBatch or Collect was given an oracle without a batch API.
var ErrNoBatch = errors.New("this oracle has no batch API (use --oracle gemini)")

// ErrAllRejected means an import read records but could use none of them.
var ErrAllRejected = errors.New("every record was rejected, nothing was imported: check the file is the labels of this filter (an analysis per article: <filter>_analysis, or the object --key names)")

// errNotEmptied means a commit succeeded but the journal still holds its
// entries: the next run finds them in the lake and skips them.
var errNotEmptied = errors.New("the answers are committed, but the journal could not be emptied")

// ErrSelection means --select lacks what its strategies read.
var ErrSelection = errors.New("cannot select")
