package score_test

import (
	"testing"

	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/stagetest"
)

// TestShadowConformance runs the suite every writing stage passes.
func TestShadowConformance(t *testing.T) { stagetest.Run(t, spec.Shadow) }
