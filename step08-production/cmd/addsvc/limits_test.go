package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/gokit-workshop/workshop/step08-production/addtransport"
	"github.com/gokit-workshop/workshop/step08-production/pb"
)

// testLimits are the servers' limits for tests that do not test them.
var testLimits = serverLimits{
	maxConns:         100,
	maxStreams:       100,
	maxCalls:         100,
	idleTimeout:      time.Minute,
	handshakeTimeout: 5 * time.Second,
	pingInterval:     30 * time.Second,
	pingTimeout:      10 * time.Second,
	callTimeout:      10 * time.Second,
	shutdownTimeout:  5 * time.Second,
}

func TestDefaultMaxConnsStaysBelowTheFileLimit(t *testing.T) {
	tests := []struct {
		limit uint64
		ok    bool
		want  int
	}{
		{0, false, defaultMaxConns}, // Windows: no limit to read
		{1 << 20, true, defaultMaxConns},
		{20000, true, defaultMaxConns},
		{2*defaultMaxConns + reservedFiles, true, defaultMaxConns},
		{1024, true, defaultMaxConns},
		{512, true, (512 - reservedFiles) / 2},
		{256, true, (256 - reservedFiles) / 2}, // macOS's default
		{reservedFiles, true, 1},
	}
	for _, tt := range tests {
		got := defaultMaxConnsFor(tt.limit, tt.ok)
		assert.Equal(t, tt.want, got, "limit %d", tt.limit)
		if tt.ok {
			assert.Less(t, uint64(2*got), max(tt.limit, 2*1+1), "both listeners' connections fit below %d", tt.limit)
		}
	}
}

func TestParseFlagsSetsTheLimits(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, defaultMaxConnsFor(openFileLimit()), cfg.server.maxConns, "-max-conns 0: below the file limit")
	assert.Equal(t, serverLimits{
		maxConns: cfg.server.maxConns, maxStreams: defaultMaxStreams, maxCalls: defaultMaxCalls, idleTimeout: defaultIdleTimeout,
		handshakeTimeout: handshakeTimeout, pingInterval: pingInterval, pingTimeout: pingTimeout, callTimeout: callTimeout,
		callGrace: callGrace, shutdownTimeout: shutdownTimeout,
	}, cfg.server)

	cfg, err = parseFlags([]string{"-max-conns", "7", "-grpc-max-streams", "8", "-grpc-max-calls", "9", "-idle-timeout", "10s"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 7, cfg.server.maxConns)
	assert.Equal(t, 8, cfg.server.maxStreams)
	assert.Equal(t, 9, cfg.server.maxCalls)
	assert.Equal(t, 10*time.Second, cfg.server.idleTimeout)
}

func TestRunRefusesLimitsThatRefuseEverything(t *testing.T) {
	for _, args := range [][]string{{"-max-conns", "-1"}, {"-grpc-max-streams", "0"}, {"-grpc-max-calls", "-1"}, {"-idle-timeout", "0s"}} {
		r := startRun(t, args...)
		err := r.stop(t)
		require.Error(t, err, "%v", args)
		assert.Contains(t, err.Error(), "must be above 0", "%v", args)
	}
}

// h2Conn is a raw HTTP/2 connection to a gRPC server, such as an attacker
// holds: it sends frames by hand, and only what the test says.
type h2Conn struct {
	net.Conn
	fr *http2.Framer
}

// dialH2 opens a connection to addr and, if preface, sends the HTTP/2
// preface and its SETTINGS, as a gRPC client does first.
func dialH2(t *testing.T, addr string, preface bool) *h2Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := &h2Conn{Conn: conn, fr: http2.NewFramer(conn, conn)}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if preface {
		_, err = io.WriteString(conn, http2.ClientPreface)
		require.NoError(t, err)
		require.NoError(t, c.fr.WriteSettings())
	}
	return c
}

// openStream starts a call of method on stream id, and sends no request:
// the stream stays open, waiting for it.
func (c *h2Conn) openStream(t *testing.T, id uint32, method string) {
	t.Helper()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"}, {Name: ":path", Value: method},
		{Name: ":authority", Value: "addsvc"}, {Name: "content-type", Value: "application/grpc"}, {Name: "te", Value: "trailers"},
	} {
		require.NoError(t, enc.WriteField(f))
	}
	require.NoError(t, c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block.Bytes(), EndHeaders: true}))
}

