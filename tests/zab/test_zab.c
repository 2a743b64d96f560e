/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/zab/test_zab.c — unit tests of zab's building blocks (vote order,
 * quorum, DIFF/TRUNC/SNAP choice, the history window, the message codec)
 * and of small ensembles driven by hand through the public API.
 *
 * The ensemble harness delivers every message at once (through the codec,
 * so encode/decode is exercised too) and makes every append durable at
 * once, unless a test holds a node's disk or cuts a node off; the
 * simulator (sim/) covers the faulty schedules.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zab/zab.h"
#include "zab/zab_priv.h"
#include "sim/lincheck.h"

/* ------------------------------------------------------------------ */
/* building blocks                                                     */
/* ------------------------------------------------------------------ */

static void
vote_order_prefers_epoch_then_zxid_then_id(void **state)
{
	(void)state;
	/* higher peer epoch wins even with a lower zxid and id */
	assert_true(zab_vote_better(1, 5, 3, 9, 100, 2));
	assert_false(zab_vote_better(9, 100, 2, 1, 5, 3));
	/* same epoch: higher zxid */
	assert_true(zab_vote_better(1, 101, 2, 9, 100, 2));
	assert_false(zab_vote_better(9, 100, 2, 1, 101, 2));
	/* same epoch and zxid: higher server id */
	assert_true(zab_vote_better(3, 100, 2, 2, 100, 2));
	assert_false(zab_vote_better(2, 100, 2, 3, 100, 2));
	/* identical: not better */
	assert_false(zab_vote_better(2, 100, 2, 2, 100, 2));
}

static void
quorum_zxid_is_qth_largest(void **state)
{
	uint64_t a[] = {5, 9, 7, 1, 7};

	(void)state;
	assert_int_equal(zab_quorum_zxid(a, 5, 3), 7);
	assert_int_equal(zab_quorum_zxid(a, 5, 1), 9);
	assert_int_equal(zab_quorum_zxid(a, 5, 5), 1);
	assert_int_equal(zab_quorum_zxid(a, 5, 4), 5);
	assert_int_equal(zab_quorum_zxid(a, 3, 2), 7);
	assert_int_equal(zab_quorum_zxid(a, 2, 3), 0); /* not enough */
}

#define Z(e, c) zab_zxid_make((e), (c))

static void
sync_choose_diff_when_learner_is_a_prefix(void **state)
{
	uint64_t h[] = {Z(1, 3), Z(1, 4), Z(2, 1), Z(2, 2)};
	uint64_t from;

	(void)state;
	assert_int_equal(
		zab_sync_choose(Z(2, 1), h, 4, Z(1, 2), Z(2, 2), &from),
		ZAB_M_DIFF);
	assert_int_equal(from, Z(2, 1));
	/* up to date: an empty DIFF */
	assert_int_equal(
		zab_sync_choose(Z(2, 2), h, 4, Z(1, 2), Z(2, 2), &from),
		ZAB_M_DIFF);
	assert_int_equal(from, Z(2, 2));
	/* exactly at the window's base */
	assert_int_equal(
		zab_sync_choose(Z(1, 2), h, 4, Z(1, 2), Z(2, 2), &from),
		ZAB_M_DIFF);
	assert_int_equal(from, Z(1, 2));
}

static void
sync_choose_trunc_when_learner_has_txns_the_leader_lacks(void **state)
{
	uint64_t h[] = {Z(1, 3), Z(1, 4), Z(3, 1), Z(3, 2)};
	uint64_t from;

	(void)state;
	/* learner got 1:5..1:7 from a leader that died: cut at 1:4 */
	assert_int_equal(
		zab_sync_choose(Z(1, 7), h, 4, Z(1, 2), Z(3, 2), &from),
		ZAB_M_TRUNC);
	assert_int_equal(from, Z(1, 4));
	/* learner ahead of the leader's whole history */
	assert_int_equal(
		zab_sync_choose(Z(3, 9), h, 4, Z(1, 2), Z(3, 2), &from),
		ZAB_M_TRUNC);
	assert_int_equal(from, Z(3, 2));
	/* divergent right after the base */
	assert_int_equal(
		zab_sync_choose(Z(1, 2) + 0, h, 4, Z(1, 2), Z(3, 2), &from),
		ZAB_M_DIFF);
	{
		uint64_t h2[] = {Z(2, 1)};

		assert_int_equal(zab_sync_choose(Z(1, 9), h2, 1, Z(1, 5),
						 Z(2, 1), &from),
				 ZAB_M_TRUNC);
		assert_int_equal(from, Z(1, 5));
	}
}

