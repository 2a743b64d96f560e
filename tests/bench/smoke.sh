#!/usr/bin/env bash
# smoke.sh — every dpzk-bench workload once against a real server:
#   smoke.sh zk   BENCH                  a private Apache ZooKeeper standalone
#                                        (Debian's `zookeeper`) on loopback
#   smoke.sh dpzk BENCH TESTNET SERVER   dpzk-server standalone in a private
#                                        test network (scripts/testnet.sh)
#   smoke.sh dpzk-dpdk BENCH TESTNET SERVER   the same server, the bench as a
#                                        DPDK process on its own net_tap
#                                        (kernel bypass at both ends)
#   smoke.sh dpzk-memif BENCH TESTNET SERVER  dpzk-server on a net_memif port,
#                                        the bench its memif client (no
#                                        kernel on the path; no test network)
#
# Asserts that each run completes and writes a well-formed report (JSON
# with machine, versions, config and non-empty histograms, no errors; the
# text report's header; the CSVs) — never a timing.  Exits 77 (skip) when
# what the mode needs is absent (the zookeeper package, java, root, the
# target in dpzk-bench, dpzk-server; for dpzk-dpdk: DPDK's EAL and a tap,
# which --check tries).
set -uo pipefail

mode=${1:?usage: smoke.sh zk|dpzk BENCH [TESTNET SERVER]}
bench=${2:?usage: smoke.sh zk|dpzk BENCH [TESTNET SERVER]}
testnet=${3:-}
server=${4:-}
jar=/usr/share/java/zookeeper.jar
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed to check the JSON reports"
	exit 77
fi
case "$mode" in
zk)
	if [ ! -f "$jar" ] || ! command -v java >/dev/null 2>&1; then
		echo "SKIP: Apache ZooKeeper (Debian package 'zookeeper') or java is not installed"
		exit 77
	fi
	;;
dpzk | dpzk-dpdk | dpzk-memif)
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: the dpzk smoke run needs root (test network namespace)"
		exit 77
	fi
	if [ ! -x "$testnet" ] || [ ! -x "$server" ]; then
		echo "SKIP: scripts/testnet.sh or dpzk-server is not built"
		exit 77
	fi
	;;
*) echo "smoke.sh: mode zk, dpzk, dpzk-dpdk or dpzk-memif, not '$mode'"; exit 2 ;;
esac
target=$mode
[ "$mode" = dpzk-memif ] && target=dpzk-dpdk
if [ "$target" = dpzk-dpdk ]; then
	# --check starts EAL and the tap (outside any bridge): it says why not
	why=$("$bench" -t dpzk-dpdk --dpdk-bridge none --check 2>&1)
	if [ $? -ne 0 ]; then
		echo "SKIP: dpzk-bench's dpzk-dpdk target is not usable here: $(echo "$why" | tail -1)"
		exit 77
	fi
else
	"$bench" -t "$mode" --check >/dev/null 2>&1
	if [ $? -eq 3 ]; then
		echo "SKIP: dpzk-bench was built without the $mode target"
		exit 77
	fi
fi

tmp=$(mktemp -d /tmp/dpzk-bench-smoke.XXXXXX)
zkpid=
net=
mpid=
cleanup() {
	if [ -n "$mpid" ]; then
		kill "$mpid" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$mpid" 2>/dev/null
		rm -rf "/var/run/dpdk/dpzk-bsmm$$"
	fi
	if [ -n "$net" ]; then
		timeout 60 "$testnet" down --name "$net" >/dev/null 2>&1
	fi
	if [ -n "$zkpid" ]; then
		kill "$zkpid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$zkpid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$zkpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

probe() { # port [word]: a four-letter word's answer, or fail
	(exec 3<>"/dev/tcp/127.0.0.1/$1" && printf '%s' "${2:-ruok}" >&3 &&
		timeout 2 cat <&3) 2>/dev/null
}

start_zk() {
	# a free loopback port: nothing answers on it
	port=
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		if ! probe "$p" >/dev/null; then port=$p; break; fi
	done
	[ -n "$port" ] || { echo "no free port found"; exit 1; }

	mkdir -p "$tmp/conf" "$tmp/data"
	cp /etc/zookeeper/conf/log4j.properties "$tmp/conf/" 2>/dev/null || true
	cat >"$tmp/conf/zoo.cfg" <<-CFG
	tickTime=2000
	initLimit=10
	syncLimit=5
	dataDir=$tmp/data
	clientPort=$port
	clientPortAddress=127.0.0.1
	4lw.commands.whitelist=*
	admin.enableServer=false
	CFG
	timeout 600 java -Xmx512m -Dzookeeper.log.dir="$tmp" -Dzookeeper.root.logger=WARN,CONSOLE \
		-cp "$tmp/conf:$jar" org.apache.zookeeper.server.quorum.QuorumPeerMain \
		"$tmp/conf/zoo.cfg" >"$tmp/zk.log" 2>&1 &
	zkpid=$!
	up=0
	for _ in $(seq 1 100); do
		if [ "$(probe "$port")" = imok ]; then up=1; break; fi
		sleep 0.3
	done
	if [ $up -ne 1 ]; then
		echo "ZooKeeper did not start on 127.0.0.1:$port"; tail -20 "$tmp/zk.log"; exit 1
	fi
	hosts=127.0.0.1:$port
}

start_dpzk() {
	net="dpzk-bsm$$"
	mkdir -p "$tmp/data"
	if ! timeout 120 "$testnet" up 1 --bin "$server" --name "$net" --idle adaptive \
		-- --data_dir="$tmp/data/{i}" --durability=dsync >"$tmp/testnet.log" 2>&1; then
		cat "$tmp/testnet.log"
		net=
		echo "dpzk-server did not start in the test network"
		exit 1
	fi
	hosts=$("$testnet" ip 1):2181
}

start_memif() {
	mkdir -p "$tmp/data"
	"$server" --vdev="net_memif0,role=server,socket=$tmp/memif.sock" --ip=198.18.1.11 \
		--netmask=255.255.255.0 --lcores=0 --file-prefix="dpzk-bsmm$$" --huge=auto \
		--mem_mb=64 --idle=adaptive --server_id=1 --data_dir="$tmp/data/1" \
		--durability=dsync >"$tmp/server.log" 2>&1 </dev/null &
	mpid=$!
	for _ in $(seq 1 100); do
		grep -q "ready" "$tmp/server.log" && break
		kill -0 "$mpid" 2>/dev/null || break
		sleep 0.2
	done
	if ! grep -q "ready" "$tmp/server.log"; then
		tail -20 "$tmp/server.log"
		echo "dpzk-server on net_memif did not start"
		exit 1
	fi
	hosts=198.18.1.11:2181
}

case "$mode" in
zk) start_zk ;;
dpzk-memif) start_memif ;;
*) start_dpzk ;;
esac
# the DPDK client's own address on the test network (a unique tap name)
extra=()
[ "$mode" = dpzk-dpdk ] && extra=(--dpdk-ip 198.18.0.200 --dpdk-iface "dpzkbs$$")
[ "$mode" = dpzk-memif ] && extra=(--dpdk-ip 198.18.1.200 --dpdk-bridge none
	--dpdk-vdev "net_memif0,role=client,socket=$tmp/memif.sock")

