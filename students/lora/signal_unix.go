//go:build unix

package lora

import "os"

// interrupt asks the trainer to stop as Ctrl-C would: it answers with an
// error event and exit 130, and removes its half-written artifact.
func interrupt(p *os.Process) error {
	return p.Signal(os.Interrupt)
}
