#!/usr/bin/env bash
# ens-bench.sh — the ensemble's figures (issue 6), in one run on the test
# network: failover time over N leader kills, and durable write latency of
# a 3-node ensemble beside a single node measured in the same run.
#
#   scripts/ens-bench.sh [--build DIR] [--kills N] [--timing PROFILE]
#                        [--ops N] [--no-latency] [--no-failover]
#                        [--leader-kills M] [--idle POLICY] [--out DIR]
#                        [--server-arg --KEY=VALUE]...
#
# Failover: 3 servers (--timing, default low-latency) and, before each
# kill, a fresh ens_writer client (tests/ens/ens_writer.c) writing without
# pause through a follower (N kills: the server-side failover, the goal's
# figure), then M kills (--leader-kills, default 3) with the writer on the
# leader itself (the client must also notice its server died and move:
# libdpzk's timers, reported beside).  kill -9 of the leader; the
# failover time is the wall clock from the kill to the first write
# acknowledged in the new epoch.  The killed server is restarted and the
# ensemble is back to 3 before the next kill.  Each kill also prints where
# the time went, from the servers' transition lines (dataplane/ens.c logs
# them with the wall clock): detect (kill → first survivor LOOKING), elect
# (→ a leader decided), sync (→ the new leader in broadcast), client (→ the
# acknowledgement).
#
# Disk: O_DSYNC write p50 alone and with three writers at once (the test
# network's servers share one disk, so each replicated write costs three
# concurrent log writes: their slowdown is the floor of the ratio).
# Latency: dpzk-bench closed loop, one client, depth 1: setData and
# create (create-delete workload) on a single node, then on the 3-node
# ensemble through the leader and through a follower.  Goals are printed
# as ratios: 3-node write p50 <= 1.5x single-node; failover median
# <= 200 ms.  MISSED when missed.  The load average is printed with every
# figure: the test machine is shared.
#
# A kill whose servers' lcores did not run for a while (the machine is
# shared: "the lcore did not poll for N ms" in their logs) says so.
# --server-arg passes a flag to every server (e.g. --idle_sleep_max_us=100).
# Needs root.  Bounded: every wait has a limit; the networks are torn
# down on every exit.  Raw outputs are kept in --out (default a temp dir,
# printed).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build kills=20 timing=low-latency ops=20000 lat=1 fo=1
lkills=3 out="" idle=adaptive sargs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$(cd "$2" && pwd); shift ;;
	--kills) kills=$2; shift ;;
	--timing) timing=$2; shift ;;
	--ops) ops=$2; shift ;;
	--no-latency) lat=0 ;;
	--no-failover) fo=0 ;;
	--leader-kills) lkills=$2; shift ;;
	--idle) idle=$2; shift ;;
	--server-arg) sargs+=("$2"); shift ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '2,37p' "$0"; exit 0 ;;
	*) echo "ens-bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || { echo "ens-bench: needs root" >&2; exit 1; }
T=$top/scripts/testnet.sh
SERVER=$build/mgmt/dpzk-server
WRITER=$build/tests/ens/ens_writer
BENCH=$build/bench/dpzk-bench/dpzk-bench
FOURLW=$top/scripts/dpzk-4lw
for f in "$SERVER" "$WRITER" "$BENCH"; do
	[ -x "$f" ] || { echo "ens-bench: $f was not built" >&2; exit 1; }
