package runlog

import "errors"

// ErrOptions means an option is out of range.
var ErrOptions = errors.New("log: bad options")
