package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// testLimiter is a callLimiter on a clock that the test moves.
type testLimiter struct {
	*callLimiter
	refused *prometheus.CounterVec
	cutOff  prometheus.Counter
	clock   time.Time
}

func newTestLimiter(max, perConn int, timeout, grace time.Duration) *testLimiter {
	t := &testLimiter{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "refused"}, []string{"reason"}),
		cutOff:  prometheus.NewCounter(prometheus.CounterOpts{Name: "cut_off"}),
		clock:   time.Unix(1e9, 0),
	}
	t.callLimiter = newCallLimiter(max, perConn, timeout, grace, t.refused, t.cutOff)
	t.now = func() time.Time { return t.clock }
	return t
}

// wait moves the clock on.
func (l *testLimiter) wait(d time.Duration) { l.clock = l.clock.Add(d) }

// limiterCall is a call that a test passes through a callLimiter's tap.
type limiterCall struct {
	ctx context.Context // the call's context, as the tap returned it
	err error           // the tap's refusal
}

// open starts a call of Sum from addr ("host:port"; the port tells
// connections apart).
func (l *testLimiter) open(t *testing.T, addr string) *limiterCall {
	t.Helper()
	return l.openMethod(t, addr, "/addsvc.Add/Sum")
}

func (l *testLimiter) openMethod(t *testing.T, addr, method string) *limiterCall {
	t.Helper()
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(peer.NewContext(context.Background(), &peer.Peer{Addr: tcp}))
	t.Cleanup(cancel)
	c := &limiterCall{}
	c.ctx, c.err = l.tap(ctx, &tap.Info{FullMethodName: method})
	return c
}

// run passes c through the limiter's unary interceptor, as a call whose
// request came whole, and returns what the interceptor answers.
func (c *limiterCall) run(l *testLimiter) error {
	_, err := l.running(c.ctx, nil, &grpc.UnaryServerInfo{}, func(context.Context, any) (any, error) { return nil, nil })
	return err
}

func TestCallLimiterRefusesCallsOverTheConnectionsBound(t *testing.T) {
	l := newTestLimiter(10, 2, time.Minute, 0)
	first := l.open(t, "192.0.2.1:1")
	require.NoError(t, first.err)
	require.NoError(t, l.open(t, "192.0.2.1:1").err)
	third := l.open(t, "192.0.2.1:1")
	assert.Equal(t, codes.ResourceExhausted, status.Code(third.err))
	assert.Equal(t, "too many calls in flight on this connection", status.Convert(third.err).Message())
	assert.NoError(t, l.open(t, "192.0.2.1:2").err, "another connection has room")
	assert.Equal(t, 1.0, testutil.ToFloat64(l.refused.WithLabelValues(refusedMaxStreams)))
}

func TestCallLimiterFreesTheRoomOfACallThatEnds(t *testing.T) {
	l := newTestLimiter(1, 1, time.Minute, 0)
	ctx, cancel := context.WithCancel(peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}}))
	_, err := l.tap(ctx, &tap.Info{FullMethodName: "/addsvc.Add/Sum"})
	require.NoError(t, err)
	cancel() // the call ends
	assert.Eventually(t, func() bool { return l.open(t, "192.0.2.1:1").err == nil }, time.Second, time.Millisecond,
		"the room of a call that ended, on its connection and in all")
}

func TestCallLimiterCutsOffTheCallThatWaitedLongest(t *testing.T) {
	l := newTestLimiter(3, 3, time.Minute, 100*time.Millisecond)
	oldest := l.open(t, "192.0.2.1:1")
	l.wait(time.Second)
	older := l.open(t, "192.0.2.1:2")
	l.wait(time.Second)
	runs := l.open(t, "192.0.2.1:3")
	require.NoError(t, runs.run(l))
	l.wait(time.Second)

	// Over the bound, a call takes the room of the one that waited longest
	// for its request; a running call is never cut off.
	require.NoError(t, l.open(t, "192.0.2.1:4").err)
	assert.ErrorIs(t, context.Cause(oldest.ctx), errCutOff)
	assert.NoError(t, older.ctx.Err())
	assert.NoError(t, runs.ctx.Err())
	assert.Equal(t, 1.0, testutil.ToFloat64(l.cutOff))

	// A call cut off is not run, even if its request comes after all.
	assert.Equal(t, codes.Canceled, status.Code(oldest.run(l)))

	// When every call runs, there is no room to take.
	l.mu.Lock()
	for f := range l.calls {
		f.state.CompareAndSwap(callWaiting, callRunning)
	}
	l.mu.Unlock()
	l.wait(time.Second)
	refused := l.open(t, "192.0.2.2:1")
	assert.Equal(t, codes.ResourceExhausted, status.Code(refused.err))
	assert.Equal(t, "too many calls in flight", status.Convert(refused.err).Message())
	assert.Equal(t, 1.0, testutil.ToFloat64(l.refused.WithLabelValues(refusedMaxCalls)))
	assert.NoError(t, runs.ctx.Err())
}

