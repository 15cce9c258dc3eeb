// Command loadtest runs the load test or the benchmarks of package load, for
// trying them by hand until the workshop command runs them:
//
//	go run ./cmd/loadtest [-short] [-steps 1,7] load
//	go run ./cmd/loadtest [-short] bench
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/load"
)

func main() {
	var opts load.Options
	flag.BoolVar(&opts.Short, "short", false, "the short mode, for CI")
	flag.DurationVar(&opts.Duration, "d", 0, "how long to drive each run (default 10s, 2s with -short)")
	flag.IntVar(&opts.Connections, "c", 0, "connections (default 32)")
	flag.IntVar(&opts.Repeat, "repeat", 0, "rounds of the load test (default 3, 1 with -short)")
	flag.IntVar(&opts.Count, "count", 0, "go test -count for bench (default 5, 1 with -short)")
	flag.BoolVar(&opts.NoPin, "nopin", false, "do not pin the service and the load to cores")
	steps := flag.String("steps", "", "comma-separated step numbers (default every step)")
	flag.Parse()
	for _, s := range strings.Split(*steps, ",") {
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: -steps: %v\n", err)
			os.Exit(2)
		}
		opts.Steps = append(opts.Steps, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	var err error
	switch flag.Arg(0) {
	case "load":
		err = load.Run(ctx, opts, os.Stdout)
	case "bench":
		err = load.Bench(ctx, opts, os.Stdout)
	default:
		fmt.Fprintln(os.Stderr, "usage: loadtest [flags] load|bench")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(1)
	}
}
