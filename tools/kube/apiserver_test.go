package kube

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// apiserverVersion is the version that apiserver/go.mod builds, and the
// name of its binary in .tools/: kube-apiserver-v1.37.2.
const apiserverVersion = "v1.37.2"

// TestDryRun starts a real kube-apiserver over etcd, both on loopback, and
// sends it every document of every deploy/ directory as kubectl apply
// --server-side --dry-run=server would: a POST with dryRun=All and
// fieldValidation=Strict. The namespace is created for real first, labelled
// to warn of pods that break the "restricted" Pod Security Standard; a
// document passes if it is created (201) with no warning. It checks first
// that the server refuses what it must, on testdata/app.yaml: a misspelt
// field (400, "strict decoding error: unknown field") and a pod template that
// is not "restricted" (a warning).
//
// It needs kube-apiserver (KUBE_APISERVER, or .tools/kube-apiserver-v1.37.2
// as .ci/run builds it from apiserver/) and etcd (ETCD, or etcd on PATH:
// Debian's etcd-server). In CI (CI set) a missing one fails the test;
// elsewhere it skips.
func TestDryRun(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	apiserver := os.Getenv("KUBE_APISERVER")
	if apiserver == "" {
		if p := filepath.Join(root, ".tools", "kube-apiserver-"+apiserverVersion); isFile(p) {
			apiserver = p
		}
	}
	etcd := os.Getenv("ETCD")
	if etcd == "" {
		etcd, _ = exec.LookPath("etcd")
	}
	var missing []string
	if apiserver == "" {
		missing = append(missing, "kube-apiserver (KUBE_APISERVER, or build it: cd tools/kube/apiserver && GOWORK=off go build -o ../../../.tools/kube-apiserver-"+apiserverVersion+" k8s.io/kubernetes/cmd/kube-apiserver)")
	}
	if etcd == "" {
		missing = append(missing, "etcd (ETCD, or on PATH: apt-get install etcd-server)")
	}
	if len(missing) > 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the dry run; missing: %s", strings.Join(missing, "; "))
		}
		t.Skipf("missing: %s", strings.Join(missing, "; "))
	}

	start := time.Now()
	s := startAPIServer(t, apiserver, etcd)
	t.Logf("etcd and kube-apiserver answer after %v", time.Since(start).Round(100*time.Millisecond))

	t.Run("refusals", func(t *testing.T) {
		s.create(t, namespaceJSON("demo"), false)
		for _, d := range edit(t, "replicas: 2", "replicas: 2") {
			if code, body, warnings := s.post(t, d, "demo", true); code != http.StatusCreated || len(warnings) > 0 {
				t.Errorf("the valid %s: %d %s, warnings %q", d, code, body, warnings)
			}
		}
		misspelt := edit(t, "          readinessProbe:", "          readinesProbe:")[0]
		code, body, _ := s.post(t, misspelt, "demo", true)
		if want := `strict decoding error: unknown field "spec.template.spec.containers[0].readinesProbe"`; code != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("a misspelt field: %d %s; want 400 and %s", code, body, want)
		} else {
			t.Logf("a misspelt field: %d %s", code, body)
		}
		unsafe := edit(t, "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true")[0]
		code, body, warnings := s.post(t, unsafe, "demo", true)
		if want := `would violate PodSecurity "restricted`; code != http.StatusCreated || len(warnings) != 1 || !strings.Contains(warnings[0], want) {
			t.Errorf("allowPrivilegeEscalation: true: %d %s, warnings %q; want 201 and a warning that says %s", code, body, warnings, want)
		} else {
			t.Logf("allowPrivilegeEscalation: true: %d, warning %s", code, warnings[0])
		}
	})

	for _, dir := range deployDirs(t) {
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
			ns, _, err := ReadKustomization(dir)
			if err != nil {
				t.Fatal(err)
			}
			docs, err := Documents(dir)
			if err != nil {
				t.Fatal(err)
			}
			// The namespace for real, as its manifest says, or bare.
			created := false
			for _, d := range docs {
				if d.Kind == "Namespace" && (ns == "" || d.Name == ns) {
					ns = d.Name
					j, err := d.JSON()
					if err != nil {
						t.Fatal(err)
					}
					s.create(t, j, true)
					created = true
				}
			}
			if ns == "" {
				ns = "default"
			} else if !created {
				s.create(t, namespaceJSON(ns), false)
			}
			for _, d := range docs {
				if d.Kind == "Namespace" {
					continue
				}
				code, body, warnings := s.post(t, d, ns, true)
				if (code != http.StatusCreated && code != http.StatusOK) || len(warnings) > 0 {
					t.Errorf("%s: %d %s\nwarnings: %q", d, code, body, warnings)
					continue
				}
				t.Logf("%s: %d", d, code)
			}
		})
	}
}

