package check

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Reply is the answer to one gRPC call.
type Reply struct {
	msg protoreflect.Message
}

// JSON returns the reply as JSON, with every field, named as in the .proto.
func (r *Reply) JSON() string {
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(r.msg.Interface())
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}

// Int returns the reply's integer field name (as named in the .proto), or 0.
func (r *Reply) Int(name string) int64 {
	f := r.msg.Descriptor().Fields().ByName(protoreflect.Name(name))
	if f == nil {
		return 0
	}
	switch f.Kind() {
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind,
		protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		return r.msg.Get(f).Int()
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
		return int64(r.msg.Get(f).Uint())
	}
	return 0
}

// Str returns the reply's string field name (as named in the .proto), or "".
func (r *Reply) Str(name string) string {
	f := r.msg.Descriptor().Fields().ByName(protoreflect.Name(name))
	if f == nil || f.Kind() != protoreflect.StringKind {
		return ""
	}
	return r.msg.Get(f).String()
}

// CallGRPC calls a method of the service over gRPC (Options.GRPC must have
// been set). method is a method's name, "Sum", looked up among the services
// that the server lists, or a full one, "addsvc.Add/Sum". req is the request
// as JSON, with the fields named as in the .proto: {"a":1,"b":2}.
//
// The harness holds no copy of the step's .proto: it asks the server for
// its descriptors through gRPC server reflection, which every step with gRPC
// turns on, and builds the messages from them. So a check calls the
// attendee's service as grpcurl would. A call that the server refuses returns
// its status error: status.Code(err) gives the code.
func (s *Service) CallGRPC(ctx context.Context, method, req string) (*Reply, error) {
	if s.GRPCAddr == "" {
		return nil, errors.New("the service was started without a gRPC address (Options.GRPC)")
	}
	conn, err := s.grpcConn()
	if err != nil {
		return nil, err
	}
	md, err := findMethod(ctx, conn, method)
	if err != nil {
		return nil, fmt.Errorf("gRPC %s: %w", method, err)
	}
	in := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(req), in); err != nil {
		return nil, fmt.Errorf("gRPC %s: the request %s does not fit %s: %w", method, req, md.Input().FullName(), err)
	}
	out := dynamicpb.NewMessage(md.Output())
	full := fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	if err := conn.Invoke(ctx, full, in, out); err != nil {
		return nil, err
	}
	return &Reply{msg: out}, nil
}

// grpcConn returns the service's gRPC connection, made on first use.
func (s *Service) grpcConn() (*grpc.ClientConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("connect to gRPC at %s: %w", s.GRPCAddr, err)
		}
		s.conn = conn
	}
	return s.conn, nil
}

// findMethod finds a method's descriptor through the server's reflection.
func findMethod(ctx context.Context, conn *grpc.ClientConn, method string) (protoreflect.MethodDescriptor, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("ask the server's reflection: %w", err)
	}
	defer stream.CloseSend()
	ask := func(req *reflectionpb.ServerReflectionRequest) (*reflectionpb.ServerReflectionResponse, error) {
		if err := stream.Send(req); err != nil {
			return nil, fmt.Errorf("ask the server's reflection: %w", err)
		}
		resp, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("ask the server's reflection: %w", err)
		}
		if e := resp.GetErrorResponse(); e != nil {
			return nil, fmt.Errorf("the server's reflection: %s", e.GetErrorMessage())
		}
		return resp, nil
	}

	var services []string
	service, name, full := strings.Cut(method, "/")
	if full {
		services = []string{service}
	} else {
		name = method
		resp, err := ask(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
		})
		if err != nil {
			return nil, err
		}
		for _, s := range resp.GetListServicesResponse().GetService() {
			if !strings.HasPrefix(s.GetName(), "grpc.") {
				services = append(services, s.GetName())
			}
		}
	}

	for _, svc := range services {
		resp, err := ask(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: svc},
		})
		if err != nil {
			return nil, err
		}
		set := &descriptorpb.FileDescriptorSet{}
		for _, b := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
			fd := &descriptorpb.FileDescriptorProto{}
			if err := proto.Unmarshal(b, fd); err != nil {
				return nil, fmt.Errorf("read the descriptor of %s: %w", svc, err)
			}
			set.File = append(set.File, fd)
		}
		files, err := protodesc.NewFiles(set)
		if err != nil {
			return nil, fmt.Errorf("read the descriptors of %s: %w", svc, err)
		}
		d, err := files.FindDescriptorByName(protoreflect.FullName(svc))
		if err != nil {
			return nil, fmt.Errorf("find %s: %w", svc, err)
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			return nil, fmt.Errorf("%s is not a service", svc)
		}
		if md := sd.Methods().ByName(protoreflect.Name(name)); md != nil {
			return md, nil
		}
	}
	return nil, fmt.Errorf("the server has no method %s (its services: %s)", name, strings.Join(services, ", "))
}
