//go:build unix

package docscheck

import (
	"os/exec"
	"syscall"
)

// supported reports whether the check runs on this system, and why not.
func supported() error { return nil }

// ownGroup makes cmd start in a process group of its own, so that the
// terminal's Ctrl-C does not reach it (the check stops it itself) and
// signalGroup reaches every process it starts (go run starts another).
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminate asks cmd's process to stop: SIGTERM.
func terminate(cmd *exec.Cmd) error {
	return cmd.Process.Signal(syscall.SIGTERM)
}

// terminateGroup sends SIGTERM to cmd's process group.
func terminateGroup(cmd *exec.Cmd) error {
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
}

// killGroup kills what is left of cmd's process group.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
