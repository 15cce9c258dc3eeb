package addtransport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gokit-workshop/workshop/step08-production/pb"
)

// grpc-go reads and decodes a request before any code of this package runs,
// and before any interceptor: a request that it refuses there ends without
// reaching the decode functions or the metrics. The two pieces below hand
// such requests on, so that the gRPC transport refuses and counts them as
// the HTTP transport does.

// Codec is the gRPC server's codec: grpc-go's protobuf codec, except that a
// string field that is not valid UTF-8 is kept as it came. grpc-go would
// refuse the request with the status Internal and a message that names no
// field; kept, it reaches decodeGRPCConcatRequest, which refuses it with
// InvalidArgument and the HTTP transport's message ("\"a\" must be valid
// UTF-8"). Give it to the server with grpc.ForceServerCodecV2(Codec{}).
type Codec struct{}

var _ encoding.CodecV2 = Codec{}

// Marshal encodes v as grpc-go's protobuf codec does.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	return protoCodec().Marshal(v)
}

// Unmarshal decodes data into v as grpc-go's protobuf codec does, but keeps
// the strings that are not UTF-8.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := protoCodec().Unmarshal(data, v)
	var invalid interface{ InvalidUTF8() bool }
	if m, ok := v.(proto.Message); ok && errors.As(err, &invalid) && invalid.InvalidUTF8() {
		return unmarshalKeepingStrings(data.Materialize(), m)
	}
	return err
}

// Name is the name of the protobuf codec, which clients ask for.
func (Codec) Name() string { return grpcproto.Name }

// protoCodec is grpc-go's own protobuf codec.
func protoCodec() encoding.CodecV2 { return encoding.GetCodecV2(grpcproto.Name) }

// unmarshalKeepingStrings decodes data into m as proto.Unmarshal does, but
// sets the string fields of m itself (those that are not repeated), with
// their bytes as they came, UTF-8 or not.
func unmarshalKeepingStrings(data []byte, m proto.Message) error {
	msg := m.ProtoReflect()
	fields := msg.Descriptor().Fields()
	type stringField struct {
		fd protoreflect.FieldDescriptor
		v  string
	}
	var strs []stringField
	var rest []byte // the fields that proto.Unmarshal decodes
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeField(b)
		if n < 0 {
			return fmt.Errorf("decode %s: %w", msg.Descriptor().FullName(), protowire.ParseError(n))
		}
		fd := fields.ByNumber(num)
		if fd != nil && fd.Kind() == protoreflect.StringKind && fd.Cardinality() != protoreflect.Repeated && typ == protowire.BytesType {
			_, _, tagLen := protowire.ConsumeTag(b)
			v, _ := protowire.ConsumeBytes(b[tagLen:n])
			strs = append(strs, stringField{fd, string(v)})
		} else {
			rest = append(rest, b[:n]...)
		}
		b = b[n:]
	}
	if err := proto.Unmarshal(rest, m); err != nil {
		return err
	}
	// A field that comes twice takes its last value, as in protobuf, unless
	// one before it was not UTF-8: protobuf refuses that too, and so must the
	// decode function.
	invalid := map[protoreflect.FieldNumber]bool{}
	for _, s := range strs {
		if !invalid[s.fd.Number()] {
			msg.Set(s.fd, protoreflect.ValueOfString(s.v))
			invalid[s.fd.Number()] = !utf8.ValidString(s.v)
		}
	}
	return nil
}

// RegisterGRPCServer registers srv, the server of NewGRPCServer, on s, as
// pb.RegisterAddServer does, except for one thing: the error of a request
// that grpc-go could not read or decode (not protobuf, larger than the
// server's limit, or never sent before the caller went away) is returned
// from inside the server's interceptors, as a call's error, rather than
// before them. The metrics interceptor therefore counts every call, as the
// HTTP transport's counts every request.
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
// instead of the call. A call whose context is done before its request is
// read (one that a limit refused) is not read: its context's error is the
// decoding error, and the interceptors answer it.
func decodeInsideInterceptors(handler grpc.MethodHandler) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		if interceptor == nil {
			return handler(srv, ctx, dec, nil) // nothing to see the call
		}
		var decodeErr error
		keep := func(req any) error {
			if err := ctx.Err(); err != nil {
				decodeErr = err // over before its request is read, as a refused call is: not read
				return nil
			}
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
