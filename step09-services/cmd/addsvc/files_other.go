//go:build !unix

package main

// openFileLimit says that there is no limit on open files that the process
// can read: Windows has none of the kind (its handles are limited by
// memory).
func openFileLimit() (uint64, bool) {
	return 0, false
}
