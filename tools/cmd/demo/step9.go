package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/components"
)

// Step 9's demo (make demo 9): the talk's demo whole, on one machine.
// Three addsvc replicas upper-case Concat's results with two stringsvc
// replicas, balanced by go-kit's sd and lb; a load generator calls the
// addsvc replicas in turn, once with both stringsvc replicas up and once
// with one stopped a third of the way in.
const (
	step9Dir      = "step09-services"
	addsvcs9      = 3
	stringsvcs9   = 2
	load9Rate     = 90                    // Concat calls a second, over the three addsvc
	load9Duration = 8 * time.Second       // each of the two runs
	load9Warmup   = 2 * time.Second       // a run before them, not measured: first connections, Jaeger's and Prometheus' start
	load9StopAt   = 3 * time.Second       // into the second run, one stringsvc replica is stopped
	p99Budget9    = 3.0                   // p99 with a replica stopped, at most this times p99 with both...
	p99Floor9     = 10 * time.Millisecond // ...or than this, if p99 with both is less (TestE2EStep9)
)

// loadResult is a line of loadgen -json: one addsvc replica's calls, or
// all of them (Target "all").
type loadResult struct {
	Target    string
	Calls, OK int
	Failed    int
	P50, P99  time.Duration
	Errors    []string
}

// replica is a program of step 9 that the demo runs.
type replica struct {
	name, http, grpc string // grpc: addsvc only
	proc             *components.Process
}

// seen9 is what step 9's demo saw, for TestE2EStep9 to check.
type seen9 struct {
	both, degraded []loadResult                  // loadgen's lines, both stringsvc up, then one stopped
	counts         []map[string]float64          // each replica's series, after each run: [run][replica name + " " + series]
	attempts       map[string]map[string]float64 // addsvc's attempts of the second run, by stringsvc replica and outcome
	retried        callTrace                     // a trace of the second run with an attempt on the stopped replica
	stopped        string                        // the stringsvc replica stopped
}

