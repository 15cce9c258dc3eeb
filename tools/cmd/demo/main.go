// Command demo runs the talk's demo (slide 89) as one command: it starts
// Prometheus, Jaeger and step 7's add service on 127.0.0.1, sends traffic
// with addcli over HTTP and gRPC (broken business rules included), and then
// shows what a person would look at: the request rate, counts and durations
// per method from Prometheus' query API, and one call's trace over each
// transport from Jaeger's query API, drawn as a tree (Jaeger built from
// source has no web UI).
//
//	make demo                  # or: cd tools && go run ./cmd/demo
//	make demo 9                # step 9: replicas, balancing, one stopped (go run ./cmd/demo 9)
//	make demo FLAGS=-keep      # keep everything running until Ctrl-C
//	make e2e                   # the demo as a test: TestE2E checks what it saw
//
// Prometheus and Jaeger listen on their usual ports (9090; 9411 and 16686),
// the service on free ones, which the demo writes into its copy of
// deploy/prometheus.yml. The logs of the three programs go to .run/demo/.
// The demo stops everything that it started when it is done, on Ctrl-C and
// on SIGTERM, at any point (see package components).
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
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/components"
	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// The step that the demo runs, and its binaries in bin/ (named as make step
// names them).
const (
	stepDir   = "step07-tracing"
	svcBinary = stepDir + "-addsvc"
	cliBinary = stepDir + "-addcli"
)

// Timing of the demo.
const (
	trafficRounds = 2                // every request, over both transports, this often
	trafficSpread = 10 * time.Second // the traffic's length, so that Prometheus (2s scrape) sees rates
	scrapeTimeout = 20 * time.Second // for Prometheus to scrape the last calls
	spansTimeout  = 30 * time.Second // for the spans to reach Jaeger (Zipkin reporters send in batches)
	readyTimeout  = 60 * time.Second // for each program to answer
)

func main() {
	// The signals stay caught until everything is stopped: a second Ctrl-C
	// while the demo stops its programs does not leave them behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(ctx)
	// A closed standard output (make gone) is an error, not a death before
	// the demo has stopped its programs.
	signal.Ignore(syscall.SIGPIPE)
	go watchParent(ctx, cancel)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel(nil)
	stop()
	os.Exit(code)
}

// errParentGone says that the program that ran the demo has exited.
var errParentGone = errors.New("the command that ran the demo (make, go run) has gone")

// watchParent cancels the demo when the program that ran it exits: a
// SIGTERM to make alone ends make and go run, which do not pass it on, and
// the demo stops what it started instead of carrying on as an orphan.
func watchParent(ctx context.Context, cancel context.CancelCauseFunc) {
	for parent := os.Getppid(); sleep(ctx, time.Second) == nil; {
		if os.Getppid() != parent {
			cancel(errParentGone)
		}
	}
}

// run parses the flags, runs the demo and returns the exit code: 0, 1 when
// it failed, 2 for bad usage, 130 when interrupted.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keep := fs.Bool("keep", false, "keep Prometheus, Jaeger and the service running after the demo, until Ctrl-C")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: demo [-keep] [7|9]   (make demo, make demo 9, make demo FLAGS=-keep)")
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	step := "7"
	if err == nil && fs.NArg() == 1 && (fs.Arg(0) == "7" || fs.Arg(0) == "9") {
		step = fs.Arg(0)
	} else if err == nil && fs.NArg() > 0 {
		fmt.Fprintf(stderr, "demo: %q: the demo runs step 7 (the talk's) or 9\n", fs.Args())
		fs.Usage()
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err == nil { // Parse has shown the usage after its error
			fs.Usage()
		}
		return 2
	}
	d, err := newDemo(stdout, *keep)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	begin := time.Now()
	if step == "9" {
		_, err = d.run9(ctx)
	} else {
		_, err = d.run(ctx)
	}
	d.stopAll()
	switch {
	case err != nil && ctx.Err() != nil:
		why := "interrupted"
		if errors.Is(context.Cause(ctx), errParentGone) {
			why = errParentGone.Error()
		}
		fmt.Fprintf(stderr, "demo: %s after %s; everything it started is stopped\n", why, formatElapsed(time.Since(begin)))
		return 130
	case err != nil:
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	case !*keep: // -keep ends with Ctrl-C, which is no interruption
		fmt.Fprintf(stdout, "\nThe demo took %s.\n", formatElapsed(time.Since(begin)))
	}
	return 0
}

// demo is one run of the demo.
type demo struct {
	root, runDir string // the repository, and the logs' folder in it
	out          io.Writer
	keep         bool
	http         *http.Client
	prom         promv1.API

	svcHTTP, svcGRPC string                // where the service listens, on free ports
	procs            []*components.Process // started, to be stopped
}

// seen is what the demo saw, for TestE2E to check.
type seen struct {
	calls   []call
	metrics promReport
	traces  []callTrace
}

