//go:build !unix

package stagetest

import (
	"testing"
)

func testKill(t *testing.T, fx *fixture) {
	t.Skip("kill -9 needs a unix SIGKILL")
}
