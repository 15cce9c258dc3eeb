package load

import (
	"context"
	"errors"
	"fmt"
	"net"
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

var flagName = regexp.MustCompile(`^\s+-([a-z][a-z0-9.-]*)`)

// defaultValue is how the flag package's -h ends a flag's usage with its
// default: (default 100), (default "127.0.0.1:8080"), (default 1m0s).
var defaultValue = regexp.MustCompile(`\(default "?([^")]*)"?\)\s*$`)

// helpFlags are the flags that a binary's -h lists, each with its default as
// -h prints it ("" when it prints none: false, 0, "" in the flag package).
type helpFlags map[string]string

func (f helpFlags) has(name string) bool { _, ok := f[name]; return ok }

// serviceFlags returns the flags that the binary takes, and their defaults,
// from its -h.
func serviceFlags(ctx context.Context, bin string) (helpFlags, error) {
	out, _ := exec.CommandContext(ctx, bin, "-h").CombinedOutput() // -h exits 0 or 2, as flag sets do
	flags := parseHelp(string(out))
	if !flags.has("http-addr") {
		return nil, fmt.Errorf("%s -h lists no -http-addr flag:\n%s", bin, out)
	}
	return flags, nil
}

// parseHelp reads the flags out of a -h, as the flag package prints it
// (each flag on a line of its own, its usage on the lines after it, indented
// by a tab), or as go-kit's examples print theirs (one line a flag).
func parseHelp(help string) helpFlags {
	flags := make(helpFlags)
	name := ""
	for line := range strings.Lines(help) {
		if m := flagName.FindStringSubmatch(line); m != nil && !strings.HasPrefix(strings.TrimLeft(line, " "), "\t") {
			name = m[1]
			flags[name] = ""
		}
		if d := defaultValue.FindStringSubmatch(line); d != nil && name != "" {
			flags[name] = d[1]
		}
	}
	return flags
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

// ready tells, from what the service has logged so far, whether it listens
// yet, and where.
type ready func(logged []byte) (httpAddr, grpcAddr string, ok bool)

// loggedListening is ready when the service logs that it listens, as the
// steps do: on HTTP, and on gRPC too when wantGRPC.
func loggedListening(wantGRPC bool) ready {
	return func(logged []byte) (string, string, bool) {
		h, g := listeningHTTP.FindSubmatch(logged), listeningGRPC.FindSubmatch(logged)
		if h == nil || (g == nil && wantGRPC) {
			return "", "", false
		}
		grpcAddr := ""
		if g != nil {
			grpcAddr = string(g[1])
		}
		return string(h[1]), grpcAddr, true
	}
}

// accepting is ready when httpAddr accepts a connection, for a service that
// logs no address (it was given it).
func accepting(httpAddr string) ready {
	return func([]byte) (string, string, bool) {
		conn, err := net.DialTimeout("tcp", httpAddr, 100*time.Millisecond)
		if err != nil {
			return "", "", false
		}
		conn.Close()
		return httpAddr, "", true
	}
}

// startService runs bin with args on cores (none: anywhere), its standard
// error (its log) written to logPath, and returns once it is ready.
func startService(ctx context.Context, bin string, args []string, logPath, cores string, isReady ready) (*service, error) {
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
		if h, g, ok := isReady(logged); ok {
			s.httpAddr, s.grpcAddr = h, g
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, &exitedEarly{fmt.Sprintf("%s %s exited before it listened (%v); its log:\n%s", filepath.Base(bin), strings.Join(args, " "), s.waitErr, logged), logged}
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

// exitedEarly is the error of a service that exited before it listened.
type exitedEarly struct {
	msg    string
	logged []byte
}

func (e *exitedEarly) Error() string { return e.msg }

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
