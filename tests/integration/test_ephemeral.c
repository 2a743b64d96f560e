/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/test_ephemeral.c — ephemerals go with their session:
 * on dpzk_close, and on expiry of a session whose client went silent (a
 * raw client that stops sending anything; a libdpzk client in a child
 * process stopped with SIGSTOP), and the watchers of those nodes get
 * NodeDeleted.  A session that keeps pinging keeps its nodes.
 *
 * Why it is built this way: the server runs with a short tick and a 1 s
 * minimum session timeout (meson passes --tick_ms / --session_timeout_min_ms)
 * so expiry is observable in seconds; the silent client is the raw client
 * because libdpzk never goes silent on its own, and the stopped child shows
 * the same from a real libdpzk session, which must learn on SIGCONT that it
 * expired.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include <cmocka.h>

#include "it.h"

/* Session timeout asked for: short, so expiry shows in seconds, yet twice
 * the server's minimum (meson.build: 1000 ms) so a loaded 2-core machine
 * that delays a process for a few hundred ms does not expire a session
 * that is pinging. */
#define SHORT 2000

static struct proto_acl open_acl = {
	PROTO_PERM_ALL,
	{{(const uint8_t *)"world", 5}, {(const uint8_t *)"anyone", 6}}};

static int
raw_create(struct it_raw *r, int32_t xid, const char *path, int flags)
{
	struct proto_request q;
	struct proto_reply_hdr h;
	int i;

	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_CREATE;
	q.path.p = (const uint8_t *)path;
	q.path.len = (int32_t)strlen(path);
	q.data.p = (const uint8_t *)"raw";
	q.data.len = 3;
	q.acl.n = 1;
	q.acl.v = &open_acl;
	q.flags = flags;
	if (it_raw_send(r, xid, &q) != 0)
		return -1000;
	i = it_raw_wait_reply(r, xid, 5000);
	if (i < 0)
		return -1001;
	if (it_raw_decode_reply(r, i, 0, &h, NULL, NULL, 0) != 0)
		return -1002;
	return h.err;
}

/* Pumps w until NodeDeleted on path (≤ ms); returns the ms it took or -1. */
static int64_t
wait_deleted(struct dpzk_handle *w, struct it_events *ev, const char *path,
	     int ms)
{
	uint64_t t0 = it_ms(), end = t0 + (uint64_t)ms;

	while (it_events_count(ev, DPZK_DELETED_EVENT, path) == 0 &&
	       it_ms() < end)
		it_pump(&w, 1, 10, NULL);
	if (it_events_count(ev, DPZK_DELETED_EVENT, path) == 0)
		return -1;
	return (int64_t)(it_ms() - t0);
}

