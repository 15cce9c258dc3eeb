package main

import (
	"context"

	"github.com/gokit-workshop/workshop/tools/internal/components"
)

func prometheusCommand() command {
	return command{
		name:    "prometheus",
		summary: "run Prometheus on 127.0.0.1:9090, scraping the service's /metrics (Ctrl-C stops it)",
		run: func(ctx context.Context, w *workshop, args []string) error {
			if len(args) > 0 {
				return usageError{"usage: " + suggest("make prometheus", "prometheus") + " (it takes no arguments)"}
			}
			return components.RunPrometheus(ctx, w.root, "", w.stderr)
		},
	}
}

func jaegerCommand() command {
	return command{
		name:    "jaeger",
		summary: "run Jaeger v2 in memory: Zipkin on 127.0.0.1:9411, query API on 16686 (Ctrl-C stops it)",
		run: func(ctx context.Context, w *workshop, args []string) error {
			if len(args) > 0 {
				return usageError{"usage: " + suggest("make jaeger", "jaeger") + " (it takes no arguments)"}
			}
			return components.RunJaeger(ctx, w.root, w.stderr)
		},
	}
}
