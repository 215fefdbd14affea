package gate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/kship/kship/internal/config"
)

// Target is one active scrape target as Prometheus' targets API shows it.
type Target struct {
	// Labels are the target's labels after relabelling (job, namespace, pod, ...).
	Labels map[string]string
	// DiscoveredLabels are its labels before relabelling
	// (__meta_kubernetes_namespace, __meta_kubernetes_pod_name, ...).
	DiscoveredLabels map[string]string
	// ScrapePool is the scrape configuration's job_name.
	ScrapePool string
	// ScrapeInterval is what the API reports; 0 when it does not say.
	ScrapeInterval time.Duration
}

// Targets is what the targets API says: the active targets and, for a
// server that does not report each target's interval, the interval of
// each scrape pool from its configuration.
type Targets struct {
	Active []Target
	// PoolIntervals maps job_name to scrape_interval, from the server's
	// configuration; nil when it was not read.
	PoolIntervals map[string]time.Duration
}

// TargetLister reads the scrape targets; the Querier NewPrometheus returns
// implements it.
type TargetLister interface {
	Targets(ctx context.Context) (Targets, error)
}

// Pod names one pod whose scrape interval is wanted.
type Pod struct {
	Namespace string
	Name      string
}

// ScrapeInterval is the scrape interval kship judges a release's windows
// with, and where it came from.
type ScrapeInterval struct {
	Interval config.Duration `json:"interval"`
	// Source is "targets", "release file", or "targets and release file"
	// when both were known (the larger is used).
	Source string `json:"source"`
	// Scraped counts the pods a target was found for, of Pods.
	Scraped int    `json:"scraped"`
	Pods    int    `json:"pods"`
	Message string `json:"message"`
}

// LearnScrapeInterval asks Prometheus how often the targets that scrape
// pods are scraped, and combines that with the release file's override
// (spec.verify.metrics.prometheus.scrapeInterval; 0 when not set).
func LearnScrapeInterval(ctx context.Context, l TargetLister, pods []Pod, override time.Duration) (ScrapeInterval, error) {
	ts, err := l.Targets(ctx)
	return ChooseScrapeInterval(ts, err, pods, override)
}

// ChooseScrapeInterval decides the scrape interval of pods from what the
// targets API returned (or the error it gave) and the release file's
// override. Several targets or intervals: the largest, so no window is
// judged too early. Pods no target scrapes yet do not count. Without a
// target for any pod and without an override it is an error that says
// which field to set.
func ChooseScrapeInterval(ts Targets, listErr error, pods []Pod, override time.Duration) (ScrapeInterval, error) {
	res := ScrapeInterval{Pods: len(pods)}
	learned, scraped, unknown := fromTargets(ts, pods)
	res.Scraped = scraped
	const field = "spec.verify.metrics.prometheus.scrapeInterval"
	switch {
	case learned == 0 && override > 0:
		res.Interval, res.Source = config.Duration{Duration: override}, "release file"
		res.Message = fmt.Sprintf("scrape interval %s from the release file (%s)", override, whyNotLearned(listErr, scraped, pods, unknown))
		return res, nil
	case learned == 0:
		return res, fmt.Errorf("cannot learn the scrape interval of the release's pods: %s; set %s in the release file", whyNotLearned(listErr, scraped, pods, unknown), field)
	}
	res.Interval, res.Source = config.Duration{Duration: learned}, "targets"
	res.Message = fmt.Sprintf("scrape interval %s from Prometheus' targets (%d of %d pods scraped)", learned, scraped, len(pods))
	if override > 0 {
		res.Source = "targets and release file"
		if override > learned {
			res.Interval = config.Duration{Duration: override}
			res.Message = fmt.Sprintf("scrape interval %s from the release file (Prometheus' targets say %s; the larger is used)", override, learned)
		} else if override < learned {
			res.Message += fmt.Sprintf("; the release file's %s is shorter than what Prometheus does, so it is not used", override)
		}
	}
	return res, nil
}

func whyNotLearned(listErr error, scraped int, pods []Pod, unknown int) string {
	switch {
	case listErr != nil:
		return fmt.Sprintf("Prometheus' targets API: %v", listErr)
	case len(pods) == 0:
		return "no pods to look up"
	case scraped == 0:
		return fmt.Sprintf("no active Prometheus target scrapes the pods %s", podList(pods))
	default:
		return fmt.Sprintf("the targets of %d pods do not say their scrape interval, nor does Prometheus' configuration", unknown)
	}
}

// fromTargets returns the largest scrape interval of the targets of pods,
// how many pods have a target, and how many of those have no interval.
func fromTargets(ts Targets, pods []Pod) (time.Duration, int, int) {
	want := map[Pod]bool{}
	for _, p := range pods {
		want[p] = true
	}
	var largest time.Duration
	found := map[Pod]bool{}
	noInterval := map[Pod]bool{}
	for _, t := range ts.Active {
		p := targetPod(t)
		if !want[p] {
			continue
		}
		found[p] = true
		iv := t.ScrapeInterval
		if iv == 0 {
			iv = ts.PoolIntervals[t.ScrapePool]
		}
		if iv == 0 {
			noInterval[p] = true
			continue
		}
		largest = max(largest, iv)
	}
	return largest, len(found), len(noInterval)
}

// targetPod is the pod a target scrapes: from the discovered Kubernetes
// labels, else from the namespace and pod labels relabelling set.
func targetPod(t Target) Pod {
	if ns, name := t.DiscoveredLabels["__meta_kubernetes_namespace"], t.DiscoveredLabels["__meta_kubernetes_pod_name"]; ns != "" && name != "" {
		return Pod{ns, name}
	}
	return Pod{t.Labels["namespace"], t.Labels["pod"]}
}

// PoolIntervals reads each scrape pool's scrape_interval from a Prometheus
// configuration (as /api/v1/status/config returns it): the job's own, else
// the global one, else Prometheus' default of 1m.
func PoolIntervals(configYAML string) (map[string]time.Duration, error) {
	var c struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
		ScrapeConfigs []struct {
			JobName        string `yaml:"job_name"`
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(configYAML), &c); err != nil {
		return nil, fmt.Errorf("prometheus configuration: %w", err)
	}
	global := time.Minute
	if c.Global.ScrapeInterval != "" {
		d, err := promDuration(c.Global.ScrapeInterval)
		if err != nil {
			return nil, fmt.Errorf("prometheus configuration: global.scrape_interval: %w", err)
		}
		global = d
	}
	out := map[string]time.Duration{}
	for _, sc := range c.ScrapeConfigs {
		out[sc.JobName] = global
		if sc.ScrapeInterval != "" {
			d, err := promDuration(sc.ScrapeInterval)
			if err != nil {
				return nil, fmt.Errorf("prometheus configuration: job %s: scrape_interval: %w", sc.JobName, err)
			}
			out[sc.JobName] = d
		}
	}
	return out, nil
}

// promDuration reads a Prometheus duration ("15s", "1m", "1h30m", "1d").
func promDuration(s string) (time.Duration, error) {
	d, err := model.ParseDuration(strings.TrimSpace(s))
	return time.Duration(d), err
}

// podList names up to three pods, in a stable order, for messages.
func podList(pods []Pod) string {
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Namespace + "/" + p.Name
	}
	sort.Strings(names)
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}
