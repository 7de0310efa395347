package stagetest

import (
	"testing"

	"github.com/distillery/distillery/spec"
)

// TestRunners_EveryStage fails when a stage of spec.Stages has no runner:
// adding a stage means one entry in runners.go and one conformance_test.go
// in the stage's package calling Run.
func TestRunners_EveryStage(t *testing.T) {
	for _, s := range spec.Stages {
		if r, ok := runners[s.Name]; !ok || r.Run == nil || r.Invalid == nil {
			t.Errorf("stage %q has no runner in runners.go", s.Name)
		}
	}
	for name := range runners {
		if spec.StageNamed(name) == nil {
			t.Errorf("runner %q is for no stage of spec.Stages", name)
		}
	}
}
