#!/usr/bin/env bash
# hack/demo.sh runs the real kship binary through four releases of the demo
# app against the local environment (make cluster-up) and checks each exit
# code:
#   v1 → verified, exit 0
#   v2 → new image tag and ConfigMap → verified, exit 0
#   v3 → pods crash-loop → detected, rolled back to v2 (ConfigMap too), exit 3
#   v4 → pods Ready but 30% errors → error-rate gate fails → rolled back, exit 3
# It is idempotent: it deletes the namespace demo first.
set -euo pipefail

# shellcheck source=hack/demo-lib.sh
source "$(dirname "$0")/demo-lib.sh"
demo_init demo
secret_marker="demo-secret-token-v"

say "resetting namespace demo"
reset_namespace demo

render() { # version -> path of the rendered release file
	local out="$work/kship.$1.yaml"
	sed -e "s#@VERSION@#$1#g" -e "s#@DEMO@#$root/examples/demo#g" \
		-e "s#@INGRESS@#$KSHIP_INGRESS#g" -e "s#@PROMETHEUS@#$KSHIP_PROMETHEUS#g" \
		"$root/examples/demo/kship.yaml.tmpl" >"$out"
	echo "$out"
}

failures=0
declare -a summary
deploy() { # version expected-exit description
	local file code dir
	file="$(render "$1")"
	say "kship deploy $1 ($3): expecting exit $2"
	kship_deploy "$file" "$1"
	expect_exit "$1" "$code" "$2" "$3"
}

check_v2_restored() {
	local image version
	image="$("$kubectl" -n demo get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')"
	version="$("$kubectl" -n demo get configmap web-config -o jsonpath='{.data.DEMO_VERSION}')"
	if [[ "$image" == "demo:v2" && "$version" == "v2" ]]; then
		summary+=("after $1: image $image and ConfigMap DEMO_VERSION=$version are v2's, as expected")
	else
		summary+=("after $1: image $image, ConfigMap DEMO_VERSION=$version: EXPECTED demo:v2 and v2")
		failures=$((failures + 1))
	fi
}

deploy v1 0 "first release"
deploy v2 0 "new image tag and ConfigMap"
deploy v3 3 "pods crash-loop"
check_v2_restored v3
deploy v4 3 "pods answer 30% errors"
check_v2_restored v4

say "kship history web"
"$kship" history web -n demo
say "kship status web"
"$kship" status web -n demo

# No Secret value may appear in any output or evidence file.
if grep -rl "$secret_marker" "$work"/out.* "$evidence/web" 2>/dev/null; then
	summary+=("a Secret value appears in the output or evidence (files above)")
	failures=$((failures + 1))
else
	summary+=("no Secret value in any output or evidence file")
fi

say "demo summary"
printf '  %s\n' "${summary[@]}"
if ((failures > 0)); then
	echo "demo: $failures check(s) failed" >&2
	exit 1
fi
echo "demo: all four releases ended as expected"
