package addtransport_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/kit/metrics/discard"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/openzipkin/zipkin-go/reporter/recorder"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
)

// response is what a test reads back from one HTTP call.
type response struct {
	status      int
	contentType string
	body        string
}

// post sends body to url with POST and reads the whole answer.
func post(t *testing.T, url, body string) response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// roomy limits are never reached by a test that does not mean to.
var roomy = addendpoint.Limits{Rate: rate.Inf}

// newHandler returns the HTTP transport over the endpoints of svc.
func newHandler(t *testing.T, svc addservice.Service, limits addendpoint.Limits) http.Handler {
	t.Helper()
	tracer := nopTracer(t)
	return addtransport.NewHTTPHandler(addendpoint.New(svc, log.NewNopLogger(), discard.NewHistogram(), tracer, limits), tracer, log.NewNopLogger())
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newHandler(t, addservice.NewBasicService(), roomy))
	t.Cleanup(srv.Close)
	return srv
}

// errorMessage returns the message of a JSON error body {"error":"…"}.
func errorMessage(t *testing.T, got response) string {
	t.Helper()
	assert.Equal(t, "application/json; charset=utf-8", got.contentType)
	var body struct {
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(got.body), &body), "body %q", got.body)
	return body.Error
}

// servers serves the endpoints of svc over real HTTP and real gRPC on
// loopback, and returns both addresses. The gRPC server has opts.
func servers(t *testing.T, svc addservice.Service, limits addendpoint.Limits, opts ...grpc.ServerOption) (httpAddr, grpcAddr string) {
	t.Helper()
	return tracedServers(t, svc, limits, nopTracer(t), opts...)
}

// tracedServers is servers with tracer.
func tracedServers(t *testing.T, svc addservice.Service, limits addendpoint.Limits, tracer *zipkin.Tracer, opts ...grpc.ServerOption) (httpAddr, grpcAddr string) {
	t.Helper()
	endpoints := addendpoint.New(svc, log.NewNopLogger(), discard.NewHistogram(), tracer, limits)

	httpServer := httptest.NewServer(addtransport.NewHTTPHandler(endpoints, tracer, log.NewNopLogger()))
	t.Cleanup(httpServer.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	grpcServer := grpc.NewServer(append(opts, grpc.ChainUnaryInterceptor(grpctransport.Interceptor))...)
	addtransport.RegisterGRPCServer(grpcServer, addtransport.NewGRPCServer(endpoints, tracer, log.NewNopLogger()))
	served := make(chan struct{})
	go func() {
		defer close(served)
		grpcServer.Serve(ln)
	}()
	t.Cleanup(func() {
		grpcServer.Stop()
		<-served
	})

	return httpServer.URL, ln.Addr().String()
}

// dialGRPC returns a client connection to addr.
func dialGRPC(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// clients returns the service itself and the HTTP and gRPC clients of the
// same service served on loopback: three ways to call one Service.
func clients(t *testing.T, svc addservice.Service, limits addendpoint.Limits) map[string]addservice.Service {
	t.Helper()
	httpAddr, grpcAddr := servers(t, svc, limits)
	httpClient, err := addtransport.NewHTTPClient(httpAddr, nopTracer(t), roomy)
	require.NoError(t, err)
	return map[string]addservice.Service{
		"direct": svc,
		"HTTP":   httpClient,
		"gRPC":   addtransport.NewGRPCClient(dialGRPC(t, grpcAddr), nopTracer(t), roomy),
	}
}

// stubService answers every call with the same values, and remembers the
// context it was given.
type stubService struct {
	sum    int
	concat string
	err    error
	ctx    context.Context
}

func (s *stubService) Sum(ctx context.Context, _, _ int) (int, error) {
	s.ctx = ctx
	return s.sum, s.err
}

func (s *stubService) Concat(ctx context.Context, _, _ string) (string, error) {
	s.ctx = ctx
	return s.concat, s.err
}

// errDatabase stands for any failure that is not a broken business rule.
var errDatabase = errors.New("database unreachable")

// sequenceService answers its calls with the errors in errs, in turn: the
// sum 3 (or the string "xy") when the error is nil.
type sequenceService struct {
	mu   sync.Mutex
	errs []error
}

func (s *sequenceService) next() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

func (s *sequenceService) Sum(context.Context, int, int) (int, error) {
	if err := s.next(); err != nil {
		return 0, err
	}
	return 3, nil
}

func (s *sequenceService) Concat(context.Context, string, string) (string, error) {
	if err := s.next(); err != nil {
		return "", err
	}
	return "xy", nil
}

// sumCases and concatCases are answers and broken rules of the service, a
// few of each: enough to see that they cross a transport intact.
var sumCases = []struct {
	name    string
	a, b    int
	want    int
	wantErr error
}{
	{"small", 1, 2, 3, nil},
	{"negatives", -7, -8, -15, nil},
	{"largest", 1<<31 - 1, 0, 1<<31 - 1, nil},
	{"two zeroes", 0, 0, 0, addservice.ErrTwoZeroes},
	{"overflow", 1<<31 - 1, 1, 0, addservice.ErrIntOverflow},
	{"underflow", -(1 << 31), -1, 0, addservice.ErrIntOverflow},
}

var concatCases = []struct {
	name    string
	a, b    string
	want    string
	wantErr error
}{
	{"small", "x", "y", "xy", nil},
	{"10 bytes", "hello", "world", "helloworld", nil},
	{"non-ASCII", "Grüß", "世", "Grüß世", nil},
	{"11 bytes", "hello", "world!", "", addservice.ErrMaxSizeExceeded},
	{"11 bytes, 6 characters", "ééééé", "a", "", addservice.ErrMaxSizeExceeded},
}

// nopTracer returns a tracer whose spans go nowhere.
func nopTracer(t *testing.T) *zipkin.Tracer {
	t.Helper()
	tracer, err := zipkin.NewTracer(reporter.NewNoopReporter())
	require.NoError(t, err)
	return tracer
}

// recordingTracer returns a tracer set up as the service's (every call
// sampled, servers' spans their own), with its spans kept in memory.
func recordingTracer(t *testing.T, name string) (*zipkin.Tracer, *recorder.ReporterRecorder) {
	t.Helper()
	rec := recorder.NewReporter()
	local, err := zipkin.NewEndpoint(name, "")
	require.NoError(t, err)
	tracer, err := zipkin.NewTracer(rec, zipkin.WithLocalEndpoint(local),
		zipkin.WithSampler(zipkin.AlwaysSample), zipkin.WithSharedSpans(false))
	require.NoError(t, err)
	return tracer, rec
}

// waitForSpans returns the n spans that rec has recorded, waiting for them:
// a server finishes its spans after it has answered.
func waitForSpans(t *testing.T, rec *recorder.ReporterRecorder, n int) map[string]model.SpanModel {
	t.Helper()
	var spans []model.SpanModel
	require.Eventually(t, func() bool {
		spans = append(spans, rec.Flush()...)
		return len(spans) >= n
	}, 10*time.Second, 5*time.Millisecond, "want %d spans", n)
	require.Len(t, spans, n)
	byName := map[string]model.SpanModel{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	require.Len(t, byName, n, "span names: %v", byName)
	return byName
}

// inside tells whether span inner starts and ends within span outer.
func inside(inner, outer model.SpanModel) bool {
	return !inner.Timestamp.Before(outer.Timestamp) &&
		!inner.Timestamp.Add(inner.Duration).After(outer.Timestamp.Add(outer.Duration))
}
