package addtransport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/addtransport"
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
		{"empty body", "/sum", ``, "unexpected end of JSON input"},
		{"truncated object", "/sum", `{`, "unexpected end of JSON input"},
		{"string for an int", "/sum", `{"a":"x","b":1}`, "json: cannot unmarshal string into Go struct field SumRequest.a of type int"},
		{"bool for an int", "/sum", `{"a":1,"b":true}`, "json: cannot unmarshal bool into Go struct field SumRequest.b of type int"},
		{"array instead of object", "/sum", `[]`, "json: cannot unmarshal array into Go value of type addendpoint.SumRequest"},
		{"fraction", "/sum", `{"a":1.5,"b":1}`, "json: cannot unmarshal number 1.5 into Go struct field SumRequest.a of type int"},
		{"number too large for an int", "/sum", `{"a":99999999999999999999,"b":1}`, "json: cannot unmarshal number 99999999999999999999 into Go struct field SumRequest.a of type int"},
		{"number for a string", "/concat", `{"a":1,"b":"y"}`, "json: cannot unmarshal number into Go struct field ConcatRequest.a of type string"},
		{"not JSON", "/concat", `a=x&b=y`, "invalid character 'a' looking for beginning of value"},
		{"trailing data", "/sum", `{"a":1,"b":2} {"a":3}`, "invalid character '{' after top-level value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, srv.URL+tt.path, tt.body)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.Equal(t, "application/json; charset=utf-8", got.contentType)
			assert.Equal(t, tt.wantErr, errorMessage(t, got))
		})
	}
}

func TestHTTPOnlyPOST(t *testing.T) {
	srv := newServer(t)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		for _, path := range []string{"/sum", "/concat"} {
			t.Run(method+" "+path, func(t *testing.T) {
				req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(`{"a":1,"b":2}`))
				require.NoError(t, err)
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
				assert.Equal(t, "POST", resp.Header.Get("Allow"))
				if method != http.MethodHead {
					b, err := io.ReadAll(resp.Body)
					require.NoError(t, err)
					assert.JSONEq(t, `{"error":"method `+method+` not allowed: use POST"}`, string(b))
				}
			})
		}
	}
}

func TestHTTPBodySize(t *testing.T) {
	srv := newServer(t)
	// A valid request padded with spaces to exactly the limit is served...
	valid := `{"a":1,"b":2}`
	atLimit := valid + strings.Repeat(" ", addtransport.MaxBodyBytes-len(valid))
	got := post(t, srv.URL+"/sum", atLimit)
	assert.Equal(t, http.StatusOK, got.status)
	assert.JSONEq(t, `{"v":3}`, got.body)

	// ...and one byte more is refused, as is a huge body, before it is read.
	for _, size := range []int{addtransport.MaxBodyBytes + 1, 64 << 20} {
		body := valid + strings.Repeat(" ", size-len(valid))
		got := post(t, srv.URL+"/sum", body)
		assert.Equal(t, http.StatusRequestEntityTooLarge, got.status, "%d bytes", size)
		assert.Equal(t, "http: request body too large", errorMessage(t, got))
	}

	// A long string inside a small enough body reaches the business rule.
	got = post(t, srv.URL+"/concat", `{"a":"`+strings.Repeat("x", 1000)+`","b":""}`)
	assert.Equal(t, http.StatusBadRequest, got.status)
	assert.Equal(t, addservice.ErrMaxSizeExceeded.Error(), errorMessage(t, got))
}

func TestHTTPUnknownPath(t *testing.T) {
	srv := newServer(t)
	for _, path := range []string{"/", "/add", "/sum/extra", "/SUM"} {
		t.Run(path, func(t *testing.T) {
			got := post(t, srv.URL+path, `{"a":1,"b":2}`)
			assert.Equal(t, http.StatusNotFound, got.status)
			assert.Equal(t, "application/json; charset=utf-8", got.contentType)
			assert.JSONEq(t, `{"error":"no such path: `+path+`"}`, got.body)
		})
	}
}

func TestHTTPBusinessRules(t *testing.T) {
	srv := newServer(t)
	for _, tt := range sumCases {
		t.Run("sum "+tt.name, func(t *testing.T) {
			got := post(t, srv.URL+"/sum", fmt.Sprintf(`{"a":%d,"b":%d}`, tt.a, tt.b))
			if tt.wantErr != nil {
				assert.Equal(t, http.StatusBadRequest, got.status)
				assert.Equal(t, tt.wantErr.Error(), errorMessage(t, got))
				return
			}
			assert.Equal(t, http.StatusOK, got.status)
			assert.JSONEq(t, fmt.Sprintf(`{"v":%d}`, tt.want), got.body)
		})
	}
	for _, tt := range concatCases {
		t.Run("concat "+tt.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]string{"a": tt.a, "b": tt.b})
			require.NoError(t, err)
			got := post(t, srv.URL+"/concat", string(body))
			if tt.wantErr != nil {
				assert.Equal(t, http.StatusBadRequest, got.status)
				assert.Equal(t, tt.wantErr.Error(), errorMessage(t, got))
				return
			}
			assert.Equal(t, http.StatusOK, got.status)
			want, err := json.Marshal(map[string]string{"v": tt.want})
			require.NoError(t, err)
			assert.JSONEq(t, string(want), got.body)
		})
	}
}

func TestHTTPOtherServiceErrorsAre500(t *testing.T) {
	srv := httptest.NewServer(newHandler(t, &stubService{err: errDatabase}, roomy))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/sum", "/concat"} {
		got := post(t, srv.URL+path, `{}`)
		assert.Equal(t, http.StatusInternalServerError, got.status, path)
		assert.Equal(t, "database unreachable", errorMessage(t, got), path)
	}
}

func TestHTTPPassesTheRequestContext(t *testing.T) {
	stub := &stubService{sum: 3}
	srv := httptest.NewServer(newHandler(t, stub, roomy))
	t.Cleanup(srv.Close)
	post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
	require.NotNil(t, stub.ctx)
	// The request's context is canceled once the request is done.
	assert.ErrorIs(t, stub.ctx.Err(), context.Canceled)
}

func TestHTTPRateLimit(t *testing.T) {
	// One request an hour on average, bursts of 3: the first three requests
	// go through and the fourth is refused, however fast the test runs.
	srv := httptest.NewServer(newHandler(t, addservice.NewBasicService(), addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 3}))
	t.Cleanup(srv.Close)
	for i := range 3 {
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, http.StatusOK, got.status, "request %d", i+1)
	}
	got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
	assert.Equal(t, http.StatusTooManyRequests, got.status)
	assert.Equal(t, "rate limit exceeded", errorMessage(t, got))

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
	srv := httptest.NewServer(newHandler(t, &stubService{err: errDatabase}, roomy))
	t.Cleanup(srv.Close)
	for i := range addendpoint.BreakerFailures {
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, http.StatusInternalServerError, got.status, "failure %d", i+1)
	}
	for range 3 {
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, http.StatusServiceUnavailable, got.status)
		assert.Equal(t, "circuit breaker is open", errorMessage(t, got))
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
	srv := httptest.NewServer(newHandler(t, svc, roomy))
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
	srv := httptest.NewServer(newHandler(t, &stubService{err: errDatabase}, addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 1}))
	t.Cleanup(srv.Close)
	assert.Equal(t, http.StatusInternalServerError, post(t, srv.URL+"/sum", `{"a":1,"b":2}`).status)
	for i := range 2 * addendpoint.BreakerFailures {
		got := post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
		assert.Equal(t, http.StatusTooManyRequests, got.status, "request %d", i+2)
	}
}
