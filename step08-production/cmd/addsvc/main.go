// Command addsvc serves the add service over HTTP and gRPC from one binary
// (slide 82), and its Prometheus metrics on GET /metrics of the HTTP
// listener. It traces every request with Zipkin (slides 87–88): to the
// collector at -zipkin-url, or else to its log.
//
// It listens on 127.0.0.1:8080 for HTTP and 127.0.0.1:8081 for gRPC unless
// told otherwise with -http-addr and -grpc-addr, and shuts both down
// gracefully on SIGINT (Ctrl-C) and SIGTERM, within shutdownTimeout.
//
// It bounds what one caller can cost it: connections per listener, gRPC
// streams per connection, timeouts for slow and idle connections, request
// sizes, and log lines (see the README's "Limits").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/kit/ratelimit"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/go-kit/log"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	oklogrun "github.com/oklog/run"
	"github.com/openzipkin/zipkin-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sony/gobreaker"
	"go.uber.org/zap/zapcore"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/gokit-workshop/workshop/step08-production/addendpoint"
	"github.com/gokit-workshop/workshop/step08-production/addservice"
	"github.com/gokit-workshop/workshop/step08-production/addtransport"
	"github.com/gokit-workshop/workshop/step08-production/limits"
)

// Server timeouts: a slow or stalled client cannot hold a connection
// forever. The idle timeout is a flag (-idle-timeout).
const (
	handshakeTimeout = 5 * time.Second        // HTTP: to send the request's headers; gRPC: the HTTP/2 preface
	readTimeout      = 10 * time.Second       // HTTP: to send the whole request
	writeTimeout     = 10 * time.Second       // HTTP: to read the whole answer
	pingInterval     = 30 * time.Second       // gRPC: the server pings a connection silent for this long...
	pingTimeout      = 10 * time.Second       // ...and closes it if no answer comes within this
	minPingInterval  = 10 * time.Second       // gRPC: a client that pings more often is sent away
	callTimeout      = 10 * time.Second       // gRPC: for a call, from its first frame to its answer
	callGrace        = 100 * time.Millisecond // gRPC: a call waits this long for its request before another may take its room
	shutdownTimeout  = 5 * time.Second        // to finish the calls in flight on SIGTERM
)

// maxHeaderBytes caps a request's headers (HTTP) and metadata (gRPC): both
// are held in memory until the request is read.
const maxHeaderBytes = 16 << 10

// maxMessageBytes caps a gRPC message. No valid request comes near it, and
// each call in flight may hold one: -grpc-max-calls of them fit in a few
// megabytes.
const maxMessageBytes = 16 << 10

// maxBodyBytesInFlight bounds the request bodies being read at once, over
// all HTTP requests, past the first smallBodyBytes of each (see
// limits.BodyBytes): each may be 1 MiB, and a caller may send many at once.
const (
	maxBodyBytesInFlight = 8 << 20
	smallBodyBytes       = 4 << 10
)

// Defaults of the limits that flags set.
const (
	defaultMaxConns    = 256              // per listener, if the file limit allows
	defaultMaxStreams  = 100              // gRPC calls in flight per connection...
	defaultMaxCalls    = 256              // ...and in all
	defaultIdleTimeout = 60 * time.Second // an idle connection is closed after this
	reservedFiles      = 64               // open files kept for all but connections
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode returns the exit status for run's error, and prints the error on
// stderr unless it is said already: 0 for success and for -h (the usage is
// printed), 2 for a refused command line (what is wrong and the usage are
// printed), 1 for any other error.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "addsvc: %v\n", err)
		return 1
	}
}

// errUsage marks a refused command line, once what is wrong and the usage
// are printed.
var errUsage = errors.New("bad command line")

// run parses the flags, builds the service and serves it until ctx is done.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	return runConfig(ctx, cfg, stderr)
}

