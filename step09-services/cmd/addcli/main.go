// Command addcli calls the add service over HTTP or gRPC, through the
// clients of the addsvc package:
//
//	addcli [-http-addr ADDR | -grpc-addr ADDR] [-zipkin-url URL] sum A B
//	addcli [-http-addr ADDR | -grpc-addr ADDR] [-zipkin-url URL] concat A B
//
// It traces its call, and the trace continues in the service; with
// -zipkin-url its spans go to that collector, so that one call shows as one
// trace across client and server.
//
// It prints the result on stdout and exits 0; it prints a failed call's
// error on stderr and exits 1, and its usage on bad arguments and exits 2.
// With neither flag, it calls HTTP on 127.0.0.1:8080.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
	"github.com/gokit-workshop/workshop/step09-services/limits"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the call failed
	exitUsage = 2 // the arguments are wrong
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks an error in the arguments: the usage follows it.
var errUsage = errors.New("usage")

// run calls the service as args say and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("addcli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "call the service over HTTP at this address (the default transport)")
	grpcAddr := fs.String("grpc-addr", "127.0.0.1:8081", "call the service over gRPC at this address")
	zipkinURL := fs.String("zipkin-url", "", "send spans to this Zipkin collector, e.g. http://127.0.0.1:9411/api/v2/spans")
	timeout := fs.Duration("timeout", 10*time.Second, "give up on a call after this long")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: addcli [-http-addr ADDR | -grpc-addr ADDR] [-zipkin-url URL] sum A B")
		fmt.Fprintln(fs.Output(), "       addcli [-http-addr ADDR | -grpc-addr ADDR] [-zipkin-url URL] concat A B")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if name, ok := misplacedFlag(fs, fs.Args()); ok {
		fmt.Fprintf(stderr, "addcli: flags go before the method: put -%s before %q\n", name, fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["http-addr"] && set["grpc-addr"] {
		fmt.Fprintln(stderr, "addcli: give -http-addr or -grpc-addr, not both")
		fs.Usage()
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "addcli: -timeout must be above 0, not %v\n", *timeout)
		fs.Usage()
		return exitUsage
	}

	// Without a collector, the spans go nowhere, but the call still carries
	// its trace to the service, whose log shows it.
	tracer, spans, err := newTracer(*zipkinURL, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "addcli: %v\n", err)
		return exitUsage
	}
	err = call(fs.Args(), set["grpc-addr"], *httpAddr, *grpcAddr, tracer, *timeout, stdout)
	spans.Close() // sends the spans, if there is a collector
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "addcli: %v\n", err)
		fs.Usage()
		return exitUsage
	case err != nil:
		// The error holds the server's text: escaped and cut, so that it can
		// neither drive the terminal nor fill it.
		fmt.Fprintf(stderr, "addcli: %s\n", limits.Escape(err.Error(), maxErrorBytes))
		return exitError
	}
	return exitOK
}

// call makes the call that args name, over gRPC if useGRPC, and prints its
// result to stdout.
func call(args []string, useGRPC bool, httpAddr, grpcAddr string, tracer *zipkin.Tracer, timeout time.Duration, stdout io.Writer) error {
	if len(args) != 3 {
		return fmt.Errorf("%w: want a method and two arguments, got %d arguments", errUsage, len(args))
	}
	method, a, b := args[0], args[1], args[2]
	if method != "sum" && method != "concat" {
		return fmt.Errorf("%w: unknown method %q", errUsage, method)
	}

	// One call never reaches the client's limits; they matter to programs
	// that keep a client for many calls.
	limits := addendpoint.Limits{Rate: rate.Inf}
	var svc addservice.Service
	if useGRPC {
		conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("gRPC client for %s: %w", grpcAddr, err)
		}
		defer conn.Close()
		svc = addtransport.NewGRPCClient(conn, tracer, limits)
	} else {
		var err error
		svc, err = addtransport.NewHTTPClient(httpAddr, tracer, limits)
		if err != nil {
			return err
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	switch method {
	case "sum":
		x, err := parseInt(a)
		if err != nil {
			return err
		}
		y, err := parseInt(b)
		if err != nil {
			return err
		}
		v, err := svc.Sum(ctx, x, y)
		if err != nil {
			return wrongPort(err, useGRPC)
		}
		fmt.Fprintln(stdout, v)
	case "concat":
		v, err := svc.Concat(ctx, a, b)
		if err != nil {
			return wrongPort(err, useGRPC)
		}
		fmt.Fprintln(stdout, v)
	}
	return nil
}

// newTracer returns addcli's tracer and the reporter that sends its spans:
// to the Zipkin collector at zipkinURL, whose failures are written to
// stderr, or nowhere without one. Every call is sampled, so that the service
// continues the trace.
func newTracer(zipkinURL string, stderr io.Writer) (*zipkin.Tracer, reporter.Reporter, error) {
	rep := reporter.NewNoopReporter()
	if zipkinURL != "" {
		u, err := url.Parse(zipkinURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("-zipkin-url %q: want http://host:port/api/v2/spans", zipkinURL)
		}
		rep = zipkinhttp.NewReporter(zipkinURL,
			zipkinhttp.Logger(stdlog.New(stderr, "addcli: ", 0)),
			zipkinhttp.Timeout(sendTimeout),
		)
	}
	local, err := zipkin.NewEndpoint("addcli", "")
	if err != nil {
		rep.Close()
		return nil, nil, fmt.Errorf("zipkin endpoint: %w", err)
	}
	tracer, err := zipkin.NewTracer(rep, zipkin.WithLocalEndpoint(local), zipkin.WithSampler(zipkin.AlwaysSample))
	if err != nil {
		rep.Close()
		return nil, nil, fmt.Errorf("zipkin tracer: %w", err)
	}
	return tracer, rep, nil
}

// maxErrorBytes is the most of a failed call's error that addcli prints.
const maxErrorBytes = 512

// sendTimeout bounds the wait for the collector, when addcli sends it its
// spans before exiting.
const sendTimeout = time.Second

// misplacedFlag returns the name of the first of args that is one of fs's
// flags: flag parsing stops at the method, so a flag after it would be taken
// for an argument. A negative number is not a flag.
func misplacedFlag(fs *flag.FlagSet, args []string) (string, bool) {
	for _, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if fs.Lookup(name) != nil {
			return name, true
		}
	}
	return "", false
}

// parseInt reads an argument of sum, and says whether a bad one is not an
// integer or out of range.
func parseInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%w: %q is out of range: sum takes integers of 64 bits", errUsage, s)
	case err != nil:
		return 0, fmt.Errorf("%w: sum takes integers: %q", errUsage, s)
	}
	return n, nil
}

// wrongPort adds a hint to the error of a call made over one transport to
// the port of the other: a gRPC client reading an HTTP/1 answer, or an HTTP
// client reading the HTTP/2 frame that a gRPC server greets it with (as an
// answer, or before it sent its request).
func wrongPort(err error, useGRPC bool) error {
	switch {
	case useGRPC && strings.Contains(err.Error(), "looked like an HTTP/1.1 header"):
		return fmt.Errorf("%w (this address answers HTTP, not gRPC: give it with -http-addr, or give -grpc-addr the gRPC address)", err)
	case !useGRPC && (strings.Contains(err.Error(), "malformed HTTP response") || strings.Contains(err.Error(), "readLoopPeekFailLocked")):
		return fmt.Errorf("%w (this address answers gRPC, not HTTP: give it with -grpc-addr, or give -http-addr the HTTP address)", err)
	}
	return err
}