static void
test_close_removes_ephemerals_and_notifies_watchers(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *c = it_connect(10000, NULL);
	struct dpzk_handle *w = it_connect(10000, &ev);
	struct dpzk_clientid cid;
	struct dpzk_strings s;
	char seq[64], buf[8];
	int len = sizeof(buf);
	int64_t eph0;
	struct it_raw r;

	(void)state;
	assert_int_equal(it_mkdirs(w, "/e1"), DPZK_ZOK);
	eph0 = it_mntr("zk_ephemerals_count");
	assert_int_equal(dpzk_create(c, "/e1/a", "x", 1, &dpzk_open_acl_unsafe,
				     DPZK_EPHEMERAL, 0, NULL, 0, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_create(c, "/e1/s-", "y", 1, &dpzk_open_acl_unsafe,
				     DPZK_EPHEMERAL_SEQUENTIAL, 0, seq,
				     sizeof(seq), NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_create(c, "/e1/p", "z", 1, &dpzk_open_acl_unsafe,
				     DPZK_PERSISTENT, 0, NULL, 0, NULL),
			 DPZK_ZOK);
	assert_int_equal(dpzk_exists(w, "/e1/a", 1, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_get(w, seq, 1, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_get_children(w, "/e1", 1, &s), DPZK_ZOK);
	assert_int_equal(s.count, 3);
	dpzk_strings_free(&s);
	/* mntr is published at 10 Hz */
	it_sleep_ms(250);
	assert_int_equal(it_mntr("zk_ephemerals_count"), eph0 + 2);
	cid = *dpzk_client_id(c);
	assert_int_equal(dpzk_close(c), DPZK_ZOK);

	assert_true(wait_deleted(w, &ev, "/e1/a", 3000) >= 0);
	assert_true(wait_deleted(w, &ev, seq, 3000) >= 0);
	assert_int_equal(it_events_count(&ev, DPZK_CHILD_EVENT, "/e1"), 1);
	assert_int_equal(dpzk_exists(w, "/e1/a", 0, NULL), DPZK_ZNONODE);
	assert_int_equal(dpzk_exists(w, seq, 0, NULL), DPZK_ZNONODE);
	assert_int_equal(dpzk_exists(w, "/e1/p", 0, NULL), DPZK_ZOK);
	it_sleep_ms(250);
	assert_int_equal(it_mntr("zk_ephemerals_count"), eph0);
	/* the closed session cannot be reattached */
	assert_int_equal(it_raw_open(&r), 0);
	memcpy(r.passwd, cid.passwd, 16);
	assert_int_equal(it_raw_connect(&r, cid.session_id, 10000, 3000),
			 -ESTALE);
	it_raw_close(&r);
	dpzk_close(w);
}

static void
test_pinging_session_keeps_ephemerals(void **state)
{
	struct it_raw r;

	(void)state;
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, SHORT, 5000), 0);
	assert_int_equal(r.timeout_ms, SHORT);
	assert_int_equal(raw_create(&r, 1, "/e-alive", 1), 0);
	/* two session timeouts of pings and nothing else */
	it_raw_poll(&r, 2 * SHORT);
	{
		struct dpzk_handle *w = it_connect(10000, NULL);

		assert_int_equal(dpzk_exists(w, "/e-alive", 0, NULL), DPZK_ZOK);
		dpzk_close(w);
	}
	assert_int_equal(r.close_code, 0);
	it_raw_close(&r);
}

static void
test_silent_raw_session_expires_and_notifies_watchers(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *w = it_connect(10000, &ev);
	struct it_raw r;
	struct dpzk_stat st;
	int64_t took, gone0;
	uint64_t t_last;

	(void)state;
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, SHORT, 5000), 0);
	assert_int_equal(raw_create(&r, 1, "/e2", 0), 0);
	assert_int_equal(raw_create(&r, 2, "/e2/raw", 1), 0);
	assert_int_equal(raw_create(&r, 3, "/e2/raw2", 1), 0);
	/* let the server have our ack of the replies, then go silent */
	it_raw_poll(&r, 20);
	t_last = it_ms();
	assert_int_equal(dpzk_exists(w, "/e2/raw", 1, &st), DPZK_ZOK);
	assert_int_equal(st.ephemeral_owner, r.sid);
	assert_int_equal(dpzk_exists(w, "/e2/raw2", 1, NULL), DPZK_ZOK);
	it_sleep_ms(150); /* mntr is published at 10 Hz */
	gone0 = it_mntr("zk_global_sessions");

	took = wait_deleted(w, &ev, "/e2/raw", 6000);
	assert_true(took >= 0);
	took = (int64_t)(it_ms() - t_last);
	print_message("# silent session's ephemeral deleted %lld ms after "
		      "its last datagram (timeout %d ms)\n",
		      (long long)took, SHORT);
	/* not before the timeout; within a timeout plus a tick or two */
	assert_true(took >= SHORT - 50);
	assert_true(took <= 2 * SHORT + 1000);
	assert_true(wait_deleted(w, &ev, "/e2/raw2", 1000) >= 0);
	assert_int_equal(dpzk_exists(w, "/e2/raw", 0, NULL), DPZK_ZNONODE);
	it_sleep_ms(250);
	/* (an earlier test's silent sessions may expire meanwhile too) */
	assert_true(it_mntr("zk_global_sessions") <= gone0 - 1);
	/* the expired session answers timeOut 0 */
	assert_int_equal(it_raw_connect(&r, r.sid, SHORT, 3000), -ESTALE);
	it_raw_close(&r);
	dpzk_close(w);
}

