//go:build unix && !linux

package main

import "syscall"

// setParentDeathSignal does nothing where there is no parent-death signal
// (macOS and the BSDs): there the demo's own stop is all there is.
func setParentDeathSignal(*syscall.SysProcAttr) {}
