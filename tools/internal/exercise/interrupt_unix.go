//go:build !windows

package exercise

import "os"

// interrupt asks a process to stop, as Ctrl-C does.
func interrupt(p *os.Process) error {
	return p.Signal(os.Interrupt)
}
