package stringtransport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/kit/sd"
	"github.com/go-kit/kit/sd/dnssrv"
	"github.com/go-kit/kit/sd/lb"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/sony/gobreaker"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/stringendpoint"
	"github.com/gokit-workshop/workshop/step09-services/stringservice"
)

// Retry is the budget of one call over the balanced instances: at most
// Attempts attempts, each of at most PerAttempt, all of them within Total.
// A dead instance costs an attempt (a refused connection, at once, or a
// refusal of its open breaker); a slow one costs PerAttempt at most.
type Retry struct {
	Attempts   int
	PerAttempt time.Duration
	Total      time.Duration
}

// DNSSRVPrefix marks an -stringsvc value that names DNS SRV records, as a
// Kubernetes headless Service publishes them: dnssrv:_http._tcp.stringsvc.NS.svc.cluster.local.
const DNSSRVPrefix = "dnssrv:"

// dnsRefresh is how often the SRV records are looked up again.
const dnsRefresh = 5 * time.Second

// NewInstancer returns the instances that spec names: a list of host:port,
// comma-separated (sd.FixedInstancer), or DNSSRVPrefix and a DNS name whose
// SRV records are looked up every dnsRefresh (go-kit's sd/dnssrv). Stop it
// when done.
func NewInstancer(spec string, logger log.Logger) (sd.Instancer, error) {
	if name, ok := strings.CutPrefix(spec, DNSSRVPrefix); ok {
		if name == "" {
			return nil, fmt.Errorf("%q: want %sNAME", spec, DNSSRVPrefix)
		}
		return dnssrv.NewInstancer(name, dnsRefresh, logger), nil
	}
	var instances sd.FixedInstancer
	for _, addr := range strings.Split(spec, ",") {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("%q: want host:port,host:port or %sNAME: %w", spec, DNSSRVPrefix, err)
		}
		instances = append(instances, addr)
	}
	return instances, nil
}

// NewUppercase returns a function that upper-cases a string with the
// Uppercase endpoint of the stringsvc instances of instancer, through
// go-kit's balancing: an sd.Factory builds, for each instance, an HTTP
// client endpoint of POST /uppercase in a circuit breaker of its own;
// sd.NewEndpointer keeps one per instance as instancer's list changes;
// lb.NewRoundRobin takes them in turn, and lb.Retry tries the next on an
// error, within the retry budget. attempts counts every attempt by
// instance and outcome (success, error, breaker open). Each call gets a
// span, "uppercase", whose children are the attempts' client spans.
// Close the returned io.Closer when done.
func NewUppercase(instancer sd.Instancer, retry Retry, tracer *zipkin.Tracer, logger log.Logger, attempts metrics.Counter) (func(context.Context, string) (string, error), io.Closer) {
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 64, // the default, 2, would dial a connection a call under load
		IdleConnTimeout:     90 * time.Second,
	}}
	factory := func(instance string) (endpoint.Endpoint, io.Closer, error) {
		base, err := url.Parse("http://" + instance)
		if err != nil {
			return nil, nil, err
		}
		// exercise 9.3 begin
		trace := kitzipkin.HTTPClientTrace(tracer, kitzipkin.Name("POST /uppercase"))
		// exercise 9.3 end
		e := httptransport.NewClient(http.MethodPost, base.JoinPath("/uppercase"), encodeRequest, decodeUppercaseResponse,
			httptransport.SetClient(client), trace).Endpoint()
		e = withTimeout(retry.PerAttempt)(e)
		e = addendpoint.CircuitBreaker("stringsvc " + instance)(e)
		e = countAttempts(attempts.With("stringsvc", instance))(e)
		return e, nil, nil
	}
	endpointer := sd.NewEndpointer(instancer, factory, logger)
	// The endpointer takes the instancer's first list in a goroutine of its
	// own: wait for it, briefly, so that the first calls find the instances.
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if endpoints, _ := endpointer.Endpoints(); len(endpoints) > 0 {
			break
		}
	}
	var e endpoint.Endpoint
	// exercise 9.2 begin
	e = lb.Retry(retry.Attempts, retry.Total, lb.NewRoundRobin(endpointer))
	// exercise 9.2 end
	e = addendpoint.TracingMiddleware(tracer, "Uppercase")(e)
	return func(ctx context.Context, s string) (string, error) {
		resp, err := e(ctx, stringendpoint.UppercaseRequest{S: s})
		if err != nil {
			return "", err
		}
		r := resp.(stringendpoint.UppercaseResponse)
		return r.V, r.Err
	}, closer(endpointer.Close)
}

type closer func()

func (c closer) Close() error { c(); return nil }

// withTimeout gives each call of the endpoint at most d.
func withTimeout(d time.Duration) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			return next(ctx, request)
		}
	}
}

// countAttempts counts each call of the endpoint in attempts, by outcome.
func countAttempts(attempts metrics.Counter) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			resp, err := next(ctx, request)
			outcome := "success"
			switch {
			case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
				outcome = "breaker open"
			case err != nil:
				outcome = "error"
			}
			attempts.With("outcome", outcome).Add(1)
			return resp, err
		}
	}
}

// encodeRequest writes a request as the JSON body.
func encodeRequest(_ context.Context, r *http.Request, request any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(request); err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Body = io.NopCloser(&buf)
	r.ContentLength = int64(buf.Len())
	return nil
}

// decodeUppercaseResponse decodes a 200 answer, or a 400 that carries the
// business error: inside the response, so that it is neither retried nor
// counted by the breaker. Any other answer is an error of the attempt.
func decodeUppercaseResponse(_ context.Context, r *http.Response) (any, error) {
	var body struct {
		V     string `json:"v"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, MaxBodyBytes)).Decode(&body); err != nil {
		return nil, fmt.Errorf("stringsvc: HTTP status %d: %w", r.StatusCode, err)
	}
	switch {
	case r.StatusCode == http.StatusOK:
		return stringendpoint.UppercaseResponse{V: body.V}, nil
	case r.StatusCode == http.StatusBadRequest && body.Error == stringservice.ErrEmpty.Error():
		return stringendpoint.UppercaseResponse{Err: stringservice.ErrEmpty}, nil
	}
	return nil, fmt.Errorf("stringsvc: HTTP status %d: %s", r.StatusCode, body.Error)
}
