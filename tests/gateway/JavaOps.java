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

	static ZooKeeper connect(String hp) throws Exception {
		CountDownLatch up = new CountDownLatch(1);
		ZooKeeper zk = new ZooKeeper(hp, 20000, ev -> {
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
				 5000);
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
