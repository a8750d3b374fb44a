#!/usr/bin/env bash
# install-packaging-tools.sh: make sure the tools the package tests use are
# installed: lintian, man-db (man, lexgrog), cron (Debian's cron daemon, run
# by the cron end-to-end test in a private mount namespace) and logrotate
# (to check the package's rotation config), and systemd (systemd-analyze
# and systemd-escape, which the timer tests run without systemd as PID 1).
#
# Idempotent and quiet on success; serialised with flock like
# install-zookeeper.sh. Without root it only says what is missing: the tests
# then fail under CI and skip elsewhere.
set -euo pipefail

prog=install-packaging-tools.sh
lockfile=/tmp/switchman-install-packaging-tools.lock

missing() {
	local pkgs=()
	command -v lintian >/dev/null 2>&1 || pkgs+=(lintian)
	command -v lexgrog >/dev/null 2>&1 || pkgs+=(man-db)
	command -v cron >/dev/null 2>&1 || [ -x /usr/sbin/cron ] || pkgs+=(cron)
	command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] || pkgs+=(logrotate)
	command -v systemd-analyze >/dev/null 2>&1 || pkgs+=(systemd)
	echo "${pkgs[@]:-}"
}

pkgs=$(missing)
[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "$prog: missing $pkgs (as root: apt-get install $pkgs)" >&2
	exit 0
fi

exec 9>"$lockfile"
flock -w 900 9 || { echo "$prog: waited 900s for $lockfile" >&2; exit 1; }
pkgs=$(missing)
[ -z "$pkgs" ] && exit 0

aptlog=$(mktemp /tmp/install-packaging-tools.XXXXXX.log)
apt_get() {
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q -y "$@" >>"$aptlog" 2>&1
}
# policy-rc.d: installing cron must not start the host's cron daemon (it
# would run the machine's crontabs); the test starts its own, isolated.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
fi
# shellcheck disable=SC2086
if ! apt_get install --no-install-recommends $pkgs; then
	apt_get update && apt_get install --no-install-recommends $pkgs || {
		[ -n "$made_policy" ] && rm -f "$policy"
		echo "$prog: apt-get install $pkgs failed:" >&2; tail -20 "$aptlog" >&2; exit 1
	}
fi
[ -n "$made_policy" ] && rm -f "$policy"
rm -f "$aptlog"
