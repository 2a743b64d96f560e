#!/usr/bin/env bash
# test.sh — the whole test suite, the README's test command.
#
# bootstrap (packages, hugepages, build) + `meson test` on ./build + the unit
# and fuzz suites again under ASan+UBSan in ./build-asan.  Needs root (the
# integration tests create network namespaces and DPDK tap devices); as a
# normal user it re-runs itself with sudo.
#
#   scripts/test.sh              everything
#   scripts/test.sh --quick      skip the sanitizer build
#   scripts/test.sh -- ARGS      extra arguments for `meson test` (e.g. a test name)
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -E "$0" "$@"
	fi
	echo "test.sh: needs root (network namespaces, DPDK, hugepages) and sudo is not installed" >&2
	exit 1
fi

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--) shift; extra=("$@"); break ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "test.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

scripts/bootstrap.sh || exit 1

pass=0 fail=0 skip=0
count() { # count results from a meson testlog.json
	local log=$1 p f s
	p=$(grep -c '"result": "OK"' "$log" || true)
	f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
	s=$(grep -c '"result": "SKIP"' "$log" || true)
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

rc=0
echo "== clang-format (house style, .clang-format)"
if command -v clang-format >/dev/null 2>&1 && [ -d .git ]; then
	unformatted=$(git ls-files '*.c' '*.h' | while read -r f; do
		clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
	done)
	if [ -n "$unformatted" ]; then
		echo "not formatted (run clang-format -i):" $unformatted
		fail=$((fail + 1)) rc=1
	else
		echo "ok: every C file is formatted"
		pass=$((pass + 1))
	fi
fi

echo "== meson test (build)"
meson test -C build --print-errorlogs --num-processes 2 "${extra[@]}" || rc=1
count build/meson-logs/testlog.json

if [ "$quick" -eq 0 ]; then
	echo "== meson test under ASan+UBSan (build-asan: unit and fuzz suites)"
	if [ ! -f build-asan/build.ninja ]; then
		meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debug >/dev/null || rc=1
	fi
	if ninja -C build-asan >/tmp/dpzk-build-asan.log 2>&1; then
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ASAN_OPTIONS=detect_leaks=1 \
			meson test -C build-asan --print-errorlogs --num-processes 2 \
			--suite unit --suite fuzz "${extra[@]}" || rc=1
		count build-asan/meson-logs/testlog.json
	else
		cat /tmp/dpzk-build-asan.log
		echo "sanitizer build failed"
		rc=1 fail=$((fail + 1))
	fi
fi

echo
echo "dpzk: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || rc=1
exit $rc
