#!/usr/bin/env python3
"""kazoo_recipes.py — python3-kazoo's recipes as a canonical transcript.

Run by tests/gateway/run.sh against Apache ZooKeeper and against dpzk
through dpzk-gateway; the two transcripts must be identical (README.md).
Every recipe is driven so that its outcome is deterministic: contenders
enter one at a time (each waits until its node is visible before the next
starts), threads are joined, outcomes are printed in a fixed order, and
every wait is bounded (a wait that runs out prints TIMEOUT, which then
differs from the other server's transcript).  Names that kazoo makes
random (uuid prefixes of lock and queue nodes) are reduced to their
sequence suffix; session ids print as "self"/"other".

Usage: kazoo_recipes.py HOST:PORT
"""
import logging
import sys
import threading
import time

try:
    from kazoo.client import KazooClient
except ImportError:
    print("SKIP: python3-kazoo is not installed (apt-get install "
          "python3-kazoo)", file=sys.stderr)
    sys.exit(77)
from kazoo.recipe.barrier import Barrier, DoubleBarrier
from kazoo.recipe.cache import TreeCache, TreeEvent
from kazoo.recipe.counter import Counter
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock, ReadLock, Semaphore, WriteLock
from kazoo.recipe.party import Party, ShallowParty
from kazoo.recipe.queue import LockingQueue, Queue
from kazoo.recipe.watchers import ChildrenWatch, DataWatch
from kazoo.security import make_digest_acl, OPEN_ACL_UNSAFE

HOSTS = sys.argv[1]
WAIT = 30  # seconds: the bound of every wait
failures = 0


def out(*a):
    print(*a, flush=True)


def fail(what):
    global failures
    failures += 1
    out("!!", what)


def until(pred, secs=WAIT):
    """Poll pred (bounded); True when it held."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def client():
    c = KazooClient(hosts=HOSTS, timeout=10, connection_retry={
        "max_tries": 20, "delay": 0.2, "max_delay": 1})
    c.start(timeout=30)
    return c


def suffixes(c, path):
    """Children reduced to their sequence suffix, sorted."""
    return sorted(k[-10:] for k in c.get_children(path))


def stat_str(st):
    return "version=%d cversion=%d aversion=%d dlen=%d nkids=%d eph=%s" % (
        st.version, st.cversion, st.aversion, st.dataLength,
        st.numChildren, "yes" if st.ephemeralOwner else "no")


def err(f):
    """Run f; its result or its exception's class name."""
    try:
        return repr(f())
    except Exception as e:  # the class name is the observable result
        return type(e).__name__


def basics(c, d):
    out("== basics")
    out("ruok", c.command(b"ruok"))
    # kazoo parses envi's zookeeper.version= and gates features on it
    # (create2 needs 3.5): the value may differ, the gate may not
    out("server_version >= (3, 5):", err(lambda: c.server_version() >=
                                         (3, 5)))
    out("create include_data", err(lambda: stat_str(c.create(
        "/r/basics-c2", b"x", include_data=True)[1])))
    out("ensure_path", c.ensure_path("/r/basics/a/b"))
    out("create makepath", c.create("/r/basics/x/y", b"v", makepath=True))
    out("create exists", err(lambda: c.create("/r/basics/x/y", b"v")))
    out("create eph seq", c.create("/r/basics/e-", b"", ephemeral=True,
                                   sequence=True))
    data, st = c.get("/r/basics/x/y")
    out("get", data, stat_str(st))
    out("set badversion", err(lambda: c.set("/r/basics/x/y", b"w", 3)))
    out("set", stat_str(c.set("/r/basics/x/y", b"w", 0)))
    out("get missing", err(lambda: c.get("/r/basics/nope")))
    out("exists missing", c.exists("/r/basics/nope"))
    out("delete not empty", err(lambda: c.delete("/r/basics/x")))
    out("delete recursive", c.delete("/r/basics/x", recursive=True))
    out("children", sorted(c.get_children("/r/basics")))
    kids, st = c.get_children("/r/basics", include_data=True)
    out("children+stat", sorted(kids), stat_str(st))
    out("sync", c.sync("/r/basics"))
    t = c.transaction()
    t.create("/r/basics/t1", b"1")
    t.set_data("/r/basics/t1", b"2")
    t.check("/r/basics/t1", 1)
    t.delete("/r/basics/a/b")
    out("transaction", [stat_str(r) if hasattr(r, "czxid") else r
                        for r in t.commit()])
    t = c.transaction()
    t.create("/r/basics/t2", b"1")
    t.check("/r/basics/t1", 7)
    t.delete("/r/basics/t1")
    out("failed transaction", [type(r).__name__ if isinstance(r, Exception)
                               else r for r in t.commit()])
    out("t2 after", c.exists("/r/basics/t2"))
    acl = make_digest_acl("kz", "pw", all=True)
    d.add_auth("digest", "kz:pw")
    d.create("/r/basics/secret", b"s", acl=[acl])
    out("get_acls noauth", err(lambda: c.get_acls("/r/basics/secret")))
    out("acl", [(a.perms, a.id.scheme, a.id.id)
                for a in d.get_acls("/r/basics/secret")[0]])
    out("exists noauth", err(lambda: stat_str(c.exists("/r/basics/secret"))))
    out("get noauth", err(lambda: c.get("/r/basics/secret")))
    out("get auth", d.get("/r/basics/secret")[0])
    out("set_acls", stat_str(d.set_acls("/r/basics/secret",
                                        OPEN_ACL_UNSAFE)))
    out("get open", c.get("/r/basics/secret")[0])


