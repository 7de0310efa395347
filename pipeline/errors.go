package pipeline

import "errors"

// ErrUnknownStage is a stage of spec.Stages the pipeline does not know how
// to run: it needs an entry in plan.go's hows.
var ErrUnknownStage = errors.New("a stage of spec.Stages has no way to run in the pipeline")
