#!/usr/bin/env bash
# hack/demo-helm.sh runs the real kship binary through three releases of
# the example chart (examples/helm) with spec.mechanism helm against the
# local environment (make cluster-up), and checks each exit code and
# Helm's own history (bin/helm, make helm):
#   v1 → a Helm install, verified: exit 0
#   v2 → a Helm upgrade (adds the ConfigMap web-extra), verified: exit 0
#   v3 → pods crash-loop → detected in seconds, Helm's rollback to v2's
#        revision, verified: exit 3; `helm history` says failed, deployed
# Each run resets the namespace demo-helm first.
set -euo pipefail

# shellcheck source=hack/demo-lib.sh
source "$(dirname "$0")/demo-lib.sh"
demo_init demo-helm
helm="${HELM_BIN:-$root/bin/helm}"
[[ -x "$helm" ]] || demo_need "bin/helm (make helm)"
ns=demo-helm

say "resetting namespace $ns"
reset_namespace "$ns"

render() { # values file -> path of the release file
	local out="$work/kship.$1"
	cat >"$out" <<YAML
apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  namespace: $ns
  mechanism: helm
  source:
    helm: {chart: $root/examples/helm/chart, values: [$root/examples/helm/$1]}
  verify:
    rolloutTimeout: 2m
    smoke:
      - name: health
        http: {url: "http://$KSHIP_INGRESS/healthz", headers: {Host: web.$ns}, expectStatus: 200}
        retries: 3
        backoff: 500ms
  stabilize: {window: 0s}
  detector: {restartThreshold: 2}
YAML
	echo "$out"
}

failures=0
declare -a summary
deploy() { # values-file expected-exit description
	local file code dir
	say "kship deploy $1 ($3): expecting exit $2"
	file="$(render "$1")"
	kship_deploy "$file" "$1"
	expect_exit "$1" "$code" "$2" "$3"
}

deploy v1.yaml 0 "first release: a Helm install"
deploy v2.yaml 0 "a Helm upgrade"
deploy v3-crashloop.yaml 3 "pods crash-loop: Helm's rollback"

say "Helm's own view (bin/helm history web -n $ns)"
"$helm" history web -n "$ns" | tee "$work/history"
statuses="$("$helm" history web -n "$ns" -o json | grep -o '"status":"[a-z-]*"' | cut -d'"' -f4 | paste -sd, -)"
if [[ "$statuses" == "superseded,superseded,failed,deployed" ]]; then
	summary+=("helm history: $statuses, as expected")
else
	summary+=("helm history: $statuses: EXPECTED superseded,superseded,failed,deployed")
	failures=$((failures + 1))
fi
cm="$("$kubectl" -n "$ns" get configmap web-config -o jsonpath='{.data.DEMO_VERSION}')"
extra="$("$kubectl" -n "$ns" get configmap web-extra -o jsonpath='{.data.ADDED_IN}' 2>/dev/null || true)"
if [[ "$cm" == v2 && "$extra" == v2 ]]; then
	summary+=("after v3: ConfigMaps web-config and web-extra (v3 deleted it) are v2's again")
else
	summary+=("after v3: web-config $cm, web-extra '$extra': EXPECTED v2, v2")
	failures=$((failures + 1))
fi

say "demo summary"
printf '  %s\n' "${summary[@]}"
if ((failures > 0)); then
	echo "demo-helm: $failures check(s) failed" >&2
	exit 1
fi
echo "demo-helm: the three releases ended as expected"