static void
sync_choose_snap_when_learner_is_behind_the_window(void **state)
{
	uint64_t h[] = {Z(2, 5), Z(2, 6)};
	uint64_t from;

	(void)state;
	assert_int_equal(
		zab_sync_choose(Z(2, 1), h, 2, Z(2, 4), Z(2, 6), &from),
		ZAB_M_SNAP);
	assert_int_equal(from, Z(2, 6));
	assert_int_equal(zab_sync_choose(0, h, 2, Z(2, 4), Z(2, 5), &from),
			 ZAB_M_SNAP);
	assert_int_equal(from, Z(2, 5));
}

static void
hist_evicts_only_applied_entries_and_wraps(void **state)
{
	struct zab_hist h;
	uint8_t buf[40];
	uint64_t z;

	(void)state;
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(zab_hist_init(&h, 4, 100), 0);
	zab_hist_reset(&h, 0);
	for (z = 1; z <= 4; z++)
		assert_int_equal(zab_hist_append(&h, z, buf, 20, 0), 0);
	/* entries full, nothing evictable */
	assert_int_equal(zab_hist_append(&h, 5, buf, 20, 0), -ENOSPC);
	/* 1 and 2 applied: room */
	assert_int_equal(zab_hist_append(&h, 5, buf, 20, 2), 0);
	assert_int_equal(h.base, 1);
	/* wraps to offset 0: 30 bytes fit before the head's payload */
	assert_int_equal(zab_hist_append(&h, 6, buf, 30, 2), 0);
	assert_int_equal(h.base, 2);
	assert_int_equal(zab_hist_at(&h, h.n - 1)->off, 0);
	assert_int_equal(zab_hist_last(&h), 6);
	assert_true(zab_hist_has(&h, 4));
	assert_false(zab_hist_has(&h, 2));
	/* payloads are contiguous and intact */
	for (z = 0; z < h.n; z++) {
		const struct zab_hent *e = zab_hist_at(&h, (uint32_t)z);

		assert_true(e->off + e->len <= 100);
		assert_memory_equal(h.bytes + e->off, buf, e->len);
	}
	/* full of entries none of which is applied */
	assert_int_equal(zab_hist_append(&h, 7, buf, 10, 2), -ENOSPC);
	zab_hist_truncate(&h, 4);
	assert_int_equal(zab_hist_last(&h), 4);
	assert_int_equal(zab_hist_upper(&h, 3), 1);
	/* the truncated wrap is free again */
	assert_int_equal(zab_hist_append(&h, 7, buf, 20, 2), 0);
	assert_int_equal(zab_hist_at(&h, h.n - 1)->off, 80);
	zab_hist_fini(&h);
}

/* ------------------------------------------------------------------ */
/* codec                                                               */
/* ------------------------------------------------------------------ */

static size_t
enc(const struct zab_msg *m, uint8_t *buf, size_t cap)
{
	struct proto_wbuf w;

	proto_wbuf_init(&w, buf, cap);
	assert_int_equal(zab_msg_encode(&w, m), 0);
	return w.len;
}

static void
codec_round_trips_every_type(void **state)
{
	static const uint8_t pl[] = "txn bytes";
	uint8_t buf[256], buf2[256];
	int t;

	(void)state;
	for (t = 1; t <= ZAB_M_MAX; t++) {
		struct zab_msg m, d;
		size_t n;

		memset(&m, 0, sizeof(m));
		m.type = (uint8_t)t;
		m.from = 3;
		m.to = 0x7fffffff;
		m.epoch = 0xfffffffe;
		m.zxid = Z(7, 42);
		m.arg = 0x123456789abcdefULL;
		if (t == ZAB_M_VOTE || t == ZAB_M_NEWEPOCH) {
			m.vote.leader = 2;
			m.vote.peer_epoch = 6;
			m.vote.zxid = Z(6, 9);
			m.vote.round = 77;
			m.vote.state = ZAB_FOLLOWING;
		}
		if (t == ZAB_M_PROPOSAL || t == ZAB_M_INFORM ||
		    t == ZAB_M_SNAP || t == ZAB_M_REQUEST) {
			m.payload.p = pl;
			m.payload.len = sizeof(pl);
		}
		n = enc(&m, buf, sizeof(buf));
		assert_int_equal(zab_msg_decode(buf, n, &d), 0);
		assert_int_equal(d.type, m.type);
		assert_int_equal(d.from, m.from);
		assert_int_equal(d.to, m.to);
		assert_int_equal(d.epoch, m.epoch);
		assert_true(d.zxid == m.zxid && d.arg == m.arg);
		assert_memory_equal(&d.vote, &m.vote, sizeof(m.vote));
		assert_int_equal(d.payload.len, m.payload.len);
		if (m.payload.len > 0)
			assert_memory_equal(d.payload.p, pl, sizeof(pl));
		/* re-encoding the decoded message gives the same bytes */
		assert_int_equal(enc(&d, buf2, sizeof(buf2)), n);
		assert_memory_equal(buf, buf2, n);
	}
}

