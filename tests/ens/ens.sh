#!/usr/bin/env bash
# ens.sh — real-process tests of the replicated ensemble (dataplane/ens.c):
# three dpzk-server processes in a private test network of their own
# (scripts/testnet.sh), driven with dpzk-cli, the dpzk-4lw admin words and
# DPDK telemetry (run-time fault injection).
#
#   ens.sh TESTNET SERVER CLI SCENARIO [ENS_MOVE]
#
# Scenarios:
#   basic      a leader is elected; writes through every server are
#              visible on all; mntr shows roles and synced followers
#   failover   kill -9 the leader under write load: a new leader, writes
#              continue, no acknowledged write lost, the old leader
#              rejoins (DIFF); prints the failover time
#   snap       a follower stopped while the others write beyond its
#              (small) zab window comes back by SNAP
#   partition  the leader cut off from both followers (fault injection at
#              run time) stops accepting writes; the majority elects a new
#              leader; healed, the old leader rejoins with every write, its
#              uncommitted proposal from the old epoch truncated (TRUNC)
#   rolling    each server in turn stopped, written around, restarted:
#              nothing lost
#   move       a client's server (the leader) is killed: the session
#              moves to another server with its ephemeral (ENS_MOVE, a
#              libdpzk program)
#   five       five servers: writes through each; the leader and a
#              follower killed → the other three still serve; a third
#              killed → no write is accepted; one restarted → writes again,
#              and the restarted servers catch up
#   observer   three voters and an observer (server.4=...:observer): the
#              observer gets the committed stream, serves reads, forwards
#              writes, never votes: the voters go on with it dead, and two
#              voters dead stop writes though it is alive
# Every step is bounded in time; the network is torn down on every exit.
# Exit 77 (skip) when not root or a tool is missing.
set -uo pipefail

testnet=$1 server=$2 cli=$3 scenario=$4 move=${5:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
fourlw=$top/scripts/dpzk-4lw
tel=/usr/bin/dpdk-telemetry.py

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, tap devices)"
for t in ip ping timeout python3; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done

name="dpzk-ens-$scenario-$$"
data=$(mktemp -d /var/tmp/dpzk-ens.XXXXXX) || exit 1
secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
nsrv=3  # servers in the network (up sets it)
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$rc" -ne 0 ] && [ -d "/run/dpzk-testnet/$name" ]; then
		for ((i = 1; i <= nsrv; i++)); do
			echo "--- server $i log (tail)"
			tail -n 15 "/run/dpzk-testnet/$name/server$i.log" 2>/dev/null
		done
	fi
	timeout 30 "$testnet" down --name "$name" >/dev/null 2>&1
	rm -rf "$data"
	exit $rc
}
trap cleanup EXIT
trap 'exit 143' INT TERM

fail() {
	echo "FAIL: $*"
	exit 1
}
say() { echo "# $*"; }

ip_of() { echo "198.18.0.$((10 + $1))"; }
T() { # T CMD ARGS...: testnet.sh CMD --name NAME ARGS...
	local c=$1
	shift
	timeout 90 "$testnet" "$c" --name "$name" "$@"
}
X() { timeout 20 "$testnet" exec --name "$name" "$@"; }
cli() { # cli I ARGS...: one-shot dpzk-cli against server I
	local i=$1
	shift
	timeout 12 "$testnet" exec --name "$name" "$cli" -t 10000 \
		-s "$(ip_of "$i"):2181" "$@" 2>&1
}
mntr() { X python3 "$fourlw" "$(ip_of "$1")" mntr 2>/dev/null; }
state() { mntr "$1" | sed -n 's/^zk_server_state\t//p'; }
telemetry() { # telemetry I CMD
	echo "$2" | timeout 10 python3 "$tel" -f "$(cat "/run/dpzk-testnet/$name/prefix.$1")" 2>/dev/null | tail -1
}

