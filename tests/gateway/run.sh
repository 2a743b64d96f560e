#!/usr/bin/env bash
# run.sh — the runner of the gateway compatibility tests (README.md).
#
#   run.sh BUILDROOT TESTNET SERVER MODE BUDGET PROGRAM
#
# MODE compare: PROGRAM runs twice, first against Apache ZooKeeper
# (Debian's `zookeeper`, standalone, fresh data dir) on 127.0.0.1:2182,
# then against dpzk — dpzk-server in a test network of its own
# (scripts/testnet.sh, server 1 at 198.18.0.11) behind dpzk-gateway on
# 127.0.0.1:2181.  Everything runs inside the test network's namespace,
# so both are reached the same way and no packet leaves it.  The two
# transcripts (PROGRAM's stdout) are diffed; a difference fails unless it
# is listed in known-differences.txt.
# MODE gateway: PROGRAM runs against dpzk-gateway only (hostile input).
#
# PROGRAM gets HOST:PORT as its argument and, in its environment,
# GWT_TARGET=zk|dpzk, GWT_DIR (a scratch directory) and GWT_GATEWAY_PID.
# Restart handshake: when PROGRAM creates $GWT_DIR/restart.req, the runner
# restarts the server side (ZooKeeper itself; for dpzk the gateway, which
# holds no session state) and creates $GWT_DIR/restart.done.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no java/zookeeper, no
# dpzk-gateway: the ZooKeeper run still happens first, so the program is
# checked, and the skip says why).  Everything started is torn down on
# every exit path; on failure the diff and the logs' tails are printed.
set -uo pipefail
# The whole script is one compound command, read before it runs: editing
# the file during a run cannot change the running copy.
{

build=$1 testnet=$2 server=$3 mode=$4 budget=$5 prog=$6
here=$(cd "$(dirname "$0")" && pwd)
gateway=$build/gateway/dpzk-gateway
jar=/usr/share/java/zookeeper.jar
known=$here/known-differences.txt
pname=$(basename "$prog")
pname=${pname%.*}

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
for t in ip timeout diff; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
case "$prog" in
*.py)
	# Debian's python3, where python3-kazoo lives (not a pyenv's)
	py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3) || skip "python3 is not installed"
	run_prog=("$py" "$prog")
	;;
*.sh) run_prog=(bash "$prog") ;;
*) run_prog=("$prog") ;;
esac
have_gw=1
[ -x "$gateway" ] || have_gw=0
if [ "$mode" = gateway ] && [ $have_gw -eq 0 ]; then
	skip "dpzk-gateway not built ($gateway)"
fi
if [ "$mode" = compare ]; then
	[ -f "$jar" ] && command -v java >/dev/null ||
		skip "Apache ZooKeeper (Debian package 'zookeeper') or java is not installed"
fi
if [ $have_gw -eq 1 ] && [ ! -x "$server" ]; then
	skip "dpzk-server not built ($server)"
fi

tag=$(echo "$pname" | tr -c 'A-Za-z0-9\n' '-' | cut -c1-12)
name="dpzk-gwt-$tag-$$"
tmp=$(mktemp -d /var/tmp/dpzk-gwt.XXXXXX) || exit 1
ns=""
netup=0
zkpid=""
gwpid=""
watcher=""

log_tails() {
	local f
	for f in "$tmp/zk.log" "$tmp/gw.log" "/run/dpzk-testnet/$name/server1.log" \
		"$tmp/zk.err" "$tmp/dpzk.err"; do
		[ -s "$f" ] || continue
		echo "# --- tail of $(basename "$f")"
		tail -n 25 "$f" | sed 's/^/#   /'
	done
}

