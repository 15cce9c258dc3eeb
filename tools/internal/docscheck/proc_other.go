//go:build !unix

package docscheck

import (
	"errors"
	"os/exec"
)

// supported reports whether the check runs on this system, and why not:
// it stops the service with SIGTERM and runs the READMEs' commands with sh,
// which Windows has neither of.
func supported() error {
	return errors.New("the README check runs on Linux and macOS only (it needs sh and SIGTERM); on Windows, run it in WSL")
}

func ownGroup(*exec.Cmd) {}

func terminate(cmd *exec.Cmd) error { return cmd.Process.Kill() }

func terminateGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }

func killGroup(*exec.Cmd) {}
