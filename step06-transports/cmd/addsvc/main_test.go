package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-kit/kit/metrics/discard"
	kitlog "github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/gokit-workshop/workshop/step06-transports/addsvc"
	"github.com/gokit-workshop/workshop/step06-transports/pb"
)

// runMainEnv, when set, makes the test binary run main instead of the tests,
// so that the tests can start the real command and send it real signals.
const runMainEnv = "ADDSVC_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command is the addsvc command running in a child process.
type command struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr strings.Builder
	done   chan struct{}
}

// start runs addsvc with args and returns once it has exited or has logged
// the address it listens on (then it returns that address).
func start(t *testing.T, args ...string) (*command, string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	c := &command{cmd: exec.Command(exe, args...), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), runMainEnv+"=1")
	pipe, err := c.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
	})

	addrc := make(chan string, 1)
	listening := regexp.MustCompile(`listening on http://([^\s"]+)`)
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			c.mu.Lock()
			c.stderr.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
		_ = c.cmd.Wait()
	}()
	select {
	case addr := <-addrc:
		return c, addr
	case <-c.done:
		return c, ""
	case <-time.After(20 * time.Second):
		t.Fatalf("addsvc did not start; its log:\n%s", c.log())
		return nil, ""
	}
}

// grpcAddr returns the gRPC address that the command has logged; it logs it
// before the HTTP address that start waits for.
func (c *command) grpcAddr(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`listening for gRPC on ([^\s"]+)`).FindStringSubmatch(c.log())
	require.NotNil(t, m, "no gRPC address in the log:\n%s", c.log())
	return m[1]
}

// log returns what the command has written to stderr so far.
func (c *command) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

// wait waits for the command to exit and returns its exit code.
func (c *command) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatalf("addsvc did not exit; its log:\n%s", c.log())
		return -1
	}
}

