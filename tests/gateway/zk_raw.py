#!/usr/bin/env python3
"""zk_raw.py — what no packaged client exposes, on the wire, as a transcript.

libzookeeper-mt 3.8 has no multiRead, addWatch, checkWatches,
getEphemerals, getAllChildrenNumber; kazoo 2.8 has no setWatches; and
every client validates paths and arguments before the server sees them.
This program speaks the protocol directly (zkwire.py) to compare what the
servers answer: handshake lengths and timeout negotiation, reattach with
a wrong password or an unknown session, server-side path validation,
multiRead, addWatch (persistent, recursive), checkWatches/removeWatches,
setWatches2 replay, getEphemerals, getAllChildrenNumber, ping, auth,
unknown opcodes, frames at the size limit, closeSession, ruok/isro.
Run by run.sh against both servers; the transcripts must match.
zxids print only as relations, times never, session ids as self/other.

Usage: zk_raw.py HOST:PORT
"""
import re
import socket
import struct
import sys

import zkwire as zw

HOST, PORT = sys.argv[1].rsplit(":", 1)
PORT = int(PORT)
failures = 0


def out(*a):
    print(*a, flush=True)


def fail(what):
    global failures
    failures += 1
    out("!!", what)


def sess():
    return zw.session(HOST, PORT, timeout_ms=30000)


def closed(c, secs=5):
    c.s.settimeout(secs)
    try:
        b = c.s.recv(4096)
        return "closed" if not b else "open (%d bytes)" % len(b)
    except socket.timeout:
        return "open"
    except OSError:
        return "closed"


def ev(c):
    e = [(t, p) for t, _, p in c.events]
    c.events.clear()
    return e


def handshake():
    out("== handshake")
    for ro in (True, False, None):
        c = zw.Conn(HOST, PORT)
        t, sid, pw, n = c.connect(read_only=ro)
        out("readOnly=%s: reply %d bytes, timeout %d, passwd %d bytes, "
            "sid nonzero %s" % (ro, n, t, len(pw), sid != 0))
        c.call(zw.CLOSE)
        c.close()
    for want in (1000, 4000, 9999, 40000, 100000):
        c = zw.Conn(HOST, PORT)
        t, _, _, _ = c.connect(timeout_ms=want)
        out("asked %d ms: granted %d" % (want, t))
        c.call(zw.CLOSE)
        c.close()
    a = sess()
    b = zw.Conn(HOST, PORT)
    bad = bytes(x ^ 0xFF for x in a.passwd)
    t, sid, pw, n = b.connect(sid=a.sid, passwd=bad)
    out("reattach with a wrong password: timeout %d sid %s passwd %s, %s" %
        (t, "0" if sid == 0 else "self" if sid == a.sid else "other",
         "zero" if pw == b"\0" * len(pw) else "set", closed(b)))
    b.close()
    b = zw.Conn(HOST, PORT)
    t, sid, pw, n = b.connect(sid=a.sid ^ 0x5A5A5A, passwd=a.passwd)
    out("reattach to an unknown session: timeout %d sid %s, %s" %
        (t, "0" if sid == 0 else "other", closed(b)))
    b.close()
    b = zw.Conn(HOST, PORT)
    t, sid, pw, n = b.connect(sid=a.sid, passwd=a.passwd)
    out("reattach with the password: timeout %d sid %s" %
        (t, "self" if sid == a.sid else "other"))
    out("the first connection after the reattach:", closed(a, 3))
    _, _, err, _ = b.call(zw.EXISTS, zw.b_path_watch("/"))
    out("exists / on the reattached connection:", zw.ename(err))
    b.call(zw.CLOSE)
    b.close()
    a.close()


