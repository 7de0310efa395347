package score

import "errors"

var (
	// ErrOptions means the options name no filter, or name one twice.
	ErrOptions = errors.New("score options")
	// ErrNoProduction means a filter has no model tagged production.
	ErrNoProduction = errors.New("no production model")
	// ErrNothingToScore means --all found no filter with a production model.
	ErrNothingToScore = errors.New("nothing to score")
	// ErrLost means the model returned no scores for an article sent to it.
	ErrLost = errors.New("article lost by the model")
)
