// Command distill turns an LLM oracle's judgment into a small student model,
// keeping every stage as a versioned Iceberg table in a local lake.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
