package report

import "errors"

// ErrOptions means the options are incomplete or out of range.
var ErrOptions = errors.New("report: bad options")