static void
codec_rejects_truncated_and_trailing_bytes(void **state)
{
	static const uint8_t pl[] = "0123456789";
	uint8_t buf[256];
	struct zab_msg m, d;
	int t;

	(void)state;
	for (t = 1; t <= ZAB_M_MAX; t++) {
		size_t n, k;

		memset(&m, 0, sizeof(m));
		m.type = (uint8_t)t;
		m.from = 1;
		m.to = 2;
		m.payload.p = pl;
		m.payload.len = sizeof(pl);
		n = enc(&m, buf, sizeof(buf) - 1);
		for (k = 0; k < n; k++)
			assert_int_equal(zab_msg_decode(buf, k, &d), -EBADMSG);
		buf[n] = 0;
		assert_int_equal(zab_msg_decode(buf, n + 1, &d), -EBADMSG);
	}
}

static void
codec_rejects_bad_version_type_state_and_length(void **state)
{
	uint8_t buf[256];
	struct zab_msg m, d;
	size_t n;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = ZAB_M_VOTE;
	m.from = 1;
	m.to = 2;
	n = enc(&m, buf, sizeof(buf));
	buf[3] = 9; /* version */
	assert_int_equal(zab_msg_decode(buf, n, &d), -EBADMSG);
	buf[3] = ZAB_MSG_VERSION;
	buf[7] = ZAB_M_MAX + 1; /* type */
	assert_int_equal(zab_msg_decode(buf, n, &d), -EBADMSG);
	buf[7] = 0;
	assert_int_equal(zab_msg_decode(buf, n, &d), -EBADMSG);
	buf[7] = ZAB_M_VOTE;
	buf[n - 1] = 7; /* vote state */
	assert_int_equal(zab_msg_decode(buf, n, &d), -EBADMSG);
	buf[n - 1] = ZAB_LEADING;
	assert_int_equal(zab_msg_decode(buf, n, &d), 0);
	/* a payload length beyond the message */
	memset(&m, 0, sizeof(m));
	m.type = ZAB_M_PROPOSAL;
	m.from = 1;
	m.to = 2;
	n = enc(&m, buf, sizeof(buf));
	buf[n - 1] = 1; /* length 1 with no byte */
	assert_int_equal(zab_msg_decode(buf, n, &d), -EBADMSG);
	buf[n - 4] = 0xff; /* negative length */
	assert_int_equal(zab_msg_decode(buf, n, &d), -EBADMSG);
	/* from/to 0 */
	memset(&m, 0, sizeof(m));
	m.type = ZAB_M_PING;
	m.to = 2;
	n = enc(&m, buf, sizeof(buf));
	assert_int_equal(zab_msg_decode(buf, n, &d), -EBADMSG);
}

/* ------------------------------------------------------------------ */
/* a hand-driven ensemble                                              */
/* ------------------------------------------------------------------ */

#define EN_MAX 5
#define QCAP   4096

struct qmsg {
	int to;
	size_t len;
	uint8_t buf[160];
};

struct en {
	int n;
	struct zab *z[EN_MAX];
	bool cut[EN_MAX];  /* isolated: nothing in or out */
	bool hold[EN_MAX]; /* disk does not complete */
	uint64_t pend[EN_MAX];
	uint64_t applied[EN_MAX];
	uint64_t napplied[EN_MAX];
	struct qmsg *q;
	size_t qh, qt;
};

static void
en_cfg(struct zab_config *c, int n, int self, int observers)
{
	int i;

	zab_config_default(c);
	c->self = (uint32_t)self;
	c->n_members = (uint32_t)n;
	for (i = 0; i < n; i++) {
		c->members[i].id = (uint32_t)i + 1;
		c->members[i].observer = i >= n - observers;
	}
	c->hist_entries = 64;
	c->hist_bytes = 4096;
	c->max_inflight = 16;
	c->max_payload = 256;
	c->ready_msgs = 64;
	c->ready_log_ops = 64;
	c->ready_commits = 64;
	c->finalize_ticks = 1;
}

static struct en *
en_new(int n, int observers, const struct zab_persist *ps)
{
	struct en *e = calloc(1, sizeof(*e));
	int i;

	assert_non_null(e);
	e->n = n;
	e->q = calloc(QCAP, sizeof(*e->q));
	assert_non_null(e->q);
	for (i = 0; i < n; i++) {
		struct zab_config c;
		struct zab_persist p0 = {0, 0, 0};

		en_cfg(&c, n, i + 1, observers);
		e->z[i] = zab_new(&c, ps ? &ps[i] : &p0);
		assert_non_null(e->z[i]);
	}
	return e;
}

static void
en_free(struct en *e)
{
	int i;

	for (i = 0; i < e->n; i++)
		zab_free(e->z[i]);
	free(e->q);
	free(e);
}

