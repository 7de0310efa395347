package lineage

import "errors"

// ErrUnknownID means no table of the lake has a row with the id.
var ErrUnknownID = errors.New("unknown id")

// ErrOptions means the options are incomplete.
var ErrOptions = errors.New("lineage: bad options")
