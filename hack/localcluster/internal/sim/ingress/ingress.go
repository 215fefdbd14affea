// Package ingress is the simulator's kube-proxy: an HTTP reverse proxy on a
// loopback address that routes a request whose Host is
// <service>.<namespace> across the Ready pods the Service selects, one
// equal share per pod, to each pod's target port.
//
// It exists because nothing else can reach the simulated pods by Service:
// their IPs are loopback addresses (127.10.x.y), which the API server's
// service proxy refuses to dial and EndpointSlices refuse to hold, so
// neither kube-proxy nor `kubectl proxy` can route to them.
//
// Clients may also use it as a plain-HTTP forward proxy: an absolute-form
// request for http://web.shop.example/ carries the same Host.
package ingress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Options configures an Ingress.
type Options struct {
	Pods     cache.SharedIndexInformer
	Services cache.SharedIndexInformer
	// Serving, when set, reports whether a pod address accepts connections;
	// Ready pods whose process is not up yet get no traffic.
	Serving func(ip string, port int32) bool
	// Status, when set, is served as JSON on /-/pods (the runner's processes).
	Status func() any
	Log    *slog.Logger
}

// Ingress routes requests by Host to the Ready pods of Services.
type Ingress struct {
	opts     Options
	pods     corelisters.PodLister
	services corelisters.ServiceLister
	proxy    *httputil.ReverseProxy
	ready    atomic.Bool
	counters sync.Map // namespace/service → *atomic.Uint64, the round-robin position
}

type endpointKey struct{}

// New returns an Ingress reading the given informers; it answers 503 until
// SetReady is called.
func New(opts Options) *Ingress {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	in := &Ingress{
		opts:     opts,
		pods:     corelisters.NewPodLister(opts.Pods.GetIndexer()),
		services: corelisters.NewServiceLister(opts.Services.GetIndexer()),
	}
	in.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			ep := pr.In.Context().Value(endpointKey{}).(Endpoint)
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", ep.Address()
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		ModifyResponse: func(resp *http.Response) error {
			ep := resp.Request.Context().Value(endpointKey{}).(Endpoint)
			resp.Header.Set("X-Sim-Pod", ep.Pod)
			return nil
		},
		ErrorHandler: in.proxyError,
		Transport:    newTransport(),
	}
	return in
}

// retriedKey marks a request already sent to a second endpoint.
type retriedKey struct{}

// proxyError answers 502, except that a request whose pod refused the
// connection (its process just stopped, the pod is going away) is sent once
// more to the Service's next endpoint, as the request never reached an app.
func (in *Ingress) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	ep := r.Context().Value(endpointKey{}).(Endpoint)
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" && r.Context().Value(retriedKey{}) == nil && r.Context().Err() == nil {
		if next, _, rerr := in.route(r); rerr == nil && next != ep {
			ctx := context.WithValue(context.WithValue(r.Context(), retriedKey{}, true), endpointKey{}, next)
			in.proxy.ServeHTTP(w, r.WithContext(ctx))
			return
		}
	}
	http.Error(w, fmt.Sprintf("ingress: pod %s at %s: %v", ep.Pod, ep.Address(), err), http.StatusBadGateway)
}

// newTransport is tuned for many short requests to few loopback pods.
func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 90 * time.Second,
	}
}

// SetReady marks the informers synced: /-/ready answers 200 from now on.
func (in *Ingress) SetReady() { in.ready.Store(true) }

// ServeHTTP serves /-/ready and /-/pods, and proxies everything else by Host.
func (in *Ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/-/ready":
		if !in.ready.Load() {
			http.Error(w, "ingress: not ready: informers not synced yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
		return
	case "/-/pods":
		w.Header().Set("Content-Type", "application/json")
		var status any = []any{}
		if in.opts.Status != nil {
			status = in.opts.Status()
		}
		_ = json.NewEncoder(w).Encode(status)
		return
	}
	ep, code, err := in.route(r)
	if err != nil {
		http.Error(w, err.Error(), code)
		return
	}
	in.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), endpointKey{}, ep)))
}

// route chooses the endpoint for a request, or says why there is none with
// the HTTP status to answer.
func (in *Ingress) route(r *http.Request) (Endpoint, int, error) {
	target, ok := ParseHost(r.Host)
	if !ok {
		return Endpoint{}, http.StatusNotFound, fmt.Errorf(
			"ingress: Host %q names no Service: use <service>.<namespace>[.<suffix>][:<port>], e.g. curl -H 'Host: web.shop' ...", r.Host)
	}
	if !in.ready.Load() {
		return Endpoint{}, http.StatusServiceUnavailable, fmt.Errorf("ingress: not ready: informers not synced yet")
	}
	key := target.Namespace + "/" + target.Service
	svc, err := in.services.Services(target.Namespace).Get(target.Service)
	if apierrors.IsNotFound(err) {
		return Endpoint{}, http.StatusNotFound, fmt.Errorf("ingress: service %s not found", key)
	}
	if err != nil {
		return Endpoint{}, http.StatusInternalServerError, fmt.Errorf("ingress: service %s: %w", key, err)
	}
	if len(svc.Spec.Selector) == 0 {
		return Endpoint{}, http.StatusServiceUnavailable, fmt.Errorf("ingress: service %s has no selector", key)
	}
	sp, err := ServicePort(svc, target.Port)
	if err != nil {
		return Endpoint{}, http.StatusServiceUnavailable, fmt.Errorf("ingress: %w", err)
	}
	pods, err := in.pods.Pods(target.Namespace).List(labels.SelectorFromSet(svc.Spec.Selector))
	if err != nil {
		return Endpoint{}, http.StatusInternalServerError, fmt.Errorf("ingress: pods of service %s: %w", key, err)
	}
	eps := Endpoints(sp, pods, in.opts.Serving)
	if len(eps) == 0 {
		return Endpoint{}, http.StatusServiceUnavailable, fmt.Errorf(
			"ingress: service %s: no Ready pod to route to (%d pods match its selector %v, none Ready and serving port %s)",
			key, len(pods), svc.Spec.Selector, sp.TargetPort.String())
	}
	return Pick(eps, in.next(key)), 0, nil
}

// next returns the Service's next round-robin position.
func (in *Ingress) next(key string) uint64 {
	c, ok := in.counters.Load(key)
	if !ok {
		c, _ = in.counters.LoadOrStore(key, new(atomic.Uint64))
	}
	return c.(*atomic.Uint64).Add(1) - 1
}
