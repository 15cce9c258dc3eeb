package main

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/go-logfmt/logfmt"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogReporter(t *testing.T) {
	var buf bytes.Buffer
	tracer, _, err := newTracer("", 1, log.NewLogfmtLogger(&buf))
	require.NoError(t, err)

	parent := tracer.StartSpan("POST /sum", zipkin.Kind(model.Server))
	child := tracer.StartSpan("Sum", zipkin.Parent(parent.Context()))
	zipkin.TagError.Set(child, "can't sum two zeroes")
	child.Finish()
	parent.Finish()

	records := decodeLogfmt(t, buf.Bytes())
	require.Len(t, records, 2)
	c, p := records[0], records[1]
	assert.Equal(t, "Sum", c["span"])
	assert.NotContains(t, c, "kind")
	assert.Equal(t, parent.Context().TraceID.String(), c["trace_id"])
	assert.Equal(t, child.Context().ID.String(), c["id"])
	assert.Equal(t, parent.Context().ID.String(), c["parent_id"])
	assert.Equal(t, "can't sum two zeroes", c["error"])
	_, err = time.ParseDuration(c["duration"])
	assert.NoError(t, err)

	assert.Equal(t, "POST /sum", p["span"])
	assert.Equal(t, "SERVER", p["kind"])
	assert.NotContains(t, p, "parent_id")
	assert.NotContains(t, p, "error")
}

func TestNewTracerRefusesABadURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:9411", "ftp://127.0.0.1/", "http://", "::"} {
		_, _, err := newTracer(u, 1, log.NewNopLogger())
		assert.ErrorContains(t, err, "want http://host:port/api/v2/spans", u)
	}
}

func TestNewTracerLogsCollectorFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // no collector there

	var buf bytes.Buffer
	tracer, spans, err := newTracer("http://"+addr+"/api/v2/spans", 1, log.NewLogfmtLogger(&buf))
	require.NoError(t, err)
	tracer.StartSpan("Sum").Finish()
	assert.ErrorContains(t, spans.Close(), "connection refused") // sends what is left, and fails

	records := decodeLogfmt(t, buf.Bytes())
	require.NotEmpty(t, records)
	assert.Contains(t, records[0]["msg"], "failed to send the request", "one message, whole: %v", records[0])
	assert.Contains(t, records[0]["msg"], "http://"+addr+"/api/v2/spans")
	assert.Contains(t, records[0]["msg"], "connection refused")
}

// decodeLogfmt reads logfmt lines into one key/value map per line.
func decodeLogfmt(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	var records []map[string]string
	dec := logfmt.NewDecoder(bytes.NewReader(b))
	for dec.ScanRecord() {
		rec := map[string]string{}
		for dec.ScanKeyval() {
			rec[string(dec.Key())] = string(dec.Value())
		}
		records = append(records, rec)
	}
	require.NoError(t, dec.Err())
	return records
}
