package lora_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/students/lora"
)

// The test binary doubles as the trainer: Run starts it as the "python"
// with this variable set, and `-m distill_trainer MODE` picks what it does.
const fakeEnv = "LORA_FAKE_TRAINER=1"

func TestMain(m *testing.M) {
	if os.Getenv("LORA_FAKE_TRAINER") == "1" {
		os.Exit(fakeTrainer(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeTrainer plays the trainer's side of trainer/PROTOCOL.md, one way per mode.
func fakeTrainer(args []string) int {
	if len(args) < 3 || args[0] != "-m" || args[1] != lora.Module {
		fmt.Fprintf(os.Stderr, "want -m %s MODE, got %q\n", lora.Module, args)
		return 3
	}
	switch args[2] {
	case "echo":
		io.Copy(os.Stdout, os.Stdin)
		return 0
	case "events":
		io.Copy(io.Discard, os.Stdin)
		fmt.Println("a banner some library printed")
		fmt.Println(`{"event":"start","device":"cpu","train_rows":3,"val_rows":1}`)
		fmt.Println(`{"event":"step","epoch":1,"step":1,"steps":2,"loss":1.5}`)
		fmt.Println(`{"event":"done","best_epoch":1,"val_mae":0.5}`)
		return 0
	case "train-error":
		fmt.Println(`{"event":"error","message":"row 2: labels has 3 values, want 2"}`)
		fmt.Fprintln(os.Stderr, "distill_trainer: error: row 2: labels has 3 values, want 2")
		return 2
	case "predict-error":
		for i := range 20 {
			fmt.Fprintf(os.Stderr, "warning %d\n", i)
		}
		fmt.Fprintln(os.Stderr, `{"event":"error","message":"--model m: no such directory"}`)
		return 2
	case "crash":
		for i := range 30 {
			fmt.Fprintf(os.Stderr, "traceback line %d\n", i)
		}
		return 1
	case "cut":
		fmt.Print("half a strea")
		fmt.Fprintln(os.Stderr, `{"event":"error","message":"RuntimeError: CUDA out of memory"}`)
		return 1
	case "wait":
		// Stands in for a long run: stops only on SIGINT, as the trainer's
		// KeyboardInterrupt handler does.
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt)
		fmt.Println("ready")
		select {
		case <-stop:
			fmt.Fprintln(os.Stderr, `{"event":"error","message":"interrupted"}`)
			return 130
		case <-time.After(time.Minute):
			return 0
		}
	}
	fmt.Fprintf(os.Stderr, "no mode %q\n", args[2])
	return 3
}

func fake(mode string) lora.Command {
	return lora.Command{Name: "lora trainer", Python: os.Args[0], Args: []string{mode}, Env: []string{fakeEnv}}
}

func TestRun_FeedAndRead(t *testing.T) {
	c := fake("echo")
	c.Feed = func(w io.Writer) error { _, err := io.WriteString(w, "id,text\n"); return err }
	var got []byte
	c.Read = func(r io.Reader) (err error) { got, err = io.ReadAll(r); return err }
	if err := lora.Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if string(got) != "id,text\n" {
		t.Errorf("stdout %q, want what was fed", got)
	}
}

func TestRun_Events(t *testing.T) {
	c := fake("events")
	var got []string
	c.Read = func(r io.Reader) error {
		return lora.ReadEvents(r, func(ev lora.Event) { got = append(got, ev.Event) })
	}
	if err := lora.Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if want := "start step done"; strings.Join(got, " ") != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestRun_Errors(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		read     bool
		wantMsg  string
		wantCode int
		want     []string
		notWant  []string
	}{
		// train: the error event on stdout, read by ReadEvents.
		{mode: "train-error", read: true, wantMsg: "row 2: labels has 3 values, want 2", wantCode: 2},
		// predict: the error event as the last line of stderr.
		{mode: "predict-error", wantMsg: "--model m: no such directory", wantCode: 2, notWant: []string{"warning"}},
		// No event: the last lines of stderr.
		{mode: "crash", wantCode: 1, want: []string{"exit status 1", "traceback line 15", "traceback line 29"}, notWant: []string{"traceback line 14\n"}},
		// A stream cut short: the trainer's failure explains Read's.
		{mode: "cut", wantMsg: "RuntimeError: CUDA out of memory", wantCode: 1},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			c := fake(tc.mode)
			c.Read = func(r io.Reader) error {
				if tc.read {
					return lora.ReadEvents(r, func(lora.Event) {})
				}
				io.ReadAll(r)
				return errors.New("stream cut short")
			}
			err := lora.Run(context.Background(), c)
			var e *lora.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v (%T), want a *lora.Error", err, err)
			}
			if e.Message != tc.wantMsg {
				t.Errorf("message %q, want %q", e.Message, tc.wantMsg)
			}
			if e.ExitCode() != tc.wantCode {
				t.Errorf("exit code %d, want %d", e.ExitCode(), tc.wantCode)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q has %q", err, s)
				}
			}
		})
	}
}