// refusals reads frames for at most d, or until want refusals came, and
// returns how many streams were refused for each reason: RST_STREAM
// REFUSED_STREAM ("refused stream"), or a gRPC status that ends the stream
// at once (its code, as "ResourceExhausted").
func (c *h2Conn) refusals(t *testing.T, want int, d time.Duration) map[string]int {
	t.Helper()
	got := map[string]int{}
	total := 0
	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	defer c.SetReadDeadline(time.Time{})
	for total < want {
		f, err := c.fr.ReadFrame()
		if err != nil {
			break // the deadline, or the server closed the connection
		}
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if f.ErrCode == http2.ErrCodeRefusedStream {
				got["refused stream"]++
				total++
			}
		case *http2.MetaHeadersFrame:
			if code := f.PseudoValue("status"); code != "" || f.StreamEnded() {
				for _, hf := range f.RegularFields() {
					if hf.Name == "grpc-status" {
						n, err := strconv.Atoi(hf.Value)
						require.NoError(t, err)
						got[codes.Code(n).String()]++
						total++
					}
				}
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				require.NoError(t, c.fr.WriteSettingsAck())
			}
		}
	}
	return got
}

func TestGRPCBoundsTheCallsInFlight(t *testing.T) {
	r := startConfig(t, func(cfg *config) { cfg.server.maxStreams = 3; cfg.server.maxCalls = 5; cfg.server.callGrace = 0 })
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)

	// One connection holds 3 calls open, without their requests: grpc-go
	// refuses the 7 more that it opens.
	first := dialH2(t, r.grpcAddr, true)
	for i := range 10 {
		first.openStream(t, uint32(2*i+1), pb.Add_Sum_FullMethodName)
	}
	assert.Equal(t, map[string]int{"refused stream": 7}, first.refusals(t, 7, 5*time.Second))

	// A second connection holds 2 more, and 5 calls are in flight. Its third
	// call takes the room of the call that has waited longest for its
	// request, the first connection's first.
	second := dialH2(t, r.grpcAddr, true)
	for i := range 3 {
		second.openStream(t, uint32(2*i+1), pb.Add_Sum_FullMethodName)
	}
	assert.Equal(t, map[string]int{"Canceled": 1}, first.refusals(t, 1, 5*time.Second))

	// So a new caller is served at once, though 5 calls are held open.
	begin := time.Now()
	_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
	require.NoError(t, err)
	assert.Less(t, time.Since(begin), time.Second)
	assert.Equal(t, map[string]int{"Canceled": 1}, first.refusals(t, 1, 5*time.Second), "the next call to wait longest")

	_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	for series, want := range map[string]string{
		`addsvc_grpc_calls_refused_total{reason="max_calls"}`: "0",
		`addsvc_grpc_calls_cut_off_total`:                     "2",
		`grpc_server_handled_total{grpc_code="Canceled",grpc_method="Sum",grpc_service="addsvc.Add",grpc_type="unary"}`: "2",
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Sum",grpc_service="addsvc.Add",grpc_type="unary"}`:       "1",
	} {
		assert.Equal(t, want, metricValue(metrics, series), series)
	}
	first.Close()
	second.Close()
	require.NoError(t, r.stop(t))
}

func TestGRPCRefusesAtOnceACallThatFindsNoRoom(t *testing.T) {
	r := startConfig(t, func(cfg *config) { cfg.server.maxCalls = 1 })
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	// A stream holds the one call there is room for; its host's own calls
	// can't cut it off.
	conn := dialGRPC(t, r.grpcAddr)
	streamCtx, stopStream := context.WithCancel(context.Background())
	defer stopStream()
	held, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(streamCtx)
	require.NoError(t, err)
	require.NoError(t, held.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}))
	_, err = held.Recv()
	require.NoError(t, err)

	// However far its deadline, a call refused ends at once, and is
	// counted.
	client := pb.NewAddClient(conn)
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		begin := time.Now()
		_, err := client.Sum(ctx, &pb.SumRequest{A: 1, B: 2})
		assert.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)
		assert.Equal(t, "too many calls in flight", status.Convert(err).Message())
		assert.Less(t, time.Since(begin), time.Second)
	}
	_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, "3", metricValue(metrics, `addsvc_grpc_calls_refused_total{reason="max_calls"}`))
	assert.Equal(t, "3", metricValue(metrics, `grpc_server_handled_total{grpc_code="ResourceExhausted",grpc_method="Sum",grpc_service="addsvc.Add",grpc_type="unary"}`))
	stopStream()
	require.NoError(t, r.stop(t))
}

