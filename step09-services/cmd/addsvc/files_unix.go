//go:build unix

package main

import "syscall"

// openFileLimit returns the process's limit on open files (its soft
// RLIMIT_NOFILE), which every connection counts against, and whether it
// could read one.
func openFileLimit() (uint64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, false
	}
	return uint64(rl.Cur), true // int64 on some systems; "unlimited" is huge
}
