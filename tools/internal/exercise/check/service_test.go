package check

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeService is a command that behaves as a step's addsvc does where the
// harness looks: flags, the "listening on" line, HTTP, a log line per
// request, /metrics.
const fakeService = `package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("http-addr", "127.0.0.1:8080", "")
	exit := flag.Bool("exit", false, "")
	flag.Parse()
	logger := log.New(os.Stderr, "", log.LstdFlags)
	if *exit {
		logger.Printf("refusing to start")
		os.Exit(3)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Fatal(err)
	}
	http.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		logger.Printf("%s %s %s", r.RemoteAddr, r.URL, b)
		w.Write(b)
	})
	http.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "# TYPE requests counter")
		fmt.Fprintln(w, "requests{outcome=\"success\"} 4")
	})
	logger.Printf("listening on http://%s", ln.Addr())
	fmt.Println("to stdout")
	http.Serve(ln, nil)
}
`

// buildModule writes a module with the given files and builds it.
func buildModule(t *testing.T, files map[string]string) (*Build, error) {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/fake\n\ngo 1.26.0\n"
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return NewBuild(context.Background(), dir, t.TempDir(), []string{"GOWORK=off"})
}

func TestServiceHarness(t *testing.T) {
	b, err := buildModule(t, map[string]string{"cmd/addsvc/main.go": fakeService})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	r := Run(ctx, b, []Case{
		{Name: "serves", Run: func(ctx context.Context, env *Env) error {
			s, err := env.Start(ctx, Options{})
			if err != nil {
				return err
			}
			resp, err := s.Post(ctx, "/echo?x=1", `{"a":1}`)
			if err != nil {
				return err
			}
			if resp.Status != http.StatusOK || resp.Body != `{"a":1}` || !strings.HasPrefix(resp.Client, "127.0.0.1:") {
				t.Errorf("answer %+v", resp)
			}
			line, err := s.WaitLog(ctx, "for the echo", func(l string) bool { return strings.Contains(l, resp.Client) })
			if err != nil {
				return err
			}
			if !strings.HasSuffix(line, resp.Client+` /echo?x=1 {"a":1}`) {
				t.Errorf("log line %q", line)
			}
			if _, err := s.WaitLog(ctx, "from stdout", func(l string) bool { return l == "to stdout" }); err != nil {
				return err
			}
			m, err := s.Scrape(ctx)
			if err != nil {
				return err
			}
			if v, ok := m.Value("requests", "outcome", "success"); !ok || v != 4 {
				t.Errorf("requests = %v, %v", v, ok)
			}
			if _, err := s.Get(ctx, "/nope"); err != nil {
				return err
			}
			if _, err := s.WaitLog(ctx, "that never comes", func(string) bool { return false }); err == nil ||
				!strings.Contains(err.Error(), "the service logged no line that never comes; its log:\n    ") {
				t.Errorf("WaitLog of a line that never comes: %v", err)
			}
			s.Stop()
			if done, _ := s.Exited(); !done {
				t.Error("the service runs on after Stop")
			}
			return nil
		}},
		{Name: "exits", Run: func(ctx context.Context, env *Env) error {
			_, err := env.Start(ctx, Options{Flags: []string{"-exit"}})
			return err
		}},
		{Name: "runs to its end", Run: func(ctx context.Context, env *Env) error {
			out, err := env.RunCommand(ctx, "addsvc", "-exit")
			if err != nil {
				return err
			}
			if out.ExitCode != 3 || !strings.Contains(out.Stderr, "refusing to start") || out.Stdout != "" {
				t.Errorf("output %+v", out)
			}
			if _, err := env.RunCommand(ctx, "addcli"); err == nil || !strings.Contains(err.Error(), "run addcli") {
				t.Errorf("a command that is not there: %v", err)
			}
			return nil
		}},
		{Name: "panics", Run: func(ctx context.Context, env *Env) error {
			panic("oops")
		}},
		{Name: "no such command", Run: func(ctx context.Context, env *Env) error {
			_, err := env.Start(ctx, Options{Command: "addcli"})
			return err
		}},
	})
	if r[0].Case != "serves" || r[0].Err != nil {
		t.Errorf("serves: %v", r[0].Err)
	}
	if err := r[1].Err; err == nil || !strings.Contains(err.Error(), "addsvc -http-addr 127.0.0.1:0 -exit stopped before it listened (exit status 3); its log:") ||
		!strings.Contains(err.Error(), "refusing to start") {
		t.Errorf("exits: %v", err)
	}
	if err := r[2].Err; err != nil {
		t.Errorf("runs to its end: %v", err)
	}
	if err := r[3].Err; err == nil || !strings.Contains(err.Error(), "the check itself failed (a bug in the workshop): oops") {
		t.Errorf("panics: %v", err)
	}
	if err := r[4].Err; err == nil || !strings.Contains(err.Error(), "start addcli") {
		t.Errorf("no such command: %v", err)
	}
}

func TestBuildError(t *testing.T) {
	_, err := buildModule(t, map[string]string{"cmd/addsvc/main.go": "package main\n\nfunc main() { undefined() }\n"})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("error %v, want a *BuildError", err)
	}
	if !strings.Contains(be.Output, "cmd/addsvc/main.go:3:15: undefined: undefined") {
		t.Errorf("output %q", be.Output)
	}
}

func TestZipkin(t *testing.T) {
	env := &Env{}
	defer env.close()
	z := env.Zipkin()
	ctx := context.Background()
	post := func(body []byte, contentType, encoding string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, z.URL(), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	spans := `[{"traceId":"a1","id":"b1","name":"sum","kind":"SERVER","localEndpoint":{"serviceName":"addsvc"},"tags":{"error":"can't sum two zeroes"}}]`
	if code := post([]byte(spans), "application/json", ""); code != http.StatusAccepted {
		t.Errorf("POST spans: %d", code)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`[{"traceId":"a1","id":"c1","parentId":"b1","name":"concat"}]`))
	w.Close()
	if code := post(gz.Bytes(), "application/json", "gzip"); code != http.StatusAccepted {
		t.Errorf("POST gzipped spans: %d", code)
	}
	if code := post([]byte("x"), "application/x-protobuf", ""); code != http.StatusUnsupportedMediaType {
		t.Errorf("POST protobuf: %d", code)
	}
	got, err := z.WaitSpans(ctx, "of two spans", func(s []Span) bool { return len(s) == 2 })
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Tags["error"] != "can't sum two zeroes" || got[0].LocalEndpoint.ServiceName != "addsvc" || got[1].ParentID != "b1" {
		t.Errorf("spans %+v", got)
	}
	start := time.Now()
	_, err = z.WaitSpans(ctx, "of three spans", func(s []Span) bool { return len(s) == 3 })
	if time.Since(start) > time.Second {
		t.Errorf("WaitSpans, with no service to drain, took %s", time.Since(start))
	}
	if err == nil || !strings.Contains(err.Error(), "the collector received no spans of three spans; it received 2:") ||
		!strings.Contains(err.Error(), "refused: spans sent as application/x-protobuf") {
		t.Errorf("WaitSpans for spans that never come: %v", err)
	}
}