def paths(c):
    out("== server-side path validation")
    for p in ("", "abc", "/r/", "/r//x", "/r/./x", "/r/../x", "/r/x\0y",
              "/zookeeper/quota/x", "/r/\u0001"):
        _, _, err, _ = c.call(zw.CREATE, zw.b_create(p))
        out("create %r: %s" % (p, zw.ename(err)))
    for flags in (-1, 7, 8, 100):
        _, _, err, _ = c.call(zw.CREATE, zw.b_create("/r/f", b"", flags))
        out("create flags %d: %s" % (flags, zw.ename(err)))
    _, _, err, _ = c.call(zw.CREATE, zw.p_str("/r/noacl") + zw.p_buf(b"") +
                          zw.p_int(0) + zw.p_int(0))
    out("create with an empty ACL:", zw.ename(err))
    _, _, err, _ = c.call(zw.CREATE, zw.p_str("/r/nullacl") +
                          zw.p_buf(b"") + zw.p_int(-1) + zw.p_int(0))
    out("create with a null ACL:", zw.ename(err))
    for ttl in (0, -1, 1 << 40, (1 << 40) - 1):
        _, _, err, _ = c.call(21, zw.b_create("/r/ttl", b"", 5) +
                              zw.p_long(ttl))
        out("createTTL ttl=%d: %s" % (ttl, zw.ename(err)))
        c.call(zw.DELETE, zw.p_str("/r/ttl") + zw.p_int(-1))
    _, _, err, r = c.call(21, zw.b_create("/r/ttl", b"", 0) + zw.p_long(5))
    out("createTTL with mode persistent:", zw.ename(err))
    _, _, err, _ = c.call(zw.DELETE, zw.p_str("/r/nope") + zw.p_int(-1))
    out("delete missing:", zw.ename(err))
    for v in (-2, 0x7FFFFFFF):
        _, _, err, _ = c.call(zw.SETDATA, zw.p_str("/r") + zw.p_buf(b"x") +
                              zw.p_int(v))
        out("setData version %d: %s" % (v, zw.ename(err)))


def multiread(c):
    out("== multiRead")
    c.call(zw.CREATE, zw.b_create("/r/mr", b"mr"))
    c.call(zw.CREATE, zw.b_create("/r/mr/k1"))
    c.call(zw.CREATE, zw.b_create("/r/mr/k2"))
    body = b""
    for op, path in ((zw.GETDATA, "/r/mr"), (zw.GETCHILDREN, "/r/mr"),
                     (zw.GETDATA, "/r/nope"), (zw.GETCHILDREN, "/r/nope"),
                     (zw.GETDATA, "/r/mr/k1")):
        body += zw.p_int(op) + zw.p_bool(False) + zw.p_int(-1) + \
            zw.b_path_watch(path)
    body += zw.p_int(-1) + zw.p_bool(True) + zw.p_int(-1)
    _, zxid, err, r = c.call(zw.MULTIREAD, body)
    out("multiRead:", zw.ename(err))
    if err == 0:
        for _ in range(10):
            t, done, e = r.int(), r.bool(), r.int()
            if done:
                out("  end", t, e)
                break
            if t == zw.GETDATA:
                d = r.buf()
                st = r.stat()
                out("  getData", d, "version", st["version"])
            elif t == zw.GETCHILDREN:
                out("  getChildren", sorted(r.strs()))
            elif t == -1:
                out("  error", zw.ename(r.int()))
            else:
                out("  type", t)
                break
    body = (zw.p_int(zw.SETDATA) + zw.p_bool(False) + zw.p_int(-1) +
            zw.p_str("/r/mr") + zw.p_buf(b"x") + zw.p_int(-1) +
            zw.p_int(-1) + zw.p_bool(True) + zw.p_int(-1))
    _, _, err, r = c.call(zw.MULTIREAD, body)
    out("multiRead with a setData inside:", zw.ename(err), closed(c, 2))