func TestRun_BadOutput(t *testing.T) {
	// The trainer exited 0 but what it wrote is wrong: Read's error, with stderr.
	bad := errors.New("no done event")
	c := fake("echo")
	c.Read = func(r io.Reader) error { io.ReadAll(r); return bad }
	err := lora.Run(context.Background(), c)
	var e *lora.Error
	if !errors.As(err, &e) || !errors.Is(err, bad) || e.ExitCode() != 0 {
		t.Errorf("got %v, want a *lora.Error wrapping %v with exit code 0", err, bad)
	}
}

func TestRun_FeedError(t *testing.T) {
	bad := errors.New("the lake went away")
	c := fake("echo")
	c.Feed = func(io.Writer) error { return bad }
	c.Read = func(r io.Reader) error { _, err := io.ReadAll(r); return err }
	if err := lora.Run(context.Background(), c); !errors.Is(err, bad) {
		t.Errorf("got %v, want %v", err, bad)
	}
}

func TestRun_NoPython(t *testing.T) {
	c := fake("echo")
	c.Python = filepath.Join(t.TempDir(), "no-python")
	err := lora.Run(context.Background(), c)
	if !errors.Is(err, lora.ErrStart) || !errors.Is(err, lora.ErrNotInstalled) || !strings.Contains(err.Error(), "make trainer-venv") {
		t.Errorf("got %v, want ErrStart and ErrNotInstalled with how to install the trainer", err)
	}
}

// waitReady reads the fake's "ready" line, so that it is known to listen
// for SIGINT before the test stops it.
func waitReady(r io.Reader) error {
	line, err := bufio.NewReader(r).ReadString('\n')
	if line != "ready\n" {
		return fmt.Errorf("first line %q (%v), want ready", line, err)
	}
	return nil
}

func TestRun_Cancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := fake("wait")
	c.Read = func(r io.Reader) error {
		if err := waitReady(r); err != nil {
			return err
		}
		cancel()
		_, err := io.Copy(io.Discard, r)
		return err
	}
	start := time.Now()
	err := lora.Run(ctx, c)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	// Well under the kill's grace period: the trainer stopped on SIGINT.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled run took %s", d)
	}
}

func TestRun_ReadErrorStops(t *testing.T) {
	bad := errors.New("predictions stream has columns [x]")
	c := fake("wait")
	c.Read = func(r io.Reader) error {
		if err := waitReady(r); err != nil {
			return err
		}
		return bad
	}
	start := time.Now()
	err := lora.Run(context.Background(), c)
	var e *lora.Error
	if !errors.As(err, &e) || !errors.Is(err, bad) || e.Message != "" || e.Stderr != "" {
		t.Errorf("got %#v, want an *Error with Read's error alone", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopping the trainer took %s", d)
	}
}

func TestReadEvents(t *testing.T) {
	in := "warning: not json\n" +
		`{"event":"epoch","epoch":1,"val_mae":0.25,"val_mae_per_dimension":[0.2,0.3]}` + "\n" +
		`{"event":"error","message":"loss is NaN"}` + "\n"
	var got []lora.Event
	err := lora.ReadEvents(strings.NewReader(in), func(ev lora.Event) { got = append(got, ev) })
	var e *lora.Error
	if !errors.As(err, &e) || e.Message != "loss is NaN" {
		t.Errorf("got %v, want an *Error with the event's message", err)
	}
	if len(got) != 1 || got[0].Epoch != 1 || got[0].ValMAE != 0.25 || len(got[0].ValMAEDims) != 2 {
		t.Errorf("events %+v, want the one epoch event", got)
	}
}

// A python without the trainer, and a python that is not there, both say
// how to install it: "No module named distill_trainer" alone said nothing.
func TestRun_NotInstalled(t *testing.T) {
	pythons := []string{filepath.Join(t.TempDir(), "no-python")}
	if p, err := exec.LookPath("python3"); err == nil && exec.Command(p, "-c", "import "+lora.Module).Run() != nil {
		pythons = append(pythons, p)
	} else {
		t.Log("no python3 without the trainer here: only the missing interpreter is tried")
	}
	for _, python := range pythons {
		t.Run(filepath.Base(python), func(t *testing.T) {
			for _, c := range []lora.Command{
				{Name: "lora trainer", Python: python, Args: []string{"train"},
					Feed: func(w io.Writer) error { _, err := io.WriteString(w, strings.Repeat("x", 1<<20)); return err },
					Read: func(r io.Reader) error { return lora.ReadEvents(r, func(lora.Event) {}) }},
				{Name: "lora predictor", Python: python, Args: []string{"predict"},
					Read: func(r io.Reader) error { io.ReadAll(r); return errors.New("no predictions stream") }},
			} {
				err := lora.Run(context.Background(), c)
				want := "the LoRA trainer is not installed for " + python + ": run make trainer-venv and pass --python .venv-trainer/bin/python (or set DISTILL_PYTHON)"
				if !errors.Is(err, lora.ErrNotInstalled) || !strings.Contains(fmt.Sprint(err), want) {
					t.Errorf("%s: got %v, want ErrNotInstalled saying %q", c.Name, err, want)
				}
			}
		})
	}
}
