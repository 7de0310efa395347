package lora

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// Event is one JSON line of the trainer's progress (train's stdout, and the
// last line of predict's stderr on failure); trainer/PROTOCOL.md lists the
// fields of each kind.
type Event struct {
	Event      string    `json:"event"`
	Epoch      int       `json:"epoch"`
	Step       int       `json:"step"`
	Steps      int       `json:"steps"`
	Loss       float64   `json:"loss"`
	ValMAE     float64   `json:"val_mae"`
	ValMAEDims []float64 `json:"val_mae_per_dimension"`
	BestEpoch  int       `json:"best_epoch"`
	Message    string    `json:"message"`
	Device     string    `json:"device"`
	BaseModel  string    `json:"base_model"`
	TrainRows  int64     `json:"train_rows"`
	ValRows    int64     `json:"val_rows"`
	Trainable  int64     `json:"trainable_params"`
	// SelectValue is the --select-by ranking metric of an epoch, or of the
	// best one in done (absent when MAE chose).
	SelectValue *float64 `json:"select_value"`
}

// ReadEvents reads JSON lines from r until it ends, handing each event but
// an error event to fn; lines that are not JSON are skipped. An error event
// makes it return an *Error with the trainer's message, which Run completes
// with how the trainer exited.
func ReadEvents(r io.Reader, fn func(Event)) error {
	var failed *Error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			continue // not a protocol line
		}
		if ev.Event == "error" {
			failed = &Error{Message: ev.Message}
			continue
		}
		fn(ev)
	}
	if failed != nil {
		return failed
	}
	return sc.Err()
}

// eventMessage is the trainer's message when err came from its error event.
func eventMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// stderrEvent is the message of an error event on stderr's last line, where
// predict writes it because its stdout is Arrow only.
func stderrEvent(stderr string) string {
	line := lastLines(stderr, 1)
	if !strings.HasPrefix(line, "{") {
		return ""
	}
	var ev Event
	if json.Unmarshal([]byte(line), &ev) != nil || ev.Event != "error" {
		return ""
	}
	return ev.Message
}
