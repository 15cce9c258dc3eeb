package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

	"github.com/gokit-workshop/workshop/step09-services/addtransport"
	"github.com/gokit-workshop/workshop/step09-services/pb"

	"github.com/gokit-workshop/workshop/step09-services/svckit"
)

func TestDefaultMaxConnsStaysBelowTheFileLimit(t *testing.T) {
	tests := []struct {
		limit uint64
		ok    bool
		want  int
	}{
		{0, false, defaultMaxConns}, // Windows: no limit to read
		{1 << 20, true, defaultMaxConns},
		{2*defaultMaxConns + reservedFiles, true, defaultMaxConns},
		{256, true, (256 - reservedFiles) / 2}, // macOS's default
		{reservedFiles, true, 1},
	}
	for _, tt := range tests {
		got := defaultMaxConnsFor(tt.limit, tt.ok)
		assert.Equal(t, tt.want, got, "limit %d", tt.limit)
		if tt.ok {
			assert.Less(t, uint64(2*got), max(tt.limit, 3), "both listeners' connections fit below %d", tt.limit)
		}
	}
}

func TestParseFlagsSetsTheLimits(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, serverLimits{
		maxConns: defaultMaxConnsFor(openFileLimit()), maxStreams: defaultMaxStreams, idleTimeout: defaultIdleTimeout,
		handshakeTimeout: readHeaderTimeout, shutdownTimeout: shutdownTimeout,
	}, cfg.server)
	cfg, err = parseFlags([]string{"-max-conns", "7", "-grpc-max-streams", "8", "-idle-timeout", "10s"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 7, cfg.server.maxConns)
	assert.Equal(t, 8, cfg.server.maxStreams)
	assert.Equal(t, 10*time.Second, cfg.server.idleTimeout)
	for _, args := range [][]string{{"-max-conns", "-1"}, {"-grpc-max-streams", "0"}, {"-idle-timeout", "0s"}} {
		_, err := parseFlags(args, io.Discard)
		assert.ErrorContains(t, err, "must be above 0", "%v", args)
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

// refusedStreams reads frames for d, answering the server's SETTINGS, and
// returns the streams that the server refused (RST_STREAM REFUSED_STREAM).
func (c *h2Conn) refusedStreams(t *testing.T, d time.Duration) []uint32 {
	t.Helper()
	var refused []uint32
	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	defer c.SetReadDeadline(time.Time{})
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return refused // the deadline, or the server closed the connection
		}
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if f.ErrCode == http2.ErrCodeRefusedStream {
				refused = append(refused, f.StreamID)
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				require.NoError(t, c.fr.WriteSettingsAck())
			}
		}
	}
}

func TestGRPCBoundsTheCallsOfAConnection(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-grpc-max-streams", "2")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	c := dialH2(t, r.grpcAddr, true)
	c.refusedStreams(t, 200*time.Millisecond) // the server's SETTINGS, with its limit, come first
	for id := uint32(1); id <= 7; id += 2 {
		c.openStream(t, id, "/addsvc.Add/Sum") // four calls that wait for their request
	}
	assert.Equal(t, []uint32{5, 7}, c.refusedStreams(t, 500*time.Millisecond), "grpc-go refuses the calls over -grpc-max-streams")

	// Another connection has calls of its own.
	_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
	require.NoError(t, err)
	require.NoError(t, r.stop(t))
}