// dialGRPCFrom returns a client connection to addr from the loopback
// address from, as another host; it skips the test where the system has no
// such address (macOS has 127.0.0.1 only; Linux has all of 127/8).
func dialGRPCFrom(t *testing.T, from, addr string) *grpc.ClientConn {
	t.Helper()
	local := &net.TCPAddr{IP: net.ParseIP(from)}
	if ln, err := net.ListenTCP("tcp", local); err != nil {
		t.Skipf("no loopback address %s to call from: %v", from, err)
	} else {
		ln.Close()
	}
	dialer := &net.Dialer{LocalAddr: local}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		}))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestReflectionStreamsLockOutNoOtherHost is the regression test of a host
// that held every gRPC call the server allows with server-reflection
// streams, which run as long as their caller likes: every other host was
// refused, "too many calls in flight".
func TestReflectionStreamsLockOutNoOtherHost(t *testing.T) {
	r := startConfig(t, func(cfg *config) { cfg.server.maxCalls = 4 })
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	attacker := reflectionpb.NewServerReflectionClient(dialGRPCFrom(t, "127.0.0.2", r.grpcAddr))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var streams []reflectionpb.ServerReflection_ServerReflectionInfoClient
	for range 4 {
		stream, err := attacker.ServerReflectionInfo(ctx)
		require.NoError(t, err)
		require.NoError(t, stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}))
		_, err = stream.Recv()
		require.NoError(t, err)
		streams = append(streams, stream)
	}

	// Another host is served at once: the oldest stream makes room.
	begin := time.Now()
	_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
	require.NoError(t, err)
	assert.Less(t, time.Since(begin), time.Second)
	_, err = streams[0].Recv()
	assert.Equal(t, codes.Canceled, status.Code(err), "%v", err)
	_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, "1", metricValue(metrics, `addsvc_grpc_calls_cut_off_total`))
	cancel()
	require.NoError(t, r.stop(t))
}

func TestGRPCCountsCallsOfUnknownMethods(t *testing.T) {
	r := startConfig(t, func(*config) {})
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	conn := dialGRPC(t, r.grpcAddr)
	for _, method := range []string{"/addsvc.Add/Multiply", "/made.Up/Method"} {
		err := conn.Invoke(context.Background(), method, &pb.SumRequest{}, &pb.SumReply{})
		assert.Equal(t, codes.Unimplemented, status.Code(err), "%s: %v", method, err)
	}
	_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, "2", metricValue(metrics, `addsvc_grpc_calls_refused_total{reason="unknown_method"}`))
	// Not one series per name that a caller makes up.
	assert.NotContains(t, metrics, "Multiply")
	assert.NotContains(t, metrics, "made.Up")
	require.NoError(t, r.stop(t))
}

func TestGRPCCutsOffCallsHeldOpenPastTheCallTimeout(t *testing.T) {
	r := startConfig(t, func(cfg *config) { cfg.server.callTimeout = 300 * time.Millisecond })
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)

	// A call whose request never comes ends with DeadlineExceeded, and is
	// counted.
	held := dialH2(t, r.grpcAddr, true)
	held.openStream(t, 1, pb.Add_Sum_FullMethodName)
	assert.Equal(t, map[string]int{"DeadlineExceeded": 1}, held.refusals(t, 1, 5*time.Second))
	_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, "1", metricValue(metrics, `grpc_server_handled_total{grpc_code="DeadlineExceeded",grpc_method="Sum",grpc_service="addsvc.Add",grpc_type="unary"}`))

	// A call that comes whole is not hurried.
	_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
	require.NoError(t, err)
	held.Close() // else the graceful stop waits for it to answer its GOAWAY
	require.NoError(t, r.stop(t))
}

// closedWithin tells whether the server closes c within d, reading and
// dropping whatever it sends first.
func closedWithin(c net.Conn, d time.Duration) bool {
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return false
	}
	_, err := io.Copy(io.Discard, c)
	var netErr net.Error
	return !(errors.As(err, &netErr) && netErr.Timeout())
}

