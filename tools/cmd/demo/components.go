package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// canInstallUnattended reports whether scripts/prometheus.sh could
// install Prometheus with no one at the keyboard: on Debian or Ubuntu, as
// root or with sudo that asks for no password. Elsewhere the script says
// how to get Prometheus and exits, which the demo reports.
func canInstallUnattended() bool {
	if _, err := os.Stat("/etc/debian_version"); err != nil {
		return true
	}
	return os.Geteuid() == 0 || exec.Command("sudo", "-n", "true").Run() == nil
}

// waitKept waits for Ctrl-C while everything keeps running, and fails if
// one of the programs exits meanwhile.
func (d *demo) waitKept(ctx context.Context) error {
	exited := make(chan *component, len(d.components))
	for _, c := range d.components {
		go func() {
			select {
			case <-c.proc.done:
				exited <- c
			case <-ctx.Done():
			}
		}()
	}
	select {
	case <-ctx.Done():
		return nil
	case c := <-exited:
		return fmt.Errorf("%w while the demo kept it running; the end of its log, %s:\n%s",
			c.exitError(), d.rel(c.logPath), c.logTail(12))
	}
}

// build builds step 7's service and client into bin/, and Jaeger into
// .tools/ if it is not there yet, with their output in the terminal. It
// returns the client.
func (d *demo) build(ctx context.Context) (addcli, error) {
	bin := filepath.Join(d.root, "bin")
	svc, cli := filepath.Join(bin, svcBinary), filepath.Join(bin, cliBinary)
	d.stage("building step 7 into bin/: %s and %s", svcBinary, cliBinary)
	dir := filepath.Join(d.root, stepDir)
	if err := runForeground(ctx, dir, d.out, nil, "go", "build", "-o", svc, "./cmd/addsvc"); err != nil {
		return addcli{}, fmt.Errorf("build step 7's service: %w", err)
	}
	if err := runForeground(ctx, dir, d.out, nil, "go", "build", "-o", cli, "./cmd/addcli"); err != nil {
		return addcli{}, fmt.Errorf("build step 7's addcli: %w", err)
	}

	d.stage("building Jaeger if needed: scripts/jaeger.sh build")
	d.say("The first time, this builds Jaeger from the Go module proxy into .tools/, which takes about 5 minutes;")
	d.say("after that it is there at once (make prep does it ahead of the workshop).")
	if err := runForeground(ctx, d.root, d.out, nil, filepath.Join(d.root, "scripts", "jaeger.sh"), "build"); err != nil {
		return addcli{}, fmt.Errorf("build Jaeger: %w", err)
	}
	return addcli{
		path:      cli,
		httpAddr:  serviceHTTPAddr,
		grpcAddr:  serviceGRPCAddr,
		zipkinURL: "http://" + zipkinAddr + "/api/v2/spans",
	}, nil
}

