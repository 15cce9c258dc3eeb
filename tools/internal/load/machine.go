package load

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machine describes the computer that a measurement ran on, for a person who
// compares it with another.
type machine struct {
	cpu   string // the CPU's model name, or the architecture if unknown
	cores int
	os    string // the system, its release and, on Linux, its distribution
	goVer string // the Go that built the steps
	load  string // the load average before the run, where the system tells it
}

func (m machine) String() string {
	s := m.cpu + ", " + itoa(m.cores) + " cores, " + m.os + ", " + m.goVer
	if m.load != "" {
		s += "; load average before the run " + m.load
	}
	return s
}

// describeMachine asks the system what it is; what it can't tell is left
// generic.
func describeMachine(ctx context.Context, root string) machine {
	m := machine{cpu: runtime.GOARCH, cores: runtime.NumCPU(), os: runtime.GOOS, goVer: runtime.Version()}
	if out, err := commandOutput(ctx, root, "go", "env", "GOVERSION"); err == nil && out != "" {
		m.goVer = out
	}
	switch runtime.GOOS {
	case "linux":
		if model := cpuinfoModel(); model != "" {
			m.cpu = model
		}
		if rel, err := commandOutput(ctx, root, "uname", "-r"); err == nil {
			m.os = "Linux " + rel
		}
		if name := osReleaseName(); name != "" {
			m.os += " (" + name + ")"
		}
		if b, err := os.ReadFile("/proc/loadavg"); err == nil {
			if f := strings.Fields(string(b)); len(f) >= 3 {
				m.load = strings.Join(f[:3], " ")
			}
		}
	case "darwin":
		if model, err := commandOutput(ctx, root, "sysctl", "-n", "machdep.cpu.brand_string"); err == nil && model != "" {
			m.cpu = model
		}
		if ver, err := commandOutput(ctx, root, "sw_vers", "-productVersion"); err == nil {
			m.os = "macOS " + ver
		}
		if avg, err := commandOutput(ctx, root, "sysctl", "-n", "vm.loadavg"); err == nil {
			m.load = strings.Trim(avg, "{} ")
		}
	}
	return m
}

// commandOutput runs a command in dir and returns its output, trimmed.
func commandOutput(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// cpuinfoModel returns the first "model name" of /proc/cpuinfo.
func cpuinfoModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// osReleaseName returns PRETTY_NAME of /etc/os-release.
func osReleaseName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}
