#!/usr/bin/env bash
# bench_rtt.sh — the raw UDP round trip that dpzk-server is compared with:
# a kernel UDP client in the test network → net_tap → dpzk-echo → back.
#
# One dpzk-echo per idle policy (spin, adaptive), COUNT closed-loop
# datagrams of SIZE bytes each, percentiles printed and raw samples kept
# as CSV in OUTDIR.  A benchmark, not a test: it prints figures and only
# fails when it cannot run.  Exit 77 when not root.
#
#   bench_rtt.sh TESTNET ECHO RTT OUTDIR [COUNT] [SIZE]
set -uo pipefail
testnet=$1 echo_bin=$2 rtt=$3 outdir=$4 count=${5:-10000} size=${6:-64}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
mkdir -p "$outdir"
echo "# dpzk raw UDP echo round trip (kernel UDP client -> net_tap -> dpzk-echo)"
echo "# host $(uname -r), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# dpdk $(pkg-config --modversion libdpdk 2>/dev/null), dpzk $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)"
echo "# $count datagrams of $size bytes, one in flight"
rc=0
for idle in spin adaptive; do
	name="dpzk-bench-$idle-$$"
	export DPZK_TESTNET=$name
	if ! timeout 120 "$testnet" up 1 --bin "$echo_bin" --name "$name" \
		--idle "$idle" >/dev/null; then
		echo "bench: network did not come up"; rc=1; continue
	fi
	ip=$("$testnet" ip 1)
	timeout 30 "$testnet" exec "$rtt" "$ip" 2181 1000 "$size" 200 >/dev/null # warm-up
	out=$(timeout 300 "$testnet" exec "$rtt" "$ip" 2181 "$count" "$size" 200 \
		"$outdir/rtt-$idle.csv")
	echo "idle=$idle: $(echo "$out" | tr '\n' ' ')"
	pid=$(cat "/run/dpzk-testnet/$name/pid.1")
	sleep 1
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	sleep 3
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	echo "idle=$idle: idle CPU $(( (t1 - t0) * 100 / (3 * $(getconf CLK_TCK)) ))% of one core"
	timeout 30 "$testnet" down >/dev/null 2>&1
done
echo "# raw samples: $outdir/rtt-*.csv"
exit $rc