// runConfig builds the service that cfg describes and serves it until ctx
// is done.
func runConfig(ctx context.Context, cfg config, stderr io.Writer) error {
	logOut := newLogWriter(stderr)
	defer logOut.Stop() // writes out the lines kept
	logger := newLogger(logOut)
	// The transports' errors, refusals included, come in floods: they are
	// logged as counts, at most one line a second for each kind. The
	// refusals of the limits that every caller meets, and a call's end, are
	// kinds of their own.
	counted := limits.NewCounting(logger, time.Second,
		ratelimit.ErrLimited, gobreaker.ErrOpenState, gobreaker.ErrTooManyRequests,
		context.Canceled, context.DeadlineExceeded, limits.ErrBodiesInFlight)
	defer counted.Flush()
	tracer, spans, err := newTracer(cfg.zipkinURL, cfg.zipkinSampleRate, log.With(logger, "layer", "tracing"), log.With(counted, "layer", "tracing"))
	if err != nil {
		return err
	}
	defer func() {
		if err := spans.Close(); err != nil {
			logger.Log("msg", "the last spans are lost", "err", err)
		}
	}()
	m := newMetrics()
	endpoints := newOnion(logger, m, tracer, cfg.limits)
	httpServer, grpcServer := newServers(endpoints, m, tracer, counted, cfg.server)

	httpLn, err := net.Listen("tcp", cfg.httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (is another step still running? choose another address with -http-addr): %w", cfg.httpAddr, err)
	}
	grpcLn, err := net.Listen("tcp", cfg.grpcAddr)
	if err != nil {
		httpLn.Close()
		return fmt.Errorf("listen on %s (is another step still running? choose another address with -grpc-addr): %w", cfg.grpcAddr, err)
	}
	// At most maxConns connections at once on each listener: when one is
	// full, a new caller takes the room of its quietest connection. Both
	// together stay below the file limit, so that neither can take the
	// files that the other needs.
	httpLn = limits.NewRoomListener(httpLn, cfg.server.maxConns, m.evicted.WithLabelValues("http").Inc)
	grpcLn = limits.NewRoomListener(grpcLn, cfg.server.maxConns, m.evicted.WithLabelValues("grpc").Inc)
	logger.Log("msg", "limits", "max_conns", cfg.server.maxConns, "grpc_max_streams", cfg.server.maxStreams,
		"grpc_max_calls", cfg.server.maxCalls, "idle_timeout", cfg.server.idleTimeout)
	logger.Log("msg", "listening for gRPC on "+grpcLn.Addr().String())
	logger.Log("msg", "listening on http://"+httpLn.Addr().String())
	return serve(ctx, logger, httpServer, httpLn, grpcServer, grpcLn, cfg.server.shutdownTimeout)
}

// newLogger returns the service's logger: go-kit's logfmt, with a
// timestamp and the file and line that logs, to w.
func newLogger(w io.Writer) log.Logger {
	return log.With(log.NewLogfmtLogger(w), "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller)
}

// logWriter is the log's writer, which Stop writes out.
type logWriter interface {
	io.Writer
	Stop() error
}

// newLogWriter returns the log's writer to w: zap's buffered writer, which
// writes the lines out together, within logFlushInterval, rather than with
// a system call each, as log.NewSyncWriter does (BenchmarkLogPath compares
// the two), and whose methods, unlike w's, are safe for concurrent use. A
// line can wait up to logFlushInterval to be seen, and is lost if the
// process dies (a panic, SIGKILL) before then: run stops it on its way out.
func newLogWriter(w io.Writer) logWriter {
	return &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(w), Size: logBufferSize, FlushInterval: logFlushInterval}
}

// The log's buffer: lines wait at most logFlushInterval to be written, and
// logBufferSize bytes of them at most.
const (
	logFlushInterval = 100 * time.Millisecond
	logBufferSize    = 64 << 10
)

// config is what the command line sets.
type config struct {
	httpAddr, grpcAddr string
	zipkinURL          string
	zipkinSampleRate   float64
	limits             addendpoint.Limits
	server             serverLimits
}

// serverLimits are the limits of the servers: the command line sets the
// first four, and the constants above the others.
type serverLimits struct {
	maxConns         int           // open connections per listener
	maxStreams       int           // gRPC calls in flight per connection
	maxCalls         int           // gRPC calls in flight in all
	idleTimeout      time.Duration // an idle connection is closed after this
	handshakeTimeout time.Duration // see the constants
	pingInterval     time.Duration
	pingTimeout      time.Duration
	callTimeout      time.Duration
	callGrace        time.Duration
	shutdownTimeout  time.Duration
}

