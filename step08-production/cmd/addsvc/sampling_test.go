package main

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postSum sends POST /sum to addr with the B3 headers in headers.
func postSum(t *testing.T, addr string, headers map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/sum", strings.NewReader(`{"a":1,"b":2}`))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestSampleRateZeroStartsNoTraceButFollowsTheCaller(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-zipkin-sample-rate", "0")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)

	postSum(t, r.addr, nil)               // starts a trace here: not recorded
	postSum(t, r.addr, map[string]string{ // the caller records its trace
		"X-B3-TraceId": "463ac35c9f6413ad", "X-B3-SpanId": "a2fb4a1d1a96d312", "X-B3-Sampled": "1",
	})
	postSum(t, r.addr, map[string]string{ // the caller does not
		"X-B3-TraceId": "5e5e5e5e5e5e5e5e", "X-B3-SpanId": "6f6f6f6f6f6f6f6f", "X-B3-Sampled": "0",
	})
	// The server span is logged once the answer is written.
	require.Eventually(t, func() bool {
		return strings.Contains(r.log.String(), `\"name\":\"post /sum\",\"kind\":\"SERVER\"`)
	}, 5*time.Second, 10*time.Millisecond, "the caller's recorded trace goes on here; log:\n%s", r.log)
	require.NoError(t, r.stop(t))
	spans := loggedSpans(t, r.log.String())
	require.Len(t, spans, 2, "only the recorded trace's spans:\n%s", r.log)
	for _, s := range spans {
		assert.Equal(t, "463ac35c9f6413ad", s.TraceID, "and on to the endpoint's span")
		assert.NotEmpty(t, s.ParentID)
	}
}

func TestSampleRateOneRecordsEveryTrace(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	postSum(t, r.addr, nil)
	postSum(t, r.addr, map[string]string{ // but not a trace that its caller does not record
		"X-B3-TraceId": "5e5e5e5e5e5e5e5e", "X-B3-SpanId": "6f6f6f6f6f6f6f6f", "X-B3-Sampled": "0",
	})
	require.Eventually(t, func() bool {
		return strings.Contains(r.log.String(), `\"name\":\"post /sum\",\"kind\":\"SERVER\"`)
	}, 5*time.Second, 10*time.Millisecond, "log:\n%s", r.log)
	require.NoError(t, r.stop(t))
	assert.Len(t, loggedSpans(t, r.log.String()), 2, "log:\n%s", r.log)
	assert.NotContains(t, r.log.String(), "5e5e5e5e5e5e5e5e")
}

func TestRunRefusesABadSampleRate(t *testing.T) {
	for _, rate := range []string{"-0.5", "1.5", "NaN", "0.001"} {
		t.Run(rate, func(t *testing.T) {
			r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-zipkin-sample-rate", rate)
			assert.Empty(t, r.addr)
			assert.ErrorContains(t, r.stop(t), "-zipkin-sample-rate must be 0, or from 0.01 to 1")
		})
	}
}

func TestNewSamplerKeepsItsShareOfNewTraces(t *testing.T) {
	for _, rate := range []float64{0, 0.1, 0.5, 1} {
		sampler, err := newSampler(rate)
		require.NoError(t, err)
		const n = 100000
		kept := 0
		for id := uint64(0); id < n; id++ {
			if sampler(id * 0x9e3779b97f4a7c15) { // spread like random trace IDs
				kept++
			}
		}
		assert.InDelta(t, rate, float64(kept)/n, 0.02, "rate %v", rate)
	}
	_, err := newSampler(math.NaN())
	assert.Error(t, err)
}