static void
en_drain_one(struct en *e, int i)
{
	struct zab_ready rd;
	size_t k;

	while (zab_ready(e->z[i], &rd)) {
		for (k = 0; k < rd.n_log_ops; k++) {
			if (rd.log_ops[k].kind == ZAB_LOG_APPEND)
				e->pend[i] = rd.log_ops[k].zxid;
			else
				e->pend[i] = rd.log_ops[k].zxid;
		}
		for (k = 0; k < rd.n_commits; k++) {
			assert_true(rd.commits[k].zxid > e->applied[i]);
			e->applied[i] = rd.commits[k].zxid;
			e->napplied[i]++;
		}
		for (k = 0; k < rd.n_msgs; k++) {
			const struct zab_msg *m = &rd.msgs[k];
			struct qmsg *qm;
			struct proto_wbuf w;
			int to = (int)m->to - 1;

			if (e->cut[i] || e->cut[to])
				continue;
			assert_true(e->qt - e->qh < QCAP);
			qm = &e->q[e->qt++ % QCAP];
			qm->to = to;
			proto_wbuf_init(&w, qm->buf, sizeof(qm->buf));
			assert_int_equal(zab_msg_encode(&w, m), 0);
			qm->len = w.len;
		}
		/* calling an input between ready and advance is refused */
		assert_int_equal(zab_tick(e->z[i]), -EBUSY);
		zab_advance(e->z[i]);
	}
}

/* deliver everything and complete disks until nothing moves */
static void
en_settle(struct en *e)
{
	bool moved = true;
	int i, rounds = 0;

	while (moved) {
		assert_true(++rounds < 100000);
		moved = false;
		for (i = 0; i < e->n; i++) {
			struct zab_status st;

			en_drain_one(e, i);
			zab_status(e->z[i], &st);
			if (!e->hold[i] && st.durable_zxid < e->pend[i]) {
				zab_durable(e->z[i], e->pend[i]);
				moved = true;
			}
			en_drain_one(e, i);
		}
		while (e->qh != e->qt) {
			struct qmsg *qm = &e->q[e->qh++ % QCAP];
			struct zab_msg m;

			moved = true;
			if (e->cut[qm->to])
				continue;
			assert_int_equal(zab_msg_decode(qm->buf, qm->len, &m),
					 0);
			assert_int_equal(zab_step(e->z[qm->to], &m), 0);
			en_drain_one(e, qm->to);
		}
	}
}

static void
en_ticks(struct en *e, int ticks)
{
	int t, i;

	for (t = 0; t < ticks; t++) {
		for (i = 0; i < e->n; i++)
			if (!e->cut[i])
				assert_int_equal(zab_tick(e->z[i]), 0);
		en_settle(e);
	}
}

static int
en_leader(struct en *e)
{
	int i, l = -1;

	for (i = 0; i < e->n; i++) {
		struct zab_status st;

		zab_status(e->z[i], &st);
		if (st.role == ZAB_LEADING && st.established && !e->cut[i]) {
			assert_int_equal(l, -1);
			l = i;
		}
	}
	return l;
}

static uint64_t
en_propose(struct en *e, int i, const char *s)
{
	struct proto_view v = {(const uint8_t *)s, (int32_t)strlen(s)};
	uint64_t zxid = 0;

	assert_int_equal(zab_propose(e->z[i], v, &zxid), 0);
	en_drain_one(e, i);
	return zxid;
}

static void
standalone_elects_itself_and_commits_when_durable(void **state)
{
	struct en *e = en_new(1, 0, NULL);
	uint64_t z;

	(void)state;
	en_ticks(e, 5);
	assert_int_equal(en_leader(e), 0);
	e->hold[0] = true;
	z = en_propose(e, 0, "a");
	assert_int_equal(zab_zxid_epoch(z), 1);
	assert_int_equal(zab_zxid_counter(z), 1);
	en_settle(e);
	assert_int_equal(e->applied[0], 0); /* not durable: not committed */
	e->hold[0] = false;
	en_settle(e);
	assert_int_equal(e->applied[0], z);
	en_free(e);
}

static void
three_nodes_elect_the_highest_id_and_replicate(void **state)
{
	struct en *e = en_new(3, 0, NULL);
	uint64_t z;
	int i;

	(void)state;
	en_ticks(e, 20);
	assert_int_equal(en_leader(e), 2);
	for (i = 0; i < 2; i++) {
		struct zab_status st;

		zab_status(e->z[i], &st);
		assert_int_equal(st.role, ZAB_FOLLOWING);
		assert_int_equal(st.phase, ZAB_PH_BROADCAST);
		assert_int_equal(zab_forward_target(e->z[i]), 3);
	}
	assert_int_equal(
		zab_propose(e->z[0],
			    (struct proto_view){(const uint8_t *)"x", 1}, &z),
		-ZAB_ENOTLEADER);
	for (i = 0; i < 10; i++)
		z = en_propose(e, 2, "w");
	en_settle(e);
	for (i = 0; i < 3; i++)
		assert_int_equal(e->applied[i], z);
	en_free(e);
}

