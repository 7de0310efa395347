package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// env is what every command gets: its input and output streams.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	args           []string
}

// run is the whole CLI; main only adds the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdin: os.Stdin, stdout: stdout, stderr: stderr, args: args}
	app := newApp(e)
	if len(args) > 1 && args[len(args)-1] == completeFlag {
		// Before anything else: the shell runs this on every Tab, whatever
		// the words typed so far would do.
		for _, s := range completions(app, args[1:len(args)-2], args[len(args)-2]) {
			fmt.Fprintln(stdout, s)
		}
		return 0
	}
	err := checkArgs(app, args)
	if err == nil {
		err = app.RunContext(ctx, interspersed(app, args))
	}
	if err != nil {
		var usage *usageError
		if errors.As(err, &usage) {
			usage.print(stderr)
			return 1
		}
		fmt.Fprintln(stderr, "distill:", err)
		var hint interface{ Hint() string }
		if errors.As(err, &hint) && hint.Hint() != "" {
			fmt.Fprintln(stderr, "hint:", hint.Hint())
		}
		// A command may say how it failed in its status (distill gate's 3
		// for a regression), so CI can tell a verdict from a breakage. Not
		// ExitCode: lora's errors carry the trainer's own under that name.
		var coded interface{ ExitStatus() int }
		if errors.As(err, &coded) {
			return coded.ExitStatus()
		}
		return 1
	}
	return 0
}

// newApp is every command and flag of the CLI.
func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:      "distill",
		HelpName:  "distill",
		Usage:     "distil an LLM oracle into a small student model, every step a versioned lake table",
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Flags: []cli.Flag{
			lakeFlag, catalogFlag, warehouseFlag,
			&cli.BoolFlag{Name: "version", Usage: "print the version, revision, Go version and build tags", DisableDefaultText: true},
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
			embedCommand(e), labelCommand(e), agreeCommand(e),
			statsCommand(e),
			splitCommand(e),
			exportCommand(e), trainCommand(e), predictCommand(e),
			evalCommand(e), cvCommand(e), reportCommand(e),
			modelCommand(e), gateCommand(e), cascadeCommand(e), scoreCommand(e), shadowCommand(e), driftCommand(e),
			diffCommand(e), lineageCommand(e), logCommand(e),
			tagCommand(e),
			rollbackCommand(e), expireCommand(e), compactCommand(e),
			runCommand(e),
			demoCommand(e),
			benchCommand(e), lakeCommand(e),
			versionCommand(e), completionCommand(e),
		},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := io.WriteString(e.stdout, versionText(buildInfo()))
				return err
			}
			return cli.ShowAppHelp(c)
		},
		OnUsageError:   usageErrorOf,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	onUsageError(app.Commands)
	return app
}

// lakeFlag is --lake, accepted after the command name as well as before it.
var lakeFlag = &cli.StringFlag{Name: "lake", EnvVars: []string{"DISTILL_LAKE"}, Usage: "lake directory",
	DefaultText: "./lake, else the nearest lake/ in a parent folder"}

var jsonFlag = &cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object"}

// lakeGiven is --lake or DISTILL_LAKE, wherever on the line it was given.
func lakeGiven(c *cli.Context) (string, bool) {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet("lake") && ctx.String("lake") != "" {
			return ctx.String("lake"), true
		}
	}
	return "", false
}

// lakeDir is the lake a command works on: the one given, else the one
// findLake finds, else ./lake (to be created, or named in "no lake" errors).
func lakeDir(c *cli.Context) string {
	if dir, ok := lakeGiven(c); ok {
		return dir
	}
	if dir, ok := findLake(); ok {
		return dir
	}
	return defaultLake
}

// openLake opens the lake named by --lake (its catalog where --catalog
// says), tagging commits with this command line.
func (e *env) openLake(c *cli.Context) (*lake.Lake, error) {
	l, err := lake.OpenWith(c.Context, lakeDir(c), lakeOptions(c))
	if err != nil {
		if _, given := lakeGiven(c); !given && errors.Is(err, lake.ErrNoLake) {
			return nil, noLakeError()
		}
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

// defaultLake is where a lake is made, and looked for first.
const defaultLake = "./lake"

// demoLakePath is where `distill demo` puts its lake, named in the hint of a
// "no lake" error run beside it.
const demoLakePath = "demo/lake"

// findLake looks for the lake as git looks for .git: in each folder from the
// working directory up, a lake/ subfolder that is a lake, or the folder
// itself when it holds a catalog (run from inside lake/). It returns the
// path relative to the working directory.
func findLake() (string, bool) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for dir := cwd; ; {
		found := ""
		switch {
		case isLake(filepath.Join(dir, "lake")):
			found = filepath.Join(dir, "lake")
		case fileExists(filepath.Join(dir, lake.CatalogFile)) || fileExists(filepath.Join(dir, lake.PointerFile)):
			found = dir
		}
		if found != "" {
			if rel, err := filepath.Rel(cwd, found); err == nil {
				return rel, true
			}
			return found, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// isLake reports whether dir holds a catalog, or a warehouse whose catalog
// was lost: a lake/ folder a command should open (lake.Open then says how to
// recover a damaged one) rather than walk past to a parent's.
func isLake(dir string) bool {
	if fileExists(filepath.Join(dir, lake.CatalogFile)) || fileExists(filepath.Join(dir, lake.PointerFile)) {
		return true
	}
	st, err := os.Stat(filepath.Join(dir, lake.WarehouseDir))
	return err == nil && st.IsDir()
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// noLakeError is lake.ErrNoLake when no lake was given or found, with a hint
// at the demo's lake when there is one.
func noLakeError() error {
	err := &hintError{
		msg: fmt.Sprintf("no lake at %s, nor lake/ in a parent folder: run `distill init` to make one, or pass --lake DIR", defaultLake),
		err: lake.ErrNoLake,
	}
	if isLake(demoLakePath) {
		err.hint = fmt.Sprintf("the demo's lake is %s: add --lake %s", demoLakePath, demoLakePath)
	}
	return err
}

// hintError is an error with a line that says what to do.
type hintError struct {
	msg  string
	err  error // the sentinel it is an instance of
	hint string
}

func (e *hintError) Error() string { return e.msg }
func (e *hintError) Unwrap() error { return e.err }

// Hint is printed under the error when it is not empty.
func (e *hintError) Hint() string { return e.hint }
