// Package lora runs the Python LoRA trainer (trainer/, `python -m
// distill_trainer`) as a subprocess for both the train and the predict stage.
// Its entry point is Run: one trainer command with its stdin fed and its
// stdout read by the caller, cancelled with the context, and failing with an
// *Error that carries the trainer's own message or the last lines of its
// stderr. trainer/PROTOCOL.md is the contract with the Python side.
package lora

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Quantizations are the trainer's --quantize values for train (none, 4bit:
// bitsandbytes NF4, 8bit: LLM.int8); its predict also takes auto (as the
// model was trained).
var Quantizations = []string{"none", "4bit", "8bit"}

// Module is the trainer's Python package, run as `python -m distill_trainer`.
const Module = "distill_trainer"

// stderrLines is how much of the trainer's stderr an error shows: enough for
// a Python traceback's tail without burying the message under warnings.
const stderrLines = 15

// interruptGrace is how long a cancelled trainer gets to handle SIGINT
// (its error event, exit 130) before it is killed.
const interruptGrace = 10 * time.Second

// PythonDefault is the interpreter that runs the trainer: $DISTILL_PYTHON,
// else python3.
func PythonDefault() string { return Python("", "") }

// Python is the interpreter to run: explicit (a --python flag) when given,
// else $DISTILL_PYTHON, else recorded (the one a model was trained with),
// else python3.
func Python(explicit, recorded string) string {
	for _, p := range []string{explicit, os.Getenv("DISTILL_PYTHON"), recorded} {
		if p != "" {
			return p
		}
	}
	return "python3"
}

// Recordable is python as it can be run from any folder later: a path
// relative to this one (.venv-trainer/bin/python) made absolute; a bare
// name (python3) stays one, found on PATH.
func Recordable(python string) string {
	if !strings.ContainsRune(python, filepath.Separator) || filepath.IsAbs(python) {
		return python
	}
	if abs, err := filepath.Abs(python); err == nil {
		return abs
	}
	return python
}

// Command is one run of the trainer.
type Command struct {
	// Name says in errors which run failed, e.g. "lora trainer".
	Name string
	// Python is the interpreter; empty means PythonDefault.
	Python string
	// Args follow `-m distill_trainer`: the subcommand and its flags.
	Args []string
	// Env holds KEY=value entries added to this process's environment.
	Env []string
	// Feed writes the trainer's stdin, which is closed when Feed returns.
	// It runs while Read reads, so that neither pipe fills up.
	Feed func(stdin io.Writer) error
	// Read consumes the trainer's stdout (the protocol stream). When it
	// fails the trainer is stopped, and Run's *Error wraps Read's error
	// unless the trainer had failed first (its failure then cut the stream).
	Read func(stdout io.Reader) error
}

// Run starts the trainer, feeds it and reads it until it exits. It returns
// the context's error when that was cancelled; an *Error when the trainer
// wrote an error event, exited non-zero, or Read failed on what it wrote
// (the trainer is stopped then); else Feed's.
// A trainer that cannot be started gives an error wrapping ErrStart.
func Run(ctx context.Context, c Command) error {
	python := c.Python
	if python == "" {
		python = PythonDefault()
	}
	// Read failing stops the trainer through this context, as a cancelled
	// caller does, so a trainer blocked on a full stdout never hangs Run.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(runCtx, python, append([]string{"-m", Module}, c.Args...)...)
	// Unbuffered so that a trainer that dies hard (a segfault in torch)
	// still leaves its last stderr lines for the error.
	cmd.Env = append(append(os.Environ(), "PYTHONUNBUFFERED=1"), c.Env...)
	cmd.Cancel = func() error { return interrupt(cmd.Process) }
	cmd.WaitDelay = interruptGrace
	stderr := &tail{max: 8 << 10}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return notInstalled(c.Name, python, fmt.Errorf("%w: %w", ErrStart, err))
	}
	fed := make(chan error, 1)
	go func() {
		err := feed(c.Feed, stdin)
		stdin.Close()
		fed <- err
	}()
	readErr := read(c.Read, stdout)
	stopped := readErr != nil && eventMessage(readErr) == ""
	if stopped {
		stop()
	}
	// Whatever Read left unread, so the trainer can finish writing and exit.
	io.Copy(io.Discard, stdout)
	feedErr := <-fed
	waitErr := cmd.Wait()
	msg := eventMessage(readErr)
	if msg == "" {
		msg = stderrEvent(stderr.String())
	}
	// A trainer stopped because Read failed ends with SIGINT's exit 130, a
	// signal, or (exiting 0 anyway) the stop's context error: Read's error is
	// the cause then. Otherwise a failing trainer explains a failing Read (a
	// stream cut short), not the other way round.
	code := exitCode(waitErr)
	missing := missingModule(stderr.String())
	ours := stopped && (code == 130 || code == -1 || errors.Is(waitErr, context.Canceled))
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", c.Name, ctx.Err())
	case waitErr != nil && msg == "" && missing != "":
		return notInstalled(c.Name, python, errors.New(missing))
	case ours:
		return &Error{Name: c.Name, Err: readErr}
	case msg != "":
		return &Error{Name: c.Name, Message: msg, Err: waitErr}
	case waitErr != nil:
		return &Error{Name: c.Name, Err: waitErr, Stderr: lastLines(stderr.String(), stderrLines)}
	case readErr != nil:
		return &Error{Name: c.Name, Err: readErr, Stderr: lastLines(stderr.String(), stderrLines)}
	case feedErr != nil && !errors.Is(feedErr, os.ErrClosed):
		return fmt.Errorf("stream the input to the %s: %w", c.Name, feedErr)
	}
	return nil
}

func feed(f func(io.Writer) error, w io.Writer) error {
	if f == nil {
		return nil
	}
	return f(w)
}

func read(f func(io.Reader) error, r io.Reader) error {
	if f == nil {
		return nil
	}
	return f(r)
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf bytes.Buffer
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tail) String() string { return t.buf.String() }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
