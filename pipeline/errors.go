package pipeline

import (
	"errors"
	"sort"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/strictyaml"
)

// ErrUnknownStage is a stage of spec.Stages the pipeline does not know how
// to run: it needs an entry in plan.go's hows.
var ErrUnknownStage = errors.New("a stage of spec.Stages has no way to run in the pipeline")

// ConfigError is every problem found in a pipeline file, each at the line
// of its key: one line each, "pipeline.yaml:5: split.ratios: ...", under a
// count when there are several.
type ConfigError struct {
	File     string
	Problems []strictyaml.Problem
}

func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0].Format(e.File)
	}
	s := human.Plural(int64(len(e.Problems)), "problem") + " in " + e.File + ":"
	for _, p := range e.Problems {
		s += "\n  " + p.Format(e.File)
	}
	return s
}

func (e *ConfigError) add(lines strictyaml.Lines, key, msg string) {
	e.Problems = append(e.Problems, strictyaml.Problem{Line: lines.Of(key), Key: key, Msg: msg})
}

// err is e with its problems in the order of the file, or nil if it has none.
func (e *ConfigError) err() error {
	if len(e.Problems) == 0 {
		return nil
	}
	sort.SliceStable(e.Problems, func(i, j int) bool { return e.Problems[i].Line < e.Problems[j].Line })
	return e
}
