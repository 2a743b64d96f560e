/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/test_order.c — ZooKeeper's ordering guarantee end to
 * end: a client that watches a znode sees the watch event before the reply
 * of any later request that shows the change, and the events of a session
 * come in zxid order.
 *
 * Why it is built this way: the guarantee is about one session's stream,
 * so each test records, in one shared counter, when every event and every
 * completion ran (libdpzk), or reads the raw stream of REPLY and EVENT
 * messages with their zxids (raw client on proto/'s channel), while another
 * session writes concurrently.  Both handles run in this one thread,
 * driven by it_pump, so nothing here is timing-dependent: a violation is
 * an order that must never happen.
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

#define TMO 10000

/* ------------------------------------------------------------------ */
/* libdpzk: event before the reply of a later get                      */
/* ------------------------------------------------------------------ */

struct get_rec {
	bool done;
	int rc;
	int version;
	uint64_t order;
	uint64_t *counter;
};

static void
get_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct get_rec *g = (struct get_rec *)data;

	g->rc = rc;
	g->version = rc == 0 && res->stat ? res->stat->version : -1;
	g->order = (*g->counter)++;
	g->done = true;
}

static void
test_event_comes_before_reply_of_later_get(void **state)
{
	uint64_t counter = 1;
	struct it_events ev = {.order = &counter};
	struct dpzk_handle *a = it_connect(TMO, &ev);
	struct dpzk_handle *b = it_connect(TMO, NULL);
	char buf[16];
	int len;

	(void)state;
	assert_int_equal(dpzk_create(b, "/o1", "0", 1, &dpzk_open_acl_unsafe, 0,
				     0, NULL, 0, NULL),
			 DPZK_ZOK);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(a, "/o1", 1, buf, &len, NULL), DPZK_ZOK);
	for (int i = 1; i <= 200; i++) {
		struct get_rec g = {.counter = &counter};
		int before = ev.n;
		bool found = false;

		/* B's write is acknowledged before A asks */
		assert_int_equal(dpzk_set(b, "/o1", "x", 1, -1, NULL),
				 DPZK_ZOK);
		/* the get re-arms the watch for the next round */
		assert_int_equal(dpzk_aget(a, "/o1", 1, get_done, &g),
				 DPZK_ZOK);
		assert_true(it_pump(&a, 1, 5000, &g.done));
		assert_int_equal(g.rc, DPZK_ZOK);
		assert_int_equal(g.version, i);
		for (int k = before; k < ev.n; k++)
			if (ev.ev[k].type == DPZK_CHANGED_EVENT &&
			    strcmp(ev.ev[k].path, "/o1") == 0) {
				assert_true(ev.ev[k].order < g.order);
				found = true;
			}
		if (!found)
			fail_msg("round %d: the get saw version %d without the "
				 "NodeDataChanged event first",
				 i, g.version);
	}
	dpzk_close(b);
	dpzk_close(a);
}

/* A reads while B writes: each get must be preceded by as many
 * NodeDataChanged events (persistent recursive watch) as the version it
 * shows. */
#define NODES  16
#define WRITES 3000
#define WINDOW 64

struct wstate {
	int sent, acked, failed;
};

static void
set_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct wstate *w = (struct wstate *)data;

	(void)res;
	if (rc == 0)
		w->acked++;
	else
		w->failed++;
}

struct rd {
	int node;
	int rc;
	int version;
	int events_then;
	bool done;
	const struct it_events *ev;
};

static void
rd_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct rd *r = (struct rd *)data;
	char p[32];

	r->rc = rc;
	r->version = rc == 0 && res->stat ? res->stat->version : -1;
	snprintf(p, sizeof(p), "/o2/n%d", r->node);
	r->events_then = it_events_count(r->ev, DPZK_CHANGED_EVENT, p);
	r->done = true;
}

