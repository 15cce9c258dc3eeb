package load

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// sumServer answers POST /sum as the steps do, or with status when it is not
// 200; chunked makes it send its body in chunks.
func sumServer(t *testing.T, status int, chunked bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/sum" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		if chunked {
			w.(http.Flusher).Flush()
		}
		w.Write([]byte(httpWant))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestHTTPWorkersCountAnswers(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		addr := sumServer(t, http.StatusOK, chunked)
		r := drive(context.Background(), httpWorkers(addr, 2), 20*time.Millisecond, 200*time.Millisecond)
		if r.failures != 0 || r.requests == 0 {
			t.Fatalf("chunked %v: %d answered, %d failed (%v)", chunked, r.requests, r.failures, r.firstErr)
		}
		if r.total < r.requests || len(r.latencies) != r.requests {
			t.Errorf("total %d, requests %d, latencies %d", r.total, r.requests, len(r.latencies))
		}
		if p50, p99 := r.quantile(0.5), r.quantile(0.99); p50 <= 0 || p99 < p50 {
			t.Errorf("p50 %v, p99 %v", p50, p99)
		}
		if got := r.perSecond(); got <= 0 {
			t.Errorf("perSecond = %v", got)
		}
	}
}

func TestHTTPWorkersCountWrongAnswersAsFailures(t *testing.T) {
	addr := sumServer(t, http.StatusTooManyRequests, false)
	r := drive(context.Background(), httpWorkers(addr, 1), 0, 50*time.Millisecond)
	if r.failures == 0 || r.requests != 0 || r.firstErr == nil || !strings.Contains(r.firstErr.Error(), "429") {
		t.Fatalf("%d answered, %d failed, first error %v; want only failures, with the status", r.requests, r.failures, r.firstErr)
	}
}

func TestGRPCWorkersCallSum(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A server that knows no service and answers Add/Sum with the raw codec.
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		var req []byte
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		if method != grpcMethod || !bytes.Equal(req, grpcRequest) {
			return errors.New("unexpected call")
		}
		reply := grpcWant
		return stream.SendMsg(&reply)
	}))
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)

	workers, closeConns, err := grpcWorkers(ln.Addr().String(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConns()
	r := drive(context.Background(), workers, 20*time.Millisecond, 200*time.Millisecond)
	if r.failures != 0 || r.requests == 0 {
		t.Fatalf("%d answered, %d failed (%v)", r.requests, r.failures, r.firstErr)
	}
}

func TestVariantsFollowTheFlags(t *testing.T) {
	if got := variants(helpFlags{"http-addr": "127.0.0.1:8080"}); len(got) != 1 || got[0].name != "" {
		t.Errorf("a step without tracing: %+v", got)
	}
	got := variants(helpFlags{"http-addr": "127.0.0.1:8080", "zipkin-url": "", "zipkin-sample-rate": "1"})
	if len(got) != 3 || !got[1].collector || strings.Join(got[2].args, " ") != "-zipkin-sample-rate 0" {
		t.Errorf("step 7: %+v", got)
	}
}