def watches():
    out("== addWatch, checkWatches, removeWatches")
    a, b = sess(), sess()
    b.call(zw.CREATE, zw.b_create("/r/pw"))
    b.call(zw.CREATE, zw.b_create("/r/rw"))
    _, _, err, r = a.call(zw.ADDWATCH, zw.p_str("/r/pw") + zw.p_int(0))
    out("addWatch persistent:", zw.ename(err), "body bytes", r.left())
    _, _, err, r = a.call(zw.ADDWATCH, zw.p_str("/r/rw") + zw.p_int(1))
    out("addWatch recursive:", zw.ename(err), "body bytes", r.left())
    _, _, err, r = a.call(zw.ADDWATCH, zw.p_str("/r/nothere") + zw.p_int(0))
    out("addWatch on a missing node:", zw.ename(err))
    for op, body in (
            (zw.SETDATA, zw.p_str("/r/pw") + zw.p_buf(b"1") + zw.p_int(-1)),
            (zw.SETDATA, zw.p_str("/r/pw") + zw.p_buf(b"2") + zw.p_int(-1)),
            (zw.CREATE, zw.b_create("/r/pw/c")),
            (zw.CREATE, zw.b_create("/r/pw/c/g")),
            (zw.CREATE, zw.b_create("/r/rw/a")),
            (zw.CREATE, zw.b_create("/r/rw/a/b")),
            (zw.SETDATA, zw.p_str("/r/rw/a/b") + zw.p_buf(b"x") +
             zw.p_int(-1)),
            (zw.DELETE, zw.p_str("/r/rw/a/b") + zw.p_int(-1)),
            (zw.CREATE, zw.b_create("/r/nothere"))):
        b.call(op, body)
    a.call(zw.EXISTS, zw.b_path_watch("/"))
    for e in ev(a):
        out("  event", *e)
    for typ, name in ((4, "persistent"), (5, "recursive"), (2, "data"),
                      (1, "children"), (3, "any")):
        _, _, err, _ = a.call(zw.CHECKWATCHES, zw.p_str("/r/pw") +
                              zw.p_int(typ))
        out("checkWatches /r/pw %s: %s" % (name, zw.ename(err)))
    a.call(zw.GETDATA, zw.b_path_watch("/r/pw", True))
    a.call(zw.GETCHILDREN, zw.b_path_watch("/r/pw/c", True))
    for path, typ in (("/r/pw", 2), ("/r/pw", 2), ("/r/pw/c", 1),
                      ("/r/pw/c", 3), ("/r/pw", 4), ("/r/pw", 4),
                      ("/r/rw", 5), ("/r/rw", 4), ("/r/nope", 3)):
        _, _, err, _ = a.call(zw.REMOVEWATCHES, zw.p_str(path) +
                              zw.p_int(typ))
        out("removeWatches %s type %d: %s" % (path, typ, zw.ename(err)))
    b.call(zw.SETDATA, zw.p_str("/r/pw") + zw.p_buf(b"3") + zw.p_int(-1))
    b.call(zw.CREATE, zw.b_create("/r/rw/z"))
    a.call(zw.EXISTS, zw.b_path_watch("/"))
    out("events after removal:", ev(a))
    a.call(zw.CLOSE)
    b.call(zw.CLOSE)
    a.close()
    b.close()


def setwatches():
    out("== setWatches2 replay")
    a, b = sess(), sess()
    for p in ("/r/sw", "/r/sw/d", "/r/sw/gone", "/r/sw/same"):
        b.call(zw.CREATE, zw.b_create(p, b"0"))
    _, rel, _, _ = b.call(zw.EXISTS, zw.b_path_watch("/r/sw"))
    b.call(zw.SETDATA, zw.p_str("/r/sw/d") + zw.p_buf(b"1") + zw.p_int(-1))
    b.call(zw.DELETE, zw.p_str("/r/sw/gone") + zw.p_int(-1))
    b.call(zw.CREATE, zw.b_create("/r/sw/new"))
    body = (zw.p_long(rel) +
            zw.p_strs(["/r/sw/d", "/r/sw/gone", "/r/sw/same"]) +   # data
            zw.p_strs(["/r/sw/new", "/r/sw/never"]) +              # exist
            zw.p_strs(["/r/sw", "/r/sw/gone", "/r/sw/same"]) +     # child
            zw.p_strs(["/r/sw/same"]) +                            # persistent
            zw.p_strs([]))                                         # recursive
    xid, _, err, r = a.call(zw.SETWATCHES2, body, xid=-8)
    out("setWatches2: xid %d %s body bytes %d" % (xid, zw.ename(err),
                                                   r.left()))
    a.call(zw.EXISTS, zw.b_path_watch("/"))
    out("replayed events:", sorted(ev(a)))
    b.call(zw.SETDATA, zw.p_str("/r/sw/same") + zw.p_buf(b"1") +
           zw.p_int(-1))
    b.call(zw.CREATE, zw.b_create("/r/sw/never"))
    b.call(zw.SETDATA, zw.p_str("/r/sw/same") + zw.p_buf(b"2") +
           zw.p_int(-1))
    a.call(zw.EXISTS, zw.b_path_watch("/"))
    out("events after:", ev(a))
    body = (zw.p_long(rel) + zw.p_strs(["/r/sw/d"]) + zw.p_strs([]) +
            zw.p_strs([]))
    xid, _, err, r = a.call(zw.SETWATCHES, body, xid=-8)
    a.call(zw.EXISTS, zw.b_path_watch("/"))
    out("setWatches (v1): xid %d %s, events %s" % (xid, zw.ename(err),
                                                    ev(a)))
    a.call(zw.CLOSE)
    b.call(zw.CLOSE)
    a.close()
    b.close()


