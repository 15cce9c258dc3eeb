package load

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// pinning keeps the service on one core and the load generator (this
// process, and the stand-in collector) on the others, so that neither takes
// the other's processor time. It needs Linux, taskset (util-linux) and at
// least 2 cores; elsewhere nothing is pinned and the report says so.
type pinning struct {
	server, load string // the cores, as taskset -c takes them; "" when not pinned
	why          string // why nothing is pinned
	restore      func()
}

func pinCores(ctx context.Context, off bool) pinning {
	p := pinning{restore: func() {}}
	n := runtime.NumCPU()
	switch _, lookErr := exec.LookPath("taskset"); {
	case off:
		p.why = "pinning turned off"
	case runtime.GOOS != "linux":
		p.why = "pinning needs Linux"
	case n < 2:
		p.why = "pinning needs 2 cores"
	case lookErr != nil:
		p.why = "pinning needs taskset (util-linux)"
	}
	if p.why != "" {
		return p
	}
	pid := itoa(os.Getpid())
	// "pid 42's current affinity mask: 3"
	out, err := exec.CommandContext(ctx, "taskset", "-p", pid).Output()
	mask := strings.TrimSpace(string(out[strings.LastIndexByte(string(out), ':')+1:]))
	if err != nil || mask == "" {
		p.why = fmt.Sprintf("taskset -p failed: %v", err)
		return p
	}
	p.server, p.load = "0", fmt.Sprintf("1-%d", n-1)
	if n == 2 {
		p.load = "1"
	}
	if out, err := exec.CommandContext(ctx, "taskset", "-a", "-p", "-c", p.load, pid).CombinedOutput(); err != nil {
		return pinning{why: fmt.Sprintf("taskset failed: %v: %s", err, out), restore: func() {}}
	}
	p.restore = func() { _ = exec.Command("taskset", "-a", "-p", mask, pid).Run() }
	return p
}

func (p pinning) String() string {
	if p.server == "" {
		return "not pinned (" + p.why + ")"
	}
	return "service on core " + p.server + ", load generator and collector on core(s) " + p.load + " (taskset)"
}
