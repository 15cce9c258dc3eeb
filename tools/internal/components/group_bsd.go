//go:build unix && !linux

package components

import "syscall"

// setParentDeathSignal does nothing where there is no parent-death signal
// (macOS and the BSDs).
func setParentDeathSignal(*syscall.SysProcAttr) {}
