package score_test

import (
	"testing"

	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/stagetest"
)

// TestCascadeConformance runs the suite every writing stage passes.
func TestCascadeConformance(t *testing.T) { stagetest.Run(t, spec.Cascade) }
