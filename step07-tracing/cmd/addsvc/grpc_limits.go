package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// Why the gRPC server refuses a call before it starts: the values of the
// label "reason" of addsvc_grpc_calls_refused_total.
const (
	refusedMaxStreams    = "max_streams"    // over -grpc-max-streams on its connection
	refusedMaxCalls      = "max_calls"      // over -grpc-max-calls, all running
	refusedUnknownMethod = "unknown_method" // no service serves its method
)

// callLimiter bounds the gRPC calls in flight: at most perConn on one
// connection, and max in all, each for at most timeout, as the HTTP server
// gives a request its read and write timeouts. A call is in flight from its
// first frame until it ends, however it ends.
//
// A call that is over its connection's bound is refused. A call that is
// over max takes the room of the call that has waited longest for its
// request, if for at least grace, which is cut off (Canceled): an attacker
// can open calls and never send their requests, and those are the calls
// that wait. A request comes within milliseconds of its call, so grace
// spares the calls of honest clients, and bounds how fast a flood of calls
// can churn through the room. When no call has waited that long, a new one
// is refused.
//
// Each call may hold a message of up to the server's MaxRecvMsgSize, so
// max bounds memory as well as goroutines.
type callLimiter struct {
	max, perConn int
	timeout      time.Duration
	grace        time.Duration
	refused      *prometheus.CounterVec // by reason
	cutOff       func()                 // called for each call cut off to make room

	mu     sync.Mutex
	calls  map[*flight]struct{}
	byConn map[string]int // calls in flight by connection (its peer address)
}

// flight is a call in flight.
type flight struct {
	conn    string
	began   time.Time
	cancel  context.CancelCauseFunc
	running atomic.Bool // its request came whole, and the service has it
}

// errCutOff is why a call is cut off to make room for another.
var errCutOff = errors.New("cut off to make room: its request did not come in time")

func newCallLimiter(max, perConn int, timeout, grace time.Duration, refused *prometheus.CounterVec, cutOff func()) *callLimiter {
	return &callLimiter{
		max: max, perConn: perConn, timeout: timeout, grace: grace, refused: refused, cutOff: cutOff,
		calls: map[*flight]struct{}{}, byConn: map[string]int{},
	}
}

// flightKey is the context key of a call's *flight.
type flightKey struct{}

// tap is the server's tap handle (grpc.InTapHandle): grpc-go calls it for
// each new call, before it reads anything of the call but its headers.
func (l *callLimiter) tap(ctx context.Context, _ *tap.Info) (context.Context, error) {
	conn := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		conn = p.Addr.String()
	}
	now := time.Now()
	f := &flight{conn: conn, began: now}
	callCtx, cancel := context.WithCancelCause(ctx)
	f.cancel = cancel
	l.mu.Lock()
	if l.byConn[conn] >= l.perConn {
		l.mu.Unlock()
		f.cancel(nil)
		l.refused.WithLabelValues(refusedMaxStreams).Inc()
		return ctx, status.Error(codes.ResourceExhausted, "too many calls in flight on this connection")
	}
	var waited *flight // the call that has waited longest for its request
	if len(l.calls) >= l.max {
		for o := range l.calls {
			if !o.running.Load() && now.Sub(o.began) >= l.grace && (waited == nil || o.began.Before(waited.began)) {
				waited = o
			}
		}
		if waited == nil {
			l.mu.Unlock()
			f.cancel(nil)
			l.refused.WithLabelValues(refusedMaxCalls).Inc()
			return ctx, status.Error(codes.ResourceExhausted, "too many calls in flight")
		}
		l.removeLocked(waited)
	}
	l.calls[f] = struct{}{}
	l.byConn[conn]++
	l.mu.Unlock()

	if waited != nil {
		waited.cancel(errCutOff)
		l.cutOff()
	}
	limited, cancelTimeout := context.WithTimeout(callCtx, l.timeout)
	context.AfterFunc(limited, func() {
		cancelTimeout()
		l.mu.Lock()
		l.removeLocked(f)
		l.mu.Unlock()
	})
	return context.WithValue(limited, flightKey{}, f), nil
}

// removeLocked frees f's room, if it still holds it; l.mu is held.
func (l *callLimiter) removeLocked(f *flight) {
	if _, ok := l.calls[f]; !ok {
		return
	}
	delete(l.calls, f)
	if l.byConn[f.conn]--; l.byConn[f.conn] == 0 {
		delete(l.byConn, f.conn)
	}
}

// running is a unary interceptor, the first of the chain: a call that
// reaches it has its request, and may no longer be cut off to make room.
func (l *callLimiter) running(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if f, ok := ctx.Value(flightKey{}).(*flight); ok {
		f.running.Store(true)
	}
	return handler(ctx, req)
}

// unknownMethod is the server's handler for the methods that no service
// serves (grpc.UnknownServiceHandler): it refuses them as grpc-go does,
// with Unimplemented, and counts them.
func (l *callLimiter) unknownMethod(_ any, stream grpc.ServerStream) error {
	l.refused.WithLabelValues(refusedUnknownMethod).Inc()
	method, _ := grpc.MethodFromServerStream(stream)
	return status.Errorf(codes.Unimplemented, "unknown method %.100q", method)
}

// servedOnly passes on to next only the calls of methods that a service
// serves. grpc-go runs the stream interceptors for the others too (with no
// server), and a metric labelled with every method name a caller makes up
// would grow without bound; unknownMethod counts those.
func servedOnly(next grpc.StreamServerInterceptor) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if srv == nil {
			return handler(srv, ss)
		}
		return next(srv, ss, info, handler)
	}
}
