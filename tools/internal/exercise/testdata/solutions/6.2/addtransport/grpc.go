package addtransport

// A solution of exercise 6.2 that differs from the reference in its names and
// its shape: the encode functions and the status function have other names
// (decodeGRPCSumRequest keeps its own), the
// encoders share one generic helper that reads the response's Failed method,
// and the status code comes from an if-chain in a function of its own.

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/ratelimit"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/go-kit/log"
	"github.com/sony/gobreaker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gokit-workshop/workshop/step06-transports/addendpoint"
	"github.com/gokit-workshop/workshop/step06-transports/addservice"
	"github.com/gokit-workshop/workshop/step06-transports/pb"
)

// NewGRPCServer returns the gRPC transport of the endpoints, built from
// go-kit's transport/grpc (slide 80): one handler per endpoint, each with a
// function that decodes the protobuf request and one that encodes the reply.
// Errors leave as gRPC status codes (see asStatus) and are logged to
// logger. Register it with pb.RegisterAddServer.
func NewGRPCServer(endpoints addendpoint.Set, logger log.Logger) pb.AddServer {
	opts := []grpctransport.ServerOption{
		grpctransport.ServerErrorHandler(newErrorHandler(logger)),
	}
	return &grpcServer{
		sum:    grpctransport.NewServer(endpoints.SumEndpoint, decodeGRPCSumRequest, sumToWire, opts...),
		concat: grpctransport.NewServer(endpoints.ConcatEndpoint, decodeGRPCConcatRequest, concatToWire, opts...),
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
		return nil, asStatus(err)
	}
	return rep.(*pb.SumReply), nil
}

func (s *grpcServer) Concat(ctx context.Context, req *pb.ConcatRequest) (*pb.ConcatReply, error) {
	_, rep, err := s.concat.ServeGRPC(ctx, req)
	if err != nil {
		return nil, asStatus(err)
	}
	return rep.(*pb.ConcatReply), nil
}

func decodeGRPCSumRequest(_ context.Context, in any) (any, error) {
	msg, ok := in.(*pb.SumRequest)
	if !ok {
		return nil, fmt.Errorf("gRPC Sum: unexpected request %T", in)
	}
	return addendpoint.SumRequest{A: int(msg.GetA()), B: int(msg.GetB())}, nil
}

func decodeGRPCConcatRequest(_ context.Context, grpcReq any) (any, error) {
	req := grpcReq.(*pb.ConcatRequest)
	return addendpoint.ConcatRequest{A: req.A, B: req.B}, nil
}

// orFailure returns reply, or the broken rule that the response carries as
// the error of the call.
func orFailure[T any](response endpoint.Failer, reply T) (any, error) {
	if failure := response.Failed(); failure != nil {
		return nil, failure
	}
	return reply, nil
}

func sumToWire(_ context.Context, out any) (any, error) {
	r := out.(addendpoint.SumResponse)
	return orFailure(r, &pb.SumReply{V: int64(r.V)})
}

func concatToWire(_ context.Context, out any) (any, error) {
	r := out.(addendpoint.ConcatResponse)
	return orFailure(r, &pb.ConcatReply{V: r.V})
}

// asStatus is the gRPC status of an error, with its message.
func asStatus(err error) error {
	return status.New(codeOf(err), err.Error()).Err()
}

// codeOf is the gRPC code of an error.
func codeOf(err error) codes.Code {
	if addservice.IsBusinessError(err) {
		return codes.InvalidArgument
	}
	if errors.Is(err, ratelimit.ErrLimited) {
		return codes.ResourceExhausted
	}
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return codes.Unavailable
	}
	return codes.Internal
}
