package main

import "syscall"

// setParentDeathSignal makes Linux send SIGTERM to the child should the
// demo itself die without stopping it (kill -9, say), so that no
// Prometheus, Jaeger or service is left behind even then.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGTERM
}
