#!/usr/bin/env bash
# java_ops.sh — builds and runs JavaOps.java, Apache ZooKeeper's own Java
# client (Debian's zookeeper.jar) on the operations only it exposes
# (multi with container/TTL creates, multi of reads, addWatch,
# removeWatches, getEphemerals, getAllChildrenNumber, whoAmI, getConfig).
# Compiled at run time into the runner's scratch directory, so nothing
# Java is built by meson.  Its stdout is the transcript run.sh compares.
#
# Usage: java_ops.sh HOST:PORT
set -uo pipefail

hp=${1:?usage: java_ops.sh HOST:PORT}
here=$(cd "$(dirname "$0")" && pwd)
jar=/usr/share/java/zookeeper.jar
if [ ! -f "$jar" ] || ! command -v java >/dev/null; then
	echo "SKIP: zookeeper.jar (Debian package zookeeper) or java is absent" >&2
	exit 77
fi
if ! command -v javac >/dev/null; then
	echo "SKIP: javac is not installed (Debian package default-jdk-headless)" >&2
	exit 77
fi
out=${GWT_DIR:-$(mktemp -d)}/classes
mkdir -p "$out"
javac -nowarn -cp "$jar" -d "$out" "$here/JavaOps.java" >&2 || exit 1
exec java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$out:$jar" JavaOps "$hp"
