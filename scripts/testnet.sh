#!/usr/bin/env bash
# testnet.sh — a private test network for dpzk servers.
#
# Makes a network namespace (dpzk-<time>-<pid>) holding a Linux bridge
# dpzkbr0 with 198.18.0.1/24 (RFC 2544 benchmarking range), starts N
# servers inside it, each on its own DPDK net_tap (iface dpzkt<i>, attached
# to the bridge) with address 198.18.0.<10+i>, and waits until each answers
# ping.  Clients run inside the namespace with `exec`, so every packet of a
# test stays in a namespace the test made.  State lives in
# /run/dpzk-testnet/<name>; a failed `up` tears down what it made.
#
#   testnet.sh up N --bin PATH [--name NAME] [--huge auto|on|off]
#                 [--mem MB] [--idle POLICY] [--timeout S] [-- ARGS...]
#       ARGS go to every server after the defaults (so they win); {i},
#       {ip} and {run} in ARGS become the server number, its address and
#       the run directory.  Prints the network's name on stdout.
#   testnet.sh exec [--name NAME] CMD...   run CMD in the namespace
#   testnet.sh stop [--name NAME] I        SIGTERM server I, wait for exit
#   testnet.sh start [--name NAME] I       start server I again
#   testnet.sh log [--name NAME] I         path of server I's log
#   testnet.sh ip I                        address of server I
#   testnet.sh prefix [--name NAME] I      EAL file prefix of server I
#   testnet.sh status [--name NAME]
#   testnet.sh down [--name NAME]          kill servers, delete namespace
#   testnet.sh gc                          tear down orphaned networks: no
#                                          server alive and the process that
#                                          made it gone
# NAME defaults to $DPZK_TESTNET, else the only network that exists.
set -uo pipefail

RUN_ROOT=/run/dpzk-testnet
NET=198.18.0
BR=dpzkbr0

die() {
	echo "testnet: $*" >&2
	exit 1
}
say() { echo "testnet: $*" >&2; }

server_ip() { echo "$NET.$((10 + $1))"; }

need_root() {
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, taps)"
	command -v ip >/dev/null || die "iproute2 (ip) is not installed"
}

