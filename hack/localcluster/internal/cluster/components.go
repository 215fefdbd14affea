package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kship/kship/hack/localcluster/internal/pki"
	"github.com/kship/kship/hack/localcluster/internal/proc"
)

// env is one environment being started or inspected.
type env struct {
	opts Options
	l    layout
	st   State
	pki  pki.Files
	// cidrLock is the locked file of the pod CIDR block, handed to KWOK's
	// supervisor.
	cidrLock *os.File
}

// component is one process of the environment.
type component struct {
	name string
	// spec returns how to run the component, writing any config it needs.
	spec func(e *env) (proc.Spec, error)
	// ready checks once whether the component serves.
	ready func(ctx context.Context, e *env) error
	// core components (etcd, the API server) must be ready before the next
	// component starts.
	core bool
}

// Component names, also the names of their log and PID files.
const (
	nameEtcd       = "etcd"
	nameAPIServer  = "kube-apiserver"
	nameController = "kube-controller-manager"
	nameScheduler  = "kube-scheduler"
	nameKwok       = "kwok"
	namePodsim     = "podsim"
	namePromSD     = "prometheus-sd"
	namePrometheus = "prometheus"
	nameGit        = "git-server"
	nameSource     = "source-controller"
	nameKustomize  = "kustomize-controller"
)

// components lists every component in start order.
func components() []component {
	return []component{
		{nameEtcd, etcdSpec, etcdReady, true},
		{nameAPIServer, apiServerSpec, apiServerReady, true},
		{nameController, controllerSpec, healthzReady(func(p Ports) int { return p.Controller }), false},
		{nameScheduler, schedulerSpec, healthzReady(func(p Ports) int { return p.Scheduler }), false},
		{nameKwok, kwokSpec, kwokReady, false},
		{namePodsim, podsimSpec, podsimReady, false},
		{namePromSD, promSDSpec, promSDReady, false},
		{namePrometheus, prometheusSpec, prometheusReady, false},
		{nameGit, gitSpec, gitReady, false},
		{nameSource, sourceSpec, httpReady(func(p Ports) int { return p.SourceHealth }, "/readyz"), false},
		{nameKustomize, kustomizeSpec, httpReady(func(p Ports) int { return p.KustomizeHealth }, "/readyz"), false},
	}
}

// componentNamed returns the component called name.
func componentNamed(name string) (component, error) {
	var names []string
	for _, c := range components() {
		if c.name == name {
			return c, nil
		}
		names = append(names, c.name)
	}
	return component{}, fmt.Errorf("no component %q (components: %s)", name, strings.Join(names, ", "))
}

// wanted reports whether the environment runs c (the pod runner only when
// bin/podsim existed at start).
func (e *env) wanted(c component) bool {
	return c.name != namePodsim || e.st.Podsim
}

// supervised wraps spec in `localcluster supervise`, which restarts the
// component whenever it exits, with the same arguments: the same ports,
// data folder and certificates. The PID file records the supervisor; the
// component is its only child. An inherited file (KWOK's pod-CIDR lock)
// stays with the supervisor.
func supervised(spec proc.Spec) (proc.Spec, error) {
	self, err := os.Executable()
	if err != nil {
		return proc.Spec{}, fmt.Errorf("find localcluster executable: %w", err)
	}
	args := []string{"supervise", "--name=" + spec.Name}
	if len(spec.ExtraFiles) > 1 {
		return proc.Spec{}, fmt.Errorf("supervise %s: only one inherited file is supported", spec.Name)
	}
	if len(spec.ExtraFiles) == 1 {
		args = append(args, "--hold-fd=3")
	}
	args = append(append(args, "--", spec.Path), spec.Args...)
	return proc.Spec{Name: spec.Name, Path: self, Args: args, Env: spec.Env, Dir: spec.Dir, ExtraFiles: spec.ExtraFiles}, nil
}

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func (e *env) k8s() string { return filepath.Join(e.opts.BinDir, "k8s") }

