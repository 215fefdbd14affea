#!/usr/bin/env bash
# hack/demo-gitops.sh runs the real kship binary through two GitOps
# releases (spec.mechanism gitops) against the local environment's git
# server and real Flux controllers (make cluster-up), and checks each exit
# code:
#   v1 → committed, pushed, applied by Flux, verified: exit 0
#   v2 → pods crash-loop → detected, a revert commit pushed and applied by
#        Flux, the rollback verified: exit 3, v1 live again
# Each run uses a new repository ($KSHIP_GIT/demo/gitops-<time>.git) and
# resets the namespace demo-gitops first.
set -euo pipefail

# shellcheck source=hack/demo-lib.sh
source "$(dirname "$0")/demo-lib.sh"
demo_init demo-gitops
[[ -n "${KSHIP_GIT:-}" ]] || demo_need "the environment's git server (KSHIP_GIT)"
repo="$KSHIP_GIT/demo/gitops-$(date +%s).git"
git_() { GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME="a human" GIT_AUTHOR_EMAIL=human@example.invalid \
	GIT_COMMITTER_NAME="a human" GIT_COMMITTER_EMAIL=human@example.invalid git "$@"; }

say "resetting namespace demo-gitops; repository $repo"
reset_namespace demo-gitops
git_ init --quiet --initial-branch=main "$work/seed"
echo "the team's repository: kship writes apps/shop" >"$work/seed/README.md"
git_ -C "$work/seed" add README.md
git_ -C "$work/seed" commit --quiet -m "start"
git_ -C "$work/seed" push --quiet "$repo" main
sed -e "s#@REPO@#$repo#g" examples/gitops/flux.yaml.tmpl | "$kubectl" apply -f - >/dev/null

render() { # version -> path of the rendered release file
	local out="$work/kship.$1.yaml"
	sed -e "s#@VERSION@#$1#g" -e "s#@DIR@#$root/examples/gitops#g" -e "s#@REPO@#$repo#g" \
		-e "s#@INGRESS@#$KSHIP_INGRESS#g" examples/gitops/kship.yaml.tmpl >"$out"
	echo "$out"
}

failures=0
declare -a summary
head_() { git_ ls-remote "$repo" refs/heads/main | cut -f1; }
applied() { "$kubectl" -n demo-gitops get kustomization shop -o jsonpath='{.status.lastAppliedRevision}' | sed 's/.*sha1://'; }
deploy() { # version expected-exit description
	local file code dir h a
	file="$(render "$1")"
	say "kship deploy $1 ($3): expecting exit $2"
	kship_deploy "$file" "$1"
	h="$(head_)" a="$(applied)"
	if [[ "$h" == "$a" ]]; then
		expect_exit "$1" "$code" "$2" "$3" "branch main at ${h:0:12}, applied by Flux"
	else
		expect_exit "$1" "$code" "$2 with Flux at the branch head" "$3" "branch at ${h:0:12}, Flux applied ${a:0:12}"
	fi
	if [[ -n "$dir" ]] && ! grep -q "$h" "$dir/evidence.json"; then
		summary+=("$1: evidence.json does not name commit ${h:0:12}")
		failures=$((failures + 1))
	fi
}

deploy v1 0 "first release"
deploy v2 3 "pods crash-loop"
image="$("$kubectl" -n demo-gitops get deployment shop -o jsonpath='{.spec.template.spec.containers[0].image}')"
if [[ "$image" == "demo:v1" ]]; then
	summary+=("after v2: image $image is v1's, as expected")
else
	summary+=("after v2: image $image: EXPECTED demo:v1")
	failures=$((failures + 1))
fi

say "the repository's history (git log of $repo)"
git_ clone --quiet "$repo" "$work/clone"
git_ -C "$work/clone" log --format='%h %an: %s' | cat

say "demo summary"
printf '  %s\n' "${summary[@]}"
if ((failures > 0)); then
	echo "demo-gitops: $failures check(s) failed" >&2
	exit 1
fi
echo "demo-gitops: both releases ended as expected"
