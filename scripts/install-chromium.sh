#!/usr/bin/env bash
# install-chromium.sh: make sure Debian's Chromium is installed, for the
# dashboard's browser test (cmd/switchman-serve), which loads the page in
# headless Chromium and checks the rendered DOM.
#
# Idempotent and quiet on success; installs are serialised with flock, as in
# install-zookeeper.sh. Exits non-zero with a one-line reason on failure.
set -euo pipefail

prog=install-chromium.sh
lockfile=/tmp/switchman-install-chromium.lock
lock_wait_seconds=900

die() { echo "$prog: $*" >&2; exit 1; }
have_chromium() { command -v chromium >/dev/null 2>&1; }

have_chromium && exit 0

[ "$(id -u)" -eq 0 ] || die "chromium missing and not root: run 'sudo $0' (or apt-get install chromium)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install Chromium by hand"
command -v flock >/dev/null 2>&1 || die "flock not found (package util-linux)"

exec 9>"$lockfile"
flock -w "$lock_wait_seconds" 9 || die "waited ${lock_wait_seconds}s for $lockfile held by another install; giving up"
have_chromium && exit 0

aptlog=$(mktemp /tmp/install-chromium.XXXXXX.log)
apt_get() {
	if ! DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 "$@" >>"$aptlog" 2>&1; then
		tail -n 20 "$aptlog" >&2
		die "apt-get $* failed (full output: $aptlog)"
	fi
}
apt_get update
apt_get install --no-install-recommends chromium
have_chromium || die "apt-get install chromium succeeded but chromium is not on PATH"
rm -f "$aptlog"