func etcdSpec(e *env) (proc.Spec, error) {
	client := "http://" + loopback(e.st.Ports.Etcd)
	peer := "http://" + loopback(e.st.Ports.EtcdPeer)
	return proc.Spec{Name: nameEtcd, Path: e.k8s(), Args: []string{
		"etcd",
		"--name=localcluster",
		"--data-dir=" + e.l.path("etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=localcluster=" + peer,
		"--unsafe-no-fsync=true", // test data only; keeps etcd fast on a busy disk
		"--quota-backend-bytes=2147483648",
		"--log-level=warn",
	}}, nil
}

func apiServerSpec(e *env) (proc.Spec, error) {
	return proc.Spec{Name: nameAPIServer, Path: e.k8s(), Args: []string{
		"kube-apiserver",
		"--etcd-servers=http://" + loopback(e.st.Ports.Etcd),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(e.st.Ports.APIServer),
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--authorization-mode=Node,RBAC",
		"--client-ca-file=" + e.pki.CACert,
		"--tls-cert-file=" + e.pki.ServingCert,
		"--tls-private-key-file=" + e.pki.ServingKey,
		"--service-account-key-file=" + e.pki.SAPublic,
		"--service-account-signing-key-file=" + e.pki.SAPrivate,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--cert-dir=" + e.l.path("pki", "apiserver"),
		"--allow-privileged=true",
		"--profiling=false",
		"--v=0",
	}}, nil
}

// componentFlags are the flags kube-controller-manager and kube-scheduler share.
func (e *env) componentFlags(port int, certDir string) []string {
	kc := e.l.kubeconfig()
	return []string{
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + e.l.path("pki", certDir),
		"--leader-elect=false",
		"--profiling=false",
		"--v=0",
	}
}

func controllerSpec(e *env) (proc.Spec, error) {
	args := append([]string{"kube-controller-manager"}, e.componentFlags(e.st.Ports.Controller, "controller-manager")...)
	args = append(args,
		"--service-account-private-key-file="+e.pki.SAPrivate,
		"--root-ca-file="+e.pki.CACert,
		"--cluster-signing-cert-file="+e.pki.CACert,
		"--cluster-signing-key-file="+e.pki.CAKey,
		"--use-service-account-credentials=false",
		"--controllers=*",
	)
	return proc.Spec{Name: nameController, Path: e.k8s(), Args: args}, nil
}

func schedulerSpec(e *env) (proc.Spec, error) {
	args := append([]string{"kube-scheduler"}, e.componentFlags(e.st.Ports.Scheduler, "scheduler")...)
	return proc.Spec{Name: nameScheduler, Path: e.k8s(), Args: args}, nil
}

// kwokSpec runs KWOK; its supervisor holds the lock of the environment's
// pod CIDR block (and restarts KWOK when it dies: v0.8.0 sometimes crashes
// at start with "concurrent map writes").
func kwokSpec(e *env) (proc.Spec, error) {
	cfg, err := writeKwokConfig(e.l)
	if err != nil {
		return proc.Spec{}, err
	}
	home := e.l.path("kwok", "home") // keeps ~/.kwok/kwok.yaml of the user out
	if err := os.MkdirAll(home, 0o755); err != nil {
		return proc.Spec{}, fmt.Errorf("create %s: %w", home, err)
	}
	if e.cidrLock == nil { // restarting KWOK of a running environment
		if e.cidrLock, err = lockNB(e.st.PodCIDRLock); err != nil {
			return proc.Spec{}, err
		}
		if e.cidrLock == nil {
			return proc.Spec{}, fmt.Errorf("pod CIDR %s is held by another environment (%s)", e.st.PodCIDR, e.st.PodCIDRLock)
		}
	}
	return proc.Spec{Name: nameKwok, Path: filepath.Join(e.opts.BinDir, "kwok"), Env: []string{"HOME=" + home}, ExtraFiles: []*os.File{e.cidrLock}, Args: []string{
		"--kubeconfig=" + e.l.kubeconfig(),
		"--config=" + cfg,
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
		"--cidr=" + e.st.PodCIDR,
		"--node-ip=127.0.0.1",
		"--node-lease-duration-seconds=40",
		"--server-address=" + loopback(e.st.Ports.Kwok),
	}}, nil
}

func podsimSpec(e *env) (proc.Spec, error) {
	return proc.Spec{Name: namePodsim, Path: filepath.Join(e.opts.BinDir, "podsim"), Args: []string{
		"--kubeconfig=" + e.l.kubeconfig(),
		"--listen=" + loopback(e.st.Ports.Ingress),
		"--demoapp=" + filepath.Join(e.opts.BinDir, "demoapp"),
		"--log-dir=" + e.l.path("logs", "podsim"),
	}}, nil
}

// promSDSpec runs this binary's pod discovery for Prometheus (Debian's
// prometheus is built without kubernetes_sd_configs).
func promSDSpec(e *env) (proc.Spec, error) {
	self, err := os.Executable()
	if err != nil {
		return proc.Spec{}, fmt.Errorf("find localcluster executable: %w", err)
	}
	return proc.Spec{Name: namePromSD, Path: self, Args: []string{
		"prometheus-sd", "--kubeconfig=" + e.l.kubeconfig(), "--listen=" + loopback(e.st.Ports.PromSD),
	}}, nil
}

func prometheusSpec(e *env) (proc.Spec, error) {
	cfg, err := writePrometheusConfig(e.l, e.st.Ports.PromSD)
	if err != nil {
		return proc.Spec{}, err
	}
	return proc.Spec{Name: namePrometheus, Path: e.opts.Prometheus, Args: []string{
		"--config.file=" + cfg,
		"--storage.tsdb.path=" + e.l.path("prometheus", "data"),
		"--storage.tsdb.retention.time=6h",
		"--web.listen-address=" + loopback(e.st.Ports.Prometheus),
		"--log.level=warn",
	}}, nil
}
