#!/usr/bin/env bash
# gateway/test_reattach.sh — runs test_reattach.py (a kazoo client through
# dpzk-gateway across a server outage, a gateway restart, 4lw and
# closeSession) in a test network of its own, and tears it down on every
# exit path.
#
#   test_reattach.sh TESTNET_SH DPZK_SERVER DPZK_GATEWAY TEST_PY
#
# Exit status: the test's; 77 (skip) when not root or a tool is missing.
set -uo pipefail

testnet=$1 server=$2 gateway=$3 test=$4

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, tap devices)"
for t in ip ping timeout; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
/usr/bin/python3 -c 'import kazoo' 2>/dev/null ||
	skip "python3-kazoo is not installed (apt-get install python3-kazoo)"

name="dpzk-gwr-$$"
data=$(mktemp -d /var/tmp/dpzk-gwr.XXXXXX) || exit 1
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	timeout 30 "$testnet" down --name "$name" >/dev/null 2>&1
	rm -rf "$data"
	exit $rc
}
trap cleanup EXIT
trap 'exit 143' INT TERM

if ! timeout 90 "$testnet" up 1 --bin "$server" --name "$name" \
	--huge off --mem 64 --idle adaptive --timeout 30 \
	-- --data_dir="$data" >/dev/null; then
	echo "FAIL: the test network did not come up"
	exit 1
fi
# The test starts, kills and restarts the gateway itself (inside the
# namespace), and stops/starts the server through testnet.sh.
timeout -k 5 240 "$testnet" exec --name "$name" \
	/usr/bin/python3 "$test" "$testnet" "$name" "$gateway"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# server log (tail):"
	tail -n 20 "/run/dpzk-testnet/$name/server1.log" 2>/dev/null |
		sed 's/^/#   /'
fi
exit $rc
