/*
 * JavaOps.java — Apache ZooKeeper's own Java client (Debian's zookeeper.jar,
 * 3.8) driving the operations only it exposes, as a canonical transcript.
 *
 * Built and run by java_ops.sh; run.sh runs it against Apache ZooKeeper and
 * against dpzk through dpzk-gateway and diffs the transcripts (README.md).
 * The Java client is the one Curator and most JVM applications use; it
 * sends multi with create2/createContainer/createTTL ops, multi of reads,
 * addWatch, removeWatches, getEphemerals, getAllChildrenNumber and whoAmI,
 * and parses every reply strictly (an unexpected record type is a
 * connection loss).  Printed: results and exceptions by code, Stat fields
 * that do not depend on the server's clocks or zxids, events in order.
 */
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

public class JavaOps {
	static final LinkedBlockingQueue<String> events =
		new LinkedBlockingQueue<>();
	static int failures = 0;

	static void out(String s) {
		System.out.println(s);
		System.out.flush();
	}

	static String st(Stat s) {
		if (s == null)
			return "null";
		return "version=" + s.getVersion() + " cversion=" +
			s.getCversion() + " aversion=" + s.getAversion() +
			" owner=" + (s.getEphemeralOwner() != 0 ? "set" : "0") +
			" dlen=" + s.getDataLength() + " nkids=" +
			s.getNumChildren() + " czxid==mzxid=" +
			(s.getCzxid() == s.getMzxid());
	}

	static String res(OpResult r) {
		if (r instanceof OpResult.CreateResult) {
			OpResult.CreateResult c = (OpResult.CreateResult)r;
			return "create(type " + c.getType() + ") " +
				c.getPath() + " stat " + st(c.getStat());
		}
		if (r instanceof OpResult.SetDataResult)
			return "setData " + st(((OpResult.SetDataResult)r)
						.getStat());
		if (r instanceof OpResult.DeleteResult)
			return "delete";
		if (r instanceof OpResult.CheckResult)
			return "check";
		if (r instanceof OpResult.GetDataResult) {
			OpResult.GetDataResult g = (OpResult.GetDataResult)r;
			return "getData " +
				(g.getData() == null ? "null"
						     : new String(g.getData())) +
				" " + st(g.getStat());
		}
		if (r instanceof OpResult.GetChildrenResult) {
			List<String> k = new ArrayList<>(
				((OpResult.GetChildrenResult)r).getChildren());
			Collections.sort(k);
			return "getChildren " + k;
		}
		if (r instanceof OpResult.ErrorResult)
			return "error " + KeeperException.Code.get(
				((OpResult.ErrorResult)r).getErr());
		return "?" + r;
	}

	interface Step {
		void run() throws Exception;
	}

	static void step(String name, Step s) {
		try {
			s.run();
		} catch (KeeperException e) {
			String line = name + " -> " + e.code();
			if (e.getResults() != null) {
				List<String> rs = new ArrayList<>();
				for (OpResult r : e.getResults())
					rs.add(res(r));
				line += " " + rs;
			}
			out(line);
		} catch (Exception e) {
			out(name + " -> " + e.getClass().getSimpleName());
			failures++;
		}
	}

	/* session states seen by each handle's default watcher, in order */
	static final List<String> states =
		Collections.synchronizedList(new ArrayList<>());

	static ZooKeeper connect(String hp) throws Exception {
		CountDownLatch up = new CountDownLatch(1);
		int n = states.size();
		ZooKeeper zk = new ZooKeeper(hp, 20000, ev -> {
			if (ev.getType() == Watcher.Event.EventType.None)
				states.add(n + ":" + ev.getState());
			if (ev.getState() ==
			    Watcher.Event.KeeperState.SyncConnected)
				up.countDown();
		});
		if (!up.await(30, TimeUnit.SECONDS))
			throw new Exception("cannot connect to " + hp);
		return zk;
	}

	static Watcher tag(String t) {
		return ev -> events.add(t + " " + ev.getType() + " " +
					ev.getPath());
	}

	/* every event for a change completed before this round trip */
	static void drain(ZooKeeper zk, String why) throws Exception {
		zk.exists("/", false);
		Thread.sleep(200); /* the event thread runs apart */
		List<String> got = new ArrayList<>();
		events.drainTo(got);
		/* one event reaches several watchers in the client's hash-set
		 * order: sort within each run of the same (type, path) */
		List<String> norm = new ArrayList<>();
		int i = 0;
		while (i < got.size()) {
			String key = got.get(i).substring(
				got.get(i).indexOf(' '));
			int j = i;
			while (j < got.size() &&
			       got.get(j).substring(got.get(j).indexOf(' '))
				       .equals(key))
				j++;
			List<String> run = new ArrayList<>(got.subList(i, j));
			Collections.sort(run);
			norm.addAll(run);
			i = j;
		}
		out("  " + why + ": " + norm);
	}

