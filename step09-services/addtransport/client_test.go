package addtransport_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/kit/ratelimit"
	"github.com/sony/gobreaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
)

func TestClientsAnswerAsTheService(t *testing.T) {
	for name, svc := range clients(t, addservice.NewBasicService(), roomy) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			for _, tt := range sumCases {
				v, err := svc.Sum(ctx, tt.a, tt.b)
				assert.Equal(t, tt.want, v, tt.name)
				assert.Equal(t, tt.wantErr, err, tt.name)
				if tt.wantErr != nil {
					assert.True(t, errors.Is(err, tt.wantErr), tt.name)
				}
			}
			for _, tt := range concatCases {
				v, err := svc.Concat(ctx, tt.a, tt.b)
				assert.Equal(t, tt.want, v, tt.name)
				assert.Equal(t, tt.wantErr, err, tt.name)
			}
		})
	}
}

func TestClientsSeeTheServersLimit(t *testing.T) {
	for _, name := range []string{"HTTP", "gRPC"} {
		t.Run(name, func(t *testing.T) {
			// The server's endpoints, and so its limiter, are shared by both
			// transports: each transport gets a server of its own.
			svc := clients(t, addservice.NewBasicService(), addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 1})[name]
			_, err := svc.Sum(context.Background(), 1, 2)
			require.NoError(t, err)
			// However many times the server refuses, the client's breaker
			// stays closed: a refusal is not a failure.
			for range 2 * addendpoint.BreakerFailures {
				_, err = svc.Sum(context.Background(), 1, 2)
				assert.ErrorIs(t, err, ratelimit.ErrLimited)
				assert.Equal(t, "server: rate limit exceeded", err.Error())
			}
		})
	}
}

func TestGRPCClientTellsAMessageTooLargeFromTheRateLimit(t *testing.T) {
	// grpc-go answers ResourceExhausted too, for a message over the
	// server's size limit: that is no rate limit.
	_, grpcAddr := servers(t, addservice.NewBasicService(), roomy, grpc.MaxRecvMsgSize(1024))
	svc := addtransport.NewGRPCClient(dialGRPC(t, grpcAddr), nopTracer(t), roomy)
	_, err := svc.Concat(context.Background(), strings.Repeat("x", 2000), "y")
	assert.NotErrorIs(t, err, ratelimit.ErrLimited)
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)
	assert.Contains(t, status.Convert(err).Message(), "larger than max")
}

func TestClientsSeeTheServersBreaker(t *testing.T) {
	httpAddr, grpcAddr := servers(t, &stubService{err: errDatabase}, roomy)
	newHTTP := func() addservice.Service {
		c, err := addtransport.NewHTTPClient(httpAddr, nopTracer(t), roomy)
		require.NoError(t, err)
		return c
	}
	conn := dialGRPC(t, grpcAddr)
	newGRPC := func() addservice.Service { return addtransport.NewGRPCClient(conn, nopTracer(t), roomy) }

	for name, newClient := range map[string]func() addservice.Service{"HTTP": newHTTP, "gRPC": newGRPC} {
		t.Run(name, func(t *testing.T) {
			// Each transport's calls reach the same endpoints, so the first
			// transport to run opens the server's breaker; either way a new
			// client sees failures, then the open breaker.
			first := newClient()
			for range addendpoint.BreakerFailures {
				_, err := first.Sum(context.Background(), 1, 2)
				require.Error(t, err)
				assert.False(t, errors.Is(err, errDatabase), "the error crossed a transport: %v", err)
			}
			// The client's own breaker is open now too...
			_, err := first.Sum(context.Background(), 1, 2)
			assert.ErrorIs(t, err, gobreaker.ErrOpenState)
			assert.Equal(t, "circuit breaker is open", err.Error(), "the client's own breaker")

			// ...and a new client, whose breaker is closed, hears it from the server.
			_, err = newClient().Sum(context.Background(), 1, 2)
			assert.ErrorIs(t, err, gobreaker.ErrOpenState)
			assert.Equal(t, "server: circuit breaker is open", err.Error())
		})
	}
}

func TestClientsOwnLimiter(t *testing.T) {
	httpAddr, grpcAddr := servers(t, addservice.NewBasicService(), roomy)
	limits := addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 2}
	httpClient, err := addtransport.NewHTTPClient(httpAddr, nopTracer(t), limits)
	require.NoError(t, err)
	for name, svc := range map[string]addservice.Service{
		"HTTP": httpClient,
		"gRPC": addtransport.NewGRPCClient(dialGRPC(t, grpcAddr), nopTracer(t), limits),
	} {
		t.Run(name, func(t *testing.T) {
			for range 2 {
				_, err := svc.Concat(context.Background(), "a", "b")
				require.NoError(t, err)
			}
			_, err := svc.Concat(context.Background(), "a", "b")
			assert.ErrorIs(t, err, ratelimit.ErrLimited)
			assert.Equal(t, "rate limit exceeded", err.Error(), "refused by the client itself")
		})
	}
}

func TestClientsBreakerIgnoresBusinessErrors(t *testing.T) {
	for name, svc := range clients(t, addservice.NewBasicService(), roomy) {
		t.Run(name, func(t *testing.T) {
			for range 3 * addendpoint.BreakerFailures {
				_, err := svc.Sum(context.Background(), 0, 0)
				require.ErrorIs(t, err, addservice.ErrTwoZeroes)
			}
			v, err := svc.Sum(context.Background(), 1, 2)
			require.NoError(t, err)
			assert.Equal(t, 3, v)
		})
	}
}

func TestClientsReportUnreachableServers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	httpClient, err := addtransport.NewHTTPClient(addr, nopTracer(t), roomy)
	require.NoError(t, err)
	_, err = httpClient.Sum(context.Background(), 1, 2)
	assert.ErrorContains(t, err, "connection refused")

	_, err = addtransport.NewGRPCClient(dialGRPC(t, addr), nopTracer(t), roomy).Sum(context.Background(), 1, 2)
	assert.ErrorContains(t, err, "connection refused")
}

func TestNewHTTPClientRejectsABadAddress(t *testing.T) {
	for _, instance := range []string{"http://[::1", "", "localhost", "ftp://127.0.0.1:21", "http://", "http:///sum", "127.0.0.1:8080:1"} {
		_, err := addtransport.NewHTTPClient(instance, nopTracer(t), roomy)
		assert.ErrorContains(t, err, "HTTP instance", "%q", instance)
	}
	for _, instance := range []string{"127.0.0.1:8080", "[::1]:8080", "http://localhost", "https://example.com:8443/prefix"} {
		_, err := addtransport.NewHTTPClient(instance, nopTracer(t), roomy)
		assert.NoError(t, err, "%q", instance)
	}
}
