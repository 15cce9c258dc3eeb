package limits

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
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// Why a gRPC call is refused before it runs: the values of the label
// "reason" of the refused counter given to NewCalls.
const (
	RefusedMaxCalls      = "max_calls"      // over the bound of calls in flight, and no room to take
	RefusedUnknownMethod = "unknown_method" // no service serves its method, or it names none
)

// Calls bounds the gRPC calls in flight on a server: at most max in all. A
// call holds its room from its first frame until it ends, however it ends,
// or until timeout, as an HTTP server gives a request its read and write
// timeouts. grpc-go's own grpc.MaxConcurrentStreams bounds the calls of one
// connection; no option of grpc-go bounds them in all.
//
// When max calls are in flight, a new call takes the room of another, which
// is cut off (Canceled), if there is one that may be cut off:
//   - a call still waiting for its request (an attacker can open calls and
//     never send their requests) of a host that holds more calls than the
//     newcomer's, or of any host once it has waited grace (a request comes
//     within milliseconds of its call, and a host that floods cannot churn
//     through its own calls faster than that);
//   - a streaming call (server reflection's, which a caller may hold open as
//     long as it likes) of a host that holds more calls than the newcomer's.
//
// Of those, the oldest of the host that holds the most goes first. So no
// host can hold room that another host needs: the host that holds the most
// makes it. A unary call that runs is never cut off: it ends within
// timeout. When there is no room to take, the call is refused
// (ResourceExhausted). Callers behind one address (a NAT, a proxy, or all
// of loopback's 127.0.0.1) count as one host.
//
// Wire every piece into the server: Tap (grpc.InTapHandle) admits a call
// before grpc-go reads anything of it but its headers; the stats handler
// (grpc.StatsHandler(c)) ends a refused call at once; Unary and Stream (the
// interceptors, inside those that count calls) answer it, and mark the
// calls that run. A refusal so ends its call as soon as it is made: grpc-go
// 1.85 does not cancel the context of a call that the tap itself refuses,
// which holds its memory until the caller's deadline, however far.
type Calls struct {
	max     int
	timeout time.Duration
	grace   time.Duration
	refused *prometheus.CounterVec // by reason
	cutOff  prometheus.Counter     // calls cut off to make room
	now     func() time.Time

	mu     sync.Mutex
	calls  map[*flight]struct{}
	byHost map[string]int // calls in flight by host (see HostOf)
}

// The states of a call in flight.
const (
	callWaiting   int32 = iota // for its request
	callRunning                // a unary call whose request came whole: the service has it
	callStreaming              // a streaming call, which runs as long as its caller likes
	callCutOff                 // to make room for another
)

// flight is a call in flight, or refused.
type flight struct {
	host    string
	began   time.Time
	cancel  context.CancelCauseFunc
	refused bool         // no room: the stats handler ends it, the interceptors answer it
	state   atomic.Int32 // callWaiting, then callRunning, callStreaming or callCutOff
}

// Why a call ends early: the cause of its context's end.
var (
	errCutOff  = errors.New("cut off to make room for another call")
	errRefused = errors.New("too many calls in flight")
)

// NewCalls returns a limiter of max calls in flight, each for at most
// timeout, whose waiting calls have grace before their own host's
// newcomers may take their room. It counts the calls it refuses in refused,
// by reason, and those it cuts off in cutOff.
func NewCalls(max int, timeout, grace time.Duration, refused *prometheus.CounterVec, cutOff prometheus.Counter) *Calls {
	return &Calls{
		max: max, timeout: timeout, grace: grace, refused: refused, cutOff: cutOff, now: time.Now,
		calls: map[*flight]struct{}{}, byHost: map[string]int{},
	}
}

// flightKey is the context key of a call's *flight.
type flightKey struct{}

// Tap is the server's tap handle (grpc.InTapHandle): grpc-go calls it for
// each new call, before it reads anything of the call but its headers, and
// with its connection's lock held: it must not block. It refuses nothing
// itself (see Calls): it marks the call that finds no room, and the stats
// handler ends it.
func (c *Calls) Tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if !namesAMethod(info.FullMethodName) {
		// grpc-go refuses it (Unimplemented) before any handler,
		// interceptor or metric sees it: a metric labelled with every
		// name a caller makes up would grow without bound.
		c.refused.WithLabelValues(RefusedUnknownMethod).Inc()
		return ctx, nil
	}
	f := &flight{began: c.now()}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		f.host = HostOf(p.Addr)
	}
	callCtx, cancel := context.WithCancelCause(ctx)
	f.cancel = cancel
	callCtx = context.WithValue(callCtx, flightKey{}, f)

	c.mu.Lock()
	var taken *flight
	if len(c.calls) >= c.max {
		if taken = c.roomLocked(f); taken == nil {
			c.mu.Unlock()
			f.refused = true
			c.refused.WithLabelValues(RefusedMaxCalls).Inc()
			return callCtx, nil
		}
		c.removeLocked(taken)
	}
	c.calls[f] = struct{}{}
	c.byHost[f.host]++
	c.mu.Unlock()

	if taken != nil {
		taken.cancel(errCutOff)
		c.cutOff.Inc()
	}
	limited, cancelTimeout := context.WithTimeout(callCtx, c.timeout)
	context.AfterFunc(limited, func() {
		cancelTimeout()
		c.mu.Lock()
		c.removeLocked(f)
		c.mu.Unlock()
	})
	return limited, nil
}