static void
election_prefers_the_longest_history(void **state)
{
	/* node 1 restarts with the newest epoch; 2 and 3 with older logs */
	struct zab_persist ps[3] = {
		{4, 4, Z(4, 7)}, {3, 3, Z(3, 9)}, {3, 3, Z(3, 9)}};
	struct en *e = en_new(3, 0, ps);

	(void)state;
	en_ticks(e, 20);
	assert_int_equal(en_leader(e), 0);
	en_free(e);
}

static void
commit_needs_a_quorum_including_the_leaders_durable_log(void **state)
{
	struct en *e = en_new(3, 0, NULL);
	uint64_t z;

	(void)state;
	en_ticks(e, 20);
	assert_int_equal(en_leader(e), 2);
	/* followers durable, leader's disk held: no commit */
	e->hold[2] = true;
	z = en_propose(e, 2, "a");
	en_settle(e);
	assert_int_equal(e->applied[2], 0);
	e->hold[2] = false;
	en_settle(e);
	assert_int_equal(e->applied[2], z);
	/* leader durable, both followers held: no commit */
	e->hold[0] = e->hold[1] = true;
	z = en_propose(e, 2, "b");
	en_settle(e);
	assert_true(e->applied[2] < z);
	e->hold[0] = e->hold[1] = false;
	en_settle(e);
	assert_int_equal(e->applied[2], z);
	/* one follower suffices for 2 of 3 */
	e->hold[0] = true;
	z = en_propose(e, 2, "c");
	en_settle(e);
	assert_int_equal(e->applied[2], z);
	assert_int_equal(e->applied[1], z);
	assert_true(e->applied[0] < z);
	e->hold[0] = false;
	en_settle(e);
	assert_int_equal(e->applied[0], z);
	en_free(e);
}

static void
leader_without_quorum_steps_down_and_stops_accepting(void **state)
{
	struct en *e = en_new(3, 0, NULL);
	struct zab_status st;
	uint64_t z;

	(void)state;
	en_ticks(e, 20);
	assert_int_equal(en_leader(e), 2);
	e->cut[0] = e->cut[1] = true;
	/* still leading until sync_limit passes */
	en_ticks(e, 5);
	zab_status(e->z[2], &st);
	assert_int_equal(st.role, ZAB_LEADING);
	en_ticks(e, 60);
	zab_status(e->z[2], &st);
	assert_int_equal(st.role, ZAB_LOOKING);
	assert_int_equal(
		zab_propose(e->z[2],
			    (struct proto_view){(const uint8_t *)"x", 1}, &z),
		-ZAB_ENOTLEADER);
	en_free(e);
}

static void
follower_without_leader_goes_looking(void **state)
{
	struct en *e = en_new(3, 0, NULL);
	struct zab_status st;

	(void)state;
	en_ticks(e, 20);
	assert_int_equal(en_leader(e), 2);
	e->cut[2] = true;
	en_ticks(e, 60);
	zab_status(e->z[0], &st);
	assert_true(st.role != ZAB_FOLLOWING || st.leader != 3);
	/* 1 and 2 elect a new leader among themselves, in a new epoch */
	en_ticks(e, 100);
	assert_int_equal(en_leader(e), 1);
	zab_status(e->z[1], &st);
	assert_int_equal(st.epoch, 2);
	en_free(e);
}

static void
uncommitted_txn_of_a_dead_leader_is_truncated(void **state)
{
	struct en *e = en_new(3, 0, NULL);
	struct zab_status st;
	uint64_t z1, z2;

	(void)state;
	en_ticks(e, 20);
	assert_int_equal(en_leader(e), 2);
	z1 = en_propose(e, 2, "committed");
	en_settle(e);
	/* the next txn reaches only the leader, which then dies */
	e->cut[0] = e->cut[1] = true;
	z2 = en_propose(e, 2, "lost");
	en_settle(e);
	e->cut[0] = e->cut[1] = false;
	e->cut[2] = true;
	en_ticks(e, 200);
	assert_int_equal(en_leader(e), 1);
	en_propose(e, 1, "new");
	en_settle(e);
	/* the old leader comes back: TRUNC, then the new history */
	e->cut[2] = false;
	en_ticks(e, 200);
	zab_status(e->z[2], &st);
	assert_int_equal(st.role, ZAB_FOLLOWING);
	assert_int_equal(st.leader, 2);
	assert_int_equal(st.last_zxid, e->applied[1]);
	assert_int_equal(e->applied[2], e->applied[1]);
	assert_true(e->applied[1] > z2);
	assert_true(z1 < z2);
	{
		struct zab_stats s;

		zab_stats(e->z[1], &s);
		assert_true(s.syncs_trunc >= 1);
	}
	en_free(e);
}

