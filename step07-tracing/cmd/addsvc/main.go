// Command addsvc serves the add service over HTTP and gRPC from one binary
// (slide 82), and its Prometheus metrics on GET /metrics of the HTTP
// listener. It traces every request with Zipkin (slides 87–88): to the
// collector at -zipkin-url, or else to its log.
//
// It listens on 127.0.0.1:8080 for HTTP and 127.0.0.1:8081 for gRPC unless
// told otherwise with -http-addr and -grpc-addr, and shuts both down
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
	oklogrun "github.com/oklog/run"
	"github.com/openzipkin/zipkin-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"

	"github.com/gokit-workshop/workshop/step07-tracing/addsvc"
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
	defer stop()
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp): // -h: the usage is printed
	case errors.Is(err, errUsage): // the flag package has said what is wrong
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "addsvc: %v\n", err)
		os.Exit(1)
	}
}

// errUsage marks a refused command line, once what is wrong and the usage
// are printed.
var errUsage = errors.New("bad command line")

// run parses the flags, builds the service and serves it until ctx is done.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("addsvc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "HTTP listen address")
	grpcAddr := fs.String("grpc-addr", "127.0.0.1:8081", "gRPC listen address")
	zipkinURL := fs.String("zipkin-url", "", "send spans to this Zipkin collector, e.g. http://127.0.0.1:9411/api/v2/spans (default: write them to the log)")
	rateLimit := fs.Float64("rate-limit", 100, "requests a second allowed per endpoint, on average")
	rateBurst := fs.Int("rate-burst", 100, "requests allowed at once per endpoint, above the average rate")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "addsvc: unexpected arguments %q: every setting is a flag\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	if !(*rateLimit > 0) || *rateBurst < 1 { // !(x > 0) refuses NaN too
		return fmt.Errorf("-rate-limit must be above 0 and -rate-burst at least 1, or every request is refused")
	}
	logger := log.NewLogfmtLogger(log.NewSyncWriter(stderr))
	logger = log.With(logger, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller)

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	ints := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "addsvc",
		Name:      "integers_summed_total",
		Help:      "Integers summed by successful Sum calls.",
	}, nil)
	chars := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "addsvc",
		Name:      "characters_concatenated_total",
		Help:      "Characters (runes) in the results of Concat.",
	}, nil)
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "addsvc",
		Name:      "request_duration_seconds",
		Help:      "Duration of endpoint calls in seconds, by method and success.",
		Buckets:   prometheus.DefBuckets,
	}, []string{"method", "success"})
	reg.MustRegister(ints, chars, duration)
	ints.WithLabelValues() // export both counters from the start, at 0
	chars.WithLabelValues()

	tracingLogger := log.With(logger, "layer", "tracing")
	tracer, spans, err := addsvc.NewTracer("addsvc", *zipkinURL, addsvc.NewLogReporter(tracingLogger), tracingLogger)
	if err != nil {
		return err
	}
	defer spans.Close()

	// The onion, from the inside out: business logic, then logging, then
	// instrumenting.
	var svc addsvc.Service
	svc = addsvc.NewBasicService()
	svc = addsvc.NewLoggingMiddleware(log.With(logger, "layer", "service"))(svc)
	svc = addsvc.NewInstrumentingMiddleware(kitprometheus.NewCounter(ints), kitprometheus.NewCounter(chars))(svc)

	// Then the endpoints, each in its own endpoint middlewares.
	endpoints := addsvc.NewEndpoints(svc, log.With(logger, "layer", "endpoint"),
		kitprometheus.NewHistogram(duration), tracer, addsvc.Limits{Rate: rate.Limit(*rateLimit), Burst: *rateBurst})

	httpServer, grpcServer := newServers(endpoints, reg, tracer, logger)

	httpLn, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (is another step still running? choose another address with -http-addr): %w", *httpAddr, err)
	}
	grpcLn, err := net.Listen("tcp", *grpcAddr)
	if err != nil {
		httpLn.Close()
		return fmt.Errorf("listen on %s (is another step still running? choose another address with -grpc-addr): %w", *grpcAddr, err)
	}
	logger.Log("msg", "listening for gRPC on "+grpcLn.Addr().String())
	logger.Log("msg", "listening on http://"+httpLn.Addr().String())
	return serve(ctx, logger, httpServer, httpLn, grpcServer, grpcLn)
}

// newServers returns the HTTP server, which serves the endpoints and the
// metrics of reg, and the gRPC server, which serves the endpoints with
// reflection on, so that tools such as grpcurl can list its methods.
func newServers(endpoints addsvc.Endpoints, reg *prometheus.Registry, tracer *zipkin.Tracer, logger log.Logger) (*http.Server, *grpc.Server) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", addsvc.NewHTTPHandler(endpoints, tracer, log.With(logger, "layer", "transport", "transport", "HTTP")))
	httpServer := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}

	// go-kit's interceptor puts the gRPC method in the context, where the
	// server's trace finds it and tags its span with it.
	grpcServer := grpc.NewServer(grpc.UnaryInterceptor(grpctransport.Interceptor))
	pb.RegisterAddServer(grpcServer, addsvc.NewGRPCServer(endpoints, tracer, log.With(logger, "layer", "transport", "transport", "gRPC")))
	reflection.Register(grpcServer)
	return httpServer, grpcServer
}

// serve runs both servers as a group (github.com/oklog/run) until ctx is
// done or one of them fails, then shuts both down gracefully, letting the
// requests in flight finish.
func serve(ctx context.Context, logger log.Logger, httpServer *http.Server, httpLn net.Listener, grpcServer *grpc.Server, grpcLn net.Listener) error {
	var g oklogrun.Group
	{
		ctx, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			<-ctx.Done()
			logger.Log("msg", "shutting down")
			return nil
		}, func(error) {
			cancel()
		})
	}
	// Each server's interrupt starts its graceful shutdown and returns at
	// once, so that both shut down side by side; each server's actor returns
	// when its shutdown is done.
	httpDone := make(chan struct{})
	g.Add(func() error {
		if err := httpServer.Serve(httpLn); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve HTTP: %w", err)
		}
		<-httpDone
		return nil
	}, func(error) {
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
				logger.Log("msg", "gRPC calls still in flight are cut off")
				grpcServer.Stop()
			}
		}()
	})
	err := g.Run()
	logger.Log("msg", "stopped")
	return err
}
