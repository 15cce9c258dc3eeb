package main

import (
	"context"
	"fmt"

	"github.com/gokit-workshop/workshop/tools/internal/images"
)

// defaultImagesStep is the step whose images images builds when none is
// named: the first with a second service and Kubernetes manifests.
const defaultImagesStep = "9"

func imagesCommand() command {
	return command{
		name:    "images",
		args:    "[N]",
		summary: "build one container image per binary of step N (default 9): FROM scratch, static, non-root; gokit-workshop/BINARY:stepNN",
		run: func(ctx context.Context, w *workshop, args []string) error {
			if len(args) > 1 {
				return usageError{"usage: " + suggest("make images [N]", "images [N]") + " (one step; default " + defaultImagesStep + ")"}
			}
			arg := defaultImagesStep
			if len(args) == 1 {
				arg = args[0]
			}
			s, err := w.findStep(arg)
			if err != nil {
				return err
			}
			built, err := images.Build(ctx, images.Options{Root: w.root, Step: s.Dir, Stdout: w.stderr, Stderr: w.stderr})
			if err != nil {
				return err
			}
			fmt.Fprintf(w.stdout, "\nThe images of %s (FROM scratch, user %s):\n", s.Dir, images.User)
			for _, img := range built {
				fmt.Fprintf(w.stdout, "  %s\n", img.Ref)
			}
			for _, img := range built {
				if img.Binary == "addsvc" {
					fmt.Fprintf(w.stdout, "Run one on this machine: docker run --rm --network host %s -http-addr 127.0.0.1:8080\n", img.Ref)
				}
			}
			return nil
		},
	}
}
