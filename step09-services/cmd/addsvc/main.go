// Command addsvc serves the add service over HTTP (127.0.0.1:8080, or
// -http-addr) and gRPC (127.0.0.1:8081, or -grpc-addr) from one binary
// (slide 82), with its Prometheus metrics on GET /metrics of the HTTP
// listener. It traces every request with Zipkin (slides 87–88): to the
// collector at -zipkin-url, or else to its log. It shuts both down
// gracefully on SIGINT (Ctrl-C) and SIGTERM, and exits within 10 s.
//
// It bounds what one caller can cost it: connections per listener, gRPC
// calls per connection, timeouts for slow and idle connections, header,
// body and message sizes, and its log (see the README's limits).
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
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/go-kit/log"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/openzipkin/zipkin-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
	"github.com/gokit-workshop/workshop/step09-services/limits"
	"github.com/gokit-workshop/workshop/step09-services/stringtransport"
	"github.com/gokit-workshop/workshop/step09-services/svckit"
)

// The budget of a call to stringsvc (step 9): a dead instance is skipped
// at the cost of an attempt, a slow one at the cost of stringsvcPerAttempt,
// and no call waits more than stringsvcTotal for stringsvc.
const (
	stringsvcAttempts   = 3
	stringsvcPerAttempt = 300 * time.Millisecond
	stringsvcTotal      = time.Second
)

// Server timeouts: a slow or stalled client cannot hold a connection
// forever. The idle timeout is a flag (-idle-timeout).
const (
	readHeaderTimeout = 5 * time.Second  // HTTP: to send the request's headers; gRPC: the HTTP/2 preface
	readTimeout       = 10 * time.Second // HTTP: to send the whole request
	writeTimeout      = 10 * time.Second // HTTP: to read the whole answer
	pingInterval      = 30 * time.Second // gRPC: the server pings a connection silent for this long...
	pingTimeout       = 10 * time.Second // ...and closes it if no answer comes within this
	minPingInterval   = 10 * time.Second // gRPC: a client that pings more often is sent away
	maxConnAge        = 10 * time.Minute // gRPC: a connection, streams and all, is closed after this...
	maxConnAgeGrace   = 10 * time.Second // ...and the calls on it get this long to finish
	shutdownTimeout   = 5 * time.Second  // to finish the calls in flight on SIGTERM; the spans get 3 s more
)

// Caps of what one request may hold in memory while it is read: its
// headers (HTTP) or metadata (gRPC), its body (addtransport.MaxBodyBytes)
// or message. No valid request comes near them.
const (
	maxHeaderBytes  = 16 << 10
	maxMessageBytes = 16 << 10
)

// Defaults of the limits that flags set: at most 2 × maxConns connections,
// and maxConns × maxStreams gRPC calls, each holding at most a message.
const (
	defaultMaxConns    = 128              // per listener, if the file limit allows
	defaultMaxStreams  = 16               // gRPC calls in flight per connection
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
	logOut := svckit.NewLogWriter(stderr)
	defer logOut.Stop() // writes out the lines it holds
	logger := svckit.NewLogger(logOut)
	counted := limits.NewCounting(logger, svckit.LogCountPeriod, svckit.LogKind)
	defer counted.Flush()
	tracer, spans, err := svckit.NewTracer("addsvc", cfg.zipkinURL, cfg.zipkinSampleRate, log.With(counted, "layer", "tracing"), logOut)
	if err != nil {
		return err
	}
	defer func() {
		if err := spans.Close(); err != nil {
			logger.Log("msg", "the last spans are lost", "err", err)
		}
	}()
	m := newMetrics()
	var upper func(context.Context, string) (string, error) // step 9: Concat's result upper-cased by stringsvc
	if cfg.stringsvc != "" {
		instancer, err := stringtransport.NewInstancer(cfg.stringsvc, log.With(counted, "layer", "sd"))
		if err != nil {
			return fmt.Errorf("-stringsvc %w", err)
		}
		defer instancer.Stop()
		var balancer io.Closer
		upper, balancer = stringtransport.NewUppercase(instancer,
			stringtransport.Retry{Attempts: stringsvcAttempts, PerAttempt: stringsvcPerAttempt, Total: stringsvcTotal}, tracer, log.With(counted, "layer", "sd"),
			kitprometheus.NewCounter(m.stringsvc))
		defer balancer.Close()
		logger.Log("msg", "Concat's results upper-cased by stringsvc at "+cfg.stringsvc)
	}
	endpoints := newOnion(logger, m, tracer, cfg.limits, upper)
	httpServer := newHTTPServer(endpoints, m, tracer, log.With(counted, "layer", "transport", "transport", "HTTP"), cfg.server)
	grpcServer := newGRPCServer(endpoints, m, tracer, log.With(counted, "layer", "transport", "transport", "gRPC"), cfg.server)
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
	// full, a new caller takes the room of the quietest connection of the
	// host that holds the most.
	httpLn = limits.NewRoomListener(httpLn, cfg.server.maxConns, m.evicted.WithLabelValues("http").Inc)
	grpcLn = limits.NewRoomListener(grpcLn, cfg.server.maxConns, m.evicted.WithLabelValues("grpc").Inc)
	logger.Log("msg", "limits", "max_conns", cfg.server.maxConns, "grpc_max_streams", cfg.server.maxStreams, "idle_timeout", cfg.server.idleTimeout)
	logger.Log("msg", "listening for gRPC on "+grpcLn.Addr().String())
	logger.Log("msg", "listening on http://"+httpLn.Addr().String())
	return svckit.Serve(ctx, logger, httpServer, httpLn, grpcServer, grpcLn, cfg.server.shutdownTimeout)
}

