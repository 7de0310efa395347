//go:build unix

package stagetest

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/distillery/distillery/spec"
)

// seedEnv replays the random kill moments of a failed run.
const seedEnv = "DISTILL_STAGETEST_SEED"

// randomKills is how many runs the suite kills at a random moment.
const randomKills = 2

// testKill runs s in another process and kills it with SIGKILL exactly
// before and after its output's commit (lake.CrashPoint) and at seeded
// random moments, each from a copy of the same prepared lake. After each
// kill the tables are whole and a rerun finishes the work.
func testKill(t *testing.T, s *spec.Spec) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(seedEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, v, err)
		}
		seed = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random kill moments came from seed %d: rerun with %s=%d", seed, seedEnv, seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, 13))
	r := runnerOf(t, s)
	dir, articles := template(t, s, "x1", "x2")
	out := s.Output()

	ref := copyEnv(t, dir, articles)
	before := rowCount(t, ref, out)
	cmd, log := child(t, s, ref, "")
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s in another process: %v\n%s", s.Name, err, log)
	}
	took := time.Since(start)
	whole := rowCount(t, ref, out) - before

	for _, point := range []string{"before-commit", "after-commit"} {
		e := copyEnv(t, dir, articles)
		at := point + ":" + out.For(e.Filter).String()
		if !kill(t, s, e, at, -1) {
			t.Errorf("%s with %s was not killed: it never reached the point", s.Name, at)
		}
		checkInterrupted(t, e, s, r, before, whole, "killed at "+point)
	}
	for range randomKills {
		e := copyEnv(t, dir, articles)
		delay := time.Duration(rng.Int64N(int64(took)))
		killed := kill(t, s, e, "", delay)
		checkInterrupted(t, e, s, r, before, whole, "killed after "+delay.String()+" (killed: "+strconv.FormatBool(killed)+")")
	}
}

// kill runs s over e in another process, killed at the crash point at (if
// set) or with SIGKILL after delay (if not negative), and reports whether
// it died of SIGKILL.
func kill(t testing.TB, s *spec.Spec, e *Env, at string, delay time.Duration) bool {
	t.Helper()
	cmd, log := child(t, s, e, at)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if delay >= 0 {
		timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
		defer timer.Stop()
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("%s in another process: %v\n%s", s.Name, err, log)
	}
	return false
}
