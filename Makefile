# kship — build, local environment and tests. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO          ?= go
BIN         := $(CURDIR)/bin
LC          := hack/localcluster
FLUX        := hack/flux
FLUX_CONTROLLERS := github.com/fluxcd/source-controller github.com/fluxcd/kustomize-controller
STATE       := $(CURDIR)/.localcluster
KWOK_VERSION := v0.8.0
GOTEST_FLAGS ?= -count=1 -timeout 45m

.PHONY: help build helm helm3 localcluster flux kwok cluster-up cluster-down cluster-status test test-unit fuzz test-fuzz-short demo demo-gitops demo-helm demo-progressive

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# The released binary: stripped (-s -w), reproducible (-trimpath, no build
# ID, no cgo: the same commit builds the same bytes on any machine) and
# stamped with its version (git describe; VERSION=v1.2.3 make build to set it).
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
KSHIP_LDFLAGS := -s -w -buildid= -X github.com/kship/kship/internal/cli.Version=$(VERSION)

build: ## build bin/kship (stripped, reproducible, version-stamped) and print its size
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(KSHIP_LDFLAGS)' -o $(BIN)/kship ./cmd/kship
	@echo "bin/kship $(VERSION): $$(du -m $(BIN)/kship | cut -f1) MB ($$(stat -c %s $(BIN)/kship) bytes), sha256 $$(sha256sum $(BIN)/kship | cut -c1-16)"

# The Helm CLI of the Helm SDK kship releases with (helm.sh/helm/v4, a
# `tool` of go.mod: same module, same version), for looking at kship's Helm
# releases the way a team does (helm list, helm history, helm rollback)
# and for the tests and the benchmark that compare kship with it.
HELM_VERSION = $(shell $(GO) list -m -f '{{.Version}}' helm.sh/helm/v4 2>/dev/null)
helm: ## build bin/helm, the Helm CLI of the same Helm module kship uses
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags='-s -w -X helm.sh/helm/v4/internal/version.version=$(HELM_VERSION)' -o $(BIN)/helm helm.sh/helm/v4/cmd/helm

# The Helm 3 CLI, for the e2e tests that show a team moving between Helm 3
# and kship keeps its history (helm3 list, history, rollback and install
# against kship's releases). helm.sh/helm/v3 has no replace directives, so
# `go install module@version` builds it without a wrapper module; GOBIN is a
# folder of its own because the binary is named helm, like Helm 4's.
HELM3_VERSION := v3.22.0
helm3: ## build bin/helm3, the Helm 3 CLI (HELM3_VERSION)
	@mkdir -p $(BIN)/.helm3
	GOBIN=$(BIN)/.helm3 $(GO) install -trimpath -ldflags='-s -w -X helm.sh/helm/v3/internal/version.version=$(HELM3_VERSION)' helm.sh/helm/v3/cmd/helm@$(HELM3_VERSION)
	mv $(BIN)/.helm3/helm $(BIN)/helm3

