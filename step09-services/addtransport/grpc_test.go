package addtransport_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/pb"
)

func TestGRPCAnswers(t *testing.T) {
	_, addr := servers(t, addservice.NewBasicService(), roomy)
	client := pb.NewAddClient(dialGRPC(t, addr))
	ctx := context.Background()

	sum, err := client.Sum(ctx, &pb.SumRequest{A: -7, B: 3})
	require.NoError(t, err)
	assert.Equal(t, int64(-4), sum.V)

	concat, err := client.Concat(ctx, &pb.ConcatRequest{A: "Grüß", B: "世"})
	require.NoError(t, err)
	assert.Equal(t, "Grüß世", concat.V)

	// Numbers beyond 32 bits arrive intact, and break the rule.
	_, err = client.Sum(ctx, &pb.SumRequest{A: 1 << 40, B: 1})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
}

func TestGRPCStatusCodes(t *testing.T) {
	hour := rate.Every(time.Hour)
	tests := []struct {
		name     string
		svc      addservice.Service
		limits   addendpoint.Limits
		calls    int // the last call's status is checked
		req      *pb.SumRequest
		wantCode codes.Code
		wantMsg  string
	}{
		{"two zeroes", addservice.NewBasicService(), roomy, 1, &pb.SumRequest{}, codes.InvalidArgument, "can't sum two zeroes"},
		{"overflow", addservice.NewBasicService(), roomy, 1, &pb.SumRequest{A: (1<<31 - 1), B: 1}, codes.InvalidArgument, "integer overflow"},
		{"limited", addservice.NewBasicService(), addendpoint.Limits{Rate: hour, Burst: 2}, 3, &pb.SumRequest{A: 1}, codes.ResourceExhausted, "rate limit exceeded"},
		{"system failure", &stubService{err: errDatabase}, roomy, 1, &pb.SumRequest{A: 1}, codes.Internal, "database unreachable"},
		{"breaker open", &stubService{err: errDatabase}, roomy, addendpoint.BreakerFailures + 1, &pb.SumRequest{A: 1}, codes.Unavailable, "circuit breaker is open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := servers(t, tt.svc, tt.limits)
			client := pb.NewAddClient(dialGRPC(t, addr))
			var err error
			for range tt.calls {
				_, err = client.Sum(context.Background(), tt.req)
			}
			st, ok := status.FromError(err)
			require.True(t, ok, "not a status: %v", err)
			assert.Equal(t, tt.wantCode, st.Code())
			assert.Equal(t, tt.wantMsg, st.Message())
		})
	}

	t.Run("concat too long", func(t *testing.T) {
		_, addr := servers(t, addservice.NewBasicService(), roomy)
		_, err := pb.NewAddClient(dialGRPC(t, addr)).Concat(context.Background(), &pb.ConcatRequest{A: "ééééé", B: "a"})
		assert.Equal(t, codes.InvalidArgument, status.Code(err))
		assert.Equal(t, "result exceeds maximum size", status.Convert(err).Message())
	})
}
