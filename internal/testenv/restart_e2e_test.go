package testenv_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kship/kship/internal/testenv"
)

// TestDeadComponentsComeBackInPlace runs a throwaway environment and takes
// its components away the ways a fault test (or a crash) does: the API
// server and etcd killed (their supervisors restart them), the API
// server's whole process group killed (up restarts only it), the API
// server and Prometheus stopped and started with `localcluster stop` and
// `start`. Each time the component comes back on the same port, with the
// same certificates and the same objects, and nothing else is restarted.
func TestDeadComponentsComeBackInPlace(t *testing.T) {
	env := testenv.Get(t) // builds the binaries if needed
	bin := filepath.Join(env.RepoRoot, "bin")
	state := t.TempDir()
	lc := func(ctx context.Context, args ...string) (string, error) {
		args = append(args, "--state-dir", state, "--bin-dir", bin)
		out, err := exec.CommandContext(ctx, filepath.Join(bin, "localcluster"), args...).CombinedOutput()
		return string(out), err
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	t.Cleanup(func() { _, _ = lc(context.WithoutCancel(t.Context()), "down") })
	if out, err := lc(ctx, "up"); err != nil {
		t.Fatalf("localcluster up: %v\n%s", err, out)
	}
	envFile, err := os.ReadFile(filepath.Join(state, "env"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(state, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "survives"}, Data: map[string]string{"k": "v"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create ConfigMap: %v", err)
	}
	pids := recordedPIDs(t, state)
	// back waits until the API server at the same address, with the same
	// client certificate and CA, serves the ConfigMap created before.
	back := func(what string) {
		t.Helper()
		start := time.Now()
		eventually(t, 2*time.Minute, what, func(ctx context.Context) (bool, string) {
			got, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "survives", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			if got.UID != cm.UID {
				return false, fmt.Sprintf("ConfigMap uid %s, want %s", got.UID, cm.UID)
			}
			// and writes (a read may come from the API server's cache)
			_, err = cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "write-"}}, metav1.CreateOptions{})
			return err == nil, fmt.Sprintf("create a ConfigMap: %v", err)
		})
		t.Logf("%s after %s", what, time.Since(start).Round(10*time.Millisecond))
	}
	unchanged := func(when string, except ...string) {
		t.Helper()
		now := recordedPIDs(t, state)
		for name, pid := range pids {
			if !slices.Contains(except, name) && now[name] != pid {
				t.Errorf("%s: %s restarted (pid %d, then %d); want only %v restarted", when, name, pid, now[name], except)
			}
		}
		if data, _ := os.ReadFile(filepath.Join(state, "env")); string(data) != string(envFile) {
			t.Errorf("%s: env file changed:\n%s\nthen:\n%s", when, envFile, data)
		}
		pids = now
	}

	// A crash of the API server (its process killed) is repaired by its
	// supervisor, without up.
	apiserver := onlyChild(t, pids["kube-apiserver"])
	_ = syscall.Kill(apiserver, syscall.SIGKILL)
	back("API server killed: back in place")
	if now := onlyChild(t, pids["kube-apiserver"]); now == apiserver {
		t.Errorf("API server pid %d still the same after SIGKILL", now)
	}
	unchanged("after the API server was killed")

	// So is one of etcd, whose data stays.
	_ = syscall.Kill(onlyChild(t, pids["etcd"]), syscall.SIGKILL)
	back("etcd killed: back in place with its data")
	unchanged("after etcd was killed")

	// The API server's whole process group gone (supervisor and all):
	// up restarts it, and only it.
	_ = syscall.Kill(-pids["kube-apiserver"], syscall.SIGKILL)
	if out, err := lc(ctx, "status"); err == nil || !strings.Contains(out, "kube-apiserver") || !strings.Contains(out, "NOT RUNNING") {
		t.Errorf("status with the API server dead: %v\n%s", err, out)
	}
	if out, err := lc(ctx, "up"); err != nil {
		t.Fatalf("up with the API server dead: %v\n%s", err, out)
	} else if strings.Contains(out, "new environment") {
		t.Errorf("up started a new environment:\n%s", out)
	}
	back("API server group killed, up: back in place")
	unchanged("after up", "kube-apiserver")

	// stop and start, as fault tests use them.
	for _, c := range []struct{ name, probe string }{
		{"kube-apiserver", ""},
		{"prometheus", envVar(t, string(envFile), "KSHIP_PROMETHEUS") + "/-/ready"},
	} {
		if out, err := lc(ctx, "stop", c.name); err != nil {
			t.Fatalf("stop %s: %v\n%s", c.name, err, out)
		}
		if c.probe == "" {
			if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "survives", metav1.GetOptions{}); err == nil {
				t.Errorf("API server still answers after stop")
			}
		} else if res, err := http.Get(c.probe); err == nil {
			res.Body.Close()
			t.Errorf("%s still answers after stop: %s", c.name, res.Status)
		}
		if out, err := lc(ctx, "status"); err == nil || !strings.Contains(out, "STOPPED") {
			t.Errorf("status with %s stopped: %v\n%s", c.name, err, out)
		}
		if out, err := lc(ctx, "start", c.name); err != nil {
			t.Fatalf("start %s: %v\n%s", c.name, err, out)
		}
		if c.probe == "" {
			back("API server stopped and started: back in place")
		} else if res, err := http.Get(c.probe); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("%s after start: %v %v", c.name, res, err)
		} else {
			res.Body.Close()
		}
		unchanged("after stop and start of "+c.name, c.name)
	}
}

// onlyChild returns the one child of a supervisor (the component it runs),
// waiting up to 30 s for it (the supervisor may be restarting it).
func onlyChild(t *testing.T, supervisor int) int {
	t.Helper()
	var pid int
	eventually(t, 30*time.Second, fmt.Sprintf("supervisor %d has one child", supervisor), func(context.Context) (bool, string) {
		children := childrenOf(supervisor)
		if len(children) == 1 {
			pid = children[0]
		}
		return len(children) == 1, fmt.Sprintf("children %v", children)
	})
	return pid
}

// envVar returns the value of KEY=value in an env file's text.
func envVar(t *testing.T, envFile, key string) string {
	t.Helper()
	for _, line := range strings.Split(envFile, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return v
		}
	}
	t.Fatalf("%s not in env file:\n%s", key, envFile)
	return ""
}