def misc(c):
    out("== ephemerals, counts, ping, auth, sync")
    o = sess()
    c.call(zw.CREATE, zw.b_create("/r/e"))
    c.call(zw.CREATE, zw.b_create("/r/e/mine", b"", 1))
    c.call(zw.CREATE, zw.b_create("/r/e/mine2", b"", 3))
    o.call(zw.CREATE, zw.b_create("/r/e/theirs", b"", 1))
    for prefix in ("/", "/r/e", "/r/e/mine", "/r/e/m", "/nope"):
        _, _, err, r = c.call(zw.GETEPHEMERALS, zw.p_str(prefix))
        out("getEphemerals %s: %s %s" % (prefix, zw.ename(err),
                                         sorted(r.strs()) if err == 0
                                         else ""))
    for p in ("/", "/r/e", "/r/e/mine", "/nope"):
        _, _, err, r = c.call(zw.ALLCHILDREN, zw.p_str(p))
        out("getAllChildrenNumber %s: %s %s" % (p, zw.ename(err),
                                                r.int() if err == 0
                                                else ""))
    xid, zxid, err, r = c.call(zw.PING, xid=-2)
    out("ping: xid %d %s body %d" % (xid, zw.ename(err), r.left()))
    xid, _, err, r = c.call(100, zw.p_int(0) + zw.p_str("digest") +
                            zw.p_buf(b"u:p"), xid=-4)
    out("auth digest: xid %d %s" % (xid, zw.ename(err)))
    xid, _, err, r = c.call(zw.SYNC, zw.p_str("/r"))
    out("sync /r:", zw.ename(err), r.str() if err == 0 else "")
    _, hz, err, r = c.call(zw.CREATE, zw.b_create("/r/z"))
    _, hz2, err, r = c.call(zw.GETDATA, zw.b_path_watch("/r/z"))
    r.buf()
    st = r.stat()
    out("reply zxid of create == its czxid:", hz == st["czxid"],
        "read's reply zxid >= czxid:", hz2 >= st["czxid"])
    o.call(zw.CLOSE)
    o.close()
    bad = sess()
    xid, _, err, r = bad.call(100, zw.p_int(0) + zw.p_str("nosuch") +
                              zw.p_buf(b"x"), xid=-4)
    out("auth unknown scheme: xid %d %s, then %s" % (xid, zw.ename(err),
                                                    closed(bad)))
    bad.close()
    reconfig = zw.p_str("") + zw.p_str("") + zw.p_str(None) + zw.p_long(-1)
    for op, name, body in ((999, "999", zw.p_str("/r") + zw.p_int(-1)),
                           (zw.CHECK, "check alone",
                            zw.p_str("/r") + zw.p_int(-1)),
                           (16, "reconfig", reconfig)):
        u = sess()
        try:
            xid, _, err, r = u.call(op, body)
            out("opcode %s: %s, then %s" % (name, zw.ename(err), closed(u)))
        except zw.Closed:
            out("opcode %s: closed without a reply" % name)
        u.close()


