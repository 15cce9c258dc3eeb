package load

import (
	"bytes"
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The call that the gRPC load makes, addsvc.Add/Sum with a=1 and b=2, and the
// reply it expects, v=3, in protobuf's wire format: they are encoded here
// once, so that the tools need none of a step's generated code.
var (
	grpcMethod  = "/addsvc.Add/Sum"
	grpcRequest = []byte{1<<3 | 0, 1, 2<<3 | 0, 2}
	grpcWant    = []byte{1<<3 | 0, 3}
)

// rawCodec sends and receives messages already in protobuf's wire format.
// It is named "proto", so that the server decodes them with its own.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	p := v.(*[]byte)
	*p = append((*p)[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// grpcWorkers returns n workers that call Add/Sum at addr, over up to 4
// connections (gRPC multiplexes the calls on them), with grpc-go's client.
// Close the connections when done.
func grpcWorkers(addr string, n int) ([]worker, func(), error) {
	conns := make([]*grpc.ClientConn, min(4, n))
	closeAll := func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}
	for i := range conns {
		c, err := grpc.NewClient(addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("gRPC client: %w", err)
		}
		conns[i] = c
	}
	workers := make([]worker, n)
	for i := range workers {
		conn := conns[i%len(conns)]
		var reply []byte
		workers[i] = func(ctx context.Context) error {
			req := grpcRequest
			if err := conn.Invoke(ctx, grpcMethod, &req, &reply); err != nil {
				return err
			}
			if !bytes.Equal(reply, grpcWant) {
				return fmt.Errorf("replied % x; want % x", reply, grpcWant)
			}
			return nil
		}
	}
	return workers, closeAll, nil
}
