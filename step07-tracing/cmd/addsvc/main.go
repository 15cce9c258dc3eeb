// Command addsvc serves the add service over HTTP (127.0.0.1:8080, or
// -http-addr) and gRPC (127.0.0.1:8081, or -grpc-addr) from one binary
// (slide 82), with its Prometheus metrics on GET /metrics of the HTTP
// listener. It traces every request with Zipkin (slides 87–88): to the
// collector at -zipkin-url, or else to its log. It shuts both down
// gracefully on SIGINT (Ctrl-C) and SIGTERM.
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
	"syscall"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"

	"github.com/gokit-workshop/workshop/step07-tracing/addendpoint"
	"github.com/gokit-workshop/workshop/step07-tracing/addservice"
	"github.com/gokit-workshop/workshop/step07-tracing/addtransport"
	"github.com/gokit-workshop/workshop/step07-tracing/pb"
)

// Server timeouts: a slow or stalled client cannot hold a connection forever.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 60 * time.Second
	shutdownTimeout   = 10 * time.Second
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
	logOut := log.NewSyncWriter(stderr)
	logger := log.NewLogfmtLogger(logOut)
	logger = log.With(logger, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller)
	tracer, spans, err := newTracer(cfg.zipkinURL, cfg.zipkinSampleRate, log.With(logger, "layer", "tracing"), logOut)
	if err != nil {
		return err
	}
	defer spans.Close() // sends the last spans
	m := newMetrics()
	endpoints := newOnion(logger, m, tracer, cfg.limits)
	httpServer := newHTTPServer(endpoints, m.reg, tracer, log.With(logger, "layer", "transport", "transport", "HTTP"))
	grpcServer := newGRPCServer(endpoints, tracer, log.With(logger, "layer", "transport", "transport", "gRPC"))
	httpLn, err := net.Listen("tcp", cfg.httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (is another step still running? choose another address with -http-addr): %w", cfg.httpAddr, err)
	}
	grpcLn, err := net.Listen("tcp", cfg.grpcAddr)
	if err != nil {
		httpLn.Close()
		return fmt.Errorf("listen on %s (is another step still running? choose another address with -grpc-addr): %w", cfg.grpcAddr, err)
	}
	logger.Log("msg", "listening for gRPC on "+grpcLn.Addr().String())
	logger.Log("msg", "listening on http://"+httpLn.Addr().String())
	return serve(ctx, logger, httpServer, httpLn, grpcServer, grpcLn, shutdownTimeout)
}

// config is what the command line sets.
type config struct {
	httpAddr, grpcAddr string
	zipkinURL          string
	zipkinSampleRate   float64
	limits             addendpoint.Limits
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
	return config{
		httpAddr:         *httpAddr,
		grpcAddr:         *grpcAddr,
		zipkinURL:        *zipkinURL,
		zipkinSampleRate: *zipkinSampleRate,
		limits:           addendpoint.Limits{Rate: rate.Limit(*rateLimit), Burst: *rateBurst},
	}, nil
}

// metrics are the service's Prometheus metrics, on a registry of their own
// (no global state) that also holds the Go runtime's and the process's.
type metrics struct {
	reg         *prometheus.Registry
	ints, chars *prometheus.CounterVec
	duration    *prometheus.HistogramVec
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
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.ints, m.chars, m.duration,
	)
	m.ints.WithLabelValues() // export both counters from the start, at 0
	m.chars.WithLabelValues()
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

// newHTTPServer returns the HTTP server, which serves the endpoints and the
// metrics of reg, traces with tracer, and logs the transport's errors to
// logger.
func newHTTPServer(endpoints addendpoint.Set, reg *prometheus.Registry, tracer *zipkin.Tracer, logger log.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", addtransport.NewHTTPHandler(endpoints, tracer, logger))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}

// newGRPCServer returns the gRPC server, which serves the endpoints, with
// reflection on for tools such as grpcurl, traces with tracer, and logs its
// errors to logger.
func newGRPCServer(endpoints addendpoint.Set, tracer *zipkin.Tracer, logger log.Logger) *grpc.Server {
	// go-kit's interceptor puts the gRPC method in the context, where the
	// server's trace finds it and tags its span with it.
	s := grpc.NewServer(grpc.ChainUnaryInterceptor(grpctransport.Interceptor))
	pb.RegisterAddServer(s, addtransport.NewGRPCServer(endpoints, tracer, logger))
	reflection.Register(s)
	return s
}
