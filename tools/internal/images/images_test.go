package images

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

func TestDefaultTag(t *testing.T) {
	for in, want := range map[string]string{"step09-services": "step09", "step10-x": "step10", "odd": "odd"} {
		if got := DefaultTag(in); got != want {
			t.Errorf("DefaultTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBinaries(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"cmd/addsvc/main.go":        "package main",
		"cmd/stringsvc/main.go":     "package main",
		"cmd/onlytests/x_test.go":   "package main",
		"cmd/empty/README.md":       "no Go",
		"cmd/loadgen/main.go":       "package main",
		"cmd/notadirectory.go":      "package main",
		"addservice/service.go":     "package addservice",
		"cmd/addcli/main.go":        "package main",
		"cmd/addcli/testdata/x.txt": "",
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Binaries(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"addcli", "addsvc", "loadgen", "stringsvc"}; !slices.Equal(got, want) {
		t.Errorf("Binaries = %q, want %q", got, want)
	}
	if _, err := Binaries(t.TempDir()); err == nil {
		t.Error("Binaries of a directory without cmd/: no error")
	}
}

func TestDockerfile(t *testing.T) {
	for _, want := range []string{"\nFROM scratch\n", "\nARG BINARY\n", "\nCOPY ${BINARY} /app\n", "\nUSER 65532:65532\n", "\nENTRYPOINT [\"/app\"]\n"} {
		if !strings.Contains(Dockerfile, want) {
			t.Errorf("the Dockerfile lacks %q:\n%s", want, Dockerfile)
		}
	}
}

// TestImages builds a step's images (the last step's, or WORKSHOP_IMAGES_STEP's)
// and runs its services in containers on the host's network, on loopback
// ports, as Kubernetes would run them: a read-only root file system, no
// capabilities, no new privileges: stringsvc if the step has it, then addsvc,
// whose Concat calls it (container to container, over loopback), and the
// load generator against addsvc for two seconds, if the step has them. It checks
// that they run as 65532, answer over HTTP, and stop; then it removes its
// containers and images.
//
// It needs Docker, so it runs only when WORKSHOP_IMAGES=1 (.ci/run sets it,
// after it has installed and started Docker). Asked for, it fails in CI (CI
// set) if Docker is missing, and skips elsewhere.
func TestImages(t *testing.T) {
	if os.Getenv("WORKSHOP_IMAGES") != "1" {
		t.Skip("builds and runs Docker images: set WORKSHOP_IMAGES=1 to run it (.ci/run does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := Available(ctx); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must build the images: %v", err)
		}
		t.Skipf("no Docker here: %v", err)
	}

	root, s := testStep(t)
	t.Logf("the images of %s", s.Dir)
	var log bytes.Buffer
	tag := DefaultTag(s.Dir) + "-test-" + randomHex(t)
	start := time.Now()
	images, err := Build(ctx, Options{
		Root: root, Step: s.Dir,
		Repository: Repository + "-test", Tag: tag,
		Labels: map[string]string{"gokit-workshop.test": "images"},
		Stdout: &log, Stderr: &log,
	})
	t.Cleanup(func() {
		if err := Remove(context.Background(), images...); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Logf("built %d images in %v", len(images), time.Since(start).Round(100*time.Millisecond))

	want, err := Binaries(filepath.Join(root, s.Dir))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Image{}
	for _, img := range images {
		byName[img.Binary] = img
		if got := inspect(t, ctx, "image", img.Ref, "{{.Config.User}} {{json .Config.Entrypoint}} {{.Os}}"); got != User+` ["/app"] linux` {
			t.Errorf("%s: user, entrypoint and system %q, want %q", img.Ref, got, User+` ["/app"] linux`)
		}
	}
	if len(images) != len(want) {
		t.Fatalf("built %d images for the %d binaries %q", len(images), len(want), want)
	}

	var running []container
	addArgs := []string{}
	if str, ok := byName["stringsvc"]; ok {
		// The second service first, so that addsvc's Concat has it to call.
		port := freePort(t)
		c := runContainer(t, ctx, str, "-http-addr", "127.0.0.1:"+port)
		waitHTTP(t, ctx, c, "GET", "http://127.0.0.1:"+port+"/metrics", "", "")
		waitHTTP(t, ctx, c, "POST", "http://127.0.0.1:"+port+"/uppercase", `{"s":"kit"}`, `{"v":"KIT"}`)
		running = append(running, c)
		addArgs = append(addArgs, "-stringsvc", "127.0.0.1:"+port)
	}
	add, ok := byName["addsvc"]
	if !ok {
		t.Fatalf("%s has no addsvc among its binaries %q", s.Dir, want)
	}
	httpPort, grpcPort := freePort(t), freePort(t)
	c := runContainer(t, ctx, add, append([]string{"-http-addr", "127.0.0.1:" + httpPort, "-grpc-addr", "127.0.0.1:" + grpcPort}, addArgs...)...)
	waitHTTP(t, ctx, c, "POST", "http://127.0.0.1:"+httpPort+"/sum", `{"a":1,"b":2}`, `{"v":3}`)
	if len(addArgs) > 0 {
		// Through stringsvc, which upper-cases Concat's result.
		waitHTTP(t, ctx, c, "POST", "http://127.0.0.1:"+httpPort+"/concat", `{"a":"go","b":"kit"}`, `{"v":"GOKIT"}`)
	}
	waitHTTP(t, ctx, c, "GET", "http://127.0.0.1:"+httpPort+"/metrics", "", "")
	running = append(running, c)
	if lg, ok := byName["loadgen"]; ok {
		// The load generator, in the foreground, against addsvc's container.
		args := []string{"run", "--rm", "--network", "host", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
			"--label", "gokit-workshop.test=images", "--name", "gokit-workshop-test-loadgen-" + randomHex(t),
			lg.Ref, "-addr", "127.0.0.1:" + httpPort, "-rate", "20", "-duration", "2s"}
		out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
		if err != nil {
			t.Errorf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		} else {
			t.Logf("loadgen against addsvc:\n%s", out)
		}
	}
	for _, c := range running {
		c.checkUser(t, ctx)
		c.stop(t, ctx)
	}
}

// checkUser checks that the container and its processes run as User.
func (c container) checkUser(t *testing.T, ctx context.Context) {
	t.Helper()
	if got := inspect(t, ctx, "container", c.name, "{{.Config.User}}"); got != User {
		t.Errorf("the container runs as %q, want %q", got, User)
	}
	// docker top lists the container's processes with ps on the host (which
	// needs the PID column).
	if out, err := exec.CommandContext(ctx, "docker", "top", c.name, "-o", "pid,uid").CombinedOutput(); err != nil {
		t.Errorf("docker top %s: %v\n%s", c.name, err, out)
	} else if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) < 2 || slices.ContainsFunc(lines[1:], func(l string) bool {
		f := strings.Fields(l)
		return len(f) != 2 || f[1] != "65532"
	}) {
		t.Errorf("docker top %s:\n%s\nwant every process as uid 65532", c.name, out)
	}
}

// testStep returns the repository's root and the step whose images
// TestImages builds: WORKSHOP_IMAGES_STEP (a number) or the last step.
func testStep(t *testing.T) (string, repo.Step) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := repo.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := repo.Steps(root)
	if err != nil {
		t.Fatal(err)
	}
	if arg := os.Getenv("WORKSHOP_IMAGES_STEP"); arg != "" {
		s, err := repo.Find(steps, arg)
		if err != nil {
			t.Fatalf("WORKSHOP_IMAGES_STEP: %v", err)
		}
		return root, s
	}
	return root, steps[len(steps)-1]
}

// container is a container that runContainer started.
type container struct {
	name string
	img  Image
}

// runContainer runs img in the background on the host's network, as the
// manifests' security context runs it, and removes it when the test ends.
func runContainer(t *testing.T, ctx context.Context, img Image, args ...string) container {
	t.Helper()
	c := container{name: "gokit-workshop-test-" + img.Binary + "-" + randomHex(t), img: img}
	run := append([]string{"run", "--detach", "--rm", "--name", c.name, "--network", "host",
		"--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
		"--label", "gokit-workshop.test=images", img.Ref}, args...)
	out, err := exec.CommandContext(ctx, "docker", run...).CombinedOutput()
	t.Cleanup(func() {
		// Gone already if the test stopped it: --rm removed it.
		exec.Command("docker", "rm", "--force", c.name).Run()
	})
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(run, " "), err, out)
	}
	t.Logf("docker run %s %s", img.Ref, strings.Join(args, " "))
	return c
}

