#!/usr/bin/env python3
"""hostile.py — hostile TCP input against dpzk-gateway (run.sh, mode gateway).

Each case attacks the gateway, then checks that a well-behaved client
still gets its work done (a session, create/get/delete) and that the
gateway process is still alive.  What the gateway does to the attacker
(close at once, or later) is printed but only the survival of the gateway
and of other clients is asserted: ZooKeeper closes a connection on a bad
frame, and so should the gateway, but the moment it notices is timing.
Every socket has a timeout and every loop a bound.

Cases: garbage bytes; an oversized length prefix; a negative length; a
half-open connection (half a frame, then nothing); 2000+ idle connections
held at once (the fd limit is raised first), some of them with sessions;
a client that never reads while its watches fire on a hot node.

Usage: hostile.py HOST:PORT   (GWT_GATEWAY_PID: the gateway's pid)
"""
import os
import random
import resource
import socket
import struct
import sys
import time

import zkwire as zw

HOST, PORT = sys.argv[1].rsplit(":", 1)
PORT = int(PORT)
GW_PID = int(os.environ.get("GWT_GATEWAY_PID", "0") or 0)
failures = 0
rng = random.Random(7)


def out(*a):
    print(*a, flush=True)


def fail(what):
    global failures
    failures += 1
    out("!!", what)


def gateway_alive():
    if GW_PID <= 0:
        return True
    try:
        os.kill(GW_PID, 0)
        return True
    except OSError:
        return False


def healthy(tag):
    """A normal session must work; the gateway must be alive."""
    if not gateway_alive():
        fail("%s: the gateway process is gone" % tag)
        return
    try:
        c = zw.session(HOST, PORT)
        path = "/hostile-%s" % tag
        _, _, err, r = c.call(zw.CREATE, zw.b_create(path, b"ok"))
        _, _, err2, r2 = c.call(zw.GETDATA, zw.b_path_watch(path))
        data = r2.buf() if err2 == 0 else None
        _, _, err3, _ = c.call(zw.DELETE, zw.p_str(path) + zw.p_int(-1))
        c.call(zw.CLOSE)
        c.close()
        ok = (err, err2, data, err3) == (0, 0, b"ok", 0)
        out("%s: a normal client %s" % (tag, "works" if ok else
                                          "FAILS %r" % ((err, err2, data,
                                                         err3),)))
        if not ok:
            fail("%s: normal client" % tag)
    except (zw.Closed, OSError) as e:
        fail("%s: a normal client cannot work: %r" % (tag, e))


def closed_by_peer(s, secs=10):
    """True when the gateway closes s within secs (reads what comes)."""
    s.settimeout(0.5)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            b = s.recv(65536)
            if not b:
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def raw(data):
    s = socket.create_connection((HOST, PORT), timeout=10)
    try:
        s.sendall(data)
    except OSError:
        pass
    return s


def case_garbage():
    out("== garbage bytes")
    for n in (1, 3, 4096, 100000):
        s = raw(bytes(rng.getrandbits(8) for _ in range(n)))
        out("garbage %d bytes: closed by the gateway: %s" %
            (n, closed_by_peer(s, 5)))
        s.close()
    # a valid handshake, then garbage instead of a request
    c = zw.session(HOST, PORT)
    c.s.sendall(b"\x00\x00\x00\x08" + b"\xff" * 8)
    out("garbage request after a handshake: closed:",
        closed_by_peer(c.s, 5))
    c.close()
    healthy("garbage")


def case_lengths():
    out("== oversized and negative lengths")
    for name, n in (("2^31-1", 0x7FFFFFFF), ("jute.maxbuffer+1", 0x100000),
                    ("16 MiB", 16 << 20), ("-1", -1), ("-5", -5),
                    ("INT_MIN", -0x80000000)):
        s = raw(struct.pack("!i", n) + b"\0" * 64)
        out("length %s: closed by the gateway: %s" %
            (name, closed_by_peer(s, 5)))
        s.close()
    c = zw.session(HOST, PORT)
    c.s.sendall(struct.pack("!i", 0x7FFFFFF0) + b"\0" * 100)
    out("oversized request after a handshake: closed:",
        closed_by_peer(c.s, 5))
    c.close()
    c = zw.session(HOST, PORT)
    c.s.sendall(struct.pack("!i", -8) + b"\0" * 8)
    out("negative request length after a handshake: closed:",
        closed_by_peer(c.s, 5))
    c.close()
    healthy("lengths")


