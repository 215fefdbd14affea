// Command kship is a Kubernetes release executor: Plan, Prepare, Rollout,
// Verify, Stabilize, with automatic rollback and an evidence bundle.
package main

import (
	"os"

	"github.com/kship/kship/internal/cli"
)

func main() { os.Exit(cli.Main()) }