pick_name() {
	local n=${opt_name:-${DPZK_TESTNET:-}}
	if [ -z "$n" ]; then
		local all=()
		[ -d "$RUN_ROOT" ] && mapfile -t all < <(ls -1 "$RUN_ROOT")
		[ ${#all[@]} -eq 1 ] || die "give --name (networks: ${all[*]:-none})"
		n=${all[0]}
	fi
	[ -d "$RUN_ROOT/$n" ] || die "no test network '$n'"
	echo "$n"
}

# start_server RUN I: launch server I of the network in RUN (background).
start_server() {
	local run=$1 i=$2 ns bin ip lcore ncpu prefix a
	ns=$(cat "$run/ns")
	bin=$(cat "$run/bin")
	ip=$(server_ip "$i")
	ncpu=$(nproc)
	lcore=$(((i - 1) % ncpu))
	prefix="$(basename "$run")-s$i"
	local args=(--vdev="net_tap0,iface=dpzkt$i" --ip="$ip"
		--netmask=255.255.255.0 --lcores="$lcore"
		--file-prefix="$prefix" --huge="$(cat "$run/huge")"
		--mem_mb="$(cat "$run/mem")" --idle="$(cat "$run/idle")"
		--server_id="$i")
	if [ -s "$run/args" ]; then
		while IFS= read -r -d '' a; do
			a=${a//\{i\}/$i}
			a=${a//\{ip\}/$ip}
			a=${a//\{run\}/$run}
			args+=("$a")
		done <"$run/args"
	fi
	echo "$prefix" >"$run/prefix.$i"
	# ip netns exec execs the server: $! is the server's pid.
	ip netns exec "$ns" "$bin" "${args[@]}" \
		>>"$run/server$i.log" 2>&1 </dev/null &
	echo $! >"$run/pid.$i"
}

# attach RUN I TIMEOUT: wait for tap dpzkt<i>, put it on the bridge, wait
# for the server to answer ping.
attach() {
	local run=$1 i=$2 timeout=$3 ns pid ip t mac
	ns=$(cat "$run/ns")
	pid=$(cat "$run/pid.$i")
	ip=$(server_ip "$i")
	for ((t = 0; t < timeout * 10; t++)); do
		ip -n "$ns" link show "dpzkt$i" >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || {
			tail -n 20 "$run/server$i.log" >&2
			die "server $i exited before its tap appeared"
		}
		sleep 0.1
	done
	ip -n "$ns" link show "dpzkt$i" >/dev/null 2>&1 ||
		die "server $i: tap dpzkt$i did not appear in ${timeout}s"
	# The tap's kernel side starts with the DPDK port's MAC; a bridge
	# port's own MAC is delivered to the host, so give it another one.
	mac="02:00:c6:12:01:$(printf %02x "$i")"
	ip -n "$ns" link set "dpzkt$i" address "$mac" ||
		die "cannot set the MAC of dpzkt$i"
	ip -n "$ns" link set "dpzkt$i" master "$BR" up ||
		die "cannot attach dpzkt$i to $BR"
	for ((t = 0; t < timeout; t++)); do
		if ip netns exec "$ns" ping -c 1 -W 1 -q "$ip" >/dev/null 2>&1; then
			# The PMD may have set the kernel side's MAC again while
			# starting the port; it is done once the server answers.
			ip -n "$ns" link set "dpzkt$i" address "$mac"
			ip -n "$ns" link show "dpzkt$i" | grep -q "link/ether $mac " ||
				die "server $i: cannot keep the MAC of dpzkt$i"
			say "server $i ($ip) answers (pid $pid)"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
	done
	tail -n 20 "$run/server$i.log" >&2
	die "server $i ($ip) does not answer ping"
}

# stop_pid PID: SIGTERM, bounded wait, then SIGKILL.
stop_pid() {
	local pid=$1 t
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((t = 0; t < 200; t++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	say "pid $pid ignored SIGTERM for 20s; killing it"
	kill -KILL "$pid" 2>/dev/null
	sleep 0.2
}

# in_use RUN: true while the creator of the network or a server lives.
in_use() {
	local run=$1 f
	[ -s "$run/owner" ] && kill -0 "$(cat "$run/owner")" 2>/dev/null && return 0
	for f in "$run"/pid.*; do
		[ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && return 0
	done
	return 1
}

teardown() {
	local run=$1 ns f pid prefix
	[ -d "$run" ] || return 0
	for f in "$run"/pid.*; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		stop_pid "$pid"
		rm -f "$f"
	done
	for f in "$run"/prefix.*; do
		[ -e "$f" ] || continue
		prefix=$(cat "$f")
		[ -n "$prefix" ] && rm -rf "/var/run/dpdk/$prefix"
	done
	if [ -s "$run/ns" ]; then
		ns=$(cat "$run/ns")
		ip netns del "$ns" 2>/dev/null
	fi
	rm -rf "$run"
}

cmd_up() {
	local n="" bin="" huge=auto mem=64 idle=adaptive timeout=20 name run ns i
	local extra=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--bin) bin=$2; shift ;;
		--bin=*) bin=${1#*=} ;;
		--name) opt_name=$2; shift ;;
		--huge) huge=$2; shift ;;
		--mem) mem=$2; shift ;;
		--idle) idle=$2; shift ;;
		--timeout) timeout=$2; shift ;;
		--) shift; extra=("$@"); break ;;
		*) [ -z "$n" ] || die "unexpected '$1'"; n=$1 ;;
		esac
		shift
	done
	[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 9 ] ||
		die "up: N must be 1..9"
	[ -x "$bin" ] || die "up: --bin '$bin' is not an executable"
	need_root
	bin=$(readlink -f "$bin")
	name=${opt_name:-${DPZK_TESTNET:-dpzk-$(date +%s)-$$}}
	[[ "$name" =~ ^dpzk-[A-Za-z0-9-]+$ ]] || die "name must be dpzk-[A-Za-z0-9-]+"
	run=$RUN_ROOT/$name
	[ -e "$run" ] && die "test network '$name' exists"
	mkdir -p "$run"
	ns=$name
	echo "$ns" >"$run/ns"
	echo "$bin" >"$run/bin"
	echo "$huge" >"$run/huge"
	echo "$mem" >"$run/mem"
	echo "$idle" >"$run/idle"
	echo "$n" >"$run/n"
	echo "$PPID" >"$run/owner"
	: >"$run/args"
	for a in "${extra[@]}"; do printf '%s\0' "$a" >>"$run/args"; done
	# From here a failure tears everything down.
	trap 'teardown "$run"' EXIT
	ip netns add "$ns" || die "cannot create namespace $ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	ip -n "$ns" link set lo up
	# A fixed bridge MAC: it would otherwise follow its ports' MACs.
	ip -n "$ns" link add "$BR" address 02:00:c6:12:00:01 type bridge \
		forward_delay 0 ||
		die "cannot create bridge"
	ip -n "$ns" addr add "$NET.1/24" dev "$BR"
	ip -n "$ns" link set "$BR" up
	for ((i = 1; i <= n; i++)); do
		start_server "$run" "$i"
	done
	for ((i = 1; i <= n; i++)); do
		attach "$run" "$i" "$timeout"
	done
	trap - EXIT
	say "network $name up: $n server(s) on $NET.11..$NET.$((10 + n)), client side $NET.1"
	echo "$name"
}

main() {
	local cmd=${1:-}
	opt_name=""
	[ $# -gt 0 ] && shift
	case "$cmd" in
	up) cmd_up "$@" ;;
	ip) server_ip "${1:?server number}" ;;
	gc)
		need_root
		for run in "$RUN_ROOT"/dpzk-*; do
			[ -d "$run" ] || continue
			in_use "$run" && continue
			teardown "$run"
			say "network $(basename "$run") down"
		done
		;;
	down | exec | stop | start | log | prefix | status)
		if [ "${1:-}" = "--name" ]; then
			opt_name=$2
			shift 2
		fi
		local name run
		name=$(pick_name) || exit 1
		run=$RUN_ROOT/$name
		case "$cmd" in
		down)
			need_root
			teardown "$run"
			say "network $name down"
			;;
		exec)
			[ $# -gt 0 ] || die "exec: give a command"
			exec ip netns exec "$(cat "$run/ns")" "$@"
			;;
		stop)
			[ -e "$run/pid.${1:?server number}" ] || die "no server $1"
			stop_pid "$(cat "$run/pid.$1")"
			;;
		start)
			start_server "$run" "${1:?server number}"
			attach "$run" "$1" 20
			;;
		log) echo "$run/server${1:?server number}.log" ;;
		prefix) cat "$run/prefix.${1:?server number}" ;;
		status)
			echo "name $name namespace $(cat "$run/ns") servers $(cat "$run/n")"
			for f in "$run"/pid.*; do
				[ -e "$f" ] || continue
				local i=${f##*.} st=dead
				kill -0 "$(cat "$f")" 2>/dev/null && st=running
				echo "server $i $(server_ip "$i") pid $(cat "$f") $st"
			done
			;;
		esac
		;;
	-h | --help | "") sed -n '2,28p' "$0" ;;
	*) die "unknown command '$cmd' (try --help)" ;;
	esac
}

main "$@"
