package load

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// collector is the stand-in Zipkin collector (./spansink), running in a
// process of its own.
type collector struct {
	cmd     *exec.Cmd
	url     string // where services send their spans
	summary chan string
}

// startCollector builds spansink from the tools module under root into
// binDir and runs it on cores (none: anywhere).
func startCollector(ctx context.Context, root, binDir, cores string) (*collector, error) {
	bin := filepath.Join(binDir, "spansink"+exeSuffix())
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./internal/load/spansink")
	build.Dir = filepath.Join(root, "tools")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the stand-in collector: %w\n%s", err, out)
	}
	name, argv := bin, []string(nil)
	if cores != "" {
		name, argv = "taskset", []string{"-c", cores, bin}
	}
	cmd := exec.Command(name, argv...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the stand-in collector: %w", err)
	}
	c := &collector{cmd: cmd, summary: make(chan string, 1)}
	lines := bufio.NewScanner(out)
	first := make(chan string, 1)
	go func() {
		var got []string
		for lines.Scan() {
			if len(got) == 0 {
				first <- lines.Text()
			}
			got = append(got, lines.Text())
		}
		close(first)
		c.summary <- strings.Join(got[min(1, len(got)):], "; ")
	}()
	select {
	case line := <-first:
		addr, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			c.stop()
			return nil, fmt.Errorf("the stand-in collector said %q", line)
		}
		c.url = addr + "/api/v2/spans"
		return c, nil
	case <-time.After(10 * time.Second):
		c.stop()
		return nil, fmt.Errorf("the stand-in collector did not listen within 10s")
	}
}

// stop stops the collector and returns what it says it received.
func (c *collector) stop() string {
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil { // Windows has no SIGINT to send
		_ = c.cmd.Process.Kill()
	}
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
	select {
	case s := <-c.summary:
		return s
	case <-time.After(time.Second):
		return ""
	}
}
