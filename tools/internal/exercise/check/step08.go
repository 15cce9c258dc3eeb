package check

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Step 8: what one caller can cost (beyond the talk).

// dialGRPC returns a gRPC connection of its own to the service, closed when
// the case ends.
func (e *Env) dialGRPC(s *Service) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("gRPC client for %s: %w", s.GRPCAddr, err)
	}
	e.cleanup = append(e.cleanup, func() { conn.Close() })
	return conn, nil
}

// step08ConnectionCaps checks exercise 8.1: the gRPC server caps a
// connection's calls in flight, its messages, and its idle time.
func step08ConnectionCaps() []Case {
	const where = "the options appended to opts in newGRPCServer (cmd/addsvc/main.go)"
	return []Case{
		{
			Name: "a Concat whose message is over 16 KiB is refused with ResourceExhausted, before the service",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{GRPC: true})
				if err != nil {
					return err
				}
				req := fmt.Sprintf(`{"a":%q,"b":"y"}`, strings.Repeat("x", 17<<10))
				_, err = s.CallGRPC(ctx, "Concat", req)
				if status.Code(err) != codes.ResourceExhausted {
					return fmt.Errorf("gRPC Concat %s answered %s, but a message over maxMessageBytes (16 KiB) must be refused with ResourceExhausted: look at grpc.MaxRecvMsgSize in %s",
						clip(req), grpcStatusText(err), where)
				}
				return nil
			},
		},
		{
			Name: "with -grpc-max-streams 2, two open streams make a third call on their connection wait; another connection is answered",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{GRPC: true, Flags: []string{"-grpc-max-streams", "2"}})
				if err != nil {
					return err
				}
				conn, err := env.dialGRPC(s)
				if err != nil {
					return err
				}
				streamCtx, cancel := context.WithCancel(ctx)
				defer cancel()
				for i := range 2 {
					stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(streamCtx)
					if err == nil {
						err = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
					}
					if err == nil {
						_, err = stream.Recv()
					}
					if err != nil {
						return fmt.Errorf("opening server reflection stream %d of 2 failed: %v", i+1, err)
					}
				}
				callCtx, cancelCall := context.WithTimeout(ctx, 500*time.Millisecond)
				defer cancelCall()
				third := status.Code(sumOn(callCtx, s, conn))
				if third == codes.OK {
					return fmt.Errorf("with two streams open on a connection, a third call on it (Sum) was answered at once, but with -grpc-max-streams 2 it must wait for a stream to end: look at grpc.MaxConcurrentStreams(uint32(limits.maxStreams)) in %s", where)
				}
				if third != codes.DeadlineExceeded {
					return fmt.Errorf("with two streams open on a connection, a third call on it (Sum) failed with %v; it should have waited for a stream to end, and run out of its 500 ms", third)
				}
				other, err := env.dialGRPC(s)
				if err != nil {
					return err
				}
				otherCtx, cancelOther := context.WithTimeout(ctx, time.Second)
				defer cancelOther()
				if err := sumOn(otherCtx, s, other); err != nil {
					return fmt.Errorf("a call on another connection failed (%s), but the cap is per connection", grpcStatusText(err))
				}
				return nil
			},
		},
		{
			Name: "with -idle-timeout 1s, a connection with no call is closed about a second after its last",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{GRPC: true, Flags: []string{"-idle-timeout", "1s"}})
				if err != nil {
					return err
				}
				conn, err := env.dialGRPC(s)
				if err != nil {
					return err
				}
				if err := sumOn(ctx, s, conn); err != nil {
					return fmt.Errorf("gRPC Sum 1 2 failed: %s", grpcStatusText(err))
				}
				waitCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
				defer cancel()
				for conn.GetState() == connectivity.Ready {
					if !conn.WaitForStateChange(waitCtx, connectivity.Ready) {
						return fmt.Errorf("the connection was still open 3 s after its last call, but with -idle-timeout 1s the server must close it after a second: look at MaxConnectionIdle in the keepalive.ServerParameters of %s", where)
					}
				}
				return nil
			},
		},
	}
}

// sumOn calls Sum 1 2 over conn. The request is built from the method's
// descriptor, which s's own connection reads through server reflection, so
// that the call is the only stream it opens on conn.
func sumOn(ctx context.Context, s *Service, conn *grpc.ClientConn) error {
	own, err := s.grpcConn()
	if err != nil {
		return err
	}
	md, err := findMethod(ctx, own, "Sum")
	if err != nil {
		return err
	}
	in := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(`{"a":1,"b":2}`), in); err != nil {
		return err
	}
	return conn.Invoke(ctx, fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name()), in, dynamicpb.NewMessage(md.Output()))
}

