// Package cluster runs kship's local Kubernetes environment: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler from the
// multi-call binary, KWOK for nodes and pod lifecycles, the pod simulator
// (runner, ingress, load generator) and Prometheus, all on loopback, with
// their state, logs and PID files under one state folder.
package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kship/kship/hack/localcluster/internal/proc"
)

// Options configure an environment.
type Options struct {
	// StateDir holds everything the environment writes (default .localcluster).
	StateDir string
	// BinDir holds k8s, kwok, podsim and demoapp.
	BinDir string
	// Prometheus is the prometheus executable.
	Prometheus string
	// Nodes is the number of simulated nodes.
	Nodes int
	// Out receives progress messages.
	Out io.Writer
}

// Ports are the loopback ports of one environment, chosen free at start.
type Ports struct {
	Etcd       int `json:"etcd"`
	EtcdPeer   int `json:"etcdPeer"`
	APIServer  int `json:"apiServer"`
	Controller int `json:"controllerManager"`
	Scheduler  int `json:"scheduler"`
	Kwok       int `json:"kwok"`
	Ingress    int `json:"ingress"`
	Prometheus int `json:"prometheus"`
	PromSD     int `json:"prometheusSD"`
	// Git is the git server's HTTP port.
	Git int `json:"git"`
	// SourceStorage is where source-controller serves artifacts (to
	// kustomize-controller); the others are the Flux controllers' metrics
	// and health endpoints.
	SourceStorage    int `json:"sourceStorage"`
	SourceMetrics    int `json:"sourceMetrics"`
	SourceHealth     int `json:"sourceHealth"`
	KustomizeMetrics int `json:"kustomizeMetrics"`
	KustomizeHealth  int `json:"kustomizeHealth"`
}

// all returns a pointer to every port, so they can be checked and filled
// in one place.
func (p *Ports) all() []*int {
	return []*int{&p.Etcd, &p.EtcdPeer, &p.APIServer, &p.Controller, &p.Scheduler, &p.Kwok,
		&p.Ingress, &p.Prometheus, &p.PromSD, &p.Git, &p.SourceStorage, &p.SourceMetrics,
		&p.SourceHealth, &p.KustomizeMetrics, &p.KustomizeHealth}
}

// fill chooses free ports for the ports that are not set: all of them for
// a new environment; those of components added since, for an environment
// started by an older localcluster. It reports how many it chose.
func (p *Ports) fill() (int, error) {
	var unset []*int
	for _, port := range p.all() {
		if *port == 0 {
			unset = append(unset, port)
		}
	}
	if len(unset) == 0 {
		return 0, nil
	}
	free, err := freePorts(len(unset), p.all())
	if err != nil {
		return 0, err
	}
	for i, port := range unset {
		*port = free[i]
	}
	return len(unset), nil
}

// State is what an environment records about itself in state.json.
type State struct {
	Ports Ports `json:"ports"`
	// Podsim is false when bin/podsim was missing at start.
	Podsim bool `json:"podsim"`
	// PodCIDR is this environment's block of 127.10.0.0/16; PodCIDRLock is
	// the machine-wide lock file the KWOK supervisor holds for it.
	PodCIDR     string `json:"podCIDR"`
	PodCIDRLock string `json:"podCIDRLock"`
}

// LockFile is the file in the state folder that `up` and `down` lock.
const LockFile = "localcluster.lock"

// layout names the files and folders inside the state folder.
type layout struct {
	root string
}

func (l layout) path(elem ...string) string {
	return filepath.Join(append([]string{l.root}, elem...)...)
}
func (l layout) stateFile() string  { return l.path("state.json") }
func (l layout) envFile() string    { return l.path("env") }
func (l layout) kubeconfig() string { return l.path("kubeconfig") }
func (l layout) pkiDir() string     { return l.path("pki") }
func (l layout) dirs() proc.Dirs {
	return proc.Dirs{Logs: l.path("logs"), PIDs: l.path("pids")}
}

// loadState reads state.json; it returns an error wrapping os.ErrNotExist
// when the environment was never started.
func (l layout) loadState() (State, error) {
	var st State
	data, err := os.ReadFile(l.stateFile())
	if err != nil {
		return st, fmt.Errorf("read state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("parse %s: %w", l.stateFile(), err)
	}
	return st, nil
}

func (l layout) saveState(st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.WriteFile(l.stateFile(), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// wipe removes everything in the state folder except the logs, so a fresh
// start gets empty etcd and Prometheus data and new credentials.
func (l layout) wipe() error {
	entries, err := os.ReadDir(l.root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("wipe state: %w", err)
	}
	for _, e := range entries {
		if e.Name() == "logs" || e.Name() == "testenv.lock" || e.Name() == LockFile {
			continue
		}
		if err := os.RemoveAll(l.path(e.Name())); err != nil {
			return fmt.Errorf("wipe state: %w", err)
		}
	}
	return nil
}