// namespaceJSON returns a namespace that warns of pods that break the
// "restricted" Pod Security Standard.
func namespaceJSON(name string) []byte {
	return []byte(fmt.Sprintf(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":%q,"labels":{"pod-security.kubernetes.io/warn":"restricted"}}}`, name))
}

// apiServer is a kube-apiserver that a test started.
type apiServer struct {
	url    string
	token  string
	client *http.Client
	// resources maps apiVersion/kind to the resource's path under its group
	// version and whether it is namespaced, from the server's discovery.
	resources map[string]resource
}

type resource struct {
	name       string // e.g. "deployments"
	namespaced bool
}

// startAPIServer starts etcd and kube-apiserver on loopback ports, waits
// until the server is ready, and stops both when the test ends.
func startAPIServer(t *testing.T, apiserver, etcd string) *apiServer {
	t.Helper()
	dir := t.TempDir()
	clientPort, peerPort, securePort := freePort(t), freePort(t), freePort(t)
	etcdURL := "http://127.0.0.1:" + clientPort
	peerURL := "http://127.0.0.1:" + peerPort
	etcdCmd := background(t, filepath.Join(dir, "etcd.log"), etcd,
		"--name", "default", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL)
	if runtime.GOARCH == "arm64" { // etcd 3.4 asks for this on arm64
		etcdCmd.Env = append(os.Environ(), "ETCD_UNSUPPORTED_ARCH=arm64")
	}
	etcdExited := startBackground(t, etcdCmd)
	waitFor(t, "etcd", filepath.Join(dir, "etcd.log"), etcdExited, time.Minute, func() error {
		resp, err := http.Get(etcdURL + "/health")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !bytes.Contains(body, []byte(`"health":"true"`)) {
			return fmt.Errorf("/health: %s", body)
		}
		return nil
	})

	// A token for the one user, who may do anything, and a key that signs
	// the service accounts' tokens (which no one uses here, but the server
	// wants one).
	token := randomHex(t, 16)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(token+`,workshop,workshop,"system:masters"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "service-account.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	certDir := filepath.Join(dir, "certs")
	logFile := filepath.Join(dir, "kube-apiserver.log")
	exited := startBackground(t, background(t, logFile, apiserver,
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", securePort,
		"--cert-dir", certDir,
		"--token-auth-file", filepath.Join(dir, "tokens.csv"), "--anonymous-auth=false",
		"--authorization-mode", "AlwaysAllow",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", keyFile, "--service-account-signing-key-file", keyFile,
		"--service-cluster-ip-range", "10.96.0.0/16",
		// No endpoints for the "kubernetes" Service: they can't be loopback.
		"--endpoint-reconciler-type", "none",
		"--profiling=false"))

	s := &apiServer{url: "https://127.0.0.1:" + securePort, token: token}
	waitFor(t, "kube-apiserver", logFile, exited, 5*time.Minute, func() error {
		if s.client == nil {
			// The server's certificate, self-signed into --cert-dir, is
			// the one to trust.
			pemData, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pemData) {
				return fmt.Errorf("no certificate in %s", filepath.Join(certDir, "apiserver.crt"))
			}
			s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		}
		code, body, err := s.do(http.MethodGet, "/readyz", nil)
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("/readyz: %d %s", code, body)
		}
		return nil
	})
	s.discover(t)
	return s
}

// discover reads the server's resources, as kubectl does.
func (s *apiServer) discover(t *testing.T) {
	t.Helper()
	s.resources = map[string]resource{}
	paths := []string{"/api/v1"}
	var groups metav1.APIGroupList
	s.get(t, "/apis", &groups)
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			paths = append(paths, "/apis/"+v.GroupVersion)
		}
	}
	for _, p := range paths {
		var list metav1.APIResourceList
		s.get(t, p, &list)
		for _, r := range list.APIResources {
			if !strings.Contains(r.Name, "/") { // not a subresource
				s.resources[list.GroupVersion+"/"+r.Kind] = resource{r.Name, r.Namespaced}
			}
		}
	}
}

func (s *apiServer) get(t *testing.T, path string, v any) {
	t.Helper()
	code, body, err := s.do(http.MethodGet, path, nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", path, code, body, err)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// create creates a namespace for real; one that is there already will do
// unless mustBeNew.
func (s *apiServer) create(t *testing.T, namespace []byte, mustBeNew bool) {
	t.Helper()
	code, body, err := s.do(http.MethodPost, "/api/v1/namespaces?fieldValidation=Strict", namespace)
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusCreated && (mustBeNew || code != http.StatusConflict) {
		t.Fatalf("create the namespace %s: %d %s", namespace, code, body)
	}
}

// post sends the document to its collection in namespace ns, with dryRun=All
// if dryRun, and returns the status, the body and the warnings.
func (s *apiServer) post(t *testing.T, d Document, ns string, dryRun bool) (int, string, []string) {
	t.Helper()
	r, ok := s.resources[d.APIVersion+"/"+d.Kind]
	if !ok {
		t.Fatalf("%s: the server knows no %s %s", d, d.APIVersion, d.Kind)
	}
	path := "/apis/" + d.APIVersion
	if !strings.Contains(d.APIVersion, "/") {
		path = "/api/" + d.APIVersion
	}
	if r.namespaced {
		path += "/namespaces/" + ns
	}
	path += "/" + r.name + "?fieldValidation=Strict"
	if dryRun {
		path += "&dryRun=All"
	}
	j, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	resp, body, err := s.send(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	var warnings []string
	for _, w := range resp.Header.Values("Warning") {
		// 299 - "the text, quoted"
		if _, text, ok := strings.Cut(w, " - "); ok {
			if u, err := strconv.Unquote(text); err == nil {
				w = u
			}
		}
		warnings = append(warnings, w)
	}
	return resp.StatusCode, compact(body), warnings
}

func (s *apiServer) do(method, path string, body []byte) (int, string, error) {
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	resp, b, err := s.send(req)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, string(b), nil
}

func (s *apiServer) send(req *http.Request) (*http.Response, []byte, error) {
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/json")
	if req.Method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// compact returns a refusal's message (a Status), or the body on one line.
func compact(body []byte) string {
	var st metav1.Status
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		return st.Message
	}
	var buf bytes.Buffer
	if json.Compact(&buf, body) == nil {
		if buf.Len() > 200 {
			return buf.String()[:200] + "…"
		}
		return buf.String()
	}
	return string(body)
}

// background returns a command whose output goes to logFile.
func background(t *testing.T, logFile, name string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	return cmd
}

// startBackground starts cmd, and stops it when the test ends: SIGTERM, and
// SIGKILL 20 seconds later. The channel is closed when it exits.
func startBackground(t *testing.T, cmd *exec.Cmd) <-chan struct{} {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return done
}

// waitFor calls ready until it returns nil, for at most limit; if it never
// does, or if the program exits, the test fails with the end of its log.
func waitFor(t *testing.T, what, logFile string, exited <-chan struct{}, limit time.Duration, ready func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		err := ready()
		if err == nil {
			return
		}
		fail := func(why string) {
			log, _ := os.ReadFile(logFile)
			if len(log) > 4000 {
				log = log[len(log)-4000:]
			}
			t.Fatalf("%s %s: %v\nthe end of its log:\n%s", what, why, err, log)
		}
		select {
		case <-ctx.Done():
			fail(fmt.Sprintf("is not ready after %v", limit))
		case <-exited:
			fail("exited")
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
