package addtransport_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-kit/log"
	"github.com/sony/gobreaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
	"github.com/gokit-workshop/workshop/step09-services/pb"
)

// halfOpen is a set of endpoints that answer as go-kit's breaker does while
// it is half-open and its one trial request is on its way: with
// gobreaker.ErrTooManyRequests. Waiting for a real breaker to get there
// takes addendpoint.BreakerTimeout.
func halfOpen() addendpoint.Set {
	refuse := func(context.Context, any) (any, error) { return nil, gobreaker.ErrTooManyRequests }
	return addendpoint.Set{SumEndpoint: refuse, ConcatEndpoint: refuse}
}

func TestHTTPHalfOpenBreakerIs503(t *testing.T) {
	set := halfOpen()
	srv := httptest.NewServer(addtransport.NewHTTPHandler(set, nopTracer(t), log.NewNopLogger()))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/sum", "/concat"} {
		got := post(t, srv.URL+path, `{}`)
		assert.Equal(t, http.StatusServiceUnavailable, got.status, path)
		assert.Equal(t, gobreaker.ErrTooManyRequests.Error(), errorMessage(t, got), path)
	}
}

func TestGRPCHalfOpenBreakerIsUnavailable(t *testing.T) {
	set := halfOpen()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	pb.RegisterAddServer(srv, addtransport.NewGRPCServer(set, nopTracer(t), log.NewNopLogger()))
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-served
	})
	_, err = pb.NewAddClient(dialGRPC(t, ln.Addr().String())).Sum(context.Background(), &pb.SumRequest{A: 1})
	st, ok := status.FromError(err)
	require.True(t, ok, "not a status: %v", err)
	assert.Equal(t, codes.Unavailable, st.Code())
	assert.Equal(t, gobreaker.ErrTooManyRequests.Error(), st.Message())
}
