package agree

import "errors"

// Sentinel errors, wrapped with what they concern.
var (
	// ErrOptions means the options are incomplete or out of range.
	ErrOptions = errors.New("agree: bad options")
	// ErrUnknownOracle means --a or --b names an oracle with no labels.
	ErrUnknownOracle = errors.New("no labels of that oracle")
)
