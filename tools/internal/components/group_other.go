//go:build !unix

package components

import (
	"os"
	"syscall"
)

// groupAttr has nothing to add where there are no process groups.
func groupAttr() *syscall.SysProcAttr { return nil }

// terminateGroup ends p; without process groups, nothing else.
func terminateGroup(p *os.Process) error { return p.Kill() }

// killGroup has nothing to do without process groups.
func killGroup(*os.Process) {}
