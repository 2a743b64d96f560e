/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/test_reconnect.c — what a session keeps across a lost
 * connection and across a server restart (docs/PROTOCOL-channel.md §2.5):
 *   - watches: libdpzk re-arms them with setWatches (relativeZxid = the
 *     last zxid it saw) and the server fires, at once, the events of
 *     changes made while the client was cut off (ZooKeeper's setWatches
 *     replay: NodeDataChanged, NodeCreated, NodeChildrenChanged);
 *   - auth: resent on the new connection (ACL-protected reads work);
 *   - ephemerals and the session itself survive a SIGKILL and restart of
 *     the server (sessions are in the log), and go once the session closes.
 *
 * Why it is built this way: the connection is cut with DPDK telemetry
 * (fault_tx_drop=1: the server hears everything and says nothing, so the
 * other client's writes are applied while the watcher hears nothing) and
 * the restart is a real SIGKILL + testnet.sh start on the same data dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"

static bool
saw_state(const struct it_events *ev, int state, int from)
{
	for (int i = from; i < ev->n; i++)
		if (ev->ev[i].type == DPZK_SESSION_EVENT &&
		    ev->ev[i].state == state)
			return true;
	return false;
}

struct done {
	bool done;
	int rc;
};

static void
on_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct done *d = (struct done *)data;

	(void)res;
	d->rc = rc;
	d->done = true;
}

