package stringtransport_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-kit/kit/metrics/discard"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/contract"
	"github.com/gokit-workshop/workshop/step09-services/stringendpoint"
	"github.com/gokit-workshop/workshop/step09-services/stringservice"
	"github.com/gokit-workshop/workshop/step09-services/stringtransport"
)

// newServer serves the real string service over HTTP, traced with tracer
// (nil: spans go nowhere).
func newServer(t *testing.T, tracer *zipkin.Tracer) *httptest.Server {
	t.Helper()
	if tracer == nil {
		var err error
		tracer, err = zipkin.NewTracer(reporter.NewNoopReporter())
		require.NoError(t, err)
	}
	endpoints := stringendpoint.New(stringservice.NewBasicService(), log.NewNopLogger(), discard.NewHistogram(), tracer,
		addendpoint.Limits{Rate: 1000, Burst: 1000})
	srv := httptest.NewServer(stringtransport.NewHTTPHandler(endpoints, tracer, log.NewNopLogger()))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestTheContract checks what addsvc expects of stringsvc (package
// contract) against the real server: addsvc's tests use a stub built from
// the same data, so that neither side can change it alone.
func TestTheContract(t *testing.T) {
	srv := newServer(t, nil)
	for _, in := range contract.Uppercase() {
		t.Run(in.Name, func(t *testing.T) {
			code, body := post(t, srv.URL+in.Path, string(in.Request))
			assert.Equal(t, in.Status, code)
			assert.True(t, contract.SameJSON([]byte(body), in.Response), "got %s, want %s", body, in.Response)
		})
	}
}

func TestHTTP(t *testing.T) {
	srv := newServer(t, nil)
	for _, tt := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/count", `{"s":"héllo"}`, 200, `{"v":6}`},
		{"POST", "/count", `{"s":""}`, 200, `{"v":0}`},
		{"POST", "/uppercase", `{"s":1}`, 400, `cannot unmarshal number`},
		{"POST", "/uppercase", "{\"s\":\"\xff\"}", 400, `not valid UTF-8`},
		{"POST", "/uppercase", `{"s":"` + strings.Repeat("a", stringtransport.MaxBodyBytes) + `"}`, 413, `request body too large`},
		{"GET", "/uppercase", "", 405, `method GET not allowed: use POST`},
		{"POST", "/nope", "", 404, `no such path: /nope`},
	} {
		req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, tt.code, resp.StatusCode, "%s %s %.40s", tt.method, tt.path, tt.body)
		assert.Contains(t, string(b), tt.want, "%s %s %.40s", tt.method, tt.path, tt.body)
		assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	}
}
