#!/usr/bin/env bash
# integration.sh — dpzk-echo in a private test network.
#
# Brings up two dpzk-echo servers with scripts/testnet.sh (idle policy
# adaptive with hugepages, interrupt with --no-huge),
# then: pings both; UDP round trips from a kernel socket (every echo byte
# for byte); malformed frames from a raw socket, checked against the drop
# counters read over DPDK telemetry; run-time fault injection (drop,
# duplicate, delay, partition) through /dpzk/fault_set; the SIGUSR1 stats
# dump; idle CPU of a server under the adaptive policy (must really back
# off); an orderly SIGTERM shutdown with final counters.  Tears the network
# down on every exit path.  Exit 77 when not root or a tool is missing.
#
#   integration.sh MODE TESTNET ECHO RTT PROBE     MODE: huge | nohuge
set -uo pipefail

mode=$1 testnet=$2 echo_bin=$3 rtt=$4 probe=$5
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, tap devices)"
for t in ip ping python3 timeout; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
if [ "$mode" = huge ]; then
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge 128 ] && grep -qs ' hugetlbfs ' /proc/mounts ||
		skip "hugepages not reserved (scripts/bootstrap.sh reserves them)"
	huge=on idle=adaptive
else
	huge=off idle=interrupt
fi

name="dpzk-it$mode-$$"
export DPZK_TESTNET=$name
pass=0 fail=0
ok() { echo "ok - $* [${SECONDS}s]"; pass=$((pass + 1)); }
bad() { echo "FAIL - $* [${SECONDS}s]"; fail=$((fail + 1)); }
cleanup() { timeout 30 "$testnet" down >/dev/null 2>&1; }
trap cleanup EXIT

tel() { # tel SERVER CMD → JSON (3 tries: a loaded machine can be slow)
	local k out
	for k in 1 2 3; do
		if out=$(timeout 30 python3 "$probe" telemetry \
			"$(cat "/run/dpzk-testnet/$name/prefix.$1")" "$2" 2>&1); then
			echo "$out"
			return 0
		fi
		echo "# telemetry $2 on server $1, try $k: $(echo "$out" | tail -1)" >&2
	done
	return 1
}
jget() { # jget JSON KEY → value of KEY in the single inner dict
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(list(d.values())[0].get(sys.argv[2], 0))' "$1" "$2"
}

