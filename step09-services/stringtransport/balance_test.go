package stringtransport_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/kit/sd"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/contract"
	"github.com/gokit-workshop/workshop/step09-services/stringservice"
	"github.com/gokit-workshop/workshop/step09-services/stringtransport"
)

var testRetry = stringtransport.Retry{Attempts: 3, PerAttempt: 200 * time.Millisecond, Total: time.Second}

// balanced returns the balanced Uppercase over instances, and the
// attempts' counter.
func balanced(t *testing.T, instances ...string) (func(context.Context, string) (string, error), *prometheus.CounterVec) {
	t.Helper()
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "attempts"}, []string{"stringsvc", "outcome"})
	tracer, err := zipkin.NewTracer(reporter.NewNoopReporter())
	require.NoError(t, err)
	upper, c := stringtransport.NewUppercase(sd.FixedInstancer(instances), testRetry, tracer, log.NewNopLogger(), kitprometheus.NewCounter(attempts))
	t.Cleanup(func() { c.Close() })
	return upper, attempts
}

// deadAddr returns an address where nothing listens.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln.Close()
	return ln.Addr().String()
}

func TestNewInstancer(t *testing.T) {
	in, err := stringtransport.NewInstancer("127.0.0.1:8181,127.0.0.1:8182", log.NewNopLogger())
	require.NoError(t, err)
	assert.Equal(t, sd.FixedInstancer{"127.0.0.1:8181", "127.0.0.1:8182"}, in)
	in, err = stringtransport.NewInstancer("dnssrv:_http._tcp.stringsvc.default.svc.cluster.local", log.NewNopLogger())
	require.NoError(t, err)
	in.Stop()
	for _, bad := range []string{"", "dnssrv:", "127.0.0.1", "127.0.0.1:8181,", "http://127.0.0.1:8181"} {
		_, err := stringtransport.NewInstancer(bad, log.NewNopLogger())
		assert.Error(t, err, "%q", bad)
	}
}

// TestTheClientKeepsTheContract runs addsvc's client against a stub that
// answers what package contract says stringsvc answers (TestTheContract
// checks the real server against the same data).
func TestTheClientKeepsTheContract(t *testing.T) {
	stub := httptest.NewServer(contract.Stub(contract.Uppercase()))
	defer stub.Close()
	upper, _ := balanced(t, stub.Listener.Addr().String())
	for _, in := range contract.Uppercase() {
		var req struct{ S string }
		var resp struct{ V string }
		require.NoError(t, json.Unmarshal(in.Request, &req))
		require.NoError(t, json.Unmarshal(in.Response, &resp))
		v, err := upper(context.Background(), req.S)
		if in.Status == http.StatusOK {
			assert.NoError(t, err, in.Name)
			assert.Equal(t, resp.V, v, in.Name)
		} else {
			assert.ErrorIs(t, err, stringservice.ErrEmpty, in.Name)
		}
	}
}

func TestADeadInstanceCostsTheCallerNothing(t *testing.T) {
	live, dead := newServer(t, nil).Listener.Addr().String(), deadAddr(t)
	upper, attempts := balanced(t, live, dead)
	for range 50 {
		v, err := upper(context.Background(), "gokit")
		require.NoError(t, err)
		require.Equal(t, "GOKIT", v)
	}
	assert.Equal(t, 50.0, testutil.ToFloat64(attempts.WithLabelValues(live, "success")))
	assert.Equal(t, 5.0, testutil.ToFloat64(attempts.WithLabelValues(dead, "error")), "until its breaker opens")
	assert.Greater(t, testutil.ToFloat64(attempts.WithLabelValues(dead, "breaker open")), 10.0)
}

func TestASlowInstanceCostsOneAttemptAtMost(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server sees the caller go
		<-r.Context().Done()        // until the caller gives up
	}))
	defer slow.Close()
	upper, _ := balanced(t, newServer(t, nil).Listener.Addr().String(), slow.Listener.Addr().String())
	for range 6 {
		begin := time.Now()
		v, err := upper(context.Background(), "gokit")
		require.NoError(t, err)
		require.Equal(t, "GOKIT", v)
		assert.Less(t, time.Since(begin), testRetry.PerAttempt+100*time.Millisecond)
	}
}

func TestABusinessErrorIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, nil)
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer counting.Close()
	upper, _ := balanced(t, counting.Listener.Addr().String())
	_, err := upper(context.Background(), "")
	assert.ErrorIs(t, err, stringservice.ErrEmpty)
	assert.Equal(t, int32(1), calls.Load())
}

func TestEveryInstanceDeadFailsWithinTheBudget(t *testing.T) {
	upper, _ := balanced(t, deadAddr(t), deadAddr(t))
	begin := time.Now()
	_, err := upper(context.Background(), "gokit")
	assert.ErrorContains(t, err, "connection refused")
	assert.Less(t, time.Since(begin), testRetry.Total)
}
