package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// go-kit's own addsvc example (github.com/go-kit/examples, addsvc/cmd/addsvc),
// run beside the steps for comparison when Options.Example names a binary of
// it. It is none of the workshop's code: a person builds it from a copy of
// go-kit/examples outside the repository, with the two rate limiters of
// addsvc/pkg/addendpoint/set.go set to rate.Inf, or most of the load would be
// refused.
const exampleLabel = "go-kit addsvc"

// exampleListeners are the flags by which go-kit's addsvc example binds a
// listener, each with a default (":8080" and the like) on every interface:
// the load test gives each a free loopback port instead. -appdash-addr, an
// address too, is where it sends traces, and is left unset.
var exampleListeners = []string{"http-addr", "grpc-addr", "debug.addr", "thrift-addr", "jsonrpc-addr"}

// examplePlans returns the runs of go-kit's addsvc example at bin: over
// HTTP, untraced and traced to the stand-in collector.
func examplePlans(ctx context.Context, bin string) ([]plan, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("-example: %w", err)
	}
	flags, err := serviceFlags(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("-example: %w", err)
	}
	if !flags.has("zipkin-url") || !flags.has("debug.addr") {
		return nil, fmt.Errorf("-example: %s is not go-kit/examples' addsvc: its -h lists no -zipkin-url or -debug.addr", bin)
	}
	s := step{name: "go-kit-addsvc", dir: filepath.Dir(bin), example: true}
	return []plan{
		{step: s, bin: bin, flags: flags, variant: variant{}, transport: "HTTP"},
		{step: s, bin: bin, flags: flags, variant: variant{name: "to a collector", collector: true}, transport: "HTTP"},
	}, nil
}

// startExample starts go-kit's addsvc example with args, on free loopback
// ports for each listener it has, and returns once its HTTP port accepts
// connections. It logs no address; the ports are picked here, then closed
// and given to it, so another process may take one in between: it tries
// again, on other ports, when one was taken.
func startExample(ctx context.Context, bin string, flags helpFlags, args []string, logPath, cores string) (*service, error) {
	for try := 1; ; try++ {
		ports, httpAddr, err := exampleAddrs(flags)
		if err != nil {
			return nil, err
		}
		svc, err := startService(ctx, bin, append(ports, args...), logPath, cores, accepting(httpAddr))
		var early *exitedEarly
		if err == nil || try == 3 || !errors.As(err, &early) || !bytes.Contains(early.logged, []byte("address already in use")) {
			return svc, err
		}
	}
}

// exampleAddrs returns the example's listener flags with free loopback
// ports, and the HTTP address.
func exampleAddrs(flags helpFlags) (args []string, httpAddr string, err error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for _, name := range exampleListeners {
		if !flags.has(name) {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", fmt.Errorf("a free port for go-kit's addsvc: %w", err)
		}
		lns = append(lns, ln)
		args = append(args, "-"+name, ln.Addr().String())
		if name == "http-addr" {
			httpAddr = ln.Addr().String()
		}
	}
	return args, httpAddr, nil
}
