//go:build !unix

package stagetest

import (
	"testing"

	"github.com/distillery/distillery/spec"
)

func testKill(t *testing.T, s *spec.Spec) {
	t.Skip("kill -9 needs a unix SIGKILL")
}
