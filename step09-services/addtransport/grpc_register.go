package addtransport

import (
	"context"
	"slices"

	"google.golang.org/grpc"

	"github.com/gokit-workshop/workshop/step09-services/pb"
)

// RegisterGRPCServer registers srv, the server of NewGRPCServer, on s, as
// pb.RegisterAddServer does, except for one thing: the error of a request
// that grpc-go could not read or decode (not protobuf, larger than the
// server's limit, a string that is not UTF-8, or never sent before the
// caller went away) is returned from inside the server's interceptors, as a
// call's error, rather than before them. The metrics interceptor therefore
// counts every call, as the HTTP transport's counts every request.
func RegisterGRPCServer(s *grpc.Server, srv pb.AddServer) {
	desc := pb.Add_ServiceDesc
	desc.Methods = slices.Clone(desc.Methods)
	for i, m := range desc.Methods {
		desc.Methods[i].Handler = decodeInsideInterceptors(m.Handler)
	}
	s.RegisterService(&desc, srv)
}

// decodeInsideInterceptors wraps a method's generated handler. The handler
// decodes the request with dec and then calls the interceptors; this one
// keeps the decoding error, and returns it from the innermost interceptor
// instead of the call.
func decodeInsideInterceptors(handler grpc.MethodHandler) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		if interceptor == nil {
			return handler(srv, ctx, dec, nil) // nothing to see the call
		}
		var decodeErr error
		keep := func(req any) error {
			decodeErr = dec(req)
			return nil
		}
		return handler(srv, ctx, keep, func(ctx context.Context, req any, info *grpc.UnaryServerInfo, call grpc.UnaryHandler) (any, error) {
			return interceptor(ctx, req, info, func(ctx context.Context, req any) (any, error) {
				if decodeErr != nil {
					return nil, decodeErr
				}
				return call(ctx, req)
			})
		})
	}
}
