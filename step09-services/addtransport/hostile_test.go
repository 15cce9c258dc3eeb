package addtransport_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/kit/metrics/discard"
	"github.com/go-kit/log"
	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
	"github.com/gokit-workshop/workshop/step09-services/pb"
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

func TestStringsThatAreNotUTF8AreRefused(t *testing.T) {
	svc := &stubService{concat: "never"}
	httpAddr, grpcAddr := servers(t, svc, roomy)
	conn := dialGRPC(t, grpcAddr)
	for _, s := range []string{"\xff", "日"[:2], "\xed\xa0\x80", "\xc0\xaf"} {
		got := post(t, httpAddr+"/concat", `{"a":"`+s+`","b":"y"}`)
		assert.Equal(t, http.StatusBadRequest, got.status, "%q", s)
		assert.Equal(t, "the body is not valid UTF-8", errorMessage(t, got), "%q", s)
		// grpc-go's protobuf codec refuses them itself, as Internal.
		_, err := invokeRaw(context.Background(), conn, pb.Add_Concat_FullMethodName, concatRequest(s, "y"))
		assert.Equal(t, codes.Internal, status.Code(err), "%q: %v", s, err)
	}
	assert.Nil(t, svc.ctx, "the service never saw them")
	got := post(t, httpAddr+"/concat", `{"a":"日","b":"本"}`)
	assert.Equal(t, http.StatusOK, got.status, "valid UTF-8 still reaches the service")
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
		{"not UTF-8", concatRequest("\xff", "y"), codes.Internal}, // grpc-go's own refusal
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