	/* The server side restarts (run.sh's handshake): the Java client
	 * reconnects with its session and re-arms every watch, persistent
	 * and recursive ones included, with setWatches2. */
	static void reconnect(ZooKeeper a, ZooKeeper b) throws Exception {
		out("== reconnect (server side restarted)");
		String dir = System.getenv("GWT_DIR");
		if (dir == null) {
			out("!! GWT_DIR is not set");
			failures++;
			return;
		}
		a.create("/j/rc", null, Ids.OPEN_ACL_UNSAFE,
			 CreateMode.PERSISTENT);
		a.create("/j/rc/d", null, Ids.OPEN_ACL_UNSAFE,
			 CreateMode.PERSISTENT);
		a.create("/j/rr", null, Ids.OPEN_ACL_UNSAFE,
			 CreateMode.PERSISTENT);
		a.addWatch("/j/rc", tag("rc-persistent"),
			   AddWatchMode.PERSISTENT);
		a.addWatch("/j/rr", tag("rr-recursive"),
			   AddWatchMode.PERSISTENT_RECURSIVE);
		a.getData("/j/rc/d", tag("d-data"), null);
		a.exists("/j/rc/new", tag("new-exists"));
		drain(a, "before");
		long sid = a.getSessionId();
		states.clear();
		java.io.File req = new java.io.File(dir, "restart.req");
		java.io.File done = new java.io.File(dir, "restart.done");
		req.createNewFile();
		for (int i = 0; i < 900 && !done.exists(); i++)
			Thread.sleep(100);
		if (!done.exists()) {
			out("!! the runner did not restart the server");
			failures++;
			return;
		}
		done.delete();
		for (int i = 0; i < 600; i++) {
			if (a.getState().isConnected() &&
			    b.getState().isConnected() &&
			    states.contains("0:SyncConnected") &&
			    states.contains("1:SyncConnected"))
				break;
			Thread.sleep(100);
		}
		List<String> seen = new ArrayList<>();
		for (String x : new ArrayList<>(states))
			if (x.startsWith("0:"))
				seen.add(x.substring(2));
		out("a states " + seen + ", same session " +
		    (a.getSessionId() == sid));
		b.setData("/j/rc", "1".getBytes(), -1);
		b.setData("/j/rc/d", "1".getBytes(), -1);
		b.create("/j/rc/new", null, Ids.OPEN_ACL_UNSAFE,
			 CreateMode.PERSISTENT);
		b.create("/j/rr/x", null, Ids.OPEN_ACL_UNSAFE,
			 CreateMode.PERSISTENT);
		b.create("/j/rr/x/y", null, Ids.OPEN_ACL_UNSAFE,
			 CreateMode.PERSISTENT);
		b.setData("/j/rr/x/y", "1".getBytes(), -1);
		drain(a, "after changes by b");
		b.setData("/j/rc/d", "2".getBytes(), -1);
		b.setData("/j/rc", "2".getBytes(), -1);
		drain(a, "again (one-time watches are spent)");
	}

