#!/usr/bin/env bash
# demo.sh — the main job, and the first thing a new user runs.  By default
# it runs three parts in a row, each in test networks of its own:
#
#   1. single node (--single alone): bootstrap (Debian packages,
#      hugepages, build; idempotent); the floor (a minimal DPDK UDP echo,
#      10,000 round trips from a kernel UDP client); dpzk-server in a
#      private test network (net_tap, 198.18.0.0/24): a scripted
#      zkCli-style session with dpzk-cli, a restart that recovers from the
#      log, and a latency sample (getData and setData p50/p99/p99.9 over
#      10,000 ops each) beside the floor;
#   2. a local 3-server ensemble (--ensemble alone): election, a write
#      through a follower read back from another server, kill -9 of the
#      leader under a writer with the failover time, the old leader
#      rejoining;
#   3. the bench (--bench alone): scripts/bench-compare.sh --quick, dpzk
#      beside Apache ZooKeeper (standalone and 3-node) in one run, the
#      floors and the goals as ratios (--full-bench: the full run, ~15 min;
#      --no-bench: skip it).
#   Everything it started is stopped, also on failure or Ctrl-C.
#
#   scripts/demo.sh [--ops N] [--keep] [--single|--ensemble|--bench]
#                   [--no-bench|--full-bench]
#   --keep leaves the test networks up (single and ensemble parts).
#   The ensemble runs the low-latency timing profile (a dead leader is
#   noticed in ~60 ms); DPZK_TIMING=default for the conservative one (1 s),
#   DPZK_SYNC_LIMIT=N to set sync_limit alone.
# Needs root (network namespaces, DPDK); re-runs itself with sudo.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 && exec sudo -E "$0" "$@"
	echo "demo.sh: needs root (network namespaces, DPDK, hugepages)" >&2
	exit 1
fi
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ops=10000 keep=0 ensemble=0 part=all bench=quick
pass=()
while [ $# -gt 0 ]; do
	case "$1" in
	--ops) ops=$2; pass+=(--ops "$2"); shift ;;
	--keep) keep=1; pass+=(--keep) ;;
	--single) part=single ;;
	--ensemble) part=ensemble; ensemble=1 ;;
	--bench) part=bench ;;
	--no-bench) bench=none ;;
	--full-bench) bench=full ;;
	-h | --help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

run_bench() {
	local args=(--out /tmp/dpzk-demo-bench)
	[ "$bench" = quick ] && args+=(--quick)
	printf '\n\033[1m== %s\033[0m\n' "the bench: dpzk beside Apache ZooKeeper (scripts/bench-compare.sh ${args[*]})"
	"$top/scripts/bench-compare.sh" "${args[@]}"
}

if [ "$part" = all ]; then
	rc=0
	"$0" --single "${pass[@]}" || rc=1
	"$0" --ensemble "${pass[@]}" || rc=1
	if [ "$bench" != none ]; then
		run_bench || rc=1
	fi
	echo
	[ "$rc" -eq 0 ] && echo "demo.sh: all parts done" || echo "demo.sh: a part failed (see above)"
	exit "$rc"
fi
if [ "$part" = bench ]; then
	[ "$bench" = none ] && bench=quick
	run_bench
	exit $?
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
scripts/bootstrap.sh || exit 1

B=$top/build
T=$top/scripts/testnet.sh
SERVER=$B/mgmt/dpzk-server
CLI=$B/client/dpzk-cli
ECHO=$B/dataplane/dpzk-echo
RTT=$B/tests/dataplane/dp-udp-rtt
for f in "$SERVER" "$CLI" "$ECHO" "$RTT"; do
	[ -x "$f" ] || { echo "demo.sh: $f was not built" >&2; exit 1; }
done
data=$(mktemp -d /var/tmp/dpzk-demo.XXXXXX)
nets=()
cleanup() {
	if [ "$keep" -eq 0 ]; then
		for n in "${nets[@]}"; do
			DPZK_TESTNET=$n "$T" down >/dev/null 2>&1
		done
		rm -rf "$data"
	else
		echo "demo.sh: left up: ${nets[*]} (data in $data); stop with: scripts/testnet.sh down --name NAME"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r)"
echo "dpzk $(git rev-parse --short HEAD 2>/dev/null || echo '?'), DPDK $(pkg-config --modversion libdpdk), hugepages reserved: $(cat /proc/sys/vm/nr_hugepages)"