// stop stops the container, which must then be gone (--rm).
func (c container) stop(t *testing.T, ctx context.Context) {
	t.Helper()
	if out, err := exec.CommandContext(ctx, "docker", "stop", "--time", "20", c.name).CombinedOutput(); err != nil {
		t.Fatalf("docker stop %s: %v\n%s", c.name, err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.CommandContext(ctx, "docker", "ps", "--all", "--quiet", "--filter", "name=^"+c.name+"$").Output()
		if err == nil && len(bytes.TrimSpace(out)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still there 30 s after docker stop: %s", c.name, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// logs returns the container's output so far.
func (c container) logs(ctx context.Context) string {
	out, _ := exec.CommandContext(ctx, "docker", "logs", c.name).CombinedOutput()
	return string(out)
}

// waitHTTP calls url until it answers 200 (a container takes a moment to
// listen), for at most a minute, and then checks its body against want
// (JSON; "" for any).
func waitHTTP(t *testing.T, ctx context.Context, c container, method, url, body, want string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err == nil {
			got, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				if want != "" && !sameJSON(got, []byte(want)) {
					t.Fatalf("%s %s %s: %s, want %s\n%s's log:\n%s", method, url, body, bytes.TrimSpace(got), want, c.img.Binary, c.logs(ctx))
				}
				t.Logf("%s %s %s: %d %s", method, url, body, resp.StatusCode, firstLine(got))
				return
			}
			err = fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(got))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%s %s: %v\n%s's log:\n%s", method, url, err, c.img.Binary, c.logs(ctx))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(line) > 80 {
		line = line[:80] + "…"
	}
	return line
}

// inspect returns docker inspect's format of an image or a container.
func inspect(t *testing.T, ctx context.Context, kind, name, format string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "docker", kind, "inspect", "--format", format, name).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s inspect %s: %v\n%s", kind, name, err, out)
	}
	return strings.TrimSpace(string(out))
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
