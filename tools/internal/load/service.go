package load

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// buildService builds the step's command as a person does (go build
// ./cmd/addsvc, in the step's directory) into binDir, and returns the
// binary's path.
func buildService(ctx context.Context, s step, binDir string) (string, error) {
	bin := filepath.Join(binDir, s.name+"-addsvc"+exeSuffix())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/addsvc")
	cmd.Dir = s.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", s.name, err, out)
	}
	return bin, nil
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

var flagName = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)

// serviceFlags returns the names of the flags that the binary takes, from
// its -h.
func serviceFlags(ctx context.Context, bin string) (map[string]bool, error) {
	out, _ := exec.CommandContext(ctx, bin, "-h").CombinedOutput() // -h exits 0 or 2, as flag sets do
	flags := make(map[string]bool)
	for _, m := range flagName.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if !flags["http-addr"] {
		return nil, fmt.Errorf("%s -h lists no -http-addr flag:\n%s", bin, out)
	}
	return flags, nil
}

// service is one step's binary, running.
type service struct {
	cmd                *exec.Cmd
	logPath            string
	httpAddr, grpcAddr string
	exited             chan struct{} // closed when cmd.Wait returns
	waitErr            error
}

var (
	listeningHTTP = regexp.MustCompile(`listening on http://(\S+?)"?\n`)
	listeningGRPC = regexp.MustCompile(`listening for gRPC on (\S+?)"?\n`)
)

// startService runs bin with args on cores (none: anywhere), its standard
// error (its log) written to logPath, and returns once it logs that it
// listens: on HTTP, and on gRPC too when wantGRPC.
func startService(ctx context.Context, bin string, args []string, logPath, cores string, wantGRPC bool) (*service, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	name, argv := bin, args
	if cores != "" {
		name, argv = "taskset", append([]string{"-c", cores, bin}, args...) // taskset execs bin: same process
	}
	cmd := exec.Command(name, argv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	s := &service{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.After(15 * time.Second)
	for {
		logged, _ := os.ReadFile(logPath)
		h, g := listeningHTTP.FindSubmatch(logged), listeningGRPC.FindSubmatch(logged)
		if h != nil && (g != nil || !wantGRPC) {
			s.httpAddr = string(h[1])
			if g != nil {
				s.grpcAddr = string(g[1])
			}
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("%s %s exited before it listened (%v); its log:\n%s", filepath.Base(bin), strings.Join(args, " "), s.waitErr, logged)
		case <-deadline:
			s.kill()
			return nil, fmt.Errorf("%s did not listen within 15s; its log:\n%s", filepath.Base(bin), logged)
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (s *service) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// stop asks the service to shut down, as Ctrl-C does (on Windows it is
// killed), waits for it, and returns the processor time it used in all.
func (s *service) stop() (time.Duration, error) {
	if runtime.GOOS == "windows" {
		_ = s.cmd.Process.Kill()
	} else {
		_ = s.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.kill()
		return 0, errors.New("the service did not stop within 15s of SIGINT")
	}
	st := s.cmd.ProcessState
	cpu := st.UserTime() + st.SystemTime()
	if runtime.GOOS != "windows" && !st.Success() {
		return cpu, fmt.Errorf("the service exited with %v", st)
	}
	return cpu, nil
}