diag() { # what the network looks like when server $1 is unreachable
	echo "# diag: $("$testnet" exec ip -br link show "dpzkt$1")"
	echo "# diag: fdb $("$testnet" exec bridge fdb show br dpzkbr0 | grep -v '33:33\|01:00' | tr '\n' ' ')"
	echo "# diag: neigh $("$testnet" exec ip neigh show | tr '\n' ' ')"
	echo "# diag: $(grep 'port 0' "$("$testnet" log "$1")")"
	echo "# diag: stats $(tel "$1" /dpzk/stats)"
	echo "# diag: $("$testnet" exec ip -s link show "dpzkt$1" | sed -n 3,6p | tr -s ' ' | tr '\n' ' ')"
	echo "# diag: psr $(ps -o psr=,pcpu=,stat= -p "$(cat "/run/dpzk-testnet/$name/pid.$1")") load $(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "# mode $mode: bringing up 2 dpzk-echo servers"
if ! timeout 120 "$testnet" up 2 --bin "$echo_bin" --name "$name" \
	--huge "$huge" --mem 64 --idle "$idle" >/dev/null; then
	echo "FAIL - test network did not come up"
	exit 1
fi
log1=$("$testnet" log 1)
if [ "$mode" = huge ]; then
	grep -q "memory: hugepages" "$log1" && ok "server uses hugepages" ||
		bad "server did not use hugepages: $(grep memory: "$log1")"
else
	grep -q "memory: --no-huge" "$log1" && ok "server runs with --no-huge" ||
		bad "server did not run --no-huge: $(grep memory: "$log1")"
fi

if [ "$idle" = interrupt ]; then
	grep -q "idle=interrupt: sleeping on Rx interrupts" "$log1" &&
		ok "idle=interrupt sleeps on net_tap Rx interrupts" ||
		bad "idle=interrupt not in effect: $(grep idle= "$log1")"
fi

for i in 1 2; do
	ip=$("$testnet" ip $i)
	if timeout 20 "$testnet" exec ping -c 5 -i 0.2 -W 1 -q "$ip" >/dev/null; then
		ok "server $i answers ping"
	else
		bad "server $i does not answer ping"
		diag $i
	fi
	if out=$(timeout 120 "$testnet" exec "$rtt" "$ip" 2181 500 200 1000); then
		ok "server $i echoes 500 UDP datagrams intact: $(echo "$out" | tail -1)"
	else
		bad "server $i UDP echo: $out"
		echo "# drops: $(tel $i /dpzk/drops | tr -d ' ' | tr ',' '\n' | grep -v ':0' | tr '\n' ' ')"
	fi
	if timeout 30 "$testnet" exec "$rtt" "$ip" 2181 20 1472 1000 >/dev/null; then
		ok "server $i echoes 1472-byte datagrams (full MTU)"
	else
		bad "server $i full-MTU echo"
	fi
done

# Server 1 sends to server 2, which it never heard from: ARP resolution
# with the datagram queued meanwhile, then server 2 answers the client.
a0=$(jget "$(tel 1 /dpzk/stats)" arp_requests_sent)
if timeout 20 "$testnet" exec python3 "$probe" relay "$("$testnet" ip 1)" "$("$testnet" ip 2)" >/dev/null; then
	a1=$(jget "$(tel 1 /dpzk/stats)" arp_requests_sent)
	[ "$a1" -gt "$a0" ] && ok "server 1 resolves server 2 by ARP and sends the queued datagram" ||
		bad "relay worked without an ARP request ($a0 -> $a1)"
else
	bad "server-to-server datagram (ARP resolution) did not arrive"
fi

# Server 2 restarts with a new MAC; its gratuitous ARPs update server 1.
if timeout 60 "$testnet" stop 2 && timeout 60 "$testnet" start 2 >/dev/null 2>&1; then
	if timeout 20 "$testnet" exec python3 "$probe" relay "$("$testnet" ip 1)" "$("$testnet" ip 2)" >/dev/null; then
		ok "after server 2 restarts (new MAC), server 1 reaches it again"
	else
		bad "server 1 cannot reach the restarted server 2 (stale ARP entry?)"
	fi
else
	bad "server 2 did not restart"
fi

# Malformed frames, each a different drop reason.
before=$(tel 1 /dpzk/drops)
expect=$(timeout 20 "$testnet" exec python3 "$probe" malformed dpzkbr0 "$("$testnet" ip 1)" 5)
sleep 0.5
after=$(tel 1 /dpzk/drops)
if [ -z "$expect" ] || [ -z "$after" ]; then
	bad "malformed frames: no probe output or telemetry"
else
	res=$(python3 - "$before" "$after" "$expect" <<'EOF'
import json, sys
b = list(json.loads(sys.argv[1]).values())[0]
a = list(json.loads(sys.argv[2]).values())[0]
e = json.loads(sys.argv[3])
miss = ["%s: +%d, expected +%d" % (k, a.get(k, 0) - b.get(k, 0), n)
        for k, n in e.items() if a.get(k, 0) - b.get(k, 0) != n]
print("; ".join(miss) if miss else "OK %d reasons" % len(e))
EOF
)
	case "$res" in
	OK*) ok "malformed frames counted under their reasons ($res)" ;;
	*) bad "malformed frames: $res" ;;
	esac
fi
if timeout 30 "$testnet" exec "$rtt" "$("$testnet" ip 1)" 2181 50 64 1000 >/dev/null; then
	ok "server 1 still serves after malformed input"
else
	bad "server 1 stopped serving after malformed input"
fi

# Run-time fault injection through telemetry.
ip1=$("$testnet" ip 1)
tel 1 '/dpzk/fault_set,fault_rx_drop=1' >/dev/null
if timeout 10 "$testnet" exec ping -c 2 -W 1 -q "$ip1" >/dev/null; then
	bad "fault_rx_drop=1 did not drop pings"
else
	d=$(jget "$(tel 1 /dpzk/drops)" fault_drop)
	[ "$d" -ge 2 ] && ok "fault_rx_drop=1 drops everything (fault_drop $d)" ||
		bad "fault_drop counter $d"
