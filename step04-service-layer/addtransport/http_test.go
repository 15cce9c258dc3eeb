package addsvc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step04-service-layer/addsvc"
)

// response is what a test reads back from one HTTP call.
type response struct {
	status      int
	contentType string
	body        string
}

// post sends body to url with POST and reads the whole answer.
func post(t *testing.T, url, body string) response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(addsvc.NewHTTPHandler(addsvc.NewBasicService()))
	t.Cleanup(srv.Close)
	return srv
}

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
	for _, tt := range sumCases {
		t.Run("sum "+tt.name, func(t *testing.T) {
			got := post(t, srv.URL+"/sum", fmt.Sprintf(`{"a":%d,"b":%d}`, tt.a, tt.b))
			if tt.wantErr != nil {
				assert.Equal(t, http.StatusBadRequest, got.status)
				assert.Equal(t, tt.wantErr.Error()+"\n", got.body)
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
				assert.Equal(t, tt.wantErr.Error()+"\n", got.body)
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
	srv := httptest.NewServer(addsvc.NewHTTPHandler(&stubService{err: errDatabase}))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/sum", "/concat"} {
		got := post(t, srv.URL+path, `{}`)
		assert.Equal(t, http.StatusInternalServerError, got.status, path)
		assert.Equal(t, "database unreachable\n", got.body, path)
	}
}

func TestHTTPPassesTheRequestContext(t *testing.T) {
	stub := &stubService{sum: 3}
	srv := httptest.NewServer(addsvc.NewHTTPHandler(stub))
	t.Cleanup(srv.Close)
	post(t, srv.URL+"/sum", `{"a":1,"b":2}`)
	require.NotNil(t, stub.ctx)
	// The request's context is canceled once the request is done.
	assert.ErrorIs(t, stub.ctx.Err(), context.Canceled)
}