// config is what the command line sets.
type config struct {
	httpAddr, grpcAddr string
	zipkinURL          string
	zipkinSampleRate   float64
	stringsvc          string // step 9: stringsvc's instances, for Concat
	limits             addendpoint.Limits
	server             serverLimits
}

// serverLimits are the servers' limits: the command line sets the first
// three, and the constants above the others.
type serverLimits struct {
	maxConns         int           // open connections per listener
	maxStreams       int           // gRPC calls in flight per connection
	idleTimeout      time.Duration // an idle connection is closed after this
	handshakeTimeout time.Duration // HTTP: to send the headers; gRPC: the HTTP/2 preface
	shutdownTimeout  time.Duration // to finish the calls in flight
}

// parseFlags reads the command line. It refuses arguments and limits that
// would refuse every request.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("addsvc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "HTTP listen address")
	grpcAddr := fs.String("grpc-addr", "127.0.0.1:8081", "gRPC listen address")
	zipkinURL := fs.String("zipkin-url", "", "send spans to this Zipkin collector, e.g. http://127.0.0.1:9411/api/v2/spans (default: write them to the log)")
	zipkinSampleRate := fs.Float64("zipkin-sample-rate", 1, "share of new traces recorded: 0, or 0.01 to 1; a call that carries its caller's decision follows it")
	rateLimit := fs.Float64("rate-limit", 100, "requests a second allowed per endpoint, on average")
	rateBurst := fs.Int("rate-burst", 100, "requests allowed at once per endpoint, above the average rate")
	maxConns := fs.Int("max-conns", 0, "open connections allowed per listener; a new one closes the quietest of the host that holds the most; 0 means "+strconv.Itoa(defaultMaxConns)+", or fewer if the open-file limit is low")
	maxStreams := fs.Int("grpc-max-streams", defaultMaxStreams, "gRPC calls allowed in flight per connection; grpc-go refuses more")
	idleTimeout := fs.Duration("idle-timeout", defaultIdleTimeout, "close a connection idle for this long")
	stringsvc := fs.String("stringsvc", "", "upper-case Concat's results with stringsvc, balanced over host:port,host:port or "+stringtransport.DNSSRVPrefix+"NAME (DNS SRV records); default: Concat as in step 8")
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
	if *maxConns == 0 {
		*maxConns = defaultMaxConnsFor(openFileLimit())
	}
	if *maxConns < 1 || *maxStreams < 1 || *idleTimeout <= 0 {
		return config{}, fmt.Errorf("-max-conns, -grpc-max-streams and -idle-timeout must be above 0, or every request is refused")
	}
	return config{
		httpAddr:         *httpAddr,
		grpcAddr:         *grpcAddr,
		zipkinURL:        *zipkinURL,
		zipkinSampleRate: *zipkinSampleRate,
		stringsvc:        *stringsvc,
		limits:           addendpoint.Limits{Rate: rate.Limit(*rateLimit), Burst: *rateBurst},
		server: serverLimits{
			maxConns:         *maxConns,
			maxStreams:       *maxStreams,
			idleTimeout:      *idleTimeout,
			handshakeTimeout: readHeaderTimeout,
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
	evicted     *prometheus.CounterVec // connections closed to make room, by listener
	stringsvc   *prometheus.CounterVec // step 9: attempts of calls to stringsvc, by stringsvc instance and outcome
}

func newMetrics() metrics {
	m := metrics{
		reg: svckit.NewRegistry(),
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
			// The histogram is a native one too, with buckets 10% apart, for
			// a Prometheus that scrapes those.
			Buckets:                         svckit.DurationBuckets(),
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
		evicted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "addsvc",
			Name:      "connections_evicted_total",
			Help:      "Connections closed to make room for a new one, over -max-conns, by listener.",
		}, []string{"listener"}),
	}
	m.stringsvc = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "addsvc",
		Name:      "stringsvc_attempts_total",
		Help:      "Attempts of calls to stringsvc's Uppercase, by stringsvc instance and outcome (success, error, breaker open).",
	}, []string{"stringsvc", "outcome"})
	m.reg.MustRegister(
		m.stringsvc,
		m.ints, m.chars, m.duration, m.http, m.grpc, m.evicted,
	)
	m.ints.WithLabelValues() // export both counters from the start, at 0
	m.chars.WithLabelValues()
	m.evicted.WithLabelValues("http")
	m.evicted.WithLabelValues("grpc")
	return m
}

