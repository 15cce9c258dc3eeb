package components

import "syscall"

// setParentDeathSignal makes Linux send SIGTERM to the program should the
// workshop command die without stopping it (kill -9, say).
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGTERM
}
