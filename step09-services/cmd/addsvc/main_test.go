package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-kit/kit/metrics/discard"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/pb"

	"github.com/gokit-workshop/workshop/step09-services/svckit"
)

func TestRunServesUntilItsContextEnds(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)

	status, body := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"v":3}`, body)

	conn := dialGRPC(t, r.grpcAddr)
	reply, err := pb.NewAddClient(conn).Concat(context.Background(), &pb.ConcatRequest{A: "go", B: "kit"})
	require.NoError(t, err)
	assert.Equal(t, "gokit", reply.V)

	// Reflection is on, so that tools such as grpcurl can list the methods.
	services, err := listServices(conn)
	require.NoError(t, err)
	assert.Contains(t, services, "addsvc.Add")

	status, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, metrics, "\naddsvc_integers_summed_total 2\n")
	assert.Contains(t, metrics, "\naddsvc_characters_concatenated_total 5\n")
	assert.Contains(t, metrics, `addsvc_request_duration_seconds_count{method="Sum",success="true"} 1`)
	assert.Contains(t, metrics, `addsvc_request_duration_seconds_count{method="Concat",success="true"} 1`)
	assert.Contains(t, metrics, `go_goroutines`)

	require.NoError(t, r.stop(t)) // and the log is written out
	assert.Regexp(t, `(?m)^ts=\S+ caller=\S+ layer=service method=Sum a=1 b=2 v=3 err=null took=\S+$`, r.log.String())
	assert.Regexp(t, `(?m)^ts=\S+ caller=\S+ layer=endpoint method=Concat err=null took=\S+$`, r.log.String())
	// With no collector, the spans are in the log: for the Sum over HTTP,
	// the transport's and the endpoint's; for the Concat over gRPC, the same.
	spans := map[string]model.SpanModel{}
	for _, sp := range loggedSpans(t, r.log.String()) {
		spans[sp.Name] = sp
	}
	require.Contains(t, spans, "post /sum", "spans: %v", spans) // Zipkin's names are lower case
	require.Contains(t, spans, "sum")
	assert.Equal(t, model.Server, spans["post /sum"].Kind)
	assert.Equal(t, spans["post /sum"].TraceID, spans["sum"].TraceID)
	require.NotNil(t, spans["sum"].ParentID)
	assert.Equal(t, spans["post /sum"].ID, *spans["sum"].ParentID)
	require.Contains(t, spans, "/addsvc.add/concat")
	assert.Equal(t, model.Server, spans["/addsvc.add/concat"].Kind)
	assert.Contains(t, r.log.String(), "shutting down")
	assert.Contains(t, r.log.String(), "stopped")
	for _, a := range []string{r.addr, r.grpcAddr} {
		_, err = net.DialTimeout("tcp", a, time.Second)
		assert.Error(t, err, "%s is still open after run returned", a)
	}
}

// listServices lists the services of a gRPC server through its reflection.
func listServices(conn *grpc.ClientConn) ([]string, error) {
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		return nil, err
	}
	defer stream.CloseSend()
	err = stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	})
	if err != nil {
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names, nil
}

// blockingService holds every call until release is closed, and says on
// entered when a call has arrived.
type blockingService struct {
	entered chan struct{}
	release chan struct{}
}

func (s blockingService) Sum(_ context.Context, a, b int) (int, error) {
	s.entered <- struct{}{}
	<-s.release
	return a + b, nil
}

func (s blockingService) Concat(_ context.Context, a, b string) (string, error) {
	s.entered <- struct{}{}
	<-s.release
	return a + b, nil
}

func TestServeFinishesTheRequestsInFlight(t *testing.T) {
	const perTransport = 3
	svc := blockingService{entered: make(chan struct{}, 2*perTransport), release: make(chan struct{})}
	tracer, err := zipkin.NewTracer(reporter.NewNoopReporter())
	require.NoError(t, err)
	endpoints := addendpoint.New(svc, log.NewNopLogger(), discard.NewHistogram(), tracer, addendpoint.Limits{Rate: rate.Inf})
	m := newMetrics()
	httpServer := newHTTPServer(endpoints, m, tracer, log.NewNopLogger(), testLimits)
	grpcServer := newGRPCServer(endpoints, m, tracer, log.NewNopLogger(), testLimits)
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	grpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)

	// Cancelling ctx stops serve as SIGTERM does (TestMainStopsOnSIGTERM).
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- svckit.Serve(ctx, log.NewNopLogger(), httpServer, httpLn, grpcServer, grpcLn, shutdownTimeout)
	}()

	conn, err := grpc.NewClient(grpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	answers := make(chan string, 2*perTransport)
	for range perTransport {
		go func() {
			resp, err := http.Post("http://"+httpLn.Addr().String()+"/sum", "application/json", strings.NewReader(`{"a":1,"b":2}`))
			if err != nil {
				answers <- err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers <- strings.TrimSpace(string(b))
		}()
		go func() {
			reply, err := pb.NewAddClient(conn).Concat(context.Background(), &pb.ConcatRequest{A: "a", B: "b"})
			if err != nil {
				answers <- err.Error()
				return
			}
			answers <- reply.V
		}()
	}
	for range 2 * perTransport {
		select {
		case <-svc.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the requests did not reach the service")
		}
	}

	stop()
	// Both listeners close at once; the requests in flight are still held.
	for _, addr := range []string{httpLn.Addr().String(), grpcLn.Addr().String()} {
		require.Eventually(t, func() bool {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return true
			}
			c.Close()
			return false
		}, 10*time.Second, 10*time.Millisecond, "%s still accepts connections", addr)
	}
	select {
	case err := <-served:
		t.Fatalf("serve returned before the requests in flight were answered: %v", err)
	default:
	}

	close(svc.release)
	var got []string
	for range 2 * perTransport {
		got = append(got, <-answers)
	}
	assert.ElementsMatch(t, []string{`{"v":3}`, `{"v":3}`, `{"v":3}`, "ab", "ab", "ab"}, got)
	require.NoError(t, <-served)
}

func TestServeCutsOffWhatIsStillInFlightAfterItsTimeout(t *testing.T) {
	svc := blockingService{entered: make(chan struct{}, 2), release: make(chan struct{})}
	defer close(svc.release) // the service's calls end with the test
	tracer, err := zipkin.NewTracer(reporter.NewNoopReporter())
	require.NoError(t, err)
	endpoints := addendpoint.New(svc, log.NewNopLogger(), discard.NewHistogram(), tracer, addendpoint.Limits{Rate: rate.Inf})
	m := newMetrics()
	httpServer := newHTTPServer(endpoints, m, tracer, log.NewNopLogger(), testLimits)
	grpcServer := newGRPCServer(endpoints, m, tracer, log.NewNopLogger(), testLimits)
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	grpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- svckit.Serve(ctx, log.NewNopLogger(), httpServer, httpLn, grpcServer, grpcLn, 200*time.Millisecond)
	}()

	answers := make(chan error, 2)
	go func() {
		resp, err := http.Post("http://"+httpLn.Addr().String()+"/sum", "application/json", strings.NewReader(`{"a":1,"b":2}`))
		if err == nil {
			resp.Body.Close()
		}
		answers <- err
	}()
	conn := dialGRPC(t, grpcLn.Addr().String())
	go func() {
		_, err := pb.NewAddClient(conn).Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
		answers <- err
	}()
	for range 2 {
		<-svc.entered
	}

	// Calls that never end hold the shutdown no longer than its timeout.
	begin := time.Now()
	stop()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return within 5s of its context's end")
	}
	assert.Less(t, time.Since(begin), time.Second)
	for range 2 {
		assert.Error(t, <-answers, "the call was cut off")
	}
}

func TestRunRateLimitFlags(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-rate-limit", "0.001", "-rate-burst", "2")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	var codes []int
	for range 3 {
		status, _ := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
		codes = append(codes, status)
	}
	assert.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests}, codes)
	require.NoError(t, r.stop(t))
}

func TestRunRefusesRateLimitsThatRefuseEverything(t *testing.T) {
	for _, args := range [][]string{{"-rate-limit", "0"}, {"-rate-limit", "-1"}, {"-rate-limit", "NaN"}, {"-rate-burst", "0"}} {
		r := startRun(t, args...)
		err := r.stop(t)
		require.Error(t, err, "%v", args)
		assert.Contains(t, err.Error(), "-rate-limit must be above 0 and -rate-burst at least 1", "%v", args)
		assert.Equal(t, 1, exitCode(err, &logBuffer{}), "%v", args)
	}
}

func TestRunFailsClearlyOnATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	r := startRun(t, "-http-addr", ln.Addr().String())
	assert.Empty(t, r.addr)
	err = r.stop(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listen on "+ln.Addr().String())
	assert.Contains(t, err.Error(), "address already in use")
	assert.Equal(t, 1, exitCode(err, &logBuffer{}))
}

func TestRunRefusesBadCommandLines(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantLog string // said exactly once
	}{
		{"an argument", []string{"9000"}, `addsvc: unexpected arguments ["9000"]: every setting is a flag`},
		{"an unknown flag", []string{"-no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{"a flag without its value", []string{"-http-addr"}, "flag needs an argument: -http-addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRun(t, tt.args...)
			err := r.stop(t)
			assert.ErrorIs(t, err, errUsage)
			assert.Equal(t, 2, exitCode(err, &logBuffer{}))
			assert.Equal(t, 1, strings.Count(r.log.String(), tt.wantLog), "said once:\n%s", r.log)
			assert.Contains(t, r.log.String(), "-http-addr", "the usage follows")
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		want       int
		wantStderr string
	}{
		{"success", nil, 0, ""},
		{"-h", flag.ErrHelp, 0, ""},
		{"a refused command line, already explained", errUsage, 2, ""},
		{"any other error", errors.New("listen on x: boom"), 1, "addsvc: listen on x: boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr logBuffer
			assert.Equal(t, tt.want, exitCode(tt.err, &stderr))
			assert.Equal(t, tt.wantStderr, stderr.String())
		})
	}
}

// TestMainStopsOnSIGTERM is the one test of the real process: a signal, not
// a cancelled context, ends it, and it exits with 0.
func TestMainStopsOnSIGTERM(t *testing.T) {
	cmd, log := startMain(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0")
	require.Eventually(t, func() bool { return listening.MatchString(log.String()) },
		10*time.Second, 10*time.Millisecond, "it did not listen; its log:\n%s", log)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "exit status; its log:\n%s", log)
	case <-time.After(15 * time.Second):
		t.Fatalf("it did not exit within 15s of SIGTERM; its log:\n%s", log)
	}
	assert.Contains(t, log.String(), "stopped")
}

func TestRunSendsSpansToTheZipkinURL(t *testing.T) {
	// A stand-in for a Zipkin collector, which keeps the spans it is sent.
	var mu sync.Mutex
	var spans []map[string]any
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var batch []map[string]any
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/spans" || json.NewDecoder(r.Body).Decode(&batch) != nil {
			http.Error(w, "bad span upload", http.StatusBadRequest)
			return
		}
		mu.Lock()
		spans = append(spans, batch...)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer collector.Close()

	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-zipkin-url", collector.URL+"/api/v2/spans")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	req, err := http.NewRequest(http.MethodPost, "http://"+r.addr+"/sum", strings.NewReader(`{"a":0,"b":0}`))
	require.NoError(t, err)
	// The caller's trace, in B3 headers, is continued by the service.
	req.Header.Set("X-B3-TraceId", "463ac35c9f6413ad")
	req.Header.Set("X-B3-SpanId", "72485a3953bb6124")
	req.Header.Set("X-B3-Sampled", "1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// The reporter sends what is left when the service stops.
	require.NoError(t, r.stop(t), "log:\n%s", r.log)
	assert.Empty(t, loggedSpans(t, r.log.String()), "spans went to the collector, not the log")

	mu.Lock()
	defer mu.Unlock()
	byName := map[string]map[string]any{}
	for _, s := range spans {
		byName[s["name"].(string)] = s
	}
	require.Contains(t, byName, "post /sum", "spans: %v", spans) // Zipkin lowercases names
	require.Contains(t, byName, "sum")
	server, endpoint := byName["post /sum"], byName["sum"]
	assert.Equal(t, "463ac35c9f6413ad", server["traceId"])
	assert.Equal(t, "72485a3953bb6124", server["parentId"])
	assert.Equal(t, "SERVER", server["kind"])
	assert.Equal(t, "463ac35c9f6413ad", endpoint["traceId"])
	assert.Equal(t, server["id"], endpoint["parentId"])
	assert.Equal(t, "addsvc", endpoint["localEndpoint"].(map[string]any)["serviceName"])
	assert.Equal(t, "can't sum two zeroes", endpoint["tags"].(map[string]any)["error"])
}

func TestRunRefusesABadZipkinURL(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-zipkin-url", "localhost:9411")
	assert.Empty(t, r.addr)
	err := r.stop(t)
	assert.EqualError(t, err, `-zipkin-url "localhost:9411": want http://host:port/api/v2/spans`)
	assert.Equal(t, 1, exitCode(err, &logBuffer{}))
}
