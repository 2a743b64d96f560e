"""zkwire.py — a minimal Apache ZooKeeper wire client for the gateway tests.

Used by zk_raw.py (operations no packaged client exposes: multiRead,
checkWatches, setWatches2, raw handshakes, unknown opcodes) and by
hostile.py (malformed input, and a known-good client to check the gateway
still serves).  It speaks the TCP protocol of ../../../shared/ZK-WIRE.md
directly: int32 length-prefixed frames, jute big-endian records.  Every
socket operation has a timeout, so no test can hang on it.
"""
import socket
import struct
import time

# opcodes (ZooDefs.OpCode)
CREATE, DELETE, EXISTS, GETDATA, SETDATA = 1, 2, 3, 4, 5
GETACL, SETACL, GETCHILDREN, SYNC, PING = 6, 7, 8, 9, 11
GETCHILDREN2, CHECK, MULTI, CREATE2 = 12, 13, 14, 15
CHECKWATCHES, REMOVEWATCHES, MULTIREAD = 17, 18, 22
SETWATCHES, GETEPHEMERALS, ALLCHILDREN, SETWATCHES2 = 101, 103, 104, 105
ADDWATCH, WHOAMI, CLOSE = 106, 107, -11

ERRORS = {0: "OK", -1: "SYSTEMERROR", -2: "RUNTIMEINCONSISTENCY",
          -4: "CONNECTIONLOSS", -5: "MARSHALLINGERROR",
          -6: "UNIMPLEMENTED", -8: "BADARGUMENTS", -101: "NONODE",
          -102: "NOAUTH", -103: "BADVERSION",
          -108: "NOCHILDRENFOREPHEMERALS", -110: "NODEEXISTS",
          -111: "NOTEMPTY", -112: "SESSIONEXPIRED", -114: "INVALIDACL",
          -115: "AUTHFAILED", -121: "NOWATCHER", -123: "RECONFIGDISABLED"}
EVENTS = {1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged",
          4: "NodeChildrenChanged", -1: "None"}


def ename(err):
    return ERRORS.get(err, "err(%d)" % err)


def p_int(v):
    return struct.pack("!i", v)


def p_long(v):
    return struct.pack("!q", v)


def p_bool(v):
    return b"\1" if v else b"\0"


def p_buf(b):
    if b is None:
        return p_int(-1)
    return p_int(len(b)) + b


def p_str(s):
    return p_buf(None if s is None else s.encode())


def p_strs(v):
    return p_int(len(v)) + b"".join(p_str(s) for s in v)


OPEN_ACL = p_int(1) + p_int(31) + p_str("world") + p_str("anyone")


class Reader:
    """Reads jute fields from a reply body."""

    def __init__(self, b):
        self.b, self.o = b, 0

    def int(self):
        v = struct.unpack_from("!i", self.b, self.o)[0]
        self.o += 4
        return v

    def long(self):
        v = struct.unpack_from("!q", self.b, self.o)[0]
        self.o += 8
        return v

    def bool(self):
        v = self.b[self.o] != 0
        self.o += 1
        return v

    def buf(self):
        n = self.int()
        if n < 0:
            return None
        v = self.b[self.o:self.o + n]
        self.o += n
        return v

    def str(self):
        v = self.buf()
        return None if v is None else v.decode(errors="replace")

    def strs(self):
        return [self.str() for _ in range(self.int())]

    def stat(self):
        v = struct.unpack_from("!qqqqiiiqiiq", self.b, self.o)
        self.o += 68
        return dict(zip(("czxid", "mzxid", "ctime", "mtime", "version",
                         "cversion", "aversion", "owner", "dlen", "nkids",
                         "pzxid"), v))

    def left(self):
        return len(self.b) - self.o


class Closed(Exception):
    """The peer closed the connection (or it timed out)."""


class Conn:
    """One TCP connection; the session handshake is done by connect()."""

    def __init__(self, host, port, timeout=10.0):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.settimeout(timeout)
        self.xid = 0
        self.events = []
        self.sid = 0
        self.passwd = b""
        self.timeout = 0

    def send(self, payload):
        self.s.sendall(p_int(len(payload)) + payload)

    def recvn(self, n):
        b = b""
        while len(b) < n:
            try:
                c = self.s.recv(n - len(b))
            except (socket.timeout, ConnectionError, OSError):
                raise Closed()
            if not c:
                raise Closed()
            b += c
        return b

    def frame(self):
        n = struct.unpack("!i", self.recvn(4))[0]
        return self.recvn(n)

    def connect(self, sid=0, passwd=b"\0" * 16, timeout_ms=10000,
                last_zxid=0, read_only=True):
        """ConnectRequest; returns (timeout, sid, passwd, len of reply)."""
        req = (p_int(0) + p_long(last_zxid) + p_int(timeout_ms) +
               p_long(sid) + p_buf(passwd))
        if read_only is not None:
            req += p_bool(read_only)
        self.send(req)
        b = self.frame()
        r = Reader(b)
        r.int()
        self.timeout = r.int()
        self.sid = r.long()
        self.passwd = r.buf()
        return self.timeout, self.sid, self.passwd, len(b)

    def call(self, op, body=b"", xid=None):
        """A request; returns (xid, zxid, err, Reader of the body).  Watch
        events that arrive first are kept in self.events."""
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send(p_int(xid) + p_int(op) + body)
        return self.reply(xid)

    def reply(self, xid):
        while True:
            r = Reader(self.frame())
            rx, zxid, err = r.int(), r.long(), r.int()
            if rx == -1:
                self.events.append((EVENTS.get(r.int(), "?"), r.int(),
                                    r.str()))
                continue
            if rx != xid:
                raise Closed("xid %d, expected %d" % (rx, xid))
            return rx, zxid, err, r

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def session(host, port, timeout_ms=10000, tries=20):
    """A new session; retried (bounded) as every client does, since a
    server may accept connections a moment before it serves sessions."""
    for i in range(tries):
        c = None
        try:
            c = Conn(host, port)
            c.connect(timeout_ms=timeout_ms)
            return c
        except (Closed, OSError):
            if c:
                c.close()
            if i == tries - 1:
                raise
            time.sleep(0.25)


def b_create(path, data=b"", flags=0):
    return p_str(path) + p_buf(data) + OPEN_ACL + p_int(flags)


def b_path_watch(path, watch=False):
    return p_str(path) + p_bool(watch)
