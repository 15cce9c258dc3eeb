//go:build windows

package check

import "os"

// interrupt stops a process. Windows cannot send one process Ctrl-C, so it
// is killed: what it had not written yet is lost, which a check then reports.
func interrupt(p *os.Process) error {
	return p.Kill()
}
