//go:build unix

package stagetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// randomKills is how many runs the suite kills at a random moment.
const randomKills = 2

// testKill runs s in another process and kills it with SIGKILL exactly
// before and after its output's commit (lake.CrashPoint) and at seeded
// random moments, each from a copy of the template lake. After each kill
// the tables are whole and a rerun finishes the work.
func testKill(t *testing.T, fx *fixture) {
	s, r := fx.s, fx.r
	out := s.Output()
	// A random moment falls within a whole run, the process's start (the
	// test binary, the lake's open) included.
	window := 2*fx.took + 200*time.Millisecond
	for _, point := range []string{"before-commit", "after-commit"} {
		e := fx.env(t)
		at := point + ":" + out.For(e.Filter).String()
		if !kill(t, s, e, at, -1) {
			t.Errorf("%s with %s=%s was not killed: it never reached the point", s.Name, lake.CrashEnv, at)
		}
		checkInterrupted(t, e, s, r, fx.before, fx.whole, "killed at "+point)
		e.Lake.Close()
	}
	for range randomKills {
		e := fx.env(t)
		delay := time.Duration(fx.rng.Int64N(int64(window)))
		killed := kill(t, s, e, "", delay)
		checkInterrupted(t, e, s, r, fx.before, fx.whole, "killed after "+delay.String()+" (killed: "+strconv.FormatBool(killed)+")")
		e.Lake.Close()
	}
}

// kill runs s over e in another process, killed at the crash point at (if
// set) or with SIGKILL after delay (if not negative), and reports whether
// it died of SIGKILL.
func kill(t testing.TB, s *spec.Spec, e *Env, at string, delay time.Duration) bool {
	t.Helper()
	cmd, log := child(t, s, e, at)
	killed, err := testutil.RunKilled(cmd, delay)
	if err != nil {
		t.Fatalf("%s in another process: %v\n%s", s.Name, err, log)
	}
	return killed
}
