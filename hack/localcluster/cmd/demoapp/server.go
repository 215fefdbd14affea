package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// app is the demo app's HTTP handler and its metrics.
type app struct {
	cfg      config
	errors   errorSampler
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	registry *prometheus.Registry
}

// newApp builds the handler with its own metrics registry (no globals, so
// tests can build many).
func newApp(cfg config) *app {
	a := &app{cfg: cfg, errors: errorSampler{rate: cfg.ErrorRate}, registry: prometheus.NewRegistry()}
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "App requests served (not /healthz or /metrics), by status code and app version.",
	}, []string{"code", "version"})
	a.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "Time to serve app requests (not /healthz or /metrics), by app version.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"version"})
	a.registry.MustRegister(a.requests, a.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Pre-create the series so a fresh pod reports 0 instead of nothing.
	a.requests.WithLabelValues("200", cfg.Version)
	a.requests.WithLabelValues("500", cfg.Version)
	a.duration.WithLabelValues(cfg.Version)
	return a
}

// routes returns the app's mux: /healthz, /metrics and the app on every
// other path.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	mux.HandleFunc("/", a.serve)
	return mux
}

func (a *app) healthz(w http.ResponseWriter, _ *http.Request) {
	if a.cfg.HealthFail {
		http.Error(w, "unhealthy (DEMO_HEALTH_FAIL=true)", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// serve answers an app request after the configured latency, failing the
// configured share of them.
func (a *app) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if a.cfg.Latency > 0 {
		t := time.NewTimer(a.cfg.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	code := http.StatusOK
	if a.errors.next() {
		code = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Demo-Version", a.cfg.Version)
	w.WriteHeader(code)
	if code != http.StatusOK {
		fmt.Fprintf(w, "demoapp version=%s pod=%s ip=%s error=simulated (DEMO_ERROR_RATE=%g)\n",
			a.cfg.Version, a.cfg.PodName, a.cfg.PodIP, a.cfg.ErrorRate)
	} else {
		fmt.Fprintf(w, "demoapp version=%s pod=%s ip=%s\n", a.cfg.Version, a.cfg.PodName, a.cfg.PodIP)
		if a.cfg.Message != "" {
			fmt.Fprintf(w, "message=%s\n", a.cfg.Message)
		}
	}
	a.requests.WithLabelValues(strconv.Itoa(code), a.cfg.Version).Inc()
	a.duration.WithLabelValues(a.cfg.Version).Observe(time.Since(start).Seconds())
}