	public static void main(String[] args) throws Exception {
		String hp = args[0];
		ZooKeeper a = connect(hp), b = connect(hp);
		out("connected, timeouts " + a.getSessionTimeout() + " " +
		    b.getSessionTimeout());
		a.create("/j", "j".getBytes(), Ids.OPEN_ACL_UNSAFE,
			 CreateMode.PERSISTENT);

		out("== multi with every create mode");
		step("multi creates", () -> {
			Stat s = new Stat();
			List<OpResult> rs = a.multi(Arrays.asList(
				Op.create("/j/p", "p".getBytes(),
					  Ids.OPEN_ACL_UNSAFE,
					  CreateMode.PERSISTENT),
				Op.create("/j/p2", "p".getBytes(),
					  Ids.OPEN_ACL_UNSAFE,
					  CreateMode.PERSISTENT, 0),
				Op.create("/j/c", null, Ids.OPEN_ACL_UNSAFE,
					  CreateMode.CONTAINER),
				Op.create("/j/t", null, Ids.OPEN_ACL_UNSAFE,
					  CreateMode.PERSISTENT_WITH_TTL,
					  100000),
				Op.create("/j/s-", null, Ids.OPEN_ACL_UNSAFE,
					  CreateMode.EPHEMERAL_SEQUENTIAL),
				Op.setData("/j/p", "q".getBytes(), 0),
				Op.check("/j/p", 1),
				Op.delete("/j/p2", 0)));
			for (OpResult r : rs)
				out("  " + res(r));
		});
		step("multi failing", () -> a.multi(Arrays.asList(
			Op.create("/j/x", null, Ids.OPEN_ACL_UNSAFE,
				  CreateMode.PERSISTENT),
			Op.check("/j/p", 9),
			Op.delete("/j/p", -1))));
		step("multi of reads", () -> {
			for (OpResult r : a.multi(Arrays.asList(
				     Op.getData("/j/p"), Op.getChildren("/j"),
				     Op.getData("/j/nope"))))
				out("  " + res(r));
		});
		step("transaction api", () -> {
			for (OpResult r : a.transaction()
						  .create("/j/tx", null,
							  Ids.OPEN_ACL_UNSAFE,
							  CreateMode.PERSISTENT)
						  .setData("/j/tx", "v".getBytes(),
							   -1)
						  .commit())
				out("  " + res(r));
		});

		out("== ephemerals, counts, whoAmI");
		b.create("/j/e", null, Ids.OPEN_ACL_UNSAFE,
			 CreateMode.EPHEMERAL);
		step("getEphemerals", () -> {
			List<String> e = new ArrayList<>(a.getEphemerals());
			Collections.sort(e);
			out("  a " + e);
			e = new ArrayList<>(b.getEphemerals("/j"));
			Collections.sort(e);
			out("  b /j " + e);
		});
		step("getAllChildrenNumber", () -> out(
			"  /j " + a.getAllChildrenNumber("/j") + " / " +
			a.getAllChildrenNumber("/")));
		step("getAllChildrenNumber missing",
		     () -> a.getAllChildrenNumber("/nope"));
		step("whoAmI", () -> {
			a.addAuthInfo("digest", "j:pw".getBytes());
			List<String> ids = new ArrayList<>();
			for (org.apache.zookeeper.data.ClientInfo ci :
			     a.whoAmI())
				if (!ci.getAuthScheme().equals("ip"))
					ids.add(ci.getAuthScheme() + ":" +
						ci.getUser());
			Collections.sort(ids);
			out("  " + ids + " (ip entries left out: the gateway)");
		});

		out("== addWatch, removeWatches");
		step("addWatch", () -> {
			a.addWatch("/j/w", tag("persistent"),
				   AddWatchMode.PERSISTENT);
			a.addWatch("/j", tag("recursive"),
				   AddWatchMode.PERSISTENT_RECURSIVE);
			b.create("/j/w", null, Ids.OPEN_ACL_UNSAFE,
				 CreateMode.PERSISTENT);
			b.setData("/j/w", "1".getBytes(), -1);
			b.create("/j/w/k", null, Ids.OPEN_ACL_UNSAFE,
				 CreateMode.PERSISTENT);
			b.delete("/j/w/k", -1);
			drain(a, "events");
		});
		step("removeWatches", () -> {
			Watcher w = tag("data");
			a.getData("/j/p", w, null);
			a.removeWatches("/j/p", w, Watcher.WatcherType.Data,
					false);
			b.setData("/j/p", "r".getBytes(), -1);
			drain(a, "after removal");
		});
		step("removeWatches none",
		     () -> a.removeWatches("/j/p", tag("none"),
					   Watcher.WatcherType.Children,
					   false));
		step("removeAllWatches", () -> {
			a.exists("/j/p", tag("ex"));
			a.removeAllWatches("/j/p", Watcher.WatcherType.Any,
					   false);
			b.setData("/j/p", "s".getBytes(), -1);
			drain(a, "after removeAll");
		});

		out("== misc");
		step("create2", () -> {
			Stat s = new Stat();
			a.create("/j/c2", "x".getBytes(), Ids.OPEN_ACL_UNSAFE,
				 CreateMode.PERSISTENT, s);
			out("  " + st(s));
		});
		step("create ttl", () -> {
			Stat s = new Stat();
			a.create("/j/ttl2", "x".getBytes(),
				 Ids.OPEN_ACL_UNSAFE,
				 CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, s,
				 600000);
			out("  " + st(s));
		});
		step("getConfig", () -> {
			byte[] c = a.getConfig(false, new Stat());
			out("  config bytes " + (c == null ? -1 : c.length));
		});
		step("sync", () -> {
			CountDownLatch l = new CountDownLatch(1);
			a.sync("/j", (rc, path, ctx) -> {
				out("  rc " + KeeperException.Code.get(rc) +
				    " " + path);
				l.countDown();
			}, null);
			l.await(30, TimeUnit.SECONDS);
		});
		reconnect(a, b);
		b.close();
		step("after b closed", () -> out(
			"  /j/e " + (a.exists("/j/e", false) == null
					     ? "gone"
					     : "still there")));
		a.close();
		out("failures: " + failures);
		System.exit(failures == 0 ? 0 : 1);
	}
}
