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
// What the server said is printed escaped (no terminal control sequence gets
// through) and cut to maxPrintedBytes. A call takes at most -timeout, and
// the spans' sending at most closeTimeout more.
// With neither flag, it calls HTTP on 127.0.0.1:8080.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gokit-workshop/workshop/step08-production/addendpoint"
	"github.com/gokit-workshop/workshop/step08-production/addservice"
	"github.com/gokit-workshop/workshop/step08-production/addtransport"
	"github.com/gokit-workshop/workshop/step08-production/limits"
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
	if err := checkFlags(*httpAddr, *grpcAddr, *timeout); err != nil {
		fmt.Fprintf(stderr, "addcli: %v\n", err)
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
	closeWithin(spans, closeTimeout, stderr)
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "addcli: %v\n", err)
		fs.Usage()
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "addcli: %s\n", printable(err))
		return exitError
	}
	return exitOK
}

// checkFlags refuses flags that no call could use: an address that is not
// host:port (or, over HTTP, an http:// or https:// URL), and a timeout that
// is not above 0.
func checkFlags(httpAddr, grpcAddr string, timeout time.Duration) error {
	if timeout <= 0 {
		return fmt.Errorf("-timeout must be above 0, not %v", timeout)
	}
	if err := checkHostPort(grpcAddr); err != nil {
		return fmt.Errorf("-grpc-addr %q: %w", grpcAddr, err)
	}
	if strings.Contains(httpAddr, "://") {
		if u, err := url.Parse(httpAddr); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-http-addr %q: want host:port, or an http:// or https:// URL", httpAddr)
		}
	} else if err := checkHostPort(httpAddr); err != nil {
		return fmt.Errorf("-http-addr %q: %w", httpAddr, err)
	}
	return nil
}

// checkHostPort refuses an address that is not host:port, with a port
// number.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, such as 127.0.0.1:8081")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("the port must be a number from 1 to 65535, not %q", port)
	}
	return nil
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
			return wrongPort(ctx, err, useGRPC, httpAddr)
		}
		fmt.Fprintln(stdout, v)
	case "concat":
		for _, s := range []string{a, b} {
			if !utf8.ValidString(s) {
				return fmt.Errorf("%w: concat takes UTF-8 text, and %q is not", errUsage, s)
			}
		}
		v, err := svc.Concat(ctx, a, b)
		if err != nil {
			return wrongPort(ctx, err, useGRPC, httpAddr)
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
			return nil, nil, fmt.Errorf("zipkin URL %q: want http://host:port/api/v2/spans", zipkinURL)
		}
		rep = zipkinhttp.NewReporter(zipkinURL,
			zipkinhttp.Logger(stdlog.New(stderr, "addcli: ", 0)),
			zipkinhttp.Timeout(sendTimeout),
			zipkinhttp.Client(&http.Client{Timeout: sendTimeout}),
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

// Sending the spans adds at most closeTimeout to addcli's run, whatever the
// collector does: the reporter's Close waits for a batch in flight, if any,
// and sends the last, each within sendTimeout.
const (
	sendTimeout  = 400 * time.Millisecond
	closeTimeout = 900 * time.Millisecond
)

// closeWithin closes rep, or gives up on it after timeout, and says so on
// stderr: the spans are lost then, and the call's result stands.
func closeWithin(rep reporter.Reporter, timeout time.Duration, stderr io.Writer) {
	done := make(chan struct{})
	go func() {
		rep.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		fmt.Fprintf(stderr, "addcli: the collector did not take the spans within %v\n", timeout)
	}
}

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

// hinted is an error of a call, and a hint of addcli's own that follows it.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() + "\n" + h.hint }
func (h hinted) Unwrap() error { return h.err }

// maxPrintedBytes is the most of an error's text that addcli prints: a
// server's message can be as long as it likes.
const maxPrintedBytes = 512

// printable returns the text of a call's error as addcli prints it: escaped,
// as a Go string is, so that no control character of the server's reaches
// the terminal, and cut to maxPrintedBytes; its hint, if any, follows on a
// line of its own.
func printable(err error) string {
	var h hinted
	if errors.As(err, &h) {
		return limits.Escape(h.err.Error(), maxPrintedBytes) + "\n" + h.hint
	}
	return limits.Escape(err.Error(), maxPrintedBytes)
}

// wrongPort adds a hint to the error of a call made over one transport to
// the port of the other: a gRPC client reading an HTTP/1 answer, or an HTTP
// client at an address whose server speaks HTTP/2 first, as gRPC servers do.
// It looks at the server only while ctx, the call's, lasts.
func wrongPort(ctx context.Context, err error, useGRPC bool, addr string) error {
	var transportErr *url.Error // the HTTP client's own: no answer was read
	switch {
	case useGRPC && strings.Contains(err.Error(), "looked like an HTTP/1.1 header"):
		return hinted{err, "(this address answers HTTP, not gRPC: give it with -http-addr, or give -grpc-addr the gRPC address)"}
	case !useGRPC && errors.As(err, &transportErr) && speaksHTTP2First(ctx, addr):
		return hinted{err, "(this address answers gRPC, not HTTP: give it with -grpc-addr, or give -http-addr the HTTP address)"}
	}
	return err
}

// speaksHTTP2First tells whether the server at addr (host:port, or an
// http:// URL) greets a new connection with an HTTP/2 SETTINGS frame within
// a second, and before ctx ends, as a gRPC server does; an HTTP/1 server
// waits for the request.
func speaksHTTP2First(ctx context.Context, addr string) bool {
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		addr = u.Host
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetReadDeadline(deadline); err != nil {
		return false
	}
	var header [9]byte // an HTTP/2 frame header
	if _, err := io.ReadFull(conn, header[:]); err != nil {
		return false
	}
	return header[3] == 0x4 // the frame type of SETTINGS
}