# wait_roles SECONDS [servers...]: one leader, the others followers (or
# observers)
wait_roles() {
	local t=$1 i st leaders followers k
	shift
	local set=("$@")
	[ ${#set[@]} -eq 0 ] && set=($(seq 1 "$nsrv"))
	for ((k = 0; k < t * 2; k++)); do
		leaders=0 followers=0
		for i in "${set[@]}"; do
			st=$(state "$i")
			[ "$st" = leader ] && leaders=$((leaders + 1)) leader=$i
			[ "$st" = follower ] || [ "$st" = observer ] &&
				followers=$((followers + 1))
		done
		if [ "$leaders" -eq 1 ] &&
			[ $((leaders + followers)) -eq ${#set[@]} ]; then
			return 0
		fi
		sleep 0.5
	done
	return 1
}

# write I PATH: create PATH through server I; 0 when acknowledged
write() { cli "$1" create "$2" "v" | grep -q '^Created'; }
# ensure I PATH: PATH exists (created through server I, with retries: a
# timed-out create may have been applied)
ensure() {
	for ((k = 0; k < 5; k++)); do
		cli "$1" create "$2" "${3:-v}" | grep -qE '^Created|exists' && return 0
		sleep 1
	done
	return 1
}

# wait_has I PATH SECONDS: server I shows PATH
wait_has() {
	for ((k = 0; k < $3 * 2; k++)); do
		cli "$1" stat "$2" | grep -q '^cZxid' && return 0
		sleep 0.5
	done
	return 1
}

# children I PATH: sorted child list (after a sync)
children() {
	cli "$1" sync "$2" >/dev/null
	cli "$1" ls "$2" | tail -1 | tr -d '[] ' | tr ',' '\n' | sort
}

# same_everywhere PATH SECONDS [servers...]: the servers (default: all)
# list the same children
same_everywhere() {
	local p=$1 t=$2 k i a b ok
	shift 2
	local set=("$@")
	[ ${#set[@]} -eq 0 ] && set=($(seq 1 "$nsrv"))
	for ((k = 0; k < t; k++)); do
		ok=1 a=$(children "${set[0]}" "$p")
		[ -n "$a" ] || ok=0
		for i in "${set[@]:1}"; do
			b=$(children "$i" "$p")
			[ "$a" = "$b" ] || ok=0
		done
		[ "$ok" -eq 1 ] && return 0
		sleep 1
	done
	for i in "${set[@]}"; do
		echo "server $i: $(children "$i" "$p" | tr '\n' ' ')"
	done
	return 1
}

# up [--servers N] [--observer I] EXTRA-ARGS...: N servers (default 3),
# server I an observer
up() {
	local obs=0 lines=() i
	while [ $# -gt 0 ]; do
		case "$1" in
		--servers) nsrv=$2; shift 2 ;;
		--observer) obs=$2; shift 2 ;;
		*) break ;;
		esac
	done
	for ((i = 1; i <= nsrv; i++)); do
		if [ "$i" -eq "$obs" ]; then
			lines+=(--server.$i="$(ip_of "$i"):2888:3888:observer")
		else
			lines+=(--server.$i="$(ip_of "$i"):2888:3888")
		fi
	done
	timeout 150 "$testnet" up "$nsrv" --bin "$server" --name "$name" \
		--huge off --mem 64 --idle adaptive --timeout 40 -- \
		--data_dir="$data/{i}" --session_timeout_min_ms=4000 --log_segment_mb=8 \
		"${lines[@]}" --ensemble_secret="$secret" "$@" >/dev/null ||
		fail "the test network did not come up"
	wait_roles 40 || fail "no leader elected in 40 s"
	say "network $name up ($nsrv servers), leader: server $leader"
}

others() { # others I: the servers that are not I
	for ((i = 1; i <= nsrv; i++)); do [ "$i" -ne "$1" ] && echo "$i"; done
}
pid_of() { cat "/run/dpzk-testnet/$name/pid.$1"; }

now_ms() { date +%s%3N; }

case "$scenario" in
basic)
	up
	for ((k = 0; k < 20; k++)); do
		mntr "$leader" | grep -qE '^zk_synced_followers\s+2' && break
		sleep 0.5
	done
	mntr "$leader" | grep -qE '^zk_synced_followers\s+2' ||
		{ mntr "$leader"; fail "leader does not report 2 synced followers"; }
	# the whole mntr arrives (several ADMIN datagrams): its last line too
	mntr "$leader" | grep -qE '^zk_dpzk_arena\s' ||
		fail "mntr is cut short"
	X python3 "$fourlw" "$(ip_of "$leader")" srvr | grep -qx 'Mode: leader' ||
		fail "srvr does not say Mode: leader"
	ensure "$leader" /basic || fail "create on the leader"
	for i in 1 2 3; do
		ensure "$i" "/basic/from$i" || fail "create through server $i"
	done
	same_everywhere /basic 15 || fail "servers differ"
	for i in 1 2 3; do
		[ "$(children "$i" /basic | wc -l)" -eq 3 ] ||
			fail "server $i does not see 3 children"
	done
	# a session moves to another server and keeps its ephemeral? (the
	# one-shot CLI closes it: check the close went through everywhere)
	cli 1 create -e /basic/eph x | grep -q Created || fail "ephemeral"
	for i in 1 2 3; do
		cli "$i" stat /basic/eph | grep -q '^cZxid' &&
			fail "ephemeral of a closed session still on $i"
	done
	# datagrams on the peer port that are no peer's are dropped, counted
	X python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b"\xd2\x7b" + bytes(60), ("198.18.0.11", 2888))
' || fail "cannot send junk"
	sleep 0.5
	telemetry 1 /dpzk/ensemble | grep -qE '"peer_drop_unknown": [1-9]' ||
		fail "junk on the peer port was not counted"
	say "basic: election, writes through every server, replicated"
	;;
failover)
	up
	old=$leader
	set -- $(others "$old")
	f=$1 g=$2
	ensure "$f" /fo || fail "create /fo"
	# three writers (two through f, one through g), each recording what
	# was acknowledged
	writer() { # writer ID SERVER N
		for n in $(seq 1 "$3"); do
			write "$2" "/fo/w$1-$n" && echo "w$1-$n" >>"$data/acked.$1"
		done
	}
	writer 1 "$f" 20 &
	w1=$!
	writer 2 "$f" 20 &
	w2=$!
	writer 3 "$g" 20 &
	w3=$!
	sleep 2
	kill -9 "$(cat "/run/dpzk-testnet/$name/pid.$old")"
	t_kill=$(now_ms)
	say "killed leader $old (kill -9) under three writers"
	t_first=0
	for ((k = 0; k < 60; k++)); do
		if write "$f" "/fo/probe$k"; then
			t_first=$(now_ms)
			break
		fi
	done
	[ "$t_first" -gt 0 ] || fail "no write succeeded after the kill"
	wait "$w1" "$w2" "$w3"
	wait_roles 20 "$f" "$g" || fail "no new leader"
	say "new leader: server $leader; failover (kill → first acknowledged write) $((t_first - t_kill)) ms"
	acked=($(cat "$data"/acked.* 2>/dev/null))
	[ ${#acked[@]} -ge 30 ] || fail "only ${#acked[@]} of 60 writes acknowledged"
	T start "$old" >/dev/null 2>&1 || fail "restart of $old"
	wait_roles 30 || fail "old leader did not rejoin"
	same_everywhere /fo 20 || fail "servers differ after rejoin"
	have=$(children "$old" /fo)
	for k in "${acked[@]}"; do
		echo "$have" | grep -qx "$k" || fail "acknowledged /fo/$k lost"
	done
	say "failover: ${#acked[@]} of 60 concurrent writes acknowledged, none lost; old leader rejoined"
	;;
snap)
	up --zab_window_entries=16 --snap_every_txns=8 --zab_snap_chunk_kb=4
	big=$(head -c 1000 /dev/zero | tr '\0' 'x')
	f=$(others "$leader" | head -1)
	ensure "$leader" /snap || fail "create /snap"
	T stop "$f" >/dev/null 2>&1
	say "stopped follower $f"
	for n in $(seq 1 40); do
		ensure "$leader" "/snap/k$n" "$big" || fail "write $n with a follower down"
	done
	T start "$f" >/dev/null 2>&1 || fail "restart of $f"
	wait_roles 30 || fail "follower $f did not rejoin"
	same_everywhere /snap 20 || fail "servers differ after SNAP"
	[ "$(children "$f" /snap | wc -l)" -eq 40 ] || fail "rejoined follower lacks writes"
	grep -q "installed SNAP" "/run/dpzk-testnet/$name/server$f.log" ||
		fail "follower $f did not sync by SNAP"
	[ "$(cli "$f" get /snap/k40 | tail -1 | wc -c)" -ge 1000 ] ||
		fail "the value of /snap/k40 did not come with the SNAP"
	say "snap: follower $f came back by SNAP with all 40 writes"
	;;
partition)
	up
	old=$leader
	set -- $(others "$old")
	a=$1 b=$2
	ensure "$old" /part || fail "create /part"
	r=$(telemetry "$old" "/dpzk/fault_set,fault_partition=$(ip_of "$a"),$(ip_of "$b")")
	echo "$r" | grep -q error && fail "fault_set: $r"
	say "leader $old partitioned from $a and $b"
	# a write the isolated leader may still propose: never committed, it
	# must be truncated when the old leader rejoins
	write "$old" /part/lost && fail "the isolated leader acknowledged a write"
	ok=0
	for ((k = 0; k < 40; k++)); do
		st=$(state "$old")
		[ "$st" != leader ] && ok=1 && break
		sleep 0.5
	done
	[ "$ok" -eq 1 ] || fail "isolated leader still leads after 20 s"
	write "$old" /part/minority && fail "the isolated minority accepted a write"
	wait_roles 20 "$a" "$b" || fail "majority elected no leader"
	for n in 1 2 3 4 5; do
		ensure "$a" "/part/k$n" || fail "majority write $n"
	done
	telemetry "$old" "/dpzk/fault_set,fault_partition=" >/dev/null
	say "healed"
	wait_roles 30 || fail "old leader did not rejoin after healing"
	same_everywhere /part 20 || fail "servers differ after healing"
	[ "$(children "$old" /part | wc -l)" -eq 5 ] || fail "rejoined server lacks the majority's writes"
	for i in 1 2 3; do
		cli "$i" stat /part/lost | grep -q '^cZxid' &&
			fail "an unacknowledged write of the isolated leader survived on $i"
	done
	# the isolated leader proposed /part/lost (in its log, never
	# committed): rejoining, it is told to truncate it (TRUNC)
	grep -q "log truncated" "/run/dpzk-testnet/$name/server$old.log" ||
		fail "the old leader was not truncated (TRUNC) on rejoining"
	say "the old leader truncated its uncommitted proposal (TRUNC)"
	say "partition: minority refused writes, majority went on, healed and rejoined"
	;;
rolling)
	up
	ensure 1 /roll || fail "create /roll"
	n=0
	for i in 1 2 3; do
		T stop "$i" >/dev/null 2>&1
		w=$(others "$i" | head -1)
		for j in 1 2 3 4 5; do
			n=$((n + 1))
			ok=0
			ensure "$w" "/roll/k$n" && ok=1
			[ "$ok" -eq 1 ] || fail "write $n with server $i down"
		done
		T start "$i" >/dev/null 2>&1 || fail "restart of $i"
		wait_roles 30 || fail "server $i did not rejoin"
		say "server $i restarted, $n writes so far"
	done
	same_everywhere /roll 20 || fail "servers differ after the rolling restart"
	[ "$(children 1 /roll | wc -l)" -eq 15 ] || fail "writes lost in the rolling restart"
	say "rolling: 15 writes across three restarts, none lost"
	;;