static void
test_concurrent_reads_never_overtake_events(void **state)
{
	static struct it_events ev;
	struct dpzk_handle *a, *b, *hs[2];
	struct wstate w = {0};
	static struct rd reads[4096];
	int nreads = 0, checked = 0;
	uint64_t end;
	char p[32];

	(void)state;
	memset(&ev, 0, sizeof(ev));
	a = it_connect(TMO, &ev);
	b = it_connect(TMO, NULL);
	hs[0] = a;
	hs[1] = b;
	assert_int_equal(it_mkdirs(b, "/o2"), DPZK_ZOK);
	for (int i = 0; i < NODES; i++) {
		snprintf(p, sizeof(p), "/o2/n%d", i);
		assert_int_equal(dpzk_create(b, p, "0", 1,
					     &dpzk_open_acl_unsafe, 0, 0, NULL,
					     0, NULL),
				 DPZK_ZOK);
	}
	assert_int_equal(dpzk_add_watch(a, "/o2",
					DPZK_ADD_WATCH_PERSISTENT_RECURSIVE,
					NULL, NULL),
			 DPZK_ZOK);
	end = it_ms() + 60000;
	while ((w.acked + w.failed < WRITES || checked < nreads) &&
	       it_ms() < end) {
		while (w.sent < WRITES &&
		       w.sent - w.acked - w.failed < WINDOW) {
			snprintf(p, sizeof(p), "/o2/n%d", w.sent % NODES);
			assert_int_equal(
				dpzk_aset(b, p, "v", 1, -1, set_done, &w),
				DPZK_ZOK);
			w.sent++;
		}
		while (nreads < 4096 && nreads - checked < 32) {
			struct rd *r = &reads[nreads++];

			r->node = nreads % NODES;
			r->ev = &ev;
			snprintf(p, sizeof(p), "/o2/n%d", r->node);
			assert_int_equal(dpzk_aget(a, p, 0, rd_done, r),
					 DPZK_ZOK);
		}
		it_pump(hs, 2, 1, NULL);
		while (checked < nreads && reads[checked].done) {
			struct rd *r = &reads[checked++];

			assert_int_equal(r->rc, DPZK_ZOK);
			if (r->events_then < r->version)
				fail_msg("get of /o2/n%d showed version %d "
					 "after only %d change events",
					 r->node, r->version, r->events_then);
		}
	}
	assert_int_equal(w.failed, 0);
	assert_int_equal(w.acked, WRITES);
	assert_int_equal(checked, nreads);
	print_message("# %d writes by B, %d reads by A checked\n", w.acked,
		      nreads);
	/* every change reached A exactly once */
	{
		bool all = false;

		end = it_ms() + 5000;
		while (!all && it_ms() < end) {
			int total = 0;

			for (int i = 0; i < NODES; i++) {
				snprintf(p, sizeof(p), "/o2/n%d", i);
				total += it_events_count(&ev,
							 DPZK_CHANGED_EVENT, p);
			}
			all = total >= WRITES;
			if (!all)
				it_pump(&a, 1, 20, NULL);
		}
		for (int i = 0; i < NODES; i++) {
			snprintf(p, sizeof(p), "/o2/n%d", i);
			assert_int_equal(
				it_events_count(&ev, DPZK_CHANGED_EVENT, p),
				WRITES / NODES + (i < WRITES % NODES ? 1 : 0));
		}
	}
	dpzk_close(b);
	dpzk_close(a);
}

/* ------------------------------------------------------------------ */
/* raw stream: events and read replies in zxid order                   */
/* ------------------------------------------------------------------ */

static int32_t
be32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			 (uint32_t)p[2] << 8 | p[3]);
}

static int64_t
be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)(uint32_t)be32(p) << 32 |
			 (uint32_t)be32(p + 4));
}

struct zset {
	int n;
	int64_t z[4096];
};

static void
create_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct zset *zs = (struct zset *)data;

	if (rc == 0 && res->stat && zs->n < 4096)
		zs->z[zs->n++] = res->stat->mzxid;
}

