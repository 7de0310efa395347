package lake

import (
	"os"
	"strings"
	"sync"
	"time"
)

// CrashEnv names the crash point a test asks for: DISTILL_CRASH_AT=POINT
// (the first time the process reaches POINT) or POINT:NS.TABLE (only for
// that table). It is read once, when the first crash point is reached.
const CrashEnv = "DISTILL_CRASH_AT"

var crashAt = sync.OnceValue(func() string { return os.Getenv(CrashEnv) })

// CrashPoint kills the process at once, as kill -9 would (no deferred call,
// no flush, no cleanup), when CrashEnv names point, optionally for table.
// The crash-injection tests use it to stop a stage exactly at a commit; with
// the variable unset it does nothing.
func CrashPoint(point string, table TableName) {
	want := crashAt()
	if want == "" {
		return
	}
	p, t, scoped := strings.Cut(want, ":")
	if p != point || scoped && t != table.String() {
		return
	}
	if self, err := os.FindProcess(os.Getpid()); err == nil {
		_ = self.Kill() // SIGKILL on unix, TerminateProcess elsewhere
	}
	for { // the kill is asynchronous: never return into the commit
		time.Sleep(time.Second)
	}
}
