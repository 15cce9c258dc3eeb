package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/components"
)

// start builds step 7 and Jaeger, gets Prometheus, starts the three side by
// side and waits until each is ready and Prometheus has scraped the service
// once. It returns the client to send traffic with.
func (d *demo) start(ctx context.Context) (addcli, error) {
	var busy []string
	for _, addr := range []string{components.PrometheusAddr, components.ZipkinAddr, components.JaegerQueryAddr} {
		if ln, err := net.Listen("tcp", addr); err != nil {
			_, port, _ := net.SplitHostPort(addr)
			busy = append(busy, fmt.Sprintf("  %s is in use: is make prometheus, make jaeger or another demo still running?\n"+
				"    See what holds it: ss -ltnp 'sport = :%s' (Linux) or lsof -nP -iTCP:%[2]s -sTCP:LISTEN (macOS)", addr, port))
		} else {
			ln.Close()
		}
	}
	if busy != nil {
		return addcli{}, fmt.Errorf("ports in use; stop what holds them, then run the demo again:\n%s", strings.Join(busy, "\n"))
	}

	svc, cli := filepath.Join(d.root, "bin", svcBinary), filepath.Join(d.root, "bin", cliBinary)
	d.stage("building step 7 into bin/: %s and %s", svcBinary, cliBinary)
	for _, b := range [][2]string{{svc, "./cmd/addsvc"}, {cli, "./cmd/addcli"}} {
		cmd := components.Command(ctx, filepath.Join(d.root, stepDir), "go", "build", "-o", b[0], b[1])
		cmd.Stdout, cmd.Stderr = d.out, d.out
		if err := cmd.Run(); err != nil {
			return addcli{}, fmt.Errorf("build step 7's %s: %w", b[1], err)
		}
	}
	d.stage("building Jaeger if needed")
	d.say("The first time, this builds Jaeger from the Go module proxy into .tools/, which takes about 5 minutes;")
	d.say("after that it is there at once (make prep does it ahead of the workshop).")
	jaeger, err := components.BuildJaeger(ctx, d.root, d.out)
	if err != nil {
		return addcli{}, err
	}
	prometheus, err := components.InstallPrometheus(ctx, d.out)
	if err != nil {
		return addcli{}, err
	}
	config, err := d.prometheusConfig()
	if err != nil {
		return addcli{}, err
	}

	d.stage("starting Prometheus, Jaeger and the add service, with their logs in %s/", d.rel(d.runDir))
	zipkinURL := "http://" + components.ZipkinAddr + "/api/v2/spans"
	specs := []struct {
		name, what string
		env, argv  []string
		ready      func(context.Context) error
	}{{
		"Prometheus", "http://" + components.PrometheusAddr + ", scrapes http://" + d.svcHTTP + "/metrics every 2s",
		nil, components.PrometheusArgs(prometheus, d.root, config, components.PrometheusAddr),
		// Until it is ready, it answers every query 503.
		func(ctx context.Context) error {
			_, _, _, err := d.prom.Query(ctx, "vector(1)", time.Now())
			return err
		},
	}, {
		"Jaeger", "Zipkin receiver http://" + components.ZipkinAddr + ", query API http://" + components.JaegerQueryAddr,
		components.JaegerEnv(), components.JaegerArgs(jaeger, d.root),
		d.answers("http://"+components.JaegerQueryAddr+"/api/services", components.ZipkinAddr),
	}, {
		"addsvc", "HTTP http://" + d.svcHTTP + ", gRPC " + d.svcGRPC + ", spans to Jaeger",
		nil, []string{svc, "-http-addr", d.svcHTTP, "-grpc-addr", d.svcGRPC, "-zipkin-url", zipkinURL},
		d.answers("http://"+d.svcHTTP+"/metrics", d.svcGRPC),
	}}
	var rows [][]string
	for _, s := range specs {
		p, err := components.Start(s.name, filepath.Join(d.runDir, strings.ToLower(s.name)+".log"), d.root, s.env, s.argv...)
		if err != nil {
			return addcli{}, err
		}
		d.procs = append(d.procs, p)
		rows = append(rows, []string{s.name, s.what, "log: " + d.rel(p.Log)})
	}
	d.table(rows...)

	// All three at once, so that the slowest sets the pace; each fails
	// early, with the end of its log, if it exits first.
	errs, took := make([]error, len(specs)), make([]string, len(specs))
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
			took[i] = p.Name + " " + formatElapsed(time.Since(p.Started))
		})
	}
	wg.Wait()
	if err := errors.Join(ctx.Err(), errors.Join(errs...)); err != nil {
		return addcli{}, fmt.Errorf("starting the demo's programs failed:\n%w", err)
	}
	d.say("ready after: %s", strings.Join(took, ", "))

	// Prometheus' first scrape of the service: from then on it sees every call.
	up := fmt.Sprintf(`last_over_time(up{job="addsvc"}[%s])`, window(d.procs[2].Started))
	err = poll(ctx, scrapeTimeout, 500*time.Millisecond, func() (bool, error) {
		v, err := d.query(ctx, up)
		if err == nil && (len(v) != 1 || v[0].Value != 1) {
			return false, errors.New(`no successful scrape of the service yet (up{job="addsvc"})`)
		}
		return true, err
	})
	if err != nil {
		return addcli{}, fmt.Errorf("Prometheus does not scrape the service at http://%s/metrics (see %s and %s): %w",
			d.svcHTTP, d.rel(config), d.rel(d.procs[0].Log), err)
	}
	d.say(`Prometheus has scraped the service: up{job="addsvc"} is 1`)
	return addcli{cli, d.svcHTTP, d.svcGRPC, zipkinURL}, nil
}

