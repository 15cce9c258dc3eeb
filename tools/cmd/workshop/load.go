package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gokit-workshop/workshop/tools/internal/load"
)

func benchCommand() command {
	return command{
		name:    "bench",
		args:    "[-short] [N...]",
		summary: "Go benchmarks of every step (or steps N...): one table of ns/op and allocations per path",
		run: func(ctx context.Context, w *workshop, args []string) error {
			opts, err := loadOptions(w, "bench", args)
			if err != nil {
				return err
			}
			return load.Bench(ctx, opts, w.stdout)
		},
	}
}

func loadCommand() command {
	return command{
		name:    "load",
		args:    "[-short] [-example PATH] [N...]",
		summary: "each step's real binary under load (or steps N...): requests a second and latency, HTTP and gRPC; -example: go-kit's addsvc beside them",
		run: func(ctx context.Context, w *workshop, args []string) error {
			opts, err := loadOptions(w, "load", args)
			if err != nil {
				return err
			}
			return load.Run(ctx, opts, w.stdout)
		},
	}
}

// loadOptions reads the arguments of bench and load: -short (or SHORT=1,
// the mode CI runs), for load -example PATH (or EXAMPLE=PATH), a built
// binary of go-kit/examples' addsvc to measure beside the steps, and step
// numbers.
func loadOptions(w *workshop, name string, args []string) (load.Options, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	short := fs.Bool("short", os.Getenv("SHORT") == "1", "")
	makeUsage, goUsage := "make "+name+" [SHORT=1] [N...]", name+" [-short] [N...]"
	var example *string
	if name == "load" {
		example = fs.String("example", os.Getenv("EXAMPLE"), "")
		makeUsage, goUsage = "make load [SHORT=1] [EXAMPLE=PATH] [N...]", "load [-short] [-example PATH] [N...]"
	}
	if err := fs.Parse(args); err != nil {
		return load.Options{}, usageError{fmt.Sprintf("%s: %v; usage: %s", name, err, suggest(makeUsage, goUsage))}
	}
	opts := load.Options{Root: w.root, Short: *short}
	if example != nil && *example != "" {
		path, err := filepath.Abs(*example)
		if err != nil {
			return load.Options{}, fmt.Errorf("%s: -example: %w", name, err)
		}
		opts.Example = path
	}
	if fs.NArg() > 0 {
		steps, err := w.findSteps(fs.Args())
		if err != nil {
			return load.Options{}, err
		}
		for _, s := range steps {
			opts.Steps = append(opts.Steps, s.Number)
		}
	}
	return opts, nil
}
