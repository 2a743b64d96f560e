#!/usr/bin/env bash
# bootstrap.sh — make this machine ready to build, test and run dpzk.
#
# Idempotent: installs only the Debian packages that are missing, reserves
# hugepages and mounts hugetlbfs only when that is not already done, and
# (re)builds incrementally.  Safe to run again and again.
#
#   scripts/bootstrap.sh            packages + hugepages + build (./build)
#   scripts/bootstrap.sh --no-build packages + hugepages only
#   DPZK_HUGEPAGES=N                2 MiB pages to reserve (default 512 = 1 GiB)
#   DPZK_EXTRA_PKGS="a b"           more packages (used by bench/gateway scripts)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=1
for a in "$@"; do
	case "$a" in
	--no-build) build=0 ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "bootstrap: unknown argument '$a' (try --help)" >&2; exit 2 ;;
	esac
done

say() { printf 'bootstrap: %s\n' "$*"; }

# Packages the build, the tests and the demo need.
pkgs=(meson ninja-build pkg-config gcc make git python3 iproute2 procps
	dpdk dpdk-dev libdpdk-dev liburing-dev libhugetlbfs-dev libcmocka-dev
	libsodium-dev libedit-dev clang-format util-linux e2fsprogs bc
	libssl-dev iputils-ping zookeeper libzookeeper-mt-dev gnuplot-nox
	python3-kazoo default-jdk-headless)
# shellcheck disable=SC2206
pkgs+=(${DPZK_EXTRA_PKGS:-})

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		say "missing packages: ${missing[*]}"
		say "run as root (or with sudo) so they can be installed"
		exit 1
	fi
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	say "packages installed"
else
	say "all ${#pkgs[@]} packages present"
fi

# Hugepages: the dataplane and the tree arena use them when reserved, and
# fall back (DPDK --no-huge, ordinary pages + MADV_HUGEPAGE) when not.
want=${DPZK_HUGEPAGES:-512}
if [ "$(id -u)" -eq 0 ]; then
	have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
	if [ "$have" -lt "$want" ]; then
		echo "$want" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
		have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
	fi
	if [ "$have" -ge "$want" ]; then
		say "hugepages: $have x 2 MiB reserved"
	else
		say "hugepages: could only reserve $have of $want x 2 MiB (memory fragmented?); servers fall back to --no-huge"
	fi
	if ! grep -qs ' /dev/hugepages hugetlbfs' /proc/mounts; then
		mkdir -p /dev/hugepages
		if mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; then
			say "hugetlbfs mounted on /dev/hugepages"
		else
			say "could not mount hugetlbfs on /dev/hugepages; hugepage arenas fall back to ordinary pages"
		fi
	fi
else
	say "not root: hugepages not reserved, hugetlbfs not mounted (servers fall back to ordinary pages)"
fi

[ "$build" -eq 1 ] || exit 0
cd "$top"
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null
	say "configured ./build"
fi
ninja -C build >/tmp/dpzk-build.log 2>&1 || { cat /tmp/dpzk-build.log; say "build failed"; exit 1; }
say "built ./build"
