package addtransport_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/kit/metrics/discard"
	"github.com/go-kit/kit/ratelimit"
	"github.com/go-kit/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gokit-workshop/workshop/step08-production/addendpoint"
	"github.com/gokit-workshop/workshop/step08-production/addservice"
	"github.com/gokit-workshop/workshop/step08-production/addtransport"
	"github.com/gokit-workshop/workshop/step08-production/pb"
)

// rawCodec sends a request's bytes as they are, so that a test can send
// what no protobuf library would marshal, and decodes replies as protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return proto.Unmarshal(data.Materialize(), v.(proto.Message))
}

func (rawCodec) Name() string { return "proto" }

// concatRequest is the protobuf encoding of a ConcatRequest with the bytes
// a and b, UTF-8 or not.
func concatRequest(a, b string) []byte {
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	req = protowire.AppendString(req, a)
	req = protowire.AppendTag(req, 2, protowire.BytesType)
	return protowire.AppendString(req, b)
}

// invokeRaw calls method over conn with the request's bytes as they are.
func invokeRaw(ctx context.Context, conn *grpc.ClientConn, method string, req []byte) (*pb.ConcatReply, error) {
	var reply pb.ConcatReply
	err := conn.Invoke(ctx, method, req, &reply, grpc.ForceCodecV2(rawCodec{}))
	return &reply, err
}

func TestStringsThatAreNotUTF8AreRefusedAlikeByBothTransports(t *testing.T) {
	tests := []struct {
		name, a, b string
		wantMsg    string
	}{
		{"a lone byte", "\xff", "y", `"a" must be valid UTF-8`},
		{"a cut character", "x", "日"[:2], `"b" must be valid UTF-8`},
		{"a surrogate, as CESU-8 writes it", "\xed\xa0\x80", "y", `"a" must be valid UTF-8`},
		{"an overlong slash", "x", "\xc0\xaf", `"b" must be valid UTF-8`},
	}
	svc := &stubService{concat: "never"}
	httpAddr, grpcAddr := servers(t, svc, roomy)
	conn := dialGRPC(t, grpcAddr)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, httpAddr+"/concat", `{"a":"`+tt.a+`","b":"`+tt.b+`"}`)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.Equal(t, tt.wantMsg, errorMessage(t, got))

			_, err := invokeRaw(context.Background(), conn, pb.Add_Concat_FullMethodName, concatRequest(tt.a, tt.b))
			assert.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
			assert.Equal(t, tt.wantMsg, status.Convert(err).Message(), "the same message over gRPC")
		})
	}
	assert.Nil(t, svc.ctx, "the service never saw them")

	// Elsewhere in the body, the body as a whole is refused.
	got := post(t, httpAddr+"/concat", `{"a":"x","b":"y","c":"`+"\xff"+`"}`)
	assert.Equal(t, http.StatusBadRequest, got.status)
	assert.Equal(t, "the body is not valid UTF-8", errorMessage(t, got))

	// Valid UTF-8 still reaches the service, over both transports.
	got = post(t, httpAddr+"/concat", `{"a":"日","b":"本"}`)
	assert.Equal(t, http.StatusOK, got.status)
	reply, err := invokeRaw(context.Background(), conn, pb.Add_Concat_FullMethodName, concatRequest("日", "本"))
	require.NoError(t, err)
	assert.Equal(t, "never", reply.V)
}

