#!/usr/bin/env bash
# zkcli.sh — a scripted zkCli.sh session (Apache ZooKeeper's own Java
# client and shell, from Debian's `zookeeper`) as a canonical transcript.
#
# Run by tests/gateway/run.sh against Apache ZooKeeper and against dpzk
# through dpzk-gateway; the transcripts must be identical (README.md).
# zkCli reads the commands from a pipe (JLine is off then); what each
# command prints goes to stdout or stderr, merged here in order (every
# line is flushed).  Watch events are printed by the client's event
# thread, so they can land between any two lines: they are pulled out and
# listed apart, in their own (deterministic) order.  Runs of paths (ls -R)
# are sorted: getChildren's order is unspecified.  Normalized: zxids
# (labels by first appearance, as zk_ops), ctime/mtime (a date), session
# ids (nonzero owner), the JVM's log noise (dropped).
#
# Usage: zkcli.sh HOST:PORT
set -uo pipefail

hp=${1:?usage: zkcli.sh HOST:PORT}
cli=/usr/share/zookeeper/bin/zkCli.sh
if [ ! -x "$cli" ]; then
	cli=$(dpkg -L zookeeper 2>/dev/null | grep '/zkCli.sh$' | head -1)
fi
if [ -z "$cli" ] || [ ! -x "$cli" ]; then
	echo "SKIP: zkCli.sh (Debian package zookeeper) is not installed" >&2
	exit 77
fi
scratch=${GWT_DIR:-$(mktemp -d)}
export ZOO_LOG_DIR=$scratch
export CLIENT_JVMFLAGS="-Xmx128m -XX:TieredStopAtLevel=1"

# session COMMANDS...: one zkCli session running COMMANDS; its normalized
# output on stdout.
session() {
	local name=$1
	shift
	echo "== session $name"
	printf '%s\n' "$@" "quit" |
		timeout 90 "$cli" -server "$hp" >"$scratch/$name.raw" 2>&1
	echo "exit $?"
	awk -v evfile="$scratch/$name.ev" '
	/^SLF4J:/ || /^Connecting to / || /^Welcome to ZooKeeper/ ||
	/^JLine support/ || /^WATCHER::$/ || /^$/ { next }
	/^[[:space:]]+at / || /^[0-9-]+ [0-9:,]+ \[/ { next }
	/^WatchedEvent / { print > evfile; next }
	# [a, b, ...] lists (ls, getEphemerals) with their items sorted:
	# getEphemerals answers in the server'"'"'s set order (unspecified)
	/^\[.*\]$/ {
		n = split(substr($0, 2, length($0) - 2), it, ", ")
		for (i = 2; i <= n; i++) {
			v = it[i]
			for (j = i - 1; j >= 1 && it[j] > v; j--) it[j + 1] = it[j]
			it[j + 1] = v
		}
		line = "["
		for (i = 1; i <= n; i++) line = line (i > 1 ? ", " : "") it[i]
		print line "]"
		next
	}
	# ls -R lists paths in the order getChildren gave them, which is
	# unspecified: a run of path lines is sorted
	/^\// { print | "LC_ALL=C sort"; next }
	{ close("LC_ALL=C sort") }
	/^[cmp]Zxid = 0x/ {
		z = $3
		if (z == "0x0") { print $1 " = 0"; next }
		if (!(z in zl)) zl[z] = "Z" (++nz)
		print $1 " = " zl[z]
		next
	}
	/^[cm]time = / { print $1 " = <date>"; next }
	/^ephemeralOwner = / {
		if ($3 == "0x0" || $3 ~ /^0x(8000000000000000|ff)/) print
		else print "ephemeralOwner = <session>"
		next
	}
	{ print }
	END { close("LC_ALL=C sort") }
	' "$scratch/$name.raw"
	echo "-- events of session $name"
	[ -f "$scratch/$name.ev" ] && cat "$scratch/$name.ev"
}

session one \
	"create /zc \"hello\"" \
	"create /zc again" \
	"create /zc/child data" \
	"create /nope/x" \
	"create -e /zc/eph e" \
	"create -e /zc/eph/k e" \
	"create -s /zc/seq- s" \
	"create -s /zc/seq- s" \
	"create -e -s /zc/es- x" \
	"create -c /zc/cont" \
	"create -t 100000 /zc/ttl t" \
	"create -s -t 100000 /zc/ttls- t" \
	"create -c /zc/cont/k" \
	"get /zc" \
	"get -s /zc" \
	"set /zc \"world\"" \
	"set -v 5 /zc x" \
	"set -s -v 1 /zc again" \
	"get /zc/nope" \
	"stat /zc" \
	"stat /zc/eph" \
	"stat /zc/cont" \
	"stat /zc/ttl" \
	"stat /nope" \
	"ls /zc" \
	"ls -s /zc" \
	"ls -R /zc" \
	"ls /" \
	"ls /zookeeper" \
	"ls /nope" \
	"getAllChildrenNumber /zc" \
	"getAllChildrenNumber /" \
	"getAllChildrenNumber /nope" \
	"getEphemerals /zc" \
	"getEphemerals /" \
	"getEphemerals /nope" \
	"sync /zc" \
	"getAcl /zc" \
	"getAcl -s /zc" \
	"getAcl /nope" \
	"create /zc/ro x" \
	"setAcl /zc/ro world:anyone:r" \
	"getAcl -s /zc/ro" \
	"set /zc/ro y" \
	"create /zc/ro/k x" \
	"setAcl /zc/ro world:anyone:cdrwa" \
	"get /zc/ro" \
	"delete /zc/ro" \
	"setAcl -v 7 /zc world:anyone:cdrwa" \
	"setAcl /zc world:anyone:cdrwa" \
	"getAcl -s /zc" \
	"addauth digest u:p" \
	"create /zc/secret s auth::cdrwa" \
	"getAcl /zc/secret" \
	"setAcl /zc/child auth::cdra" \
	"getAcl /zc/child" \
	"set /zc/child z" \
	"setAcl -R /zc/cont world:anyone:cdrwa" \
	"whoami" \
	"addWatch /zc/child" \
	"addWatch -m PERSISTENT_RECURSIVE /zc/cont" \
	"get -w /zc/eph" \
	"ls -w /zc" \
	"stat -w /zc/new" \
	"create /zc/new n" \
	"create /zc/cont/k2 x" \
	"set /zc/cont/k y" \
	"delete /zc/child" \
	"delete /zc/eph" \
	"removewatches /zc/cont -a" \
	"removewatches /zc/nope -a" \
	"create /zc/cont/k3" \
	"delete -v 3 /zc/new" \
	"delete -v 0 /zc/new" \
	"delete /zc" \
	"get /zc/secret" \
	"deleteall /zc/cont" \
	"ls -R /zc"

session two \
	"ls /zc" \
	"get /zc/secret" \
	"getAcl /zc/secret" \
	"addauth digest u:wrong" \
	"get /zc/secret" \
	"addauth digest u:p" \
	"get /zc/secret" \
	"getEphemerals /" \
	"deleteall /zc" \
	"ls /" \
	"stat /zc" \
	"get -s /zookeeper/config" \
	"getAcl /zookeeper/config" \
	"config" \
	"ls -s /zookeeper" \
	"getAcl /zookeeper" \
	"set /zookeeper/config x" \
	"delete /zookeeper/config"
