#!/usr/bin/env bash
# bench-compare.sh — dpzk against Apache ZooKeeper, same workloads, same run.
#
# Installs what it needs (Debian packages, idempotent), builds dpzk-bench,
# then starts, all on this machine:
#   - Apache ZooKeeper standalone from the Debian package on 127.0.0.1,
#     durable as shipped (forceSync default), 4lw whitelist '*';
#   - a 3-node Apache ZooKeeper ensemble on 127.0.0.1 (own client and peer
#     ports);
#   - dpzk-server standalone in a private test network (scripts/testnet.sh),
#     when it is built; a 3-node dpzk when dpzk-server takes peers;
# and runs each workload against each target in alternation (workload by
# workload, target by target).  Targets: zk, zk-3 (libzookeeper-mt), dpzk,
# dpzk-3 (libdpzk over kernel UDP), dpzk-dpdk (libdpzk with dpzk-bench a
# DPDK process on its own net_tap: kernel bypass at both ends; getData and
# setData workloads), dpzk-memif (the same over net_memif to a second
# dpzk-server whose port is a memif: no kernel on the path at all; same
# workloads) and zk-gw (libzookeeper-mt through dpzk-gateway to the single
# dpzk: the gateway's own cost; get and set).  Then, for every
# target, the throughput at a p99 <= 1 ms SLO on the 90:10 mix: an
# open-loop rate search (doubling, then bisection; bounded steps).  The
# floors are measured in the same run:
# the raw UDP round trip (an in-process kernel echo over loopback;
# dpzk-echo on the dataplane in the test network when built, from a kernel
# socket and from dpzk-bench as a DPDK process; dpzk-echo on a memif port)
# and a raw 4 KiB O_DSYNC write on the data directory's filesystem.  Prints one table
# (workload x target x percentiles, and dpzk/ZooKeeper ratios per
# percentile) and the PNG paths.  Everything it started is stopped on exit.
#
#   scripts/bench-compare.sh [--quick] [--duration S] [--warmup S]
#        [--clients N] [--workloads a,b,...] [--out DIR] [--no-ensemble]
#        [--data-dir DIR] [--build DIR] [--no-slo]
#
#   --quick         2 s per run and a short workload list (a smoke run)
#   --workloads     default: get,exists,set,create-delete,children,mix90,
#                   mix50,mix0,get-open,get-4k,set-4k,get-64k,lock,
#                   election,watch,session
#   --data-dir      data of every server (same filesystem for all), default
#                   /var/tmp/dpzk-bench; left for inspection (server logs
#                   are there), wiped at the next run
#   --out           reports, CSVs and PNGs (default /tmp/dpzk-bench-compare)
#   --no-slo        skip the throughput-at-SLO search
#
# Goals (bench issue) are printed as ratios with "met" or "MISSED".
#
# Needs root (packages, network namespaces, DPDK); re-runs itself with sudo.
set -uo pipefail
# The whole script is one block, parsed before it runs: editing the file
# while a comparison runs cannot change what the running one does.
{

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
	echo "bench-compare: needs root and sudo is not installed" >&2
	exit 1
fi

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

duration=5 warmup=1 clients=4 quick=0 ensemble=1 slo=1
workloads=get,exists,set,create-delete,children,mix90,mix50,mix0,get-open,get-4k,set-4k,get-64k,lock,election,watch,session
out=/tmp/dpzk-bench-compare
data=/var/tmp/dpzk-bench
build=${DPZK_BUILD:-build}
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 duration=2 warmup=0.5 workloads=get,set,mix90,lock,watch ;;
	--duration) duration=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--clients) clients=$2; shift ;;
	--workloads) workloads=$2; shift ;;
	--out) out=$2; shift ;;
	--data-dir) data=$2; shift ;;
	--build) build=$2; shift ;;
	--no-ensemble) ensemble=0 ;;
	--no-slo) slo=0 ;;
	-h | --help) sed -n '2,44p' "$0"; exit 0 ;;
	*) echo "bench-compare: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

