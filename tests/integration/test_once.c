/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/test_once.c — writes are applied exactly once even
 * when their reply is lost (docs/PROTOCOL-channel.md §2.6).  The server
 * runs with --fault_drop_replies=6: it applies the next six writes and
 * swallows their replies.
 *   - raw client (proto/ codecs and channel): a sequential create and a
 *     setData get no reply; the client reconnects with the same session
 *     and a new nonce and resends the same xid; it gets the first result
 *     (the same sequential name, the same version), resends again (same
 *     answer), and the next write shows the counter moved once;
 *   - libdpzk: the swallowed replies of three pipelined sequential
 *     creates, then the
 *     server's transmissions cut off (DPDK telemetry fault_tx_drop=1) until
 *     libdpzk declares the connection lost; once they flow again libdpzk
 *     reconnects, resends the xid, and the completion gets the first
 *     result.
 *
 * Why it is built this way: a swallowed reply alone never makes libdpzk
 * retry (its channel delivered the request and stays healthy, and ZooKeeper
 * clients have no per-request timeout), so the libdpzk case pairs it with
 * the connection loss that a lost reply means in practice (a server or
 * path failure), which is what triggers the resend.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"

static struct proto_acl open_acl = {
	PROTO_PERM_ALL,
	{{(const uint8_t *)"world", 5}, {(const uint8_t *)"anyone", 6}}};

static uint8_t scratch[1 << 20];
static struct dpzk_handle *reader;

static void
req_create_seq(struct proto_request *q, const char *path)
{
	memset(q, 0, sizeof(*q));
	q->type = PROTO_OP_CREATE;
	q->path.p = (const uint8_t *)path;
	q->path.len = (int32_t)strlen(path);
	q->data.p = (const uint8_t *)"d";
	q->data.len = 1;
	q->acl.n = 1;
	q->acl.v = &open_acl;
	q->flags = PROTO_CM_PERSISTENT_SEQUENTIAL;
}

/* Waits for xid's reply; decodes it into h/a (op's body). */
static bool
reply_of(struct it_raw *r, int32_t xid, int32_t op, int ms,
	 struct proto_reply_hdr *h, struct proto_response *a)
{
	int i = it_raw_wait_reply(r, xid, ms);

	if (i < 0) {
		const struct proto_chan_stats *cs = proto_chan_stats(&r->ch);

		print_message("# no reply to xid %d; %d messages held:", xid,
			      r->nmsgs);
		for (int k = 0; k < r->nmsgs; k++)
			print_message(" kind %d len %u;", r->msgs[k].kind,
				      r->msgs[k].len);
		print_message(" chan rx_msgs %llu tx_msgs %llu rexmit %llu "
			      "unacked %u unknown_close %d close %d\n",
			      (unsigned long long)cs->rx_msgs,
			      (unsigned long long)cs->tx_msgs,
			      (unsigned long long)cs->tx_retransmits,
			      proto_chan_outstanding(&r->ch), r->unknown_close,
			      r->close_code);
		return false;
	}
	assert_int_equal(
		it_raw_decode_reply(r, i, op, h, a, scratch, sizeof(scratch)),
		0);
	return true;
}

static int
count_children(struct dpzk_handle *zh, const char *path, const char *prefix)
{
	struct dpzk_strings s;
	int n = 0;

	assert_int_equal(dpzk_get_children(zh, path, 0, &s), DPZK_ZOK);
	for (int i = 0; i < s.count; i++)
		if (strncmp(s.data[i], prefix, strlen(prefix)) == 0)
			n++;
	dpzk_strings_free(&s);
	return n;
}

static void
raw_retry(struct it_raw *r, int32_t xid, const struct proto_request *q)
{
	uint64_t end;

	/* the reply is swallowed: nothing within a second */
	assert_int_equal(it_raw_send(r, xid, q), 0);
	assert_true(it_raw_wait_reply(r, xid, 1000) < 0);
	/* and the write is applied, not still waiting for the disk (a
	 * retry of a write in flight is answered when it commits — and
	 * that answer would be the one the fault swallows) */
	end = it_ms() + 10000;
	while (it_mntr("zk_outstanding_requests") != 0 && it_ms() < end)
		it_raw_poll(r, 50);
	assert_int_equal(it_mntr("zk_outstanding_requests"), 0);
	/* reconnect: same session, new nonce, fresh channel; same xid */
	assert_int_equal(it_raw_connect(r, r->sid, 10000, 5000), 0);
	assert_int_equal(it_raw_send(r, xid, q), 0);
}

/* The order of writes matters: the server swallows the replies of the
 * first six client writes it applies (meson.build: --fault_drop_replies=6),
 * three here and three in the libdpzk test; the tests run in this order. */
