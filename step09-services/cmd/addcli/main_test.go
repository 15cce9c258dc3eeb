package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/kit/metrics/discard"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
	"github.com/gokit-workshop/workshop/step09-services/pb"
)

// brokenService fails every call as a system would, not as a rule does.
type brokenService struct{}

func (brokenService) Sum(context.Context, int, int) (int, error) {
	return 0, errors.New("database unreachable")
}

func (brokenService) Concat(context.Context, string, string) (string, error) {
	return "", errors.New("database unreachable")
}

// serve serves svc over HTTP and gRPC on loopback, as addsvc does, and
// returns both addresses.
func serve(t *testing.T, svc addservice.Service) (httpAddr, grpcAddr string) {
	t.Helper()
	tracer, err := zipkin.NewTracer(reporter.NewNoopReporter())
	require.NoError(t, err)
	endpoints := addendpoint.New(svc, log.NewNopLogger(), discard.NewHistogram(), tracer, addendpoint.Limits{Rate: rate.Inf})
	httpServer := httptest.NewServer(addtransport.NewHTTPHandler(endpoints, tracer, log.NewNopLogger()))
	t.Cleanup(httpServer.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	grpcServer := grpc.NewServer()
	pb.RegisterAddServer(grpcServer, addtransport.NewGRPCServer(endpoints, tracer, log.NewNopLogger()))
	go grpcServer.Serve(ln)
	t.Cleanup(grpcServer.Stop)
	return strings.TrimPrefix(httpServer.URL, "http://"), ln.Addr().String()
}

func TestCLI(t *testing.T) {
	httpAddr, grpcAddr := serve(t, addservice.NewBasicService())
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string // a part of it
	}{
		{"sum", []string{"sum", "1", "2"}, exitOK, "3\n", ""},
		{"sum of negatives", []string{"sum", "-1", "-2"}, exitOK, "-3\n", ""},
		{"concat", []string{"concat", "a", "b"}, exitOK, "ab\n", ""},
		{"concat non-ASCII", []string{"concat", "Grüß", "世"}, exitOK, "Grüß世\n", ""},
		{"concat empty", []string{"concat", "", ""}, exitOK, "\n", ""},
		{"two zeroes", []string{"sum", "0", "0"}, exitError, "", "addcli: can't sum two zeroes\n"},
		{"overflow", []string{"sum", "2147483647", "1"}, exitError, "", "addcli: integer overflow\n"},
		{"too long", []string{"concat", "ééééé", "a"}, exitError, "", "addcli: result exceeds maximum size\n"},
		{"not a number", []string{"sum", "1", "two"}, exitUsage, "", `sum takes integers: "two"`},
		{"a fraction", []string{"sum", "1.5", "2"}, exitUsage, "", `sum takes integers: "1.5"`},
		{"too large for an int", []string{"sum", "99999999999999999999", "1"}, exitUsage, "", `"99999999999999999999" is out of range: sum takes integers of 64 bits`},
		{"too small for an int", []string{"sum", "1", "-99999999999999999999"}, exitUsage, "", `"-99999999999999999999" is out of range`},
		{"a flag after the method", []string{"sum", "1", "2", "-timeout", "1s"}, exitUsage, "", `flags go before the method: put -timeout before "sum"`},
		{"a flag among the arguments", []string{"concat", "--timeout=1s", "a", "b"}, exitUsage, "", `flags go before the method: put -timeout before "concat"`},
		{"unknown method", []string{"multiply", "2", "3"}, exitUsage, "", `unknown method "multiply"`},
		{"too few arguments", []string{"sum", "1"}, exitUsage, "", "want a method and two arguments, got 2"},
		{"no arguments", nil, exitUsage, "", "usage: addcli"},
		{"too many arguments", []string{"sum", "1", "2", "3"}, exitUsage, "", "got 4 arguments"},
	}
	for _, transport := range []struct{ name, flag, addr string }{
		{"HTTP", "-http-addr", httpAddr},
		{"gRPC", "-grpc-addr", grpcAddr},
	} {
		for _, tt := range tests {
			t.Run(transport.name+" "+tt.name, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				args := append([]string{transport.flag, transport.addr}, tt.args...)
				code := run(args, &stdout, &stderr)
				assert.Equal(t, tt.wantCode, code, "stderr: %s", stderr.String())
				assert.Equal(t, tt.wantStdout, stdout.String())
				if tt.wantStderr == "" {
					assert.Empty(t, stderr.String())
				} else {
					assert.Contains(t, stderr.String(), tt.wantStderr)
				}
				if tt.wantCode == exitUsage {
					assert.Contains(t, stderr.String(), "usage: addcli")
				}
			})
		}
	}
}

func TestCLIServerErrors(t *testing.T) {
	httpAddr, grpcAddr := serve(t, brokenService{})
	for _, args := range [][]string{{"-http-addr", httpAddr}, {"-grpc-addr", grpcAddr}} {
		var stdout, stderr bytes.Buffer
		code := run(append(args, "sum", "1", "2"), &stdout, &stderr)
		assert.Equal(t, exitError, code)
		assert.Empty(t, stdout.String())
		assert.Contains(t, stderr.String(), "database unreachable")
	}
}

