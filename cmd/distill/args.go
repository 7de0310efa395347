package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/internal/suggest"
)

// interspersed moves a command's flags in front of its positional arguments,
// so `distill sql "SELECT 1" --format csv` works as users expect (urfave/cli
// v2 stops reading flags at the first positional argument). A "--" ends the
// flags; everything after it stays positional.
func interspersed(app *cli.App, args []string) []string {
	cmds := app.Commands
	var cmd *cli.Command
	i := 1
	for ; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			scope := app.Flags
			if cmd != nil {
				scope = cmd.Flags
			}
			if takesValue(scope, a) && !strings.Contains(a, "=") {
				i++ // the flag's value
			}
			continue
		}
		next := findCommand(cmds, a)
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
	}
	if cmd == nil || i >= len(args) {
		return args
	}
	head := append([]string{}, args[:i]...)
	var flags, pos []string
	for j := i; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			pos = append(pos, args[j:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 && findFlag(cmd.Flags, a) != nil {
			flags = append(flags, a)
			if takesValue(cmd.Flags, a) && !strings.Contains(a, "=") && j+1 < len(args) {
				j++
				flags = append(flags, args[j])
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(append(head, flags...), pos...)
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func findFlag(flags []cli.Flag, arg string) cli.Flag {
	name := strings.TrimLeft(arg, "-")
	name, _, _ = strings.Cut(name, "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func takesValue(flags []cli.Flag, arg string) bool {
	f := findFlag(flags, arg)
	if f == nil {
		return false
	}
	_, isBool := f.(*cli.BoolFlag)
	return !isBool
}

// usageError is a command line distill cannot run: an unknown command or
// flag, a flag without its value. It prints as two short lines, the command
// it concerns and where its help is, never the whole help page.
type usageError struct {
	cmd string // "distill" or "distill ingest"
	msg string
}

func (e *usageError) Error() string { return e.msg }

func (e *usageError) print(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\nsee %s --help\n", e.cmd, e.msg, e.cmd)
}

// flagLike is an argument the user meant as a flag: a file or query that
// starts with a dash (a negative number, "-- comment", "--odd.jsonl") is not.
var flagLike = regexp.MustCompile(`^--?[A-Za-z][A-Za-z0-9_-]*(=.*)?$`)

// checkArgs finds what urfave/cli reports badly before it runs anything: an
// unknown command ("No help topic"), an unknown flag (the whole help page,
// or, after a positional argument, nothing: it became a file name), a
// required flag left out (the help page again).
func checkArgs(app *cli.App, args []string) error {
	path, flags, cmds := app.Name, app.Flags, app.Commands
	var cmd *cli.Command
	leaf, help := false, false
	seen := map[string]bool{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if flagLike.MatchString(a) {
			if isHelpFlag(a) {
				return nil
			}
			f := findFlag(flags, a)
			if f == nil {
				name, _, _ := strings.Cut(a, "=")
				return &usageError{path, "unknown flag " + name + flagPhrase(name, flags)}
			}
			seen[f.Names()[0]] = true
			if takesValue(flags, a) && !strings.Contains(a, "=") {
				i++
			}
			continue
		}
		if leaf {
			continue
		}
		if cmd == nil && !help && (a == "help" || a == "h") {
			help = true
			continue
		}
		next := findCommand(cmds, a)
		switch {
		case next != nil:
			cmd, cmds, flags = next, next.Subcommands, next.Flags
			path += " " + next.Name
			seen = map[string]bool{}
			leaf = len(cmds) == 0
		case cmd == nil || cmd.Action == nil:
			return &usageError{path, fmt.Sprintf("unknown command %q%s", a, suggest.Phrase(a, commandNames(cmds)))}
		default:
			leaf = true // a positional argument of a command that also has subcommands
		}
	}
	if cmd == nil || help {
		return nil
	}
	return missingFlag(path, cmd.Flags, seen)
}

// missingFlag names the first required flag neither given nor set through
// its environment variable.
func missingFlag(path string, flags []cli.Flag, seen map[string]bool) error {
	for _, f := range flags {
		r, ok := f.(cli.RequiredFlag)
		if !ok || !r.IsRequired() || seen[f.Names()[0]] {
			continue
		}
		if ev, ok := f.(interface{ GetEnvVars() []string }); ok && slices.ContainsFunc(ev.GetEnvVars(), func(v string) bool { return os.Getenv(v) != "" }) {
			continue
		}
		msg := "missing " + dashed(f.Names()[0])
		if u, ok := f.(interface{ GetUsage() string }); ok && u.GetUsage() != "" {
			msg += " (" + u.GetUsage() + ")"
		}
		return &usageError{path, msg}
	}
	return nil
}

// oneDash is a flag as Go's flag package writes it, with one dash.
var oneDash = regexp.MustCompile(`(^|[ :])-([A-Za-z][A-Za-z0-9_-])`)

// usageErrorOf rewrites the errors of Go's flag package that get past
// checkArgs (a flag without its value, a value that does not parse) in the
// words of usageError. It is every command's OnUsageError.
func usageErrorOf(c *cli.Context, err error, _ bool) error {
	path := c.Command.HelpName
	if path == "" {
		path = c.App.HelpName
	}
	msg := err.Error()
	msg = oneDash.ReplaceAllString(msg, "$1--$2")
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		msg = "unknown flag " + name + flagPhrase(name, c.Command.Flags)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		msg = name + " needs a value"
	}
	return &usageError{path, msg}
}

// flagPhrase is " (did you mean --source?)" for a mistyped flag.
func flagPhrase(arg string, flags []cli.Flag) string {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	close := suggest.Closest(name, names)
	if len(close) == 0 {
		return ""
	}
	for i, n := range close {
		close[i] = dashed(n)
	}
	return " (did you mean " + suggest.Or(close) + "?)"
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help"
}

func commandNames(cmds []*cli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	return names
}

// onUsageError gives every command, subcommands included, usageErrorOf.
func onUsageError(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = usageErrorOf
		checkFilterBefore(c)
		onUsageError(c.Subcommands)
	}
}

// checkFilterBefore makes a command with --filter check the path before it
// runs, so a typo is answered with the packages it was probably meant to
// be, in every command (not "filter.yaml: cannot read").
func checkFilterBefore(c *cli.Command) {
	var filter cli.Flag
	for _, f := range c.Flags {
		if slices.Contains(f.Names(), "filter") {
			filter = f
		}
	}
	if filter == nil {
		return
	}
	// A repeatable --filter (distill score) is checked dir by dir.
	_, repeated := filter.(*cli.StringSliceFlag)
	before := c.Before
	c.Before = func(ctx *cli.Context) error {
		dirs := []string{ctx.String("filter")}
		if repeated {
			dirs = ctx.StringSlice("filter")
		}
		for _, dir := range dirs {
			if dir == "" {
				continue
			}
			if err := checkFilterDir(dir); err != nil {
				return err
			}
		}
		if before != nil {
			return before(ctx)
		}
		return nil
	}
}
