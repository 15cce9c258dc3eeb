package addtransport_test

import (
	"context"
	"testing"

	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
	"github.com/gokit-workshop/workshop/step09-services/pb"
)

func TestTracesCrossTheTransports(t *testing.T) {
	for _, transport := range []struct {
		name            string
		clientTransport string // the names of the transport spans
		serverTransport string
	}{
		{"HTTP", "POST /sum", "POST /sum"},
		{"gRPC", pb.Add_Sum_FullMethodName, pb.Add_Sum_FullMethodName},
	} {
		t.Run(transport.name, func(t *testing.T) {
			serverTracer, serverSpans := recordingTracer(t, "addsvc")
			clientTracer, clientSpans := recordingTracer(t, "addcli")
			httpAddr, grpcAddr := tracedServers(t, addservice.NewBasicService(), roomy, serverTracer)
			var client addservice.Service
			if transport.name == "HTTP" {
				var err error
				client, err = addtransport.NewHTTPClient(httpAddr, clientTracer, roomy)
				require.NoError(t, err)
			} else {
				client = addtransport.NewGRPCClient(dialGRPC(t, grpcAddr), clientTracer, roomy)
			}

			v, err := client.Sum(context.Background(), 1, 2)
			require.NoError(t, err)
			assert.Equal(t, 3, v)

			cs := waitForSpans(t, clientSpans, 2)
			ss := waitForSpans(t, serverSpans, 2)
			clientEndpoint, clientTransport := cs["Sum"], cs[transport.clientTransport]
			serverTransport, serverEndpoint := ss[transport.serverTransport], ss["Sum"]

			// One trace, four spans, each the child of the one before.
			for _, s := range []model.SpanModel{clientTransport, serverTransport, serverEndpoint} {
				assert.Equal(t, clientEndpoint.TraceID, s.TraceID, s.Name)
			}
			assert.Nil(t, clientEndpoint.ParentID, "the client's endpoint span is the root")
			assert.Equal(t, model.Client, clientTransport.Kind)
			require.NotNil(t, clientTransport.ParentID)
			assert.Equal(t, clientEndpoint.ID, *clientTransport.ParentID)
			assert.Equal(t, model.Server, serverTransport.Kind)
			require.NotNil(t, serverTransport.ParentID)
			assert.Equal(t, clientTransport.ID, *serverTransport.ParentID)
			assert.NotEqual(t, clientTransport.ID, serverTransport.ID, "the server's span is its own, not shared")
			require.NotNil(t, serverEndpoint.ParentID)
			assert.Equal(t, serverTransport.ID, *serverEndpoint.ParentID)

			// The server's endpoint span sits inside its transport span, and
			// the client's transport span inside its endpoint span.
			assert.True(t, inside(serverEndpoint, serverTransport), "endpoint %v %v, server %v %v",
				serverEndpoint.Timestamp, serverEndpoint.Duration, serverTransport.Timestamp, serverTransport.Duration)
			assert.True(t, inside(clientTransport, clientEndpoint))

			// The gRPC server span knows its method.
			if transport.name == "gRPC" {
				assert.Equal(t, pb.Add_Sum_FullMethodName, serverTransport.Tags["grpc.method"])
			}

			// Each side names itself.
			assert.Equal(t, "addcli", clientEndpoint.LocalEndpoint.ServiceName)
			assert.Equal(t, "addsvc", serverEndpoint.LocalEndpoint.ServiceName)

			// No error anywhere.
			for _, s := range []model.SpanModel{clientEndpoint, clientTransport, serverTransport, serverEndpoint} {
				assert.NotContains(t, s.Tags, string(zipkin.TagError), s.Name)
			}
		})
	}
}

func TestTracesTagBusinessErrors(t *testing.T) {
	for _, transport := range []string{"HTTP", "gRPC"} {
		t.Run(transport, func(t *testing.T) {
			serverTracer, serverSpans := recordingTracer(t, "addsvc")
			clientTracer, clientSpans := recordingTracer(t, "addcli")
			httpAddr, grpcAddr := tracedServers(t, addservice.NewBasicService(), roomy, serverTracer)
			var client addservice.Service
			if transport == "HTTP" {
				var err error
				client, err = addtransport.NewHTTPClient(httpAddr, clientTracer, roomy)
				require.NoError(t, err)
			} else {
				client = addtransport.NewGRPCClient(dialGRPC(t, grpcAddr), clientTracer, roomy)
			}

			_, err := client.Concat(context.Background(), "0123456789", "!")
			require.ErrorIs(t, err, addservice.ErrMaxSizeExceeded)

			ss := waitForSpans(t, serverSpans, 2)
			assert.Equal(t, "result exceeds maximum size", ss["Concat"].Tags[string(zipkin.TagError)])
			cs := waitForSpans(t, clientSpans, 2)
			assert.Equal(t, "result exceeds maximum size", cs["Concat"].Tags[string(zipkin.TagError)])
		})
	}
}
