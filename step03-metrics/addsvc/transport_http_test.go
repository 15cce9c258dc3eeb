package addsvc_test

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step03-metrics/addsvc"
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

// logBuffer collects log lines; the server writes to it from its own
// goroutines while the test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the lines logged so far.
func (b *logBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSuffix(b.buf.String(), "\n"), "\n")
}

// newLoggingServer serves the service over real HTTP, with /metrics from a
// registry made for the test, and returns the server and the buffer that the
// service logs to.
func newLoggingServer(t *testing.T) (*httptest.Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	reg := prometheus.NewRegistry()
	counters, err := addsvc.NewCounters(reg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", addsvc.NewBasicService(log.New(logs, "", 0), counters))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, logs
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv, _ := newLoggingServer(t)
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

func TestHTTPLogLines(t *testing.T) {
	// The remote address is the client's, with a port that changes each time.
	const client = `127\.0\.0\.1:\d+`
	tests := []struct {
		name, path, body string
		wantLines        []string // regular expressions, one per line, in order
	}{
		{"sum", "/sum", `{"a":1,"b":2}`, []string{
			`^Sum\(1,2\)=\(3,<nil>\)$`,
			`^` + client + `: /sum: 200$`,
		}},
		{"negative sum", "/sum", `{"a":-1,"b":-2}`, []string{
			`^Sum\(-1,-2\)=\(-3,<nil>\)$`,
			`^` + client + `: /sum: 200$`,
		}},
		{"concat", "/concat", `{"a":"x","b":"y"}`, []string{
			`^Concat\("x","y"\)=\("xy",<nil>\)$`,
			`^` + client + `: /concat: 200$`,
		}},
		{"concat quotes what it logs", "/concat", `{"a":"a\"b","b":"\n"}`, []string{
			`^Concat\("a\\"b","\\n"\)=\("a\\"b\\n",<nil>\)$`,
			`^` + client + `: /concat: 200$`,
		}},
		{"bad body: no service call", "/sum", `{`, []string{
			`^` + client + `: /sum: 400$`,
		}},
		{"unknown path", "/nope?x=1", `{}`, []string{
			`^` + client + `: /nope\?x=1: 404$`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, logs := newLoggingServer(t)
			post(t, srv.URL+tt.path, tt.body)
			lines := logs.lines()
			require.Len(t, lines, len(tt.wantLines), "log:\n%s", strings.Join(lines, "\n"))
			for i, want := range tt.wantLines {
				assert.Regexp(t, regexp.MustCompile(want), lines[i])
			}
		})
	}
}

// requestCounts reads addsvc_requests_total from the server's /metrics.
func requestCounts(t *testing.T, srv *httptest.Server) (success, failure string) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	series := regexp.MustCompile(`(?m)^addsvc_requests_total\{outcome="(\w+)"\} (\S+)$`)
	for _, m := range series.FindAllStringSubmatch(string(b), -1) {
		switch m[1] {
		case "success":
			success = m[2]
		case "error":
			failure = m[2]
		default:
			t.Errorf("unexpected outcome %q", m[1])
		}
	}
	return success, failure
}

func TestMetricsCountRequests(t *testing.T) {
	srv := newServer(t)

	// Before any request, both series are there, at zero.
	success, failure := requestCounts(t, srv)
	assert.Equal(t, "0", success)
	assert.Equal(t, "0", failure)

	for _, c := range []struct{ path, body string }{
		{"/sum", `{"a":1,"b":2}`},         // success
		{"/sum", `{`},                     // error: bad body
		{"/concat", `{"a":"x","b":"y"}`},  // success
		{"/sum", `{"a":-3,"b":3}`},        // success
		{"/nope", `{}`},                   // error: unknown path
		{"/concat", `{"a":1,"b":"y"}`},    // error: wrong type
		{"/concat", `{"a":"日本","b":"語"}`}, // success
	} {
		post(t, srv.URL+c.path, c.body)
	}
	success, failure = requestCounts(t, srv)
	assert.Equal(t, "4", success)
	assert.Equal(t, "3", failure)

	// Reading /metrics is not itself counted.
	success, failure = requestCounts(t, srv)
	assert.Equal(t, "4", success)
	assert.Equal(t, "3", failure)
}

func TestNewCountersRefusesARegistryThatHasThem(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := addsvc.NewCounters(reg)
	require.NoError(t, err)
	_, err = addsvc.NewCounters(reg)
	assert.ErrorContains(t, err, "register addsvc_requests_total")
}

func TestServiceDirectly(t *testing.T) {
	logs := &logBuffer{}
	counters, err := addsvc.NewCounters(prometheus.NewRegistry())
	require.NoError(t, err)
	var svc addsvc.AddService = addsvc.NewBasicService(log.New(logs, "", 0), counters)
	sum, err := svc.Sum(40, 2)
	require.NoError(t, err)
	assert.Equal(t, 42, sum)
	s, err := svc.Concat("go", "kit")
	require.NoError(t, err)
	assert.Equal(t, "gokit", s)
	assert.Equal(t, []string{`Sum(40,2)=(42,<nil>)`, `Concat("go","kit")=("gokit",<nil>)`}, logs.lines())
}
