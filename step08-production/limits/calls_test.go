package limits

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// testCalls is a Calls limiter on a clock that the test moves.
type testCalls struct {
	*Calls
	refused *prometheus.CounterVec
	cutOff  prometheus.Counter
	clock   time.Time
}

func newTestCalls(max int, timeout, grace time.Duration) *testCalls {
	t := &testCalls{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "refused"}, []string{"reason"}),
		cutOff:  prometheus.NewCounter(prometheus.CounterOpts{Name: "cut_off"}),
		clock:   time.Unix(1e9, 0),
	}
	t.Calls = NewCalls(max, timeout, grace, t.refused, t.cutOff)
	t.now = func() time.Time { return t.clock }
	return t
}

// wait moves the clock on.
func (l *testCalls) wait(d time.Duration) { l.clock = l.clock.Add(d) }

// testCall is a call that a test passes through a limiter, as grpc-go does:
// its tap, then its stats handler.
type testCall struct {
	ctx context.Context // the call's context
}

// open starts a call of Sum from addr ("host:port").
func (l *testCalls) open(t *testing.T, addr string) *testCall {
	t.Helper()
	return l.openMethod(t, addr, "/addsvc.Add/Sum")
}

func (l *testCalls) openMethod(t *testing.T, addr, method string) *testCall {
	t.Helper()
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(peer.NewContext(context.Background(), &peer.Peer{Addr: tcp}))
	t.Cleanup(cancel)
	ctx, err = l.Tap(ctx, &tap.Info{FullMethodName: method})
	require.NoError(t, err, "the tap refuses nothing itself")
	return &testCall{ctx: l.TagRPC(ctx, nil)}
}

// run passes c through the limiter's unary interceptor, as a call whose
// request came whole, and returns what the interceptor answers.
func (c *testCall) run(l *testCalls) error {
	_, err := l.Unary(c.ctx, nil, &grpc.UnaryServerInfo{}, func(context.Context, any) (any, error) { return nil, nil })
	return err
}

// stream passes c through the limiter's stream interceptor, as a streaming
// call that runs until the test ends, and returns the interceptor's refusal,
// if any.
func (c *testCall) stream(t *testing.T, l *testCalls) error {
	started := make(chan error, 1)
	go func() {
		started <- l.Stream(nil, ctxStream{ctx: c.ctx}, &grpc.StreamServerInfo{}, func(any, grpc.ServerStream) error {
			started <- nil
			<-c.ctx.Done()
			return c.ctx.Err()
		})
	}()
	return <-started
}

// ctxStream is a grpc.ServerStream with a context only.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s ctxStream) Context() context.Context { return s.ctx }

func TestCallsRefusesCallsOverTheBoundWhenNoneMayBeCutOff(t *testing.T) {
	l := newTestCalls(2, time.Minute, time.Hour)
	first, second := l.open(t, "192.0.2.1:1"), l.open(t, "192.0.2.1:2")
	require.NoError(t, first.run(l))
	require.NoError(t, second.run(l))

	refused := l.open(t, "192.0.2.2:1")
	assert.ErrorIs(t, context.Cause(refused.ctx), errRefused, "its context ends at once")
	err := refused.run(l)
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	assert.Equal(t, "too many calls in flight", status.Convert(err).Message())
	assert.Equal(t, 1.0, testutil.ToFloat64(l.refused.WithLabelValues(RefusedMaxCalls)))
	assert.NoError(t, first.ctx.Err(), "a running call is never cut off")
}

func TestCallsFreesTheRoomOfACallThatEnds(t *testing.T) {
	l := newTestCalls(1, time.Minute, 0)
	ctx, cancel := context.WithCancel(peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}}))
	ctx, err := l.Tap(ctx, &tap.Info{FullMethodName: "/addsvc.Add/Sum"})
	require.NoError(t, err)
	require.NoError(t, (&testCall{ctx}).run(l))
	cancel() // the call ends
	assert.Eventually(t, func() bool { return l.open(t, "192.0.2.1:1").run(l) == nil }, time.Second, time.Millisecond,
		"the room of a call that ended")
}

func TestCallsCutsOffTheCallThatWaitedLongest(t *testing.T) {
	l := newTestCalls(3, time.Minute, 100*time.Millisecond)
	oldest := l.open(t, "192.0.2.1:1")
	l.wait(time.Second)
	older := l.open(t, "192.0.2.1:2")
	l.wait(time.Second)
	runs := l.open(t, "192.0.2.1:3")
	require.NoError(t, runs.run(l))
	l.wait(time.Second)

	// Over the bound, a call takes the room of the one that waited longest
	// for its request; a running call is never cut off.
	require.NoError(t, l.open(t, "192.0.2.1:4").ctx.Err())
	assert.ErrorIs(t, context.Cause(oldest.ctx), errCutOff)
	assert.NoError(t, older.ctx.Err())
	assert.NoError(t, runs.ctx.Err())
	assert.Equal(t, 1.0, testutil.ToFloat64(l.cutOff))

	// A call cut off is not run, even if its request comes after all.
	assert.Equal(t, codes.Canceled, status.Code(oldest.run(l)))
}

func TestCallsSparesItsOwnHostsCallsWithinTheirGrace(t *testing.T) {
	l := newTestCalls(2, time.Minute, 100*time.Millisecond)
	first := l.open(t, "192.0.2.1:1")
	l.wait(10 * time.Millisecond)
	second := l.open(t, "192.0.2.1:2")
	l.wait(40 * time.Millisecond)

	// Its host's calls have waited less than their grace: no room.
	assert.Equal(t, codes.ResourceExhausted, status.Code(l.open(t, "192.0.2.1:3").run(l)))
	assert.NoError(t, first.ctx.Err())

	// Once the first has waited it, its room goes to the newcomer.
	l.wait(60 * time.Millisecond)
	require.NoError(t, l.open(t, "192.0.2.1:3").run(l))
	assert.ErrorIs(t, context.Cause(first.ctx), errCutOff)
	assert.NoError(t, second.ctx.Err())
}

