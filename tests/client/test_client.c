/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/client/test_client.c — libdpzk against the in-test fake server
 * (fakesrv.c) on 127.0.0.1: handshake, request/reply, ZooKeeper error
 * codes, an event before the reply that shows the change, retransmission
 * of a dropped reply, reassembly of a 1 MiB reply, pings on an idle
 * session, expiry, failover to another server with the same session, the
 * event-loop API, the ACL parser, and an application's own datagram
 * transport (dpzk_init_transport).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <sys/socket.h>

#include "client/dpzk.h"
#include "fakesrv.h"

struct log {
	char s[512];
	int session_states[16];
	int nsessions;
	int events;
};

static void
log_add(struct log *l, const char *what)
{
	strncat(l->s, what, sizeof(l->s) - strlen(l->s) - 1);
}

static void
watcher(struct dpzk_handle *zh, int type, int state, const char *path,
	void *ctx)
{
	struct log *l = ctx;

	(void)zh;
	(void)path;
	if (l == NULL)
		return;
	if (type == DPZK_SESSION_EVENT) {
		if (l->nsessions < 16)
			l->session_states[l->nsessions++] = state;
		return;
	}
	l->events++;
	log_add(l, "event;");
}

static struct dpzk_handle *
connect_to(const char *hosts, int timeout_ms, struct log *l)
{
	struct dpzk_handle *zh =
		dpzk_init(hosts, watcher, timeout_ms, NULL, l, 0);

	assert_non_null(zh);
	assert_int_equal(dpzk_wait_connected(zh, 3000), DPZK_ZOK);
	return zh;
}

static void
test_handshake_establishes_session(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct log l = {0};
	struct dpzk_handle *zh;

	(void)state;
	assert_non_null(fs);
	fakesrv_set_max_timeout(fs, 4000);
	zh = connect_to(fakesrv_addr(fs), 10000, &l);
	assert_int_equal(dpzk_state(zh), DPZK_CONNECTED_STATE);
	assert_true(dpzk_client_id(zh)->session_id != 0);
	assert_int_equal(dpzk_recv_timeout(zh), 4000);
	assert_int_equal(fakesrv_connects(fs), 1);
	dpzk_poll_once(zh, 0);
	assert_int_equal(l.nsessions, 1);
	assert_int_equal(l.session_states[0], DPZK_CONNECTED_STATE);
	assert_int_equal(dpzk_close(zh), DPZK_ZOK);
	fakesrv_stop(fs);
}

