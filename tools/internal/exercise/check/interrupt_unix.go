//go:build !windows

package check

import "os"

// interrupt asks a process to stop gracefully, as Ctrl-C does: a step's
// service then finishes its requests, writes their log lines and sends its
// last spans before it exits.
func interrupt(p *os.Process) error {
	return p.Signal(os.Interrupt)
}
