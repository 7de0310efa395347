package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/urfave/cli/v2"
)

// env is what every command gets: its output streams.
type env struct {
	stdout, stderr io.Writer
	args           []string
}

// run is the whole CLI; main only adds the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, args: args}
	app := &cli.App{
		Name:      "distill",
		Usage:     "distil an LLM oracle into a small student model, every step a versioned lake table",
		Writer:    stdout,
		ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lake", Value: "./lake", EnvVars: []string{"DISTILL_LAKE"}, Usage: "lake directory"},
		},
		Commands: []*cli.Command{
			initCommand(e), recoverCommand(e),
			ingestCommand(e),
			sqlCommand(e),
			describeCommand(e),
			snapshotsCommand(e),
			tablesCommand(e),
			filterCommand(e),
			prefilterCommand(e),
			compressCommand(e),
			labelCommand(e),
			statsCommand(e),
			splitCommand(e),
			exportCommand(e), trainCommand(e), predictCommand(e),
			evalCommand(e), reportCommand(e),
			diffCommand(e), lineageCommand(e), logCommand(e),
			tagCommand(e),
			rollbackCommand(e), expireCommand(e), compactCommand(e),
			runCommand(e),
			demoCommand(e),
			benchCommand(e),
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.RunContext(ctx, interspersed(app, args)); err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		var hint interface{ Hint() string }
		if errors.As(err, &hint) {
			fmt.Fprintln(stderr, "hint:", hint.Hint())
		}
		return 1
	}
	return 0
}

// lakeFlag is --lake, accepted after the command name as well as before it.
var lakeFlag = &cli.StringFlag{Name: "lake", EnvVars: []string{"DISTILL_LAKE"}, Usage: "lake directory (default ./lake)"}

var jsonFlag = &cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object"}

func lakeDir(c *cli.Context) string {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet("lake") {
			return ctx.String("lake")
		}
	}
	if v := c.String("lake"); v != "" {
		return v
	}
	return "./lake"
}

// openLake opens the lake named by --lake, tagging commits with this command line.
func (e *env) openLake(c *cli.Context) (*lake.Lake, error) {
	l, err := lake.Open(c.Context, lakeDir(c))
	if err != nil {
		return nil, err
	}
	l.Command = commandLine(e.args)
	return l, nil
}

func commandLine(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if i == 0 {
			a = "distill"
		}
		if strings.ContainsAny(a, " \t\"'") {
			a = fmt.Sprintf("%q", a)
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// printResult prints a writing stage's result: spec.Print, as text or, with
// --json, as one JSON object.
func (e *env) printResult(c *cli.Context, r spec.Result) error {
	return spec.Print(e.stdout, r, c.Bool("json"))
}

func (e *env) printJSON(v any) error {
	return human.JSONEncoder(e.stdout).Encode(v)
}
