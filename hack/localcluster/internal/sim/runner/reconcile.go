package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kship/kship/hack/localcluster/internal/sim/podstate"
)

// restartAfter is how long the runner waits before restarting a process
// that exited by itself, by number of consecutive early exits.
func restartAfter(exits int) time.Duration {
	d := 500 * time.Millisecond << min(exits, 5)
	return min(d, 10*time.Second)
}

// reconcile makes the processes of one pod match what the pod says.
func (r *Runner) reconcile(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return fmt.Errorf("pod key %q: %w", key, err)
	}
	pod, err := r.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		pod, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("pod %s: read from cache: %w", key, err)
	}
	want := map[int32]podstate.Port{}
	if pod != nil && podstate.Runnable(pod) {
		for _, p := range podstate.TCPPorts(pod) {
			want[p.Number] = p
		}
	}
	r.stopUnwanted(key, pod, want)
	var errs []error
	for _, port := range want {
		if err := r.ensure(ctx, pod, port); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stopUnwanted stops the pod's processes that no longer match it and forgets
// those that exited.
func (r *Runner) stopUnwanted(key string, pod *corev1.Pod, want map[int32]podstate.Port) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for port, p := range r.procs[key] {
		_, wanted := want[port]
		switch {
		case !wanted || p.uid != pod.UID || p.addr != podAddr(pod, port):
			r.opts.Log.Info("pod runner: stopping", "pod", key, "addr", p.addr, "reason", stopReason(pod, wanted))
			p.stop(r.opts.Grace)
			delete(r.procs[key], port)
		case p.exited():
			delete(r.procs[key], port)
		}
	}
	if len(r.procs[key]) == 0 {
		delete(r.procs, key)
	}
	if pod == nil {
		for k := range r.restarts {
			if strings.HasPrefix(k, key+"/") {
				delete(r.restarts, k)
			}
		}
	}
}

func stopReason(pod *corev1.Pod, wanted bool) string {
	switch {
	case pod == nil:
		return "pod deleted"
	case pod.DeletionTimestamp != nil:
		return "pod terminating"
	case !wanted:
		return "pod or container not running"
	default:
		return "pod recreated or IP changed"
	}
}

func podAddr(pod *corev1.Pod, port int32) string {
	if pod == nil {
		return ""
	}
	return net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(int(port)))
}

// ensure starts the process for one port of the pod unless it runs.
func (r *Runner) ensure(ctx context.Context, pod *corev1.Pod, port podstate.Port) error {
	key := pod.Namespace + "/" + pod.Name
	addr := podAddr(pod, port.Number)
	r.mu.Lock()
	current, holder := r.procs[key][port.Number], r.byAddr[addr]
	wait := time.Until(r.restarts[key+"/"+addr].notBefore)
	count := len(r.byAddr)
	r.mu.Unlock()
	switch {
	case current != nil:
		return nil
	case wait > 0:
		r.queue.AddAfter(key, wait)
		return nil
	case count >= r.opts.MaxProcesses:
		return fmt.Errorf("pod %s: not starting %s: %d processes already run (limit %d)", key, addr, count, r.opts.MaxProcesses)
	}
	if holder != nil { // a process of an earlier pod that had this IP
		holder.stop(r.opts.Grace)
		if !holder.wait(r.opts.Grace + 2*time.Second) {
			return fmt.Errorf("pod %s: address %s still held by pod %s", key, addr, holder.key)
		}
	}
	env, err := r.containerEnv(ctx, pod, port.Container)
	if err != nil {
		return err
	}
	return r.start(pod, port, addr, env)
}

// start runs the demo app for one port and records it.
func (r *Runner) start(pod *corev1.Pod, port podstate.Port, addr string, env map[string]string) error {
	key := pod.Namespace + "/" + pod.Name
	log, err := r.logFile(key)
	if err != nil {
		return err
	}
	defer log.Close()
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	fmt.Fprintf(log, "%s podsim: starting %s for container %s on %s (pod uid %s, env %s)\n",
		time.Now().Format(time.RFC3339), r.opts.DemoApp, port.Container, addr, pod.UID, strings.Join(slices.Sorted(slices.Values(names)), ","))
	p, err := startProc(procSpec{key: key, uid: pod.UID, container: port.Container, addr: addr,
		binary: r.opts.DemoApp, env: envList(env), log: log}, r.onExit)
	if err != nil {
		return err
	}
	r.mu.Lock()
	if r.procs[key] == nil {
		r.procs[key] = map[int32]*proc{}
	}
	r.procs[key][port.Number] = p
	r.byAddr[addr] = p
	r.mu.Unlock()
	r.opts.Log.Info("pod runner: started", "pod", key, "addr", addr, "pid", p.cmd.Process.Pid)
	return nil
}

// onExit forgets an exited process and, when nobody asked it to stop,
// schedules its restart with a growing delay (as the kubelet backs off).
func (r *Runner) onExit(p *proc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byAddr[p.addr] == p {
		delete(r.byAddr, p.addr)
	}
	if p.stopping.Load() {
		r.opts.Log.Info("pod runner: stopped", "pod", p.key, "addr", p.addr, "exit", p.describeExit())
		return
	}
	rk := p.key + "/" + p.addr
	rs := r.restarts[rk]
	if time.Since(p.started) > time.Minute {
		rs.count = 0
	}
	delay := restartAfter(rs.count)
	rs.count++
	rs.notBefore = time.Now().Add(delay)
	r.restarts[rk] = rs
	r.opts.Log.Warn("pod runner: process exited by itself", "pod", p.key, "addr", p.addr,
		"exit", p.describeExit(), "restart_in", delay, "log", r.opts.LogDir)
	r.queue.AddAfter(p.key, delay)
}

// restart is the back-off state of one pod port.
type restart struct {
	count     int
	notBefore time.Time
}

// containerEnv resolves the environment of the named container, reading
// the ConfigMaps and Secrets it refers to from the API server.
func (r *Runner) containerEnv(ctx context.Context, pod *corev1.Pod, name string) (map[string]string, error) {
	var c *corev1.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			c = &pod.Spec.Containers[i]
		}
	}
	if c == nil {
		return nil, fmt.Errorf("pod %s/%s: no container %q", pod.Namespace, pod.Name, name)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	src := Sources{ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	cms, secrets := Refs(c)
	for _, n := range cms {
		cm, err := r.opts.Client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, n, metav1.GetOptions{})
		if err := keep(src.ConfigMaps, n, cm, err); err != nil {
			return nil, fmt.Errorf("pod %s/%s: read ConfigMap %s: %w", pod.Namespace, pod.Name, n, err)
		}
	}
	for _, n := range secrets {
		s, err := r.opts.Client.CoreV1().Secrets(pod.Namespace).Get(ctx, n, metav1.GetOptions{})
		if err := keep(src.Secrets, n, s, err); err != nil {
			return nil, fmt.Errorf("pod %s/%s: read Secret %s: %w", pod.Namespace, pod.Name, n, err)
		}
	}
	env, err := Env(pod, c, src)
	if err != nil {
		return nil, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return env, nil
}

// keep records a fetched object; not found leaves it out of m.
func keep[T any](m map[string]T, name string, obj T, err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	m[name] = obj
	return nil
}