func TestCLIFlags(t *testing.T) {
	t.Run("both transports", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run([]string{"-http-addr", "127.0.0.1:1", "-grpc-addr", "127.0.0.1:2", "sum", "1", "2"}, &stdout, &stderr)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr.String(), "give -http-addr or -grpc-addr, not both")
	})
	t.Run("unknown flag", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitUsage, run([]string{"-verbose", "sum", "1", "2"}, &stdout, &stderr))
		assert.Contains(t, stderr.String(), "flag provided but not defined: -verbose")
	})
	t.Run("bad zipkin URL", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitUsage, run([]string{"-zipkin-url", "localhost:9411", "sum", "1", "2"}, &stdout, &stderr))
		assert.Contains(t, stderr.String(), "want http://host:port/api/v2/spans")
	})
	t.Run("help", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitOK, run([]string{"-h"}, &stdout, &stderr))
		assert.Contains(t, stderr.String(), "usage: addcli")
	})
	t.Run("the other transport's port", func(t *testing.T) {
		httpAddr, grpcAddr := serve(t, addservice.NewBasicService())
		for _, tt := range []struct{ flag, addr, want string }{
			{"-http-addr", grpcAddr, "this address answers gRPC, not HTTP: give it with -grpc-addr"},
			{"-grpc-addr", httpAddr, "this address answers HTTP, not gRPC: give it with -http-addr"},
		} {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, exitError, run([]string{tt.flag, tt.addr, "sum", "1", "2"}, &stdout, &stderr), tt.flag)
			assert.Contains(t, stderr.String(), tt.want, tt.flag)
		}
	})
	t.Run("a timeout that is not above 0", func(t *testing.T) {
		for _, timeout := range []string{"0", "-1s"} {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, exitUsage, run([]string{"-timeout", timeout, "sum", "1", "2"}, &stdout, &stderr), timeout)
			assert.Contains(t, stderr.String(), "-timeout must be above 0", timeout)
			assert.Contains(t, stderr.String(), "usage: addcli", timeout)
		}
	})
	t.Run("an http URL", func(t *testing.T) {
		httpAddr, _ := serve(t, addservice.NewBasicService())
		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitOK, run([]string{"-http-addr", "http://" + httpAddr, "sum", "1", "2"}, &stdout, &stderr), stderr.String())
		assert.Equal(t, "3\n", stdout.String())
	})
	t.Run("nothing listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		for _, flag := range []string{"-http-addr", "-grpc-addr"} {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, exitError, run([]string{flag, addr, "sum", "1", "2"}, &stdout, &stderr), flag)
			assert.Contains(t, stderr.String(), "connection refused", flag)
		}
	})
}

// hostileService fails every call with a message that clears a terminal,
// and goes on for 10 KB.
type hostileService struct{}

const hostileMessage = "\x1b[2J\x1b[H\x1b]0;owned\x07"

func (hostileService) Sum(context.Context, int, int) (int, error) {
	return 0, errors.New(hostileMessage + strings.Repeat("x", 10<<10))
}

func (hostileService) Concat(context.Context, string, string) (string, error) {
	return "", errors.New(hostileMessage + strings.Repeat("x", 10<<10))
}

// TestCLIPrintsTheServersTextEscapedAndShort: a server's error message is
// printed escaped, so that it cannot drive the terminal, and cut.
func TestCLIPrintsTheServersTextEscapedAndShort(t *testing.T) {
	httpAddr, grpcAddr := serve(t, hostileService{})
	for _, args := range [][]string{{"-http-addr", httpAddr}, {"-grpc-addr", grpcAddr}} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitError, run(append(args, "sum", "1", "2"), &stdout, &stderr), args[0])
		assert.NotContains(t, stderr.String(), "\x1b", args[0])
		assert.NotContains(t, stderr.String(), "\x07", args[0])
		assert.Contains(t, stderr.String(), `\x1b[2J\x1b[H\x1b]0;owned\axxx`, args[0])
		assert.Less(t, stderr.Len(), 1024, "%s: %.200s", args[0], stderr.String())
		assert.Contains(t, stderr.String(), "bytes)", args[0])
	}
}

// TestCLITimeoutHolds: a call to a server that never answers ends at
// -timeout, over either transport.
func TestCLITimeoutHolds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, flag := range []string{"-http-addr", "-grpc-addr"} {
		var stdout, stderr bytes.Buffer
		begin := time.Now()
		assert.Equal(t, exitError, run([]string{flag, ln.Addr().String(), "-timeout", "300ms", "sum", "1", "2"}, &stdout, &stderr), flag)
		assert.Less(t, time.Since(begin), 900*time.Millisecond, "%s: %s", flag, &stderr)
		assert.Contains(t, stderr.String(), "deadline exceeded", flag)
	}
}
