package ingress

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"
)

// newInformer returns an informer whose store the test fills directly; the
// ingress only reads the store.
func newInformer(example runtime.Object) cache.SharedIndexInformer {
	return cache.NewSharedIndexInformer(&cache.ListWatch{}, example, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
}

// backend is a real HTTP server standing in for one pod's demo app.
func backend(t *testing.T, version string) (ip string, port string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "version=%s host=%s", version, r.Host)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u.Hostname(), u.Port()
}

// fixture is an ingress serving Service shop/web over pods the test adds.
type fixture struct {
	in   *Ingress
	pods cache.SharedIndexInformer
	srv  *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{pods: newInformer(&corev1.Pod{})}
	services := newInformer(&corev1.Service{})
	var svc corev1.Service
	if err := yaml.UnmarshalStrict([]byte(`
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}`), &svc); err != nil {
		t.Fatal(err)
	}
	if err := services.GetIndexer().Add(&svc); err != nil {
		t.Fatal(err)
	}
	f.in = New(Options{Pods: f.pods, Services: services})
	f.srv = httptest.NewServer(f.in)
	t.Cleanup(f.srv.Close)
	return f
}

// addPod adds a pod of Service web whose named port http is a real backend.
func (f *fixture) addPod(t *testing.T, name, version string, ready bool) {
	ip, port := backend(t, version)
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	p := pod(t, fmt.Sprintf(`
metadata: {name: %s, namespace: shop, labels: {app: web}}
spec: {containers: [{name: app, image: demo, ports: [{name: http, containerPort: %s}]}]}
status: {phase: Running, podIP: %s, conditions: [{type: Ready, status: "%s"}]}`, name, port, ip, cond))
	if err := f.pods.GetIndexer().Add(p); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) get(t *testing.T, host, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestIngressRoutesByReadyPodShare(t *testing.T) {
	f := newFixture(t)
	f.in.SetReady()
	for i := range 3 {
		f.addPod(t, fmt.Sprintf("web-v1-%d", i), "v1", true)
	}
	f.addPod(t, "web-v2-0", "v2", true)
	f.addPod(t, "web-v2-1", "v2", false) // not Ready: no traffic
	versions := map[string]int{}
	for range 400 {
		code, body := f.get(t, "web.shop.svc.cluster.local", "/")
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		versions[strings.Fields(body)[0]]++
		if !strings.Contains(body, "host=web.shop.svc.cluster.local") {
			t.Fatalf("backend saw %q, want the original Host", body)
		}
	}
	if versions["version=v2"] != 100 || versions["version=v1"] != 300 {
		t.Fatalf("split %v, want v2 100 (1 of 4 Ready pods) and v1 300", versions)
	}
}

func TestIngressAnswersWhyItCannotRoute(t *testing.T) {
	f := newFixture(t)
	if code, _ := f.get(t, "127.0.0.1", "/-/ready"); code != http.StatusServiceUnavailable {
		t.Fatalf("/-/ready before sync: %d, want 503", code)
	}
	f.in.SetReady()
	if code, _ := f.get(t, "127.0.0.1", "/-/ready"); code != http.StatusOK {
		t.Fatalf("/-/ready after sync: %d, want 200", code)
	}
	f.addPod(t, "web-x", "v1", false)
	for _, tc := range []struct {
		host string
		code int
		want string
	}{
		{"localhost:8080", 404, "names no Service"},
		{"nope.shop", 404, "service shop/nope not found"},
		{"web.shop", 503, "no Ready pod"},
	} {
		code, body := f.get(t, tc.host, "/")
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("Host %s: %d %q, want %d with %q", tc.host, code, body, tc.code, tc.want)
		}
	}
}

// TestIngressWorksAsHTTPProxy: clients that set the ingress as their HTTP
// proxy can use Service URLs as they are (http://web.shop.example/...).
func TestIngressWorksAsHTTPProxy(t *testing.T) {
	f := newFixture(t)
	f.in.SetReady()
	f.addPod(t, "web-a", "v5", true)
	proxy, _ := url.Parse(f.srv.URL)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
	resp, err := client.Get("http://web.shop.example/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "version=v5 host=web.shop.example") {
		t.Fatalf("through the ingress as proxy: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Sim-Pod"); got != "shop/web-a" {
		t.Errorf("X-Sim-Pod = %q, want shop/web-a", got)
	}
}

// TestIngressRetriesARefusedConnectionOnce: a Ready pod whose app is gone
// (connection refused) costs no failed request while another pod serves.
func TestIngressRetriesARefusedConnectionOnce(t *testing.T) {
	f := newFixture(t)
	f.in.SetReady()
	f.addPod(t, "web-a", "v1", true)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port nothing listens on once closed
	if err != nil {
		t.Fatal(err)
	}
	ip, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	dead := pod(t, fmt.Sprintf(`
metadata: {name: web-b, namespace: shop, labels: {app: web}}
spec: {containers: [{name: app, image: demo, ports: [{name: http, containerPort: %s}]}]}
status: {phase: Running, podIP: %s, conditions: [{type: Ready, status: "True"}]}`, port, ip))
	f.pods.GetIndexer().Add(dead)
	for range 20 {
		if code, body := f.get(t, "web.shop", "/"); code != 200 || !strings.HasPrefix(body, "version=v1") {
			t.Fatalf("with one dead pod: %d %q, want every request served by web-a", code, body)
		}
	}
}
