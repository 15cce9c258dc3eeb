// Command addcli calls the add service over HTTP or gRPC, through the
// clients of the addsvc package:
//
//	addcli [-http-addr ADDR | -grpc-addr ADDR] sum A B
//	addcli [-http-addr ADDR | -grpc-addr ADDR] concat A B
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
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gokit-workshop/workshop/step06-transports/addendpoint"
	"github.com/gokit-workshop/workshop/step06-transports/addservice"
	"github.com/gokit-workshop/workshop/step06-transports/addtransport"
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
	timeout := fs.Duration("timeout", 10*time.Second, "give up on a call after this long")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: addcli [-http-addr ADDR | -grpc-addr ADDR] sum A B")
		fmt.Fprintln(fs.Output(), "       addcli [-http-addr ADDR | -grpc-addr ADDR] concat A B")
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

	err := call(fs.Args(), set["grpc-addr"], *httpAddr, *grpcAddr, *timeout, stdout)
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "addcli: %v\n", err)
		fs.Usage()
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "addcli: %v\n", err)
		return exitError
	}
	return exitOK
}

// call makes the call that args name, over gRPC if useGRPC, and prints its
// result to stdout.
func call(args []string, useGRPC bool, httpAddr, grpcAddr string, timeout time.Duration, stdout io.Writer) error {
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
		svc = addtransport.NewGRPCClient(conn, limits)
	} else {
		var err error
		svc, err = addtransport.NewHTTPClient(httpAddr, limits)
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
		return fmt.Errorf("%w\n(this address answers HTTP, not gRPC: give it with -http-addr, or give -grpc-addr the gRPC address)", err)
	case !useGRPC && (strings.Contains(err.Error(), "malformed HTTP response") || strings.Contains(err.Error(), "readLoopPeekFailLocked")):
		return fmt.Errorf("%w\n(this address answers gRPC, not HTTP: give it with -grpc-addr, or give -http-addr the HTTP address)", err)
	}
	return err
}
