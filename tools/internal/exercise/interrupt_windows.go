//go:build windows

package exercise

import "os"

// interrupt stops a process. Windows cannot send it Ctrl-C from here (the
// console sends it to the whole group already), so it is killed.
func interrupt(p *os.Process) error {
	return p.Kill()
}
