#!/usr/bin/env bash
# hack/demo-progressive.sh runs the real kship binary through canary and
# blue-green releases against the local environment (make cluster-up: real
# API server, Prometheus, the ingress's per-pod traffic split) and checks
# each exit code:
#   canary     v1 first release                                  exit 0
#   canary     v2 25% → 50% → promoted                           exit 0
#   canary     v3 answers 30% errors: aborted at its first step  exit 3
#   blue-green v1 first release (blue)                           exit 0
#   blue-green v2 green checked through the preview, switched, blue removed after the delay  exit 0
#   blue-green v3 answers 30% errors: fails on the preview, live Service never switched  exit 3
# Each run resets the namespaces demo-canary and demo-bluegreen first.
set -euo pipefail

# shellcheck source=hack/demo-lib.sh
source "$(dirname "$0")/demo-lib.sh"
demo_init demo-progressive

canary_steps='    type: Canary
    canary:
      steps:
        - setWeight: 25
        - analysis: {duration: 6s, interval: 2s}
        - setWeight: 50
        - analysis: {duration: 6s, interval: 2s}
        - setWeight: 100
      # the share of requests the canary pods answered, measured from
      # Prometheus as each weight is left (the steps table of report.html)
      trafficShare: sum(rate(http_requests_total{namespace="{{.Namespace}}",pod_template_hash=~"{{.PodTemplateHash}}"}[10s])) / sum(rate(http_requests_total{namespace="{{.Namespace}}"}[10s]))'
bluegreen='    type: BlueGreen
    blueGreen:
      scaleDownDelay: 15s
      postSwitch: {interval: 2s}'

render() { # ns version errors strategy track -> path of the release file
	local dir="$work/$1-$2"
	mkdir -p "$dir/manifests"
	sed -e "s#@APP@#web#g" -e "s#@VERSION@#$2#g" -e "s#@ERRORS@#$3#g" -e "s#@TRACK@#$5#g" \
		examples/progressive/app.yaml.tmpl >"$dir/manifests/app.yaml"
	awk -v s="$4" '{ if ($0 == "@STRATEGY@") print s; else print }' examples/progressive/kship.yaml.tmpl |
		sed -e "s#@APP@#web#g" -e "s#@NS@#$1#g" -e "s#@SOURCE@#$dir/manifests#g" \
			-e "s#@INGRESS@#$KSHIP_INGRESS#g" -e "s#@PROMETHEUS@#$KSHIP_PROMETHEUS#g" >"$dir/kship.yaml"
	echo "$dir/kship.yaml"
}

failures=0
declare -a summary
deploy() { # ns version errors strategy track expected-exit description
	local file code dir
	file="$(render "$1" "$2" "$3" "$4" "$5")"
	say "$1: kship deploy $2 ($7): expecting exit $6"
	kship_deploy "$file" "$1-$2"
	expect_exit "$1 $2" "$code" "$6" "$7"
}
expect() { # description actual wanted
	if [[ "$2" == "$3" ]]; then
		summary+=("$1: $2")
	else
		summary+=("$1: $2, EXPECTED $3")
		failures=$((failures + 1))
	fi
}

for ns in demo-canary demo-bluegreen; do
	say "resetting namespace $ns"
	reset_namespace "$ns"
done

track=", kship.dev/track: stable"
deploy demo-canary v1 0 "$canary_steps" "$track" 0 "first release"
deploy demo-canary v2 0 "$canary_steps" "$track" 0 "good canary: 25% → 50% → promoted"
deploy demo-canary v3 0.3 "$canary_steps" "$track" 3 "30% errors: aborted at its first step"
expect "demo-canary after v3: stable's image" "$("$kubectl" -n demo-canary get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" "demo:v2"
expect "demo-canary after v3: canary Deployments left" "$("$kubectl" -n demo-canary get deployment web-canary --ignore-not-found -o name | wc -l)" "0"

deploy demo-bluegreen v1 0 "$bluegreen" "" 0 "first release: blue"
deploy demo-bluegreen v2 0 "$bluegreen" "" 0 "green through the preview, switched, blue removed after 15 s"
expect "demo-bluegreen after v2: live selector" "$("$kubectl" -n demo-bluegreen get service web -o jsonpath='{.spec.selector.kship\.dev/color}')" "green"
deploy demo-bluegreen v3 0.3 "$bluegreen" "" 3 "30% errors: fails through the preview, never switched"
expect "demo-bluegreen after v3: live selector" "$("$kubectl" -n demo-bluegreen get service web -o jsonpath='{.spec.selector.kship\.dev/color}')" "green"
expect "demo-bluegreen after v3: Deployments" "$("$kubectl" -n demo-bluegreen get deployments -o jsonpath='{range .items[*]}{.metadata.name}={.spec.template.spec.containers[0].image} {end}')" "web-green=demo:v2 "

say "demo summary"
printf '  %s\n' "${summary[@]}"
if ((failures > 0)); then
	echo "demo-progressive: $failures check(s) failed" >&2
	exit 1
fi
echo "demo-progressive: every release ended as expected"
