/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/channel/chansim.h — two channel endpoints over a simulated link
 * with a virtual clock, seeded loss, duplication, reordering (jitter) and
 * corruption.  Shared by the unit tests and the soak.  Every message sent
 * carries a pattern derived from (direction, index), so the receiver checks
 * exactly-once, in-order delivery of the right bytes.
 *
 * Test-only code: it mallocs freely and aborts through cmocka on misuse.
 */
#ifndef DPZK_TESTS_CHANSIM_H
#define DPZK_TESTS_CHANSIM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

#define SIM_MAXQ    65536
#define SIM_MAXMSGS 20000

struct sim_pkt {
	uint64_t at;
	int to;
	size_t len;
	uint8_t *data;
};

struct sim;

struct sim_end {
	struct sim *s;
	int id;
	struct proto_chan ch;
	void *mem;
	/* messages this end queued (lengths), and how many were sent */
	uint32_t *tx_len;
	uint32_t ntx_planned;
	uint32_t ntx_sent;
	/* next message index expected from the other end */
	uint32_t rx_next;
	uint64_t rx_bad;
	uint64_t emitted;
	uint64_t emitted_acks;
	uint8_t *scratch;
	/* optional hook: called on every delivered message */
	void (*on_deliver)(struct sim_end *e, uint8_t kind, const void *m,
			   size_t len);
};

struct sim {
	struct sim_end e[2];
	struct sim_pkt *q;
	size_t nq;
	uint64_t now;
	uint64_t rng;
	uint32_t loss_ppm, dup_ppm, corrupt_ppm;
	uint64_t lat_ns, jitter_ns;
	bool down[2]; /* drop everything emitted by side i */
	uint64_t link_drops;
};

static inline uint64_t
sim_rand(struct sim *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

static inline bool
sim_chance(struct sim *s, uint32_t ppm)
{
	return ppm && (sim_rand(s) % 1000000) < ppm;
}

static inline uint8_t
sim_byte(int dir, uint32_t k, size_t j)
{
	return (uint8_t)(dir * 101 + k * 31 + j * 7 + (j >> 8));
}

static inline void
sim_enqueue(struct sim *s, int to, const void *p, size_t len, uint64_t at)
{
	struct sim_pkt *k;

	assert_true(s->nq < SIM_MAXQ);
	k = &s->q[s->nq++];
	k->at = at;
	k->to = to;
	k->len = len;
	k->data = malloc(len);
	assert_non_null(k->data);
	memcpy(k->data, p, len);
}

static inline int
sim_emit(void *ctx, const void *dgram, size_t len)
{
	struct sim_end *e = ctx;
	struct sim *s = e->s;
	uint64_t at;
	int copies = 1;
	struct proto_dgram_hdr h;

	e->emitted++;
	if (proto_dgram_hdr_decode(dgram, len, &h) == 0 &&
	    h.kind == PROTO_K_ACK)
		e->emitted_acks++;
	if (s->down[e->id] || sim_chance(s, s->loss_ppm)) {
		s->link_drops++;
		return 0;
	}
	if (sim_chance(s, s->dup_ppm))
		copies = 2;
	for (int c = 0; c < copies; c++) {
		at = s->now + s->lat_ns +
		     (s->jitter_ns ? sim_rand(s) % s->jitter_ns : 0);
		sim_enqueue(s, 1 - e->id, dgram, len, at);
		if (sim_chance(s, s->corrupt_ppm)) {
			struct sim_pkt *k = &s->q[s->nq - 1];

			k->data[sim_rand(s) % len] ^= 0x10;
		}
	}
	return 0;
}

static inline void
sim_deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	struct sim_end *e = ctx;
	struct sim_end *peer = &e->s->e[1 - e->id];
	uint32_t k = e->rx_next;
	const uint8_t *m = msg;

	if (e->on_deliver)
		e->on_deliver(e, kind, msg, len);
	if (k >= peer->ntx_sent || len != peer->tx_len[k]) {
		e->rx_bad++;
		return;
	}
	for (size_t j = 0; j < len; j++) {
		if (m[j] != sim_byte(peer->id, k, j)) {
			e->rx_bad++;
			return;
		}
	}
	e->rx_next++;
}