def lock(c, d, e):
    out("== Lock")
    order = []
    l1 = Lock(c, "/r/lock", "c1")
    l2 = Lock(d, "/r/lock", "c2")
    l3 = Lock(e, "/r/lock", "c3")
    out("c1 acquire", l1.acquire(timeout=WAIT))
    out("c2 try", Lock(d, "/r/lock", "c2b").acquire(blocking=False))
    out("c3 timeout", err(lambda: Lock(e, "/r/lock", "c3b").acquire(
        timeout=0.5)))

    def take(lk, name):
        if lk.acquire(timeout=WAIT):
            order.append(name)
    t2 = threading.Thread(target=take, args=(l2, "c2"))
    t2.start()
    until(lambda: len(l1.contenders()) == 2)
    t3 = threading.Thread(target=take, args=(l3, "c3"))
    t3.start()
    until(lambda: len(l1.contenders()) == 3)
    out("contenders", l1.contenders())
    out("lock nodes", suffixes(c, "/r/lock"))
    l1.release()
    until(lambda: order == ["c2"])
    out("after c1 release", order)
    l2.release()
    t2.join(WAIT)
    until(lambda: order == ["c2", "c3"])
    out("after c2 release", order)
    l3.release()
    t3.join(WAIT)
    out("contenders at the end", l1.contenders())
    with Lock(d, "/r/lock", "ctx") as _:
        out("context manager holds", Lock(c, "/r/lock").contenders())

    out("== ReadLock/WriteLock")
    r1 = ReadLock(c, "/r/rw", "r1")
    r2 = ReadLock(d, "/r/rw", "r2")
    w = WriteLock(e, "/r/rw", "w")
    out("r1", r1.acquire(timeout=WAIT), "r2", r2.acquire(timeout=WAIT))
    got = []
    tw = threading.Thread(target=lambda: got.append(w.acquire(timeout=WAIT)))
    tw.start()
    until(lambda: len(r1.contenders()) == 3)
    out("contenders", r1.contenders(), "writer has it", bool(got))
    r1.release()
    r2.release()
    tw.join(WAIT)
    out("writer after readers released", got)
    out("reader try while writer holds",
        ReadLock(c, "/r/rw").acquire(blocking=False))
    w.release()

    out("== Semaphore")
    s1 = Semaphore(c, "/r/sem", "s1", max_leases=2)
    s2 = Semaphore(d, "/r/sem", "s2", max_leases=2)
    s3 = Semaphore(e, "/r/sem", "s3", max_leases=2)
    out("s1", s1.acquire(timeout=WAIT), "s2", s2.acquire(timeout=WAIT),
        "s3 try", s3.acquire(blocking=False))
    out("lease holders", sorted(s1.lease_holders()))
    s1.release()
    out("s3 after s1 release", s3.acquire(timeout=WAIT))
    out("lease holders", sorted(s2.lease_holders()))
    s2.release()
    s3.release()