func TestMainServesAndShutsDownOnSIGTERM(t *testing.T) {
	c, addr := start(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0")
	require.NotEmpty(t, addr, "addsvc exited early; its log:\n%s", c.log())
	grpcAddr := c.grpcAddr(t)

	resp, err := http.Post("http://"+addr+"/sum", "application/json", strings.NewReader(`{"a":1,"b":2}`))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"v":3}`, string(body))

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	reply, err := pb.NewAddClient(conn).Concat(context.Background(), &pb.ConcatRequest{A: "go", B: "kit"})
	require.NoError(t, err)
	assert.Equal(t, "gokit", reply.V)

	// Reflection is on, so that tools such as grpcurl can list the methods.
	services, err := listServices(conn)
	require.NoError(t, err)
	assert.Contains(t, services, "addsvc.Add")

	resp, err = http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	metrics, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(metrics), "\naddsvc_integers_summed_total 2\n")
	assert.Contains(t, string(metrics), "\naddsvc_characters_concatenated_total 5\n")
	assert.Contains(t, string(metrics), `addsvc_request_duration_seconds_count{method="Sum",success="true"} 1`)
	assert.Contains(t, string(metrics), `addsvc_request_duration_seconds_count{method="Concat",success="true"} 1`)
	assert.Contains(t, string(metrics), `go_goroutines`)

	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, c.wait(t), "exit code; log:\n%s", c.log())
	assert.Contains(t, c.log(), "shutting down")
	assert.Contains(t, c.log(), "stopped")
	assert.Regexp(t, `(?m)^ts=\S+ caller=middleware.go:\d+ layer=service method=Sum a=1 b=2 v=3 err=null took=\S+$`, c.log())
	assert.Regexp(t, `(?m)^ts=\S+ caller=endpoint.go:\d+ layer=endpoint method=Concat err=null took=\S+$`, c.log())

	for _, a := range []string{addr, grpcAddr} {
		_, err = net.DialTimeout("tcp", a, time.Second)
		assert.Error(t, err, "%s is still open after shutdown", a)
	}
}

// listServices lists the services of a gRPC server through its reflection.
func listServices(conn *grpc.ClientConn) ([]string, error) {
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		return nil, err
	}
	defer stream.CloseSend()
	err = stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	})
	if err != nil {
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names, nil
}

// blockingService holds every call until release is closed, and says on
// entered when a call has arrived.
type blockingService struct {
	entered chan struct{}
	release chan struct{}
}

func (s blockingService) Sum(_ context.Context, a, b int) (int, error) {
	s.entered <- struct{}{}
	<-s.release
	return a + b, nil
}

func (s blockingService) Concat(_ context.Context, a, b string) (string, error) {
	s.entered <- struct{}{}
	<-s.release
	return a + b, nil
}

func TestSIGTERMFinishesTheRequestsInFlight(t *testing.T) {
	const perTransport = 3
	svc := blockingService{entered: make(chan struct{}, 2*perTransport), release: make(chan struct{})}
	endpoints := addsvc.NewEndpoints(svc, kitlog.NewNopLogger(), discard.NewHistogram(), addsvc.Limits{Rate: rate.Inf})
	httpServer, grpcServer := newServers(endpoints, prometheus.NewRegistry(), kitlog.NewNopLogger())
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	grpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)

	// The same signal handling as main's, and a real SIGTERM below.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, kitlog.NewNopLogger(), httpServer, httpLn, grpcServer, grpcLn) }()

	conn, err := grpc.NewClient(grpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	answers := make(chan string, 2*perTransport)
	for range perTransport {
		go func() {
			resp, err := http.Post("http://"+httpLn.Addr().String()+"/sum", "application/json", strings.NewReader(`{"a":1,"b":2}`))
			if err != nil {
				answers <- err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers <- strings.TrimSpace(string(b))
		}()
		go func() {
			reply, err := pb.NewAddClient(conn).Concat(context.Background(), &pb.ConcatRequest{A: "a", B: "b"})
			if err != nil {
				answers <- err.Error()
				return
			}
			answers <- reply.V
		}()
	}
	for range 2 * perTransport {
		select {
		case <-svc.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the requests did not reach the service")
		}
	}

	p, err := os.FindProcess(os.Getpid())
	require.NoError(t, err)
	require.NoError(t, p.Signal(syscall.SIGTERM))
	// Both listeners close at once; the requests in flight are still held.
	for _, addr := range []string{httpLn.Addr().String(), grpcLn.Addr().String()} {
		require.Eventually(t, func() bool {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return true
			}
			c.Close()
			return false
		}, 10*time.Second, 10*time.Millisecond, "%s still accepts connections", addr)
	}
	select {
	case err := <-served:
		t.Fatalf("serve returned before the requests in flight were answered: %v", err)
	default:
	}

	close(svc.release)
	var got []string
	for range 2 * perTransport {
		got = append(got, <-answers)
	}
	assert.ElementsMatch(t, []string{`{"v":3}`, `{"v":3}`, `{"v":3}`, "ab", "ab", "ab"}, got)
	require.NoError(t, <-served)
}

func TestMainRateLimitFlags(t *testing.T) {
	c, addr := start(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-rate-limit", "0.001", "-rate-burst", "2")
	require.NotEmpty(t, addr, "addsvc exited early; its log:\n%s", c.log())
	var codes []int
	for range 3 {
		resp, err := http.Post("http://"+addr+"/sum", "application/json", strings.NewReader(`{"a":1,"b":2}`))
		require.NoError(t, err)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	assert.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests}, codes)
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, c.wait(t))
}

func TestMainFailsClearlyOnATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	for _, flag := range []string{"-http-addr", "-grpc-addr"} {
		t.Run(flag, func(t *testing.T) {
			args := []string{"-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", flag, ln.Addr().String()}
			c, addr := start(t, args...)
			assert.Empty(t, addr)
			assert.Equal(t, 1, c.wait(t))
			assert.Contains(t, c.log(), "listen on "+ln.Addr().String())
			assert.Contains(t, c.log(), "choose another address with "+flag)
			assert.Contains(t, c.log(), "address already in use")
		})
	}
}

func TestMainRejectsRateLimitsThatRefuseEverything(t *testing.T) {
	for _, args := range [][]string{{"-rate-limit", "0"}, {"-rate-limit", "-1"}, {"-rate-limit", "NaN"}, {"-rate-burst", "0"}} {
		c, addr := start(t, args...)
		assert.Empty(t, addr, "%v", args)
		assert.Equal(t, 1, c.wait(t), "%v", args)
		assert.Contains(t, c.log(), "-rate-limit must be above 0 and -rate-burst at least 1", "%v", args)
	}
}

func TestMainRejectsArguments(t *testing.T) {
	c, addr := start(t, "9000")
	assert.Empty(t, addr)
	assert.Equal(t, 2, c.wait(t))
	assert.Contains(t, c.log(), `addsvc: unexpected arguments ["9000"]: every setting is a flag`)
	assert.Contains(t, c.log(), "-http-addr")
}

func TestMainRejectsBadFlags(t *testing.T) {
	c, addr := start(t, "-no-such-flag")
	assert.Empty(t, addr)
	assert.Equal(t, 2, c.wait(t))
	assert.Equal(t, 1, strings.Count(c.log(), "flag provided but not defined: -no-such-flag"), "said once:\n%s", c.log())
	assert.Contains(t, c.log(), "-http-addr")
}
