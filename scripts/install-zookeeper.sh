#!/usr/bin/env bash
# install-zookeeper.sh: make sure Debian's ZooKeeper jars (/usr/share/java/zookeeper*.jar)
# and a Java runtime are installed, for internal/zktest (tests, demo, benchmark).
#
# Idempotent and quiet on success. Safe to run concurrently: several test
# binaries may call it at once, so the install is serialised with flock and
# the check is repeated once the lock is held. Exits non-zero with a one-line
# reason on stderr (plus the tail of apt's output) on failure.
set -euo pipefail

prog=install-zookeeper.sh
lockfile=/tmp/switchman-install-zookeeper.lock
# apt can take minutes on a cold machine; waiting longer than this for another
# run's install means something is stuck.
lock_wait_seconds=900

die() { echo "$prog: $*" >&2; exit 1; }
have_zookeeper() { compgen -G '/usr/share/java/zookeeper*.jar' >/dev/null; }
have_java() { command -v java >/dev/null 2>&1; }

if have_zookeeper && have_java; then
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "ZooKeeper or java missing and not root: run 'sudo $0' (or apt-get install zookeeper default-jre-headless)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ZooKeeper 3.8 (jars in /usr/share/java) and a Java runtime by hand"
command -v flock >/dev/null 2>&1 || die "flock not found (package util-linux)"

exec 9>"$lockfile"
flock -w "$lock_wait_seconds" 9 || die "waited ${lock_wait_seconds}s for $lockfile held by another install; giving up"

# Another run may have installed everything while we waited for the lock.
if have_zookeeper && have_java; then
	exit 0
fi

aptlog=$(mktemp /tmp/install-zookeeper.XXXXXX.log)
apt_get() {
	# DPkg::Lock::Timeout: wait for an apt/dpkg run we did not start (e.g. unattended
	# upgrades) instead of failing at once on its lock.
	if ! DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 "$@" >>"$aptlog" 2>&1; then
		tail -n 20 "$aptlog" >&2
		die "apt-get $* failed (full output: $aptlog)"
	fi
}

pkgs=()
have_zookeeper || pkgs+=(zookeeper)
have_java || pkgs+=(default-jre-headless)

# A fresh machine or container may have no package lists at all.
apt_get update
apt_get install "${pkgs[@]}"

have_zookeeper || die "apt-get install ${pkgs[*]} succeeded but /usr/share/java/zookeeper*.jar is still missing"
have_java || die "apt-get install ${pkgs[*]} succeeded but java is still not on PATH"
rm -f "$aptlog"
