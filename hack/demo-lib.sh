#!/usr/bin/env bash
# hack/demo-lib.sh is what every demo script shares: sourced, then
# `demo_init NAME` finds the repository root, reads the local environment
# (make cluster-up) and the binaries, and sets kship, kubectl, evidence and
# a work folder removed on exit; `demo_need` names a missing requirement;
# `say` prints a heading; `reset_namespace NS` starts a demo from nothing;
# `kship_deploy FILE LABEL` runs one deploy and `expect_exit` adds its line
# to the summary.

demo_init() { # name of the demo, as its messages start
	demo_name="$1"
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	cd "$root"
	local env_file="$root/.localcluster/env"
	if [[ ! -f "$env_file" ]]; then
		echo "$demo_name: $env_file not found: run make cluster-up first" >&2
		exit 1
	fi
	# shellcheck disable=SC1090
	source "$env_file"
	export KUBECONFIG
	kship="${KSHIP_BIN:-$root/bin/kship}"
	kubectl="$root/bin/kubectl"
	[[ -x "$kubectl" ]] || kubectl="$(command -v kubectl || true)"
	if [[ ! -x "$kship" || -z "$kubectl" ]]; then
		demo_need "bin/kship (make build) and kubectl (bin/kubectl)"
	fi
	evidence="${KSHIP_DEMO_EVIDENCE:-$root/.kship/evidence}"
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
}

demo_need() { # what is missing
	echo "$demo_name: need $*" >&2
	exit 1
}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

reset_namespace() { # namespace
	"$kubectl" delete namespace "$1" --ignore-not-found --wait=true --timeout=120s >/dev/null
	"$kubectl" create namespace "$1" >/dev/null
}

# kship_deploy runs kship deploy on a release file, its output shown and
# kept in $work/out.LABEL; it sets code (kship's exit code) and dir (the
# evidence folder kship printed).
kship_deploy() { # release-file label
	set +e
	"$kship" deploy -f "$1" --evidence-dir "$evidence" 2>&1 | tee "$work/out.$2"
	code=${PIPESTATUS[0]}
	set -e
	dir="$(sed -n 's/^  evidence:  //p' "$work/out.$2" | tail -1)"
}

# expect_exit adds a line to summary: what ran, the exit code it gave and
# the one wanted (counted in failures when they differ), what more there is
# to say, and where its evidence is.
expect_exit() { # what code wanted description [more]
	if [[ "$2" == "$3" ]]; then
		summary+=("$1: exit $2 as expected ($4)${5:+; $5}; evidence: $dir")
	else
		summary+=("$1: exit $2, EXPECTED $3 ($4)${5:+; $5}; evidence: $dir")
		failures=$((failures + 1))
	fi
}