// start starts Prometheus, Jaeger and the service side by side, and waits
// until each is ready and Prometheus has scraped the service once.
func (d *demo) start(ctx context.Context) error {
	if err := os.MkdirAll(d.runDir, 0o755); err != nil {
		return fmt.Errorf("create the log folder: %w", err)
	}
	d.stage("starting Prometheus, Jaeger and the add service, with their logs in %s/", d.rel(d.runDir))

	promTimeout := prometheusReady
	if _, err := exec.LookPath("prometheus"); err != nil {
		if !canInstallUnattended() {
			return fmt.Errorf("prometheus is not installed. Run make prometheus once: it installs Debian's package " +
				"(with sudo, which asks for your password), or says how to get it elsewhere; stop it with Ctrl-C, then run this again")
		}
		promTimeout = prometheusSetup
		d.say("prometheus is not installed: scripts/prometheus.sh installs it first, which takes a while;")
		d.say("see %s", d.rel(filepath.Join(d.runDir, "prometheus.log")))
	}
	type spec struct {
		name, log, what string
		env             []string
		argv            []string
		ready           probe
		timeout         time.Duration
	}
	specs := []spec{{
		name: "Prometheus", log: "prometheus.log",
		what: "http://" + prometheusAddr + ", scrapes http://" + serviceHTTPAddr + "/metrics every 2s",
		env:  []string{"PROMETHEUS_ADDR=" + prometheusAddr},
		argv: []string{filepath.Join(d.root, "scripts", "prometheus.sh")},
		// Ready means its storage is open and it answers queries.
		ready:   httpOK(d.http, "http://"+prometheusAddr+"/-/ready"),
		timeout: promTimeout,
	}, {
		name: "Jaeger", log: "jaeger.log",
		what:    "Zipkin receiver http://" + zipkinAddr + ", query API http://" + jaegerQueryAddr,
		env:     []string{"JAEGER_LISTEN_HOST=127.0.0.1"},
		argv:    []string{filepath.Join(d.root, "scripts", "jaeger.sh")},
		ready:   allOf(httpOK(d.http, "http://"+jaegerQueryAddr+"/api/services"), tcpOpen(zipkinAddr)),
		timeout: jaegerReady,
	}, {
		name: "addsvc", log: "addsvc.log",
		what:    "HTTP http://" + serviceHTTPAddr + ", gRPC " + serviceGRPCAddr + ", spans to Jaeger",
		argv:    []string{filepath.Join(d.root, "bin", svcBinary), "-http-addr", serviceHTTPAddr, "-grpc-addr", serviceGRPCAddr, "-zipkin-url", "http://" + zipkinAddr + "/api/v2/spans"},
		ready:   allOf(httpOK(d.http, "http://"+serviceHTTPAddr+"/metrics"), tcpOpen(serviceGRPCAddr)),
		timeout: serviceReady,
	}}
	for _, s := range specs {
		c, err := startComponent(s.name, filepath.Join(d.runDir, s.log), d.root, s.env, s.argv...)
		if err != nil {
			return err
		}
		d.components = append(d.components, c)
		d.say("%-10s  %-70s  log: %s", s.name, s.what, d.rel(c.logPath))
	}
	// Wait for all three at once, so that the slowest sets the pace.
	errs := make([]error, len(specs))
	took := make([]string, len(specs))
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Go(func() {
			c := d.components[i]
			errs[i] = waitReady(ctx, c, s.ready, s.timeout, d.root)
			took[i] = c.name + " " + formatElapsed(time.Since(c.started))
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("starting the demo's programs failed:\n%w", err)
	}
	d.say("ready after: %s", strings.Join(took, ", "))

	// Prometheus' first scrape of the service: from then on it sees every
	// call.
	prom := promClient{base: "http://" + prometheusAddr, http: d.http}
	svcStart := d.components[2].started
	err := poll(ctx, scrapeTimeout, 500*time.Millisecond, func() (bool, error) {
		samples, err := prom.query(ctx, newPromQueries(svcStart, time.Now()).up())
		if err != nil {
			return false, err
		}
		if len(samples) != 1 || samples[0].value != 1 {
			return false, fmt.Errorf("no successful scrape of the service yet (up{job=\"addsvc\"})")
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("Prometheus does not scrape the service at http://%s/metrics (see deploy/prometheus.yml and %s): %w",
			serviceHTTPAddr, d.rel(d.components[0].logPath), err)
	}
	d.say("Prometheus has scraped the service: up{job=\"addsvc\"} is 1")
	return nil
}

// stopAll stops every program that the demo started, all at once, and
// says how that went.
func (d *demo) stopAll() {
	if len(d.components) == 0 {
		return
	}
	names := make([]string, len(d.components))
	for i, c := range d.components {
		names[i] = c.name
	}
	d.stage("stopping %s", strings.Join(names, ", "))
	begin := time.Now()
	killed := make([]bool, len(d.components))
	var wg sync.WaitGroup
	for i, c := range d.components {
		wg.Go(func() { killed[i] = c.stop(stopGrace) })
	}
	wg.Wait()
	for i, c := range d.components {
		if killed[i] {
			d.say("%s did not stop within %s of SIGTERM: killed it", c.name, stopGrace)
		}
	}
	d.say("stopped in %s", formatElapsed(time.Since(begin)))
	d.components = nil
}
