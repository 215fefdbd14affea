// Package e2e holds the end-to-end tests of the pod simulator (runner,
// ingress, load generator) against the running local environment: the
// podsim started by `make cluster-up`, found through .localcluster/env.
package e2e
