//go:build bench

package mcp_test

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kship/kship/internal/testenv"
)

// TestMCPDeployCost deploys the same release (a ConfigMap, a Secret, a
// Service and a Deployment with a smoke check) through `kship deploy` and
// through a running `kship mcp` over stdio (plan, then deploy with its
// plan id), rounds alternating, each round a new version so every deploy
// rolls pods, against the local cluster; it prints the wall time of each,
// the latency MCP adds (median), the CLI's peak RSS and CPU, and the
// server's RSS idle and peak and its CPU per round. KSHIP_BENCH_ROUNDS sets
// the rounds (default 3). Built only with -tags bench.
func TestMCPDeployCost(t *testing.T) {
	rounds := 3
	if s := os.Getenv("KSHIP_BENCH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		rounds = n
	}
	f := newFixture(t)
	nsCLI, nsMCP := testenv.Namespace(t, f.env, "mcp-bench-cli-"), testenv.Namespace(t, f.env, "mcp-bench-mcp-")
	cs := f.serve("--policy", f.policy(nsMCP+"=none"))
	pid := f.server.Process.Pid
	idleRSS := procStatus(t, pid, "VmRSS")
	cpu0 := procCPU(t, pid)

	var cliWall, mcpDeploy, mcpTotal []time.Duration
	var cliRSS int64
	var cliCPU time.Duration
	for i := 1; i <= rounds; i++ {
		v := fmt.Sprintf("v%d", i)
		runCLI := func() {
			file := f.release(nsCLI, app{version: v, secret: "bench-secret-" + v})
			start := time.Now()
			cmd := exec.Command(f.bin, "--kubeconfig", f.env.Kubeconfig, "--evidence-dir", f.evidence, "deploy", "-f", file, "-o", "json")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("kship deploy %s: %v\n%s", v, err, out)
			}
			cliWall = append(cliWall, time.Since(start))
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cliRSS = max(cliRSS, ru.Maxrss)
			cliCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		runMCP := func() {
			file := f.release(nsMCP, app{version: v, secret: "bench-secret-" + v})
			start := time.Now()
			var p planOut
			if res := f.call(cs, "plan", map[string]any{"file": file}, &p); res.IsError {
				t.Fatalf("plan %s: %s", v, text(res))
			}
			mid := time.Now()
			var d deployOut
			if res := f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d); d.ExitCode != 0 {
				t.Fatalf("deploy %s: %s", v, text(res))
			}
			mcpDeploy, mcpTotal = append(mcpDeploy, time.Since(mid)), append(mcpTotal, time.Since(start))
		}
		if i%2 == 1 {
			runCLI()
			runMCP()
		} else {
			runMCP()
			runCLI()
		}
	}
	peak := procStatus(t, pid, "VmHWM")
	serverCPU := procCPU(t, pid) - cpu0
	t.Logf("machine: %d CPUs shared with other work; %d rounds, each a rolling update of 1 pod with a smoke check", numCPU(), rounds)
	t.Logf("kship deploy (a process per deploy): wall %v, median %v; peak RSS %d MiB; CPU %.2fs per deploy", cliWall, median(cliWall), cliRSS/1024, cliCPU.Seconds()/float64(rounds))
	t.Logf("kship mcp deploy call:               wall %v, median %v (added: %v)", mcpDeploy, median(mcpDeploy), median(mcpDeploy)-median(cliWall))
	t.Logf("kship mcp plan + deploy calls:       wall %v, median %v (added: %v)", mcpTotal, median(mcpTotal), median(mcpTotal)-median(cliWall))
	t.Logf("kship mcp server: RSS idle %d MiB, peak %d MiB after %d plan+deploy rounds; CPU %.2fs per round", idleRSS/1024, peak/1024, rounds, serverCPU.Seconds()/float64(rounds))
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(time.Millisecond)
}

// procStatus reads a "kB" field of /proc/PID/status.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// procCPU is the user+system time of a process so far.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(data)[strings.LastIndexByte(string(data), ')')+2:])
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func numCPU() int {
	data, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(data), "processor\t:")
}