// step08BoundedLog checks exercise 8.2: no value that a caller makes long
// makes a log line long.
func step08BoundedLog() []Case {
	const where = "bound, in limits/text.go"
	lineOK := func(line, sent string) error {
		if len(line) > 1024 {
			return fmt.Errorf("after %s, the service logged a line of %d bytes: %s. Every line must stay under 1 KB: %s must cut a long string, error or Stringer with clip", sent, len(line), clip(line), where)
		}
		return nil
	}
	return []Case{
		{
			Name: "a Concat of a 15,000-byte string is logged by the service cut, …(15000 bytes), on a line under 1 KB, with took= still a duration",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{GRPC: true})
				if err != nil {
					return err
				}
				sent := "gRPC Concat with a 15,000-byte string"
				if _, err := s.CallGRPC(ctx, "Concat", fmt.Sprintf(`{"a":%q,"b":"y"}`, strings.Repeat("a", 15000))); status.Code(err) != codes.InvalidArgument {
					return fmt.Errorf("%s answered %s, not InvalidArgument (result exceeds maximum size)", sent, grpcStatusText(err))
				}
				line, err := s.WaitLog(ctx, "with layer=service and method=Concat", func(l string) bool {
					return strings.Contains(l, "layer=service") && strings.Contains(l, "method=Concat")
				})
				if err != nil {
					return err
				}
				if err := lineOK(line, sent); err != nil {
					return err
				}
				if !strings.Contains(line, "…(15000 bytes)") {
					return fmt.Errorf("after %s, the service's line does not show the string cut with its length, …(15000 bytes): %s. Cut it with clip(s, max), in %s", sent, clip(line), where)
				}
				if !tookDuration.MatchString(line) {
					return fmt.Errorf("after %s, the service's line has no took= duration: %s. Values that are not strings, errors or Stringers (a time.Duration is a Stringer, but a short one) must stay as they are", sent, clip(line))
				}
				return nil
			},
		},
		{
			Name: "a Concat of 5,000 characters of 日 (15,000 bytes) is logged cut between two characters",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{GRPC: true})
				if err != nil {
					return err
				}
				body := `{"a":"` + strings.Repeat("日", 5000) + `","b":"y"}`
				sent := "POST /concat " + clip(body)
				if _, err := s.Post(ctx, "/concat", body); err != nil {
					return err
				}
				line, err := s.WaitLog(ctx, "with layer=service and method=Concat", func(l string) bool {
					return strings.Contains(l, "layer=service") && strings.Contains(l, "method=Concat")
				})
				if err != nil {
					return err
				}
				if err := lineOK(line, sent); err != nil {
					return err
				}
				if strings.Contains(line, `\ufffd`) || strings.Contains(line, "\ufffd") || !utf8.ValidString(line) {
					return fmt.Errorf("after %s, the service's line holds a broken character: %s. Cut a string between two characters, as clip does", sent, clip(line))
				}
				if !strings.Contains(line, "…(15000 bytes)") {
					return fmt.Errorf("after %s, the service's line does not show the string cut with its length, …(15000 bytes): %s. Cut it with clip(s, max), in %s", sent, clip(line), where)
				}
				return nil
			},
		},
	}
}

// tookDuration matches a took= duration as go-kit's logfmt writes it.
var tookDuration = regexp.MustCompile(`took=[0-9.]+(ns|µs|ms|s)\b`)

// step08MakeRoom checks exercise 8.3: a full listener closes the quietest
// connection of the busiest host to make room for a new one.
func step08MakeRoom() []Case {
	const where = "the block cut out of RoomListener.Accept (limits/listener.go)"
	return []Case{
		{
			Name: "with -max-conns 3, ten silent connections to each listener close seven of each, and a new caller is answered at once",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{GRPC: true, Flags: []string{"-max-conns", "3"}})
				if err != nil {
					return err
				}
				if err := silentConns(ctx, env, s.GRPCAddr, 10); err != nil {
					return err
				}
				if err := silentConns(ctx, env, s.HTTPAddr, 10); err != nil {
					return err
				}
				begin := time.Now()
				callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				if _, err := s.CallGRPC(callCtx, "Sum", `{"a":1,"b":2}`); err != nil {
					return fmt.Errorf("after ten silent connections to the gRPC listener, a new caller's Sum failed (%s): with -max-conns 3, the listener must close the quietest to make room: %s", grpcStatusText(err), where)
				}
				m, err := s.Scrape(callCtx)
				if err != nil {
					return fmt.Errorf("after ten silent connections to the HTTP listener, a new caller could not read /metrics (%v): with -max-conns 3 the listener must close the quietest to make room: %s", err, where)
				}
				if time.Since(begin) > 2*time.Second {
					return fmt.Errorf("a new caller waited %v to be answered", time.Since(begin).Round(time.Millisecond))
				}
				got, _ := m.Value("addsvc_connections_evicted_total", "listener", "grpc")
				if got < 7 {
					return fmt.Errorf("with -max-conns 3, ten silent connections and then a caller, addsvc_connections_evicted_total{listener=\"grpc\"} is %v, but at least 7 connections must have been closed to make room: %s", got, where)
				}
				return nil
			},
		},
		{
			Name: "a connection that keeps making calls is never the one closed",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{GRPC: true, Flags: []string{"-max-conns", "3"}})
				if err != nil {
					return err
				}
				// One connection of its own, kept alive, that sends a call
				// between each two silent connections: it is never the
				// quietest.
				var d net.Dialer
				busy, err := d.DialContext(ctx, "tcp", s.HTTPAddr)
				if err != nil {
					return err
				}
				defer busy.Close()
				r := bufio.NewReader(busy)
				for i := range 6 {
					body := `{"a":1,"b":2}`
					fmt.Fprintf(busy, "POST /sum HTTP/1.1\r\nHost: addsvc\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
					busy.SetReadDeadline(time.Now().Add(2 * time.Second))
					resp, err := http.ReadResponse(r, nil)
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					if err != nil {
						return fmt.Errorf("call %d of a connection that makes a call between each two silent connections failed (%v): the listener closed the busy connection, but it must close the one that has been quiet longest (the smallest lastRead): %s", i+1, err, where)
					}
					if err := silentConns(ctx, env, s.HTTPAddr, 1); err != nil {
						return err
					}
					time.Sleep(10 * time.Millisecond)
				}
				return nil
			},
		},
	}
}

// silentConns opens n connections to addr that send nothing, closed when
// the case ends.
func silentConns(ctx context.Context, env *Env, addr string, n int) error {
	var d net.Dialer
	for range n {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", addr, err)
		}
		env.cleanup = append(env.cleanup, func() { c.Close() })
	}
	return nil
}