// parseFlags reads the command line. It refuses arguments and limits that
// would refuse every request.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("addsvc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "HTTP listen address")
	grpcAddr := fs.String("grpc-addr", "127.0.0.1:8081", "gRPC listen address")
	zipkinURL := fs.String("zipkin-url", "", "send spans to this Zipkin collector, e.g. http://127.0.0.1:9411/api/v2/spans (default: write them to the log)")
	zipkinSampleRate := fs.Float64("zipkin-sample-rate", 1, "share of new traces recorded: 0, or 0.01 to 1, to the percent; a call that carries its caller's decision follows it")
	rateLimit := fs.Float64("rate-limit", 100, "requests a second allowed per endpoint, on average")
	rateBurst := fs.Int("rate-burst", 100, "requests allowed at once per endpoint, above the average rate")
	maxConns := fs.Int("max-conns", 0, "open connections allowed per listener; a new one closes the quietest; 0 means "+strconv.Itoa(defaultMaxConns)+", or fewer if the open-file limit is low")
	maxStreams := fs.Int("grpc-max-streams", defaultMaxStreams, "gRPC calls allowed in flight per connection; more are refused")
	maxCalls := fs.Int("grpc-max-calls", defaultMaxCalls, "gRPC calls allowed in flight in all; over it, a new call takes the room of a call still waiting for its request, or streaming, of the host that holds the most")
	idleTimeout := fs.Duration("idle-timeout", defaultIdleTimeout, "close a connection idle for this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "addsvc: unexpected arguments %q: every setting is a flag\n", fs.Args())
		fs.Usage()
		return config{}, errUsage
	}
	if !(*rateLimit > 0) || *rateBurst < 1 { // !(x > 0) refuses NaN too
		return config{}, fmt.Errorf("-rate-limit must be above 0 and -rate-burst at least 1, or every request is refused")
	}
	if _, err := newSampler(*zipkinSampleRate); err != nil {
		return config{}, fmt.Errorf("-zipkin-sample-rate must be 0, or from 0.01 to 1 (to the percent)")
	}
	if *maxConns == 0 {
		*maxConns = defaultMaxConnsFor(openFileLimit())
	}
	if *maxConns < 1 || *maxStreams < 1 || *maxCalls < 1 || *idleTimeout <= 0 {
		return config{}, fmt.Errorf("-max-conns, -grpc-max-streams, -grpc-max-calls and -idle-timeout must be above 0, or every request is refused")
	}
	return config{
		httpAddr:         *httpAddr,
		grpcAddr:         *grpcAddr,
		zipkinURL:        *zipkinURL,
		zipkinSampleRate: *zipkinSampleRate,
		limits:           addendpoint.Limits{Rate: rate.Limit(*rateLimit), Burst: *rateBurst},
		server: serverLimits{
			maxConns:         *maxConns,
			maxStreams:       *maxStreams,
			maxCalls:         *maxCalls,
			idleTimeout:      *idleTimeout,
			handshakeTimeout: handshakeTimeout,
			pingInterval:     pingInterval,
			pingTimeout:      pingTimeout,
			callTimeout:      callTimeout,
			callGrace:        callGrace,
			shutdownTimeout:  shutdownTimeout,
		},
	}, nil
}

// defaultMaxConnsFor returns the default of -max-conns for the process's
// open-file limit, if it has one: defaultMaxConns, or less, so that both
// listeners' connections and reservedFiles more fit below the limit.
func defaultMaxConnsFor(fileLimit uint64, ok bool) int {
	if !ok || fileLimit >= 2*defaultMaxConns+reservedFiles {
		return defaultMaxConns
	}
	if fileLimit <= 2+reservedFiles {
		return 1
	}
	return int(fileLimit-reservedFiles) / 2
}

// metrics are the service's Prometheus metrics, on a registry of their own
// (no global state) that also holds the Go runtime's and the process's. The
// transports count every request, refused ones included: the HTTP
// responses by code and method, with promhttp, and the gRPC calls by code
// and method, with grpc-ecosystem's interceptors.
type metrics struct {
	reg         *prometheus.Registry
	ints, chars *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	http        *prometheus.CounterVec
	grpc        *grpcprom.ServerMetrics
	grpcRefused *prometheus.CounterVec // calls refused before they start, by reason (see limits.Calls)
	grpcCutOff  prometheus.Counter     // calls cut off to make room (see limits.Calls)
	evicted     *prometheus.CounterVec // connections closed to make room, by listener (see limits.RoomListener)
}