/* The child: a libdpzk session with an ephemeral; reports its session
 * id, then runs its loop; exits 0 once it sees it expired, 2 on any other
 * error, 3 if it never learns within 15 s. */
static void
child_main(int fd)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh =
		dpzk_init(it_hosts(), it_watcher, SHORT, NULL, &ev, 0);
	int64_t sid;
	uint64_t end;

	if (zh == NULL || dpzk_wait_connected(zh, 10000) != DPZK_ZOK)
		_exit(2);
	if (dpzk_create(zh, "/e3/child", "c", 1, &dpzk_open_acl_unsafe,
			DPZK_EPHEMERAL, 0, NULL, 0, NULL) != DPZK_ZOK)
		_exit(2);
	sid = dpzk_client_id(zh)->session_id;
	if (write(fd, &sid, sizeof(sid)) != sizeof(sid))
		_exit(2);
	end = it_ms() + 15000;
	while (it_ms() < end) {
		int rc = dpzk_poll_once(zh, 50);

		if (rc == DPZK_ZSESSIONEXPIRED ||
		    dpzk_state(zh) == DPZK_EXPIRED_SESSION_STATE) {
			if (ev.last_state != DPZK_EXPIRED_SESSION_STATE)
				_exit(4);
			if (dpzk_exists(zh, "/", 0, NULL) != DPZK_ZINVALIDSTATE)
				_exit(5);
			_exit(0);
		}
	}
	_exit(3);
}

static void
test_stopped_libdpzk_process_expires(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *w = it_connect(10000, &ev);
	int pfd[2], status = -1;
	int64_t sid = 0, took;
	struct dpzk_stat st;
	pid_t pid;

	(void)state;
	assert_int_equal(it_mkdirs(w, "/e3"), DPZK_ZOK);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		child_main(pfd[1]);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &sid, sizeof(sid)), sizeof(sid));
	close(pfd[0]);
	assert_int_equal(dpzk_exists(w, "/e3/child", 1, &st), DPZK_ZOK);
	assert_int_equal(st.ephemeral_owner, sid);
	/* a running child keeps its session well past the timeout */
	it_pump(&w, 1, 2 * SHORT, NULL);
	assert_int_equal(it_events_count(&ev, DPZK_DELETED_EVENT, "/e3/child"),
			 0);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	took = wait_deleted(w, &ev, "/e3/child", 6000);
	print_message("# stopped client's ephemeral deleted %lld ms after "
		      "SIGSTOP\n",
		      (long long)took);
	assert_true(took >= 0);
	assert_int_equal(kill(pid, SIGCONT), 0);
	for (int i = 0; i < 2000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		it_sleep_ms(10);
	}
	if (!WIFEXITED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the stopped child did not exit after SIGCONT");
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(dpzk_exists(w, "/e3/child", 0, NULL), DPZK_ZNONODE);
	dpzk_close(w);
}

struct cnt {
	int ok, other, other_rc;
};

static void
count_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct cnt *c = (struct cnt *)data;

	(void)res;
	if (rc == DPZK_ZOK) {
		c->ok++;
	} else {
		c->other++;
		c->other_rc = rc;
	}
}

/* Ephemeral creates still in flight when the session closes: closeSession
 * is ordered after them, so none of them may outlive the session; and the
 * session's watches go with it. */