if [ "$ensemble" -eq 1 ]; then
	step "a 3-server ensemble in a private test network (Zab over the peer channel)"
	secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	n=$("$T" up 3 --bin "$SERVER" --idle adaptive --timeout 60 -- \
		--data_dir="$data/{i}" --session_timeout_min_ms=4000 --log_segment_mb=8 --timing="${DPZK_TIMING:-low-latency}" ${DPZK_SYNC_LIMIT:+--sync_limit=$DPZK_SYNC_LIMIT} \
		--server.1=198.18.0.11:2888:3888 --server.2=198.18.0.12:2888:3888 \
		--server.3=198.18.0.13:2888:3888 --ensemble_secret="$secret") || exit 1
	nets+=("$n")
	export DPZK_TESTNET=$n
	ecli() { # ecli I ARGS...
		local i=$1
		shift
		printf '\033[2m$ dpzk-cli -s 198.18.0.1%s:2181 %s\033[0m\n' "$i" "$*"
		timeout 15 "$T" exec "$CLI" -t 10000 -s "198.18.0.1$i:2181" "$@" 2>&1 | sed 's/^/  /'
	}
	role() { "$T" exec "$top/scripts/dpzk-4lw" "198.18.0.1$1" mntr 2>/dev/null | sed -n 's/^zk_server_state\t//p'; }
	roles() {
		leader=0
		for i in "$@"; do
			r=$(role "$i")
			printf '  server %s (198.18.0.1%s): %s\n' "$i" "$i" "${r:-?}"
			[ "$r" = leader ] && leader=$i
		done
	}
	for k in $(seq 1 60); do
		leader=0
		for i in 1 2 3; do [ "$(role "$i")" = leader ] && leader=$i; done
		[ "$leader" -ne 0 ] && break
		sleep 0.5
	done
	[ "$leader" -ne 0 ] || { echo "demo.sh: no leader elected"; exit 1; }
	roles 1 2 3
	f=$(( leader % 3 + 1 )) g=$(( (leader + 1) % 3 + 1 ))
	step "write through follower $f, read back from server $g"
	ecli "$f" create /ens "written through server $f"
	ecli "$f" create /ens/config v1
	ecli "$g" get /ens
	ecli "$g" ls /ens
	"$T" exec "$top/scripts/dpzk-4lw" "198.18.0.1$leader" mntr | grep -E 'zk_(server_state|followers|synced_followers|dpzk_zab)' | sed 's/^/  /'

	old=$leader
	step "kill -9 the leader (server $old) under a writer on server $f (timing ${DPZK_TIMING:-low-latency})"
	WRITER=$B/tests/ens/ens_writer
	if [ -x "$WRITER" ]; then
		# a client writing without pause, which prints the first write
		# acknowledged in each epoch (wall clock, ms)
		"$T" exec "$WRITER" "198.18.0.1$f:2181" 30 /ens/writer >"$data/writer" 2>&1 &
		wpid=$!
		for k in $(seq 1 100); do grep -q '^epoch' "$data/writer" && break; sleep 0.1; done
		e0=$(sed -n 's/^epoch \([0-9]*\).*/\1/p' "$data/writer" | tail -1)
		sleep 0.5
		t0=$(date +%s%3N)
		kill -9 "$(cat "/run/dpzk-testnet/$n/pid.$old")"
		ack=""
		for k in $(seq 1 200); do
			ack=$(awk -v e="${e0:-0}" '$1 == "epoch" && $2 > e {print $4; exit}' "$data/writer")
			[ -n "$ack" ] && break
			sleep 0.1
		done
		kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
		[ -n "$ack" ] || { echo "demo.sh: no write succeeded after the leader was killed"; exit 1; }
		printf '  failover: leader killed -> first write committed by the new leader, seen by the client: %d ms\n' $((ack - t0))
		echo "  (scripts/ens-bench.sh measures it over 20 kills and says where the time goes)"
	else
		kill -9 "$(cat "/run/dpzk-testnet/$n/pid.$old")"
		t0=$(date +%s%N)
		ok=0
		for k in $(seq 1 60); do
			if timeout 5 "$T" exec "$CLI" -t 4000 -s "198.18.0.1$f:2181" \
				create "/ens/after-failover" "x" 2>&1 | grep -qE '^Created|exists'; then
				ok=1
				break
			fi
		done
		t1=$(date +%s%N)
		[ "$ok" -eq 1 ] || { echo "demo.sh: no write succeeded after the leader was killed"; exit 1; }
		printf '  failover: leader killed -> first committed write on the new leader (one-shot CLI): %d ms\n' $(( (t1 - t0) / 1000000 ))
	fi
	roles "$f" "$g"
	ecli "$g" ls /ens

	step "the old leader (server $old) restarts and rejoins as a follower"
	"$T" start "$old" >/dev/null 2>&1 || { echo "restart failed"; exit 1; }
	for k in $(seq 1 60); do [ "$(role "$old")" = follower ] && break; sleep 0.5; done
	roles 1 2 3
	ecli "$old" ls /ens
	step "done: stopping the test network"
	exit 0
