package check

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Span is one span as Zipkin's v2 JSON API carries it.
type Span struct {
	TraceID        string            `json:"traceId"`
	ID             string            `json:"id"`
	ParentID       string            `json:"parentId,omitempty"`
	Name           string            `json:"name,omitempty"`
	Kind           string            `json:"kind,omitempty"` // CLIENT, SERVER, PRODUCER, CONSUMER or empty
	Timestamp      int64             `json:"timestamp,omitempty"`
	Duration       int64             `json:"duration,omitempty"`
	Shared         bool              `json:"shared,omitempty"`
	LocalEndpoint  *Endpoint         `json:"localEndpoint,omitempty"`
	RemoteEndpoint *Endpoint         `json:"remoteEndpoint,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	Annotations    []Annotation      `json:"annotations,omitempty"`
}

// Endpoint is a span's local or remote service.
type Endpoint struct {
	ServiceName string `json:"serviceName,omitempty"`
	IPv4        string `json:"ipv4,omitempty"`
	IPv6        string `json:"ipv6,omitempty"`
	Port        int    `json:"port,omitempty"`
}

// Annotation is an event in a span.
type Annotation struct {
	Timestamp int64  `json:"timestamp"`
	Value     string `json:"value"`
}

// String describes the span in one line, for messages.
func (s Span) String() string {
	service := ""
	if s.LocalEndpoint != nil {
		service = s.LocalEndpoint.ServiceName
	}
	return fmt.Sprintf("%s span %q of %s (trace %s, id %s, parent %q, tags %v)", s.Kind, s.Name, service, s.TraceID, s.ID, s.ParentID, s.Tags)
}

// Zipkin is a stand-in Zipkin collector: an HTTP server on a loopback port
// that takes the spans POSTed to /api/v2/spans and keeps them.
type Zipkin struct {
	srv *httptest.Server
	env *Env // whose services WaitSpans drains

	mu       sync.Mutex
	spans    []Span
	problems []string // what it refused, and why
}

// Zipkin starts a stand-in Zipkin collector, closed when the case ends.
// Give its URL to the service (-zipkin-url).
func (e *Env) Zipkin() *Zipkin {
	z := &Zipkin{env: e}
	z.srv = httptest.NewServer(http.HandlerFunc(z.serve))
	e.cleanup = append(e.cleanup, z.srv.Close)
	return z
}

// URL returns the URL to POST spans to: http://127.0.0.1:port/api/v2/spans.
func (z *Zipkin) URL() string {
	return z.srv.URL + "/api/v2/spans"
}

func (z *Zipkin) serve(w http.ResponseWriter, r *http.Request) {
	refuse := func(code int, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		z.mu.Lock()
		z.problems = append(z.problems, msg)
		z.mu.Unlock()
		http.Error(w, msg, code)
	}
	if r.URL.Path != "/api/v2/spans" || r.Method != http.MethodPost {
		refuse(http.StatusNotFound, "%s %s: the collector takes POST /api/v2/spans", r.Method, r.URL.Path)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		refuse(http.StatusUnsupportedMediaType, "spans sent as %s: the collector takes JSON", ct)
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, 10<<20)
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(body)
		if err != nil {
			refuse(http.StatusBadRequest, "gzip: %v", err)
			return
		}
		defer gz.Close()
		body = gz
	}
	var spans []Span
	if err := json.NewDecoder(body).Decode(&spans); err != nil {
		refuse(http.StatusBadRequest, "spans that are not a JSON list of spans: %v", err)
		return
	}
	z.mu.Lock()
	z.spans = append(z.spans, spans...)
	z.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// maxSpansShown is how many spans a message lists.
const maxSpansShown = 6

// Spans returns the spans received so far.
func (z *Zipkin) Spans() []Span {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]Span(nil), z.spans...)
}

// WaitSpans returns the spans received once done is true of them. Reporters
// send spans in batches, a second apart or so, and every span left when
// they close: so unless done is true already, WaitSpans drains the case's
// services (Env.Drain: they answer no more requests, and have sent their
// last spans once they have exited) and looks once more. Commands run to
// their end (addcli) have sent theirs already. Its error, when done is not
// true, says "the collector received no spans " + what, and lists what it
// did receive.
func (z *Zipkin) WaitSpans(ctx context.Context, what string, done func([]Span) bool) ([]Span, error) {
	if spans := z.Spans(); done(spans) {
		return spans, nil
	}
	z.env.Drain()
	if err := ctx.Err(); err != nil {
		return z.Spans(), err
	}
	spans := z.Spans()
	if done(spans) {
		return spans, nil
	}
	return spans, fmt.Errorf("the collector received no spans %s; %s", what, z.describe(spans))
}

// describe lists the spans received and the requests refused, for a message.
func (z *Zipkin) describe(spans []Span) string {
	z.mu.Lock()
	problems := append([]string(nil), z.problems...)
	z.mu.Unlock()
	var b strings.Builder
	if len(spans) == 0 {
		b.WriteString("it received none")
	} else {
		fmt.Fprintf(&b, "it received %d:", len(spans))
		for i, s := range spans {
			if i == maxSpansShown {
				fmt.Fprintf(&b, "\n    … and %d more", len(spans)-i)
				break
			}
			b.WriteString("\n    " + s.String())
		}
	}
	for _, p := range problems {
		b.WriteString("\n    refused: " + p)
	}
	return b.String()
}