static void
observer_learns_commits_but_never_counts(void **state)
{
	/* 3 voters + 1 observer; with two voters gone nothing commits */
	struct en *e = en_new(4, 1, NULL);
	struct zab_status st;
	uint64_t z;

	(void)state;
	en_ticks(e, 30);
	assert_int_equal(en_leader(e), 2);
	zab_status(e->z[3], &st);
	assert_int_equal(st.role, ZAB_OBSERVING);
	z = en_propose(e, 2, "a");
	en_settle(e);
	assert_int_equal(e->applied[3], z);
	/* voters 1 and 2 never durable: leader + observer are no quorum */
	e->hold[0] = e->hold[1] = true;
	z = en_propose(e, 2, "b");
	en_settle(e);
	assert_true(e->applied[2] < z);
	assert_true(e->applied[3] < z);
	e->hold[0] = e->hold[1] = false;
	en_settle(e);
	assert_int_equal(e->applied[3], z);
	en_free(e);
}

static void
observer_forwards_writes_to_the_leader(void **state)
{
	/* 3 voters + 1 observer: the observer's clients write through it */
	struct en *e = en_new(4, 1, NULL);
	struct zab_status st;

	(void)state;
	en_ticks(e, 30);
	en_settle(e);
	zab_status(e->z[3], &st);
	assert_int_equal(st.role, ZAB_OBSERVING);
	assert_int_equal(st.phase, ZAB_PH_BROADCAST);
	/* en_leader() is an index; ids are index + 1 */
	assert_int_equal(zab_forward_target(e->z[3]), en_leader(e) + 1);
	/* a looking observer has no one to forward to */
	zab_link_down(e->z[3], (uint32_t)en_leader(e) + 1);
	assert_int_equal(zab_forward_target(e->z[3]), -EAGAIN);
	en_free(e);
}

static void
config_without_self_is_rejected(void **state)
{
	struct zab_config c;
	struct zab_persist p = {0, 0, 0};

	(void)state;
	en_cfg(&c, 3, 9, 0);
	assert_null(zab_new(&c, &p));
	assert_int_equal(errno, EINVAL);
	en_cfg(&c, 3, 1, 0);
	c.members[2].id = 2;
	assert_null(zab_new(&c, &p));
	en_cfg(&c, 2, 1, 2); /* observers only */
	assert_null(zab_new(&c, &p));
}

static void
load_restores_the_log_tail(void **state)
{
	struct zab_config c;
	struct zab_persist p = {2, 2, Z(2, 3)};
	struct zab_status st;
	struct zab *z;
	struct proto_view v = {(const uint8_t *)"t", 1};

	(void)state;
	en_cfg(&c, 3, 1, 0);
	z = zab_new(&c, &p);
	assert_non_null(z);
	assert_int_equal(zab_load(z, Z(2, 4), v), 0);
	assert_int_equal(zab_load(z, Z(2, 5), v), 0);
	assert_int_equal(zab_load(z, Z(2, 5), v), -EINVAL);
	zab_status(z, &st);
	assert_int_equal(st.last_zxid, Z(2, 5));
	assert_int_equal(st.applied_zxid, Z(2, 3));
	assert_int_equal(st.vote.zxid, Z(2, 5));
	assert_int_equal(st.vote.peer_epoch, 2);
	zab_free(z);
}

/* ------------------------------------------------------------------ */
/* one node driven message by message                                  */
/* ------------------------------------------------------------------ */

static struct zab_msg sent[256];
static size_t nsent;

static void
one_drain(struct zab *z)
{
	struct zab_ready rd;
	size_t k;

	while (zab_ready(z, &rd)) {
		for (k = 0; k < rd.n_msgs && nsent < 256; k++)
			sent[nsent++] = rd.msgs[k];
		zab_advance(z);
	}
}

static const struct zab_msg *
one_find(uint8_t type)
{
	size_t k;

	for (k = 0; k < nsent; k++)
		if (sent[k].type == type)
			return &sent[k];
	return NULL;
}

static void
one_step(struct zab *z, struct zab_msg m)
{
	assert_int_equal(zab_step(z, &m), 0);
	one_drain(z);
}

static struct zab_msg
mk(uint8_t type, uint32_t from, uint32_t to, uint32_t epoch)
{
	struct zab_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = from;
	m.to = to;
	m.epoch = epoch;
	return m;
}

