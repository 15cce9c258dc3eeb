//go:build !unix

package main

import "time"

// processCPU says that the processor time of the process can't be read.
func processCPU() (time.Duration, bool) { return 0, false }
