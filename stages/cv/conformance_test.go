package cv_test

import (
	"testing"

	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/stagetest"
)

func TestConformance(t *testing.T) { stagetest.Run(t, spec.CV) }