static void
test_watches_rearmed_after_connection_loss_fire_for_missed_changes(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *a = it_connect(3000, &ev);
	struct dpzk_handle *b = it_connect(20000, NULL);
	struct dpzk_handle *hs[2] = {a, b};
	struct dpzk_strings s;
	struct done d[3];
	char tel[4096], buf[8];
	int len = sizeof(buf), mark;
	uint64_t end;

	(void)state;
	memset(d, 0, sizeof(d));
	assert_int_equal(dpzk_create(b, "/rw1", "0", 1, &dpzk_open_acl_unsafe,
				     0, 0, NULL, 0, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_create(b, "/rw1c", NULL, -1,
				     &dpzk_open_acl_unsafe, 0, 0, NULL, 0,
				     NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_get(a, "/rw1", 1, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_exists(a, "/rw1-new", 1, NULL), DPZK_ZNONODE);
	assert_int_equal(dpzk_get_children(a, "/rw1c", 1, &s), DPZK_ZOK);
	dpzk_strings_free(&s);
	assert_int_equal(dpzk_create(b, "/rw1p", "0", 1, &dpzk_open_acl_unsafe,
				     0, 0, NULL, 0, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_add_watch(a, "/rw1p", DPZK_ADD_WATCH_PERSISTENT,
					NULL, NULL),
			 DPZK_ZOK);
	/* the server goes deaf-mute towards clients: it still applies */
	assert_true(it_telemetry("/dpzk/fault_set,fault_tx_drop=1", tel,
				 sizeof(tel)) > 0);
	mark = ev.n;
	assert_int_equal(dpzk_aset(b, "/rw1", "1", 1, -1, on_done, &d[0]),
			 DPZK_ZOK);
	assert_int_equal(dpzk_acreate(b, "/rw1-new", "n", 1,
				      &dpzk_open_acl_unsafe, 0, 0, on_done,
				      &d[1]),
			 DPZK_ZOK);
	assert_int_equal(dpzk_acreate(b, "/rw1c/k", "k", 1,
				      &dpzk_open_acl_unsafe, 0, 0, on_done,
				      &d[2]),
			 DPZK_ZOK);
	end = it_ms() + 6000;
	while (!saw_state(&ev, DPZK_CONNECTING_STATE, mark) && it_ms() < end)
		it_pump(hs, 2, 20, NULL);
	assert_true(it_telemetry("/dpzk/fault_set,fault_tx_drop=0", tel,
				 sizeof(tel)) > 0);
	assert_true(saw_state(&ev, DPZK_CONNECTING_STATE, mark));
	/* no event could reach A while it was cut off */
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/rw1"), 0);
	end = it_ms() + 8000;
	while ((it_events_count(&ev, DPZK_CHANGED_EVENT, "/rw1") == 0 ||
		it_events_count(&ev, DPZK_CREATED_EVENT, "/rw1-new") == 0 ||
		it_events_count(&ev, DPZK_CHILD_EVENT, "/rw1c") == 0 ||
		!(d[0].done && d[1].done && d[2].done)) &&
	       it_ms() < end)
		it_pump(hs, 2, 20, NULL);
	assert_true(saw_state(&ev, DPZK_CONNECTED_STATE, mark));
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/rw1"), 1);
	assert_int_equal(it_events_count(&ev, DPZK_CREATED_EVENT, "/rw1-new"),
			 1);
	assert_int_equal(it_events_count(&ev, DPZK_CHILD_EVENT, "/rw1c"), 1);
	/* and B's writes, applied while their replies were lost, report
	 * success once (B reconnected too) */
	for (int i = 0; i < 3; i++) {
		assert_true(d[i].done);
		assert_int_equal(d[i].rc, DPZK_ZOK);
	}
	/* the persistent watch was re-armed (setWatches2) and still fires,
	 * more than once */
	for (int i = 0; i < 2; i++)
		assert_int_equal(dpzk_set(b, "/rw1p", "x", 1, -1, NULL),
				 DPZK_ZOK);
	end = it_ms() + 5000;
	while (it_events_count(&ev, DPZK_CHANGED_EVENT, "/rw1p") < 2 &&
	       it_ms() < end)
		it_pump(&a, 1, 20, NULL);
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/rw1p"), 2);
	dpzk_close(b);
	dpzk_close(a);
}

/* The server is down for longer than the session timeout: sessions are
 * restored with a fresh timeout at recovery (as ZooKeeper's), so a client
 * that keeps trying reattaches to the same session and keeps its
 * ephemeral. */
static void
test_session_outlives_a_server_down_longer_than_its_timeout(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *a = it_connect(4000, &ev);
	struct dpzk_handle *b;
	struct dpzk_stat st;
	int64_t sid = dpzk_client_id(a)->session_id;
	uint64_t end;
	int mark;

	(void)state;
	assert_int_equal(dpzk_recv_timeout(a), 4000);
	assert_int_equal(dpzk_create(a, "/rs2-eph", "e", 1,
				     &dpzk_open_acl_unsafe, DPZK_EPHEMERAL, 0,
				     NULL, 0, NULL),
			 DPZK_ZOK);
	mark = ev.n;
	assert_int_equal(it_server_kill9(), 0);
	it_pump(&a, 1, 6000, NULL); /* down for 1.5 timeouts */
	assert_true(saw_state(&ev, DPZK_CONNECTING_STATE, mark));
	assert_int_equal(it_server_start(), 0);
	end = it_ms() + 10000;
	while (!saw_state(&ev, DPZK_CONNECTED_STATE, mark) &&
	       !saw_state(&ev, DPZK_EXPIRED_SESSION_STATE, mark) &&
	       it_ms() < end)
		it_pump(&a, 1, 20, NULL);
	if (saw_state(&ev, DPZK_EXPIRED_SESSION_STATE, mark))
		fail_msg("the session expired while the server was down");
	assert_true(saw_state(&ev, DPZK_CONNECTED_STATE, mark));
	assert_int_equal(dpzk_client_id(a)->session_id, sid);
	b = it_connect(10000, NULL);
	assert_int_equal(dpzk_exists(b, "/rs2-eph", 0, &st), DPZK_ZOK);
	assert_int_equal(st.ephemeral_owner, sid);
	/* and it is kept alive from now on */
	it_pump(&a, 1, 5000, NULL);
	assert_int_equal(dpzk_exists(b, "/rs2-eph", 0, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_close(a), DPZK_ZOK);
	assert_int_equal(dpzk_exists(b, "/rs2-eph", 0, NULL), DPZK_ZNONODE);
	dpzk_close(b);
}

static void
test_session_auth_watches_and_ephemerals_survive_restart(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *a = it_connect(10000, &ev);
	struct dpzk_handle *b;
	struct dpzk_stat st;
	int64_t sid = dpzk_client_id(a)->session_id;
	char buf[8];
	int len = sizeof(buf), mark;
	uint64_t end;

	(void)state;
	assert_int_equal(dpzk_add_auth(a, "digest", "alice:secret", 12),
			 DPZK_ZOK);
	assert_int_equal(dpzk_create(a, "/rs-secret", "s", 1,
				     &dpzk_creator_all_acl, 0, 0, NULL, 0,
				     NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_create(a, "/rs-eph", "e", 1,
				     &dpzk_open_acl_unsafe, DPZK_EPHEMERAL, 0,
				     NULL, 0, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_create(a, "/rs-w", "0", 1, &dpzk_open_acl_unsafe,
				     0, 0, NULL, 0, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_get(a, "/rs-w", 1, buf, &len, NULL), DPZK_ZOK);
	mark = ev.n;
	assert_int_equal(it_server_kill9(), 0);
	assert_int_equal(it_server_start(), 0);
	/* a: back on the same session, auth and watch re-sent */
	end = it_ms() + 10000;
	while (!saw_state(&ev, DPZK_CONNECTED_STATE, mark) && it_ms() < end)
		it_pump(&a, 1, 20, NULL);
	assert_true(saw_state(&ev, DPZK_CONNECTED_STATE, mark));
	assert_int_equal(dpzk_client_id(a)->session_id, sid);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(a, "/rs-secret", 0, buf, &len, NULL),
			 DPZK_ZOK);
	b = it_connect(10000, NULL);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(b, "/rs-secret", 0, buf, &len, NULL),
			 DPZK_ZNOAUTH);
	assert_int_equal(dpzk_exists(b, "/rs-eph", 0, &st), DPZK_ZOK);
	assert_int_equal(st.ephemeral_owner, sid);
	assert_int_equal(dpzk_set(b, "/rs-w", "1", 1, -1, NULL), DPZK_ZOK);
	end = it_ms() + 5000;
	while (it_events_count(&ev, DPZK_CHANGED_EVENT, "/rs-w") == 0 &&
	       it_ms() < end)
		it_pump(&a, 1, 20, NULL);
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/rs-w"), 1);
	/* the restored session still owns its ephemeral: closing ends it */
	assert_int_equal(dpzk_exists(b, "/rs-eph", 1, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_close(a), DPZK_ZOK);
	assert_int_equal(dpzk_exists(b, "/rs-eph", 0, NULL), DPZK_ZNONODE);
	dpzk_close(b);
}

/* A saved clientid reattached in a new handle (ZooKeeper's
 * zookeeper_init with a clientid): the new handle's xids start at 1, but
 * the session has applied writes with higher xids.  The CONNECTED carries
 * the session's last applied xid, so the new handle's writes are applied,
 * not taken for retries (docs/PROTOCOL.md §8 §2.1). */
static void
test_session_reattached_by_a_new_handle_applies_its_writes(void **state)
{
	struct dpzk_handle *a = it_connect(10000, NULL);
	struct dpzk_handle *b, *c;
	struct dpzk_clientid cid;
	struct dpzk_stat st;
	char name[32], buf[8];
	int len;

	(void)state;
	assert_int_equal(dpzk_create(a, "/rn", "", 0, &dpzk_open_acl_unsafe, 0,
				     0, NULL, 0, NULL),
			 DPZK_ZOK);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "/rn/a%d", i);
		assert_int_equal(dpzk_create(a, name, "a", 1,
					     &dpzk_open_acl_unsafe, 0, 0, NULL,
					     0, NULL),
				 DPZK_ZOK);
	}
	cid = *dpzk_client_id(a);
	/* a goes away without closing the session (a process restart) */
	b = dpzk_init(it_hosts(), NULL, 10000, &cid, NULL, 0);
	assert_non_null(b);
	assert_int_equal(dpzk_wait_connected(b, 5000), DPZK_ZOK);
	assert_int_equal(dpzk_client_id(b)->session_id, cid.session_id);
	assert_int_equal(dpzk_create(b, "/rn/b", "b", 1, &dpzk_open_acl_unsafe,
				     DPZK_EPHEMERAL, 0, NULL, 0, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_set(b, "/rn/a0", "bb", 2, -1, &st), DPZK_ZOK);
	assert_int_equal(st.version, 1);
	c = it_connect(10000, NULL);
	assert_int_equal(dpzk_exists(c, "/rn/b", 0, &st), DPZK_ZOK);
	assert_int_equal(st.ephemeral_owner, cid.session_id);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(c, "/rn/a0", 0, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(len, 2);
	dpzk_close(c);
	assert_int_equal(dpzk_close(b), DPZK_ZOK);
	dpzk_close(a); /* the session is closed already */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_watches_rearmed_after_connection_loss_fire_for_missed_changes),
		cmocka_unit_test(
			test_session_auth_watches_and_ephemerals_survive_restart),
		cmocka_unit_test(
			test_session_outlives_a_server_down_longer_than_its_timeout),
		cmocka_unit_test(
			test_session_reattached_by_a_new_handle_applies_its_writes),
	};

	it_deadline(100);
	return cmocka_run_group_tests_name("integration_reconnect", tests, NULL,
					   NULL);
}
