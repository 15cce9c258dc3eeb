//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// newProcAttr puts a child in a process group of its own, whose ID is the
// child's process ID: the terminal's Ctrl-C goes to the demo only, and the
// demo signals the whole group, which still holds the program when a script
// has exec'd it.
func newProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(attr)
	return attr
}

// terminateGroup sends SIGTERM to the process group that p leads.
func terminateGroup(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGTERM)
}

// killGroup sends SIGKILL to the process group that p leads.
func killGroup(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGKILL)
}

// ignoreBrokenPipe turns writes to a closed standard output into errors
// instead of SIGPIPE, which would end the demo before it has stopped its
// programs, say when whatever read its output went away with make.
func ignoreBrokenPipe() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}
