//go:build !unix

package load

import "time"

// ownCPU returns false: this system's processor time is not read here.
func ownCPU() (time.Duration, bool) { return 0, false }
