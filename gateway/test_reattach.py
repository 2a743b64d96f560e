#!/usr/bin/env python3
"""gateway/test_reattach.py — dpzk-gateway keeps a ZooKeeper client's
session through upstream and gateway failures (docs/GATEWAY.md §1).

Runs inside the test network's namespace (test_reattach.sh sets it up):

  test_reattach.py TESTNET_SH NETWORK GATEWAY

1. A kazoo client through the gateway arms a data and a child watch and
   owns an ephemeral.  The server stops for longer than 2/3 of the session
   timeout (21 s of 30 s) while a write waits, then starts again: the gateway reattaches
   the session under the client, which never leaves CONNECTED; the write
   is applied once; the replayed watches fire; the ephemeral survives.
2. The gateway is killed (-9) and started again: the client reconnects
   with its session id and keeps its session and ephemeral.
3. Four-letter words: ruok through the whitelist, mntr carries the
   gateway_ counters; a word outside the whitelist gets ZooKeeper's text.
4. closeSession through the gateway ends the session (ephemeral gone).
Exit 0 on success, 1 with the reason on failure.
"""
import os
import socket
import subprocess
import sys
import threading
import tempfile
import time

from kazoo.client import KazooClient, KazooState

TESTNET, NET, GATEWAY = sys.argv[1:4]
ADDR = "127.0.0.1:2181"
# The outage must outlast 2/3 of the session timeout (the gateway then
# gives the upstream up and reattaches) and end, server start included,
# well within it (or the session expires): 30 s and 21 s leave 9 s for a
# sanitizer build of the server to start.
TIMEOUT = 30
OUTAGE = 21
gw = None
gw_starts = [0]
LOG = tempfile.mktemp(prefix="dpzk-gwr-gw.", dir="/var/tmp")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    stop_gateway(9)
    sys.exit(1)


def start_gateway():
    global gw
    log = open(LOG, "a")
    gw = subprocess.Popen(
        [GATEWAY, "--servers", "198.18.0.11:2181", "--bind", "127.0.0.1",
         "--port", "2181", "--4lw_whitelist", "ruok,mntr"],
        stdout=log, stderr=subprocess.STDOUT)
    log.close()
    want = "listening on 127.0.0.1:2181"
    if not wait_for(lambda: open(LOG).read().count(want) > gw_starts[0] or
                    gw.poll() is not None, 10) or gw.poll() is not None:
        fail("gateway did not start: %r" % open(LOG).read()[-300:])
    gw_starts[0] += 1
    print("# gateway %d up (pid %d)" % (gw_starts[0], gw.pid), flush=True)


def stop_gateway(sig=15):
    global gw
    if gw is not None and gw.poll() is None:
        gw.send_signal(sig)
        try:
            gw.wait(10)
        except subprocess.TimeoutExpired:
            gw.kill()
            gw.wait()
    gw = None


def word(w):
    s = socket.create_connection(("127.0.0.1", 2181), timeout=5)
    s.sendall(w.encode())
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode(errors="replace")


def wait_for(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def main():
    start_gateway()
    states = []
    zk = KazooClient(hosts=ADDR, timeout=TIMEOUT)
    zk.add_listener(lambda s: states.append(s))
    zk.start(timeout=15)
    sid = zk.client_id
    zk.ensure_path("/gwr")
    eph = zk.create("/gwr/eph", b"x", ephemeral=True)
    events = []
    zk.get("/gwr", watch=lambda e: events.append(("data", e.type)))
    zk.get_children("/gwr", watch=lambda e: events.append(("child", e.type)))

    # 1. the server goes away for longer than 2/3 of the timeout while a
    # write waits
    subprocess.run([TESTNET, "stop", "--name", NET, "1"], check=True)
    res = []

    def writer():
        try:
            res.append(zk.set("/gwr", b"during").version)
        except Exception as e:  # reported below
            res.append(type(e).__name__)

    th = threading.Thread(target=writer)
    th.start()
    time.sleep(OUTAGE)
    subprocess.run([TESTNET, "start", "--name", NET, "1"], check=True)
    th.join(30)
    print("# write during the outage: %s; states %s" % (res, states),
          flush=True)
    if res != [1]:
        fail("the write during the outage: %s, expected version 1" % res)
    if states != [KazooState.CONNECTED]:
        fail("the client saw %s, expected only CONNECTED" % states)
    if not wait_for(lambda: ("data", "CHANGED") in events, 5):
        fail("the replayed data watch did not fire: %s" % events)
    zk.create("/gwr/new")
    if not wait_for(lambda: ("child", "CHILD") in events, 5):
        fail("the replayed child watch did not fire: %s" % events)
    st = zk.exists(eph)
    if st is None or st.ephemeralOwner != sid[0]:
        fail("the ephemeral did not survive the reattach")
    if zk.client_id != sid:
        fail("the session changed across the reattach")

    # 2. the gateway dies and comes back: the client reconnects
    stop_gateway(9)
    time.sleep(0.5)
    start_gateway()
    if not wait_for(lambda: zk.state == KazooState.CONNECTED and
                    states[-1] == KazooState.CONNECTED and
                    KazooState.SUSPENDED in states, 15):
        fail("no reconnect after the gateway restart: %s" % states)
    if zk.client_id != sid:
        fail("the session changed across the gateway restart")
    st = zk.exists(eph)
    if st is None or st.ephemeralOwner != sid[0]:
        fail("the ephemeral did not survive the gateway restart")
    zk.set("/gwr", b"after")
    if zk.get("/gwr")[0] != b"after":
        fail("a write after the gateway restart was not applied")
    print("# gateway restart: same session, ephemeral alive", flush=True)

    # 3. four-letter words
    if word("ruok") != "imok":
        fail("ruok")
    m = word("mntr")
    if "zk_version" not in m or "gateway_conns_open\t" not in m:
        fail("mntr lacks the server's or the gateway's lines: %r" % m[:200])
    if word("stat") != ("stat is not executed because it is not in the "
                        "whitelist.\n"):
        fail("stat outside the whitelist")
    print("# 4lw: ruok, mntr, whitelist", flush=True)

    # 4. closeSession ends the session
    zk.stop()
    zk.close()
    zk2 = KazooClient(hosts=ADDR, timeout=12)
    zk2.start(timeout=15)
    if zk2.exists(eph) is not None:
        fail("the ephemeral outlived closeSession")
    zk2.delete("/gwr", recursive=True)
    zk2.stop()
    zk2.close()
    stop_gateway()
    out = open(LOG).read()
    if "Sanitizer" in out or "runtime error" in out:
        fail("sanitizer report in the gateway's output:\n" + out[-3000:])
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        stop_gateway(9)
        try:
            os.unlink(LOG)
        except OSError:
            pass