def election(c, d, e):
    out("== Election")
    leaders = []
    gates = {n: threading.Event() for n in ("c1", "c2", "c3")}
    els = {"c1": Election(c, "/r/election", "c1"),
           "c2": Election(d, "/r/election", "c2"),
           "c3": Election(e, "/r/election", "c3")}

    def lead(name):
        leaders.append(name)
        gates[name].wait(WAIT)
    threads = {}
    for i, n in enumerate(("c1", "c2", "c3")):
        threads[n] = threading.Thread(target=els[n].run, args=(lead, n))
        threads[n].start()
        until(lambda: len(els["c1"].contenders()) == i + 1)
    until(lambda: leaders == ["c1"])
    out("contenders", els["c1"].contenders(), "leaders", leaders)
    gates["c1"].set()
    threads["c1"].join(WAIT)
    until(lambda: leaders == ["c1", "c2"])
    out("after c1 resigned", leaders, els["c2"].contenders())
    els["c3"].cancel()
    gates["c2"].set()
    threads["c2"].join(WAIT)
    threads["c3"].join(WAIT)
    out("after c2 resigned, c3 cancelled", leaders,
        els["c2"].contenders())


def barriers(c, d, e):
    out("== Barrier")
    b = Barrier(c, "/r/barrier")
    out("wait without barrier", b.wait(timeout=1))
    b.create()
    res = []
    ts = [threading.Thread(target=lambda x=x: res.append(
        (x, Barrier(x, "/r/barrier").wait(timeout=WAIT))))
        for x in (d, e)]
    for t in ts:
        t.start()
    out("wait with barrier (timeout)", Barrier(c, "/r/barrier").wait(0.3))
    b.remove()
    for t in ts:
        t.join(WAIT)
    out("waiters after remove", sorted(r[1] for r in res))

    out("== DoubleBarrier")
    entered, left = [], []

    def member(cl, name):
        db = DoubleBarrier(cl, "/r/dbar", 3, identifier=name)
        db.enter()
        entered.append(name)
        db.leave()
        left.append(name)
    ts = [threading.Thread(target=member, args=(cl, n))
          for cl, n in ((c, "m1"), (d, "m2"))]
    for t in ts:
        t.start()
    until(lambda: len(c.get_children("/r/dbar") if c.exists("/r/dbar")
                      else []) >= 2, 10)
    out("entered before the third", sorted(entered))
    t3 = threading.Thread(target=member, args=(e, "m3"))
    t3.start()
    for t in ts + [t3]:
        t.join(WAIT)
    out("entered", sorted(entered), "left", sorted(left))
    out("dbar children", c.get_children("/r/dbar"))


def queues(c, d):
    out("== Queue")
    q = Queue(c, "/r/queue")
    for v, p in ((b"a", 100), (b"b", 100), (b"urgent", 1), (b"c", 100)):
        q.put(v, priority=p)
    out("len", len(q))
    out("gets", [Queue(d, "/r/queue").get() for _ in range(5)])
    out("len", len(q))
    out("put bad", err(lambda: q.put("str")))

    out("== LockingQueue")
    lq = LockingQueue(c, "/r/lq")
    lq.put(b"one")
    lq.put_all([b"two", b"three"], priority=50)
    lq.put(b"zero", priority=10)
    out("len", len(lq))
    other = LockingQueue(d, "/r/lq")
    out("c get", lq.get(timeout=WAIT), "holds", lq.holds_lock())
    out("d get", other.get(timeout=WAIT))
    out("c release (back in the queue)", lq.release())
    out("c get", lq.get(timeout=WAIT), "consume", lq.consume())
    out("d consume", other.consume())
    got = []
    for _ in range(3):
        v = lq.get(timeout=2)
        got.append(v)
        if v is not None:
            lq.consume()
    out("rest", got, "len", len(lq))


