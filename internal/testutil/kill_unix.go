//go:build unix

package testutil

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// RunKilled starts cmd, sends it SIGKILL after delay (when delay >= 0),
// and waits: killed reports whether it died of SIGKILL (a crash point, or
// the delay); err is any other failure of the process. The crash tests of
// cmd/distill and stages/stagetest share it.
func RunKilled(cmd *exec.Cmd, delay time.Duration) (killed bool, err error) {
	if err := cmd.Start(); err != nil {
		return false, err
	}
	if delay >= 0 {
		timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
		defer timer.Stop()
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, nil
		}
	}
	return false, err
}