// closedWithinAnswering is closedWithin for a client that answers the
// server's pings, as a live but idle gRPC client does.
func (c *h2Conn) closedWithinAnswering(d time.Duration) bool {
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return false
	}
	for {
		f, err := c.fr.ReadFrame()
		var netErr net.Error
		switch {
		case errors.As(err, &netErr) && netErr.Timeout():
			return false
		case err != nil:
			return true
		}
		if p, ok := f.(*http2.PingFrame); ok && !p.IsAck() {
			_ = c.fr.WritePing(true, p.Data)
		}
	}
}

func TestSilentAndIdleConnectionsAreClosed(t *testing.T) {
	r := startConfig(t, func(cfg *config) {
		cfg.server.handshakeTimeout = 200 * time.Millisecond
		cfg.server.idleTimeout = 1500 * time.Millisecond
		cfg.server.pingInterval = time.Second // grpc-go's least
		cfg.server.pingTimeout = 200 * time.Millisecond
	})
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)

	idleGRPC := dialH2(t, r.grpcAddr, true)    // a client with no calls to make
	silentGRPC := dialH2(t, r.grpcAddr, false) // connects, then says nothing
	prefaceOnly := dialH2(t, r.grpcAddr, true) // the HTTP/2 preface, then deaf
	silentHTTP, err := net.DialTimeout("tcp", r.addr, time.Second)
	require.NoError(t, err)
	defer silentHTTP.Close()
	idleHTTP, err := net.DialTimeout("tcp", r.addr, time.Second)
	require.NoError(t, err)
	defer idleHTTP.Close()
	_, err = io.WriteString(idleHTTP, "POST /sum HTTP/1.1\r\nHost: addsvc\r\nContent-Length: 13\r\n\r\n{\"a\":1,\"b\":2}")
	require.NoError(t, err) // answered, then kept alive, idle

	// Each is closed: the silent ones after the handshake timeout, the idle
	// ones after the idle timeout, the deaf one when it answers no ping.
	var wg sync.WaitGroup
	wg.Go(func() { assert.True(t, idleGRPC.closedWithinAnswering(5*time.Second), "gRPC, idle: still open") })
	for name, c := range map[string]net.Conn{
		"gRPC, silent": silentGRPC, "gRPC, deaf after the preface": prefaceOnly,
		"HTTP, silent": silentHTTP, "HTTP, idle after a request": idleHTTP,
	} {
		wg.Go(func() { assert.True(t, closedWithin(c, 5*time.Second), "%s: still open", name) })
	}
	wg.Wait()
	require.NoError(t, r.stop(t))
}

