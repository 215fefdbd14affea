#!/usr/bin/env bash
# hack/ensure-deps.sh — the one list of the Debian packages kship's build,
# tests and local environment need besides Go. It installs the missing ones
# with apt-get (through sudo when not root) and says what it did; with
# --check it only lists what is missing and fails if anything is.
# .ci/run and the Makefile (cluster-up, so make demo and make test) call it.
#
#   make        builds and runs everything
#   git         the local environment's git server (git http-backend)
#   prometheus  the local environment's Prometheus (/usr/bin/prometheus)
set -euo pipefail

missing=()
command -v make >/dev/null || missing+=(make)
command -v git >/dev/null || missing+=(git)
[ -x /usr/bin/prometheus ] || command -v prometheus >/dev/null || missing+=(prometheus)
((${#missing[@]})) || exit 0

if [ "${1:-}" = --check ]; then
	echo "missing: ${missing[*]} (hack/ensure-deps.sh installs them)" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "ensure-deps: missing ${missing[*]}; as root run: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	sudo=sudo
fi
if ! command -v apt-get >/dev/null; then
	echo "ensure-deps: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
	exit 1
fi
echo "ensure-deps: installing ${missing[*]} with apt-get"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
