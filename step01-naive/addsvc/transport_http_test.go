package addsvc_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step01-naive/addsvc"
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
	srv := httptest.NewServer(addsvc.NewBasicService())
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
		{"sum of zeroes", "/sum", `{"a":0,"b":0}`, `{"v":0}`},
		{"sum with a missing field", "/sum", `{"a":4}`, `{"v":4}`},
		{"concat", "/concat", `{"a":"x","b":"y"}`, `{"v":"xy"}`},
		{"concat of empty strings", "/concat", `{"a":"","b":""}`, `{"v":""}`},
		{"concat with one empty", "/concat", `{"a":"go","b":""}`, `{"v":"go"}`},
		{"concat non-ASCII", "/concat", `{"a":"Grüß ","b":"世界"}`, `{"v":"Grüß 世界"}`},
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

func TestServiceDirectly(t *testing.T) {
	var svc addsvc.AddService = addsvc.NewBasicService()
	sum, err := svc.Sum(40, 2)
	require.NoError(t, err)
	assert.Equal(t, 42, sum)
	s, err := svc.Concat("go", "kit")
	require.NoError(t, err)
	assert.Equal(t, "gokit", s)
}