func TestCallLimiterSparesItsOwnHostsCallsWithinTheirGrace(t *testing.T) {
	l := newTestLimiter(2, 2, time.Minute, 100*time.Millisecond)
	first := l.open(t, "192.0.2.1:1")
	l.wait(10 * time.Millisecond)
	second := l.open(t, "192.0.2.1:2")
	l.wait(40 * time.Millisecond)

	// Its host's calls have waited less than their grace: no room.
	assert.Equal(t, codes.ResourceExhausted, status.Code(l.open(t, "192.0.2.1:3").err))
	assert.NoError(t, first.ctx.Err())

	// Once the first has waited it, its room goes to the newcomer.
	l.wait(60 * time.Millisecond)
	require.NoError(t, l.open(t, "192.0.2.1:3").err)
	assert.ErrorIs(t, context.Cause(first.ctx), errCutOff)
	assert.NoError(t, second.ctx.Err())
}

func TestCallLimiterMakesRoomAtTheHostThatHoldsTheMost(t *testing.T) {
	l := newTestLimiter(4, 10, time.Minute, time.Hour)
	var flood []*limiterCall
	for _, addr := range []string{"192.0.2.66:1", "192.0.2.66:2", "192.0.2.66:3"} {
		flood = append(flood, l.open(t, addr))
		l.wait(time.Millisecond)
	}
	honest := l.open(t, "192.0.2.1:1")
	for _, c := range append(flood, honest) {
		require.NoError(t, c.err)
	}

	// However young its calls, the host that holds the most makes room for
	// another host's: the oldest of its waiting calls.
	newcomer := l.open(t, "192.0.2.2:1")
	require.NoError(t, newcomer.err)
	assert.ErrorIs(t, context.Cause(flood[0].ctx), errCutOff)
	assert.NoError(t, honest.ctx.Err())

	// Its own new calls find no room: its calls are within their grace.
	assert.Equal(t, codes.ResourceExhausted, status.Code(l.open(t, "192.0.2.66:4").err))
	assert.NoError(t, flood[1].ctx.Err())

	// An IPv6 host is its /64.
	assert.Equal(t, hostOf(&net.TCPAddr{IP: net.ParseIP("2001:db8::1")}), hostOf(&net.TCPAddr{IP: net.ParseIP("2001:db8::ffff:2")}))
	assert.NotEqual(t, hostOf(&net.TCPAddr{IP: net.ParseIP("2001:db8::1")}), hostOf(&net.TCPAddr{IP: net.ParseIP("2001:db8:0:1::1")}))
}

func TestCallLimiterGivesACallAtMostItsTimeout(t *testing.T) {
	l := newTestLimiter(1, 1, 50*time.Millisecond, 0)
	c := l.open(t, "192.0.2.1:1")
	require.NoError(t, c.err)
	select {
	case <-c.ctx.Done():
		assert.ErrorIs(t, c.ctx.Err(), context.DeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("the call outlived its timeout")
	}
	// Its room is free again, on its connection and in all.
	assert.Eventually(t, func() bool { return l.open(t, "192.0.2.1:1").err == nil }, time.Second, time.Millisecond)
}

func TestCallLimiterRefusesAMethodNameWithoutAMethod(t *testing.T) {
	l := newTestLimiter(10, 10, time.Minute, 0)
	for _, name := range []string{"", "x", "/x"} {
		c := l.openMethod(t, "192.0.2.1:1", name)
		assert.Equal(t, codes.Unimplemented, status.Code(c.err), "%q", name)
	}
	assert.NoError(t, l.openMethod(t, "192.0.2.1:1", "/made.Up/Method").err, "a name of the right shape is for UnknownServiceHandler")
	assert.Equal(t, 3.0, testutil.ToFloat64(l.refused.WithLabelValues(refusedUnknownMethod)))
}

// recvStream is a grpc.ServerStream whose RecvMsg returns err.
type recvStream struct {
	grpc.ServerStream
	ctx context.Context
	err error
}

func (s recvStream) Context() context.Context { return s.ctx }
func (s recvStream) RecvMsg(any) error        { return s.err }

func TestCallLimiterRunsAStreamingCallAtItsFirstMessage(t *testing.T) {
	l := newTestLimiter(1, 1, time.Minute, 0)
	c := l.open(t, "192.0.2.1:1")
	require.NoError(t, c.err)
	err := l.runningStream(nil, recvStream{ctx: c.ctx}, &grpc.StreamServerInfo{}, func(_ any, ss grpc.ServerStream) error {
		return ss.RecvMsg(nil)
	})
	require.NoError(t, err)

	// Running, it is never cut off: a newcomer finds no room.
	assert.Equal(t, codes.ResourceExhausted, status.Code(l.open(t, "192.0.2.2:1").err))
	assert.NoError(t, c.ctx.Err())
}
