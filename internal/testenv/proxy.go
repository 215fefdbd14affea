package testenv

import (
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Proxy is a TCP proxy on loopback in front of one of the environment's
// servers, for fault-injection tests: Down closes every connection through
// it and refuses new ones, which is what a client sees of a killed server;
// Up listens again on the same port, as a server restarted in place does.
// Bytes pass through untouched (TLS included: the API server's certificate
// is for 127.0.0.1, whatever the port). The shared servers themselves are
// never stopped.
type Proxy struct {
	t      testing.TB
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	down  bool
}

// APIProxy is a Proxy in front of the API server (Env.Proxy).
type APIProxy = Proxy

// Proxy starts a Proxy to the environment's API server; it is closed
// when the test ends.
func (e *Env) Proxy(t testing.TB) *APIProxy {
	t.Helper()
	u, err := url.Parse(e.RESTConfig.Host)
	if err != nil {
		t.Fatalf("API server address %q: %v", e.RESTConfig.Host, err)
	}
	return newProxy(t, u.Host)
}

// PrometheusProxy starts a Proxy to the environment's Prometheus; URL is
// the address to give kship. It is closed when the test ends.
func (e *Env) PrometheusProxy(t testing.TB) *Proxy {
	t.Helper()
	u, err := url.Parse(e.Prometheus)
	if err != nil || u.Host == "" {
		t.Fatalf("Prometheus address %q: %v", e.Prometheus, err)
	}
	return newProxy(t, u.Host)
}

// newProxy listens on a free loopback port and forwards to target.
func newProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	go p.serve(ln)
	t.Cleanup(p.Down)
	return p
}

// URL is the proxy's address as an http URL (for Prometheus).
func (p *Proxy) URL() string { return "http://" + p.addr }

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.addr }

// RESTConfig is the environment's client configuration through the proxy
// (an API server proxy).
func (p *Proxy) RESTConfig(e *Env) *rest.Config {
	cfg := rest.CopyConfig(e.RESTConfig)
	cfg.Host = "https://" + p.addr
	return cfg
}

// Kubeconfig writes the environment's kubeconfig with every cluster's
// server pointed at the proxy (an API server proxy), for the kship binary,
// and returns its path.
func (p *Proxy) Kubeconfig(e *Env) string {
	p.t.Helper()
	cfg, err := clientcmd.LoadFromFile(e.Kubeconfig)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + p.addr
	}
	path := filepath.Join(p.t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// Down closes the listener and every open connection: clients see their
// connections reset and new ones refused until Up.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return
	}
	p.down = true
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// Up listens again on the same port.
func (p *Proxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.down {
		return
	}
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.ln, p.down = ln, false
			go p.serve(ln)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Errorf("proxy: listen again on %s: %v", p.addr, err)
}

// DownFor cuts the proxy now and brings it back after d, without blocking.
func (p *Proxy) DownFor(d time.Duration) {
	p.Down()
	time.AfterFunc(d, p.Up)
}

func (p *Proxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

// pipe copies one client connection to a new connection to the API server
// and back.
func (p *Proxy) pipe(c net.Conn) {
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, s) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// track registers a connection pair, or closes it when the proxy went down
// meanwhile.
func (p *Proxy) track(c, s net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		c.Close()
		s.Close()
		return false
	}
	p.conns[c], p.conns[s] = true, true
	return true
}
