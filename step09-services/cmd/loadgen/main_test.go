package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCountsEachTargetsCalls(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"a":"go","b":"kit"}`, string(b))
		assert.Equal(t, "/concat", r.URL.Path)
		w.Write([]byte(`{"v":"GOKIT"}`))
	}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"broken"}`, http.StatusInternalServerError)
	}))
	defer failing.Close()
	targets := ok.Listener.Addr().String() + "," + failing.Listener.Addr().String()

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-addr", targets, "-rate", "200", "-duration", "200ms", "-json"}, &out, io.Discard))
	var results []Result
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r Result
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		results = append(results, r)
	}
	require.Len(t, results, 3)
	assert.Equal(t, results[0].Calls, results[0].OK)
	assert.Equal(t, results[1].Calls, results[1].Failed)
	assert.Contains(t, results[1].Errors[0], `HTTP 500: {"error":"broken"}`)
	assert.Equal(t, "all", results[2].Target)
	assert.Equal(t, results[0].Calls+results[1].Calls, results[2].Calls)
	assert.InDelta(t, 40, results[2].Calls, 15)
	assert.Positive(t, results[2].P99)

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"-addr", targets, "-rate", "50", "-duration", "100ms"}, &out, io.Discard))
	assert.Contains(t, out.String(), "ADDSVC")
}

func TestRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-addr", "nowhere"}, {"-rate", "0"}, {"-duration", "-1s"}, {"extra"}} {
		assert.Error(t, run(context.Background(), args, io.Discard, io.Discard), "%q", args)
	}
}

func TestRunsUntilStoppedWithDurationZero(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"v":"GOKIT"}`)) }))
	defer ok.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"-addr", "http://" + ok.Listener.Addr().String(), "-duration", "0"}, &out, io.Discard))
	assert.Contains(t, out.String(), "ADDSVC", "the table of what it sent until stopped")
}
