package label_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkThroughput labels about a thousand articles against a fake
// server (its own process, speaking both Gemini's and OpenAI's wire formats)
// that takes 200 ms a call, with 16 calls in flight: the ceiling is 80
// calls/s. It reports calls/s, the share of the ceiling, and this process's
// CPU per label (client, journal and commits), for the genai client and
// then the openai-go client (each labels every article once: cache keys
// include the oracle kind).
func BenchmarkThroughput(b *testing.B) {
	t := &testing.T{}
	l, f := lakeWithCompressed(t, 4000)
	srv := exec.Command(os.Args[0], "-test.run=^$")
	srv.Env = append(os.Environ(), "LABEL_FAKE_SERVER=1", "LABEL_FILTER="+filepath.Join(testutil.RepoRoot(b), "filters/sustainability_tech_deployment/v1"))
	stdout, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer srv.Process.Kill()
	url, _ := bufio.NewReader(stdout).ReadString('\n')
	url = url[:len(url)-1]
	b.Setenv("GEMINI_API_KEY", secret)
	b.Setenv("OPENAI_API_KEY", secret)
	oa, _ := oracle.NewOpenAI("gpt-4o-mini", url+"/v1", 5*time.Second)
	for _, orc := range []oracle.Oracle{gemini(t, url), oa} {
		b.Run(orc.Kind(), func(b *testing.B) { throughput(b, l, f, orc) })
	}
}

func throughput(b *testing.B, l *lake.Lake, f *filters.Filter, orc oracle.Oracle) {
	for i := 0; i < b.N; i++ {
		cpu0, t0 := cpuTime(), time.Now()
		// Steady state: CPU between the 100th and the 1,000th outcome, past
		// the one-off planning (DuckDB reads, rendering every prompt).
		var cpuA, cpuB time.Duration
		progress := func(r label.Result) {
			switch r.RowsOut + r.Failed {
			case 100:
				cpuA = cpuTime()
			case 1000:
				cpuB = cpuTime()
			}
		}
		res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: orc, Concurrency: 16, Progress: progress})
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			el := time.Since(t0).Seconds()
			b.ReportMetric(float64(res.Calls)/el, "calls/s")
			b.ReportMetric(float64(res.Calls)/el/80*100, "%_of_ceiling")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(res.Labeled), "cpu_µs/label")
			if cpuB > cpuA {
				b.ReportMetric(float64((cpuB-cpuA).Microseconds())/900, "steady_cpu_µs/label")
			}
			b.ReportMetric(float64(res.Labeled), "labels")
		}
	}
}
