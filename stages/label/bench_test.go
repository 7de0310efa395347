package label_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

func cpuTime() time.Duration {
	u, s := cpuTimes()
	return u + s
}

// cpuTimes is this process's user and system CPU so far.
func cpuTimes() (user, sys time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
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
	l, f := lakeWithCompressed(b, 4000)
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
	// Where the CPU goes: each client library alone making the same calls
	// (no journal, no lake), and distill alone with an oracle in this
	// process that answers like the fake server, after 200 ms (no client
	// library, no network).
	reqs := requests(b, l, f)
	for _, orc := range []oracle.Oracle{gemini(t, url), oa} {
		b.Run(orc.Kind()+"_client_only", func(b *testing.B) { clientOnly(b, orc, reqs) })
	}
	b.Run("distill_only", func(b *testing.B) {
		l, f := lakeWithCompressed(b, 4000)
		throughput(b, l, f, inProcess{fakeAnswer(f)})
	})
}

// requests renders the prompts a labeling run of l would send.
func requests(b *testing.B, l *lake.Lake, f *filters.Filter) []oracle.Request {
	ctx := context.Background()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	rel, _, err := sess.Relation(ctx, lake.Ref{TableName: spec.Compressed.For(f)})
	if err != nil {
		b.Fatal(err)
	}
	rows, err := sess.Query(ctx, "SELECT text FROM "+rel+" ORDER BY id")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	schema, _ := json.Marshal(oracle.ResponseSchema(f))
	var reqs []oracle.Request
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			b.Fatal(err)
		}
		reqs = append(reqs, oracle.Request{Prompt: f.RenderPrompt(text), Input: text, SchemaJSON: schema,
			Temperature: f.Oracle.Temperature, MaxTokens: f.Oracle.MaxOutputTokens})
	}
	return reqs
}

// clientOnly makes one call per request, 16 at a time, and reports the
// process's CPU per call.
func clientOnly(b *testing.B, orc oracle.Oracle, reqs []oracle.Request) {
	for i := 0; i < b.N; i++ {
		next := make(chan oracle.Request)
		var wg sync.WaitGroup
		u0, s0 := cpuTimes()
		for range 16 {
			wg.Go(func() {
				for r := range next {
					if _, err := orc.Call(context.Background(), r); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, r := range reqs {
			next <- r
		}
		close(next)
		wg.Wait()
		u1, s1 := cpuTimes()
		if i == 0 {
			n := float64(len(reqs))
			b.ReportMetric(float64((u1-u0+s1-s0).Microseconds())/n, "cpu_µs/call")
			b.ReportMetric(float64((s1-s0).Microseconds())/n, "sys_µs/call")
		}
	}
}

// inProcess answers every prompt after 200 ms with the fake server's
// answer: a run with it measures distill's own CPU per label at the pace of
// the real benchmark.
type inProcess struct{ answer string }

func (inProcess) Kind() string  { return "in-process" }
func (inProcess) Model() string { return "none" }
func (o inProcess) Call(ctx context.Context, req oracle.Request) (oracle.Response, error) {
	time.Sleep(200 * time.Millisecond)
	return oracle.Response{Text: o.answer, TokensIn: 1000, TokensOut: 200}, nil
}

// startProfile writes a CPU profile of the steady state to
// $LABEL_BENCH_PROFILE.<oracle> when that is set.
func startProfile(b *testing.B, kind string) {
	p := os.Getenv("LABEL_BENCH_PROFILE")
	if p == "" {
		return
	}
	fh, err := os.Create(p + "." + kind)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fh.Close() })
	if err := pprof.StartCPUProfile(fh); err != nil {
		b.Fatal(err)
	}
}

func throughput(b *testing.B, l *lake.Lake, f *filters.Filter, orc oracle.Oracle) {
	for i := 0; i < b.N; i++ {
		cpu0, t0 := cpuTime(), time.Now()
		// Steady state: CPU between the 100th and the 1,000th outcome, past
		// the one-off planning (DuckDB reads, rendering every prompt).
		var cpuA, cpuB, sysA, sysB time.Duration
		progress := func(r label.Result) {
			switch r.RowsOut + r.Failed {
			case 100:
				cpuA = cpuTime()
				_, sysA = cpuTimes()
				startProfile(b, orc.Kind())
			case 1000:
				cpuB = cpuTime()
				_, sysB = cpuTimes()
				pprof.StopCPUProfile()
			}
		}
		res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: orc, Concurrency: 16, Progress: progress})
		pprof.StopCPUProfile() // when fewer than 1,000 outcomes came
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
				b.ReportMetric(float64((sysB-sysA).Microseconds())/900, "steady_sys_µs/label")
			}
			b.ReportMetric(float64(res.Labeled), "labels")
		}
	}
}
