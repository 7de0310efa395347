package gate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/students"
)

// ExitRegression is the exit status of `distill gate` when the candidate
// regressed: distinct from 1 (any other error), so CI can tell a failed
// gate from a broken one.
const ExitRegression = 3

// Sentinel errors returned (wrapped with the model, table or tag they concern) by Run and Tag.
var (
	// ErrOptions means the options are incomplete or out of range.
	ErrOptions = errors.New("gate: bad options")
	// ErrNoModel means a model id is not in <filter>.models: train's
	// sentinel, so one errors.Is serves every stage.
	ErrNoModel = students.ErrNoModel
	// ErrNoPredictions means a model compared has not predicted every
	// article gated.
	ErrNoPredictions = errors.New("predictions missing")
	// ErrNoArticles means the split gated holds no oracle-labeled article.
	ErrNoArticles = errors.New("no labeled article to gate on")
	// ErrMixedOracles means the articles gated carry labels of another
	// oracle, oracle model or prompt version than the candidate learned.
	ErrMixedOracles = errors.New("labels from another oracle")
	// ErrNoBaseline means there is nothing to compare with: no production
	// model and no training article for the baselines.
	ErrNoBaseline = errors.New("nothing to compare the candidate with")
	// ErrRegression means the candidate is worse than what it was compared
	// with: an interval of MAE or recall lies wholly on the worse side.
	ErrRegression = errors.New("regression")
)

// Provenance is where labels came from (curate.Provenance).
type Provenance = curate.Provenance

func key(p Provenance) string { return p.Name() + "@" + p.FilterSHA256 }

// OracleError refuses a gate whose articles carry labels the candidate did
// not learn from: its scores would measure the oracles' disagreement.
type OracleError struct {
	Candidate string
	Split     string
	// Foreign is the labels of the gated articles the candidate's training
	// labels have no counterpart of; Trained those training labels.
	Foreign, Trained []Provenance
	// FilterDir is the filter package, for the commands of the hint.
	FilterDir string
}

func (e *OracleError) Error() string {
	var foreign, trained []string
	for _, p := range e.Foreign {
		foreign = append(foreign, fmt.Sprintf("%s on %d", p, p.Articles))
	}
	for _, p := range e.Trained {
		trained = append(trained, p.String())
	}
	return fmt.Sprintf("%s: the %s articles are labeled by %s, but %s was trained on labels of %s: the scores would measure the oracles' disagreement, not the student",
		ErrMixedOracles, e.Split, strings.Join(foreign, " and "), e.Candidate, strings.Join(trained, ", "))
}

func (e *OracleError) Unwrap() error { return ErrMixedOracles }

// Hint says the two ways out.
func (e *OracleError) Hint() string {
	return fmt.Sprintf("relabel the %s articles with the candidate's oracle and filter version (distill label --filter %s), or train a candidate on the current labels (distill train --filter %s)", e.Split, e.FilterDir, e.FilterDir)
}

// RegressionError is a gate that failed: Run's result says by how much.
type RegressionError struct {
	Candidate, Against string
	// Metrics are the regressed metrics with their intervals, in words.
	Metrics []string
}

func (e *RegressionError) Error() string {
	return fmt.Sprintf("gate: %s is a %s against %s: %s", e.Candidate, ErrRegression, e.Against, strings.Join(e.Metrics, "; "))
}

func (e *RegressionError) Unwrap() error { return ErrRegression }

// ExitStatus is the status distill exits with.
func (e *RegressionError) ExitStatus() int { return ExitRegression }