// newDemo returns a demo of the repository around the current directory,
// which writes to out.
func newDemo(out io.Writer, keep bool) (*demo, error) {
	root, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("find the repository: %w", err)
	}
	for ; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.work")); err == nil {
			break
		} else if filepath.Dir(root) == root {
			return nil, errors.New("no go.work here or above; run the demo inside the workshop's repository")
		}
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	client, err := api.NewClient(api.Config{Address: "http://" + components.PrometheusAddr, Client: hc})
	if err != nil {
		return nil, fmt.Errorf("Prometheus' API client: %w", err)
	}
	return &demo{root: root, runDir: filepath.Join(root, ".run", "demo"), out: out, keep: keep, http: hc, prom: promv1.NewAPI(client)}, nil
}

// stage prints the title of a part of the demo.
func (d *demo) stage(format string, args ...any) {
	fmt.Fprintf(d.out, "\n==> "+format+"\n", args...)
}

// say prints a line of a stage, indented.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "    "+format+"\n", args...)
}

// table lays out rows of cells in columns two spaces apart, each row
// indented as say indents it. The cells end in vertical tabs, soft for
// tabwriter: a column empty in every row, such as the kinds of a trace
// without them, takes no room.
func (d *demo) table(rows ...[]string) {
	t := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', tabwriter.DiscardEmptyColumns)
	for _, r := range rows {
		fmt.Fprintln(t, "    "+strings.Join(r, "\v"))
	}
	t.Flush()
}

// rel returns path relative to the repository, for printing.
func (d *demo) rel(path string) string {
	if rel, err := filepath.Rel(d.root, path); err == nil {
		return rel
	}
	return path
}

// run runs the demo up to what it shows, and with -keep waits for Ctrl-C;
// the caller stops the programs.
func (d *demo) run(ctx context.Context) (*seen, error) {
	fmt.Fprint(d.out, "Go kit workshop demo (slide 89): runs Prometheus, Jaeger and step 7's add service on 127.0.0.1,\n"+
		"sends traffic over HTTP and gRPC, and shows what Prometheus and Jaeger saw.\nCtrl-C stops everything at any time.\n")
	cli, err := d.start(ctx)
	if err != nil {
		return nil, err
	}
	s := &seen{}
	if s.calls, err = d.sendTraffic(ctx, cli); err != nil {
		return nil, err
	}
	if s.metrics, err = d.showMetrics(ctx, s.calls); err != nil {
		return nil, err
	}
	if s.traces, err = d.showTraces(ctx, s.calls); err != nil {
		return nil, err
	}
	d.stage("look further")
	d.table(
		[]string{"Prometheus UI", "http://" + components.PrometheusAddr + "/graph", "e.g. sum by (method) (rate(addsvc_request_duration_seconds_count[1m]))"},
		[]string{"Jaeger API", "http://" + components.JaegerQueryAddr + "/api/traces?service=addcli", "and /api/traces/TRACE-ID, /api/services"},
		[]string{"the service", "http://" + d.svcHTTP + "/metrics", "what Prometheus scrapes"},
		[]string{"logs", d.rel(d.runDir) + "/", "prometheus.log, jaeger.log, addsvc.log"})
	return s, d.keepRunning(ctx)
}

// keepRunning returns at once, or with -keep when ctx is done or a
// program exits.
func (d *demo) keepRunning(ctx context.Context) error {
	if !d.keep {
		d.say("They stop with the demo now; make demo FLAGS=-keep keeps them running until Ctrl-C.")
		return nil
	}
	d.stage("everything keeps running (-keep): explore, then press Ctrl-C to stop it all")
	exited := make(chan *components.Process, len(d.procs))
	for _, p := range d.procs {
		go func() { <-p.Done(); exited <- p }()
	}
	select {
	case <-ctx.Done():
		return nil
	case p := <-exited:
		return fmt.Errorf("%w while the demo kept it running; the end of its log, %s:\n%s", p.Exited(), d.rel(p.Log), p.Tail(12))
	}
}

// sleep waits for d, or less if ctx is done, and then returns ctx's error.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// poll calls try every interval until it is done, or until timeout has
// passed. try returns done and the outcome, or not done and what is still
// missing; poll returns the outcome, or what was missing when time ran out.
func poll(ctx context.Context, timeout, interval time.Duration, try func() (done bool, err error)) error {
	for deadline := time.Now().Add(timeout); ; {
		done, err := try()
		if done {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still not there after %s: %w", timeout, err)
		}
		if err := sleep(ctx, interval); err != nil {
			return err
		}
	}
}

// formatMicros formats a duration given in microseconds, short and to
// about two significant digits: 87µs, 2.1ms, 14ms, 1.25s.
func formatMicros(us int64) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%dµs", us)
	case us < 10_000:
		return fmt.Sprintf("%.1fms", float64(us)/1000)
	case us < 1_000_000:
		return fmt.Sprintf("%.0fms", float64(us)/1000)
	}
	return fmt.Sprintf("%.2fs", float64(us)/1e6)
}

// formatElapsed formats a time that something took, as formatMicros does.
func formatElapsed(d time.Duration) string {
	return formatMicros(d.Microseconds())
}