def counter_party(c, d):
    out("== Counter")
    n = Counter(c, "/r/counter")
    n += 5
    m = Counter(d, "/r/counter")
    m -= 2
    out("value", n.value, m.value)
    n += 10
    out("pre/post", n.pre_value, n.post_value)
    f = Counter(c, "/r/fcounter", default=0.5)
    f += 1.25
    out("float", f.value)
    out("bad type", err(lambda: Counter(c, "/r/counter") + "x"))

    out("== Party")
    p1 = Party(c, "/r/party", "alice")
    p2 = Party(d, "/r/party", "bob")
    p1.join()
    p2.join()
    out("members", sorted(p1), "len", len(p1))
    p2.leave()
    out("after bob left", sorted(p1), len(p2))
    s1 = ShallowParty(c, "/r/sparty", "carol")
    s2 = ShallowParty(d, "/r/sparty", "dave")
    s1.join()
    s2.join()
    out("shallow members", sorted(s2), len(s1))
    s1.leave()
    out("after carol left", sorted(s2))


def tree_cache(c, d):
    out("== TreeCache")
    c.ensure_path("/r/tc/a")
    c.create("/r/tc/a/x", b"ax")
    c.create("/r/tc/b", b"b")
    evs = []
    lk = threading.Lock()

    def listener(ev):
        with lk:
            if ev.event_type in (TreeEvent.NODE_ADDED, TreeEvent.NODE_UPDATED,
                                 TreeEvent.NODE_REMOVED):
                evs.append((ev.event_type, ev.event_data.path,
                            ev.event_data.data))
            else:
                evs.append((ev.event_type, None, None))

    names = {TreeEvent.NODE_ADDED: "ADDED", TreeEvent.NODE_UPDATED:
             "UPDATED", TreeEvent.NODE_REMOVED: "REMOVED",
             TreeEvent.CONNECTION_SUSPENDED: "SUSPENDED",
             TreeEvent.CONNECTION_RECONNECTED: "RECONNECTED",
             TreeEvent.CONNECTION_LOST: "LOST",
             TreeEvent.INITIALIZED: "INITIALIZED"}

    def take(n):
        """The first n events (sorted when unordered), removed."""
        if not until(lambda: len(evs) >= n):
            out("TIMEOUT waiting for", n, "tree events, have", len(evs))
        with lk:
            got = evs[:n]
            del evs[:n]
        return [(names.get(t, t), p, v) for t, p, v in got]

    tc = TreeCache(c, "/r/tc")
    tc.listen(listener)
    tc.start()
    first = take(5)
    out("initial (unordered)", sorted(first[:-1], key=str), first[-1])
    d.create("/r/tc/b/new", b"n")
    out("create", take(1))
    d.set("/r/tc/b", b"b2")
    out("set", take(1))
    d.delete("/r/tc/a", recursive=True)
    out("delete subtree (unordered)", sorted(take(2), key=str))
    out("cache /r/tc children", sorted(tc.get_children("/r/tc")))
    nd = tc.get_data("/r/tc/b")
    out("cache /r/tc/b", nd.data, stat_str(nd.stat))
    out("cache /r/tc/a", tc.get_data("/r/tc/a"))
    tc.close()
    out("late events", len(evs))