static void
test_raw_retry_of_swallowed_writes_gets_first_result(void **state)
{
	struct proto_reply_hdr h;
	struct proto_response a;
	struct proto_request q;
	struct it_raw r;
	char first[64];
	int64_t retried0, zxid1;

	(void)state;
	retried0 = it_mntr("zk_dpzk_retried_writes");
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, 10000, 5000), 0);

	/* 1: a sequential create */
	req_create_seq(&q, "/x-");
	raw_retry(&r, 1, &q);
	assert_true(reply_of(&r, 1, PROTO_OP_CREATE, 3000, &h, &a));
	assert_int_equal(h.err, 0);
	assert_int_equal(a.path.len, 13);
	memcpy(first, a.path.p, 13);
	first[13] = 0;
	assert_string_equal(first, "/x-0000000000");
	zxid1 = h.zxid;
	it_raw_forget(&r);
	/* once more on the same connection: the same first result */
	assert_int_equal(it_raw_send(&r, 1, &q), 0);
	assert_true(reply_of(&r, 1, PROTO_OP_CREATE, 3000, &h, &a));
	assert_int_equal(h.err, 0);
	assert_int_equal(h.zxid, zxid1);
	assert_int_equal(a.path.len, 13);
	assert_memory_equal(a.path.p, first, 13);
	it_raw_forget(&r);

	/* 2: a plain create: its retry is OK, not NODEEXISTS */
	req_create_seq(&q, "/v");
	q.flags = 0;
	raw_retry(&r, 2, &q);
	assert_true(reply_of(&r, 2, PROTO_OP_CREATE, 3000, &h, &a));
	assert_int_equal(h.err, 0);
	assert_int_equal(a.path.len, 2);
	it_raw_forget(&r);

	/* 3: a setData: the retry shows version 1, and it stays 1 */
	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_SETDATA;
	q.path.p = (const uint8_t *)"/v";
	q.path.len = 2;
	q.data.p = (const uint8_t *)"1";
	q.data.len = 1;
	q.version = -1;
	raw_retry(&r, 3, &q);
	assert_true(reply_of(&r, 3, PROTO_OP_SETDATA, 3000, &h, &a));
	assert_int_equal(h.err, 0);
	assert_int_equal(a.stat.version, 1);
	it_raw_forget(&r);
	assert_int_equal(it_raw_send(&r, 3, &q), 0);
	assert_true(reply_of(&r, 3, PROTO_OP_SETDATA, 3000, &h, &a));
	assert_int_equal(h.err, 0);
	assert_int_equal(a.stat.version, 1);
	it_raw_forget(&r);

	{
		struct dpzk_stat st;

		/* (not closed here: a closeSession is a write whose reply
		 * would take the libdpzk test's swallowed reply) */
		reader = it_connect(10000, NULL);
		assert_int_equal(count_children(reader, "/", "x-"), 1);
		assert_int_equal(dpzk_exists(reader, "/v", 0, &st), DPZK_ZOK);
		assert_int_equal(st.version, 1);
	}
	it_sleep_ms(150); /* mntr is published at 10 Hz */
	print_message(
		"# retried writes answered from the record: %lld\n",
		(long long)(it_mntr("zk_dpzk_retried_writes") - retried0));
	assert_true(it_mntr("zk_dpzk_retried_writes") - retried0 >= 5);
	it_raw_close(&r);
}

/* After the fault budget is spent: a retry of a write older than the
 * session's last one is answered (err 0: "already applied", PROTOCOL-
 * channel.md §2.6) and never applied again. */
static void
test_raw_retry_of_older_xid_is_not_applied_again(void **state)
{
	struct dpzk_handle *zh = it_connect(10000, NULL);
	struct proto_reply_hdr h;
	struct proto_response a;
	struct proto_request q;
	struct it_raw r;
	int before;

	(void)state;
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, 10000, 5000), 0);
	req_create_seq(&q, "/z-");
	for (int32_t x = 1; x <= 3; x++) {
		assert_int_equal(it_raw_send(&r, x, &q), 0);
		assert_true(reply_of(&r, x, PROTO_OP_CREATE, 3000, &h, &a));
		assert_int_equal(h.err, 0);
		it_raw_forget(&r);
	}
	before = count_children(zh, "/", "z-");
	assert_int_equal(before, 3);
	/* xid 1 again, on a new connection of the session */
	assert_int_equal(it_raw_connect(&r, r.sid, 10000, 5000), 0);
	assert_int_equal(it_raw_send(&r, 1, &q), 0);
	if (!reply_of(&r, 1, PROTO_OP_CREATE, 3000, &h, NULL))
		fail_msg("no reply to a retried older xid");
	it_raw_forget(&r);
	assert_int_equal(count_children(zh, "/", "z-"), 3);
	assert_int_equal(h.err, 0);
	it_raw_close(&r);
	dpzk_close(zh);
	if (reader)
		dpzk_close(reader);
}

struct done {
	bool done;
	int rc;
	char path[64];
};

