package components

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Jaeger's module and the pinned version that BuildJaeger builds: the
// module's v1.76.0 is Jaeger v2.13.0, the release that compose.yaml pins.
const (
	JaegerModule  = "github.com/jaegertracing/jaeger"
	JaegerVersion = "v1.76.0"
	jaegerRelease = "v2.13.0"
)

// Where Jaeger listens (deploy/jaeger.yaml): its Zipkin receiver, and its
// query API (with the placeholder page of its UI).
const (
	ZipkinAddr      = "127.0.0.1:9411"
	JaegerQueryAddr = "127.0.0.1:16686"
)

// JaegerBinary returns where BuildJaeger puts Jaeger under root.
func JaegerBinary(root string) string {
	return filepath.Join(root, ".tools", "jaeger-"+JaegerVersion)
}

// BuildJaeger builds Jaeger into .tools/ under root unless it is there
// already, and returns the binary's path. There is no release binary to get
// through the Go module proxy, and "go install" refuses the module (its
// go.mod has replace directives), so the pinned module is downloaded and
// its cmd/jaeger built from the module's own directory: about 5 minutes
// the first time. The go command's output goes to stderr.
func BuildJaeger(ctx context.Context, root string, stderr io.Writer) (string, error) {
	bin := JaegerBinary(root)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(stderr, "jaeger: building Jaeger %s into .tools/ once; the first build takes about 5 minutes\n", JaegerVersion)
	// From a directory outside any module or workspace, so that nothing here
	// is touched; -json says where the module was unpacked.
	download := goCommand(ctx, os.TempDir(), "mod", "download", "-json", JaegerModule+"@"+JaegerVersion)
	download.Stderr = stderr
	out, err := download.Output()
	var mod struct{ Dir, Error string }
	if jsonErr := json.Unmarshal(out, &mod); err != nil || jsonErr != nil || mod.Dir == "" {
		return "", fmt.Errorf("jaeger: go mod download gave no module directory (%v): %s%s", err, out, mod.Error)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", fmt.Errorf("jaeger: %w", err)
	}
	// Into a temporary name, so that an interrupted build leaves nothing
	// that looks finished.
	build := goCommand(ctx, mod.Dir, "build", "-o", bin+".tmp",
		"-ldflags", "-X "+JaegerModule+"/internal/version.latestVersion="+jaegerRelease, "./cmd/jaeger")
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("jaeger: build %s: %w", JaegerVersion, err)
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		return "", fmt.Errorf("jaeger: %w", err)
	}
	fmt.Fprintf(stderr, "jaeger: built %s\n", bin)
	return bin, nil
}

// goCommand runs the go command in dir, outside any workspace and with no
// GOFLAGS of the caller's.
func goCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := Command(ctx, dir, append([]string{"go"}, args...)...)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	return cmd
}

// JaegerArgs returns the command line of Jaeger (at bin) with
// deploy/jaeger.yaml under root: all-in-one, in memory, every address on
// JAEGER_LISTEN_HOST, which JaegerEnv sets.
func JaegerArgs(bin, root string) []string {
	return []string{bin, "--config", filepath.Join(root, "deploy", "jaeger.yaml")}
}

// JaegerEnv returns what Jaeger's environment needs: JAEGER_LISTEN_HOST
// as the caller's environment has it, else 127.0.0.1. Without
// deploy/jaeger.yaml and this, its query ports would listen on all
// interfaces.
func JaegerEnv() []string {
	return []string{"JAEGER_LISTEN_HOST=" + jaegerHost()}
}

// jaegerHost is JAEGER_LISTEN_HOST, 127.0.0.1 by default.
func jaegerHost() string {
	if host := os.Getenv("JAEGER_LISTEN_HOST"); host != "" {
		return host
	}
	return "127.0.0.1"
}

// RunJaeger builds Jaeger if needed (see BuildJaeger), then runs it in the
// foreground (see JaegerArgs) until ctx is done and it has stopped.
func RunJaeger(ctx context.Context, root string, stderr io.Writer) error {
	bin, err := BuildJaeger(ctx, root, stderr)
	if err != nil {
		return err
	}
	cmd := Command(ctx, root, JaegerArgs(bin, root)...)
	cmd.Env = append(os.Environ(), JaegerEnv()...)
	fmt.Fprintf(stderr, "jaeger: Zipkin on http://%[1]s:9411, UI and API on http://%[1]s:16686\n", jaegerHost())
	return runForeground(ctx, cmd, stderr)
}
