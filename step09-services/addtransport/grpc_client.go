package addtransport

import (
	"context"
	"fmt"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/ratelimit"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/openzipkin/zipkin-go"
	"github.com/sony/gobreaker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/pb"
)

// NewGRPCClient returns a Service that calls the gRPC transport over conn.
// Like NewHTTPClient, each method is a go-kit client endpoint behind its own
// rate limiter and circuit breaker, and the service's errors come back as
// themselves: errors.Is(err, addservice.ErrTwoZeroes) holds.
//
// Each call gets a span from tracer, and a client span around the RPC whose
// context travels in the call's metadata to the server (slide 88: inject).
func NewGRPCClient(conn *grpc.ClientConn, tracer *zipkin.Tracer, limits addendpoint.Limits) addservice.Service {
	service := pb.Add_ServiceDesc.ServiceName
	sumTrace := kitzipkin.GRPCClientTrace(tracer, kitzipkin.Name(pb.Add_Sum_FullMethodName))
	concatTrace := kitzipkin.GRPCClientTrace(tracer, kitzipkin.Name(pb.Add_Concat_FullMethodName))
	sum := grpctransport.NewClient(conn, service, "Sum",
		encodeGRPCSumRequest, decodeGRPCSumResponse, &pb.SumReply{}, sumTrace).Endpoint()
	sum = errorsFromGRPC(func(err error) any { return addendpoint.SumResponse{Err: err} })(sum)
	concat := grpctransport.NewClient(conn, service, "Concat",
		encodeGRPCConcatRequest, decodeGRPCConcatResponse, &pb.ConcatReply{}, concatTrace).Endpoint()
	concat = errorsFromGRPC(func(err error) any { return addendpoint.ConcatResponse{Err: err} })(concat)
	return addendpoint.Set{
		SumEndpoint:    clientEndpoint("Sum", sum, tracer, limits),
		ConcatEndpoint: clientEndpoint("Concat", concat, tracer, limits),
	}
}

func encodeGRPCSumRequest(_ context.Context, request any) (any, error) {
	req := request.(addendpoint.SumRequest)
	return &pb.SumRequest{A: int64(req.A), B: int64(req.B)}, nil
}

func encodeGRPCConcatRequest(_ context.Context, request any) (any, error) {
	req := request.(addendpoint.ConcatRequest)
	return &pb.ConcatRequest{A: req.A, B: req.B}, nil
}

func decodeGRPCSumResponse(_ context.Context, grpcReply any) (any, error) {
	return addendpoint.SumResponse{V: int(grpcReply.(*pb.SumReply).V)}, nil
}

func decodeGRPCConcatResponse(_ context.Context, grpcReply any) (any, error) {
	return addendpoint.ConcatResponse{V: grpcReply.(*pb.ConcatReply).V}, nil
}

// errorsFromGRPC turns the status of a failed call back into the error the
// server had. A broken business rule, and ResourceExhausted from the rate
// limiter (ratelimit.ErrLimited's message; grpc-go answers ResourceExhausted
// for a message that is too large too), become a response made by failed,
// so that they never trip the client's breaker: as in step 5, a refusal is
// not a failure.
// Unavailable from an open breaker wraps gobreaker.ErrOpenState. Other
// errors pass unchanged.
func errorsFromGRPC(failed func(error) any) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			response, err := next(ctx, request)
			if err == nil {
				return response, nil
			}
			st, ok := status.FromError(err)
			if !ok {
				return nil, err
			}
			switch {
			case st.Code() == codes.InvalidArgument && addservice.BusinessError(st.Message()) != nil:
				return failed(addservice.BusinessError(st.Message())), nil
			case st.Code() == codes.ResourceExhausted && st.Message() == ratelimit.ErrLimited.Error():
				return failed(fmt.Errorf("server: %w", ratelimit.ErrLimited)), nil
			case st.Code() == codes.Unavailable && st.Message() == gobreaker.ErrOpenState.Error():
				return nil, fmt.Errorf("server: %w", gobreaker.ErrOpenState)
			default:
				return nil, err
			}
		}
	}
}