static void
test_session_stream_is_in_zxid_order(void **state)
{
	static struct it_raw r;
	static struct zset zs;
	struct dpzk_handle *b = it_connect(TMO, NULL);
	struct proto_request q;
	int64_t last = 0, last_event = 0;
	int events = 0, replies = 0, sent = 0;
	int32_t next_read = 100;
	uint64_t end;
	char p[48];
	int i;

	(void)state;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, TMO, 5000), 0);
	assert_int_equal(it_mkdirs(b, "/o3/a"), DPZK_ZOK);
	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_ADDWATCH;
	q.path.p = (const uint8_t *)"/o3";
	q.path.len = 3;
	q.mode = PROTO_ADDWATCH_PERSISTENT_RECURSIVE;
	assert_int_equal(it_raw_send(&r, 1, &q), 0);
	i = it_raw_wait_reply(&r, 1, 5000);
	assert_true(i >= 0);
	{
		struct proto_reply_hdr h;

		assert_int_equal(
			it_raw_decode_reply(&r, i, 0, &h, NULL, NULL, 0), 0);
		assert_int_equal(h.err, 0);
		last = h.zxid;
	}
	it_raw_forget(&r);
	/* B: 600 creates and sets (create2 replies carry the zxid);
	 * raw: a getData every few ms, its reply zxid = last applied */
	end = it_ms() + 60000;
	while ((sent < 600 || zs.n < 600 || events < 600) && it_ms() < end) {
		while (sent < 600 && sent - zs.n < 32) {
			snprintf(p, sizeof(p), "/o3/a/n%d", sent);
			assert_int_equal(dpzk_acreate(b, p, "x", 1,
						      &dpzk_open_acl_unsafe, 0,
						      0, create_done, &zs),
					 DPZK_ZOK);
			sent++;
		}
		memset(&q, 0, sizeof(q));
		q.type = PROTO_OP_GETDATA;
		q.path.p = (const uint8_t *)"/o3/a";
		q.path.len = 5;
		for (int k = 0; k < 4; k++)
			assert_int_equal(it_raw_send(&r, next_read++, &q), 0);
		it_pump(&b, 1, 1, NULL);
		it_raw_poll(&r, 1);
		for (int k = 0; k < r.nmsgs; k++) {
			const struct it_msg *m = &r.msgs[k];
			int64_t z;

			assert_true(m->len >= 16);
			z = be64(m->b + 4);
			if (m->kind == PROTO_K_EVENT) {
				assert_int_equal(be32(m->b), -1);
				if (z <= last_event)
					fail_msg(
						"event zxid %#llx after "
						"%#llx",
						(unsigned long long)z,
						(unsigned long long)last_event);
				last_event = z;
				events++;
			} else {
				assert_int_equal(m->kind, PROTO_K_REPLY);
				assert_int_equal(be32(m->b + 12), 0);
				replies++;
			}
			if (z < last)
				fail_msg("%s zxid %#llx after %#llx",
					 m->kind == PROTO_K_EVENT ? "event"
								  : "reply",
					 (unsigned long long)z,
					 (unsigned long long)last);
			last = z;
		}
		it_raw_forget(&r);
	}
	assert_int_equal(zs.n, 600);
	assert_int_equal(events, 600);
	assert_true(replies > 0);
	/* the last event is the last write */
	{
		int64_t mx = 0;

		for (int k = 0; k < zs.n; k++)
			if (zs.z[k] > mx)
				mx = zs.z[k];
		assert_int_equal(last_event, mx);
	}
	print_message("# %d events and %d read replies in zxid order\n", events,
		      replies);
	it_raw_close(&r);
	dpzk_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_comes_before_reply_of_later_get),
		cmocka_unit_test(test_concurrent_reads_never_overtake_events),
		cmocka_unit_test(test_session_stream_is_in_zxid_order),
	};

	it_deadline(170);
	return cmocka_run_group_tests_name("integration_order", tests, NULL,
					   NULL);
}