// dialGRPCFrom returns a client connection to addr from the loopback
// address from, as another host; it skips the test where the system has no
// such address (macOS has 127.0.0.1 only; Linux, and so CI, all of 127/8).
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
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) { return dialer.DialContext(ctx, "tcp", a) }))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestReflectionStreamsLockOutNoOtherHost(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-max-conns", "2", "-grpc-max-streams", "2")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Another host fills both connections with streams that stay open.
	for range 2 {
		attacker := reflectionpb.NewServerReflectionClient(dialGRPCFrom(t, "127.0.0.2", r.grpcAddr))
		for range 2 {
			stream, err := attacker.ServerReflectionInfo(ctx)
			require.NoError(t, err)
			require.NoError(t, stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}))
			_, err = stream.Recv()
			require.NoError(t, err)
		}
	}
	// A caller from this host is served at once: the other's quietest
	// connection makes room.
	begin := time.Now()
	_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
	require.NoError(t, err)
	assert.Less(t, time.Since(begin), time.Second)
	_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, "1", metricValue(metrics, `addsvc_connections_evicted_total{listener="grpc"}`))
	cancel()
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
	})
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	silentGRPC := dialH2(t, r.grpcAddr, false) // connects, then says nothing
	idleGRPC := dialH2(t, r.grpcAddr, true)    // a client with no calls to make
	silentHTTP, err := net.DialTimeout("tcp", r.addr, time.Second)
	require.NoError(t, err)
	defer silentHTTP.Close()
	idleHTTP, err := net.DialTimeout("tcp", r.addr, time.Second)
	require.NoError(t, err)
	defer idleHTTP.Close()
	_, err = io.WriteString(idleHTTP, "POST /sum HTTP/1.1\r\nHost: addsvc\r\nContent-Length: 13\r\n\r\n{\"a\":1,\"b\":2}")
	require.NoError(t, err) // answered, then kept alive, idle

	// The silent ones are closed after the handshake timeout, the idle ones
	// after the idle timeout.
	var wg sync.WaitGroup
	wg.Go(func() { assert.True(t, idleGRPC.closedWithinAnswering(5*time.Second), "gRPC, idle: still open") })
	for name, c := range map[string]net.Conn{
		"gRPC, silent": silentGRPC, "HTTP, silent": silentHTTP, "HTTP, idle after a request": idleHTTP,
	} {
		wg.Go(func() { assert.True(t, closedWithin(c, 5*time.Second), "%s: still open", name) })
	}
	wg.Wait()
	require.NoError(t, r.stop(t))
}

func TestAConnectionFloodLocksOutNoNewCaller(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-max-conns", "3")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	// Ten silent connections to each listener: each is accepted, and takes
	// the room of the quietest; 3 stay open on each.
	for _, addr := range []string{r.addr, r.grpcAddr} {
		for range 10 {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			require.NoError(t, err)
			defer c.Close()
		}
	}
	require.Eventually(t, func() bool {
		_, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
		return metricValue(metrics, `addsvc_connections_evicted_total{listener="grpc"}`) == "7"
	}, 5*time.Second, 10*time.Millisecond, "gRPC connections closed to make room")

	// A new caller on either listener is served at once.
	begin := time.Now()
	_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
	assert.NoError(t, err)
	code, body := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
	assert.Equal(t, http.StatusOK, code, body)
	assert.Less(t, time.Since(begin), time.Second)
	require.NoError(t, r.stop(t))
}

// checkLogLines fails the test if a line of log is over 1 KB.
func checkLogLines(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		assert.LessOrEqual(t, len(line), 1024, "a log line over 1 KB: %.200s…", line)
	}
}

func TestAFloodOfRefusalsIsLoggedAsCounts(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-rate-limit", "0.001", "-rate-burst", "1", "-zipkin-sample-rate", "0")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	code, _ := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
	require.Equal(t, http.StatusOK, code)
	client := pb.NewAddClient(dialGRPC(t, r.grpcAddr))
	for range 500 {
		code, _ := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
		require.Equal(t, http.StatusTooManyRequests, code)
		_, err := client.Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})
		require.Equal(t, codes.ResourceExhausted, status.Code(err))
	}
	require.NoError(t, r.stop(t)) // writes the last counts

	// A line or two a second, rather than one a refusal; and every refusal
	// is counted: a line stands for itself and the "more" it says.
	refusals := 0
	for _, rec := range decodeLogfmt(t, []byte(r.log.String())) {
		if rec["err"] == "rate limit exceeded" {
			assert.Equal(t, "transport", rec["layer"], "the endpoints leave refusals to the transports")
			var more int
			if rec["more"] != "" {
				_, err := fmt.Sscan(rec["more"], &more)
				require.NoError(t, err)
			}
			refusals += 1 + more
		}
	}
	assert.Equal(t, 1000, refusals, "its log:\n%s", r.log)
	assert.Less(t, strings.Count(r.log.String(), "rate limit exceeded"), 20)
	checkLogLines(t, r.log.String())
}