static void
test_close_with_ephemeral_creates_in_flight_leaves_none(void **state)
{
	struct dpzk_handle *w = it_connect(10000, NULL);
	struct dpzk_handle *c = it_connect(10000, NULL);
	struct dpzk_strings s;
	struct cnt n = {0};
	char p[32], buf[8];
	int64_t watches0;

	(void)state;
	assert_int_equal(it_mkdirs(w, "/e4"), DPZK_ZOK);
	it_sleep_ms(150);
	watches0 = it_mntr("zk_watch_count");
	/* c: 100 watches, then 200 ephemeral creates and close at once */
	for (int i = 0; i < 100; i++) {
		int len = sizeof(buf);

		snprintf(p, sizeof(p), "/e4-w%d", i);
		assert_int_equal(dpzk_exists(c, p, 1, NULL), DPZK_ZNONODE);
		(void)len;
	}
	it_sleep_ms(150);
	assert_true(it_mntr("zk_watch_count") >= watches0 + 100);
	for (int i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "/e4/n%d", i);
		assert_int_equal(
			dpzk_acreate(c, p, "e", 1, &dpzk_open_acl_unsafe,
				     DPZK_EPHEMERAL, 0, count_done, &n),
			DPZK_ZOK);
	}
	dpzk_close(c);
	print_message("# close with 200 ephemeral creates queued: %d "
		      "completed OK, %d otherwise (%s)\n",
		      n.ok, n.other, dpzk_errname(n.other_rc));
	assert_int_equal(n.ok + n.other, 200);
	assert_int_equal(dpzk_get_children(w, "/e4", 0, &s), DPZK_ZOK);
	if (s.count != 0)
		fail_msg("%d ephemerals of a closed session remain (first "
			 "%s)",
			 s.count, s.data[0]);
	dpzk_strings_free(&s);
	it_sleep_ms(150);
	assert_int_equal(it_mntr("zk_watch_count"), watches0);
	dpzk_close(w);
}

/* The same race with expiry: a raw client pipelines ephemeral creates
 * and goes silent at once. */
static void
test_expiry_with_ephemeral_creates_in_flight_leaves_none(void **state)
{
	struct dpzk_handle *w = it_connect(10000, NULL);
	struct dpzk_strings s;
	struct it_raw r;
	uint64_t end;
	char p[32];

	(void)state;
	assert_int_equal(it_mkdirs(w, "/e5"), DPZK_ZOK);
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, SHORT, 5000), 0);
	for (int i = 0; i < 50; i++) {
		struct proto_request q;

		snprintf(p, sizeof(p), "/e5/n%d", i);
		memset(&q, 0, sizeof(q));
		q.type = PROTO_OP_CREATE;
		q.path.p = (const uint8_t *)p;
		q.path.len = (int32_t)strlen(p);
		q.acl.n = 1;
		q.acl.v = &open_acl;
		q.flags = PROTO_CM_EPHEMERAL;
		assert_int_equal(it_raw_send(&r, i + 1, &q), 0);
	}
	it_raw_poll(&r, 20); /* let the window go out, then silence */
	end = it_ms() + 3 * SHORT + 2000;
	for (;;) {
		assert_int_equal(dpzk_get_children(w, "/e5", 0, &s), DPZK_ZOK);
		if (s.count == 0 || it_ms() > end)
			break;
		dpzk_strings_free(&s);
		it_pump(&w, 1, 100, NULL);
	}
	if (s.count != 0)
		fail_msg("%d ephemerals of an expired session remain", s.count);
	dpzk_strings_free(&s);
	it_raw_close(&r);
	dpzk_close(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_close_removes_ephemerals_and_notifies_watchers),
		cmocka_unit_test(test_pinging_session_keeps_ephemerals),
		cmocka_unit_test(
			test_silent_raw_session_expires_and_notifies_watchers),
		cmocka_unit_test(test_stopped_libdpzk_process_expires),
		cmocka_unit_test(
			test_close_with_ephemeral_creates_in_flight_leaves_none),
		cmocka_unit_test(
			test_expiry_with_ephemeral_creates_in_flight_leaves_none),
	};

	it_deadline(100);
	return cmocka_run_group_tests_name("integration_ephemeral", tests, NULL,
					   NULL);
}