// run9 runs step 9's demo up to what it shows, and with -keep waits for
// Ctrl-C; the caller stops the programs.
func (d *demo) run9(ctx context.Context) (*seen9, error) {
	fmt.Fprintf(d.out, "Go kit workshop demo, step 9 (slide 89 whole): %d addsvc and %d stringsvc replicas on 127.0.0.1, balanced\n"+
		"with go-kit sd and lb, Prometheus and Jaeger, and a load generator; then one stringsvc replica is stopped.\n"+
		"Ctrl-C stops everything at any time.\n", addsvcs9, stringsvcs9)
	if err := d.portsFree(); err != nil {
		return nil, err
	}
	bins := map[string]string{}
	d.stage("building step 9 into bin/: addsvc, stringsvc, loadgen")
	for _, c := range []string{"addsvc", "stringsvc", "loadgen"} {
		bins[c] = filepath.Join(d.root, "bin", step9Dir+"-"+c)
		cmd := components.Command(ctx, filepath.Join(d.root, step9Dir), "go", "build", "-o", bins[c], "./cmd/"+c)
		cmd.Stdout, cmd.Stderr = d.out, d.out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("build step 9's %s: %w", c, err)
		}
	}
	jaeger, prometheus, err := d.components(ctx)
	if err != nil {
		return nil, err
	}
	var adds, strs []*replica
	for i := range stringsvcs9 {
		strs = append(strs, &replica{name: fmt.Sprintf("stringsvc-%d", i+1), http: freeAddr()})
	}
	for i := range addsvcs9 {
		adds = append(adds, &replica{name: fmt.Sprintf("addsvc-%d", i+1), http: freeAddr(), grpc: freeAddr()})
	}
	config, err := d.prometheusConfig9(adds, strs)
	if err != nil {
		return nil, err
	}
	zipkinURL := "http://" + components.ZipkinAddr + "/api/v2/spans"
	var strAddrs []string
	for _, r := range strs {
		strAddrs = append(strAddrs, r.http)
	}
	type spec struct {
		name, what string
		env, argv  []string
		ready      func(context.Context) error
		r          *replica
	}
	specs := []spec{{
		"Prometheus", "http://" + components.PrometheusAddr + ", scrapes the five replicas' /metrics every 2s",
		nil, components.PrometheusArgs(prometheus, d.root, config, components.PrometheusAddr),
		func(ctx context.Context) error {
			_, _, _, err := d.prom.Query(ctx, "vector(1)", time.Now())
			return err
		}, nil,
	}, {
		"Jaeger", "Zipkin receiver http://" + components.ZipkinAddr + ", query API http://" + components.JaegerQueryAddr,
		components.JaegerEnv(), components.JaegerArgs(jaeger, d.root),
		d.answers("http://"+components.JaegerQueryAddr+"/api/services", components.ZipkinAddr), nil,
	}}
	for _, r := range strs {
		specs = append(specs, spec{r.name, "HTTP http://" + r.http, nil,
			[]string{bins["stringsvc"], "-http-addr", r.http, "-zipkin-url", zipkinURL},
			d.answers("http://"+r.http+"/metrics", r.http), r})
	}
	for _, r := range adds {
		specs = append(specs, spec{r.name, "HTTP http://" + r.http + ", gRPC " + r.grpc + ", -stringsvc " + strings.Join(strAddrs, ","), nil,
			[]string{bins["addsvc"], "-http-addr", r.http, "-grpc-addr", r.grpc, "-zipkin-url", zipkinURL,
				"-stringsvc", strings.Join(strAddrs, ","), "-rate-limit", "1000", "-rate-burst", "1000"},
			d.answers("http://"+r.http+"/metrics", r.grpc), r})
	}
	d.stage("starting Prometheus, Jaeger, %d stringsvc and %d addsvc, with their logs in %s/", stringsvcs9, addsvcs9, d.rel(d.runDir))
	var rows [][]string
	for _, s := range specs {
		p, err := components.Start(s.name, filepath.Join(d.runDir, strings.ToLower(s.name)+".log"), d.root, s.env, s.argv...)
		if err != nil {
			return nil, err
		}
		d.procs = append(d.procs, p)
		if s.r != nil {
			s.r.proc = p
		}
		rows = append(rows, []string{s.name, s.what})
	}
	d.table(rows...)
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, p := range d.procs {
		wg.Go(func() {
			err := poll(ctx, readyTimeout, 200*time.Millisecond, func() (bool, error) {
				select {
				case <-p.Done():
					return true, p.Exited()
				default:
					err := specs[i].ready(ctx)
					return err == nil, err
				}
			})
			if err != nil && ctx.Err() == nil {
				errs[i] = fmt.Errorf("%s was not ready (%w); the end of its log, %s:\n%s", p.Name, err, d.rel(p.Log), p.Tail(12))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(ctx.Err(), errors.Join(errs...)); err != nil {
		return nil, fmt.Errorf("starting the demo's programs failed:\n%w", err)
	}
	var instances []string
	for _, r := range append(append([]*replica{}, adds...), strs...) {
		instances = append(instances, r.http)
	}
	// Only these: Prometheus keeps the series of earlier runs, on other ports.
	err = poll(ctx, scrapeTimeout, 500*time.Millisecond, func() (bool, error) {
		up := fmt.Sprintf(`count(last_over_time(up{instance=~%q}[%s]) == 1)`, strings.Join(instances, "|"), window(d.procs[0].Started))
		v, err := d.query(ctx, up)
		if err == nil && (len(v) != 1 || int(v[0].Value) != addsvcs9+stringsvcs9) {
			return false, fmt.Errorf("Prometheus has not scraped every replica yet: %s is %v", up, v)
		}
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("Prometheus does not scrape the replicas (see %s): %w", d.rel(config), err)
	}
	d.say("all ready; Prometheus has scraped the %d replicas (up == 1)", addsvcs9+stringsvcs9)

	s := &seen9{stopped: strs[len(strs)-1].name}
	all := append(append([]*replica{}, adds...), strs...)
	var targets []string
	for _, r := range adds {
		targets = append(targets, r.http)
	}
	load := func(title string, duration time.Duration, during func()) ([]loadResult, error) {
		argv := []string{bins["loadgen"], "-addr", strings.Join(targets, ","), "-rate", strconv.Itoa(load9Rate), "-duration", duration.String(), "-json"}
		if title == "" { // the warm-up
			return nil, exec.CommandContext(ctx, argv[0], argv[1:]...).Run()
		}
		d.stage("%s", title)
		d.say("%s", strings.Join(append([]string{d.rel(argv[0])}, argv[1:]...), " "))
		var out, errOut bytes.Buffer
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		if during != nil {
			during()
		}
		if err := cmd.Wait(); err != nil {
			return nil, fmt.Errorf("loadgen: %w: %s", err, errOut.String())
		}
		var results []loadResult
		for sc := bufio.NewScanner(&out); sc.Scan(); {
			var r loadResult
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				return nil, fmt.Errorf("loadgen's output: %w", err)
			}
			results = append(results, r)
		}
		rows := [][]string{{"ADDSVC", "CALLS", "OK", "FAILED", "P50", "P99"}}
		for _, r := range results {
			name := r.Target
			for _, a := range adds {
				if a.http == r.Target {
					name = a.name + " " + r.Target
				}
			}
			rows = append(rows, []string{name, strconv.Itoa(r.Calls), strconv.Itoa(r.OK), strconv.Itoa(r.Failed),
				formatElapsed(r.P50), formatElapsed(r.P99)})
		}
		fmt.Fprintln(d.out)
		d.table(rows...)
		for _, r := range results {
			for _, e := range r.Errors {
				d.say("%s: %s", r.Target, e)
			}
		}
		return results, nil
	}

	d.say("warming up: %s of load, not measured", load9Warmup)
	if _, err := load("", load9Warmup, nil); err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	before := d.scrapeAll(ctx, all)
	if s.both, err = load(fmt.Sprintf("load: %d Concat calls a second for %s, round robin over the addsvc replicas; both stringsvc up", load9Rate, load9Duration), load9Duration, nil); err != nil {
		return nil, err
	}
	afterBoth := d.scrapeAll(ctx, all)
	var stoppedAt time.Time
	var last map[string]float64
	victim := strs[len(strs)-1]
	s.degraded, err = load(fmt.Sprintf("load again, and %s is stopped (SIGTERM) %s into it", victim.name, load9StopAt), load9Duration, func() {
		if sleep(ctx, load9StopAt) != nil {
			return
		}
		last = d.scrapeAll(ctx, []*replica{victim}) // its last numbers
		stoppedAt = time.Now()
		victim.proc.Stop()
		for i, p := range d.procs { // stopped on purpose: -keep does not wait for it
			if p == victim.proc {
				d.procs = append(d.procs[:i], d.procs[i+1:]...)
				break
			}
		}
		d.say("%s stopped at %s", victim.name, stoppedAt.Format("15:04:05.000"))
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	afterDegraded := d.scrapeAll(ctx, all)
	for k, v := range last {
		afterDegraded[k] = v
	}
	s.counts = []map[string]float64{diff(afterBoth, before), diff(afterDegraded, afterBoth)}

	d.stage("each replica's share of the calls, from its own /metrics (the stopped one: its last numbers before it stopped)")
	rows = [][]string{{"REPLICA", "SERIES", "BOTH UP", "ONE STOPPED"}}
	for _, r := range all {
		series := `addsvc_request_duration_seconds_count{method="Concat",success="true"}`
		if strings.HasPrefix(r.name, "stringsvc") {
			series = `stringsvc_request_duration_seconds_count{method="Uppercase",success="true"}`
		}
		k := r.name + " " + series
		rows = append(rows, []string{r.name + " " + r.http, series, formatCount(s.counts[0][k]), formatCount(s.counts[1][k])})
	}
	d.table(rows...)

	d.stage("addsvc's attempts on each stringsvc replica during the second run (addsvc_stringsvc_attempts_total, the three addsvc summed)")
	s.attempts = map[string]map[string]float64{}
	rows = [][]string{{"STRINGSVC", "SUCCESS", "ERROR", "BREAKER OPEN"}}
	for _, str := range strs {
		s.attempts[str.name] = map[string]float64{}
		for _, outcome := range []string{"success", "error", "breaker open"} {
			for _, a := range adds {
				s.attempts[str.name][outcome] += s.counts[1][fmt.Sprintf(`%s addsvc_stringsvc_attempts_total{outcome="%s",stringsvc="%s"}`, a.name, outcome, str.http)]
			}
		}
		rows = append(rows, []string{str.name + " " + str.http, formatCount(s.attempts[str.name]["success"]),
			formatCount(s.attempts[str.name]["error"]), formatCount(s.attempts[str.name]["breaker open"])})
	}
	d.table(rows...)
	d.say("Each addsvc has a breaker per stringsvc replica: %d refused connections open it (5 each), and then it", 5*addsvcs9)
	d.say("refuses at once, so that lb.Retry goes round the dead replica to the live one, which serves every call.")

	bothP99, degradedP99 := s.both[len(s.both)-1].P99, s.degraded[len(s.degraded)-1].P99
	d.stage("measured")
	d.table(
		[]string{"", "CALLS", "FAILED", "P50", "P99"},
		[]string{"both stringsvc up", strconv.Itoa(s.both[len(s.both)-1].Calls), strconv.Itoa(s.both[len(s.both)-1].Failed), formatElapsed(s.both[len(s.both)-1].P50), formatElapsed(bothP99)},
		[]string{"one stopped", strconv.Itoa(s.degraded[len(s.degraded)-1].Calls), strconv.Itoa(s.degraded[len(s.degraded)-1].Failed), formatElapsed(s.degraded[len(s.degraded)-1].P50), formatElapsed(degradedP99)},
	)
	d.say("p99 with one stopped is %.2f× p99 with both (the budget: %.0f×); %d calls failed for the caller",
		float64(degradedP99)/float64(max(bothP99, 1)), p99Budget9, s.degraded[len(s.degraded)-1].Failed)

	if s.retried, err = d.retriedTrace(ctx, stoppedAt); err != nil {
		return nil, err
	}
	d.stage("look further")
	d.table(
		[]string{"Prometheus UI", "http://" + components.PrometheusAddr + "/graph", `e.g. sum by (instance) (rate(stringsvc_request_duration_seconds_count[1m]))`},
		[]string{"Jaeger API", "http://" + components.JaegerQueryAddr + "/api/traces?service=addsvc", "and /api/traces/TRACE-ID"},
		[]string{"logs", d.rel(d.runDir) + "/", "one per program"})
	return s, d.keepRunning(ctx)
}

// portsFree returns an error that names the components' ports in use.
func (d *demo) portsFree() error {
	var busy []string
	for _, addr := range []string{components.PrometheusAddr, components.ZipkinAddr, components.JaegerQueryAddr} {
		if ln, err := net.Listen("tcp", addr); err != nil {
			busy = append(busy, "  "+addr+" is in use: is make prometheus, make jaeger or another demo still running?")
		} else {
			ln.Close()
		}
	}
	if busy != nil {
		return fmt.Errorf("ports in use; stop what holds them, then run the demo again:\n%s", strings.Join(busy, "\n"))
	}
	return nil
}

// components builds Jaeger if needed and gets Prometheus; it returns their
// binaries.
func (d *demo) components(ctx context.Context) (jaeger, prometheus string, err error) {
	d.stage("building Jaeger if needed")
	d.say("The first time, this builds Jaeger from the Go module proxy into .tools/, which takes about 5 minutes.")
	if jaeger, err = components.BuildJaeger(ctx, d.root, d.out); err != nil {
		return "", "", err
	}
	prometheus, err = components.InstallPrometheus(ctx, d.out)
	return jaeger, prometheus, err
}

// freeAddr returns a loopback address with a port free now.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0" // the program's start fails and says so
	}
	defer ln.Close()
	return ln.Addr().String()
}

// prometheusConfig9 writes Prometheus' configuration for step 9: a job
// per service, each replica a target.
func (d *demo) prometheusConfig9(adds, strs []*replica) (string, error) {
	targets := func(rs []*replica) string {
		var q []string
		for _, r := range rs {
			q = append(q, strconv.Quote(r.http))
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	config := "# Written by make demo 9: the replicas of step 9 on their free ports.\n" +
		"global:\n  scrape_interval: 2s\n  scrape_timeout: 1s\n  evaluation_interval: 2s\n\nscrape_configs:\n" +
		"  - job_name: addsvc\n    static_configs:\n      - targets: " + targets(adds) + "\n" +
		"  - job_name: stringsvc\n    static_configs:\n      - targets: " + targets(strs) + "\n"
	if err := os.MkdirAll(d.runDir, 0o755); err != nil {
		return "", fmt.Errorf("the demo's folder: %w", err)
	}
	path := filepath.Join(d.runDir, "prometheus.yml")
	return path, os.WriteFile(path, []byte(config), 0o644)
}

// scrapeAll reads the /metrics of each replica, by replica name and series
// ("addsvc-1 series{labels}"); a replica that does not answer is left out.
func (d *demo) scrapeAll(ctx context.Context, rs []*replica) map[string]float64 {
	m := map[string]float64{}
	for _, r := range rs {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.http+"/metrics", nil)
		if err != nil {
			continue
		}
		resp, err := d.http.Do(req)
		if err != nil {
			continue
		}
		for sc := bufio.NewScanner(resp.Body); sc.Scan(); {
			line := sc.Text()
			i := strings.LastIndexByte(line, ' ')
			if strings.HasPrefix(line, "#") || i < 0 {
				continue
			}
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				m[r.name+" "+line[:i]] = v
			}
		}
		resp.Body.Close()
	}
	return m
}

// diff returns after - before, series by series.
func diff(after, before map[string]float64) map[string]float64 {
	m := map[string]float64{}
	for k, v := range after {
		m[k] = v - before[k]
	}
	return m
}

// retriedTrace finds in Jaeger a trace of the second run in which addsvc
// tried the stopped replica and then another, and draws it.
func (d *demo) retriedTrace(ctx context.Context, stoppedAt time.Time) (callTrace, error) {
	d.stage("Jaeger: a call of the second run that tried the stopped replica, and then the other")
	var found callTrace
	err := poll(ctx, spansTimeout, time.Second, func() (bool, error) {
		traces, err := d.traces(ctx, "addsvc", stoppedAt, stoppedAt.Add(load9Duration))
		if err != nil {
			return true, err
		}
		for _, t := range traces {
			if c := (callTrace{trace: t, roots: t.tree()}); retried(c.roots) {
				found = c
				return true, nil
			}
		}
		return false, errors.New("no trace with a failed attempt and a successful one yet")
	})
	if ctx.Err() != nil {
		return found, ctx.Err()
	}
	if err != nil {
		d.say("Jaeger holds no such trace: %v", err)
		return found, nil
	}
	d.say("trace %s: the failed attempt's client span carries the error; the next attempt reaches stringsvc", found.trace.TraceID)
	d.table(treeRows(found.roots, "  ", true)...)
	return found, nil
}

// retried reports whether the span trees hold an "uppercase" span with a
// failed client attempt and, after it, one that reached stringsvc.
func retried(nodes []*span) bool {
	for _, n := range nodes {
		if strings.EqualFold(n.name, "uppercase") && n.service == "addsvc" {
			failed := false
			for _, c := range n.children {
				if c.kind == "client" && c.err != "" {
					failed = true
				}
				if failed && c.kind == "client" && c.err == "" && len(c.children) > 0 {
					return true
				}
			}
		}
		if retried(n.children) {
			return true
		}
	}
	return false
}
