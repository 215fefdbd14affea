package kube

import (
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
)

// memCache wraps discovery in an in-memory cache: one discovery pass per
// command, invalidated on a mapping miss.
func memCache(d discovery.DiscoveryInterface) discovery.CachedDiscoveryInterface {
	return memory.NewMemCacheClient(d)
}