func newMetrics() metrics {
	m := metrics{
		reg: prometheus.NewRegistry(),
		ints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "addsvc",
			Name:      "integers_summed_total",
			Help:      "Integers summed by successful Sum calls.",
		}, nil),
		chars: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "addsvc",
			Name:      "characters_concatenated_total",
			Help:      "Characters (bytes) in the results of Concat.",
		}, nil),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "addsvc",
			Name:      "request_duration_seconds",
			Help:      "Duration of endpoint calls in seconds, by method and success.",
			// The buckets run from 10 µs, as a call takes tens of microseconds,
			// to 10 s, the servers' timeout. The histogram is a native one too,
			// with buckets 10% apart, for a Prometheus that scrapes those.
			Buckets: []float64{
				.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005,
				.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10,
			},
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  160,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"method", "success"}),
		http: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "addsvc",
			Name:      "http_requests_total",
			Help:      "HTTP responses, by status code and request method.",
		}, []string{"code", "method"}),
		grpc: grpcprom.NewServerMetrics(),
		grpcRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "addsvc",
			Name:      "grpc_calls_refused_total",
			Help:      "gRPC calls refused before they started, by reason: over -grpc-max-calls (max_calls), or a method that no service serves or no name of one (unknown_method). Calls over -grpc-max-streams are refused by grpc-go (REFUSED_STREAM), uncounted.",
		}, []string{"reason"}),
		grpcCutOff: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "addsvc",
			Name:      "grpc_calls_cut_off_total",
			Help:      "gRPC calls still waiting for their request, or streaming, cut off (Canceled) to make room for another host's, over -grpc-max-calls.",
		}),
		evicted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "addsvc",
			Name:      "connections_evicted_total",
			Help:      "Connections closed to make room for a new one, over -max-conns, by listener.",
		}, []string{"listener"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.ints, m.chars, m.duration, m.http, m.grpc, m.grpcRefused, m.grpcCutOff, m.evicted,
	)
	m.ints.WithLabelValues() // export both counters from the start, at 0
	m.chars.WithLabelValues()
	for _, reason := range []string{limits.RefusedMaxCalls, limits.RefusedUnknownMethod} {
		m.grpcRefused.WithLabelValues(reason)
	}
	m.evicted.WithLabelValues("http")
	m.evicted.WithLabelValues("grpc")
	return m
}

// newOnion builds the service from the inside out: business logic, then
// logging, then instrumenting; then the endpoints, each in its own endpoint
// middlewares.
func newOnion(logger log.Logger, m metrics, tracer *zipkin.Tracer, limits addendpoint.Limits) addendpoint.Set {
	var svc addservice.Service
	svc = addservice.NewBasicService()
	svc = addservice.LoggingMiddleware(log.With(logger, "layer", "service"))(svc)
	svc = addservice.InstrumentingMiddleware(kitprometheus.NewCounter(m.ints), kitprometheus.NewCounter(m.chars))(svc)
	return addendpoint.New(svc, log.With(logger, "layer", "endpoint"), kitprometheus.NewHistogram(m.duration), tracer, limits)
}