/* node 1 learns from decided votes of 2 and 3 that 3 leads */
static void
join_leader_3(struct zab *z)
{
	struct zab_msg v = mk(ZAB_M_VOTE, 3, 1, 0);
	struct zab_status st;

	v.vote.leader = 3;
	v.vote.peer_epoch = 0;
	v.vote.round = 1;
	v.vote.state = ZAB_LEADING;
	one_step(z, v);
	v.from = 2;
	v.vote.state = ZAB_FOLLOWING;
	one_step(z, v);
	zab_status(z, &st);
	assert_int_equal(st.role, ZAB_FOLLOWING);
	assert_int_equal(st.leader, 3);
}

static void
learner_acks_an_epoch_once_only(void **state)
{
	struct zab_config c;
	struct zab_persist p = {0, 0, 0};
	struct zab *z;
	const struct zab_msg *a;
	struct zab_msg ne;

	(void)state;
	en_cfg(&c, 3, 1, 0);
	z = zab_new(&c, &p);
	assert_non_null(z);
	one_drain(z);
	join_leader_3(z);
	assert_non_null(one_find(ZAB_M_CEPOCH));
	nsent = 0;
	ne = mk(ZAB_M_NEWEPOCH, 3, 1, 1);
	ne.vote.leader = 3;
	ne.vote.state = ZAB_LEADING;
	one_step(z, ne);
	a = one_find(ZAB_M_ACKEPOCH);
	assert_non_null(a);
	assert_int_equal(a->arg, 0); /* our currentEpoch */
	/* the link breaks; the learner re-registers with the same leader,
	 * which offers the same epoch: acked already, so not counted */
	assert_int_equal(zab_link_down(z, 3), 0);
	one_drain(z);
	join_leader_3(z);
	nsent = 0;
	one_step(z, ne);
	a = one_find(ZAB_M_ACKEPOCH);
	assert_non_null(a);
	assert_int_equal(a->arg, ZAB_EPOCH_NONE);
	/* an older epoch than accepted: refuse and look again */
	assert_int_equal(zab_link_down(z, 3), 0);
	one_drain(z);
	join_leader_3(z);
	ne.epoch = 0;
	one_step(z, ne);
	{
		struct zab_status st;

		zab_status(z, &st);
		assert_int_equal(st.role, ZAB_LOOKING);
	}
	zab_free(z);
}

/* node 3 elected by 1 and 2, both registered: epoch 1 chosen */
static struct zab *
leader_with_epoch_chosen(void)
{
	struct zab_config c;
	struct zab_persist p = {0, 0, 0};
	struct zab *z;
	struct zab_msg v, ce;
	struct zab_status st;
	int t;

	en_cfg(&c, 3, 3, 0);
	z = zab_new(&c, &p);
	assert_non_null(z);
	one_drain(z);
	/* 1 and 2 vote for 3 in round 1 */
	v = mk(ZAB_M_VOTE, 1, 3, 0);
	v.vote.leader = 3;
	v.vote.round = 1;
	v.vote.state = ZAB_LOOKING;
	one_step(z, v);
	v.from = 2;
	one_step(z, v);
	for (t = 0; t < 3; t++) {
		zab_tick(z);
		one_drain(z);
	}
	zab_status(z, &st);
	assert_int_equal(st.role, ZAB_LEADING);
	/* both register; the epoch is chosen */
	ce = mk(ZAB_M_CEPOCH, 1, 3, 0);
	one_step(z, ce);
	ce.from = 2;
	one_step(z, ce);
	zab_status(z, &st);
	assert_int_equal(st.epoch, 1);
	assert_int_equal(st.accepted_epoch, 1);
	assert_int_equal(st.phase, ZAB_PH_DISCOVERY);
	return z;
}

static void
leader_does_not_count_a_repeated_epoch_ack(void **state)
{
	struct zab *z = leader_with_epoch_chosen();
	struct zab_msg ae;
	struct zab_status st;

	(void)state;
	ae = mk(ZAB_M_ACKEPOCH, 1, 3, 1);
	ae.arg = ZAB_EPOCH_NONE;
	one_step(z, ae);
	zab_status(z, &st);
	assert_int_equal(st.phase, ZAB_PH_DISCOVERY);
	assert_int_equal(st.current_epoch, 0);
	ae.from = 2;
	ae.arg = 0;
	one_step(z, ae);
	zab_status(z, &st);
	assert_int_equal(st.phase, ZAB_PH_SYNC); /* epoch established */
	assert_int_equal(st.current_epoch, 1);
	zab_free(z);
}

static void
leader_steps_down_for_a_more_recent_follower(void **state)
{
	struct zab *z = leader_with_epoch_chosen();
	struct zab_msg ae;
	struct zab_status st;

	(void)state;
	/* follower 1 says its currentEpoch is 5: it knows more */
	ae = mk(ZAB_M_ACKEPOCH, 1, 3, 1);
	ae.arg = 5;
	one_step(z, ae);
	zab_status(z, &st);
	assert_int_equal(st.role, ZAB_LOOKING);
	{
		struct zab_stats s;

		zab_stats(z, &s);
		assert_int_equal(s.stepdowns, 1);
	}
	zab_free(z);
}