fi
tel 1 '/dpzk/fault_set,fault_rx_drop=0;fault_tx_dup=1' >/dev/null
if timeout 30 "$testnet" exec "$rtt" "$ip1" 2181 20 64 1000 >/dev/null; then
	d=$(jget "$(tel 1 /dpzk/stats)" fault_dup)
	[ "$d" -ge 20 ] && ok "fault_tx_dup=1 sends every reply twice (fault_dup $d)" ||
		bad "fault_dup counter $d"
else
	bad "echo with duplicated replies failed"
fi
tel 1 '/dpzk/fault_set,fault_tx_dup=0;fault_rx_reorder=1;fault_rx_delay_us=20000' >/dev/null
out=$(timeout 30 "$testnet" exec "$rtt" "$ip1" 2181 10 64 500)
p50=$(echo "$out" | awk '/rtt_us/ {print int($5)}')
if [ -n "$p50" ] && [ "$p50" -ge 19000 ]; then
	ok "fault_rx_reorder=1 delay 20 ms holds packets back (p50 ${p50} us)"
else
	bad "held packets: $out"
fi
tel 1 '/dpzk/fault_set,fault_rx_reorder=0;fault_partition=198.18.0.1' >/dev/null
if timeout 10 "$testnet" exec ping -c 2 -W 1 -q "$ip1" >/dev/null; then
	bad "partition did not cut 198.18.0.1 off"
else
	ok "fault_partition cuts the client side off"
fi
tel 1 '/dpzk/fault_set,fault_partition=' >/dev/null
if timeout 10 "$testnet" exec ping -c 2 -i 0.2 -W 1 -q "$ip1" >/dev/null; then
	ok "healed partition serves again"
else
	bad "server 1 unreachable after the partition was lifted"
fi
r=$(tel 1 '/dpzk/fault_set,fault_rx_drop=7')
case "$r" in
*error*) ok "bad run-time fault value is refused" ;;
*) bad "fault_rx_drop=7 accepted: $r" ;;
esac

# SIGUSR1 dump.
pid1=$(cat "/run/dpzk-testnet/$name/pid.1")
kill -USR1 "$pid1"
for _ in $(seq 1 30); do
	grep -q "stats (SIGUSR1)" "$log1" && break
	sleep 0.1
done
grep -q "stats (SIGUSR1)" "$log1" && ok "SIGUSR1 dumps the counters" ||
	bad "no stats after SIGUSR1"

# Idle CPU (adaptive or interrupt): ticks used by an idle server in 3 s.
pid2=$(cat "/run/dpzk-testnet/$name/pid.2")
sleep 1
t0=$(awk '{print $14 + $15}' "/proc/$pid2/stat")
sleep 3
t1=$(awk '{print $14 + $15}' "/proc/$pid2/stat")
hz=$(getconf CLK_TCK)
cpu=$(( (t1 - t0) * 100 / (3 * hz) ))
echo "# idle CPU of an idle=$idle server: ${cpu}% of one core"
[ "$cpu" -lt 25 ] && ok "idle=$idle backs off (${cpu}% CPU)" ||
	bad "idle=$idle uses ${cpu}% CPU"

# Orderly shutdown.
timeout 60 "$testnet" stop 1
if kill -0 "$pid1" 2>/dev/null; then
	bad "server 1 did not stop on SIGTERM"
elif grep -q "stats (exit)" "$log1" && grep -q "drop.ipv4_bad_checksum 5" "$log1"; then
	ok "SIGTERM stops the server with final counters"
	ticks=$(sed -n 's/^dpzk-echo: shutdown after \([0-9]*\) timer ticks, \([0-9]*\) polls/\1 \2/p' "$log1")
	set -- $ticks
	if [ "${1:-0}" -gt 100 ] && [ "${2:-0}" -gt 100 ]; then
		ok "timer, poll and shutdown hooks ran (${1:-0} ticks, ${2:-0} polls)"
	else
		bad "hooks: '$ticks'"
	fi
else
	bad "no final counters in the log"
	tail -n 30 "$log1"
fi

echo "dataplane integration ($mode): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