func TestHostileRequestsWriteShortLogLines(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	long := strings.Repeat("a", addtransport.MaxBodyBytes-100)
	for _, req := range []struct{ path, body string }{
		{"/concat", `{"a":"` + long + `","b":"b"}`},
		{"/sum", `{"a":` + strings.Repeat("9", addtransport.MaxBodyBytes-100) + `}`},
		{"/sum", `{"a":1.` + strings.Repeat("5", addtransport.MaxBodyBytes-100) + `}`},
		{"/" + strings.Repeat("x", 8000), `{}`},
	} {
		code, _ := call(t, http.MethodPost, "http://"+r.addr+req.path, req.body)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, code)
	}
	_, err := pb.NewAddClient(dialGRPC(t, r.grpcAddr)).Concat(context.Background(), &pb.ConcatRequest{A: long[:15000], B: "\x1b[2J"})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	require.NoError(t, r.stop(t))
	assert.Contains(t, r.log.String(), `a="`+strings.Repeat("a", svckit.MaxLoggedBytes)+`…(15000 bytes)"`)
	assert.NotContains(t, r.log.String(), "\x1b", "logfmt escapes control characters")
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
	} {
		call(t, req.method, base+req.path, req.body)
	}
	client := pb.NewAddClient(dialGRPC(t, r.grpcAddr))
	_, _ = client.Concat(context.Background(), &pb.ConcatRequest{A: "x", B: "y"})                    // OK
	_, _ = client.Concat(context.Background(), &pb.ConcatRequest{A: "0123456789", B: "y"})           // InvalidArgument
	_, _ = client.Concat(context.Background(), &pb.ConcatRequest{A: "x", B: "y"})                    // ResourceExhausted
	_, _ = client.Concat(context.Background(), &pb.ConcatRequest{A: strings.Repeat("x", 2<<10<<10)}) // ResourceExhausted, too large
	_, _ = client.Sum(context.Background(), &pb.SumRequest{A: 1, B: 2})                              // ResourceExhausted: HTTP took Sum's tokens

	_, metrics := call(t, http.MethodGet, base+"/metrics", "")
	for series, want := range map[string]string{
		`addsvc_http_requests_total{code="200",method="post"}`:                                                                      "1",
		`addsvc_http_requests_total{code="400",method="post"}`:                                                                      "3",
		`addsvc_http_requests_total{code="429",method="post"}`:                                                                      "1",
		`addsvc_http_requests_total{code="413",method="post"}`:                                                                      "1",
		`addsvc_http_requests_total{code="405",method="get"}`:                                                                       "1",
		`addsvc_http_requests_total{code="404",method="post"}`:                                                                      "1",
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Concat",grpc_service="addsvc.Add",grpc_type="unary"}`:                "1",
		`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="Concat",grpc_service="addsvc.Add",grpc_type="unary"}`:   "1",
		`grpc_server_handled_total{grpc_code="ResourceExhausted",grpc_method="Concat",grpc_service="addsvc.Add",grpc_type="unary"}`: "2",
		`grpc_server_handled_total{grpc_code="ResourceExhausted",grpc_method="Sum",grpc_service="addsvc.Add",grpc_type="unary"}`:    "1",
		`addsvc_request_duration_seconds_count{method="Sum",success="false"}`:                                                       "3", // the broken rule and both refusals
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