def watchers(c, d):
    out("== DataWatch")
    seen = []

    def dw(data, stat, event):
        seen.append((data, stat.version if stat else None,
                     event.type if event else None))
    c.ensure_path("/r/watch")
    DataWatch(c, "/r/watch/d", dw)
    steps = [("create", lambda: d.create("/r/watch/d", b"1")),
             ("set", lambda: d.set("/r/watch/d", b"2")),
             ("set", lambda: d.set("/r/watch/d", b"3")),
             ("delete", lambda: d.delete("/r/watch/d")),
             ("create", lambda: d.create("/r/watch/d", b"4"))]
    until(lambda: len(seen) == 1)
    out("initial", seen[-1])
    for i, (what, f) in enumerate(steps):
        f()
        if not until(lambda: len(seen) >= i + 2):
            out("TIMEOUT after", what)
        out(what, seen[-1])
    stop = []

    def dw2(data, stat):
        stop.append(data)
        return False  # stop watching
    DataWatch(c, "/r/watch/d", dw2)
    d.set("/r/watch/d", b"5")
    until(lambda: len(seen) >= len(steps) + 2)
    c.sync("/r/watch")
    out("after stop", stop, seen[-1])

    out("== ChildrenWatch")
    kids = []
    ChildrenWatch(c, "/r/watch", lambda ch: kids.append(sorted(ch)))
    until(lambda: len(kids) == 1)
    out("initial", kids[-1])
    steps = [("create a", lambda: d.create("/r/watch/a")),
             ("create b", lambda: d.create("/r/watch/b")),
             ("delete d", lambda: d.delete("/r/watch/d")),
             ("set a (no call)", lambda: d.set("/r/watch/a", b"x"))]
    for i, (what, f) in enumerate(steps[:3]):
        f()
        if not until(lambda: len(kids) >= i + 2):
            out("TIMEOUT after", what)
        out(what, kids[-1])
    steps[3][1]()
    d.create("/r/watch/c")
    until(lambda: len(kids) >= 5)
    out("set then create c", kids[3:])



def reconnect(c, d):
    """The server side restarts (run.sh's handshake); kazoo keeps its
    session.  kazoo sends no SetWatches: its one-time watches die with the
    connection, its recipes re-read on reconnect."""
    import os
    out("== reconnect (server side restarted)")
    gdir = os.environ.get("GWT_DIR")
    if not gdir:
        fail("GWT_DIR is not set: no restart")
        return
    c.ensure_path("/r/rc")
    c.create("/r/rc/raw", b"0")
    c.create("/r/rc/dw", b"0")
    c.create("/r/rc/eph", b"e", ephemeral=True)
    states, raw, dws, kids = [], [], [], []
    c.add_listener(lambda st: states.append(str(st)))
    c.get("/r/rc/raw", watch=lambda ev: raw.append(("get", ev.type)))
    c.exists("/r/rc/new", watch=lambda ev: raw.append(("exists", ev.type)))
    c.get_children("/r/rc", watch=lambda ev: raw.append(("kids", ev.type)))
    DataWatch(c, "/r/rc/dw", lambda data, stat: dws.append(data))
    ChildrenWatch(c, "/r/rc", lambda ch: kids.append(sorted(ch)))
    until(lambda: dws and kids)
    sid = c.client_id
    open(os.path.join(gdir, "restart.req"), "w").close()
    done = os.path.join(gdir, "restart.done")
    if not until(lambda: os.path.exists(done), 90):
        fail("the runner did not restart the server")
        return
    os.unlink(done)
    ok = until(lambda: c.connected and "CONNECTED" in states
               and d.connected, 60)
    out("reconnected:", ok, "states:", states, "same session:",
        c.client_id == sid)
    d.set("/r/rc/raw", b"1")
    d.create("/r/rc/new", b"")
    d.set("/r/rc/dw", b"1")
    c.sync("/r/rc")
    until(lambda: dws[-1] == b"1" and "new" in kids[-1], 10)
    until(lambda: raw, 3)
    out("one-time watches set before the restart fired:", sorted(raw))
    out("DataWatch last:", dws[-1], "ChildrenWatch last:", kids[-1])
    out("ephemeral kept:", c.exists("/r/rc/eph") is not None)

def main():
    logging.basicConfig(level=logging.CRITICAL)
    c, d, e = client(), client(), client()
    out("connected 3 clients, distinct sessions:",
        len({x.client_id[0] for x in (c, d, e)}) == 3)
    c.ensure_path("/r")
    for step in (lambda: basics(c, d), lambda: lock(c, d, e),
                 lambda: election(c, d, e), lambda: barriers(c, d, e),
                 lambda: queues(c, d), lambda: counter_party(c, d),
                 lambda: tree_cache(c, d), lambda: watchers(c, d),
                 lambda: reconnect(c, d)):
        try:
            step()
        except Exception as ex:  # print and go on: the diff shows it
            fail("exception %s: %s" % (type(ex).__name__, ex))
    out("== end")
    out("tree", sorted(c.get_children("/r")))
    for x in (c, d, e):
        x.stop()
        x.close()
    out("failures:", failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