// newServers returns the HTTP server, which serves the endpoints and the
// metrics of m, and the gRPC server, which serves the endpoints with
// reflection on, so that tools such as grpcurl can list its methods. Both
// count every request in m, log the transports' errors to logger, and keep
// to the limits of server.
func newServers(endpoints addendpoint.Set, m metrics, tracer *zipkin.Tracer, logger log.Logger, server serverLimits) (*http.Server, *grpc.Server) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
	})
	// Each body is capped at addtransport.MaxBodyBytes, and all those being
	// read at maxBodyBytesInFlight.
	mux.Handle("/", limits.BodyBytes(addtransport.NewHTTPHandler(endpoints, tracer, log.With(logger, "layer", "transport", "transport", "HTTP")),
		maxBodyBytesInFlight, smallBodyBytes))
	httpServer := &http.Server{
		Handler:           promhttp.InstrumentHandlerCounter(m.http, mux),
		ReadHeaderTimeout: server.handshakeTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       server.idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}

	// The calls in flight: at most maxStreams per connection (grpc-go
	// refuses more, REFUSED_STREAM), and maxCalls in all, shared fairly
	// between hosts (see limits.Calls).
	calls := limits.NewCalls(server.maxCalls, server.callTimeout, server.callGrace, m.grpcRefused, m.grpcCutOff)
	grpcServer := grpc.NewServer(
		// Strings that are not UTF-8 reach the decode functions, which
		// refuse them as the HTTP transport does.
		grpc.ForceServerCodecV2(addtransport.Codec{}),
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.MaxHeaderListSize(maxHeaderBytes),
		grpc.MaxConcurrentStreams(uint32(server.maxStreams)),
		grpc.InTapHandle(calls.Tap),
		grpc.StatsHandler(calls),
		grpc.UnknownServiceHandler(calls.UnknownMethod),
		grpc.ConnectionTimeout(server.handshakeTimeout),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: server.idleTimeout,
			Time:              server.pingInterval,
			Timeout:           server.pingTimeout,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             minPingInterval,
			PermitWithoutStream: true,
		}),
		grpc.ChainUnaryInterceptor(m.grpc.UnaryServerInterceptor(), calls.Unary),
		grpc.ChainStreamInterceptor(limits.ServedOnly(m.grpc.StreamServerInterceptor()), calls.Stream),
		// go-kit's interceptor puts the gRPC method in the context, where the
		// server's trace finds it and tags its span with it.
		grpc.ChainUnaryInterceptor(grpctransport.Interceptor),
	)
	addtransport.RegisterGRPCServer(grpcServer, addtransport.NewGRPCServer(endpoints, tracer, log.With(logger, "layer", "transport", "transport", "gRPC")))
	reflection.Register(grpcServer)
	m.grpc.InitializeMetrics(grpcServer) // every method at 0, before its first call
	return httpServer, grpcServer
}

// serve runs both servers as a group (github.com/oklog/run) with oklog/run's
// context handler, until ctx is done (main's ends on SIGINT or SIGTERM) or a
// server fails; then it shuts both down gracefully, letting the requests in
// flight finish. Each server's interrupt starts its shutdown and returns at once, so
// that both shut down side by side within shutdownTimeout; each server's
// actor returns when its shutdown is done.
func serve(ctx context.Context, logger log.Logger, httpServer *http.Server, httpLn net.Listener, grpcServer *grpc.Server, grpcLn net.Listener, shutdownTimeout time.Duration) error {
	var g oklogrun.Group
	g.Add(oklogrun.ContextHandler(ctx))

	httpDone := make(chan struct{})
	g.Add(func() error {
		if err := httpServer.Serve(httpLn); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve HTTP: %w", err)
		}
		<-httpDone
		return nil
	}, func(error) {
		logger.Log("msg", "shutting down", "cause", context.Cause(ctx))
		go func() {
			defer close(httpDone)
			shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if err := httpServer.Shutdown(shutdownCtx); err != nil {
				logger.Log("msg", "HTTP requests still in flight are cut off", "err", err)
				httpServer.Close()
			}
		}()
	})

	grpcDone := make(chan struct{})
	g.Add(func() error {
		if err := grpcServer.Serve(grpcLn); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return fmt.Errorf("serve gRPC: %w", err)
		}
		<-grpcDone
		return nil
	}, func(error) {
		go func() {
			defer close(grpcDone)
			stopped := make(chan struct{})
			go func() {
				grpcServer.GracefulStop()
				close(stopped)
			}()
			select {
			case <-stopped:
			case <-time.After(shutdownTimeout):
				// Stop closes the connections; GracefulStop returns once
				// the handlers that ignore their context end, if ever.
				logger.Log("msg", "gRPC calls still in flight are cut off")
				grpcServer.Stop()
			}
		}()
	})

	err := g.Run()
	logger.Log("msg", "stopped")
	if errors.Is(err, context.Canceled) {
		return nil // asked to stop: a clean shutdown
	}
	return err
}