# The control-plane binary is big: the first build takes ~9 minutes, later
# ones reuse the Go build cache (what is left is a 10-30 s check and link).
# flock serialises concurrent `make localcluster` runs (parallel test
# binaries each starting the environment): one k8s build at a time.
localcluster: flux ## build the local environment: bin/k8s, bin/kubectl, bin/localcluster, bin/podsim, bin/demoapp, Flux
	@mkdir -p $(BIN)
	cd $(LC) && flock $(BIN)/.build.lock $(GO) build -o $(BIN)/k8s ./cmd/k8s
	ln -sfn k8s $(BIN)/kubectl
	cd $(LC) && $(GO) build -o $(BIN)/localcluster ./cmd/localcluster
	@for c in podsim demoapp; do \
	  if ls $(LC)/cmd/$$c/*.go >/dev/null 2>&1; then \
	    echo "cd $(LC) && $(GO) build -o $(BIN)/$$c ./cmd/$$c"; \
	    (cd $(LC) && $(GO) build -o $(BIN)/$$c ./cmd/$$c); \
	  else echo "warning: $(LC)/cmd/$$c has no sources yet; not built"; fi; \
	done

# Flux's controllers, built from their Go modules in their own wrapper
# module (hack/flux copies the replace directives of their go.mod files);
# their CRDs are copied from the module cache. The first build takes about
# 6 minutes of 2 cores (700 CPU-seconds), later ones reuse the build cache.
flux: ## build Flux's source-controller and kustomize-controller into bin/, their CRDs into bin/flux-crds/
	@mkdir -p $(BIN)/flux-crds
	cd $(FLUX) && flock $(BIN)/.build.lock $(GO) build -o $(BIN)/ $(FLUX_CONTROLLERS)
	@for m in $(FLUX_CONTROLLERS); do \
	  dir=$$(cd $(FLUX) && $(GO) list -m -f '{{.Dir}}' $$m) && \
	  install -m 0644 $$dir/config/crd/bases/*.yaml $(BIN)/flux-crds/; \
	done

kwok: $(BIN)/kwok ## install KWOK (pinned version) into bin/

$(BIN)/kwok:
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kwok/cmd/kwok@$(KWOK_VERSION)

# A running environment is only checked (no build): its processes would not
# pick up new binaries anyway. Otherwise build what is needed and start it.
cluster-up: ## start the local environment (idempotent); writes .localcluster/env
	@bash hack/ensure-deps.sh # Debian packages the environment needs (prometheus, git)
	@if [ -f $(STATE)/env ] && [ -x $(BIN)/localcluster ] && \
	    $(BIN)/localcluster status --state-dir $(STATE) >/dev/null 2>&1; then \
	  echo "local environment running; checking it (make cluster-down first to rebuild)"; \
	else $(MAKE) --no-print-directory localcluster kwok; fi
	$(BIN)/localcluster up --state-dir $(STATE) --bin-dir $(BIN)
	@cat $(STATE)/env

cluster-down: ## stop every process the local environment started
	@if [ -x $(BIN)/localcluster ]; then $(BIN)/localcluster down --state-dir $(STATE); \
	else echo "bin/localcluster not built; nothing recorded to stop"; fi

cluster-status: ## show the local environment's processes
	$(BIN)/localcluster status --state-dir $(STATE)

# The fuzz targets (Go native fuzzing): the release-file loader, the
# manifest decoder and the redactor. Their seeds (malformed inputs kship was
# probed with) run in every `go test`; `make fuzz` fuzzes each for FUZZTIME,
# `make test-fuzz-short` (part of `make test`) for FUZZ_SHORT each.
# FUZZ_SHORT is a count of executions, not a duration: with a duration
# (-fuzztime 8s) Go 1.26's fuzz coordinator can report "context deadline
# exceeded" at the end of the window on a loaded machine, with no failing
# input written (go.dev/issue/75804, fixed in Go 1.27); make test failed
# once that way. A count has no deadline to race, and on a loaded machine it
# only takes longer: 3000 executions are about 3-6 s of fuzzing after the
# baseline of every seed (500-1000 executions per second per target under
# load). A real finding still fails: it writes its input to testdata/fuzz.
# What it adds to `make test` is that fuzzing plus building the three
# instrumented test binaries (a warm cache: 27-115 s each under load 18, the
# link dominates). go test fuzzes one target per run.
FUZZ_TARGETS := ./internal/config:FuzzParse ./internal/manifest:FuzzDecode ./internal/evidence:FuzzRedactor
FUZZ_SHORT  ?= 3000x
FUZZTIME    ?= 2m
FUZZ_FLAGS  ?=

fuzz: ## fuzz the release-file loader, manifest decoder and redactor, FUZZTIME (2m) each
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $${t#*:} ($${t%%:*}) for $(FUZZTIME)"; \
	  $(GO) test $(FUZZ_FLAGS) -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) $${t%%:*} || exit 1; \
	done

test-fuzz-short: ## fuzz each target for FUZZ_SHORT (3000 executions); part of make test
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZ_SHORT)

test-unit: ## unit tests only (go test -short, no cluster)
	$(GO) test -short $(GOTEST_FLAGS) ./...
	cd $(LC) && $(GO) test -short $(GOTEST_FLAGS) ./...

# test starts the environment if needed and stops it at the end if it
# started it (an environment that was already up, e.g. shared by a team,
# stays up), then fuzzes each fuzz target for FUZZ_SHORT. go test runs with
# -v so the log shows every e2e test that ran; the summary at the end counts
# passes, failures and skips.
test: build helm helm3 localcluster kwok ## unit + e2e tests against the local environment
	@was_up=0; $(BIN)/localcluster status --state-dir $(STATE) >/dev/null 2>&1 && was_up=1; \
	mkdir -p $(STATE)/logs; rm -f $(STATE)/logs/test-*.log; status=0; \
	$(MAKE) --no-print-directory cluster-up || status=1; \
	if [ $$status = 0 ]; then \
	  $(GO) test -v $(GOTEST_FLAGS) ./... 2>&1 | tee $(STATE)/logs/test-main.log || status=1; \
	  (cd $(LC) && $(GO) test -v $(GOTEST_FLAGS) ./...) 2>&1 | tee $(STATE)/logs/test-localcluster.log || status=1; \
	fi; \
	if [ $$was_up = 0 ]; then $(MAKE) --no-print-directory cluster-down || status=1; fi; \
	$(MAKE) --no-print-directory test-fuzz-short FUZZ_FLAGS=-v 2>&1 | tee $(STATE)/logs/test-fuzz.log || status=1; \
	hack/test-summary.sh $(STATE)/logs/test-main.log $(STATE)/logs/test-localcluster.log $(STATE)/logs/test-fuzz.log || status=1; \
	exit $$status

demo: build helm cluster-up ## run the demo (hack/demo.sh)
	@if [ -x hack/demo.sh ]; then hack/demo.sh; else echo "hack/demo.sh does not exist yet"; exit 1; fi

demo-helm: build helm cluster-up ## the Helm demo: two good versions and a crash-looping one as Helm revisions, Helm-rolled back (hack/demo-helm.sh)
	@hack/demo-helm.sh

demo-gitops: build cluster-up ## the GitOps demo: a good and a crash-looping commit through the real Flux (hack/demo-gitops.sh)
	@hack/demo-gitops.sh

demo-progressive: build cluster-up ## canary and blue-green: a canary promoted, one aborted, blue-green switched and one never switched (hack/demo-progressive.sh)
	@hack/demo-progressive.sh
