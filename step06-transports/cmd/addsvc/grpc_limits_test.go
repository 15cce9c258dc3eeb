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

// limiterCall is a call that a test passes through a callLimiter's tap.
type limiterCall struct {
	ctx    context.Context // the call's context, as the tap returned it
	err    error           // the tap's refusal
	cancel context.CancelFunc
}

// open starts a call on connection conn (a peer's port).
func open(t *testing.T, l *callLimiter, conn int) *limiterCall {
	t.Helper()
	ctx, cancel := context.WithCancel(peer.NewContext(context.Background(), &peer.Peer{
		Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: conn},
	}))
	t.Cleanup(cancel)
	c := &limiterCall{cancel: cancel}
	c.ctx, c.err = l.tap(ctx, &tap.Info{FullMethodName: "/addsvc.Add/Sum"})
	return c
}

// run passes c through the limiter's interceptor, as a call whose request
// came whole.
func (c *limiterCall) run(t *testing.T, l *callLimiter) {
	t.Helper()
	_, err := l.running(c.ctx, nil, &grpc.UnaryServerInfo{}, func(context.Context, any) (any, error) { return nil, nil })
	require.NoError(t, err)
}

func newTestLimiter(max, perConn int, timeout, grace time.Duration) (*callLimiter, *prometheus.CounterVec, *int) {
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "refused"}, []string{"reason"})
	cutOff := new(int)
	return newCallLimiter(max, perConn, timeout, grace, refused, func() { *cutOff++ }), refused, cutOff
}

func TestCallLimiterRefusesCallsOverTheConnectionsBound(t *testing.T) {
	l, refused, _ := newTestLimiter(10, 2, time.Minute, 0)
	a, b := open(t, l, 1), open(t, l, 1)
	require.NoError(t, a.err)
	require.NoError(t, b.err)
	third := open(t, l, 1)
	assert.Equal(t, codes.ResourceExhausted, status.Code(third.err))
	assert.Equal(t, "too many calls in flight on this connection", status.Convert(third.err).Message())
	assert.NoError(t, open(t, l, 2).err, "another connection has room")
	assert.Equal(t, 1.0, testutil.ToFloat64(refused.WithLabelValues(refusedMaxStreams)))

	// A call that ends frees its room.
	a.cancel()
	assert.Eventually(t, func() bool { return open(t, l, 1).err == nil }, time.Second, time.Millisecond)
}

func TestCallLimiterCutsOffTheCallThatWaitedLongest(t *testing.T) {
	l, refused, cutOff := newTestLimiter(3, 3, time.Minute, 0)
	oldest, older, running := open(t, l, 1), open(t, l, 2), open(t, l, 3)
	running.run(t, l)
	time.Sleep(time.Millisecond)

	// Over the bound, a call takes the room of the one that waited longest
	// for its request; a running call is never cut off.
	newest := open(t, l, 4)
	require.NoError(t, newest.err)
	assert.ErrorIs(t, context.Cause(oldest.ctx), errCutOff)
	assert.NoError(t, older.ctx.Err())
	assert.NoError(t, running.ctx.Err())
	assert.Equal(t, 1, *cutOff)

	require.NoError(t, open(t, l, 5).err)
	assert.ErrorIs(t, context.Cause(older.ctx), errCutOff)
	assert.NoError(t, newest.ctx.Err())

	// When every call in flight runs, a new one is refused.
	newest.run(t, l)
	l.mu.Lock()
	for f := range l.calls {
		f.running.Store(true)
	}
	l.mu.Unlock()
	refusedCall := open(t, l, 6)
	assert.Equal(t, codes.ResourceExhausted, status.Code(refusedCall.err))
	assert.Equal(t, "too many calls in flight", status.Convert(refusedCall.err).Message())
	assert.Equal(t, 1.0, testutil.ToFloat64(refused.WithLabelValues(refusedMaxCalls)))
	assert.Equal(t, 2, *cutOff)
	assert.NoError(t, running.ctx.Err())
}

func TestCallLimiterGivesACallAtMostItsTimeout(t *testing.T) {
	l, _, _ := newTestLimiter(1, 1, 50*time.Millisecond, 0)
	c := open(t, l, 1)
	require.NoError(t, c.err)
	select {
	case <-c.ctx.Done():
		assert.ErrorIs(t, c.ctx.Err(), context.DeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("the call outlived its timeout")
	}
	// Its room is free again, on its connection and in all.
	assert.Eventually(t, func() bool { return open(t, l, 1).err == nil }, time.Second, time.Millisecond)
}

func TestCallLimiterCutsOffOnlyCallsThatWaitedTheirGrace(t *testing.T) {
	const grace = 200 * time.Millisecond
	l, refused, cutOff := newTestLimiter(1, 2, time.Minute, grace)
	waiting := open(t, l, 1)
	require.NoError(t, waiting.err)

	// Within its grace, the waiting call keeps its room.
	early := open(t, l, 2)
	assert.Equal(t, codes.ResourceExhausted, status.Code(early.err))
	assert.Equal(t, 1.0, testutil.ToFloat64(refused.WithLabelValues(refusedMaxCalls)))
	assert.NoError(t, waiting.ctx.Err())

	// After it, the room goes to a new call.
	time.Sleep(grace)
	late := open(t, l, 2)
	require.NoError(t, late.err)
	assert.ErrorIs(t, context.Cause(waiting.ctx), errCutOff)
	assert.Equal(t, 1, *cutOff)
}
