package main

import (
	"context"
	"errors"
	"slices"
	"strings"
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
	refusedMaxCalls      = "max_calls"      // over -grpc-max-calls, and no room to take
	refusedUnknownMethod = "unknown_method" // no service serves its method, or it names none
)

// callLimiter bounds the gRPC calls in flight: at most perConn on one
// connection, and max in all. A call holds its room from its first frame
// until its context ends, which grpc-go does when the call ends, however it
// ends, and which the limiter does after timeout, as the HTTP server gives
// a request its read and write timeouts.
//
// A call that is over its connection's bound is refused. A call that is
// over max takes the room of a call that is still waiting for its request,
// which is cut off (Canceled): an attacker can open calls and never send
// their requests, and those are the calls that wait. Hosts take the room
// of the host that holds the most calls, as roomListener does with
// connections: the oldest of its waiting calls. A call of a host that
// holds no more calls than the newcomer's is cut off only once it has
// waited grace: a request comes within milliseconds of its call, and a host
// that floods cannot churn through its own calls faster than that. When
// there is no room to take, a new call is refused.
//
// Each call may hold a message of up to the server's MaxRecvMsgSize, so
// max bounds memory as well as goroutines.
type callLimiter struct {
	max, perConn int
	timeout      time.Duration
	grace        time.Duration
	refused      *prometheus.CounterVec // by reason
	cutOff       prometheus.Counter     // calls cut off to make room
	now          func() time.Time

	mu     sync.Mutex
	calls  map[*flight]struct{}
	byConn map[string]int // calls in flight by connection (its peer address)
	byHost map[string]int // calls in flight by host (see hostOf)
}

// The states of a call in flight.
const (
	callWaiting int32 = iota // for its request
	callRunning              // its request came whole, and the service has it
	callCutOff               // to make room for another
)

// flight is a call in flight.
type flight struct {
	conn, host string
	began      time.Time
	cancel     context.CancelCauseFunc
	state      atomic.Int32 // callWaiting, then callRunning or callCutOff, for good
}

// errCutOff is why a call is cut off to make room for another.
var errCutOff = errors.New("cut off to make room: its request did not come in time")

func newCallLimiter(max, perConn int, timeout, grace time.Duration, refused *prometheus.CounterVec, cutOff prometheus.Counter) *callLimiter {
	return &callLimiter{
		max: max, perConn: perConn, timeout: timeout, grace: grace, refused: refused, cutOff: cutOff, now: time.Now,
		calls: map[*flight]struct{}{}, byConn: map[string]int{}, byHost: map[string]int{},
	}
}

// flightKey is the context key of a call's *flight.
type flightKey struct{}

// tap is the server's tap handle (grpc.InTapHandle): grpc-go calls it for
// each new call, before it reads anything of the call but its headers, and
// with its connection's lock held: it must not block.
func (l *callLimiter) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if !namesAMethod(info.FullMethodName) {
		l.refused.WithLabelValues(refusedUnknownMethod).Inc()
		return ctx, status.Errorf(codes.Unimplemented, "malformed method name %.100q", info.FullMethodName)
	}
	f := &flight{began: l.now()}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		f.conn, f.host = p.Addr.String(), hostOf(p.Addr)
	}
	callCtx, cancel := context.WithCancelCause(ctx)
	f.cancel = cancel

	l.mu.Lock()
	if l.byConn[f.conn] >= l.perConn {
		l.mu.Unlock()
		cancel(nil)
		l.refused.WithLabelValues(refusedMaxStreams).Inc()
		return ctx, status.Error(codes.ResourceExhausted, "too many calls in flight on this connection")
	}
	var taken *flight
	if len(l.calls) >= l.max {
		if taken = l.roomLocked(f); taken == nil {
			l.mu.Unlock()
			cancel(nil)
			l.refused.WithLabelValues(refusedMaxCalls).Inc()
			return ctx, status.Error(codes.ResourceExhausted, "too many calls in flight")
		}
		l.removeLocked(taken)
	}
	l.calls[f] = struct{}{}
	l.byConn[f.conn]++
	l.byHost[f.host]++
	l.mu.Unlock()

	if taken != nil {
		taken.cancel(errCutOff)
		l.cutOff.Inc()
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

// roomLocked finds a call whose room f may take, and marks it cut off; or
// returns nil. A waiting call may be cut off if its host holds more calls
// than f's, or else once it has waited grace; of those, the oldest of the
// host that holds the most. l.mu is held.
func (l *callLimiter) roomLocked(f *flight) *flight {
	hosts := make([]string, 0, len(l.byHost))
	for host := range l.byHost {
		hosts = append(hosts, host)
	}
	slices.SortFunc(hosts, func(a, b string) int { return l.byHost[b] - l.byHost[a] })
	for _, host := range hosts {
		heavier := l.byHost[host] > l.byHost[f.host]
		for {
			var oldest *flight
			for o := range l.calls {
				if o.host != host || o.state.Load() != callWaiting || !heavier && f.began.Sub(o.began) < l.grace {
					continue
				}
				if oldest == nil || o.began.Before(oldest.began) {
					oldest = o
				}
			}
			if oldest == nil {
				break // no room to take at this host
			}
			if oldest.state.CompareAndSwap(callWaiting, callCutOff) {
				return oldest
			}
			// Its request came meanwhile: it runs now. Look again.
		}
	}
	return nil
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
	if l.byHost[f.host]--; l.byHost[f.host] == 0 {
		delete(l.byHost, f.host)
	}
}

// startCall marks the call of ctx running: it can no longer be cut off. It
// returns false if the call was cut off first.
func startCall(ctx context.Context) bool {
	f, ok := ctx.Value(flightKey{}).(*flight)
	return !ok || f.state.CompareAndSwap(callWaiting, callRunning) || f.state.Load() == callRunning
}

// running is a unary interceptor, inside the metrics' interceptor so that
// the calls it refuses are counted: a call that reaches it has its request,
// and runs, unless it was cut off first.
func (l *callLimiter) running(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if !startCall(ctx) {
		return nil, status.Error(codes.Canceled, errCutOff.Error())
	}
	return handler(ctx, req)
}

// runningStream is a stream interceptor, inside the metrics' interceptor: a
// streaming call (server reflection's) runs once its first message comes.
func (l *callLimiter) runningStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, startingStream{ss})
}

// startingStream is a server stream whose first message received marks its
// call running.
type startingStream struct{ grpc.ServerStream }

func (s startingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if !startCall(s.Context()) {
		return status.Error(codes.Canceled, errCutOff.Error())
	}
	return nil
}

// unknownMethod is the server's handler for the methods that no service
// serves (grpc.UnknownServiceHandler): it refuses them as grpc-go does,
// with Unimplemented, and counts them.
func (l *callLimiter) unknownMethod(_ any, stream grpc.ServerStream) error {
	l.refused.WithLabelValues(refusedUnknownMethod).Inc()
	method, _ := grpc.MethodFromServerStream(stream)
	return status.Errorf(codes.Unimplemented, "unknown method %.100q", method)
}

// namesAMethod tells whether a call's method name has the shape
// "/service/method" that grpc-go needs to look it up; it refuses the others
// before any handler, interceptor or metric sees them.
func namesAMethod(name string) bool {
	return strings.Contains(strings.TrimPrefix(name, "/"), "/")
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
