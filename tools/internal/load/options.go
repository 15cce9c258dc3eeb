// Package load measures what the layers of the workshop's onion cost, step
// by step: Bench runs each step's Go benchmarks and prints them as one table,
// and Run drives each step's real binary with a load generator and prints its
// throughput and latency as another. Both state the machine they ran on.
package load

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Options sets what Run and Bench measure. The zero value measures every step
// in the full mode, from the repository that holds the working directory.
type Options struct {
	// Root is the repository's root, the directory that holds go.work. Empty:
	// the working directory or the nearest of its parents that holds go.work.
	Root string
	// Steps are the numbers of the steps to measure, in order. Empty: every
	// step directory (stepNN-*) under Root. Step 1 is the baseline of the
	// ratios: without it, they are left out.
	Steps []int
	// Short is the mode for CI: Run drives each binary for 2 s after a
	// warm-up of 0.5 s, and Bench runs each benchmark once for 100 ms.
	Short bool
	// Duration is how long Run drives each binary, after its warm-up. Zero:
	// 5 s, or 2 s when Short.
	Duration time.Duration
	// Warmup is how long Run drives each binary before it measures. Zero: 1 s,
	// or 0.5 s when Short.
	Warmup time.Duration
	// Connections is how many connections (HTTP) or calls in flight (gRPC)
	// the load generator keeps busy at once. Zero: 32.
	Connections int
	// Repeat is how many rounds Run makes of all its runs, one after the
	// other, to report their medians and how much they vary: on a busy
	// machine, a round alone can be far off. Zero: 3, or 1 when Short.
	Repeat int
	// Count is the -count of Bench's go test. Zero: 5, or 1 when Short.
	Count int
	// OutDir is where Bench keeps its raw output and Run the services' logs
	// while they run. Empty: .run/bench and .run/load under Root.
	OutDir string
	// Example is the path of a binary of go-kit's own addsvc example
	// (github.com/go-kit/examples, addsvc/cmd/addsvc, built with its rate
	// limiters lifted), which Run measures after the steps, for comparison.
	// Empty: none, and the targets that compare with it are not checked.
	Example string
	// NoPin turns off pinning the service and the load generator to cores of
	// their own (Linux with taskset and at least 2 cores only).
	NoPin bool
}

// withDefaults returns o with its zero fields set.
func (o Options) withDefaults(kind string) (Options, error) {
	if o.Root == "" {
		root, err := findRoot()
		if err != nil {
			return o, err
		}
		o.Root = root
	}
	if o.Duration == 0 {
		o.Duration = pick(o.Short, 2*time.Second, 5*time.Second)
	}
	if o.Warmup == 0 {
		o.Warmup = pick(o.Short, 500*time.Millisecond, time.Second)
	}
	if o.Connections == 0 {
		o.Connections = 32
	}
	if o.Repeat == 0 {
		o.Repeat = pick(o.Short, 1, 3)
	}
	if o.Count == 0 {
		o.Count = pick(o.Short, 1, 5)
	}
	if o.OutDir == "" {
		o.OutDir = filepath.Join(o.Root, ".run", kind)
	}
	if o.Duration < 0 || o.Warmup < 0 || o.Connections < 0 || o.Count < 0 || o.Repeat < 0 {
		return o, errors.New("load: durations, connections and count must not be negative")
	}
	return o, nil
}

func pick[T any](short bool, ifShort, otherwise T) T {
	if short {
		return ifShort
	}
	return otherwise
}

// findRoot returns the working directory or the nearest of its parents that
// holds go.work.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the repository: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the repository: no go.work in the working directory or its parents")
		}
		dir = parent
	}
}