func TestCallsMakesRoomAtTheHostThatHoldsTheMost(t *testing.T) {
	l := newTestCalls(4, time.Minute, time.Hour)
	var flood []*testCall
	for _, addr := range []string{"192.0.2.66:1", "192.0.2.66:2", "192.0.2.66:3"} {
		flood = append(flood, l.open(t, addr))
		l.wait(time.Millisecond)
	}
	honest := l.open(t, "192.0.2.1:1")

	// However young its calls, the host that holds the most makes room for
	// another host's: the oldest of its waiting calls.
	newcomer := l.open(t, "192.0.2.2:1")
	require.NoError(t, newcomer.run(l))
	assert.ErrorIs(t, context.Cause(flood[0].ctx), errCutOff)
	assert.NoError(t, honest.ctx.Err())

	// Its own new calls find no room: its calls are within their grace.
	assert.Equal(t, codes.ResourceExhausted, status.Code(l.open(t, "192.0.2.66:4").run(l)))
	assert.NoError(t, flood[1].ctx.Err())
}

// TestNoHostUsesUpTheCallsThatAllShare is the regression test of a host
// that held the server's every call with server-reflection streams, which
// run as long as their caller likes: every other host was refused.
func TestNoHostUsesUpTheCallsThatAllShare(t *testing.T) {
	l := newTestCalls(4, time.Minute, 0)
	var streams []*testCall
	for port := range 4 {
		c := l.open(t, "192.0.2.66:"+string(rune('1'+port)))
		require.NoError(t, c.stream(t, l))
		streams = append(streams, c)
		l.wait(time.Millisecond)
	}

	// Another host's call takes the room of the oldest stream...
	honest := l.open(t, "192.0.2.1:1")
	require.NoError(t, honest.run(l))
	assert.ErrorIs(t, context.Cause(streams[0].ctx), errCutOff)
	assert.Equal(t, 1.0, testutil.ToFloat64(l.cutOff))
	// ...and a stream of its own, the next oldest stream's.
	require.NoError(t, l.open(t, "192.0.2.1:2").stream(t, l))
	assert.ErrorIs(t, context.Cause(streams[1].ctx), errCutOff)

	// The streaming host can't take them back, nor cut its own.
	assert.Equal(t, codes.ResourceExhausted, status.Code(l.open(t, "192.0.2.66:9").stream(t, l)))
	assert.NoError(t, streams[2].ctx.Err())
	assert.NoError(t, honest.ctx.Err())
}

func TestCallsGivesACallAtMostItsTimeout(t *testing.T) {
	l := newTestCalls(1, 50*time.Millisecond, 0)
	c := l.open(t, "192.0.2.1:1")
	select {
	case <-c.ctx.Done():
		assert.ErrorIs(t, c.ctx.Err(), context.DeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("the call outlived its timeout")
	}
	// Its room is free again.
	assert.Eventually(t, func() bool { return l.open(t, "192.0.2.2:1").run(l) == nil }, time.Second, time.Millisecond)
}

func TestCallsCountsAMethodNameWithoutAMethod(t *testing.T) {
	l := newTestCalls(10, time.Minute, 0)
	for _, name := range []string{"", "x", "/x"} {
		c := l.openMethod(t, "192.0.2.1:1", name)
		assert.NoError(t, c.run(l), "%q: grpc-go refuses it", name)
	}
	assert.Equal(t, 3.0, testutil.ToFloat64(l.refused.WithLabelValues(RefusedUnknownMethod)))
}

// TestARefusedCallHoldsNothing is the regression test of calls refused by
// the tap: grpc-go 1.85 does not end the context of a call that its tap
// handle refuses, which kept each refused call's memory (its context, in
// its connection's, and its timer) until the deadline that its caller
// chose, an hour here: 10 s of refused calls took a server from 16 to
// 387 MB.
func TestARefusedCallHoldsNothing(t *testing.T) {
	c := NewCalls(1, time.Hour, time.Hour,
		prometheus.NewCounterVec(prometheus.CounterOpts{Name: "refused"}, []string{"reason"}),
		prometheus.NewCounter(prometheus.CounterOpts{Name: "cut_off"}))
	// The contexts that grpc-go gives the tap for Check: the calls' own.
	var (
		mu     sync.Mutex
		checks []context.Context
	)
	record := func(ctx context.Context, info *tap.Info) (context.Context, error) {
		if info.FullMethodName == healthpb.Health_Check_FullMethodName {
			mu.Lock()
			checks = append(checks, ctx)
			mu.Unlock()
		}
		return c.Tap(ctx, info)
	}
	srv := grpc.NewServer(grpc.InTapHandle(record), grpc.StatsHandler(c),
		grpc.ChainUnaryInterceptor(c.Unary), grpc.ChainStreamInterceptor(c.Stream))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	defer srv.Stop()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	// A stream holds the one call there is room for.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	_, err = watch.Recv()
	require.NoError(t, err)

	const n = 50
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel() // after the check below: the caller does not go away
		begin := time.Now()
		_, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		assert.Contains(t, []codes.Code{codes.ResourceExhausted, codes.Canceled}, status.Code(err), "%v", err)
		assert.Less(t, time.Since(begin), 2*time.Second, "refused at once, not at its deadline")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, checks, n)
	for i, ctx := range checks {
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
			t.Fatalf("refused call %d still holds its context, until its caller's deadline", i)
		}
	}
}
