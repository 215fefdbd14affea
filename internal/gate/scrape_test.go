package gate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func target(ns, pod, pool string, every time.Duration) Target {
	return Target{
		DiscoveredLabels: map[string]string{"__meta_kubernetes_namespace": ns, "__meta_kubernetes_pod_name": pod},
		Labels:           map[string]string{"namespace": ns, "pod": pod, "job": pool},
		ScrapePool:       pool, ScrapeInterval: every,
	}
}

func TestChooseScrapeInterval(t *testing.T) {
	s := time.Second
	pods := []Pod{{"shop", "web-1"}, {"shop", "web-2"}}
	tests := []struct {
		name     string
		targets  Targets
		listErr  error
		pods     []Pod
		override time.Duration
		want     time.Duration
		source   string
		scraped  int
		msg, err string
	}{
		{"learned from the targets", Targets{Active: []Target{target("shop", "web-1", "pods", s), target("shop", "web-2", "pods", s), target("other", "x", "pods", 30*s)}},
			nil, pods, 0, s, "targets", 2, "scrape interval 1s from Prometheus' targets (2 of 2 pods scraped)", ""},
		{"two jobs scrape a pod: the larger", Targets{Active: []Target{target("shop", "web-1", "pods", s), target("shop", "web-1", "slow", 10*s)}},
			nil, pods, 0, 10 * s, "targets", 1, "scrape interval 10s from Prometheus' targets (1 of 2 pods scraped)", ""},
		{"matched by relabelled labels when the discovered ones are missing", Targets{Active: []Target{{Labels: map[string]string{"namespace": "shop", "pod": "web-2"}, ScrapeInterval: 5 * s}}},
			nil, pods, 0, 5 * s, "targets", 1, "", ""},
		{"old server: from the configuration", Targets{Active: []Target{target("shop", "web-1", "pods", 0)}, PoolIntervals: map[string]time.Duration{"pods": 15 * s}},
			nil, pods, 0, 15 * s, "targets", 1, "", ""},
		{"override longer than the targets: the larger", Targets{Active: []Target{target("shop", "web-1", "pods", s)}},
			nil, pods, 30 * s, 30 * s, "targets and release file", 1, "scrape interval 30s from the release file (Prometheus' targets say 1s; the larger is used)", ""},
		{"override shorter than the targets: not used", Targets{Active: []Target{target("shop", "web-1", "pods", 15*s)}},
			nil, pods, s, 15 * s, "targets and release file", 1, "the release file's 1s is shorter than what Prometheus does, so it is not used", ""},
		{"no targets API: the override", Targets{}, errors.New("404 Not Found"), pods, 15 * s, 15 * s, "release file", 0,
			"scrape interval 15s from the release file (Prometheus' targets API: 404 Not Found)", ""},
		{"pods not scraped: the override", Targets{Active: []Target{target("other", "x", "pods", s)}}, nil, pods, 15 * s, 15 * s, "release file", 0,
			"(no active Prometheus target scrapes the pods shop/web-1, shop/web-2)", ""},
		{"no targets API, no override: error", Targets{}, errors.New("404 Not Found"), pods, 0, 0, "", 0, "",
			"cannot learn the scrape interval of the release's pods: Prometheus' targets API: 404 Not Found; set spec.verify.metrics.prometheus.scrapeInterval in the release file"},
		{"pods not scraped, no override: error naming them", Targets{Active: []Target{target("other", "x", "pods", s)}}, nil,
			[]Pod{{"shop", "d"}, {"shop", "c"}, {"shop", "b"}, {"shop", "a"}}, 0, 0, "", 0, "",
			"no active Prometheus target scrapes the pods shop/a, shop/b, shop/c and 1 more; set spec.verify.metrics.prometheus.scrapeInterval"},
		{"interval unknown everywhere: error", Targets{Active: []Target{target("shop", "web-1", "pods", 0)}}, nil, pods, 0, 0, "", 1, "",
			"the targets of 1 pods do not say their scrape interval, nor does Prometheus' configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChooseScrapeInterval(tt.targets, tt.listErr, tt.pods, tt.override)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Interval.Duration != tt.want || got.Source != tt.source || got.Scraped != tt.scraped || got.Pods != len(tt.pods) || !strings.Contains(got.Message, tt.msg) {
				t.Errorf("got %+v, want %s from %s (%d scraped): %q", got, tt.want, tt.source, tt.scraped, tt.msg)
			}
		})
	}
}

func TestPoolIntervals(t *testing.T) {
	got, err := PoolIntervals(`global:
  scrape_interval: 15s
scrape_configs:
- job_name: pods
  scrape_interval: 1s
- job_name: nodes
- job_name: slow
  scrape_interval: 1d
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"pods": time.Second, "nodes": 15 * time.Second, "slow": 24 * time.Hour}
	for job, d := range want {
		if got[job] != d {
			t.Errorf("%s: %s, want %s", job, got[job], d)
		}
	}
	got, err = PoolIntervals("scrape_configs:\n- job_name: a\n")
	if err != nil || got["a"] != time.Minute {
		t.Errorf("without a global interval: %v, %v; want Prometheus' default 1m", got, err)
	}
	if _, err := PoolIntervals("global: {scrape_interval: fast}\n"); err == nil {
		t.Error("a bad duration was accepted")
	}
}

func TestDecodeTargets(t *testing.T) {
	ts, err := decodeTargets([]byte(`{"status":"success","data":{"activeTargets":[
{"discoveredLabels":{"__meta_kubernetes_namespace":"shop","__meta_kubernetes_pod_name":"web-1"},"labels":{"job":"pods"},"scrapePool":"pods","scrapeInterval":"1s"},
{"discoveredLabels":{},"labels":{"job":"old"},"scrapePool":"old"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.Active) != 2 || ts.Active[0].ScrapeInterval != time.Second || ts.Active[1].ScrapeInterval != 0 || targetPod(ts.Active[0]) != (Pod{"shop", "web-1"}) {
		t.Errorf("decoded %+v", ts)
	}
	if _, err := decodeTargets([]byte(`{"status":"error","error":"forbidden"}`)); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("an error answer: %v", err)
	}
	if _, err := decodeTargets([]byte(`<html>`)); err == nil {
		t.Error("HTML was taken for targets")
	}
}