static const uint8_t sim_key[16] __attribute__((unused)) = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* extra: optional rx_alloc/rx_free/tx_release for both ends. */
static inline struct sim *
sim_new_ops(const struct proto_chan_cfg *cfg, uint64_t seed,
	    const struct proto_chan_ops *extra)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct proto_chan_ops ops = {.emit = sim_emit, .deliver = sim_deliver};
	size_t ms = proto_chan_mem_size(cfg);

	assert_non_null(s);
	assert_true(ms > 0);
	if (extra) {
		ops.rx_alloc = extra->rx_alloc;
		ops.rx_free = extra->rx_free;
		ops.tx_release = extra->tx_release;
	}
	s->q = calloc(SIM_MAXQ, sizeof(*s->q));
	s->rng = seed * 0x9E3779B97F4A7C15ull + 1;
	s->now = 1000000000ull;
	s->lat_ns = 20000;
	for (int i = 0; i < 2; i++) {
		struct sim_end *e = &s->e[i];

		e->s = s;
		e->id = i;
		assert_int_equal(posix_memalign(&e->mem, 64, ms), 0);
		assert_int_equal(proto_chan_init(&e->ch, cfg, e->mem, ms, &ops,
						 e, 0x1234, sim_key, s->now),
				 0);
		e->tx_len = calloc(SIM_MAXMSGS, sizeof(uint32_t));
		e->scratch = malloc(cfg->max_msg + 1);
	}
	return s;
}

static inline struct sim *
sim_new(const struct proto_chan_cfg *cfg, uint64_t seed)
{
	return sim_new_ops(cfg, seed, NULL);
}

static inline void
sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->nq; i++)
		free(s->q[i].data);
	for (int i = 0; i < 2; i++) {
		free(s->e[i].mem);
		free(s->e[i].tx_len);
		free(s->e[i].scratch);
	}
	free(s->q);
	free(s);
}

/* Plans a message of len bytes from side i (sent when the window allows). */
static inline void
sim_plan(struct sim *s, int i, uint32_t len)
{
	struct sim_end *e = &s->e[i];

	assert_true(e->ntx_planned < SIM_MAXMSGS);
	e->tx_len[e->ntx_planned++] = len;
}

/* Sends planned messages while the channel accepts them. */
static inline void
sim_feed(struct sim *s)
{
	for (int i = 0; i < 2; i++) {
		struct sim_end *e = &s->e[i];

		while (e->ntx_sent < e->ntx_planned) {
			uint32_t k = e->ntx_sent, len = e->tx_len[k];
			int rc;

			for (uint32_t j = 0; j < len; j++)
				e->scratch[j] = sim_byte(i, k, j);
			rc = proto_chan_send(&e->ch, PROTO_K_REQUEST + i,
					     e->scratch, len, s->now);
			if (rc == -EAGAIN || rc == -ETIMEDOUT)
				break;
			assert_int_equal(rc, 0);
			e->ntx_sent++;
		}
	}
}

static inline bool
sim_done(const struct sim *s)
{
	return s->e[0].rx_next == s->e[1].ntx_planned &&
	       s->e[1].rx_next == s->e[0].ntx_planned;
}

/* One step: the earliest of (packet arrival, timer).  Returns false when
 * nothing at all is scheduled. */
static inline bool
sim_step(struct sim *s)
{
	uint64_t t = UINT64_MAX;
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < s->nq; i++) {
		if (s->q[i].at < t) {
			t = s->q[i].at;
			best = i;
		}
	}
	for (int i = 0; i < 2; i++) {
		uint64_t d = proto_chan_next_deadline(&s->e[i].ch);

		if (d < t) {
			t = d;
			best = SIZE_MAX - 1 - i;
		}
	}
	if (t == UINT64_MAX)
		return false;
	if (t > s->now)
		s->now = t;
	if (best < s->nq) {
		struct sim_pkt k = s->q[best];

		s->q[best] = s->q[--s->nq];
		proto_chan_input(&s->e[k.to].ch, k.data, k.len, s->now);
		free(k.data);
	} else {
		proto_chan_timer(&s->e[SIZE_MAX - 1 - best].ch, s->now);
	}
	sim_feed(s);
	return true;
}

/* Runs until every planned message is delivered, nothing more happens, or
 * max_steps.  Returns the steps taken. */
static inline uint64_t
sim_run(struct sim *s, uint64_t max_steps)
{
	uint64_t n = 0;

	sim_feed(s);
	while (n < max_steps && !sim_done(s) && sim_step(s))
		n++;
	return n;
}

/* Runs for a virtual duration (acks settle, timers fire). */
static inline void
sim_run_for(struct sim *s, uint64_t ns, uint64_t max_steps)
{
	uint64_t end = s->now + ns, n = 0;

	sim_feed(s);
	while (n++ < max_steps) {
		uint64_t t = UINT64_MAX;

		for (size_t i = 0; i < s->nq; i++)
			if (s->q[i].at < t)
				t = s->q[i].at;
		for (int i = 0; i < 2; i++) {
			uint64_t d = proto_chan_next_deadline(&s->e[i].ch);

			if (d < t)
				t = d;
		}
		if (t > end)
			break;
		sim_step(s);
	}
	if (s->now < end)
		s->now = end;
}

#endif /* DPZK_TESTS_CHANSIM_H */
