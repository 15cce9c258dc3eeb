// Command stringsvc serves the string service, step 9's second service,
// over HTTP (127.0.0.1:8181, or -http-addr): POST /uppercase and POST
// /count, with its Prometheus metrics on GET /metrics. addsvc calls its
// Uppercase for Concat's results when started with -stringsvc. It traces
// with Zipkin, keeps to step 8's limits where they apply (connections,
// timeouts, header and body sizes, a bounded log), and shuts down
// gracefully on SIGINT and SIGTERM.
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
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/limits"
	"github.com/gokit-workshop/workshop/step09-services/stringendpoint"
	"github.com/gokit-workshop/workshop/step09-services/stringservice"
	"github.com/gokit-workshop/workshop/step09-services/stringtransport"
	"github.com/gokit-workshop/workshop/step09-services/svckit"
)

// The server's limits, as addsvc's (step 8).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	shutdownTimeout   = 5 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "stringsvc: %v\n", err)
		os.Exit(1)
	}
}

// errUsage marks a refused command line, once the flag package said why.
var errUsage = errors.New("bad command line")

// run parses the flags, builds the service and serves it until ctx is done.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("stringsvc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http-addr", "127.0.0.1:8181", "HTTP listen address")
	zipkinURL := fs.String("zipkin-url", "", "send spans to this Zipkin collector, e.g. http://127.0.0.1:9411/api/v2/spans (default: write them to the log)")
	zipkinSampleRate := fs.Float64("zipkin-sample-rate", 1, "share of new traces recorded: 0, or 0.01 to 1; a call that carries its caller's decision follows it")
	rateLimit := fs.Float64("rate-limit", 1000, "requests a second allowed per endpoint, on average")
	rateBurst := fs.Int("rate-burst", 1000, "requests allowed at once per endpoint, above the average rate")
	maxConns := fs.Int("max-conns", 128, "open connections allowed; a new one closes the quietest of the host that holds the most")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 || !(*rateLimit > 0) || *rateBurst < 1 || *maxConns < 1 {
		fmt.Fprintln(stderr, "stringsvc: every setting is a flag, and -rate-limit, -rate-burst and -max-conns must be above 0")
		fs.Usage()
		return errUsage
	}

	logOut := svckit.NewLogWriter(stderr)
	defer logOut.Stop()
	logger := svckit.NewLogger(logOut)
	counted := limits.NewCounting(logger, svckit.LogCountPeriod, svckit.LogKind)
	defer counted.Flush()
	tracer, spans, err := svckit.NewTracer("stringsvc", *zipkinURL, *zipkinSampleRate, log.With(counted, "layer", "tracing"), logOut)
	if err != nil {
		return err
	}
	defer func() {
		if err := spans.Close(); err != nil {
			logger.Log("msg", "the last spans are lost", "err", err)
		}
	}()

	m := newMetrics()
	var svc stringservice.Service
	svc = stringservice.NewBasicService()
	svc = stringservice.LoggingMiddleware(log.With(logger, "layer", "service"))(svc)
	svc = stringservice.InstrumentingMiddleware(kitprometheus.NewCounter(m.upper), kitprometheus.NewCounter(m.counted))(svc)
	endpoints := stringendpoint.New(svc, log.With(logger, "layer", "endpoint"), kitprometheus.NewHistogram(m.duration), tracer,
		addendpoint.Limits{Rate: rate.Limit(*rateLimit), Burst: *rateBurst})

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.Handle("/", stringtransport.NewHTTPHandler(endpoints, tracer, log.With(counted, "layer", "transport", "transport", "HTTP")))
	server := &http.Server{
		Handler:           promhttp.InstrumentHandlerCounter(m.http, mux),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (is another stringsvc still running? choose another address with -http-addr): %w", *httpAddr, err)
	}
	ln = limits.NewRoomListener(ln, *maxConns, m.evicted.Inc)
	logger.Log("msg", "listening on http://"+ln.Addr().String())
	return svckit.Serve(ctx, logger, server, ln, nil, nil, shutdownTimeout)
}

// metrics are the string service's Prometheus metrics, on a registry of
// its own, as addsvc's.
type metrics struct {
	reg            *prometheus.Registry
	upper, counted *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	http           *prometheus.CounterVec
	evicted        prometheus.Counter
}

func newMetrics() metrics {
	m := metrics{
		reg: svckit.NewRegistry(),
		upper: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "stringsvc", Name: "characters_uppercased_total",
			Help: "Characters (bytes) in the results of successful Uppercase calls.",
		}, nil),
		counted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "stringsvc", Name: "characters_counted_total",
			Help: "Characters (bytes) counted by Count.",
		}, nil),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "stringsvc", Name: "request_duration_seconds",
			Help:    "Duration of endpoint calls in seconds, by method and success.",
			Buckets: svckit.DurationBuckets(),
		}, []string{"method", "success"}),
		http: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "stringsvc", Name: "http_requests_total",
			Help: "HTTP responses, by status code and request method.",
		}, []string{"code", "method"}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "stringsvc", Name: "connections_evicted_total",
			Help: "Connections closed to make room for a new one, over -max-conns.",
		}),
	}
	m.reg.MustRegister(m.upper, m.counted, m.duration, m.http, m.evicted)
	m.upper.WithLabelValues()
	m.counted.WithLabelValues()
	return m
}