func TestAConnectionFloodLocksOutNoNewCaller(t *testing.T) {
	r := startConfig(t, func(cfg *config) { cfg.server.maxConns = 3 })
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)

	// Ten idle connections to gRPC, and ten silent ones to HTTP: each is
	// accepted, and takes the room of the quietest; 3 stay open on each.
	flood := make([]*h2Conn, 10)
	for i := range flood {
		flood[i] = dialH2(t, r.grpcAddr, true)
	}
	httpFlood := make([]net.Conn, 10)
	for i := range httpFlood {
		c, err := net.DialTimeout("tcp", r.addr, time.Second)
		require.NoError(t, err)
		defer c.Close()
		httpFlood[i] = c
	}
	require.Eventually(t, func() bool {
		return closedCount(httpFlood) == 7
	}, 5*time.Second, 10*time.Millisecond, "HTTP connections closed to make room")
	require.Eventually(t, func() bool {
		_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
		return metricValue(metrics, `addsvc_connections_evicted_total{listener="grpc"}`) == "7"
	}, 5*time.Second, 10*time.Millisecond, "gRPC connections closed to make room")

	// A new caller on either listener is served at once.
	for name, serve := range map[string]func() error{
		"gRPC": func() error {
			_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
			return err
		},
		"HTTP": func() error {
			if code, body := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`); code != http.StatusOK {
				return fmt.Errorf("HTTP %d: %s", code, body)
			}
			return nil
		},
	} {
		begin := time.Now()
		assert.NoError(t, serve(), name)
		assert.Less(t, time.Since(begin), time.Second, name)
	}

	// Of the flood, 2 connections are open still: the new caller took the
	// room of a third.
	closed := 0
	for _, c := range flood {
		if closedWithin(c.Conn, 200*time.Millisecond) {
			closed++
		}
	}
	assert.Equal(t, 8, closed)
	_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, "8", metricValue(metrics, `addsvc_connections_evicted_total{listener="grpc"}`))
	// On HTTP: 7 of the flood, and one for the test's own connection, which
	// http.DefaultClient keeps alive for every call after its first.
	assert.Equal(t, "8", metricValue(metrics, `addsvc_connections_evicted_total{listener="http"}`))
	for _, c := range flood {
		c.Close()
	}
	require.NoError(t, r.stop(t))
}

// closedCount returns how many of conns the server has closed, reading and
// dropping what it sent on them.
func closedCount(conns []net.Conn) int {
	n := 0
	for _, c := range conns {
		if closedWithin(c, time.Millisecond) {
			n++
		}
	}
	return n
}

// acceptedWithin tells, for each of conns, whether the server sent its
// first frame within d, as it does once it accepts a connection.
func acceptedWithin(conns []*h2Conn, d time.Duration) []bool {
	accepted := make([]bool, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			if c.SetReadDeadline(time.Now().Add(d)) == nil {
				_, err := c.fr.ReadFrame()
				accepted[i] = err == nil
			}
		})
	}
	wg.Wait()
	return accepted
}

// count returns how many of xs are x.
func count[T comparable](xs []T, x T) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// checkLogLines fails the test if a line of log is over 1 KB.
func checkLogLines(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		assert.LessOrEqual(t, len(line), 1024, "a log line over 1 KB: %.200s…", line)
	}
}

// flood sends n requests made by req with 8 callers at once, and returns
// how many got each status.
func flood(t *testing.T, n int, req func() (*http.Request, error)) map[int]int {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	next := make(chan struct{}, n)
	for range n {
		next <- struct{}{}
	}
	close(next)
	for range 8 {
		wg.Go(func() {
			for range next {
				r, err := req()
				if err != nil {
					panic(err)
				}
				resp, err := http.DefaultClient.Do(r)
				code := 0
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				mu.Lock()
				statuses[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return statuses
}

func TestAFloodOfRefusalsIsLoggedAsCounts(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-rate-limit", "0.001", "-rate-burst", "1")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	code, _ := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
	require.Equal(t, http.StatusOK, code)
	before := len(r.log.String())

	statuses := flood(t, 1000, func() (*http.Request, error) {
		return http.NewRequest(http.MethodPost, "http://"+r.addr+"/sum", strings.NewReader(`{"a":1,"b":2}`))
	})
	assert.Equal(t, map[int]int{http.StatusTooManyRequests: 1000}, statuses)
	client := pb.NewAddClient(dialGRPC(t, r.grpcAddr))
	for range 200 {
		_, err := client.Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
		require.Equal(t, codes.ResourceExhausted, status.Code(err))
	}
	require.NoError(t, r.stop(t)) // writes the last counts

	// A line or two a second for each kind, rather than two lines a refusal.
	// (The spans in the log keep a budget of their own: see
	// TestTheSpanLogKeepsItsBudget.)
	flooded := withoutSpans(r.log.String()[before:])
	assert.Less(t, len(flooded), 4096, "the flood's log:\n%s", flooded)
	counts := map[string]int{}
	for _, rec := range decodeLogfmt(t, []byte(flooded)) {
		if rec["err"] == "rate limit exceeded" {
			var n int
			_, err := fmt.Sscan(rec["count"], &n)
			require.NoError(t, err, "%v", rec)
			counts[rec["transport"]] += n
		}
	}
	assert.Equal(t, map[string]int{"HTTP": 1000, "gRPC": 200}, counts, "every refusal is counted:\n%s", flooded)
	checkLogLines(t, r.log.String())
}

func TestHostileRequestsWriteShortLogLines(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	long := strings.Repeat("a", addtransport.MaxBodyBytes-100)
	requests := []struct{ path, body string }{
		{"/concat", `{"a":"` + long + `","b":"b"}`},
		{"/sum", `{"a":` + strings.Repeat("9", addtransport.MaxBodyBytes-100) + `}`},
		{"/sum", `{"a":1.` + strings.Repeat("5", addtransport.MaxBodyBytes-100) + `}`},
		{"/" + strings.Repeat("x", 8000), `{}`},
	}
	for _, req := range requests {
		code, _ := call(t, http.MethodPost, "http://"+r.addr+req.path, req.body)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, code)
	}
	_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Concat(context.Background(), &pb.ConcatRequest{A: long[:15000], B: long[:1000]})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	require.NoError(t, r.stop(t))
	assert.Contains(t, r.log.String(), `a="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…(1048476 bytes)"`)
	assert.Contains(t, r.log.String(), `a="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…(15000 bytes)"`)
	checkLogLines(t, r.log.String())
}

func TestEveryRequestIsCounted(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-rate-limit", "0.001", "-rate-burst", "2")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	base := "http://" + r.addr
	for _, req := range []struct{ method, path, body string }{
		{http.MethodPost, "/sum", `{"a":1,"b":2}`},                                  // 200
		{http.MethodPost, "/sum", `{"a":0,"b":0}`},                                  // 400, a broken rule
		{http.MethodPost, "/sum", `{"a":1,"b":2}`},                                  // 429
		{http.MethodPost, "/sum", `{"a":`},                                          // 400, bad JSON
		{http.MethodPost, "/concat", "{\"a\":\"\xff\"}"},                            // 400, not UTF-8
		{http.MethodPost, "/sum", strings.Repeat(" ", addtransport.MaxBodyBytes+1)}, // 413
		{http.MethodGet, "/sum", ""},                                                // 405
		{http.MethodPost, "/nowhere", `{}`},                                         // 404
		{http.MethodPost, "/metrics", ""},                                           // 405
	} {
		call(t, req.method, base+req.path, req.body)
	}
	client := pb.NewAddClient(dialGRPC(t, r.grpcAddr))
	_, _ = client.Concat(context.Background(), &pb.ConcatRequest{A: "x", B: "y"})                // OK
	_, _ = client.Concat(context.Background(), &pb.ConcatRequest{A: "0123456789", B: "y"})       // InvalidArgument
	_, _ = client.Concat(context.Background(), &pb.ConcatRequest{A: "x", B: "y"})                // ResourceExhausted
	_, _ = client.Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})                          // ResourceExhausted: HTTP took Sum's tokens
	_, _ = client.Concat(context.Background(), &pb.ConcatRequest{A: strings.Repeat("x", 2<<20)}) // ResourceExhausted, too large

	_, metrics := call(t, http.MethodGet, base+"/metrics", "")
	for series, want := range map[string]string{
		`addsvc_http_requests_total{code="200",method="post"}`:                                                                      "1",
		`addsvc_http_requests_total{code="400",method="post"}`:                                                                      "3",
		`addsvc_http_requests_total{code="429",method="post"}`:                                                                      "1",
		`addsvc_http_requests_total{code="413",method="post"}`:                                                                      "1",
		`addsvc_http_requests_total{code="405",method="get"}`:                                                                       "1",
		`addsvc_http_requests_total{code="404",method="post"}`:                                                                      "1",
		`addsvc_http_requests_total{code="405",method="post"}`:                                                                      "1",
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Concat",grpc_service="addsvc.Add",grpc_type="unary"}`:                "1",
		`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="Concat",grpc_service="addsvc.Add",grpc_type="unary"}`:   "1",
		`grpc_server_handled_total{grpc_code="ResourceExhausted",grpc_method="Concat",grpc_service="addsvc.Add",grpc_type="unary"}`: "2",
		`grpc_server_handled_total{grpc_code="ResourceExhausted",grpc_method="Sum",grpc_service="addsvc.Add",grpc_type="unary"}`:    "1",
		// the talk's endpoint metrics are still there
		`addsvc_request_duration_seconds_count{method="Sum",success="false"}`: "3",
	} {
		assert.Equal(t, want, metricValue(metrics, series), series)
	}
	require.NoError(t, r.stop(t))
}

// metricValue returns the value of series in the text of /metrics, or "".
func metricValue(metrics, series string) string {
	for _, line := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

func TestMetricsAnswersGETOnly(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, err := http.NewRequest(method, "http://"+r.addr+"/metrics", nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, method)
		assert.Equal(t, "GET", resp.Header.Get("Allow"), method)
	}
	code, _ := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, http.StatusOK, code)
	require.NoError(t, r.stop(t))
}
