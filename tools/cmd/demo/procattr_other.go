//go:build !unix

package main

import (
	"os"
	"syscall"
)

// newProcAttr has nothing to add where there are no process groups.
func newProcAttr() *syscall.SysProcAttr { return nil }

// terminateGroup ends p; without process groups, nothing else.
func terminateGroup(p *os.Process) error { return p.Kill() }

// killGroup ends p; without process groups, nothing else.
func killGroup(p *os.Process) error { return p.Kill() }

// ignoreBrokenPipe has nothing to do where there is no SIGPIPE.
func ignoreBrokenPipe() {}