static void
create_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct done *d = (struct done *)data;

	d->rc = rc;
	if (rc == 0 && res->path)
		snprintf(d->path, sizeof(d->path), "%s", res->path);
	d->done = true;
}

static bool
saw_state(const struct it_events *ev, int state, int from)
{
	for (int i = from; i < ev->n; i++)
		if (ev->ev[i].type == DPZK_SESSION_EVENT &&
		    ev->ev[i].state == state)
			return true;
	return false;
}

#define NPIPE 3

static void
test_libdpzk_resends_after_connection_loss_and_gets_first_result(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh = it_connect(3000, &ev);
	struct done d[NPIPE], d2 = {0};
	char tel[4096];
	uint64_t end;
	int mark;

	(void)state;
	memset(d, 0, sizeof(d));
	/* three pipelined sequential creates: all applied, all three
	 * replies swallowed (the rest of the fault budget) */
	for (int i = 0; i < NPIPE; i++)
		assert_int_equal(dpzk_acreate(zh, "/y-", "d", 1,
					      &dpzk_open_acl_unsafe,
					      DPZK_PERSISTENT_SEQUENTIAL, 0,
					      create_done, &d[i]),
				 DPZK_ZOK);
	it_pump(&zh, 1, 800, &d[NPIPE - 1].done);
	/* applied, not still waiting for the disk (see raw_retry) */
	end = it_ms() + 10000;
	while (it_mntr("zk_outstanding_requests") != 0 && it_ms() < end)
		it_pump(&zh, 1, 50, NULL);
	assert_int_equal(it_mntr("zk_outstanding_requests"), 0);
	for (int i = 0; i < NPIPE; i++)
		assert_false(d[i].done);
	assert_int_equal(dpzk_outstanding(zh), NPIPE);
	/* the server falls silent until libdpzk gives the connection up */
	assert_true(it_telemetry("/dpzk/fault_set,fault_tx_drop=1", tel,
				 sizeof(tel)) > 0);
	mark = ev.n;
	end = it_ms() + 6000;
	while (!saw_state(&ev, DPZK_CONNECTING_STATE, mark) && it_ms() < end)
		it_pump(&zh, 1, 20, NULL);
	assert_true(it_telemetry("/dpzk/fault_set,fault_tx_drop=0", tel,
				 sizeof(tel)) > 0);
	assert_true(saw_state(&ev, DPZK_CONNECTING_STATE, mark));
	assert_false(d[0].done);
	/* reconnect, resend with the same xids, the first results */
	end = it_ms() + 8000;
	while (!(d[0].done && d[1].done && d[2].done) && it_ms() < end)
		it_pump(&zh, 1, 20, NULL);
	assert_true(saw_state(&ev, DPZK_CONNECTED_STATE, mark));
	for (int i = 0; i < NPIPE; i++) {
		print_message("# create %d: %s %s\n", i,
			      d[i].done ? dpzk_errname(d[i].rc) : "no reply",
			      d[i].path);
	}
	for (int i = 0; i < NPIPE; i++) {
		assert_true(d[i].done);
		assert_int_equal(d[i].rc, DPZK_ZOK);
	}
	if (count_children(zh, "/", "y-") != NPIPE)
		fail_msg("%d /y- nodes after %d creates were resent: the "
			 "resent xids older than the last were applied again",
			 count_children(zh, "/", "y-"), NPIPE);
	/* the last xid gets its first result in full (older ones may come
	 * back as a body-less OK: only the last reply is remembered) */
	assert_int_equal(strncmp(d[NPIPE - 1].path, "/y-", 3), 0);
	assert_int_equal(dpzk_exists(zh, d[NPIPE - 1].path, 0, NULL), DPZK_ZOK);
	for (int i = 0; i < NPIPE - 1; i++)
		if (d[i].path[0])
			assert_int_equal(atol(d[i].path + 3),
					 atol(d[NPIPE - 1].path + 3) -
						 (NPIPE - 1 - i));
	assert_int_equal(dpzk_acreate(zh, "/y-", "d", 1, &dpzk_open_acl_unsafe,
				      DPZK_PERSISTENT_SEQUENTIAL, 0,
				      create_done, &d2),
			 DPZK_ZOK);
	assert_true(it_pump(&zh, 1, 3000, &d2.done));
	assert_int_equal(d2.rc, DPZK_ZOK);
	/* nothing else was created under / meanwhile: the next number */
	assert_int_equal(atol(d2.path + 3), atol(d[NPIPE - 1].path + 3) + 1);
	dpzk_close(zh);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_raw_retry_of_swallowed_writes_gets_first_result),
		cmocka_unit_test(
			test_libdpzk_resends_after_connection_loss_and_gets_first_result),
		cmocka_unit_test(
			test_raw_retry_of_older_xid_is_not_applied_again),
	};

	it_deadline(100);
	return cmocka_run_group_tests_name("integration_once", tests, NULL,
					   NULL);
}
