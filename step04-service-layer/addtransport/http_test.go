package addtransport_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step04-service-layer/addservice"
	"github.com/gokit-workshop/workshop/step04-service-layer/addtransport"
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
	srv := httptest.NewServer(addtransport.NewHTTPHandler(&stubService{err: errDatabase}))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/sum", "/concat"} {
		got := post(t, srv.URL+path, `{}`)
		assert.Equal(t, http.StatusInternalServerError, got.status, path)
		assert.Equal(t, "database unreachable\n", got.body, path)
	}
}

func TestHTTPPassesTheRequestContext(t *testing.T) {
	stub := &stubService{sum: 3}
	srv := httptest.NewServer(addtransport.NewHTTPHandler(stub))
	t.Cleanup(srv.Close)
	post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
	require.NotNil(t, stub.ctx)
	// The request's context is canceled once the request is done.
	assert.ErrorIs(t, stub.ctx.Err(), context.Canceled)
}
