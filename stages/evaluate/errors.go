package evaluate

import (
	"errors"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/students"
)

// Sentinel errors returned (wrapped with the table, model or file they concern) by Run and RunFile.
var (
	// ErrOptions means the options are incomplete or out of range.
	ErrOptions = errors.New("eval: bad options")
	// ErrNoModel means the model id is not in <filter>.models, or there is no
	// such table yet: train's sentinel, so one errors.Is serves both stages.
	ErrNoModel = students.ErrNoModel
	// ErrNoPredictions means there is nothing to evaluate: no predictions
	// table, or no prediction of the model for an article in scope.
	ErrNoPredictions = curate.ErrNoPredictions
	// ErrNoSplits means a split was asked for before `distill split` ran.
	ErrNoSplits = errors.New("no splits yet")
)

// FileError is a predictions file that cannot be evaluated: Field names the
// JSON field and index at fault, e.g. predictions[3][2].
type FileError struct {
	File  string
	Field string
	Msg   string
}

func (e *FileError) Error() string {
	if e.Field == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Field + ": " + e.Msg
}

// Hint says what the file must look like.
func (e *FileError) Hint() string {
	return `a predictions file is {"predictions": [[...], ...], "labels": [[...], ...], "dimension_names": [...], "article_ids": [...]}: one row of numbers per article, one number per dimension, in both predictions and labels`
}
