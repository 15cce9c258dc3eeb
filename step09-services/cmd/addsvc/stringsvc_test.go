package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-kit/kit/metrics/discard"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter/recorder"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
	"github.com/gokit-workshop/workshop/step09-services/contract"
	"github.com/gokit-workshop/workshop/step09-services/stringendpoint"
	"github.com/gokit-workshop/workshop/step09-services/stringservice"
	"github.com/gokit-workshop/workshop/step09-services/stringtransport"
)

// TestConcatThroughTheContractStub runs addsvc with -stringsvc at a stub
// that answers what package contract says stringsvc answers: Concat's
// result comes back upper-cased, and an empty result is not sent.
func TestConcatThroughTheContractStub(t *testing.T) {
	stub := httptest.NewServer(contract.Stub(contract.Uppercase()))
	defer stub.Close()
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-stringsvc", stub.Listener.Addr().String())
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	for body, want := range map[string]string{
		`{"a":"go","b":"kit"}`:       `{"v":"GOKIT"}`,
		`{"a":"grüß","b":"dich"}`:    `{"v":"GRÜßDICH"}`,
		`{"a":"","b":""}`:            `{"v":""}`,
		`{"a":"hello","b":"world!"}`: `{"error":"result exceeds maximum size"}`,
	} {
		_, got := call(t, http.MethodPost, "http://"+r.addr+"/concat", body)
		assert.JSONEq(t, want, got, body)
	}
	_, got := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
	assert.JSONEq(t, `{"v":3}`, got, "Sum as in step 8")
	_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Contains(t, metrics, `addsvc_stringsvc_attempts_total{outcome="success",stringsvc="`+stub.Listener.Addr().String()+`"} 2`)
	require.NoError(t, r.stop(t))
}

func TestABadStringsvcFlag(t *testing.T) {
	err := run(context.Background(), []string{"-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-stringsvc", "nowhere"}, io.Discard)
	assert.ErrorContains(t, err, `-stringsvc "nowhere": want host:port,host:port or dnssrv:NAME`)
}

// spanCollector is a stand-in for a Zipkin collector that keeps the spans
// it is sent.
type spanCollector struct {
	mu    sync.Mutex
	spans []model.SpanModel
}

func (c *spanCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var spans []model.SpanModel
	if err := json.NewDecoder(r.Body).Decode(&spans); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.spans = append(c.spans, spans...)
	c.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// tracerFor returns a tracer for service that keeps its spans in memory.
func tracerFor(t *testing.T, service string) (*zipkin.Tracer, *recorder.ReporterRecorder) {
	t.Helper()
	rec := recorder.NewReporter()
	local, err := zipkin.NewEndpoint(service, "")
	require.NoError(t, err)
	tracer, err := zipkin.NewTracer(rec, zipkin.WithLocalEndpoint(local), zipkin.WithSampler(zipkin.AlwaysSample), zipkin.WithSharedSpans(false))
	require.NoError(t, err)
	return tracer, rec
}

// TestOneTraceThroughBothServices calls Concat as addcli does, over HTTP
// and over gRPC, of addsvc with -stringsvc, and checks that the spans of
// the three programs (addcli's and stringsvc's recorded, addsvc's at a
// stand-in collector) make one chain in one trace, each the child of the
// one before.
func TestOneTraceThroughBothServices(t *testing.T) {
	stringTracer, stringSpans := tracerFor(t, "stringsvc")
	endpoints := stringendpoint.New(stringservice.NewBasicService(), log.NewNopLogger(), discard.NewHistogram(), stringTracer,
		addendpoint.Limits{Rate: 1000, Burst: 1000})
	stringsvc := httptest.NewServer(stringtransport.NewHTTPHandler(endpoints, stringTracer, log.NewNopLogger()))
	defer stringsvc.Close()
	collector := &spanCollector{}
	coll := httptest.NewServer(collector)
	defer coll.Close()
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0",
		"-stringsvc", stringsvc.Listener.Addr().String(), "-zipkin-url", coll.URL+"/api/v2/spans")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)

	cliTracer, cliSpans := tracerFor(t, "addcli")
	limits := addendpoint.Limits{Rate: 100, Burst: 100}
	httpClient, err := addtransport.NewHTTPClient(r.addr, cliTracer, limits)
	require.NoError(t, err)
	clients := map[string]interface {
		Concat(context.Context, string, string) (string, error)
	}{"post /concat": httpClient, "/addsvc.add/concat": addtransport.NewGRPCClient(dialGRPC(t, r.grpcAddr), cliTracer, limits)}
	for _, c := range clients {
		v, err := c.Concat(context.Background(), "go", "kit")
		require.NoError(t, err)
		require.Equal(t, "GOKIT", v)
	}
	require.NoError(t, r.stop(t)) // sends addsvc's last spans

	spans := append(cliSpans.Flush(), stringSpans.Flush()...)
	spans = append(spans, collector.spans...)
	byID := map[model.ID]model.SpanModel{}
	for _, s := range spans {
		byID[s.ID] = s
	}
	for transport := range clients {
		want := []string{"addcli concat", "addcli " + transport + " CLIENT", "addsvc " + transport + " SERVER", "addsvc concat",
			"addsvc uppercase", "addsvc post /uppercase CLIENT", "stringsvc post /uppercase SERVER", "stringsvc uppercase"}
		var chains []string
		for _, s := range spans {
			if strings.ToLower(s.Name) != "uppercase" || s.LocalEndpoint.ServiceName != "stringsvc" {
				continue
			}
			var chain []string
			for n, ok := s, true; ok; n, ok = byID[parentOf(n)] {
				require.Equal(t, s.TraceID, n.TraceID, "one trace")
				chain = append([]string{strings.TrimSpace(n.LocalEndpoint.ServiceName + " " + strings.ToLower(n.Name) + " " + string(n.Kind))}, chain...)
			}
			chains = append(chains, strings.Join(chain, " → "))
		}
		assert.Contains(t, chains, strings.Join(want, " → "))
		t.Logf("%s: %s", transport, strings.Join(want, " → "))
	}
}

func parentOf(s model.SpanModel) model.ID {
	if s.ParentID == nil {
		return 0
	}
	return *s.ParentID
}

// TestConcatWhenStringsvcIsGone: every instance is dead; Concat fails
// within the retry budget, and its error names no address of stringsvc's.
func TestConcatWhenStringsvcIsGone(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-stringsvc", "127.0.0.1:1")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	code, got := call(t, http.MethodPost, "http://"+r.addr+"/concat", `{"a":"go","b":"kit"}`)
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.JSONEq(t, `{"error":"could not upper-case the result"}`, got)
	require.NoError(t, r.stop(t))
}