def big(c):
    out("== frames at the size limit")
    data = bytes((i * 7 + i // 251) & 0xFF for i in range(1040000))
    _, _, err, _ = c.call(zw.CREATE, zw.b_create("/r/big", data))
    out("create 1040000 bytes:", zw.ename(err))
    _, _, err, r = c.call(zw.GETDATA, zw.b_path_watch("/r/big"))
    d = r.buf() if err == 0 else None
    out("getData:", zw.ename(err), "same bytes:", d == data)
    c.call(zw.DELETE, zw.p_str("/r/big") + zw.p_int(-1))
    t = sess()
    try:
        xid, _, err, _ = t.call(zw.CREATE,
                                zw.b_create("/r/big2", b"x" * 1048576))
        out("create 1 MiB (frame over jute.maxbuffer):", zw.ename(err),
            closed(t, 3))
    except (zw.Closed, OSError):
        out("create 1 MiB (frame over jute.maxbuffer): closed")
    t.close()
    _, _, err, _ = c.call(zw.EXISTS, zw.b_path_watch("/r/big2"))
    out("exists /r/big2:", zw.ename(err))


def word(w):
    s = socket.create_connection((HOST, PORT), timeout=10)
    s.sendall(w)
    got = b""
    try:
        while len(got) < 1 << 20:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except OSError:
        pass
    s.close()
    return got.decode(errors="replace")


MNTR_KEYS = ("version", "server_state", "avg_latency", "max_latency",
             "min_latency", "packets_received", "packets_sent",
             "num_alive_connections", "outstanding_requests", "uptime",
             "znode_count", "watch_count", "ephemerals_count",
             "approximate_data_size", "global_sessions",
             "open_file_descriptor_count", "max_file_descriptor_count")


def fourletter():
    """Values differ between servers; the formats must not."""
    out("== four-letter words (formats, not values)")
    for w in (b"ruok", b"isro"):
        out(w.decode(), "->", repr(word(w)))
    for w in ("srvr", "stat"):
        t = word(w.encode())
        keys = [ln.split(":")[0] for ln in t.splitlines()
                if ln and not ln.startswith(" ") and ":" in ln]
        out(w, "keys", keys)
        mode = [ln for ln in t.splitlines() if ln.startswith("Mode:")]
        out(w, "mode", mode)
    t = word(b"mntr")
    kv = dict(ln.split("\t", 1) for ln in t.splitlines() if "\t" in ln)
    out("mntr lines not key<TAB>value:",
        sum(1 for ln in t.splitlines() if "\t" not in ln))
    out("mntr missing keys:", [k for k in MNTR_KEYS
                               if "zk_" + k not in kv])
    out("mntr server_state:", kv.get("zk_server_state"))
    out("wchs shape:", re.sub(r"\d+", "N", word(b"wchs")).splitlines())
    t = word(b"envi")
    out("envi first line:", t.splitlines()[:1], "has zookeeper.version=",
        "\nzookeeper.version=" in t, "has host.name=", "\nhost.name=" in t)
    t = word(b"conf")
    kv = dict(ln.split("=", 1) for ln in t.splitlines() if "=" in ln)
    for k in ("clientPort", "dataDir", "tickTime", "maxClientCnxns",
              "minSessionTimeout", "maxSessionTimeout"):
        out("conf %s: %s" % (k, "present" if k in kv else "MISSING"),
            kv.get(k) if k in ("tickTime", "minSessionTimeout",
                               "maxSessionTimeout") else "")
    t = word(b"dump")
    out("dump headers:", [re.sub(r"\d+", "N", ln) for ln in t.splitlines()
                          if ln.endswith(":") and ln[:1].isalpha()])
    t = word(b"cons")
    out("cons lines (numbers as N, sorted):", sorted(
        re.sub(r"\d+", "N", re.sub(r"0x[0-9a-f]+", "0xH", ln))
        for ln in t.splitlines() if ln.strip()))



def acl(*entries):
    """An ACL vector from (perms, scheme, id) entries."""
    return zw.p_int(len(entries)) + b"".join(
        zw.p_int(p) + zw.p_str(sc) + zw.p_str(i) for p, sc, i in entries)


def read_acl(r):
    return [(r.int(), r.str(), r.str()) for _ in range(r.int())]


def acl_edges(c):
    out("== ACL edge cases")
    a = sess()
    a.call(100, zw.p_int(0) + zw.p_str("digest") + zw.p_buf(b"u1:p1"), xid=-4)
    a.call(100, zw.p_int(0) + zw.p_str("digest") + zw.p_buf(b"u2:p:2"),
           xid=-4)
    a.call(zw.CREATE, zw.b_create("/r/acl"))
    cases = (
        ("auth with two digests", acl((31, "auth", ""))),
        ("world perms 0", acl((0, "world", "anyone"))),
        ("world perms 32", acl((32, "world", "anyone"))),
        ("world perms -1", acl((-1, "world", "anyone"))),
        ("world id not anyone", acl((31, "world", "someone"))),
        ("duplicates", acl((1, "world", "anyone"), (1, "world", "anyone"))),
        ("digest without colon", acl((31, "digest", "nocolon"))),
        ("digest explicit", acl((31, "digest", "x:abc"))),
        ("ip", acl((31, "ip", "10.1.2.3"))),
        ("ip cidr", acl((31, "ip", "10.0.0.0/8"))),
        ("ip bad", acl((31, "ip", "300.1.1.1"))),
        ("ip bad cidr", acl((31, "ip", "10.0.0.0/40"))),
        ("auth plus world", acl((1, "world", "anyone"), (31, "auth", ""))),
        ("super", acl((31, "super", "x"))),
    )
    for i, (name, body) in enumerate(cases):
        path = "/r/acl/n%d" % i
        _, _, err, _ = a.call(zw.CREATE, zw.p_str(path) + zw.p_buf(b"") +
                              body + zw.p_int(0))
        line = "create with ACL %s: %s" % (name, zw.ename(err))
        if err == 0:
            _, _, err, r = a.call(zw.GETACL, zw.p_str(path))
            # sorted: ZooKeeper expands "auth" from a hash set of the
            # session's ids, so the order is unspecified
            line += " -> %s" % (sorted(read_acl(r)) if err == 0
                                else zw.ename(err))
            _, _, err, _ = c.call(zw.GETDATA, zw.b_path_watch(path))
            line += "; other session getData %s" % zw.ename(err)
        out(line)
    _, _, err, _ = c.call(zw.SETACL, zw.p_str("/r/acl") +
                          acl((31, "auth", "")) + zw.p_int(-1))
    out("setACL auth by the other session (digest u:p):", zw.ename(err))
    _, _, err, r = a.call(zw.SETACL, zw.p_str("/r/acl") +
                          acl((31, "world", "anyone"),
                              (31, "world", "anyone")) + zw.p_int(0))
    out("setACL duplicates:", zw.ename(err),
        r.stat()["aversion"] if err == 0 else "")
    _, _, err, r = a.call(zw.GETACL, zw.p_str("/r/acl"))
    out("getACL after:", read_acl(r) if err == 0 else zw.ename(err))
    a.call(zw.CLOSE)
    a.close()


def multi_variants(c):
    out("== multi variants (raw)")
    c.call(zw.CREATE, zw.b_create("/r/mv"))

    def multi(ops):
        body = b""
        for op, rec in ops:
            body += zw.p_int(op) + zw.p_bool(False) + zw.p_int(-1) + rec
        body += zw.p_int(-1) + zw.p_bool(True) + zw.p_int(-1)
        _, _, err, r = c.call(zw.MULTI, body)
        res = []
        if err == 0:
            for _ in range(len(ops) + 1):
                t, done, e = r.int(), r.bool(), r.int()
                if done:
                    break
                if t == -1:
                    res.append(("error", zw.ename(r.int())))
                elif t in (zw.CREATE,):
                    res.append((t, r.str()))
                elif t in (zw.CREATE2, 19, 21):
                    p = r.str()
                    st = r.stat()
                    res.append((t, p, "v%d" % st["version"],
                                "owner" if st["owner"] else "no-owner"))
                elif t == zw.SETDATA:
                    res.append((t, "v%d" % r.stat()["version"]))
                else:
                    res.append((t,))
        return zw.ename(err), res

    out("create2, container, ttl, create-seq:", multi([
        (zw.CREATE2, zw.b_create("/r/mv/a", b"a")),
        (19, zw.b_create("/r/mv/cont", b"", 4)),
        (21, zw.b_create("/r/mv/ttl", b"", 5) + zw.p_long(100000)),
        (zw.CREATE, zw.b_create("/r/mv/s-", b"", 2)),
        (zw.CREATE2, zw.b_create("/r/mv/e", b"", 1))]))
    out("setData, check, delete:", multi([
        (zw.SETDATA, zw.p_str("/r/mv/a") + zw.p_buf(b"b") + zw.p_int(0)),
        (zw.CHECK, zw.p_str("/r/mv/a") + zw.p_int(1)),
        (zw.DELETE, zw.p_str("/r/mv/e") + zw.p_int(0))]))
    out("fails at a delete of a non-empty node:", multi([
        (zw.CREATE, zw.b_create("/r/mv/x")),
        (zw.DELETE, zw.p_str("/r/mv") + zw.p_int(-1)),
        (zw.SETDATA, zw.p_str("/r/mv/a") + zw.p_buf(b"c") + zw.p_int(-1))]))
    out("create then delete the same node, then create under it:", multi([
        (zw.CREATE, zw.b_create("/r/mv/y")),
        (zw.DELETE, zw.p_str("/r/mv/y") + zw.p_int(0)),
        (zw.CREATE, zw.b_create("/r/mv/y/z"))]))
    out("version after a set in the same multi:", multi([
        (zw.SETDATA, zw.p_str("/r/mv/a") + zw.p_buf(b"d") + zw.p_int(1)),
        (zw.SETDATA, zw.p_str("/r/mv/a") + zw.p_buf(b"e") + zw.p_int(2)),
        (zw.CHECK, zw.p_str("/r/mv/a") + zw.p_int(3))]))
    out("invalid path inside:", multi([
        (zw.CREATE, zw.b_create("/r/mv/ok")),
        (zw.CREATE, zw.b_create("/r/mv/bad/")),
        (zw.CREATE, zw.b_create("/r/mv/ok2"))]))
    _, _, err, r = c.call(zw.GETCHILDREN2, zw.b_path_watch("/r/mv"))
    if err == 0:
        kids = sorted(r.strs())
        st = r.stat()
        out("children", kids, "cversion", st["cversion"], "nkids",
            st["nkids"])


def persistent_lifecycle():
    out("== persistent watch across delete and re-create")
    a, b = sess(), sess()
    a.call(zw.ADDWATCH, zw.p_str("/r/pl") + zw.p_int(0))
    a.call(zw.ADDWATCH, zw.p_str("/r/plr") + zw.p_int(1))
    for op, body in ((zw.CREATE, zw.b_create("/r/pl")),
                     (zw.SETDATA, zw.p_str("/r/pl") + zw.p_buf(b"1") +
                      zw.p_int(-1)),
                     (zw.DELETE, zw.p_str("/r/pl") + zw.p_int(-1)),
                     (zw.CREATE, zw.b_create("/r/pl")),
                     (zw.CREATE, zw.b_create("/r/plr")),
                     (zw.CREATE, zw.b_create("/r/plr/a")),
                     (zw.CREATE, zw.b_create("/r/plr/a/b")),
                     (zw.DELETE, zw.p_str("/r/plr/a/b") + zw.p_int(-1)),
                     (zw.DELETE, zw.p_str("/r/plr/a") + zw.p_int(-1))):
        b.call(op, body)
    a.call(zw.EXISTS, zw.b_path_watch("/"))
    for e in ev(a):
        out("  event", *e)
    # one standard and one persistent watch on the same node
    a.call(zw.GETDATA, zw.b_path_watch("/r/pl", True))
    b.call(zw.SETDATA, zw.p_str("/r/pl") + zw.p_buf(b"2") + zw.p_int(-1))
    b.call(zw.SETDATA, zw.p_str("/r/pl") + zw.p_buf(b"3") + zw.p_int(-1))
    a.call(zw.EXISTS, zw.b_path_watch("/"))
    out("standard + persistent on one node, two sets:", ev(a))
    a.call(zw.CLOSE)
    b.call(zw.CLOSE)
    a.close()
    b.close()


def bulk(c):
    out("== many children, big multis, a pipelined burst")
    c.call(zw.CREATE, zw.b_create("/r/many"))
    name = "child-%04d-" + "x" * 40
    errs = {}
    for b in range(10):
        body = b""
        for i in range(b * 300, (b + 1) * 300):
            body += (zw.p_int(zw.CREATE) + zw.p_bool(False) + zw.p_int(-1) +
                     zw.b_create("/r/many/" + name % i, b"v" * 10))
        body += zw.p_int(-1) + zw.p_bool(True) + zw.p_int(-1)
        _, _, err, r = c.call(zw.MULTI, body)
        errs[zw.ename(err)] = errs.get(zw.ename(err), 0) + 1
    out("10 multis of 300 creates:", errs)
    _, _, err, r = c.call(zw.GETCHILDREN2, zw.b_path_watch("/r/many"))
    kids = sorted(r.strs()) if err == 0 else []
    st = r.stat() if err == 0 else {}
    out("getChildren2:", zw.ename(err), len(kids), "all there:",
        kids == sorted(name % i for i in range(3000)),
        "nkids", st.get("nkids"), "cversion", st.get("cversion"))
    _, _, err, r = c.call(zw.ALLCHILDREN, zw.p_str("/r/many"))
    out("getAllChildrenNumber:", zw.ename(err), r.int() if err == 0 else "")
    # a burst of 1200 requests sent before any reply is read
    ops = []
    for i in range(300):
        p = "/r/many/" + name % i
        ops.append((zw.GETDATA, zw.b_path_watch(p)))
        ops.append((zw.SETDATA, zw.p_str(p) + zw.p_buf(b"w%d" % i) +
                    zw.p_int(0 if i % 2 else 5)))
        ops.append((zw.EXISTS, zw.b_path_watch(p + "-nope")))
        ops.append((zw.DELETE, zw.p_str(p) + zw.p_int(-1 if i % 3 else 7)))
    first = c.xid + 1
    frames = b""
    for op, body in ops:
        c.xid += 1
        pl = zw.p_int(c.xid) + zw.p_int(op) + body
        frames += zw.p_int(len(pl)) + pl
    c.s.sendall(frames)
    in_order, tally = True, {}
    for k, (op, _) in enumerate(ops):
        xid, _, err, r = c.reply(first + k)
        in_order &= xid == first + k
        key = "%d:%s" % (op, zw.ename(err))
        tally[key] = tally.get(key, 0) + 1
    out("burst of %d: replies in order %s, results %s" %
        (len(ops), in_order, sorted(tally.items())))
    _, _, err, r = c.call(zw.GETCHILDREN, zw.b_path_watch("/r/many"))
    out("children left:", len(r.strs()) if err == 0 else zw.ename(err))

def main():
    w = sess()  # retried: the server may be a moment from serving
    w.call(zw.CLOSE)
    w.close()
    handshake()
    c = sess()
    c.call(zw.CREATE, zw.b_create("/r", b"r"))
    for step in (lambda: paths(c), lambda: multiread(c), watches,
                 setwatches, lambda: misc(c), lambda: acl_edges(c),
                 lambda: multi_variants(c), persistent_lifecycle,
                 lambda: bulk(c),
                 lambda: big(c), fourletter):
        try:
            step()
        except (zw.Closed, OSError, struct.error) as e:
            fail("%s: %s" % (type(e).__name__, e))
            c = sess()
    xid, _, err, _ = c.call(zw.CLOSE)
    out("closeSession: %s, then %s" % (zw.ename(err), closed(c)))
    out("failures:", failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
