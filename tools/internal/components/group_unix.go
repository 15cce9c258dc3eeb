//go:build unix

package components

import (
	"os"
	"syscall"
)

// groupAttr puts a program in a process group of its own, whose ID is its
// process ID: the terminal's Ctrl-C goes to the workshop command only, which
// then signals the whole group.
func groupAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(attr)
	return attr
}

// terminateGroup sends SIGTERM to the process group that p leads.
func terminateGroup(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGTERM)
}

// killGroup sends SIGKILL to what is left of the process group that p led.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL) // the group is gone already in the usual case
}