stop_pid() { # pid: TERM, bounded wait, KILL
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$watcher" ] && stop_pid "$watcher"
	[ -s "$tmp/gw.pid" ] && stop_pid "$(cat "$tmp/gw.pid")"
	[ -s "$tmp/zk.pid" ] && stop_pid "$(cat "$tmp/zk.pid")"
	# whatever still runs in the namespace was started by this run (the
	# namespace is this run's own): a JVM that ignored SIGTERM, a client
	local p
	if [ -n "$ns" ]; then
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			[ -n "$(cat "/run/dpzk-testnet/$name/pid.1" 2>/dev/null)" ] &&
				[ "$p" = "$(cat "/run/dpzk-testnet/$name/pid.1")" ] &&
				continue # dpzk-server: testnet.sh stops it
			kill -KILL "$p" 2>/dev/null
		done
	fi
	if [ $netup -eq 1 ]; then
		timeout 30 "$testnet" down --name "$name" >/dev/null 2>&1
	elif [ -n "$ns" ]; then
		ip netns del "$ns" 2>/dev/null
	fi
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		log_tails
	fi
	# GWT_KEEP=DIR keeps the transcripts and logs (development)
	if [ -n "${GWT_KEEP:-}" ]; then
		mkdir -p "$GWT_KEEP" && cp "$tmp"/*.out "$tmp"/*.err "$tmp"/*.log \
			"$tmp"/diff "$GWT_KEEP/" 2>/dev/null
	fi
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 143' INT TERM

nsx() { ip netns exec "$ns" "$@"; }
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree

# ------------------------------------------------------------ network
if [ $have_gw -eq 1 ]; then
	mkdir -p "$tmp/data"
	if ! timeout 90 "$testnet" up 1 --bin "$server" --name "$name" \
		--huge off --mem 64 --idle adaptive --timeout 30 \
		-- --data_dir="$tmp/data" --session_timeout_min_ms=4000 \
		>"$tmp/testnet.log" 2>&1; then
		cat "$tmp/testnet.log"
		echo "FAIL: the test network did not come up"
		exit 1
	fi
	netup=1
	ns=$(cat "/run/dpzk-testnet/$name/ns")
else
	ns=$name
	ip netns add "$ns" || { echo "FAIL: cannot create namespace"; exit 1; }
	ip -n "$ns" link set lo up
fi

# probe PORT [WORD]: a four-letter word's answer, from inside the namespace
probe() {
	nsx timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 && printf %s "$1" >&3 && cat <&3' \
		"$1" "${2:-ruok}" 2>/dev/null
}

# ------------------------------------------------------------ ZooKeeper
# tickTime 2000: session timeouts 4 s .. 40 s, as dpzk-server's defaults.
# extendedTypesEnabled: TTL nodes; container checks every second (dpzk
# scans every second too).
zk_start() {
	local i
	mkdir -p "$tmp/zk/conf" "$tmp/zk/data"
	cp /etc/zookeeper/conf/log4j.properties "$tmp/zk/conf/" 2>/dev/null
	cat >"$tmp/zk/conf/zoo.cfg" <<-CFG
	tickTime=2000
	initLimit=10
	syncLimit=5
	dataDir=$tmp/zk/data
	clientPort=2182
	clientPortAddress=127.0.0.1
	4lw.commands.whitelist=*
	admin.enableServer=false
	CFG
	# java is exec'ed by ip netns exec: $! is the JVM itself, so a stop
	# reaches it (the JVM may linger on SIGTERM: stop_pid then KILLs)
	ip netns exec "$ns" java -Xmx256m -XX:TieredStopAtLevel=1 \
		-Dzookeeper.log.dir="$tmp/zk" \
		-Dzookeeper.root.logger=INFO,CONSOLE \
		-Dzookeeper.extendedTypesEnabled=true \
		-Dznode.container.checkIntervalMs=1000 \
		-cp "$tmp/zk/conf:$jar" \
		org.apache.zookeeper.server.quorum.QuorumPeerMain \
		"$tmp/zk/conf/zoo.cfg" >>"$tmp/zk.log" 2>&1 &
	zkpid=$!
	echo "$zkpid" >"$tmp/zk.pid"
	for ((i = 0; i < 200; i++)); do
		# srvr answers "Mode:" once the server serves sessions (ruok
		# answers earlier)
		probe 2182 srvr | grep -q '^Mode: ' && return 0
		kill -0 "$zkpid" 2>/dev/null || break
		sleep 0.3
	done
	echo "FAIL: ZooKeeper did not start on 127.0.0.1:2182 in the namespace"
	exit 1
}

gw_start() {
	local i
	: >"$tmp/gw.out"
	ip netns exec "$ns" "$gateway" --servers "198.18.0.11:2181" --port 2181 \
		--bind 127.0.0.1 --4lw_whitelist '*' \
		>"$tmp/gw.out" 2>>"$tmp/gw.log" &
	gwpid=$!
	echo "$gwpid" >"$tmp/gw.pid"
	for ((i = 0; i < 300; i++)); do
		grep -q "listening on" "$tmp/gw.out" && break
		kill -0 "$gwpid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/gw.out" >>"$tmp/gw.log"
	if ! grep -q "listening on" "$tmp/gw.out"; then
		echo "FAIL: dpzk-gateway did not start"
		exit 1
	fi
}

# restart_watch TARGET: serve the restart handshake while PROGRAM runs.
restart_watch() {
	local target=$1 i
	for ((i = 0; i < budget * 10; i++)); do
		if [ -e "$tmp/gwt/restart.req" ]; then
			rm -f "$tmp/gwt/restart.req"
			echo "# restarting $target" >&2
			if [ "$target" = zk ]; then
				# a crash: ZooKeeper logs every txn durably
				kill -KILL "$(cat "$tmp/zk.pid")" 2>/dev/null
				sleep 0.5
				zk_start
			else
				stop_pid "$(cat "$tmp/gw.pid")"
				gw_start
			fi
			: >"$tmp/gwt/restart.done"
		fi
		sleep 0.1
	done
}

# run_on TARGET HOSTPORT: PROGRAM's transcript in $tmp/TARGET.out
run_on() {
	local target=$1 hp=$2 rc t0=$SECONDS
	rm -rf "$tmp/gwt"
	mkdir -p "$tmp/gwt"
	# the restart watcher is a subshell: it restarts a copy of the server
	# whose pid it alone knows, so it records the pid in a file
	(
		restart_watch "$target"
	) &
	watcher=$!
	GWT_TARGET=$target GWT_DIR=$tmp/gwt GWT_GATEWAY_PID=${gwpid:-0} \
		timeout -k 5 "$budget" ip netns exec "$ns" "${run_prog[@]}" "$hp" \
		>"$tmp/$target.out" 2>"$tmp/$target.err"
	rc=$?
	stop_pid "$watcher"
	watcher=""
	echo "# $pname against $target: exit $rc, $((SECONDS - t0))s, $(wc -l <"$tmp/$target.out") lines"
	return $rc
}

if [ "$mode" = compare ]; then
	zk_start
	echo "# ZooKeeper up in the namespace $ns (${SECONDS}s)"
	run_on zk 127.0.0.1:2182
	zkrc=$?
	# the restart watcher may have restarted ZooKeeper: its pid is in
	# the file
	stop_pid "$(cat "$tmp/zk.pid")"
	zkpid=""
	if [ $zkrc -eq 77 ]; then
		skip "$(grep -h '^SKIP' "$tmp/zk.err" "$tmp/zk.out" | head -1)"
	fi
	if [ $zkrc -ne 0 ]; then
		echo "FAIL: $pname failed against Apache ZooKeeper (exit $zkrc)"
		tail -n 30 "$tmp/zk.out" "$tmp/zk.err"
		exit 1
	fi
	if [ $have_gw -eq 0 ]; then
		skip "dpzk-gateway not built ($gateway); the ZooKeeper run passed"
	fi
fi

gw_start
echo "# dpzk-gateway up in the namespace $ns (${SECONDS}s)"
run_on dpzk 127.0.0.1:2181
dprc=$?
gwpid=$(cat "$tmp/gw.pid")
if ! kill -0 "$gwpid" 2>/dev/null; then
	echo "FAIL: dpzk-gateway is not running after $pname"
	[ $dprc -eq 0 ] && dprc=1
fi
if [ "$mode" = gateway ]; then
	cat "$tmp/dpzk.out"
	if [ $dprc -ne 0 ]; then
		echo "FAIL: $pname against dpzk-gateway (exit $dprc)"
		tail -n 30 "$tmp/dpzk.err"
		exit 1
	fi
	exit 0
fi

# ------------------------------------------------------------ compare
diff -u --label "zookeeper/$pname" --label "dpzk/$pname" \
	"$tmp/zk.out" "$tmp/dpzk.out" >"$tmp/diff"
# A listed difference is a "PROGRAM<TAB>-line" or "PROGRAM<TAB>+line" entry
# in known-differences.txt (with its reason in a comment above it).
unexplained=$(grep -E '^[-+]' "$tmp/diff" | grep -vE '^(---|\+\+\+) ' |
	while IFS= read -r l; do
		if [ -s "$known" ] && grep -qxF "$pname	$l" "$known"; then
			continue
		fi
		printf '%s\n' "$l"
	done)
if [ -n "$unexplained" ]; then
	echo "FAIL: $pname: the transcripts differ (zookeeper = -, dpzk = +)"
	cat "$tmp/diff"
	echo "# unexplained lines:"
	printf '%s\n' "$unexplained"
	tail -n 20 "$tmp/dpzk.err" | sed 's/^/# dpzk stderr: /'
	exit 1
fi
if [ $dprc -ne 0 ]; then
	echo "FAIL: $pname exited $dprc against dpzk with the same transcript"
	tail -n 20 "$tmp/dpzk.err"
	exit 1
fi
echo "ok: $pname, $(wc -l <"$tmp/zk.out") transcript lines identical$([ -s "$tmp/diff" ] && echo ' (known differences only)')"
exit 0
}