// newOnion builds the service from the inside out: business logic (and
// with upper, Concat's results upper-cased with it), then logging, then instrumenting; then the endpoints, each in its own endpoint
// middlewares.
func newOnion(logger log.Logger, m metrics, tracer *zipkin.Tracer, limits addendpoint.Limits, upper func(context.Context, string) (string, error)) addendpoint.Set {
	var svc addservice.Service
	svc = addservice.NewBasicService()
	if upper != nil {
		svc = addservice.UppercaseMiddleware(upper)(svc)
	}
	svc = addservice.LoggingMiddleware(log.With(logger, "layer", "service"))(svc)
	svc = addservice.InstrumentingMiddleware(kitprometheus.NewCounter(m.ints), kitprometheus.NewCounter(m.chars))(svc)
	return addendpoint.New(svc, log.With(logger, "layer", "endpoint"), kitprometheus.NewHistogram(m.duration), tracer, limits)
}

// newHTTPServer returns the HTTP server, which serves the endpoints and the
// metrics of m, traces with tracer, logs the transport's errors to logger,
// counts every response in m, and keeps to limits.
func newHTTPServer(endpoints addendpoint.Set, m metrics, tracer *zipkin.Tracer, logger log.Logger, limits serverLimits) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.Handle("/", addtransport.NewHTTPHandler(endpoints, tracer, logger))
	return &http.Server{
		Handler:           promhttp.InstrumentHandlerCounter(m.http, mux),
		ReadHeaderTimeout: limits.handshakeTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       limits.idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// newGRPCServer returns the gRPC server, which serves the endpoints, with
// reflection on for tools such as grpcurl, traces with tracer, logs its
// errors to logger, counts every call in m, and keeps to limits: each
// connection holds at most maxStreams calls (grpc-go refuses more, as
// REFUSED_STREAM), a message of at most maxMessageBytes each, for at most
// maxConnAge, and pings its client, which may not ping it too often.
func newGRPCServer(endpoints addendpoint.Set, m metrics, tracer *zipkin.Tracer, logger log.Logger, limits serverLimits) *grpc.Server {
	opts := []grpc.ServerOption{
		grpc.MaxHeaderListSize(maxHeaderBytes),
		grpc.ConnectionTimeout(limits.handshakeTimeout),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             minPingInterval,
			PermitWithoutStream: true,
		}),
		// go-kit's interceptor puts the gRPC method in the context, where the
		// server's trace finds it and tags its span with it.
		grpc.ChainUnaryInterceptor(m.grpc.UnaryServerInterceptor(), grpctransport.Interceptor),
		grpc.ChainStreamInterceptor(m.grpc.StreamServerInterceptor()),
	}
	opts = append(opts,
		grpc.MaxConcurrentStreams(uint32(limits.maxStreams)),
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     limits.idleTimeout,
			MaxConnectionAge:      maxConnAge,
			MaxConnectionAgeGrace: maxConnAgeGrace,
			Time:                  pingInterval,
			Timeout:               pingTimeout,
		}),
	)
	s := grpc.NewServer(opts...)
	addtransport.RegisterGRPCServer(s, addtransport.NewGRPCServer(endpoints, tracer, logger))
	reflection.Register(s)
	m.grpc.InitializeMetrics(s) // every method at 0, before its first call
	return s
}
