package addsvc_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-kit/kit/metrics/discard"
	"github.com/go-kit/kit/ratelimit"
	"github.com/go-kit/log"
	"github.com/sony/gobreaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gokit-workshop/workshop/step06-transports/addsvc"
	"github.com/gokit-workshop/workshop/step06-transports/pb"
)

// servers serves the endpoints of svc over real HTTP and real gRPC on
// loopback, and returns both addresses.
func servers(t *testing.T, svc addsvc.Service, limits addsvc.Limits) (httpAddr, grpcAddr string) {
	t.Helper()
	endpoints := addsvc.NewEndpoints(svc, log.NewNopLogger(), discard.NewHistogram(), limits)

	httpServer := httptest.NewServer(addsvc.NewHTTPHandler(endpoints, log.NewNopLogger()))
	t.Cleanup(httpServer.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	grpcServer := grpc.NewServer()
	pb.RegisterAddServer(grpcServer, addsvc.NewGRPCServer(endpoints, log.NewNopLogger()))
	go grpcServer.Serve(ln)
	t.Cleanup(grpcServer.Stop)

	return httpServer.URL, ln.Addr().String()
}

// dialGRPC returns a client connection to addr.
func dialGRPC(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// clients returns the service itself and the HTTP and gRPC clients of the
// same service served on loopback: three ways to call one Service.
func clients(t *testing.T, svc addsvc.Service, limits addsvc.Limits) map[string]addsvc.Service {
	t.Helper()
	httpAddr, grpcAddr := servers(t, svc, limits)
	httpClient, err := addsvc.NewHTTPClient(httpAddr, roomy)
	require.NoError(t, err)
	return map[string]addsvc.Service{
		"direct": svc,
		"HTTP":   httpClient,
		"gRPC":   addsvc.NewGRPCClient(dialGRPC(t, grpcAddr), roomy),
	}
}

func TestClientsAnswerAsTheService(t *testing.T) {
	for name, svc := range clients(t, addsvc.NewBasicService(), roomy) {
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
			svc := clients(t, addsvc.NewBasicService(), addsvc.Limits{Rate: rate.Every(time.Hour), Burst: 1})[name]
			_, err := svc.Sum(context.Background(), 1, 2)
			require.NoError(t, err)
			// However many times the server refuses, the client's breaker
			// stays closed: a refusal is not a failure.
			for range 2 * addsvc.BreakerFailures {
				_, err = svc.Sum(context.Background(), 1, 2)
				assert.ErrorIs(t, err, ratelimit.ErrLimited)
				assert.Equal(t, "server: rate limit exceeded", err.Error())
			}
		})
	}
}

func TestClientsSeeTheServersBreaker(t *testing.T) {
	httpAddr, grpcAddr := servers(t, &stubService{err: errDatabase}, roomy)
	newHTTP := func() addsvc.Service {
		c, err := addsvc.NewHTTPClient(httpAddr, roomy)
		require.NoError(t, err)
		return c
	}
	conn := dialGRPC(t, grpcAddr)
	newGRPC := func() addsvc.Service { return addsvc.NewGRPCClient(conn, roomy) }

	for name, newClient := range map[string]func() addsvc.Service{"HTTP": newHTTP, "gRPC": newGRPC} {
		t.Run(name, func(t *testing.T) {
			// Each transport's calls reach the same endpoints, so the first
			// transport to run opens the server's breaker; either way a new
			// client sees failures, then the open breaker.
			first := newClient()
			for range addsvc.BreakerFailures {
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
	httpAddr, grpcAddr := servers(t, addsvc.NewBasicService(), roomy)
	limits := addsvc.Limits{Rate: rate.Every(time.Hour), Burst: 2}
	httpClient, err := addsvc.NewHTTPClient(httpAddr, limits)
	require.NoError(t, err)
	for name, svc := range map[string]addsvc.Service{
		"HTTP": httpClient,
		"gRPC": addsvc.NewGRPCClient(dialGRPC(t, grpcAddr), limits),
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
	for name, svc := range clients(t, addsvc.NewBasicService(), roomy) {
		t.Run(name, func(t *testing.T) {
			for range 3 * addsvc.BreakerFailures {
				_, err := svc.Sum(context.Background(), 0, 0)
				require.ErrorIs(t, err, addsvc.ErrTwoZeroes)
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

	httpClient, err := addsvc.NewHTTPClient(addr, roomy)
	require.NoError(t, err)
	_, err = httpClient.Sum(context.Background(), 1, 2)
	assert.ErrorContains(t, err, "connection refused")

	_, err = addsvc.NewGRPCClient(dialGRPC(t, addr), roomy).Sum(context.Background(), 1, 2)
	assert.ErrorContains(t, err, "connection refused")
}

func TestNewHTTPClientRejectsABadAddress(t *testing.T) {
	_, err := addsvc.NewHTTPClient("http://[::1", roomy)
	assert.ErrorContains(t, err, "parse HTTP instance")
}
