package addtransport

import (
	"context"
	"errors"

	"github.com/go-kit/kit/ratelimit"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/sony/gobreaker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/pb"
)

// NewGRPCServer returns the gRPC transport of the endpoints, built from
// go-kit's transport/grpc (slide 80): one handler per endpoint, each with a
// function that decodes the protobuf request and one that encodes the reply.
// Errors leave as gRPC status codes (see grpcStatus) and are logged to
// logger. Register it with RegisterGRPCServer.
//
// Each call gets a server span from tracer, named for the gRPC method as the
// generated code names it, a child of the caller's span when the call
// carries one in its metadata (slide 88: extract).
func NewGRPCServer(endpoints addendpoint.Set, tracer *zipkin.Tracer, logger log.Logger) pb.AddServer {
	opts := []grpctransport.ServerOption{
		grpctransport.ServerErrorHandler(newErrorHandler(logger)),
	}
	sumTrace := kitzipkin.GRPCServerTrace(tracer, kitzipkin.Name(pb.Add_Sum_FullMethodName))
	concatTrace := kitzipkin.GRPCServerTrace(tracer, kitzipkin.Name(pb.Add_Concat_FullMethodName))
	return &grpcServer{
		sum:    grpctransport.NewServer(endpoints.SumEndpoint, decodeGRPCSumRequest, encodeGRPCSumReply, append(opts, sumTrace)...),
		concat: grpctransport.NewServer(endpoints.ConcatEndpoint, decodeGRPCConcatRequest, encodeGRPCConcatReply, append(opts, concatTrace)...),
	}
}

// The gRPC server is what the generated code registers.
var _ pb.AddServer = (*grpcServer)(nil)

type grpcServer struct {
	pb.UnimplementedAddServer
	sum    grpctransport.Handler
	concat grpctransport.Handler
}

func (s *grpcServer) Sum(ctx context.Context, req *pb.SumRequest) (*pb.SumReply, error) {
	_, rep, err := s.sum.ServeGRPC(ctx, req)
	if err != nil {
		return nil, grpcStatus(err)
	}
	return rep.(*pb.SumReply), nil
}

func (s *grpcServer) Concat(ctx context.Context, req *pb.ConcatRequest) (*pb.ConcatReply, error) {
	_, rep, err := s.concat.ServeGRPC(ctx, req)
	if err != nil {
		return nil, grpcStatus(err)
	}
	return rep.(*pb.ConcatReply), nil
}

func decodeGRPCSumRequest(_ context.Context, grpcReq any) (any, error) {
	req := grpcReq.(*pb.SumRequest)
	return addendpoint.SumRequest{A: int(req.A), B: int(req.B)}, nil
}

func decodeGRPCConcatRequest(_ context.Context, grpcReq any) (any, error) {
	req := grpcReq.(*pb.ConcatRequest)
	return addendpoint.ConcatRequest{A: req.A, B: req.B}, nil
}

// encodeGRPCSumReply encodes a response, or returns the broken business rule
// that it carries as the error of the call.
func encodeGRPCSumReply(_ context.Context, response any) (any, error) {
	resp := response.(addendpoint.SumResponse)
	if resp.Err != nil {
		return nil, resp.Err
	}
	return &pb.SumReply{V: int64(resp.V)}, nil
}

func encodeGRPCConcatReply(_ context.Context, response any) (any, error) {
	resp := response.(addendpoint.ConcatResponse)
	if resp.Err != nil {
		return nil, resp.Err
	}
	return &pb.ConcatReply{V: resp.V}, nil
}

// grpcStatus is the gRPC status of an error: InvalidArgument for a broken
// business rule, ResourceExhausted over the rate limit, Unavailable while
// the circuit breaker is open, Canceled or DeadlineExceeded when the call's
// context ended before it ran, and Internal for anything else.
func grpcStatus(err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case addservice.IsBusinessError(err):
		code = codes.InvalidArgument
	case errors.Is(err, ratelimit.ErrLimited):
		code = codes.ResourceExhausted
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		code = codes.Unavailable
	}
	return status.Error(code, err.Error())
}