/* ------------------------------------------------------------------ */
/* the simulator's linearizability checker                             */
/* ------------------------------------------------------------------ */

#define W_(c, r, v)                                                            \
	{                                                                      \
		(c), (r), 1, (v)                                               \
	}
#define R_(c, r, v)                                                            \
	{                                                                      \
		(c), (r), 0, (v)                                               \
	}

static void
lincheck_accepts_linearizable_histories(void **state)
{
	const struct lin_op seq[] = {W_(0, 10, 1), R_(20, 30, 1), W_(40, 50, 2),
				     R_(60, 70, 2)};
	/* concurrent write: the read may see either value */
	const struct lin_op conc[] = {W_(0, 100, 1), R_(10, 20, 0),
				      R_(30, 40, 1), R_(110, 120, 1)};
	/* a write that never returned may take effect late, or never */
	const struct lin_op pend[] = {W_(0, 10, 1), W_(20, LIN_PENDING, 2),
				      R_(30, 40, 1), R_(50, 60, 2)};
	const struct lin_op never[] = {W_(0, LIN_PENDING, 5), R_(30, 40, 0)};

	(void)state;
	assert_int_equal(lin_check_register(seq, 4, 0), LIN_OK);
	assert_int_equal(lin_check_register(conc, 4, 0), LIN_OK);
	assert_int_equal(lin_check_register(pend, 4, 0), LIN_OK);
	assert_int_equal(lin_check_register(never, 2, 0), LIN_OK);
}

static void
lincheck_rejects_stale_and_flapping_reads(void **state)
{
	/* a read after a completed write sees the old value */
	const struct lin_op stale[] = {W_(0, 10, 1), R_(20, 30, 0)};
	/* once a concurrent write was seen, a later read cannot miss it */
	const struct lin_op flap[] = {W_(0, 100, 1), R_(10, 20, 1),
				      R_(30, 40, 0)};
	/* a value nobody wrote */
	const struct lin_op ghost[] = {W_(0, 10, 1), R_(20, 30, 7)};
	/* two writes in real-time order observed reversed */
	const struct lin_op order[] = {W_(0, 10, 1), W_(20, 30, 2),
				       R_(40, 50, 1)};

	(void)state;
	assert_int_equal(lin_check_register(stale, 2, 0), LIN_VIOLATION);
	assert_int_equal(lin_check_register(flap, 3, 0), LIN_VIOLATION);
	assert_int_equal(lin_check_register(ghost, 2, 0), LIN_VIOLATION);
	assert_int_equal(lin_check_register(order, 3, 0), LIN_VIOLATION);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vote_order_prefers_epoch_then_zxid_then_id),
		cmocka_unit_test(quorum_zxid_is_qth_largest),
		cmocka_unit_test(sync_choose_diff_when_learner_is_a_prefix),
		cmocka_unit_test(
			sync_choose_trunc_when_learner_has_txns_the_leader_lacks),
		cmocka_unit_test(
			sync_choose_snap_when_learner_is_behind_the_window),
		cmocka_unit_test(hist_evicts_only_applied_entries_and_wraps),
		cmocka_unit_test(codec_round_trips_every_type),
		cmocka_unit_test(codec_rejects_truncated_and_trailing_bytes),
		cmocka_unit_test(
			codec_rejects_bad_version_type_state_and_length),
		cmocka_unit_test(
			standalone_elects_itself_and_commits_when_durable),
		cmocka_unit_test(
			three_nodes_elect_the_highest_id_and_replicate),
		cmocka_unit_test(election_prefers_the_longest_history),
		cmocka_unit_test(
			commit_needs_a_quorum_including_the_leaders_durable_log),
		cmocka_unit_test(
			leader_without_quorum_steps_down_and_stops_accepting),
		cmocka_unit_test(follower_without_leader_goes_looking),
		cmocka_unit_test(uncommitted_txn_of_a_dead_leader_is_truncated),
		cmocka_unit_test(observer_learns_commits_but_never_counts),
		cmocka_unit_test(observer_forwards_writes_to_the_leader),
		cmocka_unit_test(config_without_self_is_rejected),
		cmocka_unit_test(load_restores_the_log_tail),
		cmocka_unit_test(learner_acks_an_epoch_once_only),
		cmocka_unit_test(leader_steps_down_for_a_more_recent_follower),
		cmocka_unit_test(leader_does_not_count_a_repeated_epoch_ack),
		cmocka_unit_test(lincheck_accepts_linearizable_histories),
		cmocka_unit_test(lincheck_rejects_stale_and_flapping_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
