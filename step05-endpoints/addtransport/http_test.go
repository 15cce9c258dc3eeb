package addtransport_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step05-endpoints/addendpoint"
	"github.com/gokit-workshop/workshop/step05-endpoints/addservice"
)

func TestHTTPAnswers(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name, path, body, want string
	}{
		{"sum", "/sum", `{"a":1,"b":2}`, `{"v":3}`},
		{"sum of negatives", "/sum", `{"a":-7,"b":-8}`, `{"v":-15}`},
		{"sum across zero", "/sum", `{"a":-5,"b":12}`, `{"v":7}`},
		{"sum with a missing field", "/sum", `{"a":4}`, `{"v":4}`},
		{"concat", "/concat", `{"a":"x","b":"y"}`, `{"v":"xy"}`},
		{"concat of empty strings", "/concat", `{"a":"","b":""}`, `{"v":""}`},
		{"concat of 10 bytes", "/concat", `{"a":"hello","b":"world"}`, `{"v":"helloworld"}`},
		{"concat with one empty", "/concat", `{"a":"go","b":""}`, `{"v":"go"}`},
		{"concat non-ASCII", "/concat", `{"a":"Grüß","b":"世"}`, `{"v":"Grüß世"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, srv.URL+tt.path, tt.body)
			assert.Equal(t, http.StatusOK, got.status)
			assert.Equal(t, "application/json; charset=utf-8", got.contentType)
			assert.JSONEq(t, tt.want, got.body)
		})
	}
}

func TestHTTPBadBodies(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name, path, body string
		wantErr          string // the decoding error, as the body shows it
	}{
		{"empty body", "/sum", ``, "EOF"},
		{"truncated object", "/sum", `{`, "unexpected EOF"},
		{"string for an int", "/sum", `{"a":"x","b":1}`, "cannot unmarshal string"},
		{"array instead of object", "/sum", `[]`, "cannot unmarshal array"},
		{"fraction", "/sum", `{"a":1.5,"b":1}`, "cannot unmarshal number 1.5"},
		{"number too large for an int", "/sum", `{"a":99999999999999999999,"b":1}`, "cannot unmarshal number 99999999999999999999"},
		{"concat empty body", "/concat", ``, "EOF"},
		{"number for a string", "/concat", `{"a":1,"b":"y"}`, "cannot unmarshal number"},
		{"not JSON", "/concat", `a=x&b=y`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, srv.URL+tt.path, tt.body)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.Equal(t, "text/plain; charset=utf-8", got.contentType)
			assert.Contains(t, got.body, tt.wantErr)
		})
	}
}

func TestHTTPUnknownPath(t *testing.T) {
	srv := newServer(t)
	for _, path := range []string{"/", "/add", "/sum/extra", "/SUM"} {
		t.Run(path, func(t *testing.T) {
			got := post(t, srv.URL+path, `{"a":1,"b":2}`)
			assert.Equal(t, http.StatusNotFound, got.status)
			assert.Equal(t, "404 page not found\n", got.body)
		})
	}
}

func TestHTTPBusinessRules(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name, path, body string
		wantErr          error
	}{
		{"two zeroes", "/sum", `{"a":0,"b":0}`, addservice.ErrTwoZeroes},
		{"overflow", "/sum", `{"a":2147483647,"b":1}`, addservice.ErrIntOverflow},
		{"underflow", "/sum", `{"a":-2147483648,"b":-1}`, addservice.ErrIntOverflow},
		{"11 bytes", "/concat", `{"a":"hello","b":"world!"}`, addservice.ErrMaxSizeExceeded},
		{"11 bytes, 6 characters", "/concat", `{"a":"ééééé","b":"a"}`, addservice.ErrMaxSizeExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, srv.URL+tt.path, tt.body)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.Equal(t, tt.wantErr.Error()+"\n", got.body)
		})
	}
}

func TestHTTPOtherServiceErrorsAre500(t *testing.T) {
	srv := httptest.NewServer(newHandler(&stubService{err: errDatabase}, roomy))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/sum", "/concat"} {
		got := post(t, srv.URL+path, `{}`)
		assert.Equal(t, http.StatusInternalServerError, got.status, path)
		assert.Equal(t, "database unreachable\n", got.body, path)
	}
}

func TestHTTPPassesTheRequestContext(t *testing.T) {
	stub := &stubService{sum: 3}
	srv := httptest.NewServer(newHandler(stub, roomy))
	t.Cleanup(srv.Close)
	post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
	require.NotNil(t, stub.ctx)
	// The request's context is canceled once the request is done.
	assert.ErrorIs(t, stub.ctx.Err(), context.Canceled)
}

func TestHTTPRateLimit(t *testing.T) {
	// One request an hour on average, bursts of 3: the first three requests
	// go through and the fourth is refused, however fast the test runs.
	srv := httptest.NewServer(newHandler(addservice.NewBasicService(), addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 3}))
	t.Cleanup(srv.Close)
	for i := range 3 {
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, http.StatusOK, got.status, "request %d", i+1)
	}
	got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
	assert.Equal(t, http.StatusTooManyRequests, got.status)
	assert.Equal(t, "rate limit exceeded\n", got.body)

	// A broken business rule counts against the limit too: it was served.
	// Each endpoint has its own limiter.
	for i := range 3 {
		got := post(t, srv.URL+"/concat", `{"a":"0123456789","b":"x"}`)
		assert.Equal(t, http.StatusBadRequest, got.status, "request %d", i+1)
	}
	got = post(t, srv.URL+"/concat", `{"a":"x","b":"y"}`)
	assert.Equal(t, http.StatusTooManyRequests, got.status)
}

func TestHTTPBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	srv := httptest.NewServer(newHandler(&stubService{err: errDatabase}, roomy))
	t.Cleanup(srv.Close)
	for i := range addendpoint.BreakerFailures {
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, http.StatusInternalServerError, got.status, "failure %d", i+1)
	}
	for range 3 {
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, http.StatusServiceUnavailable, got.status)
		assert.Equal(t, "circuit breaker is open\n", got.body)
	}
	// Each endpoint has its own breaker: Concat's is still closed.
	got := post(t, srv.URL+"/concat", `{"a":"x","b":"y"}`)
	assert.Equal(t, http.StatusInternalServerError, got.status)
}

func TestHTTPBreakerCountsOnlyConsecutiveFailures(t *testing.T) {
	// Failures broken up by a success never open the breaker.
	var errs []error
	for range 4 {
		for range addendpoint.BreakerFailures - 1 {
			errs = append(errs, errDatabase)
		}
		errs = append(errs, nil)
	}
	svc := &sequenceService{errs: errs}
	srv := httptest.NewServer(newHandler(svc, roomy))
	t.Cleanup(srv.Close)
	for i, err := range errs {
		want := http.StatusOK
		if err != nil {
			want = http.StatusInternalServerError
		}
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, want, got.status, "request %d", i+1)
	}
}

func TestHTTPBreakerIgnoresBusinessErrors(t *testing.T) {
	srv := newServer(t)
	for i := range 4 * addendpoint.BreakerFailures {
		got := post(t, srv.URL+"/sum", `{"a":0,"b":0}`)
		assert.Equal(t, http.StatusBadRequest, got.status, "request %d", i+1)
	}
	got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
	assert.Equal(t, http.StatusOK, got.status)
}

func TestHTTPRateLimitedRequestsNeverOpenTheBreaker(t *testing.T) {
	// The limiter sits outside the breaker: after one real failure, the
	// refused requests don't reach the breaker, so they never add up to
	// BreakerFailures consecutive failures.
	srv := httptest.NewServer(newHandler(&stubService{err: errDatabase}, addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 1}))
	t.Cleanup(srv.Close)
	assert.Equal(t, http.StatusInternalServerError, post(t, srv.URL+"/sum", `{"a":1,"b":2}`).status)
	for i := range 2 * addendpoint.BreakerFailures {
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, http.StatusTooManyRequests, got.status, "request %d", i+2)
	}
}
