package check

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/reflection"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// addFile describes a service like the steps' own, built in code: the
// harness must find it through reflection alone.
func addFile(t *testing.T) protoreflect.FileDescriptor {
	t.Helper()
	field := func(name string, n int32, typ descriptorpb.FieldDescriptorProto_Type) *descriptorpb.FieldDescriptorProto {
		return &descriptorpb.FieldDescriptorProto{
			Name: proto.String(name), JsonName: proto.String(name), Number: proto.Int32(n),
			Type: typ.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
		}
	}
	int64T, stringT := descriptorpb.FieldDescriptorProto_TYPE_INT64, descriptorpb.FieldDescriptorProto_TYPE_STRING
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:    proto.String("test/addsvc.proto"),
		Package: proto.String("addtest"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("SumRequest"), Field: []*descriptorpb.FieldDescriptorProto{field("a", 1, int64T), field("b", 2, int64T)}},
			{Name: proto.String("SumReply"), Field: []*descriptorpb.FieldDescriptorProto{field("v", 1, int64T), field("err", 2, stringT)}},
		},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("Add"),
			Method: []*descriptorpb.MethodDescriptorProto{{
				Name: proto.String("Sum"), InputType: proto.String(".addtest.SumRequest"), OutputType: proto.String(".addtest.SumReply"),
			}},
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// serveAdd serves the service of addFile, with reflection, on a loopback
// port, and returns its address.
func serveAdd(t *testing.T) string {
	t.Helper()
	fd := addFile(t)
	files := &protoregistry.Files{}
	if err := files.RegisterFile(fd); err != nil {
		t.Fatal(err)
	}
	sd := fd.Services().Get(0)
	in, out := sd.Methods().Get(0).Input(), sd.Methods().Get(0).Output()
	srv := grpc.NewServer()
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "addtest.Add",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Sum",
			Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				req := dynamicpb.NewMessage(in)
				if err := dec(req); err != nil {
					return nil, err
				}
				a := req.Get(in.Fields().ByName("a")).Int()
				b := req.Get(in.Fields().ByName("b")).Int()
				if a == 0 && b == 0 {
					return nil, status.Error(codes.InvalidArgument, "can't sum two zeroes")
				}
				reply := dynamicpb.NewMessage(out)
				reply.Set(out.Fields().ByName("v"), protoreflect.ValueOfInt64(a+b))
				return reply, nil
			},
		}},
	}, struct{}{})
	reflectionpb.RegisterServerReflectionServer(srv, reflection.NewServerV1(reflection.ServerOptions{Services: srv, DescriptorResolver: files}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func TestCallGRPC(t *testing.T) {
	s := &Service{GRPCAddr: serveAdd(t), log: newLogLines(), done: make(chan struct{})}
	defer s.Stop()
	close(s.done)
	ctx := context.Background()

	for _, method := range []string{"Sum", "addtest.Add/Sum"} {
		reply, err := s.CallGRPC(ctx, method, `{"a":1,"b":2}`)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if reply.Int("v") != 3 || reply.Str("err") != "" || reply.Int("nope") != 0 {
			t.Errorf("%s: reply %s", method, reply.JSON())
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(reply.JSON()), &got); err != nil || !maps.Equal(got, map[string]any{"v": "3", "err": ""}) {
			t.Errorf("%s: JSON %s (%v)", method, reply.JSON(), err)
		}
	}

	_, err := s.CallGRPC(ctx, "Sum", `{"a":0,"b":0}`)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "can't sum two zeroes") {
		t.Errorf("two zeroes: %v", err)
	}
	tests := []struct{ method, req, wantErr string }{
		{"Concat", `{}`, "gRPC Concat: the server has no method Concat (its services: addtest.Add)"},
		{"nope.Add/Sum", `{}`, "gRPC nope.Add/Sum: the server's reflection:"},
		{"Sum", `{"a":"x"}`, `gRPC Sum: the request {"a":"x"} does not fit addtest.SumRequest`},
	}
	for _, tt := range tests {
		if _, err := s.CallGRPC(ctx, tt.method, tt.req); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s %s: error %v, want one with %q", tt.method, tt.req, err, tt.wantErr)
		}
	}
	if _, err := (&Service{}).CallGRPC(ctx, "Sum", `{}`); err == nil || !strings.Contains(err.Error(), "without a gRPC address") {
		t.Errorf("no gRPC address: %v", err)
	}
}
