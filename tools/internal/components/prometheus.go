package components

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// PrometheusAddr is where Prometheus listens unless told otherwise.
const PrometheusAddr = "127.0.0.1:9090"

// errNoPrometheus says how to get Prometheus where this package can't
// install it.
var errNoPrometheus = errors.New(`prometheus is not on PATH. Get it with
  brew install prometheus          (macOS, Homebrew)
or a release from https://prometheus.io/download/, or run
  docker compose up                (compose.yaml: Prometheus and Jaeger)`)

// InstallPrometheus makes sure that prometheus is on PATH and returns its
// path. Where it is missing, on Debian and Ubuntu it installs the
// prometheus package with apt-get (through sudo, which may ask for a
// password, unless it runs as root), then stops and disables the service
// that the package sets up, which would listen on all interfaces.
// Elsewhere its error says how to get Prometheus.
func InstallPrometheus(ctx context.Context, stderr io.Writer) (string, error) {
	if path, err := exec.LookPath("prometheus"); err == nil {
		return path, nil
	}
	if _, err := os.Stat("/etc/debian_version"); err != nil {
		return "", errNoPrometheus
	}
	fmt.Fprintln(stderr, "prometheus: installing the Debian package prometheus")
	apt := []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get"}
	steps := [][]string{
		append(apt, "update", "-q"),
		// Without recommends: they add prometheus-node-exporter, another service.
		append(apt, "install", "-y", "-q", "--no-install-recommends", "prometheus"),
	}
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		steps = append(steps, []string{"systemctl", "disable", "--now", "prometheus.service"})
	} else if _, err := os.Stat("/etc/init.d/prometheus"); err == nil {
		steps = append(steps, []string{"/etc/init.d/prometheus", "stop"}, []string{"update-rc.d", "prometheus", "disable"})
	}
	for i, argv := range steps {
		if os.Geteuid() != 0 {
			argv = append([]string{"sudo"}, argv...)
		}
		// In the terminal's process group, so that sudo can ask for a password.
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stderr, stderr
		if err := cmd.Run(); err != nil && i < 2 { // the service may not be there to stop
			return "", fmt.Errorf("install Prometheus: %v: %w", argv, err)
		}
	}
	return exec.LookPath("prometheus")
}

// PrometheusArgs returns the command line of Prometheus (at bin) listening
// on addr, with the configuration file config and its data in .run/prometheus
// under root, kept for a day.
func PrometheusArgs(bin, root, config, addr string) []string {
	return []string{bin,
		"--config.file=" + config,
		"--storage.tsdb.path=" + filepath.Join(root, ".run", "prometheus"),
		"--storage.tsdb.retention.time=1d",
		"--web.listen-address=" + addr,
	}
}

// RunPrometheus runs Prometheus in the foreground on addr (PrometheusAddr
// if empty) with deploy/prometheus.yml, which scrapes the service's
// /metrics, installing it first if it can (see InstallPrometheus). It
// returns when ctx is done, once Prometheus has stopped.
func RunPrometheus(ctx context.Context, root, addr string, stderr io.Writer) error {
	bin, err := InstallPrometheus(ctx, stderr)
	if err != nil {
		return err
	}
	if addr == "" {
		addr = PrometheusAddr
	}
	if err := os.MkdirAll(filepath.Join(root, ".run", "prometheus"), 0o755); err != nil {
		return fmt.Errorf("prometheus: %w", err)
	}
	fmt.Fprintf(stderr, "prometheus: http://%s, scraping what deploy/prometheus.yml lists\n", addr)
	config := filepath.Join(root, "deploy", "prometheus.yml")
	return runForeground(ctx, Command(ctx, root, PrometheusArgs(bin, root, config, addr)...), stderr)
}
