#!/usr/bin/env bash
# install-original-deps.sh: install the Debian packages that the original Perl
# switchman needs (../shared/perl-switchman/build.sh lists them), so that the
# side-by-side tests (cmd/switchman/original_test.go) can build it without
# installing anything themselves. A no-op when ../shared is absent (the tests
# then skip outside CI) or when every package is installed.
set -euo pipefail

prog=install-original-deps.sh
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SWITCHMAN_ORIGINAL_BUILD:-$here/../shared/perl-switchman/build.sh}
[ -f "$build" ] || exit 0

# The package list is build.sh's own "pkgs=(...)" array, read, not copied.
eval "$(sed -n '/^pkgs=(/,/)/p' "$build")"
[ "${#pkgs[@]}" -gt 0 ] || { echo "$prog: no pkgs=(...) list in $build" >&2; exit 1; }
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
((${#missing[@]})) || exit 0
[ "$(id -u)" -eq 0 ] || { echo "$prog: missing ${missing[*]}: run 'sudo $0'" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# Serialised with the ZooKeeper install: two apt-get runs at once fail on dpkg's lock.
exec 9>/tmp/switchman-install-zookeeper.lock
flock -w 900 9 || { echo "$prog: apt lock wait timed out" >&2; exit 1; }
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null; }