// roomLocked finds a call whose room f may take, and marks it cut off; or
// returns nil. c.mu is held.
func (c *Calls) roomLocked(f *flight) *flight {
	hosts := make([]string, 0, len(c.byHost))
	for host := range c.byHost {
		hosts = append(hosts, host)
	}
	slices.SortFunc(hosts, func(a, b string) int { return c.byHost[b] - c.byHost[a] })
	for _, host := range hosts {
		heavier := c.byHost[host] > c.byHost[f.host]
		for {
			var oldest *flight
			for o := range c.calls {
				if o.host != host || !c.mayCut(o, f, heavier) {
					continue
				}
				if oldest == nil || o.began.Before(oldest.began) {
					oldest = o
				}
			}
			if oldest == nil {
				break // no room to take at this host
			}
			if state := oldest.state.Load(); oldest.state.CompareAndSwap(state, callCutOff) {
				return oldest
			}
			// It changed state meanwhile. Look again.
		}
	}
	return nil
}

// mayCut tells whether newcomer f may take the room of o, whose host holds
// more calls than f's if heavier.
func (c *Calls) mayCut(o, f *flight, heavier bool) bool {
	switch o.state.Load() {
	case callWaiting:
		return heavier || f.began.Sub(o.began) >= c.grace
	case callStreaming:
		return heavier
	default:
		return false
	}
}

// removeLocked frees f's room, if it still holds it; c.mu is held.
func (c *Calls) removeLocked(f *flight) {
	if _, ok := c.calls[f]; !ok {
		return
	}
	delete(c.calls, f)
	if c.byHost[f.host]--; c.byHost[f.host] == 0 {
		delete(c.byHost, f.host)
	}
}

// TagRPC ends a call that Tap found no room for: its context is cancelled,
// so that grpc-go reads nothing more of it, and the interceptors answer it.
// grpc-go calls it once the call is its own, with a goroutine of its own, and
// ends it as it ends any call, so that it holds nothing after.
func (c *Calls) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	if f, ok := ctx.Value(flightKey{}).(*flight); ok && f.refused {
		f.cancel(errRefused)
	}
	return ctx
}

// HandleRPC does nothing: the interceptors count the calls.
func (c *Calls) HandleRPC(context.Context, stats.RPCStats) {}

// TagConn returns ctx.
func (c *Calls) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

// HandleConn does nothing.
func (c *Calls) HandleConn(context.Context, stats.ConnStats) {}

var _ stats.Handler = (*Calls)(nil)

// start marks the call of ctx as state (callRunning or callStreaming), or
// returns its refusal if it was refused or cut off.
func start(ctx context.Context, state int32) error {
	f, ok := ctx.Value(flightKey{}).(*flight)
	switch {
	case !ok:
		return nil
	case f.refused:
		return status.Error(codes.ResourceExhausted, errRefused.Error())
	case f.state.CompareAndSwap(callWaiting, state), f.state.Load() == state:
		return nil
	default:
		return status.Error(codes.Canceled, errCutOff.Error())
	}
}

// Unary is a unary interceptor, to chain inside the interceptor that counts
// calls, so that the calls it refuses are counted: a call that reaches it
// has its request, and runs, unless it was refused or cut off first. (A
// generated handler reads the request before it calls the interceptors, and
// fails a refused call with Canceled unless, as addtransport's do, it hands
// the error on to them.)
func (c *Calls) Unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := start(ctx, callRunning); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// Stream is a stream interceptor, to chain inside the interceptor that
// counts calls: it answers a refused or cut-off call, and marks the others
// streaming, which a lighter host may cut off.
func (c *Calls) Stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := start(ss.Context(), callStreaming); err != nil {
		return err
	}
	return handler(srv, ss)
}

// UnknownMethod is the server's handler for the methods that no service
// serves (grpc.UnknownServiceHandler): it refuses them as grpc-go does,
// with Unimplemented, and counts them.
func (c *Calls) UnknownMethod(_ any, stream grpc.ServerStream) error {
	c.refused.WithLabelValues(RefusedUnknownMethod).Inc()
	method, _ := grpc.MethodFromServerStream(stream)
	return status.Errorf(codes.Unimplemented, "unknown method %s", Quote(method, 100))
}

// namesAMethod tells whether a call's method name has the shape
// "/service/method" that grpc-go needs to look it up.
func namesAMethod(name string) bool {
	return strings.Contains(strings.TrimPrefix(name, "/"), "/")
}

// ServedOnly passes on to next only the calls of methods that a service
// serves. grpc-go runs the stream interceptors for the others too (with no
// server), and a metric labelled with every method name a caller makes up
// would grow without bound; Calls.UnknownMethod counts those.
func ServedOnly(next grpc.StreamServerInterceptor) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if srv == nil {
			return handler(srv, ss)
		}
		return next(srv, ss, info, handler)
	}
}