move)
	up
	f=$(others "$leader" | head -1)
	cli "$f" sync / | grep -qi error && fail "sync on follower $f"
	[ -x "$move" ] || skip "no ens_move program given"
	timeout 100 "$testnet" exec --name "$name" "$move" "$(ip_of "$leader"):2181" "$(ip_of "$f"):2181" \
		"/run/dpzk-testnet/$name/pid.$leader" || fail "the session did not move"
	say "move: the session of killed server $leader went on through $f"
	;;
five)
	up --servers 5
	ensure "$leader" /five || fail "create /five"
	for i in 1 2 3 4 5; do
		ensure "$i" "/five/from$i" || fail "create through server $i"
	done
	same_everywhere /five 20 || fail "the five servers differ"
	old=$leader
	f=$(others "$old" | head -1)
	kill -9 "$(pid_of "$old")" "$(pid_of "$f")"
	say "killed leader $old and follower $f (kill -9)"
	rest=($(others "$old" | grep -vx "$f"))
	wait_roles 30 "${rest[@]}" || fail "the remaining three elected no leader"
	for i in "${rest[@]}"; do
		ensure "$i" "/five/after2-$i" || fail "write through $i with two down"
	done
	same_everywhere /five 20 "${rest[@]}" || fail "the three differ"
	third=${rest[0]}
	[ "$third" -eq "$leader" ] && third=${rest[1]}
	kill -9 "$(pid_of "$third")"
	say "killed a third server, $third: two of five left"
	two=($(printf '%s\n' "${rest[@]}" | grep -vx "$third"))
	ok=0
	for ((k = 0; k < 40; k++)); do
		s1=$(state "${two[0]}") s2=$(state "${two[1]}")
		[ "$s1" != leader ] && [ "$s2" != leader ] && ok=1 && break
		sleep 0.5
	done
	[ "$ok" -eq 1 ] || fail "a leader without a quorum after 20 s"
	for i in "${two[@]}"; do
		write "$i" "/five/minority$i" &&
			fail "server $i accepted a write with two of five alive"
	done
	T start "$old" >/dev/null 2>&1 || fail "restart of $old"
	say "restarted $old: three of five"
	back=("${two[@]}" "$old")
	wait_roles 40 "${back[@]}" || fail "no leader after the restart"
	ensure "$old" /five/recovered || fail "write after the restart"
	T start "$f" >/dev/null 2>&1 || fail "restart of $f"
	T start "$third" >/dev/null 2>&1 || fail "restart of $third"
	wait_roles 40 || fail "the five did not all rejoin"
	same_everywhere /five 30 || fail "servers differ after the restarts"
	for i in "${two[@]}"; do
		cli 1 stat "/five/minority$i" | grep -q '^cZxid' &&
			fail "the refused minority write through $i exists"
	done
	[ "$(children 1 /five | wc -l)" -eq $((5 + 3 + 1)) ] ||
		fail "writes lost: $(children 1 /five | tr '\n' ' ')"
	say "five: 2 of 5 down still serves, 3 down refuses writes, all recovered"
	;;
