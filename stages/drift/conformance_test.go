package drift_test

import (
	"testing"

	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/stagetest"
)

// TestConformance runs the suite every writing stage passes (stagetest).
func TestConformance(t *testing.T) { stagetest.Run(t, spec.Drift) }