fi

step "the floor: raw UDP round trip through net_tap to a minimal DPDK echo"
n=$("$T" up 1 --bin "$ECHO" --idle adaptive --timeout 60) || exit 1
nets+=("$n")
export DPZK_TESTNET=$n
ip=$("$T" ip 1)
"$T" exec "$RTT" "$ip" 2181 1000 100 200 >/dev/null
floor=$("$T" exec "$RTT" "$ip" 2181 "$ops" 100 200)
echo "$floor"
floor_p50=$(echo "$floor" | sed -n 's/.*p50 \([0-9.]*\).*/\1/p')
"$T" down >/dev/null 2>&1
nets=()

step "dpzk-server in a private test network (net_tap), durable log in $data"
n=$("$T" up 1 --bin "$SERVER" --idle adaptive --timeout 60 -- \
	--data_dir="$data/{i}" --session_timeout_min_ms=2000) || exit 1
nets+=("$n")
export DPZK_TESTNET=$n
ip=$("$T" ip 1)
srv="$ip:2181"
sed -n 's/^dpzk-server: /  server: /p' "$("$T" log 1)"
run() {
	printf '\033[2m$ dpzk-cli -s %s %s\033[0m\n' "$srv" "$*"
	timeout 20 "$T" exec "$CLI" -s "$srv" "$@" 2>&1 | sed 's/^/  /'
}

step "a scripted session (zkCli-style)"
run create /demo "hello dpzk"
run create /demo/config "v1"
run create -s /demo/job- "first"
run create -s /demo/job- "second"
run ls /demo
run get -s /demo/config
run set /demo/config "v2"
run get /demo/config
run set -v 0 /demo/config "stale"
run delete /demo
run create -e /demo/leader "me"
echo "  (the ephemeral /demo/leader went away with the one-shot CLI's session:)"
run ls /demo
run whoami

step "restart: SIGTERM, start again, the data is recovered from the log"
"$T" stop 1 >/dev/null 2>&1
"$T" start 1 >/dev/null 2>&1 || { echo "restart failed"; exit 1; }
sed -n 's/^dpzk-server: recovered/  server: recovered/p' "$("$T" log 1)" | tail -1
run get -s /demo/config
run ls /demo

step "latency sample: $ops getData + $ops setData (100 bytes, one at a time, durable)"
lat=$(timeout 600 "$T" exec "$CLI" -s "$srv" --latency "$ops" /demo/config 2>&1 | grep -E '^(getData|setData)')
echo "$lat"
dsync=$(python3 - "$data" <<'PY'
import os, sys, time
p = os.path.join(sys.argv[1], "dsync-probe")
fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_DIRECT | os.O_DSYNC, 0o600)
import mmap
buf = mmap.mmap(-1, 4096)
lat = []
for i in range(300):
    t = time.perf_counter_ns(); os.pwrite(fd, buf, 0); lat.append(time.perf_counter_ns() - t)
os.close(fd); os.unlink(p)
lat.sort(); print("%.1f" % (lat[len(lat)//2] / 1000))
PY
)
g50=$(echo "$lat" | sed -n 's/^getData.*p50=\([0-9.]*\)us.*/\1/p')
s50=$(echo "$lat" | sed -n 's/^setData.*p50=\([0-9.]*\)us.*/\1/p')
echo
printf '  %-34s %10s\n' "floor: raw UDP round trip p50" "${floor_p50}us"
printf '  %-34s %10s\n' "floor: 4 KiB O_DIRECT|O_DSYNC p50" "${dsync}us"
if [ -n "$g50" ] && [ -n "$floor_p50" ]; then
	printf '  %-34s %10s  (%.2fx the round trip)\n' "dpzk getData p50" "${g50}us" \
		"$(echo "$g50 / $floor_p50" | bc -l)"
	printf '  %-34s %10s  (%.2fx round trip + O_DSYNC write)\n' "dpzk setData p50" "${s50}us" \
		"$(echo "$s50 / ($floor_p50 + $dsync)" | bc -l)"
fi

step "server counters (mntr over UDP)"
"$T" exec "$top/scripts/dpzk-4lw" "$ip" mntr | grep -E 'zk_(znode_count|packets|num_alive|dpzk_latency|dpzk_requests|dpzk_writes|dpzk_drop|dpzk_durability|dpzk_arena)' | sed 's/^/  /'

step "done: stopping the test network"
