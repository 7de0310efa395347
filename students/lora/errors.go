package lora

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrStart means the interpreter could not be started (not found, not
// executable); the error wrapping it says how to install the trainer.
var ErrStart = errors.New("the trainer did not start")

// ErrNotInstalled means the interpreter cannot run the trainer: it does not
// start (ErrStart is wrapped too), or it runs but has no distill_trainer.
// The error wrapping it names the interpreter and says how to install.
var ErrNotInstalled = errors.New("the LoRA trainer is not installed")

// notInstalled is the error for an interpreter without the trainer; detail
// is what showed it (the start error, or Python's own line).
func notInstalled(name, python string, detail error) error {
	return fmt.Errorf("%s: %w for %s: run make trainer-venv and pass --python .venv-trainer/bin/python (or set DISTILL_PYTHON); %w",
		name, ErrNotInstalled, python, detail)
}

// missingModule is Python's line saying that `-m distill_trainer` found no
// such module ("python3: No module named distill_trainer"), or "".
func missingModule(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "No module named "+Module) || strings.Contains(line, "No module named '"+Module+"'") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// Error is a trainer run that failed: the message of the trainer's error
// event when it wrote one, else the cause (how it exited, or what was wrong
// with its output) and the last lines of its stderr.
type Error struct {
	// Name is the Command's.
	Name string
	// Message is the trainer's error event (trainer/PROTOCOL.md); empty
	// when it wrote none (it crashed, or is not the trainer at all).
	Message string
	// Stderr holds the last lines of stderr when there is no Message and
	// the trainer ended on its own.
	Stderr string
	// Err is how the process ended (an *exec.ExitError), or Read's error
	// about its output when it exited 0.
	Err error
}

func (e *Error) Error() string {
	switch {
	case e.Message != "":
		return e.Name + ": " + e.Message
	case e.Err == nil:
		return e.Name + ": failed"
	case e.Stderr == "":
		return e.Name + ": " + e.Err.Error()
	}
	return e.Name + ": " + e.Err.Error() + "\n" + e.Stderr
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode is the trainer's exit status: 2 when the caller must act (a bad
// flag, bad input, a model that is not there), 1 otherwise, 130 when
// interrupted; -1 when a signal ended it; 0 when it exited 0 (Err is then
// about its output).
func (e *Error) ExitCode() int { return exitCode(e.Err) }

func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return 0
}
