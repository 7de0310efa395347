//go:build !unix

package lora

import "os"

// interrupt kills the trainer: there is no SIGINT to send it here.
func interrupt(p *os.Process) error {
	return p.Kill()
}
