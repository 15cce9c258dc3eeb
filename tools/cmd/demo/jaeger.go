package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// jaegerClient asks Jaeger's query API (/api/traces), which answers in
// Jaeger's own JSON: traces of spans, each naming its process (service).
type jaegerClient struct {
	base string // e.g. http://127.0.0.1:16686
	http *http.Client
}

// jaegerTrace is a trace as Jaeger's query API gives it.
type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
}

// jaegerSpan is a span of a jaegerTrace. Times are in microseconds.
type jaegerSpan struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []jaegerRef `json:"references"`
	StartTime     int64       `json:"startTime"`
	Duration      int64       `json:"duration"`
	Tags          []jaegerTag `json:"tags"`
	ProcessID     string      `json:"processID"`
}

// jaegerRef links a span to another, e.g. its parent (CHILD_OF).
type jaegerRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// jaegerTag is a span's tag; Value is a string, a number or a boolean.
type jaegerTag struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// jaegerProcess is the program that reported spans.
type jaegerProcess struct {
	ServiceName string `json:"serviceName"`
}

// traces returns the traces that have spans of service and began between
// start and end.
func (j jaegerClient) traces(ctx context.Context, service string, start, end time.Time) ([]jaegerTrace, error) {
	q := url.Values{
		"service": {service},
		"start":   {strconv.FormatInt(start.UnixMicro(), 10)},
		"end":     {strconv.FormatInt(end.UnixMicro(), 10)},
		"limit":   {"1000"},
	}
	return j.get(ctx, "/api/traces?"+q.Encode())
}

// trace returns the trace with the given ID.
func (j jaegerClient) trace(ctx context.Context, id string) (jaegerTrace, error) {
	traces, err := j.get(ctx, "/api/traces/"+url.PathEscape(id))
	if err != nil {
		return jaegerTrace{}, err
	}
	if len(traces) != 1 {
		return jaegerTrace{}, fmt.Errorf("ask Jaeger for trace %s: got %d traces", id, len(traces))
	}
	return traces[0], nil
}

// get asks Jaeger's query API for path and returns the traces it answers.
func (j jaegerClient) get(ctx context.Context, path string) ([]jaegerTrace, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("ask Jaeger: %w", err)
	}
	resp, err := j.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask Jaeger: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 50<<20))
	if err != nil {
		return nil, fmt.Errorf("ask Jaeger for %s: read the answer: %w", path, err)
	}
	traces, err := parseJaegerResponse(body)
	if err != nil {
		return nil, fmt.Errorf("ask Jaeger for %s: %s: %w", path, resp.Status, err)
	}
	return traces, nil
}

// parseJaegerResponse returns the traces of an answer of Jaeger's query
// API, or the errors it reports.
func parseJaegerResponse(body []byte) ([]jaegerTrace, error) {
	var r struct {
		Data   []jaegerTrace `json:"data"`
		Errors []struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("not an answer of the query API: %w", err)
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Msg
		}
		return nil, fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return r.Data, nil
}

// findCallTrace returns, among traces, the trace of the call that r
// describes: the one whose root span is the client's span of r's endpoint,
// and began while addcli ran for r. The demo's calls run one after the
// other, so no other call's trace began then.
func findCallTrace(traces []jaegerTrace, r callResult) (jaegerTrace, bool) {
	const slack = 50 * time.Millisecond
	from, to := r.start.Add(-slack).UnixMicro(), r.end.Add(slack).UnixMicro()
	for _, t := range traces {
		for _, s := range t.Spans {
			if parentID(s) != "" || !strings.EqualFold(s.OperationName, r.endpoint()) {
				continue
			}
			if t.Processes[s.ProcessID].ServiceName == "addcli" && s.StartTime >= from && s.StartTime <= to {
				return t, true
			}
		}
	}
	return jaegerTrace{}, false
}

// parentID returns the ID of the span's parent in its trace, or "" for a
// root span.
func parentID(s jaegerSpan) string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" && r.TraceID == s.TraceID {
			return r.SpanID
		}
	}
	for _, r := range s.References {
		if r.TraceID == s.TraceID {
			return r.SpanID
		}
	}
	return ""
}

// tag returns the value of the span's tag called key, as text; a span can
// carry a key twice (Jaeger turns Zipkin's error="message" into that and
// error=true), and the text one comes first.
func tag(s jaegerSpan, key string) (string, bool) {
	var found []string
	for _, t := range s.Tags {
		if t.Key == key {
			found = append(found, fmt.Sprint(t.Value))
		}
	}
	for _, v := range found {
		if v != "true" {
			return v, true
		}
	}
	if len(found) > 0 {
		return found[0], true
	}
	return "", false
}
