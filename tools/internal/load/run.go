package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// variant is one way to run a step for the load test: its flags beyond the
// addresses and the lifted limits.
type variant struct {
	name      string // "" for the step as it runs by default
	args      []string
	collector bool // -zipkin-url is the stand-in collector's
}

// measurement is one run of the load test: one step, one variant, one
// transport.
type measurement struct {
	step      step
	variant   variant
	transport string // HTTP or gRPC
	result    loadResult
	serverCPU time.Duration // the service's processor time, warm-up and start included
	loadCPU   time.Duration // the load generator's, in the same time; 0 if unknown
	logBytes  int64
}

func (m measurement) label() string {
	if m.variant.name == "" {
		return m.step.label()
	}
	return m.step.label() + ", " + m.variant.name
}

// cpuPerRequest is the service's processor time per request sent, warm-up
// included.
func (m measurement) cpuPerRequest() float64 {
	if m.result.total == 0 {
		return 0
	}
	return float64(m.serverCPU) / float64(m.result.total)
}

// Run builds each step's command as a person does (go build ./cmd/addsvc),
// runs it on free loopback ports with its log written to a file, metrics on
// and rate limits lifted by its flags, and drives it with a closed-loop load
// generator in this process: POST /sum over HTTP for every step, Add/Sum over
// gRPC too where the step serves it, after a warm-up and for a bounded time.
// A step with -zipkin-url (7 and 8) runs three ways: tracing to its log (its
// default), to a stand-in Zipkin collector in another process, and with
// -zipkin-sample-rate 0 where it has that flag. With opts.Example, go-kit's
// own addsvc example runs after the steps over HTTP, untraced and traced to
// the same collector. Where it can, Run pins the service to one core and the
// load to the others. It makes opts.Repeat rounds of all these runs, one
// after the other, so that a disturbance of the machine shows as a spread
// rather than as a figure, and runs step 1 again just before each of the
// others, so that a ratio compares two runs a few seconds apart.
//
// It prints, to stdout, the machine and one table: requests a second, p50
// and p99 latency, the processor time per request of the service and of the
// load generator, and the bytes logged per request, as medians over the
// rounds; requests a second, p99 and processor time also as ratios to the
// run of step 1 over HTTP just before, with their range over the rounds. Then the targets, met or missed.
// Run fails when a step cannot be built or run, or when some of its requests
// fail; a missed target is reported, not an error.
func Run(ctx context.Context, opts Options, stdout io.Writer) error {
	opts, err := opts.withDefaults("load")
	if err != nil {
		return err
	}
	steps, err := findSteps(opts.Root, opts.Steps)
	if err != nil {
		return err
	}
	m := describeMachine(ctx, opts.Root)
	runDir := filepath.Join(opts.OutDir, time.Now().Format("20060102-150405"))
	binDir := filepath.Join(runDir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	pin := pinCores(ctx, opts.NoPin)
	defer pin.restore()
	fmt.Fprintf(stdout, "load: %d connections a run, %v warm-up, then %v measured; %s\n",
		opts.Connections, opts.Warmup, opts.Duration, pin)

	var col *collector
	defer func() {
		if col != nil {
			fmt.Fprintf(stdout, "load: the stand-in collector %s\n", col.stop())
		}
	}()
	var examples []plan
	if opts.Example != "" { // first, so that a wrong path fails before the builds
		if examples, err = examplePlans(ctx, opts.Example); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
	var plans []plan
	for _, s := range steps {
		fmt.Fprintf(stdout, "load: %s: go build ./cmd/addsvc\n", s.name)
		bin, err := buildService(ctx, s, binDir)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		flags, err := serviceFlags(ctx, bin)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		for _, v := range variants(flags) {
			if v.collector && col == nil {
				if col, err = startCollector(ctx, opts.Root, binDir, pin.load); err != nil {
					return fmt.Errorf("load: %w", err)
				}
			}
			plans = append(plans, plan{step: s, bin: bin, flags: flags, variant: v, transport: "HTTP"})
			if flags.has("grpc-addr") {
				plans = append(plans, plan{step: s, bin: bin, flags: flags, variant: v, transport: "gRPC"})
			}
		}
	}
	if len(examples) > 0 {
		fmt.Fprintf(stdout, "load: %s: %s\n", exampleLabel, opts.Example)
	}
	for _, p := range examples {
		if p.variant.collector && col == nil {
			if col, err = startCollector(ctx, opts.Root, binDir, pin.load); err != nil {
				return fmt.Errorf("load: %w", err)
			}
		}
		plans = append(plans, p)
	}
	// Each run is paired with a run of the baseline, step 1 over HTTP, just
	// before it: its ratios are to that run. The machine's speed drifts
	// over minutes (its neighbours come and go), and a baseline measured
	// a minute earlier would move the ratios with it.
	base := slices.IndexFunc(plans, plan.isBaseline)
	rounds := make([][]pairedRun, opts.Repeat)
	for round := range rounds {
		for i, p := range plans {
			var run pairedRun
			if base >= 0 && i != base {
				if run.base, err = measureAndSay(ctx, opts, plans[base], col, pin, runDir, stdout, round); err != nil {
					return err
				}
			}
			if run.m, err = measureAndSay(ctx, opts, p, col, pin, runDir, stdout, round); err != nil {
				return err
			}
			if base >= 0 && i == base {
				run.base = run.m
			}
			rounds[round] = append(rounds[round], run)
		}
	}
	sums := summarize(plans, rounds, base >= 0)
	fmt.Fprintf(stdout, "\nMachine: %s.\n", m)
	fmt.Fprintf(stdout, "Load: closed loop, %d connections (HTTP) or calls in flight (gRPC), %v measured after %v of warm-up, %s; %s.\n\n",
		opts.Connections, opts.Duration, opts.Warmup, roundsText(opts.Repeat, base >= 0), pin)
	if err := loadTable(sums, opts.Repeat > 1).write(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	writeTargets(stdout, sums)
	_ = os.RemoveAll(runDir)
	return nil
}

// measureAndSay measures plan p and prints what it measured.
func measureAndSay(ctx context.Context, opts Options, p plan, col *collector, pin pinning, runDir string, stdout io.Writer, round int) (measurement, error) {
	meas, err := measure(ctx, opts, p, col, pin, runDir)
	if err != nil {
		return meas, fmt.Errorf("load: %w", err)
	}
	fmt.Fprintf(stdout, "load: round %d/%d: %-34s %-4s %8.0f req/s  p50 %-8s p99 %-8s service CPU %s/req\n",
		round+1, opts.Repeat, meas.label(), p.transport, meas.result.perSecond(), dur(meas.result.quantile(0.5)),
		dur(meas.result.quantile(0.99)), nanos(meas.cpuPerRequest()))
	return meas, nil
}

func roundsText(n int, paired bool) string {
	text := "one round"
	if n > 1 {
		text = fmt.Sprintf("%d rounds of every run in turn, medians shown, and the range of the ratios over the rounds", n)
	}
	if paired {
		text += "; each run's ratios are to a run of step 1 just before it"
	}
	return text
}

// plan is one run of the load test to make in each round: one step, one
// way to run it, one transport.
type plan struct {
	step      step
	bin       string
	flags     helpFlags
	variant   variant
	transport string // HTTP or gRPC
}

// isBaseline reports whether p is the run that the others are compared
// with: step 1 over HTTP.
func (p plan) isBaseline() bool {
	return p.step.num == 1 && !p.step.example && p.transport == "HTTP" && p.variant.name == ""
}

// pairedRun is one plan's measurement in a round, m, and the baseline's
// measured just before it, base (m itself for the baseline).
type pairedRun struct {
	base, m measurement
}

// variants returns the ways to run a step, from the flags it takes.
func variants(flags helpFlags) []variant {
	vs := []variant{{}}
	if flags.has("zipkin-url") {
		vs[0].name = "spans to its log"
		vs = append(vs, variant{name: "spans to a collector", collector: true})
	}
	if flags.has("zipkin-sample-rate") {
		vs = append(vs, variant{name: "sample rate 0", args: []string{"-zipkin-sample-rate", "0"}})
	}
	return vs
}

// measure runs one step's binary one way and drives it over one transport.
func measure(ctx context.Context, opts Options, p plan, col *collector, pin pinning, runDir string) (measurement, error) {
	s, bin, flags, v, transport := p.step, p.bin, p.flags, p.variant, p.transport
	var args []string
	if !s.example {
		args = []string{"-http-addr", "127.0.0.1:0"}
		if flags.has("grpc-addr") {
			args = append(args, "-grpc-addr", "127.0.0.1:0")
		}
		args = append(args, liftedLimits(flags, opts.Connections)...)
	}
	if v.collector {
		args = append(args, "-zipkin-url", col.url)
	}
	args = append(args, v.args...)
	logPath := filepath.Join(runDir, fmt.Sprintf("%s-%d-%s.log", s.name, len(v.args)+btoi(v.collector), transport))
	var svc *service
	var err error
	if s.example {
		svc, err = startExample(ctx, bin, flags, args, logPath, pin.server)
	} else {
		svc, err = startService(ctx, bin, args, logPath, pin.server, loggedListening(transport == "gRPC"))
	}
	if err != nil {
		return measurement{}, err
	}
	var workers []worker
	if transport == "gRPC" {
		var closeConns func()
		workers, closeConns, err = grpcWorkers(svc.grpcAddr, opts.Connections)
		if err != nil {
			svc.kill()
			return measurement{}, err
		}
		defer closeConns()
	} else {
		workers = httpWorkers(svc.httpAddr, opts.Connections)
	}
	cpu0, cpuKnown := ownCPU()
	res := drive(ctx, workers, opts.Warmup, opts.Duration)
	cpu1, _ := ownCPU()
	serverCPU, stopErr := svc.stop()
	meas := measurement{step: s, variant: v, transport: transport, result: res, serverCPU: serverCPU}
	if cpuKnown {
		meas.loadCPU = cpu1 - cpu0
	}
	if fi, err := os.Stat(logPath); err == nil {
		meas.logBytes = fi.Size()
	}
	label := meas.label() + " over " + transport
	switch {
	case ctx.Err() != nil:
		return meas, ctx.Err()
	case stopErr != nil:
		return meas, fmt.Errorf("%s: %w; its log is %s", label, stopErr, logPath)
	case res.failures > 0:
		return meas, fmt.Errorf("%s: %d of %d requests failed, the first with: %w; the service's log is %s",
			label, res.failures, res.failures+res.requests, res.firstErr, logPath)
	case res.requests == 0:
		return meas, errors.New(label + ": no request was answered")
	}
	_ = os.Remove(logPath) // a loaded service logs hundreds of megabytes
	return meas, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