static void
test_create_then_get_returns_data(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	char path[64], buf[64];
	int len = sizeof(buf);
	struct dpzk_stat st;

	(void)state;
	assert_int_equal(dpzk_create(zh, "/a", "hello", 5,
				     &dpzk_open_acl_unsafe, DPZK_PERSISTENT, 0,
				     path, sizeof(path), &st),
			 DPZK_ZOK);
	assert_string_equal(path, "/a");
	assert_int_equal(dpzk_get(zh, "/a", 0, buf, &len, &st), DPZK_ZOK);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(st.version, 0);
	assert_int_equal(dpzk_set(zh, "/a", "bye", 3, 0, &st), DPZK_ZOK);
	assert_int_equal(st.version, 1);
	assert_int_equal(dpzk_set(zh, "/a", "x", 1, 0, NULL), DPZK_ZBADVERSION);
	assert_int_equal(dpzk_delete(zh, "/a", -1), DPZK_ZOK);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_errors_are_zookeeper_codes(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	char buf[8];
	int len = sizeof(buf);

	(void)state;
	assert_int_equal(dpzk_get(zh, "/missing", 0, buf, &len, NULL), -101);
	assert_int_equal(DPZK_ZNONODE, -101);
	assert_string_equal(dpzk_strerror(DPZK_ZNONODE), "no node");
	assert_string_equal(dpzk_errname(DPZK_ZNODEEXISTS), "NodeExists");
	assert_int_equal(
		dpzk_create(zh, "/dup", NULL, -1, NULL, 0, 0, NULL, 0, NULL),
		DPZK_ZOK);
	assert_int_equal(
		dpzk_create(zh, "/dup", NULL, -1, NULL, 0, 0, NULL, 0, NULL),
		DPZK_ZNODEEXISTS);
	assert_int_equal(dpzk_get(zh, "bad", 0, buf, &len, NULL),
			 DPZK_ZBADARGUMENTS);
	assert_int_equal(dpzk_get(zh, "/a/", 0, buf, &len, NULL),
			 DPZK_ZBADARGUMENTS);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
reply_logger(int rc, const struct dpzk_result *res, const void *data)
{
	struct log *l = (struct log *)data;

	(void)res;
	log_add(l, rc == DPZK_ZOK ? "reply;" : "error;");
}

static void
test_event_delivered_before_reply(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct log l = {0};
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, &l);
	char buf[8];
	int len = sizeof(buf);

	(void)state;
	assert_int_equal(
		dpzk_create(zh, "/w", "1", 1, NULL, 0, 0, NULL, 0, NULL),
		DPZK_ZOK);
	assert_int_equal(dpzk_get(zh, "/w", 1, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_aset(zh, "/w", "2", 1, -1, reply_logger, &l),
			 DPZK_ZOK);
	for (int i = 0; i < 1000 && strstr(l.s, "reply;") == NULL; i++)
		dpzk_poll_once(zh, 10);
	assert_string_equal(l.s, "event;reply;");
	/* one-time: a second change fires nothing */
	assert_int_equal(dpzk_set(zh, "/w", "3", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(l.events, 1);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static int wcalls;

static void
own_watcher(struct dpzk_handle *zh, int type, int state, const char *path,
	    void *ctx)
{
	(void)zh;
	(void)state;
	assert_int_equal(type, DPZK_CHANGED_EVENT);
	assert_string_equal(path, "/ow");
	assert_ptr_equal(ctx, &wcalls);
	wcalls++;
}

static void
test_custom_watcher_called_once(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	char buf[8];
	int len = sizeof(buf);

	(void)state;
	wcalls = 0;
	dpzk_create(zh, "/ow", "1", 1, NULL, 0, 0, NULL, 0, NULL);
	assert_int_equal(
		dpzk_wget(zh, "/ow", own_watcher, &wcalls, buf, &len, NULL),
		DPZK_ZOK);
	assert_int_equal(dpzk_set(zh, "/ow", "2", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(wcalls, 1);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_dropped_reply_is_retransmitted(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	char buf[8];
	int len = sizeof(buf);

	(void)state;
	dpzk_create(zh, "/r", "ok", 2, NULL, 0, 0, NULL, 0, NULL);
	fakesrv_drop_replies(fs, 1);
	assert_int_equal(dpzk_get(zh, "/r", 0, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(len, 2);
	assert_true(fakesrv_retransmits(fs) >= 1);
	/* answered exactly once: the next request is matched normally */
	len = sizeof(buf);
	assert_int_equal(dpzk_get(zh, "/r", 0, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_outstanding(zh), 0);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_big_reply_reassembled(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	int n = 1024 * 1024 - 1;
	char *data = malloc((size_t)n), *back = malloc((size_t)n);
	int len = n;

	(void)state;
	for (int i = 0; i < n; i++)
		data[i] = (char)(i * 7 + (i >> 10));
	assert_int_equal(
		dpzk_create(zh, "/big", data, n, NULL, 0, 0, NULL, 0, NULL),
		DPZK_ZOK);
	assert_int_equal(dpzk_get(zh, "/big", 0, back, &len, NULL), DPZK_ZOK);
	assert_int_equal(len, n);
	assert_memory_equal(data, back, (size_t)n);
	free(data);
	free(back);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_idle_session_pings(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh;
	uint64_t end;
	char buf[8];
	int len = sizeof(buf);

	(void)state;
	fakesrv_set_max_timeout(fs, 1200);
	zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	assert_int_equal(dpzk_recv_timeout(zh), 1200);
	end = dpzk_now() + 2000 * 1000000ull;
	while (dpzk_now() < end)
		dpzk_poll_once(zh, 50);
	assert_true(fakesrv_pings(fs) >= 3);
	assert_int_equal(dpzk_state(zh), DPZK_CONNECTED_STATE);
	assert_int_equal(fakesrv_connects(fs), 1);
	assert_int_equal(dpzk_get(zh, "/", 0, buf, &len, NULL), DPZK_ZOK);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_expired_session_reported(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct log l = {0};
	struct dpzk_handle *zh;
	char buf[8];
	int len = sizeof(buf);

	(void)state;
	fakesrv_set_max_timeout(fs, 1500);
	zh = connect_to(fakesrv_addr(fs), 10000, &l);
	fakesrv_expire_sessions(fs);
	assert_int_equal(dpzk_get(zh, "/", 0, buf, &len, NULL),
			 DPZK_ZSESSIONEXPIRED);
	assert_int_equal(dpzk_state(zh), DPZK_EXPIRED_SESSION_STATE);
	assert_int_equal(l.session_states[l.nsessions - 1],
			 DPZK_EXPIRED_SESSION_STATE);
	assert_int_equal(dpzk_get(zh, "/", 0, buf, &len, NULL),
			 DPZK_ZINVALIDSTATE);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_stateless_close_triggers_reattach(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	int64_t sid = dpzk_client_id(zh)->session_id;
	uint64_t t0;

	(void)state;
	fakesrv_forget_connection(fs);
	t0 = dpzk_now();
	assert_int_equal(dpzk_exists(zh, "/", 0, NULL), DPZK_ZOK);
	/* at once, not after a liveness timeout */
	assert_true(dpzk_now() - t0 < 1000000000ull);
	assert_int_equal(fakesrv_connects(fs), 2);
	assert_int_equal(dpzk_client_id(zh)->session_id, sid);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_failover_keeps_session_and_retries(void **state)
{
	struct fakesrv_shared *sh = fakesrv_shared_new();
	struct fakesrv *a = fakesrv_start(sh), *b = fakesrv_start(sh);
	struct fakesrv *cur, *other;
	char hosts[160], buf[8];
	int len = sizeof(buf);
	struct dpzk_handle *zh;
	int64_t sid;

	(void)state;
	fakesrv_set_max_timeout(a, 1500);
	fakesrv_set_max_timeout(b, 1500);
	snprintf(hosts, sizeof(hosts), "%s,%s", fakesrv_addr(a),
		 fakesrv_addr(b));
	zh = connect_to(hosts, 10000, NULL);
	sid = dpzk_client_id(zh)->session_id;
	assert_int_equal(
		dpzk_create(zh, "/f", "v", 1, NULL, 0, 0, NULL, 0, NULL),
		DPZK_ZOK);
	cur = strcmp(dpzk_current_server(zh), fakesrv_addr(a)) == 0 ? a : b;
	other = cur == a ? b : a;
	fakesrv_set_mute(cur, true);
	assert_int_equal(dpzk_get(zh, "/f", 0, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(len, 1);
	assert_string_equal(dpzk_current_server(zh), fakesrv_addr(other));
	assert_int_equal(dpzk_client_id(zh)->session_id, sid);
	assert_true(fakesrv_connects(other) >= 1);
	dpzk_close(zh);
	fakesrv_stop(a);
	fakesrv_stop(b);
	fakesrv_shared_free(sh);
}

struct evlog {
	int n;
	int type[16];
	char path[16][64];
};

static void
ev_watcher(struct dpzk_handle *zh, int type, int state, const char *path,
	   void *ctx)
{
	struct evlog *l = ctx;

	(void)zh;
	(void)state;
	if (type == DPZK_SESSION_EVENT || l->n >= 16)
		return;
	l->type[l->n] = type;
	snprintf(l->path[l->n], sizeof(l->path[0]), "%s", path);
	l->n++;
}

static void
test_recursive_watch_sees_descendants(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct evlog l = {0};
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);

	(void)state;
	dpzk_create(zh, "/rw", NULL, -1, NULL, 0, 0, NULL, 0, NULL);
	assert_int_equal(dpzk_add_watch(zh, "/rw",
					DPZK_ADD_WATCH_PERSISTENT_RECURSIVE,
					ev_watcher, &l),
			 DPZK_ZOK);
	assert_int_equal(
		dpzk_create(zh, "/rw/a", "1", 1, NULL, 0, 0, NULL, 0, NULL),
		DPZK_ZOK);
	assert_int_equal(dpzk_set(zh, "/rw/a", "2", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_set(zh, "/rw/a", "3", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.type[0], DPZK_CREATED_EVENT);
	assert_string_equal(l.path[0], "/rw/a");
	assert_int_equal(l.type[2], DPZK_CHANGED_EVENT);
	/* removed locally: the server's later events reach nobody */
	assert_int_equal(dpzk_remove_watches(zh, "/rw",
					     DPZK_WATCHER_PERSISTENT_RECURSIVE,
					     ev_watcher, &l, 1),
			 DPZK_ZOK);
	assert_int_equal(dpzk_set(zh, "/rw/a", "4", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(l.n, 3);
	assert_int_equal(dpzk_remove_watches(zh, "/rw",
					     DPZK_WATCHER_PERSISTENT_RECURSIVE,
					     ev_watcher, &l, 1),
			 DPZK_ZNOWATCHER);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_persistent_watch_stays_armed(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct evlog l = {0};
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);

	(void)state;
	dpzk_create(zh, "/pw", NULL, -1, NULL, 0, 0, NULL, 0, NULL);
	assert_int_equal(dpzk_add_watch(zh, "/pw", DPZK_ADD_WATCH_PERSISTENT,
					ev_watcher, &l),
			 DPZK_ZOK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dpzk_set(zh, "/pw", "x", 1, -1, NULL),
				 DPZK_ZOK);
	assert_int_equal(l.n, 3);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_multi_results_per_op(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	struct dpzk_op ops[3];
	struct dpzk_op_result res[3];
	char p1[32];
	struct dpzk_stat st;
	char buf[8];
	int len = sizeof(buf);

	(void)state;
	dpzk_create(zh, "/m", "0", 1, NULL, 0, 0, NULL, 0, NULL);
	dpzk_create_op_init(&ops[0], "/m1", "a", 1, NULL, 0, p1, sizeof(p1));
	dpzk_set_op_init(&ops[1], "/m", "b", 1, 0, &st);
	dpzk_check_op_init(&ops[2], "/m", -1);
	assert_int_equal(dpzk_multi(zh, 3, ops, res), DPZK_ZOK);
	assert_string_equal(p1, "/m1");
	assert_int_equal(res[0].err, 0);
	assert_int_equal(st.version, 1);
	assert_int_equal(dpzk_get(zh, "/m", 0, buf, &len, NULL), DPZK_ZOK);
	assert_memory_equal(buf, "b", 1);
	/* all or nothing: the second op fails, the first is not applied */
	dpzk_create_op_init(&ops[0], "/m2", "a", 1, NULL, 0, NULL, 0);
	dpzk_delete_op_init(&ops[1], "/nope", -1);
	dpzk_set_op_init(&ops[2], "/m", "c", 1, -1, NULL);
	assert_int_equal(dpzk_multi(zh, 3, ops, res), DPZK_ZNONODE);
	assert_int_equal(res[0].err, 0);
	assert_int_equal(res[1].err, DPZK_ZNONODE);
	assert_int_equal(res[2].err, DPZK_ZRUNTIMEINCONSISTENCY);
	assert_int_equal(dpzk_exists(zh, "/m2", 0, NULL), DPZK_ZNONODE);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
create_done(int rc, const struct dpzk_result *res, const void *data)
{
	char *out = (char *)data;

	snprintf(out, 64, "%d:%s", rc, res->path ? res->path : "");
}

static void
test_retried_write_gets_its_first_result(void **state)
{
	struct fakesrv_shared *sh = fakesrv_shared_new();
	struct fakesrv *a = fakesrv_start(sh), *b = fakesrv_start(sh);
	struct fakesrv *cur;
	char hosts[160], out[64] = "";
	struct dpzk_handle *zh;

	(void)state;
	fakesrv_set_max_timeout(a, 1500);
	fakesrv_set_max_timeout(b, 1500);
	snprintf(hosts, sizeof(hosts), "%s,%s", fakesrv_addr(a),
		 fakesrv_addr(b));
	zh = connect_to(hosts, 10000, NULL);
	cur = strcmp(dpzk_current_server(zh), fakesrv_addr(a)) == 0 ? a : b;
	/* the server applies the create, its reply is lost, it dies */
	fakesrv_blackhole_replies(cur, true);
	assert_int_equal(
		dpzk_acreate(zh, "/once", "1", 1, NULL, 0, 0, create_done, out),
		DPZK_ZOK);
	for (int i = 0; i < 500 && fakesrv_op_count(cur, 15) == 0; i++)
		dpzk_poll_once(zh, 10);
	assert_int_equal(fakesrv_op_count(cur, 15 /* create2 */), 1);
	fakesrv_set_mute(cur, true);
	for (int i = 0; i < 500 && out[0] == '\0'; i++)
		dpzk_poll_once(zh, 10);
	/* the retry (same xid, other server) got the original answer, not
	 * NODEEXISTS */
	assert_string_equal(out, "0:/once");
	assert_true(strcmp(dpzk_current_server(zh), fakesrv_addr(cur)) != 0);
	dpzk_close(zh);
	fakesrv_stop(a);
	fakesrv_stop(b);
	fakesrv_shared_free(sh);
}

/* A server that goes silent while a request is outstanding is left long
 * before 2/3 of the session timeout (the rule a TCP client gets for free
 * from the peer's reset): with a 30 s session the request completes on the
 * other server while the 2/3 rule (20 s) is still far away. */
static void
test_silent_server_is_left_before_two_thirds_of_the_timeout(void **state)
{
	struct fakesrv_shared *sh = fakesrv_shared_new();
	struct fakesrv *a = fakesrv_start(sh), *b = fakesrv_start(sh);
	struct fakesrv *cur, *other;
	char hosts[160], out[64] = "";
	struct dpzk_handle *zh;
	int64_t sid;
	uint64_t t0;

	(void)state;
	fakesrv_set_max_timeout(a, 30000);
	fakesrv_set_max_timeout(b, 30000);
	snprintf(hosts, sizeof(hosts), "%s,%s", fakesrv_addr(a),
		 fakesrv_addr(b));
	zh = connect_to(hosts, 30000, NULL);
	assert_int_equal(dpzk_recv_timeout(zh), 30000);
	sid = dpzk_client_id(zh)->session_id;
	cur = strcmp(dpzk_current_server(zh), fakesrv_addr(a)) == 0 ? a : b;
	other = cur == a ? b : a;
	fakesrv_set_mute(cur, true);
	assert_int_equal(dpzk_acreate(zh, "/silent", "1", 1, NULL, 0, 0,
				      create_done, out),
			 DPZK_ZOK);
	t0 = dpzk_now();
	/* bounded by half the 2/3 rule: 10 s */
	for (int i = 0; i < 1000 && out[0] == '\0'; i++)
		dpzk_poll_once(zh, 10);
	assert_string_equal(out, "0:/silent");
	assert_true(dpzk_now() - t0 < 10000000000ull);
	assert_string_equal(dpzk_current_server(zh), fakesrv_addr(other));
	assert_int_equal(dpzk_client_id(zh)->session_id, sid);
	dpzk_close(zh);
	fakesrv_stop(a);
	fakesrv_stop(b);
	fakesrv_shared_free(sh);
}

/* A server that took a request (its channel acknowledged it) and then went
 * silent: nothing is outstanding at the channel level, so the handle
 * probes the server with PINGs, which a live server's channel answers at
 * once; unanswered, it moves to the other server well before the 2/3 rule,
 * where the retried write gets its result. */
static void
test_server_that_took_a_request_and_died_is_probed_and_left(void **state)
{
	struct fakesrv_shared *sh = fakesrv_shared_new();
	struct fakesrv *a = fakesrv_start(sh), *b = fakesrv_start(sh);
	struct fakesrv *cur, *other;
	char hosts[160], out[64] = "";
	struct dpzk_handle *zh;

	(void)state;
	fakesrv_set_max_timeout(a, 30000);
	fakesrv_set_max_timeout(b, 30000);
	snprintf(hosts, sizeof(hosts), "%s,%s", fakesrv_addr(a),
		 fakesrv_addr(b));
	zh = connect_to(hosts, 30000, NULL);
	cur = strcmp(dpzk_current_server(zh), fakesrv_addr(a)) == 0 ? a : b;
	other = cur == a ? b : a;
	fakesrv_blackhole_replies(cur, true);
	assert_int_equal(dpzk_acreate(zh, "/probe", "1", 1, NULL, 0, 0,
				      create_done, out),
			 DPZK_ZOK);
	for (int i = 0; i < 500 && fakesrv_op_count(cur, 15) == 0; i++)
		dpzk_poll_once(zh, 10);
	assert_int_equal(fakesrv_op_count(cur, 15 /* create2 */), 1);
	for (int i = 0; i < 10; i++) /* its acknowledgement arrives */
		dpzk_poll_once(zh, 10);
	fakesrv_set_mute(cur, true);
	/* bounded by half the 2/3 rule (20 s) */
	for (int i = 0; i < 1000 && out[0] == '\0'; i++)
		dpzk_poll_once(zh, 10);
	assert_string_equal(out, "0:/probe");
	assert_string_equal(dpzk_current_server(zh), fakesrv_addr(other));
	dpzk_close(zh);
	fakesrv_stop(a);
	fakesrv_stop(b);
	fakesrv_shared_free(sh);
}

static void
test_multi_read_each_op_on_its_own(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	struct dpzk_op ops[3];
	struct dpzk_op_result res[3];
	struct dpzk_strings kids;
	struct dpzk_stat st;
	char buf[16];

	(void)state;
	dpzk_create(zh, "/mr", "data", 4, NULL, 0, 0, NULL, 0, NULL);
	dpzk_create(zh, "/mr/k1", NULL, -1, NULL, 0, 0, NULL, 0, NULL);
	dpzk_getdata_op_init(&ops[0], "/mr", buf, sizeof(buf), &st);
	dpzk_getchildren_op_init(&ops[1], "/mr", &kids);
	dpzk_getdata_op_init(&ops[2], "/none", NULL, 0, NULL);
	assert_int_equal(dpzk_multi_read(zh, 3, ops, res), DPZK_ZOK);
	assert_int_equal(res[0].err, 0);
	assert_int_equal(res[0].valuelen, 4);
	assert_memory_equal(buf, "data", 4);
	assert_int_equal(st.data_length, 4);
	assert_int_equal(res[1].err, 0);
	assert_int_equal(kids.count, 1);
	assert_string_equal(kids.data[0], "k1");
	assert_int_equal(res[2].err, DPZK_ZNONODE);
	dpzk_strings_free(&kids);
	/* write ops are refused in a multiRead and vice versa */
	dpzk_delete_op_init(&ops[0], "/mr", -1);
	assert_int_equal(dpzk_multi_read(zh, 1, ops, res), DPZK_ZBADARGUMENTS);
	dpzk_getdata_op_init(&ops[0], "/mr", buf, sizeof(buf), NULL);
	assert_int_equal(dpzk_multi(zh, 1, ops, res), DPZK_ZBADARGUMENTS);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_auth_and_watches_replayed_on_new_server(void **state)
{
	struct fakesrv_shared *sh = fakesrv_shared_new();
	struct fakesrv *a = fakesrv_start(sh), *b = fakesrv_start(sh);
	struct fakesrv *cur, *other;
	char hosts[160], buf[8];
	int len = sizeof(buf);
	struct dpzk_handle *zh;

	(void)state;
	fakesrv_set_max_timeout(a, 1500);
	fakesrv_set_max_timeout(b, 1500);
	snprintf(hosts, sizeof(hosts), "%s,%s", fakesrv_addr(a),
		 fakesrv_addr(b));
	zh = connect_to(hosts, 10000, NULL);
	assert_int_equal(dpzk_add_auth(zh, "digest", "u:p", 3), DPZK_ZOK);
	dpzk_create(zh, "/aw", "v", 1, NULL, 0, 0, NULL, 0, NULL);
	assert_int_equal(dpzk_get(zh, "/aw", 1, buf, &len, NULL), DPZK_ZOK);
	cur = strcmp(dpzk_current_server(zh), fakesrv_addr(a)) == 0 ? a : b;
	other = cur == a ? b : a;
	fakesrv_set_mute(cur, true);
	assert_int_equal(dpzk_exists(zh, "/aw", 0, NULL), DPZK_ZOK);
	assert_true(fakesrv_op_count(other, 100 /* auth */) >= 1);
	assert_true(fakesrv_op_count(other, 101 /* setWatches */) >= 1);
	dpzk_close(zh);
	fakesrv_stop(a);
	fakesrv_stop(b);
	fakesrv_shared_free(sh);
}

static void
count_done(int rc, const struct dpzk_result *res, const void *data)
{
	int *n = (int *)data;

	assert_int_equal(rc, DPZK_ZOK);
	assert_non_null(res->stat);
	(*n)++;
}

static void
test_event_loop_api_drives_async_calls(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	int done = 0;

	(void)state;
	for (int i = 0; i < 50; i++)
		assert_int_equal(dpzk_aexists(zh, "/", 0, count_done, &done),
				 DPZK_ZOK);
	for (int i = 0; i < 2000 && done < 50; i++) {
		uint64_t now = dpzk_now(), d = dpzk_next_deadline(zh);
		int ms = d == UINT64_MAX ? 100
			 : d <= now	 ? 0
					 : (int)((d - now) / 1000000) + 1;
		struct pollfd p = {.fd = dpzk_fd(zh), .events = POLLIN};

		poll(&p, 1, ms > 100 ? 100 : ms);
		assert_int_equal(dpzk_process(zh, dpzk_now()), DPZK_ZOK);
	}
	assert_int_equal(done, 50);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_close_fails_outstanding_with_closing(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh;
	struct log l = {0};

	(void)state;
	fakesrv_set_mute(fs, true);
	zh = dpzk_init(fakesrv_addr(fs), NULL, 10000, NULL, NULL, 0);
	assert_non_null(zh);
	assert_int_equal(dpzk_aget(zh, "/x", 0, reply_logger, &l), DPZK_ZOK);
	dpzk_close(zh);
	assert_string_equal(l.s, "error;");
	fakesrv_stop(fs);
}

static void
test_parse_acl_zkcli_syntax(void **state)
{
	struct dpzk_acl_vector v;
	char p[8];

	(void)state;
	assert_int_equal(
		dpzk_parse_acl(
			"world:anyone:cdrwa,digest:u:abc=:r,ip:10.0.0.1:rw",
			&v),
		DPZK_ZOK);
	assert_int_equal(v.count, 3);
	assert_string_equal(v.data[0].id.scheme, "world");
	assert_string_equal(v.data[0].id.id, "anyone");
	assert_int_equal(v.data[0].perms, DPZK_PERM_ALL);
	assert_string_equal(v.data[1].id.id, "u:abc=");
	assert_int_equal(v.data[1].perms, DPZK_PERM_READ);
	assert_string_equal(v.data[2].id.id, "10.0.0.1");
	assert_string_equal(dpzk_perms_string(v.data[2].perms, p), "rw");
	dpzk_acls_free(&v);
	assert_int_equal(dpzk_parse_acl("world:anyone:xyz", &v),
			 DPZK_ZBADARGUMENTS);
	assert_int_equal(dpzk_parse_acl("nocolon", &v), DPZK_ZBADARGUMENTS);
}

static void
test_rejected_auth_ends_session(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct log l = {0};
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, &l);

	(void)state;
	assert_int_equal(dpzk_add_auth(zh, "digest", "u:p", 3), DPZK_ZOK);
	assert_int_equal(dpzk_add_auth(zh, "bad", "x", 1), DPZK_ZAUTHFAILED);
	assert_int_equal(dpzk_state(zh), DPZK_AUTH_FAILED_STATE);
	assert_int_equal(dpzk_exists(zh, "/", 0, NULL), DPZK_ZINVALIDSTATE);
	dpzk_poll_once(zh, 0);
	assert_int_equal(l.session_states[l.nsessions - 1],
			 DPZK_AUTH_FAILED_STATE);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_chroot_paths_are_relative(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct evlog l = {0};
	struct dpzk_handle *zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	char hosts[128], path[64], buf[8];
	int len = sizeof(buf);
	struct dpzk_strings kids;

	(void)state;
	dpzk_create(zh, "/app", NULL, -1, NULL, 0, 0, NULL, 0, NULL);
	dpzk_close(zh); /* the fake server serves one connection at a time */
	snprintf(hosts, sizeof(hosts), "%s/app/", fakesrv_addr(fs));
	zh = connect_to(hosts, 10000, NULL);
	assert_int_equal(dpzk_create(zh, "/x", "1", 1, NULL, 0, 0, path,
				     sizeof(path), NULL),
			 DPZK_ZOK);
	assert_string_equal(path, "/x");
	assert_int_equal(dpzk_get_children(zh, "/", 0, &kids), DPZK_ZOK);
	assert_int_equal(kids.count, 1);
	assert_string_equal(kids.data[0], "x");
	dpzk_strings_free(&kids);
	assert_int_equal(dpzk_wget(zh, "/x", ev_watcher, &l, buf, &len, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_set(zh, "/x", "2", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.path[0], "/x");
	dpzk_close(zh);
	zh = connect_to(fakesrv_addr(fs), 10000, NULL);
	assert_int_equal(dpzk_exists(zh, "/app/x", 0, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_exists(zh, "/x", 0, NULL), DPZK_ZNONODE);
	dpzk_close(zh);
	fakesrv_stop(fs);
}

static void
test_bad_hosts_rejected(void **state)
{
	(void)state;
	assert_null(dpzk_init("", NULL, 1000, NULL, NULL, 0));
	assert_null(dpzk_init("127.0.0.1:2181", NULL, 0, NULL, NULL, 0));
	assert_null(
		dpzk_init("127.0.0.1:2181/a//b", NULL, 1000, NULL, NULL, 0));
}

/* A transport of the test's own: a UDP socket, not connected, addressed
 * per datagram by what libdpzk passes; counts what goes through it. */
struct tp_sock {
	int fd;
	int sent, received, waits;
};

static int
tp_send(void *ctx, const struct sockaddr *to, size_t tolen, const void *d,
	size_t len)
{
	struct tp_sock *t = ctx;

	if (sendto(t->fd, d, len, MSG_DONTWAIT, to, (socklen_t)tolen) < 0)
		return -errno;
	t->sent++;
	return 0;
}

static long
tp_recv(void *ctx, void *buf, size_t cap)
{
	struct tp_sock *t = ctx;
	ssize_t n = recv(t->fd, buf, cap, MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	t->received++;
	return (long)n;
}

static void
tp_wait(void *ctx, uint64_t deadline)
{
	struct tp_sock *t = ctx;
	struct pollfd p = {.fd = t->fd, .events = POLLIN};
	uint64_t now = dpzk_now();
	int ms = deadline > now ? (int)((deadline - now) / 1000000 + 1) : 0;

	t->waits++;
	poll(&p, 1, ms > 100 ? 100 : ms);
}

static void
test_transport_carries_every_datagram(void **state)
{
	struct fakesrv *fs = fakesrv_start(NULL);
	struct tp_sock t = {0};
	struct dpzk_transport tp = {tp_send, tp_recv, tp_wait, &t};
	struct dpzk_handle *zh;
	char buf[64];
	int len = sizeof(buf);

	(void)state;
	assert_non_null(fs);
	t.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(t.fd >= 0);
	zh = dpzk_init_transport(fakesrv_addr(fs), NULL, 10000, NULL, NULL,
				 &tp);
	assert_non_null(zh);
	assert_int_equal(dpzk_fd(zh), -1);
	assert_int_equal(dpzk_wait_connected(zh, 3000), DPZK_ZOK);
	assert_int_equal(dpzk_create(zh, "/t", "via", 3, &dpzk_open_acl_unsafe,
				     DPZK_PERSISTENT, 0, NULL, 0, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_get(zh, "/t", 0, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "via", 3);
	/* connect, create, get: at least three each way, all through it */
	assert_true(t.sent >= 3);
	assert_true(t.received >= 3);
	assert_true(t.waits >= 1);
	dpzk_close(zh);
	close(t.fd);
	fakesrv_stop(fs);
}

static void
test_transport_without_recv_rejected(void **state)
{
	struct dpzk_transport tp = {tp_send, NULL, NULL, NULL};

	(void)state;
	assert_null(dpzk_init_transport("127.0.0.1:2181", NULL, 1000, NULL,
					NULL, &tp));
	assert_null(dpzk_init_transport("127.0.0.1:2181", NULL, 1000, NULL,
					NULL, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_establishes_session),
		cmocka_unit_test(test_create_then_get_returns_data),
		cmocka_unit_test(test_errors_are_zookeeper_codes),
		cmocka_unit_test(test_event_delivered_before_reply),
		cmocka_unit_test(test_custom_watcher_called_once),
		cmocka_unit_test(test_dropped_reply_is_retransmitted),
		cmocka_unit_test(test_big_reply_reassembled),
		cmocka_unit_test(test_idle_session_pings),
		cmocka_unit_test(test_expired_session_reported),
		cmocka_unit_test(test_stateless_close_triggers_reattach),
		cmocka_unit_test(test_failover_keeps_session_and_retries),
		cmocka_unit_test(
			test_silent_server_is_left_before_two_thirds_of_the_timeout),
		cmocka_unit_test(
			test_server_that_took_a_request_and_died_is_probed_and_left),
		cmocka_unit_test(test_recursive_watch_sees_descendants),
		cmocka_unit_test(test_persistent_watch_stays_armed),
		cmocka_unit_test(test_multi_results_per_op),
		cmocka_unit_test(test_retried_write_gets_its_first_result),
		cmocka_unit_test(test_multi_read_each_op_on_its_own),
		cmocka_unit_test(test_auth_and_watches_replayed_on_new_server),
		cmocka_unit_test(test_event_loop_api_drives_async_calls),
		cmocka_unit_test(test_close_fails_outstanding_with_closing),
		cmocka_unit_test(test_parse_acl_zkcli_syntax),
		cmocka_unit_test(test_rejected_auth_ends_session),
		cmocka_unit_test(test_chroot_paths_are_relative),
		cmocka_unit_test(test_bad_hosts_rejected),
		cmocka_unit_test(test_transport_carries_every_datagram),
		cmocka_unit_test(test_transport_without_recv_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