def case_half_open():
    out("== half-open connections")
    half = []
    # half a ConnectRequest (45 bytes announced, 20 sent)
    half.append(raw(struct.pack("!i", 45) + b"\0" * 20))
    # a length prefix cut in two
    half.append(raw(b"\x00\x00"))
    # a session, then half a request
    c = zw.session(HOST, PORT)
    c.s.sendall(struct.pack("!i", 100) + b"\0" * 30)
    half.append(c.s)
    # a connection that sends nothing
    half.append(raw(b""))
    healthy("half-open")
    for s in half:
        s.close()
    healthy("half-open-after")


def case_many_idle(n=2100, with_session=40):
    out("== %d idle connections at once (%d with a session)" %
        (n, with_session))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 500
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (max(want, soft), max(want, hard)))
        except (ValueError, OSError) as e:
            fail("cannot raise the fd limit to %d: %s" % (want, e))
            return
    conns, refused = [], 0
    t_end = time.monotonic() + 60
    for i in range(n):
        if time.monotonic() > t_end:
            break
        try:
            conns.append(socket.create_connection((HOST, PORT), timeout=10))
        except OSError:
            refused += 1
    out("opened %d, refused %d" % (len(conns), refused))
    if len(conns) < 2000:
        fail("fewer than 2000 connections were accepted")
    sessions = []
    for i in range(with_session):
        try:
            sessions.append(zw.session(HOST, PORT))
        except (zw.Closed, OSError):
            break
    out("sessions on top of them: %d" % len(sessions))
    if len(sessions) < with_session:
        fail("sessions refused while idle connections are held")
    healthy("idle")
    # the idle ones must still be open (no reset): a sample sends ruok
    alive = 0
    for s in conns[:50]:
        try:
            s.sendall(b"ruok")
            s.settimeout(5)
            alive += s.recv(16) == b"imok"
        except OSError:
            pass
    out("ruok on 50 of the held connections: %d imok" % alive)
    for c in sessions:
        c.close()
    for s in conns:
        s.close()
    healthy("idle-after")


def case_never_reads():
    out("== a client that never reads while its watches fire")
    c = zw.session(HOST, PORT)
    hot = "/hostile-hot"
    big = b"h" * 65536
    _, _, err, _ = c.call(zw.CREATE, zw.b_create(hot, big))
    out("hot node created:", zw.ename(err))
    slow = zw.session(HOST, PORT)
    slow.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # pipeline 300 getData-with-watch of 64 KiB each, never read a reply
    req = b"".join(zw.p_int(12 + len(hot) + 5) + zw.p_int(i + 1) +
                   zw.p_int(zw.GETDATA) + zw.b_path_watch(hot, True)
                   for i in range(300))
    slow.s.settimeout(10)
    try:
        slow.s.sendall(req)
        sent = "all"
    except OSError as e:
        sent = "cut (%s)" % type(e).__name__
    out("slow client's requests sent:", sent)
    ok = 0
    t0 = time.monotonic()
    for i in range(300):
        if time.monotonic() - t0 > 60:
            break
        _, _, err, _ = c.call(zw.SETDATA, zw.p_str(hot) +
                              zw.p_buf(b"%d" % i + big[:100]) + zw.p_int(-1))
        ok += err == 0
    out("writer: %d of 300 setData ok while the slow client stalls" % ok)
    if ok != 300:
        fail("the writer was held up by the slow reader")
    healthy("never-reads")
    out("slow client closed by the gateway (its buffer is bounded): %s" %
        closed_by_peer(slow.s, 10))
    slow.close()
    c.call(zw.DELETE, zw.p_str(hot) + zw.p_int(-1))
    c.close()
    healthy("never-reads-after")


def main():
    if GW_PID <= 0:
        out("note: GWT_GATEWAY_PID not set; only client-side checks")
    healthy("start")
    for case in (case_garbage, case_lengths, case_half_open,
                 case_many_idle, case_never_reads):
        try:
            case()
        except Exception as e:  # a case that breaks is a failure, go on
            fail("%s raised %s: %s" % (case.__name__, type(e).__name__, e))
            healthy(case.__name__)
    out("gateway alive at the end:", gateway_alive())
    if not gateway_alive():
        fail("gateway died")
    out("failures:", failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