func TestErrorsQuoteAtMostAShortPieceOfTheCaller(t *testing.T) {
	srv := newServer(t)
	million := strings.Repeat("9", 1<<20-40)
	tests := []struct {
		name, path, body string
		wantErr          string
	}{
		{"a huge integer", "/sum", `{"a":` + million + `,"b":1}`, `"a" is out of range: 99999999999999999999999999999999…(1048536 bytes) does not fit in 64 bits`},
		{"a huge fraction", "/sum", `{"a":0.` + million + `,"b":1}`, `"a" must be an integer, not 0.999999999999999999999999999999…(1048538 bytes)`},
		{"a huge number for a string", "/concat", `{"a":` + million + `,"b":"y"}`, `"a" must be a string, not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, srv.URL+tt.path, tt.body)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.Equal(t, tt.wantErr, errorMessage(t, got))
		})
	}

	long := "/" + strings.Repeat("x", 4000)
	got := post(t, srv.URL+long, `{}`)
	assert.Equal(t, http.StatusNotFound, got.status)
	assert.Equal(t, "no such path: /"+strings.Repeat("x", 31)+"…(4001 bytes)", errorMessage(t, got))
}

// codeRecorder is a gRPC interceptor that records the status code of every
// call it sees, as a metrics interceptor counts them.
type codeRecorder struct {
	mu    sync.Mutex
	codes []codes.Code
}

func (r *codeRecorder) intercept(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes = append(r.codes, status.Code(err))
	return resp, err
}

func (r *codeRecorder) seen() []codes.Code {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]codes.Code(nil), r.codes...)
}

func TestGRPCInterceptorsSeeEveryCall(t *testing.T) {
	// grpc-go decodes a request before the interceptors; RegisterGRPCServer
	// hands them the requests that it can't decode too.
	var rec codeRecorder
	_, addr := servers(t, addservice.NewBasicService(), roomy,
		grpc.ChainUnaryInterceptor(rec.intercept), grpc.MaxRecvMsgSize(1024))
	conn := dialGRPC(t, addr)
	calls := []struct {
		name string
		req  []byte
		want codes.Code
	}{
		{"a good call", concatRequest("x", "y"), codes.OK},
		{"not protobuf", []byte("\xff\xff\xff\xff"), codes.Internal},
		{"not UTF-8", concatRequest("\xff", "y"), codes.InvalidArgument},
		{"over the size limit", concatRequest(strings.Repeat("x", 2000), "y"), codes.ResourceExhausted},
	}
	var want []codes.Code
	for _, c := range calls {
		_, err := invokeRaw(context.Background(), conn, pb.Add_Concat_FullMethodName, c.req)
		assert.Equal(t, c.want, status.Code(err), "%s: %v", c.name, err)
		want = append(want, c.want)
	}
	assert.Equal(t, want, rec.seen())
}

func TestCallsWhoseContextIsDoneAreNotRun(t *testing.T) {
	svc := &stubService{sum: 3}
	tracer := nopTracer(t)
	endpoints := addendpoint.New(svc, log.NewNopLogger(), discard.NewHistogram(), tracer, roomy)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()

	t.Run("HTTP", func(t *testing.T) {
		handler := addtransport.NewHTTPHandler(endpoints, tracer, log.NewNopLogger())
		for ctx, want := range map[context.Context]int{cancelled: 499, expired: http.StatusGatewayTimeout} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/sum", strings.NewReader(`{"a":1,"b":2}`))
			handler.ServeHTTP(rec, req)
			assert.Equal(t, want, rec.Code)
		}
	})
	t.Run("gRPC", func(t *testing.T) {
		server := addtransport.NewGRPCServer(endpoints, tracer, log.NewNopLogger())
		for ctx, want := range map[context.Context]codes.Code{cancelled: codes.Canceled, expired: codes.DeadlineExceeded} {
			_, err := server.Sum(ctx, &pb.SumRequest{A: 1, B: 2})
			assert.Equal(t, want, status.Code(err))
		}
	})
	assert.Nil(t, svc.ctx, "the service was never called")
}

func TestClientsDoNotSendCallsWhoseContextIsDone(t *testing.T) {
	svc := &stubService{sum: 3}
	httpAddr, grpcAddr := servers(t, svc, roomy)
	oneToken := addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 1}
	httpClient, err := addtransport.NewHTTPClient(httpAddr, nopTracer(t), oneToken)
	require.NoError(t, err)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for name, c := range map[string]addservice.Service{
		"HTTP": httpClient,
		"gRPC": addtransport.NewGRPCClient(dialGRPC(t, grpcAddr), nopTracer(t), oneToken),
	} {
		t.Run(name, func(t *testing.T) {
			for range 2 * addendpoint.BreakerFailures {
				_, err := c.Sum(cancelled, 1, 2)
				assert.ErrorIs(t, err, context.Canceled)
			}
			// Neither a token taken nor a failure counted: the call goes through.
			v, err := c.Sum(context.Background(), 1, 2)
			require.NoError(t, err)
			assert.Equal(t, 3, v)
			_, err = c.Sum(context.Background(), 1, 2)
			assert.ErrorIs(t, err, ratelimit.ErrLimited, "the one token is used now")
		})
	}
}

func TestHTTPClientRefusesRepliesWithTrailingData(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{"a second object", http.StatusOK, `{"v":3} {"v":4}`, "decode HTTP response: unexpected data after the JSON reply"},
		{"garbage", http.StatusOK, `{"v":3}xyz`, "decode HTTP response: unexpected data after the JSON reply"},
		{"an error with trailing data", http.StatusBadRequest, `{"error":"can't sum two zeroes"} {}`, "HTTP status 400 with no error message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			c, err := addtransport.NewHTTPClient(srv.URL, nopTracer(t), roomy)
			require.NoError(t, err)
			_, err = c.Sum(context.Background(), 0, 0)
			assert.EqualError(t, err, tt.wantErr)
		})
	}
	// Whitespace after the reply is no data.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "{\"v\":3}\n\n")
	}))
	t.Cleanup(srv.Close)
	c, err := addtransport.NewHTTPClient(srv.URL, nopTracer(t), roomy)
	require.NoError(t, err)
	v, err := c.Sum(context.Background(), 1, 2)
	require.NoError(t, err)
	assert.Equal(t, 3, v)
}

// unavailableBody is a request body whose reads fail with an error that
// has a status of its own, as a limit's does.
type unavailableBody struct{}

func (unavailableBody) Read([]byte) (int, error) { return 0, unavailable{} }

type unavailable struct{}

func (unavailable) Error() string   { return "too many bodies in flight" }
func (unavailable) StatusCode() int { return http.StatusServiceUnavailable }

func TestHTTPAnswersAReadErrorWithItsOwnStatus(t *testing.T) {
	h := newHandler(t, addservice.NewBasicService(), roomy)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/sum", unavailableBody{}))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.JSONEq(t, `{"error":"too many bodies in flight"}`, rec.Body.String())
}