check_json() { # file workload nhist
	python3 - "$@" <<'PY'
import json, sys
path, wl, nhist = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = json.load(open(path))
for k in ("machine", "versions", "config", "results", "per_second"):
    assert k in r, "missing " + k
assert r["machine"]["cores"] >= 1 and r["machine"]["cpu"]
assert r["versions"]["dpzk"] and "dpdk" in r["versions"]
assert r["config"]["workload"] == wl, r["config"]["workload"]
assert r["error"] == "", r["error"]
h = r["results"]["histograms"]
assert len(h) == nhist, (len(h), nhist)
assert h[0]["count"] > 0, "no operation recorded"
for x in h:
    for k in ("p50_us", "p90_us", "p99_us", "p99.9_us", "p99.99_us", "max_us", "mean_us", "throughput"):
        assert k in x, "missing " + k
    if x["count"]:
        assert x["p50_us"] <= x["p99_us"] <= x["max_us"] + 1e-9
        assert sum(b[2] for b in x["buckets"]) == x["count"]
assert r["results"]["errors"] == 0, r["results"]["errors"]
PY
}

pass=0 fail=0
run() { # name nhist args...
	local name=$1 nhist=$2 wl
	shift 2
	wl=$(printf '%s\n' "$@" | sed -n '/^-w$/{n;p}')
	local pre=()
	[ -n "$net" ] && pre=("$testnet" exec --name "$net")
	if timeout 120 "${pre[@]}" "$bench" -q -t "$target" -c "$hosts" --warmup 0.2 -d 1 \
		"${extra[@]}" -o "$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &&
		head -1 "$tmp/$name.out" | grep -q '^dpzk-bench report$' &&
		grep -q '^machine ' "$tmp/$name.out" &&
		grep -q '^versions ' "$tmp/$name.out" &&
		grep -q '^config ' "$tmp/$name.out" &&
		check_json "$tmp/$name.json" "$wl" "$nhist" 2>"$tmp/$name.py" &&
		[ -s "$tmp/$name.hist.csv" ] && [ -s "$tmp/$name.pct.csv" ] && [ -s "$tmp/$name.persec.csv" ]; then
		echo "ok   $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		cat "$tmp/$name.out" "$tmp/$name.err" "$tmp/$name.py" 2>/dev/null | tail -20
		fail=$((fail + 1))
	fi
}

run get 1 -w get -C 2 -D 2 -T 2 -z 200
run exists 1 -w exists -C 2 -z 200
run set 1 -w set -C 2 -z 200 -s 1024
run create-delete 1 -w create-delete -C 2 -D 2
run children 1 -w children -C 1 --children 20
run mix-90-10 3 -w mix --read-pct 90 -C 2 -z 200
run mix-50-50 3 -w mix --read-pct 50 -C 2 -z 200
run mix-0-100 3 -w mix --read-pct 0 -C 2 -z 200
run get-open-loop 1 -w get -C 2 -D 16 -r 300 -z 200
run get-64k 1 -w get -C 1 -z 20 -s 65536
# recipes: rounds take longer, give them time on a busy machine
run lock 2 -w lock -C 3 -d 2
run election 1 -w election -C 3 -d 3
run watch 2 -w watch -C 4 -d 2
run session 2 -w session -C 2 -d 2
if [ "$mode" = zk ]; then
	run udp-echo 1 -w udp-echo -c self
	run dsync-write 1 -w dsync-write --dir "$tmp"
fi

# the plot, when gnuplot is there
if command -v gnuplot >/dev/null 2>&1; then
	if "$bench" plot "$tmp/p.png" smoke "get=$tmp/get.pct.csv" "set=$tmp/set.pct.csv" >/dev/null 2>&1 &&
		[ -s "$tmp/p.png" ]; then
		echo "ok   plot"; pass=$((pass + 1))
	else
		echo "FAIL plot"; fail=$((fail + 1))
	fi
fi

echo "smoke ($mode): $pass passed, $fail failed"
[ $fail -eq 0 ]
