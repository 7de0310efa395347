// Command distill turns an LLM oracle's judgment into a small student model,
// keeping every stage as a versioned Iceberg table in a local lake.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	// DISTILL_CPUPROFILE and DISTILL_HEAPPROFILE write pprof profiles of one
	// command, for performance work on real inputs.
	if p := os.Getenv("DISTILL_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	if p := os.Getenv("DISTILL_HEAPPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	stop()
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}
