package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chzyer/readline"

	"github.com/distillery/distillery/internal/suggest"
)

// The interactive shell of `distill sql` (no query, on a terminal): one
// session for every statement, so views and temporary tables made by one
// are there for the next.

const (
	shellPrompt = "distill> "
	shellMore   = "   ...> "
	// historyName is the shell's history, in the user's home: never in the
	// lake, which user SQL does not write.
	historyName = ".distill_sql_history"
)

const shellHelp = `Statements end with ; and may span lines. Tables are ns.table (the current
snapshot) or, in double quotes, "ns.table@N" (sequence number N) and "ns.table@TAG".
  .tables   the lake's tables (as SHOW TABLES)
  .help     this text
  .quit     leave (or Ctrl-D); Ctrl-C drops the statement being typed
`

var dotCommands = []string{".tables", ".help", ".quit", ".exit"}

// lineSource is what the shell reads: readline on a terminal, plain lines
// from any reader otherwise (tests).
type lineSource interface {
	// Readline returns a line without its newline; io.EOF at the end,
	// readline.ErrInterrupt on Ctrl-C.
	Readline() (string, error)
	SetPrompt(prompt string)
	SaveHistory(statement string) error
}

// shell runs the interactive prompt on a terminal, keeping history in the
// user's home across sessions.
func (q *sqlRunner) shell(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg := &readline.Config{
		Prompt:                 shellPrompt,
		HistoryFile:            historyFile(),
		DisableAutoSaveHistory: true, // a statement of several lines is saved as one entry
		Stdout:                 stdout,
		Stderr:                 stderr,
	}
	if f, ok := stdin.(*os.File); ok {
		cfg.Stdin = f
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return fmt.Errorf("sql shell: %w", err)
	}
	defer rl.Close()
	fmt.Fprintln(stdout, "distill sql: end statements with ;  .tables lists the lake, .help for more, .quit or Ctrl-D leaves")
	return q.loop(ctx, rl, stdout, stderr)
}

// historyFile is the shell's history file, or "" (no history) when the
// home folder is unknown.
func historyFile() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, historyName)
}

// loop reads statements until .quit or the end of input, running each
// once its ; is typed; an error is printed and the loop goes on.
func (q *sqlRunner) loop(ctx context.Context, in lineSource, out, errOut io.Writer) error {
	var buf strings.Builder
	for {
		if buf.Len() == 0 {
			in.SetPrompt(shellPrompt)
		} else {
			in.SetPrompt(shellMore)
		}
		line, err := in.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			buf.Reset()
			continue
		case errors.Is(err, io.EOF):
			if strings.TrimSpace(buf.String()) != "" {
				fmt.Fprintln(errOut, "the unfinished statement was not run (a statement ends with ;)")
			}
			return nil
		case err != nil:
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if buf.Len() == 0 && strings.HasPrefix(strings.TrimSpace(line), ".") {
			if q.dot(ctx, strings.Fields(line)[0], out, errOut) {
				return nil
			}
			continue
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		ends, blank := statementEnds(buf.String())
		if blank {
			buf.Reset()
		}
		if !ends {
			continue
		}
		stmt := strings.TrimSpace(buf.String())
		buf.Reset()
		in.SaveHistory(historyEntry(stmt))
		if err := q.run(ctx, out, stmt); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			printShellError(errOut, err)
		}
	}
}

// historyEntry is stmt on one line, so that the history file (one entry a
// line) recalls it whole; a statement that a line's end closes (a --
// comment, a literal spanning lines) is kept as it is.
func historyEntry(stmt string) string {
	lines := strings.Split(stmt, "\n")
	for i, l := range lines {
		if i < len(lines)-1 && strings.Contains(l, "--") || strings.Count(l, "'")%2 == 1 || strings.Count(l, `"`)%2 == 1 {
			return stmt
		}
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, " ")
}

// dot runs a shell command (.tables, .help); it reports whether to quit.
func (q *sqlRunner) dot(ctx context.Context, cmd string, out, errOut io.Writer) bool {
	switch strings.ToLower(cmd) {
	case ".quit", ".exit":
		return true
	case ".help":
		fmt.Fprint(out, shellHelp)
	case ".tables":
		if err := q.run(ctx, out, "SHOW TABLES"); err != nil {
			printShellError(errOut, err)
		}
	default:
		fmt.Fprintf(errOut, "unknown command %s%s: .help lists them\n", cmd, suggest.Phrase(cmd, dotCommands))
	}
	return false
}

// printShellError prints err as the CLI does, hint included.
func printShellError(w io.Writer, err error) {
	fmt.Fprintln(w, "error:", err)
	var hint interface{ Hint() string }
	if errors.As(err, &hint) {
		fmt.Fprintln(w, "hint:", hint.Hint())
	}
}

// statementEnds reports whether s ends with a ; outside quotes and
// comments (ends), and whether it holds nothing but blanks and comments.
func statementEnds(s string) (ends, blank bool) {
	last := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return last == ';', last == 0
			}
			i += j
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return false, last == 0
			}
			i += j + 3
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return false, false // an open literal: the statement goes on
			}
			i += j + 1 // a doubled quote reopens: the next pass skips it the same way
			last = c
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			last = c
		}
	}
	return last == ';', last == 0
}
