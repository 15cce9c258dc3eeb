// Command addsvc serves the add service over HTTP, and its Prometheus metrics
// on GET /metrics.
//
// It listens on 127.0.0.1:8080 unless told otherwise with -http-addr, and
// shuts down gracefully on SIGINT (Ctrl-C) and SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gokit-workshop/workshop/step03-metrics/addsvc"
)

// Server timeouts: a slow or stalled client cannot hold a connection forever.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 60 * time.Second
	shutdownTimeout   = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode returns the exit status for run's error, and prints the error on
// stderr unless it is said already: 0 for success and for -h (the usage is
// printed), 2 for a refused command line (what is wrong and the usage are
// printed), 1 for any other error.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "addsvc: %v\n", err)
		return 1
	}
}

// errUsage marks a refused command line, once what is wrong and the usage
// are printed.
var errUsage = errors.New("bad command line")

// run parses the flags, builds the service and serves it until ctx is done.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("addsvc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "HTTP listen address")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "addsvc: unexpected arguments %q: every setting is a flag\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	logger := log.New(stderr, "", log.LstdFlags)

	reg := prometheus.NewRegistry()
	// exercise 3.1 begin
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// exercise 3.1 end
	counters, err := addsvc.NewCounters(reg)
	if err != nil {
		return err
	}
	svc := addsvc.NewBasicService(logger, counters)

	mux := http.NewServeMux()
	// exercise 3.1 begin
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// exercise 3.1 end
	mux.Handle("/", svc)

	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (is another step still running? choose another address with -http-addr): %w", *httpAddr, err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
	logger.Printf("listening on http://%s", ln.Addr())
	return serve(ctx, srv, ln, logger)
}

// serve runs srv on ln until ctx is done, then shuts it down gracefully,
// letting the requests in flight finish.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, logger *log.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down HTTP server: %w", err)
	}
	logger.Printf("stopped")
	return nil
}