say() { printf 'bench-compare: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ------------------------------------------------------------ packages
extra="zookeeper libzookeeper-mt-dev gnuplot-nox"
DPZK_EXTRA_PKGS="$extra" scripts/bootstrap.sh --no-build >&2 || die "bootstrap failed"
[ -f /usr/share/java/zookeeper.jar ] || die "zookeeper.jar not found after install"
command -v java >/dev/null || die "java not found (the zookeeper package should bring it)"

# ------------------------------------------------------------ build
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null || die "meson setup $build failed"
fi
build=$(cd "$build" && pwd)
bench="$build/bench/dpzk-bench/dpzk-bench"
ninja -C "$build" bench/dpzk-bench/dpzk-bench >/tmp/dpzk-bench-build.log 2>&1 ||
	{ tail -30 /tmp/dpzk-bench-build.log; die "building dpzk-bench failed"; }
"$bench" -t zk --check >/dev/null 2>&1
if [ $? -eq 3 ]; then # configured before libzookeeper-mt was installed
	meson setup --reconfigure "$build" >/dev/null || die "reconfigure failed"
	ninja -C "$build" bench/dpzk-bench/dpzk-bench >/tmp/dpzk-bench-build.log 2>&1 ||
		die "building dpzk-bench failed"
fi
server_bin=
echo_bin=
for t in mgmt/dpzk-server dataplane/dpzk-echo gateway/dpzk-gateway; do
	if [ -f "$top/${t%/*}/meson.build" ] && grep -q "'${t#*/}'" "$top/${t%/*}/meson.build"; then
		ninja -C "$build" "$t" >>/tmp/dpzk-bench-build.log 2>&1 || true
	fi
done
[ -x "$build/mgmt/dpzk-server" ] && server_bin="$build/mgmt/dpzk-server"
[ -x "$build/dataplane/dpzk-echo" ] && echo_bin="$build/dataplane/dpzk-echo"
gw_bin=
[ -x "$build/gateway/dpzk-gateway" ] && gw_bin="$build/gateway/dpzk-gateway"
testnet="$top/scripts/testnet.sh"
[ -x "$testnet" ] || testnet=

# ------------------------------------------------------------ clean-up
mkdir -p "$out" "$data"
rm -f "$out"/*.json "$out"/*.txt "$out"/*.csv "$out"/*.png "$out"/*.gp
zk_pids=()
nets=()
gw_pids=()
cleanup() {
	local p n
	for p in "${gw_pids[@]}"; do kill "$p" 2>/dev/null; done
	if [ -n "${memif_pid:-}" ]; then
		kill "$memif_pid" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$memif_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$memif_pid" 2>/dev/null
		rm -rf "/var/run/dpdk/$memif_prefix"
	fi
	for p in "${zk_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${zk_pids[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	for n in "${nets[@]}"; do timeout 60 "$testnet" down --name "$n" >/dev/null 2>&1; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ ZooKeeper
probe() { # port [word]
	(exec 3<>"/dev/tcp/127.0.0.1/$1" && printf '%s' "${2:-ruok}" >&3 &&
		timeout 2 cat <&3) 2>/dev/null
}
port_free() { ! probe "$1" >/dev/null; }

# zk_start NAME CLIENT_PORT [SERVERS_LINES]: a ZooKeeper in $data/NAME
zk_start() {
	local name=$1 port=$2 servers=${3:-} id=${4:-} dir
	dir="$data/$name"
	port_free "$port" || die "127.0.0.1:$port is in use"
	rm -rf "$dir"
	mkdir -p "$dir/conf" "$dir/data"
	cp /etc/zookeeper/conf/log4j.properties "$dir/conf/" 2>/dev/null || true
	cat >"$dir/conf/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
admin.enableServer=false
$servers
EOF
	[ -n "$id" ] && echo "$id" >"$dir/data/myid"
	timeout 7200 java -Xmx512m -Dzookeeper.log.dir="$dir" \
		-Dzookeeper.root.logger=WARN,CONSOLE \
		-cp "$dir/conf:/usr/share/java/zookeeper.jar" \
		org.apache.zookeeper.server.quorum.QuorumPeerMain \
		"$dir/conf/zoo.cfg" >"$dir/zk.log" 2>&1 &
	zk_pids+=($!)
}

zk_wait() { # port... : until each answers imok and serves (srvr shows a mode)
	local p
	for p in "$@"; do
		for _ in $(seq 1 200); do
			probe "$p" srvr | grep -q '^Mode: ' && continue 2
			sleep 0.3
		done
		die "ZooKeeper on 127.0.0.1:$p did not come up (logs in $data)"
	done
}

say "starting Apache ZooKeeper standalone on 127.0.0.1:22181"
zk_start zk-standalone 22181
targets=("zk|zk|127.0.0.1:22181|forceSync=yes (as shipped)|n/a (JVM)|1")
if [ "$ensemble" -eq 1 ]; then
	say "starting a 3-node Apache ZooKeeper on 127.0.0.1:22191-22193"
	lines=$(printf 'server.%d=127.0.0.1:%d:%d\n' 1 22881 23881 2 22882 23882 3 22883 23883)
	for i in 1 2 3; do zk_start "zk-ens$i" $((22190 + i)) "$lines" "$i"; done
	targets+=("zk-3|zk|127.0.0.1:22191,127.0.0.1:22192,127.0.0.1:22193|forceSync=yes (as shipped)|n/a (JVM)|3")
fi
zk_wait 22181
[ "$ensemble" -eq 1 ] && zk_wait 22191 22192 22193

# ------------------------------------------------------------ dpzk
dpzk_note=
dpzk_net=
if [ -z "$server_bin" ]; then
	dpzk_note="dpzk-server not built yet"
elif [ -z "$testnet" ]; then
	dpzk_note="scripts/testnet.sh missing"
else
	rm -rf "$data/dpzk"
	mkdir -p "$data/dpzk"
	dpzk_net="dpzk-bc$$"
	if timeout 120 "$testnet" up 1 --bin "$server_bin" --name "$dpzk_net" \
		--idle adaptive -- --data_dir="$data/dpzk/{i}" --durability=dsync >/dev/null; then
		nets+=("$dpzk_net")
		targets+=("dpzk|dpzk|198.18.0.11:2181|dsync|adaptive|1|$dpzk_net")
	else
		dpzk_note="dpzk-server did not start in the test network"
		dpzk_net=
	fi
fi
# dpzk-dpdk: the same server, the bench a DPDK process with its own tap on
# the test network's bridge (198.18.0.200); getData/setData workloads
dpdk_note=
dpdk_wls=",get,set,get-4k,set-4k,get-64k,get-open,"
if [ -z "$dpzk_net" ]; then
	dpdk_note="no dpzk-server (${dpzk_note:-not started})"
elif why=$("$bench" -t dpzk-dpdk --dpdk-bridge none --dpdk-iface "dpzkbk$$" --check 2>&1); then
	targets+=("dpzk-dpdk|dpzk-dpdk|198.18.0.11:2181|dsync|adaptive|1|$dpzk_net|--dpdk-ip 198.18.0.200 --dpdk-iface dpzkbc$$|$dpdk_wls")
else
	dpdk_note="dpzk-dpdk not usable: $(echo "$why" | tail -1)"
fi
# dpzk-memif: kernel bypass with no kernel at all on the path — a second
# dpzk-server (same durability, idle policy and core as the test network's)
# whose port is a net_memif in the server role; dpzk-bench joins it as the
# memif client (shared memory, both ends polling).  No test network: the
# link is the two processes' shared memory.
memif_note=
memif_pid=
memif_prefix="dpzk-bm$$"
if [ -z "$server_bin" ]; then
	memif_note="dpzk-server not built yet"
elif [ -n "$dpdk_note" ]; then
	memif_note="$dpdk_note"
else
	rm -rf "$data/dpzk-memif"
	mkdir -p "$data/dpzk-memif/data"
	msock="$data/dpzk-memif/memif.sock"
	"$server_bin" --vdev="net_memif0,role=server,socket=$msock" --ip=198.18.1.11 \
		--netmask=255.255.255.0 --lcores=0 --file-prefix="$memif_prefix" --huge=auto \
		--mem_mb=64 --idle=adaptive --server_id=1 --data_dir="$data/dpzk-memif/data" \
		--durability=dsync >"$data/dpzk-memif/server.log" 2>&1 </dev/null &
	memif_pid=$!
	for _ in $(seq 1 100); do
		grep -q "ready" "$data/dpzk-memif/server.log" && break
		kill -0 "$memif_pid" 2>/dev/null || break
		sleep 0.2
	done
	if grep -q "ready" "$data/dpzk-memif/server.log"; then
		targets+=("dpzk-memif|dpzk-dpdk|198.18.1.11:2181|dsync|adaptive|1||--dpdk-vdev net_memif0,role=client,socket=$msock --dpdk-bridge none --dpdk-ip 198.18.1.200|$dpdk_wls")
	else
		memif_note="dpzk-server on net_memif did not start ($(tail -1 "$data/dpzk-memif/server.log"))"
	fi
fi
# zk-gw: Apache ZooKeeper's C client through dpzk-gateway (in the test
# network's namespace, 127.0.0.1:2281) to the single dpzk: get and set
gw_note=
if [ -z "$gw_bin" ]; then
	gw_note="gateway not built"
elif [ -z "$dpzk_net" ]; then
	gw_note="no dpzk-server (${dpzk_note:-not started})"
else
	"$testnet" exec --name "$dpzk_net" "$gw_bin" --servers 198.18.0.11:2181 \
		--port 2281 --bind 127.0.0.1 >"$data/gateway.log" 2>&1 &
	gw_pids+=($!)
	for _ in $(seq 1 50); do
		grep -q "listening on" "$data/gateway.log" && break
		sleep 0.2
	done
	if grep -q "listening on" "$data/gateway.log"; then
		targets+=("zk-gw|zk|127.0.0.1:2281|dsync (dpzk)|adaptive (dpzk)|1|$dpzk_net||,get,set,")
	else
		gw_note="dpzk-gateway did not start ($(tail -1 "$data/gateway.log"))"
	fi
fi
dpzk3_note=
if [ "$ensemble" -eq 0 ]; then
	dpzk3_note="not run (--no-ensemble)"
elif [ -z "$server_bin" ] || [ -z "$testnet" ]; then
	dpzk3_note="dpzk-server not built yet"
elif ! "$server_bin" --help 2>/dev/null | grep -q -- '--server.N'; then
	dpzk3_note="dpzk-server takes no peers (standalone only)"
else
	# three servers in their own test network, Zab over the peer channel,
	# same durability and idle policy as the single node
	rm -rf "$data/dpzk3"
	mkdir -p "$data/dpzk3"
	dpzk3_net="dpzk-b3$$"
	secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	if timeout 180 "$testnet" up 3 --bin "$server_bin" --name "$dpzk3_net" \
		--idle adaptive -- --data_dir="$data/dpzk3/{i}" --durability=dsync \
		--log_segment_mb=8 --server.1=198.18.0.11:2888:3888 \
		--server.2=198.18.0.12:2888:3888 --server.3=198.18.0.13:2888:3888 \
		--ensemble_secret="$secret" >/dev/null; then
		nets+=("$dpzk3_net")
		sleep 3 # first election
		targets+=("dpzk-3|dpzk|198.18.0.11:2181,198.18.0.12:2181,198.18.0.13:2181|dsync|adaptive|3|$dpzk3_net")
	else
		dpzk3_note="the 3-node dpzk did not start in the test network"
	fi
fi

# ------------------------------------------------------------ runs
wl_args() { # name -> dpzk-bench flags
	case "$1" in
	get) echo "-w get" ;;
	exists) echo "-w exists" ;;
	set) echo "-w set" ;;
	create-delete) echo "-w create-delete" ;;
	children) echo "-w children --children 100" ;;
	mix90) echo "-w mix --read-pct 90" ;;
	mix50) echo "-w mix --read-pct 50" ;;
	mix0) echo "-w mix --read-pct 0" ;;
	get-open) echo "-w get -D 64 -r 2000" ;;
	get-4k) echo "-w get -s 4096" ;;
	set-4k) echo "-w set -s 4096" ;;
	get-64k) echo "-w get -s 65536 -z 100" ;;
	lock) echo "-w lock" ;;
	election) echo "-w election" ;;
	watch) echo "-w watch" ;;
	session) echo "-w session" ;;
	*) return 1 ;;
	esac
}

run_one() { # label target hosts durability idle ensemble net extra wl [flags...]
	local label=$1 tgt=$2 hosts=$3 dur=$4 idle=$5 ens=$6 net=$7 extra=$8 wl=$9 args rc
	shift 9
	if [ "${wl#slo-}" != "$wl" ]; then
		args="$*" # the SLO search gives its own flags
	else
		args=$(wl_args "$wl") || { say "unknown workload $wl"; return; }
	fi
	local cmd=("$bench" -q -t "$tgt" -c "$hosts" -C "$clients" --warmup "$warmup"
		-d "$duration" --durability "$dur" --idle "$idle" --ensemble "$ens"
		--label "$label" -o "$out/$label-$wl")
	# shellcheck disable=SC2206
	cmd+=($args $extra)
	if [ -n "$net" ]; then
		DPZK_GIT_REV=$(git -C "$top" rev-parse --short HEAD 2>/dev/null) \
			timeout 300 "$testnet" exec --name "$net" "${cmd[@]}" >/dev/null 2>"$out/$label-$wl.err"
	else
		timeout 300 "${cmd[@]}" >/dev/null 2>"$out/$label-$wl.err"
	fi
	rc=$?
	[ $rc -eq 0 ] || say "$label $wl: exit $rc ($(tail -1 "$out/$label-$wl.err"))"
}

IFS=, read -r -a wls <<<"$workloads"
say "floors: UDP round trip and 4 KiB O_DSYNC write"
"$bench" -q -w udp-echo -c self --warmup "$warmup" -d "$duration" --label udp-loopback \
	-o "$out/floor-udp-loopback" >/dev/null 2>"$out/floor-udp-loopback.err" ||
	say "udp-echo floor failed"
"$bench" -q -w dsync-write --dir "$data" --warmup "$warmup" -d "$duration" --label dsync \
	-o "$out/floor-dsync" >/dev/null 2>"$out/floor-dsync.err" || say "dsync floor failed"
if [ -n "$echo_bin" ] && [ -n "$testnet" ]; then
	en="dpzk-be$$"
	if timeout 120 "$testnet" up 1 --bin "$echo_bin" --name "$en" --idle adaptive >/dev/null 2>&1; then
		nets+=("$en")
		timeout 120 "$testnet" exec --name "$en" "$bench" -q -w udp-echo -c 198.18.0.11:2181 \
			--warmup "$warmup" -d "$duration" --label udp-dpzk-echo --idle adaptive \
			-o "$out/floor-udp-dpzk-echo" >/dev/null 2>"$out/floor-udp-dpzk-echo.err" ||
			say "dpzk-echo floor failed"
		# the kernel-bypass floor on the same tap path: dpzk-bench as a
		# DPDK process (the dpzk-dpdk rows' transport)
		if [ -z "$dpdk_note" ]; then
			timeout 120 "$testnet" exec --name "$en" "$bench" -q -w udp-echo-dpdk \
				-c 198.18.0.11:2181 --dpdk-ip 198.18.0.200 --dpdk-iface "dpzkbf$$" \
				--warmup "$warmup" -d "$duration" --label udp-tap-bypass --idle adaptive \
				-o "$out/floor-udp-tap-bypass" >/dev/null 2>"$out/floor-udp-tap-bypass.err" ||
				say "tap bypass floor failed"
		fi
		timeout 60 "$testnet" down --name "$en" >/dev/null 2>&1
	fi
fi
# the memif floor: dpzk-echo on a net_memif port, dpzk-bench its client
if [ -n "$echo_bin" ] && [ -n "$memif_pid" ]; then
	esock="$data/dpzk-memif/echo.sock"
	"$echo_bin" --vdev="net_memif0,role=server,socket=$esock" --ip=198.18.1.11 \
		--netmask=255.255.255.0 --lcores=0 --file-prefix="dpzk-bme$$" --huge=auto \
		--mem_mb=64 --idle=adaptive >"$data/dpzk-memif/echo.log" 2>&1 </dev/null &
	echo_pid=$!
	sleep 2
	timeout 120 "$bench" -q -w udp-echo-dpdk -c 198.18.1.11:2181 --dpdk-ip 198.18.1.200 \
		--dpdk-bridge none --dpdk-vdev "net_memif0,role=client,socket=$esock" \
		--warmup "$warmup" -d "$duration" --label udp-memif --idle adaptive \
		-o "$out/floor-udp-memif" >/dev/null 2>"$out/floor-udp-memif.err" ||
		say "memif floor failed"
	kill "$echo_pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$echo_pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$echo_pid" 2>/dev/null
	rm -rf "/var/run/dpdk/dpzk-bme$$"
fi

total=$((${#wls[@]} * ${#targets[@]}))
n=0
for wl in "${wls[@]}"; do
	for t in "${targets[@]}"; do
		IFS='|' read -r label tgt hosts dur idle ens net extra only <<<"$t"
		n=$((n + 1))
		if [ -n "${only:-}" ] && [ "${only#*,"$wl",}" = "$only" ]; then
			continue # this target runs only some workloads
		fi
		say "[$n/$total] $wl on $label"
		run_one "$label" "$tgt" "$hosts" "$dur" "$idle" "$ens" "${net:-}" "${extra:-}" "$wl"
	done
	# one plot per workload, every target on it
	plots=()
	for t in "${targets[@]}"; do
		IFS='|' read -r label _ <<<"$t"
		[ -s "$out/$label-$wl.pct.csv" ] && plots+=("$label=$out/$label-$wl.pct.csv")
	done
	[ ${#plots[@]} -gt 0 ] && "$bench" plot "$out/$wl.png" "$wl" "${plots[@]}" >/dev/null 2>&1
done

# ------------------------------------------------------------ SLO search
# Throughput at p99 <= 1 ms, 90:10 getData:setData, open loop (send times
# fixed in advance, latency from the intended time), the same clients and
# outstanding cap for every target.  A step passes when p99 <= 1000 us,
# there is no error and the completions reach 90 % of the offered rate.
# From 1000/s: doubling while steps pass (at most 12 steps), or halving
# while they fail (down to 62/s; 0 when even that misses the SLO), then
# bisection between the last pass and the first failure (4 steps, 2 with
# --quick).  Each step lasts 2 s (1 s with --quick) or long enough to
# offer 1000 operations (10 s at most), so p99 is a real p99.
slo_judge() { # json -> "pass|fail p99 ops/s"
	python3 - "$1" "$2" <<'PY' 2>/dev/null || echo "fail - -"
import json, sys
r = json.load(open(sys.argv[1])); rate = float(sys.argv[2])
h = r["results"]["histograms"][0]
ok = (not r.get("error")) and r["results"]["errors"] == 0 and h["count"] > 0 \
    and h["p99_us"] <= 1000.0 and h["throughput"] >= 0.9 * rate
print("%s %.1f %.0f" % ("pass" if ok else "fail", h["p99_us"], h["throughput"]))
PY
}
slo_step() { # target-line rate: one open-loop step, prints "pass|fail p99 ops/s"
	local label tgt hosts dur idle ens net extra only rate=$2 d
	IFS='|' read -r label tgt hosts dur idle ens net extra only <<<"$1"
	# at least ~1000 operations offered per step, so p99 is a real p99
	d=$(awk -v r="$rate" -v s="$sdur" 'BEGIN { d = 1000 / r; if (d < s) d = s; if (d > 10) d = 10; print d }')
	duration=$d warmup=$swarm run_one "$label" "$tgt" "$hosts" "$dur" "$idle" "$ens" \
		"${net:-}" "${extra:-}" slo-mix90 -w mix --read-pct 90 -D 64 -r "$rate"
	slo_judge "$out/$label-slo-mix90.json" "$rate"
}
slo_search() { # target-line: writes $out/<label>-slo.txt "rate p99 ops/s steps how"
	local label rate lo=0 hi=0 steps=0 v p99 tp best="0 - -" bis=4
	IFS='|' read -r label _ <<<"$1"
	[ "$quick" -eq 1 ] && bis=2
	rate=1000
	while [ $steps -lt 12 ]; do # up: x2 while the SLO holds
		steps=$((steps + 1))
		read -r v p99 tp <<<"$(slo_step "$1" "$rate")"
		say "  slo $label: $rate/s offered -> $v (p99 $p99 us, $tp ops/s)"
		if [ "$v" = pass ]; then lo=$rate; best="$rate $p99 $tp"; rate=$((rate * 2)); else hi=$rate; break; fi
	done
	while [ $lo -eq 0 ] && [ $hi -gt 100 ]; do # down: /2 until it holds
		steps=$((steps + 1))
		rate=$((hi / 2))
		read -r v p99 tp <<<"$(slo_step "$1" "$rate")"
		say "  slo $label: $rate/s offered -> $v (p99 $p99 us, $tp ops/s)"
		if [ "$v" = pass ]; then lo=$rate; best="$rate $p99 $tp"; else hi=$rate; fi
	done
	while [ $lo -gt 0 ] && [ $hi -gt 0 ] && [ $bis -gt 0 ] && [ $((hi - lo)) -gt $((hi / 20)) ]; do
		bis=$((bis - 1)) steps=$((steps + 1))
		rate=$(((lo + hi) / 2))
		read -r v p99 tp <<<"$(slo_step "$1" "$rate")"
		say "  slo $label: $rate/s offered -> $v (p99 $p99 us, $tp ops/s)"
		if [ "$v" = pass ]; then lo=$rate; best="$rate $p99 $tp"; else hi=$rate; fi
	done
	echo "$best $steps $([ $hi -eq 0 ] && echo capped || echo found)" >"$out/$label-slo.txt"
}
sdur=2 swarm=0.5
[ "$quick" -eq 1 ] && sdur=1 swarm=0.3
if [ "$slo" -eq 1 ]; then
	say "throughput at p99 <= 1 ms (90:10 mix, open loop): rate search per target"
	for t in "${targets[@]}"; do
		slo_search "$t"
	done
fi

# ------------------------------------------------------------ table
labels=()
for t in "${targets[@]}"; do IFS='|' read -r label _ <<<"$t"; labels+=("$label"); done
python3 - "$out" "$workloads" "${labels[*]}" "$dpzk_note" "$dpzk3_note" "$dpdk_note" "$gw_note" "$slo" "$(cut -d' ' -f1-3 /proc/loadavg)" "$memif_note" <<'PY'
import json, os, sys
out, wls, labels = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split()
notes = {"dpzk": sys.argv[4], "dpzk-3": sys.argv[5], "dpzk-dpdk": sys.argv[6], "zk-gw": sys.argv[7],
         "dpzk-memif": sys.argv[10]}
slo_on, load = sys.argv[8] == "1", sys.argv[9]
load_text = "?"
try:
    c = json.load(open(os.path.join(out, labels[0] + "-slo-mix90.json")))["config"]
    load_text = "%d clients, at most %d outstanding each, %d thread(s), %.1f s warm-up per step" % (
        c["clients"], c["depth"], c["threads"], c["warmup_s"])
except Exception:
    pass
# which workloads a target runs (others: every one)
only = {"dpzk-dpdk": {"get", "set", "get-4k", "set-4k", "get-64k", "get-open"}, "zk-gw": {"get", "set"}}
only["dpzk-memif"] = only["dpzk-dpdk"]
shown = {"zk-gw": "zk-gw-dpzk"}
short = {"dpzk-dpdk": "dpdk", "dpzk-memif": "memif", "zk-gw": "gw"}  # in ratio rows
P = ["p50_us", "p90_us", "p99_us", "p99.9_us", "p99.99_us", "max_us"]
def load_json(name):
    try:
        return json.load(open(os.path.join(out, name + ".json")))
    except Exception:
        return None
head = None
for n in ["zk-get", "floor-udp-loopback"] + ["%s-%s" % (l, w) for l in labels for w in wls]:
    head = load_json(n)
    if head: break
if head:
    m, v = head["machine"], head["versions"]
    print("machine  : %s, %d cores, %s; load average at the end %s" % (m["cpu"], m["cores"], m["kernel"], load))
    zk = load_json("zk-" + wls[0])
    print("versions : dpzk %s, DPDK %s, ZooKeeper %s, libzookeeper-mt %s" % (
        v["dpzk"], v["dpdk"], zk["versions"]["server"] if zk else "?", v["libzookeeper_mt"]))
print("config   : zk = Apache ZooKeeper standalone (forceSync as shipped), zk-3 = 3-node ZooKeeper,")
print("           dpzk = dpzk-server standalone, dpzk-3 = 3-node dpzk (durability dsync, idle adaptive, net_tap in test namespaces)")
print("           dpzk-dpdk = the same dpzk-server, dpzk-bench a DPDK process (own net_tap on the bridge, busy-polling)")
print("           dpzk-memif = a dpzk-server (same settings) on a net_memif port, dpzk-bench its memif client: shared memory,")
print("                        no kernel on the path, both ends polling")
print("           zk-gw-dpzk = libzookeeper-mt -> dpzk-gateway (TCP, same namespace) -> the same dpzk-server")
print("latency in microseconds; ratio = target / zk (below 1: faster than ZooKeeper); same clients, values, durability for all")
print()
fmt = "%-14s %-12s %-9s %9s %9s %9s %9s %9s %9s %9s %7s"
print(fmt % ("workload", "target", "hist", "ops/s", "p50", "p90", "p99", "p99.9", "p99.99", "max", "errors"))
def rows(wl, label, r):
    for i, h in enumerate(r["results"]["histograms"]):
        if i > 0 and h["count"] == 0:
            continue
        print(fmt % (wl, shown.get(label, label), h["name"][:9], "%.0f" % h["throughput"],
                     *["%.1f" % h[k] for k in P], r["results"]["errors"]))
floors = {}
for name, label in (("floor-udp-loopback", "udp-lo"), ("floor-udp-dpzk-echo", "udp-dpdk"),
                    ("floor-udp-tap-bypass", "udp-tap-byp"), ("floor-udp-memif", "udp-memif"),
                    ("floor-dsync", "dsync-4k")):
    r = load_json(name)
    if r:
        rows("floor", label, r)
        floors[label] = r["results"]["histograms"][0]
res = {}
for wl in wls:
    rs = {}
    for l in labels:
        if l in only and wl not in only[l]:
            continue
        r = load_json("%s-%s" % (l, wl))
        if r is None or r.get("error"):
            print(fmt % (wl, shown.get(l, l), "-", "-", *(["-"] * 6), "-") + "   (run failed: see %s-%s.err)" % (l, wl))
            continue
        if r["results"]["histograms"][0]["count"] == 0:
            print(fmt % (wl, shown.get(l, l), "-", "0", *(["-"] * 6), r["results"]["errors"]) +
                  "   (nothing completed in the measured window: a stall; see %s-%s.persec.csv)" % (l, wl))
            continue
        rs[l] = r
        rows(wl, l, r)
    for l in ("dpzk", "dpzk-3", "dpzk-dpdk", "dpzk-memif", "zk-gw"):
        if l not in labels and (l not in only or wl in only[l]):
            print("%-14s %-12s %s" % (wl, shown.get(l, l), notes[l] or "not run"))
    for a, b in (("dpzk", "zk"), ("dpzk-3", "zk-3"), ("dpzk-dpdk", "zk"), ("dpzk-memif", "zk"), ("zk-gw", "zk"),
                 ("zk-gw", "dpzk")):
        if a in rs and b in rs:
            for ha, hb in zip(rs[a]["results"]["histograms"], rs[b]["results"]["histograms"]):
                if ha["count"] == 0 or hb["count"] == 0:
                    continue
                print(fmt % (wl, short.get(a, a) + "/" + b, ha["name"][:9],
                             "%.2f" % (ha["throughput"] / hb["throughput"] if hb["throughput"] else 0),
                             *["%.2f" % (ha[k] / hb[k] if hb[k] else 0) for k in P], ""))
    res[wl] = rs

# throughput at the SLO
slo = {}
if slo_on:
    print()
    print("throughput at p99 <= 1 ms, 90:10 getData:setData, open loop, %s;" % load_text)
    print("offered 1000/s doubling (or halving), then bisection; >= 1000 ops offered per step; a step passes with")
    print("p99 <= 1000 us, no error and >= 90 % of the offered rate done (max ops/s 0: not even 62/s)")
    sfmt = "%-12s %12s %10s %10s %6s  %s"
    print(sfmt % ("target", "max ops/s", "p99 there", "done/s", "steps", "note"))
    for l in labels:
        try:
            rate, p99, tp, steps, how = open(os.path.join(out, l + "-slo.txt")).read().split()
        except Exception:
            print(sfmt % (shown.get(l, l), "-", "-", "-", "-", "search failed"))
            continue
        slo[l] = float(rate)
        print(sfmt % (shown.get(l, l), rate, p99, tp, steps,
                      "" if how == "found" else "never missed the SLO within the steps: a lower bound"))
    for a, b in (("dpzk", "zk"), ("dpzk-3", "zk-3"), ("dpzk-dpdk", "zk"), ("dpzk-memif", "zk"), ("zk-gw", "zk")):
        if a in slo and b in slo and slo[b] > 0:
            print(sfmt % (short.get(a, a) + "/" + b, "%.2f" % (slo[a] / slo[b]), "", "", "", "ratio"))

# goals of the bench issue, as ratios
print()
print("goals (this run):")
def pct(wl, l, k):
    r = res.get(wl, {}).get(l)
    return r["results"]["histograms"][0][k] if r else None
def goal(text, val, limit, le=True):
    if val is None:
        print("  %-58s %8s   not measured" % (text, "-"))
        return
    ok = val <= limit if le else val >= limit
    print("  %-58s %8.3f   %s (goal %s %g)" % (text, val, "met" if ok else "MISSED", "<=" if le else ">=", limit))
def ratio(wl, a, b, k):
    x, y = pct(wl, a, k), pct(wl, b, k)
    return x / y if x is not None and y else None
goal("getData p50, dpzk / zk", ratio("get", "dpzk", "zk", "p50_us"), 0.2)
goal("getData p99.9, dpzk / zk", ratio("get", "dpzk", "zk", "p99.9_us"), 0.1)
goal("setData p50, dpzk / zk", ratio("set", "dpzk", "zk", "p50_us"), 0.5)
goal("setData p99.9, dpzk / zk", ratio("set", "dpzk", "zk", "p99.9_us"), 0.2)
goal("getData p50, dpzk-dpdk (kernel bypass, net_tap) / zk", ratio("get", "dpzk-dpdk", "zk", "p50_us"), 0.05)
goal("getData p50, dpzk-memif (kernel bypass, net_memif) / zk", ratio("get", "dpzk-memif", "zk", "p50_us"), 0.05)
if slo_on:
    for a in ("dpzk", "dpzk-dpdk", "dpzk-memif"):
        text = "throughput at p99 <= 1 ms (90:10), %s / zk" % a
        if slo.get(a) and slo.get("zk") == 0:
            # zk missed it even at 62/s: its rate is below that
            lb = slo[a] / 62.0
            print("  %-58s %8s   %s (goal >= 5; zk missed the SLO down to 62/s)" % (
                text, "> %.1f" % lb, "met" if lb >= 5 else "not decided"))
        elif slo.get(a) == 0 and slo.get("zk") == 0:
            print("  %-58s %8s   neither met the SLO down to 62/s" % (text, "-"))
        else:
            goal(text, slo[a] / slo["zk"] if slo.get(a) is not None and slo.get("zk") else None, 5, le=False)
udp = floors.get("udp-dpdk", {}).get("p50_us")
dsync = floors.get("dsync-4k", {}).get("p50_us")
g = pct("get", "dpzk", "p50_us")
goal("getData p50, dpzk / udp-dpdk floor p50", g / udp if g and udp else None, 1.3)
st = pct("set", "dpzk", "p50_us")
goal("setData p50, dpzk / (udp-dpdk + dsync-4k floors' p50)", st / (udp + dsync) if st and udp and dsync else None, 1.3)
for row, fl in (("dpzk-dpdk", "udp-tap-byp"), ("dpzk-memif", "udp-memif")):
    f = floors.get(fl, {}).get("p50_us")
    g = pct("get", row, "p50_us")
    goal("getData p50, %s / %s floor p50" % (row, fl), g / f if g and f else None, 1.3)
print()
pngs = [os.path.join(out, w + ".png") for w in wls if os.path.exists(os.path.join(out, w + ".png"))]
print("plots    : " + (" ".join(pngs) if pngs else "none (gnuplot missing?)"))
print("reports  : %s/*.txt, *.json, *.hist.csv, *.pct.csv, *.persec.csv; SLO steps: *-slo-mix90.*, *-slo.txt" % out)
PY
exit 0
}
