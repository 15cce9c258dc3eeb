// Command demo runs the talk's demo (slide 89) as one command: it starts
// Prometheus, Jaeger and step 7's add service on 127.0.0.1, sends traffic
// with addcli over HTTP and gRPC (broken business rules included), and then
// shows what a person would look at: the request rate, counts and durations
// per method from Prometheus' query API, and one call's trace over each
// transport from Jaeger's query API, drawn as a tree.
//
//	make demo                  # or: cd tools && go run ./cmd/demo
//	make demo FLAGS=-keep      # keep everything running until Ctrl-C
//	make e2e                   # or: cd tools && go run ./cmd/demo -check
//
// With -check (make e2e) it asserts instead of only showing: Prometheus
// scraped the counters and the histogram of both methods, with the counts
// that the traffic made, and Jaeger holds, for calls over HTTP and over
// gRPC, traces whose client and server spans share a trace ID with the
// right parents. It prints one PASS or FAIL line each and exits 1 if any
// failed.
//
// The logs of the three programs go to .run/demo/. The demo stops
// everything that it started when it is done, on Ctrl-C and on SIGTERM, at
// any point: each program runs in a process group of its own, which the
// demo ends with SIGTERM, then SIGKILL after 10 seconds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// Where the demo's programs listen: the defaults of scripts/prometheus.sh,
// of scripts/jaeger.sh (deploy/jaeger.yaml) and of step 7, whose HTTP
// address deploy/prometheus.yml scrapes.
const (
	prometheusAddr  = "127.0.0.1:9090"
	zipkinAddr      = "127.0.0.1:9411"
	jaegerQueryAddr = "127.0.0.1:16686"
	serviceHTTPAddr = "127.0.0.1:8080"
	serviceGRPCAddr = "127.0.0.1:8081"
)

// The step that the demo runs, and its binaries in bin/ (named as
// scripts/step.sh names them).
const (
	stepDir   = "step07-tracing"
	svcBinary = stepDir + "-addsvc"
	cliBinary = stepDir + "-addcli"
)

// Timing of the demo.
const (
	stopGrace         = 10 * time.Second // from SIGTERM to SIGKILL
	trafficRounds     = 2                // every request, over both transports, this often
	trafficSpread     = 10 * time.Second // the traffic's length, so that Prometheus (2s scrape) sees rates
	scrapeTimeout     = 20 * time.Second // for Prometheus to scrape the last calls
	spansTimeout      = 30 * time.Second // for the spans to reach Jaeger (Zipkin reporters send in batches)
	prometheusReady   = 60 * time.Second
	prometheusSetup   = 10 * time.Minute // when scripts/prometheus.sh installs it first
	jaegerReady       = 60 * time.Second
	serviceReady      = 30 * time.Second
	httpClientTimeout = 5 * time.Second
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1 // the demo could not run, or a check failed
	exitUsage       = 2
	exitInterrupted = 130 // Ctrl-C, as shells report it
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The signals stay caught until everything is stopped: a second Ctrl-C
	// while the demo stops its programs does not leave them behind.
	ctx, cancel := context.WithCancelCause(ctx)
	ignoreBrokenPipe()
	go watchParent(ctx, cancel, time.Second)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel(nil)
	stop()
	os.Exit(code)
}

// parentGoneError says that the program that ran the demo has exited.
type parentGoneError struct{}

func (parentGoneError) Error() string {
	return "the command that ran the demo (make, go run) has gone"
}

// watchParent cancels the demo when the program that ran it exits: a
// SIGTERM to make alone ends make and go run, which do not pass it on, and
// the demo stops what it started instead of carrying on as an orphan.
func watchParent(ctx context.Context, cancel context.CancelCauseFunc, every time.Duration) {
	parent := os.Getppid()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != parent {
				cancel(parentGoneError{})
				return
			}
		}
	}
}