// prometheusConfig chooses free ports for the service and writes
// deploy/prometheus.yml to the demo's folder with the service's address in
// place of the default that it scrapes. It returns the copy's path.
func (d *demo) prometheusConfig() (string, error) {
	for _, addr := range []*string{&d.svcHTTP, &d.svcGRPC} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("find a free port: %w", err)
		}
		*addr = ln.Addr().String()
		ln.Close()
	}
	b, err := os.ReadFile(filepath.Join(d.root, "deploy", "prometheus.yml"))
	if err != nil {
		return "", fmt.Errorf("Prometheus' configuration: %w", err)
	}
	const target = `"127.0.0.1:8080"`
	if !strings.Contains(string(b), target) {
		return "", fmt.Errorf("deploy/prometheus.yml scrapes no %s, the target that the demo replaces", target)
	}
	path := filepath.Join(d.runDir, "prometheus.yml")
	if err := os.MkdirAll(d.runDir, 0o755); err != nil {
		return "", fmt.Errorf("the demo's folder: %w", err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), target, `"`+d.svcHTTP+`"`, 1)), 0o644); err != nil {
		return "", fmt.Errorf("Prometheus' configuration: %w", err)
	}
	return path, nil
}

// answers returns a readiness probe: GET url answers 200 OK, and addr
// accepts TCP connections.
func (d *demo) answers(url, addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := d.http.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// stopAll stops every program that the demo started, all at once, and
// says how that went.
func (d *demo) stopAll() {
	if len(d.procs) == 0 {
		return
	}
	var names []string
	for _, p := range d.procs {
		names = append(names, p.Name)
	}
	d.stage("stopping %s", strings.Join(names, ", "))
	begin, killed := time.Now(), make([]bool, len(d.procs))
	var wg sync.WaitGroup
	for i, p := range d.procs {
		wg.Go(func() { killed[i] = p.Stop() })
	}
	wg.Wait()
	for i, p := range d.procs {
		if killed[i] {
			d.say("%s did not stop within %s of SIGTERM: killed it", p.Name, components.StopGrace)
		}
	}
	d.say("stopped in %s", formatElapsed(time.Since(begin)))
	d.procs = nil
}
