package load

import (
	"strings"
	"testing"
)

// step8Help is a -h as the flag package prints it (step 8's, trimmed).
const step8Help = `Usage of addsvc:
  -grpc-addr string
    	gRPC listen address (default "127.0.0.1:8081")
  -grpc-max-calls int
    	gRPC calls allowed in flight in all; over it, a new call takes the room of a call still waiting for its request, or streaming, of the host that holds the most (default 256)
  -grpc-max-streams int
    	gRPC calls allowed in flight per connection; more are refused (default 100)
  -http-addr string
    	HTTP listen address (default "127.0.0.1:8080")
  -idle-timeout duration
    	close a connection idle for this long (default 1m0s)
  -max-conns int
    	open connections allowed per listener; a new one closes the quietest; 0 means 256, or fewer if the open-file limit is low
  -rate-burst int
    	requests allowed at once per endpoint, above the average rate (default 100)
  -rate-limit float
    	requests a second allowed per endpoint, on average (default 100)
  -zipkin-sample-rate float
    	share of new traces recorded, 0 to 1; a call that carries its caller's decision follows it (default 1)
  -zipkin-url string
    	send spans to this Zipkin collector, e.g. http://127.0.0.1:9411/api/v2/spans (default: write them to the log)
`

// exampleHelp is go-kit's addsvc example's -h (trimmed), one line a flag.
const exampleHelp = `USAGE
  ./addsvc [flags]

FLAGS
  -appdash-addr            Enable Appdash tracing via an Appdash server host:port
  -debug.addr :8080        Debug and metrics listen address
  -grpc-addr :8082         gRPC listen address
  -http-addr :8081         HTTP listen address
  -jsonrpc-addr :8084      JSON RPC listen address
  -thrift-addr :8083       Thrift listen address
  -zipkin-url              Enable Zipkin tracing via HTTP reporter URL e.g. http://localhost:9411/api/v2/spans
`

func TestParseHelp(t *testing.T) {
	got := parseHelp(step8Help)
	want := helpFlags{"grpc-addr": "127.0.0.1:8081", "grpc-max-calls": "256", "grpc-max-streams": "100",
		"http-addr": "127.0.0.1:8080", "idle-timeout": "1m0s", "max-conns": "", "rate-burst": "100",
		"rate-limit": "100", "zipkin-sample-rate": "1", "zipkin-url": ""}
	if len(got) != len(want) {
		t.Errorf("step 8: %v; want %v", got, want)
	}
	for name, def := range want {
		if d, ok := got[name]; !ok || d != def {
			t.Errorf("step 8: -%s: %q (listed: %v); want %q", name, d, ok, def)
		}
	}
	ex := parseHelp(exampleHelp)
	for _, name := range []string{"appdash-addr", "debug.addr", "grpc-addr", "http-addr", "jsonrpc-addr", "thrift-addr", "zipkin-url"} {
		if !ex.has(name) {
			t.Errorf("the example: no -%s in %v", name, ex)
		}
	}
	if len(ex) != 7 {
		t.Errorf("the example: %v; want 7 flags", ex)
	}
}

func TestLiftedLimits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags helpFlags
		want  string
	}{
		{"step 1", helpFlags{"http-addr": "127.0.0.1:8080"}, ""},
		{"step 5", helpFlags{"http-addr": "", "rate-limit": "100", "rate-burst": "100"}, "-rate-limit 1e9 -rate-burst 1000000000"},
		// Its defaults serve 32 connections: only the rates are lifted.
		{"step 8", parseHelp(step8Help), "-rate-limit 1e9 -rate-burst 1000000000"},
		// Defaults below the load are lifted, with room to spare.
		{"tight", helpFlags{"grpc-max-calls": "16", "grpc-max-streams": "4", "max-conns": "10"},
			"-grpc-max-calls 128 -grpc-max-streams 32 -max-conns 128"},
		// Exactly enough is enough; 0 or none is the step's own choice.
		{"just enough", helpFlags{"grpc-max-calls": "32", "grpc-max-streams": "8", "max-conns": "0"}, ""},
	} {
		if got := strings.Join(liftedLimits(tc.flags, 32), " "); got != tc.want {
			t.Errorf("%s: %q; want %q", tc.name, got, tc.want)
		}
	}
}

func TestExampleAddrs(t *testing.T) {
	args, httpAddr, err := exampleAddrs(parseHelp(exampleHelp))
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 2*len(exampleListeners) {
		t.Fatalf("%q: want a port for each of %v", args, exampleListeners)
	}
	seen := map[string]bool{}
	for i := 0; i < len(args); i += 2 {
		if !strings.HasPrefix(args[i+1], "127.0.0.1:") || seen[args[i+1]] {
			t.Errorf("%s %s: want a port of its own on loopback", args[i], args[i+1])
		}
		seen[args[i+1]] = true
		if args[i] == "-appdash-addr" {
			t.Errorf("%q: -appdash-addr is where it sends traces, not a listener", args)
		}
		if args[i] == "-http-addr" && args[i+1] != httpAddr {
			t.Errorf("-http-addr %s, but the HTTP address is %s", args[i+1], httpAddr)
		}
	}
	if p := (plan{step: step{num: 0, example: true}, transport: "HTTP"}); p.isBaseline() || p.step.label() != "go-kit addsvc" {
		t.Errorf("the example: baseline %v, label %q", p.isBaseline(), p.step.label())
	}
}