// run parses the flags, runs the demo and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keep := fs.Bool("keep", false, "keep Prometheus, Jaeger and the service running after the demo, until Ctrl-C")
	check := fs.Bool("check", false, "run without a person (make e2e): assert what Prometheus and Jaeger saw, print PASS/FAIL lines, exit 1 on failure")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: demo [-keep | -check]   (make demo, make demo FLAGS=-keep, make e2e)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 || *keep && *check {
		fmt.Fprintln(stderr, "demo: takes no arguments, and -keep or -check, not both")
		fs.Usage()
		return exitUsage
	}

	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	root, err := findRoot(cwd)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	d := &demo{
		root:   root,
		runDir: filepath.Join(root, ".run", "demo"),
		out:    stdout,
		keep:   *keep,
		check:  *check,
		http:   &http.Client{Timeout: httpClientTimeout},
	}
	begin := time.Now()
	err = d.run(ctx)
	d.stopAll()
	switch {
	case err == nil && d.kept:
		// -keep ends with Ctrl-C: that is no interruption.
		return exitOK
	case ctx.Err() != nil:
		why := "interrupted"
		if errors.As(context.Cause(ctx), new(parentGoneError)) {
			why = parentGoneError{}.Error()
		}
		fmt.Fprintf(stderr, "demo: %s after %s; everything it started is stopped\n", why, formatElapsed(time.Since(begin)))
		return exitInterrupted
	case err != nil && d.check:
		d.checks.add("the demo could run", "", err)
		d.checks.print(stdout)
		return exitFailed
	case err != nil:
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "\nThe demo took %s.\n", formatElapsed(time.Since(begin)))
	if d.check {
		fmt.Fprintln(stdout)
		d.checks.print(stdout)
		if d.checks.failed() > 0 {
			return exitFailed
		}
	}
	return exitOK
}

// demo is one run of the demo.
type demo struct {
	root   string // the repository
	runDir string // the logs
	out    io.Writer
	keep   bool
	check  bool
	http   *http.Client

	components []*component // started, to be stopped
	checks     checks       // -check's assertions
	kept       bool         // -keep kept everything running until Ctrl-C
}

// stage prints the title of a part of the demo.
func (d *demo) stage(format string, args ...any) {
	fmt.Fprintf(d.out, "\n==> "+format+"\n", args...)
}

// say prints a line of a stage, indented.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "    "+format+"\n", args...)
}

// rel returns path relative to the repository, for printing.
func (d *demo) rel(path string) string {
	return relPath(d.root, path)
}

// run runs the demo up to what it shows; the caller stops the programs.
func (d *demo) run(ctx context.Context) error {
	mode := "shows what Prometheus and Jaeger saw"
	if d.check {
		mode = "checks what Prometheus and Jaeger saw (make e2e)"
	}
	fmt.Fprintf(d.out, "Go kit workshop demo (slide 89): runs Prometheus, Jaeger and step 7's add service on 127.0.0.1,\n"+
		"sends traffic over HTTP and gRPC, and %s.\nCtrl-C stops everything at any time.\n", mode)

	if err := checkPortsFree([]listenPort{
		{prometheusAddr, "Prometheus", "make prometheus, or another demo,"},
		{zipkinAddr, "Jaeger (Zipkin receiver)", "make jaeger, or another demo,"},
		{jaegerQueryAddr, "Jaeger (query API)", "make jaeger, or another demo,"},
		{serviceHTTPAddr, "the add service (HTTP and /metrics, which Prometheus scrapes)", "make step N, or another demo,"},
		{serviceGRPCAddr, "the add service (gRPC)", "make step N, or another demo,"},
	}); err != nil {
		return err
	}
	cli, err := d.build(ctx)
	if err != nil {
		return err
	}
	if err := d.start(ctx); err != nil {
		return err
	}
	results, err := d.sendTraffic(ctx, cli)
	if err != nil {
		return err
	}
	if err := d.showMetrics(ctx, results); err != nil {
		return err
	}
	if err := d.showTraces(ctx, results); err != nil {
		return err
	}
	if !d.check {
		d.showLinks()
	}
	if d.keep {
		d.stage("everything keeps running (-keep): explore, then press Ctrl-C to stop it all")
		if err := d.waitKept(ctx); err != nil {
			return err
		}
		d.kept = true
	}
	return nil
}

// showLinks prints where to look further.
func (d *demo) showLinks() {
	d.stage("look further")
	for _, line := range formatTable(nil, [][]string{
		{"Prometheus UI", "http://" + prometheusAddr + "/graph", "e.g. sum by (method) (rate(addsvc_request_duration_seconds_count[1m]))"},
		{"Jaeger API", "http://" + jaegerQueryAddr + "/api/traces?service=addcli", "and /api/traces/TRACE-ID, /api/services"},
		{"the service", "http://" + serviceHTTPAddr + "/metrics", "what Prometheus scrapes"},
		{"logs", d.rel(d.runDir) + "/", "prometheus.log, jaeger.log, addsvc.log"},
	}, nil) {
		d.say("%s", line)
	}
	if !d.keep {
		d.say("They stop with the demo now; make demo FLAGS=-keep keeps them running until Ctrl-C.")
	}
}
