package docscheck

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// The addresses that the READMEs show: the services' defaults.
const (
	defaultHTTPPort = "8080"
	defaultGRPCPort = "8081"
)

// Addrs are where the service listens during a check, on free ports, in
// place of the defaults that the READMEs show (127.0.0.1:8080 for HTTP,
// 127.0.0.1:8081 for gRPC), so that the check runs beside a service that
// has those.
//
// Commands are rewritten before they run: localhost:8080 and
// 127.0.0.1:8080 name the HTTP address, and the same with 8081 the gRPC
// address. go run ./cmd/addcli with neither -http-addr nor -grpc-addr,
// which calls the default address, gets -http-addr. Their output is
// rewritten back before it is compared, so that the README shows the
// defaults, as a reader sees them.
type Addrs struct {
	HTTP string // host:port
	GRPC string // host:port, or "" if the service has no gRPC
}

var (
	readmeAddr = regexp.MustCompile(`\b(localhost|127\.0\.0\.1):(` + defaultHTTPPort + `|` + defaultGRPCPort + `)\b`)
	addcliRun  = regexp.MustCompile(`(\./cmd/addcli)(\s|$)`)
)

// Command returns a README's command as it must run against a.
func (a Addrs) Command(cmd string) string {
	cmd = readmeAddr.ReplaceAllStringFunc(cmd, func(m string) string {
		host, port, _ := strings.Cut(m, ":")
		switch {
		case port == defaultHTTPPort:
			return host + ":" + a.port(a.HTTP)
		case a.GRPC != "":
			return host + ":" + a.port(a.GRPC)
		}
		return m
	})
	if !strings.Contains(cmd, "-http-addr") && !strings.Contains(cmd, "-grpc-addr") {
		if loc := addcliRun.FindStringSubmatchIndex(cmd); loc != nil {
			cmd = cmd[:loc[3]] + " -http-addr " + a.HTTP + cmd[loc[3]:]
		}
	}
	return cmd
}

// Flags returns a restart's flags as they must be given to the service.
func (a Addrs) Flags(flags []string) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = a.Command(f)
	}
	return out
}

// Output returns a command's output with a's addresses written as the
// README shows them.
func (a Addrs) Output(out string) string {
	ports := []string{regexp.QuoteMeta(a.port(a.HTTP))}
	if a.GRPC != "" {
		ports = append(ports, regexp.QuoteMeta(a.port(a.GRPC)))
	}
	re := regexp.MustCompile(`\b(localhost|127\.0\.0\.1):(` + strings.Join(ports, "|") + `)\b`)
	return re.ReplaceAllStringFunc(out, func(m string) string {
		host, port, _ := strings.Cut(m, ":")
		if port == a.port(a.HTTP) {
			return host + ":" + defaultHTTPPort
		}
		return host + ":" + defaultGRPCPort
	})
}

func (a Addrs) port(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// freeAddr returns a loopback address with a TCP port that is free now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	return addr, nil
}
