package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// httpClient probes loopback health endpoints. The components' serving
// certificates are self-signed, and the probe only asks "do you answer".
var httpClient = &http.Client{
	Timeout:   3 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec
}

// probe GETs url and expects 200.
func probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: status %d: %s", url, res.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

func etcdReady(ctx context.Context, e *env) error {
	return probe(ctx, "http://"+loopback(e.st.Ports.Etcd)+"/health")
}

func apiServerReady(ctx context.Context, e *env) error {
	cs, err := e.clientset()
	if err != nil {
		return err
	}
	if err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error(); err != nil {
		return fmt.Errorf("api server /readyz: %w", err)
	}
	return nil
}

// healthzReady probes https://127.0.0.1:<port>/healthz (always allowed
// without credentials on the controller-manager and the scheduler).
func healthzReady(port func(Ports) int) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		return probe(ctx, "https://"+loopback(port(e.st.Ports))+"/healthz")
	}
}

func kwokReady(ctx context.Context, e *env) error {
	return probe(ctx, "http://"+loopback(e.st.Ports.Kwok)+"/healthz")
}

func podsimReady(ctx context.Context, e *env) error {
	return probe(ctx, "http://"+loopback(e.st.Ports.Ingress)+"/-/ready")
}

func promSDReady(ctx context.Context, e *env) error {
	return probe(ctx, "http://"+loopback(e.st.Ports.PromSD)+"/-/ready")
}

func prometheusReady(ctx context.Context, e *env) error {
	return probe(ctx, "http://"+loopback(e.st.Ports.Prometheus)+"/-/ready")
}

// clientset returns a client for the environment's API server.
func (e *env) clientset() (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", e.l.kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build client: %w", err)
	}
	return cs, nil
}

// clusterReady checks that the wanted number of nodes is Ready and that the
// default ServiceAccount exists (the controller-manager's service-account
// controller runs), so pods can be created.
func clusterReady(ctx context.Context, e *env) error {
	cs, err := e.clientset()
	if err != nil {
		return err
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	ready := 0
	for _, n := range nodes.Items {
		if strings.HasPrefix(n.Name, nodePrefix) && nodeReady(n) { // tests may add nodes of their own
			ready++
		}
	}
	if ready < e.opts.Nodes {
		return fmt.Errorf("%d of %d nodes Ready", ready, e.opts.Nodes)
	}
	if _, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
		return fmt.Errorf("default ServiceAccount: %w", err)
	}
	return nil
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitReady checks ready every 250 ms until it passes, the component's
// process dies, or timeout passes; errors carry the last check's failure and
// the tail of the component's log.
func (e *env) waitReady(ctx context.Context, name string, timeout time.Duration, ready func(context.Context, *env) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ready(ctx, e)
		if err == nil {
			return nil
		}
		if name != "" && !e.l.dirs().Alive(name) {
			return fmt.Errorf("%s exited: %w\n%s", name, err, e.logTail(name))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w\n%s", describe(name), timeout, err, e.logTail(name))
		case <-tick.C:
		}
	}
}

func describe(name string) string {
	if name == "" {
		return "cluster"
	}
	return name
}