observer)
	up --servers 4 --observer 4
	[ "$(state 4)" = observer ] || fail "server 4 is not an observer: $(state 4)"
	ensure 4 /obs || fail "a write through the observer"
	for i in 1 2 3; do
		wait_has "$i" /obs 10 || fail "the observer's write is not on $i"
	done
	ensure "$leader" /obs/fromleader || fail "a write through the leader"
	wait_has 4 /obs/fromleader 10 || fail "the observer lacks a commit"
	cli 4 get /obs/fromleader | grep -q '^v' || fail "read on the observer"
	# the observer never votes: the voters' quorum holds without it
	T stop 4 >/dev/null 2>&1
	ensure 1 /obs/k1 || fail "write with the observer stopped"
	ensure 2 /obs/k2 || fail "write with the observer stopped"
	T start 4 >/dev/null 2>&1 || fail "restart of the observer"
	wait_roles 30 || fail "the observer did not rejoin"
	wait_has 4 /obs/k2 15 || fail "the restarted observer did not catch up"
	# two voters gone: no writes, though the observer is alive
	old=$leader
	v=$(others "$old" | grep -vx 4 | head -1)
	kill -9 "$(pid_of "$old")" "$(pid_of "$v")"
	say "killed voters $old and $v; observer alive"
	last=$(others "$old" | grep -vx 4 | grep -vx "$v")
	ok=0
	for ((k = 0; k < 40; k++)); do
		[ "$(state "$last")" != leader ] && ok=1 && break
		sleep 0.5
	done
	[ "$ok" -eq 1 ] || fail "voter $last leads with the observer's help"
	write 4 /obs/nowrite && fail "a write with one voter of three alive"
	write "$last" /obs/nowrite2 && fail "a write with one voter of three alive"
	T start "$old" >/dev/null 2>&1 || fail "restart of $old"
	wait_roles 40 "$old" "$last" 4 || fail "no leader after restarting a voter"
	ensure 4 /obs/again || fail "write through the observer after recovery"
	say "observer: streams commits, reads, forwards writes, never votes"
	;;
*)
	echo "ens.sh: unknown scenario $scenario" >&2
	exit 2
	;;
esac
echo "PASS: $scenario"