done
[ -n "$out" ] || out=$(mktemp -d /var/tmp/dpzk-ens-bench.XXXXXX)
mkdir -p "$out"
data=$(mktemp -d /var/tmp/dpzk-ens-bench-data.XXXXXX)
name=""
secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
wpid="" nets=0
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	[ -n "$name" ] && down
	rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip_of() { echo "198.18.0.$((10 + $1))"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
now_ms() { date +%s%3N; }
X() { timeout 20 "$T" exec --name "$name" "$@"; }
state() {
	X python3 "$FOURLW" "$(ip_of "$1")" mntr 2>/dev/null |
		sed -n 's/^zk_server_state\t//p'
}
# wait_roles SECONDS N: one leader ($leader), the others followers
wait_roles() {
	local t=$1 n=$2 i st l f k
	for ((k = 0; k < t * 4; k++)); do
		l=0 f=0
		for ((i = 1; i <= n; i++)); do
			st=$(state "$i")
			[ "$st" = leader ] && l=$((l + 1)) leader=$i
			[ "$st" = follower ] && f=$((f + 1))
		done
		[ "$l" -eq 1 ] && [ $((l + f)) -eq "$n" ] && return 0
		sleep 0.25
	done
	return 1
}
up() { # up N TIMING-ARGS...
	local n=$1 srv=()
	shift
	nets=$((nets + 1))
	name=dpzk-ensbench-$$-$nets-$n
	for ((i = 1; i <= n && n > 1; i++)); do
		srv+=(--server.$i="$(ip_of "$i"):2888:3888")
	done
	[ "$n" -gt 1 ] && srv+=(--ensemble_secret="$secret")
	timeout 120 "$T" up "$n" --bin "$SERVER" --name "$name" --huge off \
		--mem 64 --idle "$idle" --timeout 40 -- \
		--data_dir="$data/$n-{i}" --session_timeout_min_ms=4000 \
		--log_segment_mb=8 "${srv[@]}" "${sargs[@]}" "$@" >/dev/null ||
		{ echo "ens-bench: the test network did not come up" >&2; exit 1; }
}
down() {
	local run=/run/dpzk-testnet/$name f
	for f in "$run"/server*.log; do
		[ -e "$f" ] && cp "$f" "$out/$name-$(basename "$f")"
	done
	timeout 60 "$T" down --name "$name" >/dev/null 2>&1
	name=""
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
maxof() { sort -n | tail -1; }

# bench LABEL SERVER-INDEX WORKLOAD: one dpzk-bench run, prints p50 p99
# p99.9 in us (space separated) and keeps the report
bench() {
	local label=$1 i=$2 wl=$3
	timeout 180 "$T" exec --name "$name" "$BENCH" -t dpzk \
		-c "$(ip_of "$i"):2181" -w "$wl" -C 1 -D 1 -n "$ops" -d 60 \
		--warmup 1 -z 100 -q --json \
		>"$out/lat-$label-$wl.json" 2>"$out/lat-$label-$wl.err"
	python3 - "$out/lat-$label-$wl.json" "$wl" <<'EOF'
import json, sys
want = {"set": "setData", "create-delete": "create"}.get(sys.argv[2])
try:
    r = json.load(open(sys.argv[1]))
    hs = r["results"]["histograms"]
    h = next((h for h in hs if h["name"] == want), hs[0])
    print("%.0f %.0f %.0f" % (h["p50_us"], h["p99_us"], h["p99.9_us"]))
except Exception:
    print("- - -")
EOF
}

echo "ens-bench: $(date -u +%FT%TZ), $(nproc) cores, dpzk $(git -C "$top" rev-parse --short HEAD 2>/dev/null), timing profile $timing, idle $idle, out $out"

# ---------------------------------------------------------------- latency
# dsync P: p50 (us) of O_DSYNC 4 KiB writes with P writers at once on
# the data directory's disk (each prints its own; the median of them)
dsync() {
	local p=$1 i
	for ((i = 1; i <= p; i++)); do
		mkdir -p "$data/dsync$i"
		"$BENCH" -w dsync-write --dir "$data/dsync$i" -n 3000 -d 20 -q \
			--json 2>/dev/null | python3 -c "
import json, sys
try:
    print('%.0f' % json.load(sys.stdin)['results']['histograms'][0]['p50_us'])
except Exception:
    print(0)
" &
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
	wait
	rm -rf "$data"/dsync*
}

if [ "$lat" -eq 1 ]; then
	declare -A L
	# All servers of the test network log to one disk: in a 3-node run
	# three logs write at once.  How much slower that makes each write is
	# the floor of the 3-node/single ratio on this machine.
	d1=$(dsync 1) d3=$(dsync 3)
	python3 -c "
d1, d3 = $d1, $d3
print('disk: O_DSYNC 4 KiB write p50 %d us alone, %d us with 3 writers at once (%.2fx: the floor of the 3-node/single ratio with one shared disk)' % (d1, d3, d3 / d1 if d1 else 0))
"
	echo "  (load $(load))"
	up 1
	for wl in set create-delete; do
		L[1-$wl]=$(bench single 1 "$wl")
		echo "single  $wl p50/p99/p99.9 us: ${L[1-$wl]}  (load $(load))"
	done
	down
	up 3 --timing="$timing"
	wait_roles 30 3 || { echo "ens-bench: no leader" >&2; exit 1; }
	f=$((leader % 3 + 1))
	for wl in set create-delete; do
		L[3l-$wl]=$(bench 3-leader "$leader" "$wl")
		echo "3-node  $wl via leader   p50/p99/p99.9 us: ${L[3l-$wl]}  (load $(load))"
		L[3f-$wl]=$(bench 3-follower "$f" "$wl")
		echo "3-node  $wl via follower p50/p99/p99.9 us: ${L[3f-$wl]}  (load $(load))"
	done
	down
	for wl in set create-delete; do
		s=${L[1-$wl]%% *}
		for v in 3l 3f; do
			e=${L[$v-$wl]%% *}
			python3 -c "
import sys
s, e, goal = '$s', '$e', 1.5
try:
    r = float(e) / float(s)
except Exception:
    print('goal: 3-node $wl p50 ($v) ratio unknown'); sys.exit()
print('goal: 3-node $wl p50 (%s) / single p50 = %.2fx (goal <= %.1fx)%s' % ('via leader' if '$v' == '3l' else 'via follower', r, goal, '' if r <= goal else '  MISSED'))
"
		done
	done
fi

# --------------------------------------------------------------- failover
# failover VIA KILLS: KILLS leader kills with the writer on a follower
# (VIA=follower) or on the leader (VIA=leader); prints each and the median
failover() {
	local via=$1 kills=$2 k old c hosts wlog e0 t_kill ack ms br t i run
	local times=()
	up 3 --timing="$timing"
	run=/run/dpzk-testnet/$name
	wait_roles 30 3 || { echo "ens-bench: no leader" >&2; exit 1; }
	for ((k = 1; k <= kills; k++)); do
		wait_roles 30 3 || { echo "kill $k: ensemble not back to 3" >&2; break; }
		old=$leader
		if [ "$via" = leader ]; then
			c=$old
		else
			c=$((old % 3 + 1))
		fi
		hosts="$(ip_of "$c"):2181"
		for i in 1 2 3; do
			[ "$i" -ne "$c" ] && hosts+=",$(ip_of "$i"):2181"
		done
		wlog=$out/writer-$via.$k
		"$T" exec --name "$name" timeout 60 "$WRITER" "$hosts" 50 /fo \
			>"$wlog" 2>&1 &
		wpid=$!
		for ((t = 0; t < 200; t++)); do
			grep -q '^epoch' "$wlog" 2>/dev/null && break
			sleep 0.1
		done
		e0=$(sed -n 's/^epoch \([0-9]*\).*/\1/p' "$wlog" | tail -1)
		[ -n "$e0" ] || { echo "kill $k: the writer did not start"; cat "$wlog"; break; }
		sleep 0.5
		[ "$(state "$old")" = leader ] || { kill "$wpid"; wait "$wpid"; wpid=""; k=$((k - 1)); continue; }
		t_kill=$(now_ms)
		kill -9 "$(cat "$run/pid.$old")"
		ack=""
		for ((t = 0; t < 300; t++)); do
			# the first epoch change after the kill (an election
			# just before it, a spurious one, is not this kill's)
			ack=$(awk -v e="$e0" -v t="$t_kill" '$1 == "epoch" && $2 > e && $4 >= t {print $4; exit}' "$wlog")
			[ -n "$ack" ] && break
			sleep 0.1
		done
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
		wpid=""
		if [ -z "$ack" ]; then
			echo "kill $k: leader $old, no write acknowledged in a new epoch within 30 s (load $(load))"
		else
			ms=$((ack - t_kill))
			times+=("$ms")
			# where the time went: the survivors' transition lines
			br=$(cat "$run"/server*.log | python3 -c "
import re, sys
t0 = $t_kill / 1000.0
ack = $ack / 1000.0
look = lead = bc = None
stall = 0
for l in sys.stdin:
    m = re.search(r'@([0-9.]+) the lcore did not poll for ([0-9]+) ms', l)
    if m and t0 <= float(m.group(1)) <= ack + 1:
        stall = max(stall, int(m.group(2)))
    m = re.search(r'@([0-9.]+) (\w+): (\w+)', l)
    if not m: continue
    t = float(m.group(1))
    if t < t0 or t > ack: continue
    role, ph = m.group(2), m.group(3)
    if role == 'looking' and look is None: look = t
    if role == 'leader' and ph == 'discovery' and lead is None: lead = t
    if role == 'leader' and ph == 'broadcast' and bc is None: bc = t
def d(a, b):
    return '%4.0f' % ((b - a) * 1000) if a and b else '   ?'
print('detect %s elect %s sync %s client %s%s' % (d(t0, look), d(look, lead), d(lead, bc), d(bc, ack), '; a server lcore stalled %d ms' % stall if stall else ''))
")
			echo "kill $k: leader $old, client on $c: failover $ms ms ($br ms) (load $(load))"
		fi
		timeout 60 "$T" start --name "$name" "$old" >/dev/null 2>&1 ||
			{ echo "kill $k: restart of $old failed"; break; }
	done
	down
	if [ ${#times[@]} -gt 0 ]; then
		med=$(printf '%s\n' "${times[@]}" | median)
		mx=$(printf '%s\n' "${times[@]}" | maxof)
		echo "failover (writer on the $via, timing $timing) over ${#times[@]} kills: median $med ms, max $mx ms (load $(load))"
		[ "$via" = follower ] && python3 -c "
r = $med / 200.0
print('goal: failover median / 200 ms = %.2fx (goal <= 1.0x)%s' % (r, '' if r <= 1.0 else '  MISSED'))
"
	fi
}

if [ "$fo" -eq 1 ]; then
	failover follower "$kills"
	[ "$lkills" -gt 0 ] && failover leader "$lkills"
fi
