#!/usr/bin/env bash
# run.sh — the runner of every single-node integration test.
#
#   run.sh TESTNET SERVER HUGE TIME TEST [-- SERVER-ARGS...]
#
# Brings up a test network of its own (scripts/testnet.sh, a unique name)
# with one dpzk-server (HUGE: on | off | auto; SERVER-ARGS appended to the
# server's flags, a fresh data directory always given), runs TEST inside
# the network's namespace with at most TIME seconds, and tears everything
# down on every exit path (EXIT/INT/TERM trap).  The test finds the server
# in its environment:
#   DPZK_SERVER=198.18.0.11:2181  DPZK_TESTNET=<name>  DPZK_TESTNET_SH=<path>
#   DPZK_RUN=/run/dpzk-testnet/<name>  DPZK_DATA_DIR=<data dir>
# Exit status: the test's; 77 (skip) when not root, a tool is missing, or
# hugepages are asked for and not reserved.  On failure, the tail of the
# server's log is printed.
set -uo pipefail

testnet=$1 server=$2 huge=$3 budget=$4 test=$5
shift 5
[ "${1:-}" = "--" ] && shift
extra=("$@")

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, tap devices)"
for t in ip ping timeout; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
if [ "$huge" = on ]; then
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge 96 ] && grep -qs ' hugetlbfs ' /proc/mounts ||
		skip "hugepages not reserved (HugePages_Free ${free:-0}; scripts/bootstrap.sh reserves 512 x 2 MiB)"
fi

tname=$(basename "$test" | tr -c 'A-Za-z0-9\n' '-' | cut -c1-20)
name="dpzk-it-$tname-$$"
data=$(mktemp -d /var/tmp/dpzk-it.XXXXXX) || exit 1
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local t=$SECONDS
	timeout 30 "$testnet" down --name "$name" >/dev/null 2>&1
	rm -rf "$data"
	echo "# torn down in $((SECONDS - t))s, ${SECONDS}s in all"
	exit $rc
}
trap cleanup EXIT
trap 'exit 143' INT TERM

if ! timeout 90 "$testnet" up 1 --bin "$server" --name "$name" \
	--huge "$huge" --mem 64 --idle adaptive --timeout 30 \
	-- --data_dir="$data" "${extra[@]}" >/dev/null; then
	echo "FAIL: the test network did not come up"
	exit 1
fi
run=/run/dpzk-testnet/$name
echo "# network $name up in ${SECONDS}s, server pid $(cat "$run/pid.1"), huge=$huge, args: ${extra[*]}"

export DPZK_SERVER="$("$testnet" ip 1):2181" DPZK_TESTNET="$name" \
	DPZK_TESTNET_SH="$testnet" DPZK_RUN="$run" DPZK_DATA_DIR="$data"
t0=$SECONDS
timeout -k 5 "$budget" "$testnet" exec --name "$name" "$test"
rc=$?
echo "# test ran $((SECONDS - t0))s, exit status $rc"
# An orderly stop, so a sanitizer build of the server reports at exit;
# any sanitizer report in the server's log fails the test.
t0=$SECONDS
timeout 20 "$testnet" stop --name "$name" 1 >/dev/null 2>&1
echo "# server stopped in $((SECONDS - t0))s"
if grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$run/server1.log" 2>/dev/null; then
	echo "# sanitizer report in the server's log:"
	grep -E -A12 "AddressSanitizer|LeakSanitizer|runtime error:" "$run/server1.log" | head -60 | sed 's/^/#   /'
	[ $rc -eq 0 ] && rc=1
fi
if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
	echo "# test exit status $rc; server log (tail):"
	tail -n 30 "$run/server1.log" 2>/dev/null | sed 's/^/#   /'
fi
exit $rc
