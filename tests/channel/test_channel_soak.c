/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/channel/test_channel_soak.c — seeded soak of the channel: many
 * seeds, each with its own loss, duplication, reordering and corruption
 * rates and a mix of message sizes up to 1 MiB both ways, checking that
 * every message is delivered exactly once, in order, intact, and that the
 * channel never dies while the link delivers something, and every
 * external reassembly buffer is given back.  Bounded in steps
 * and seeds; DPZK_SOAK_SEEDS overrides the seed count.
 */
#include <errno.h>
#include <stdio.h>

#include "chansim.h"

static long live_bufs;

static void *
big_alloc(void *ctx, size_t len)
{
	(void)ctx;
	live_bufs++;
	return malloc(len);
}

static void
big_free(void *ctx, void *p)
{
	(void)ctx;
	live_bufs--;
	free(p);
}

/* Odd seeds reassemble big messages in external buffers (a 64 KiB arena
 * plus ops.rx_alloc), as a server with many sessions would. */
static void
soak_one(uint64_t seed)
{
	struct proto_chan_ops extra = {.rx_alloc = big_alloc,
				       .rx_free = big_free};
	struct proto_chan_cfg c;
	struct sim *s;
	uint64_t steps;
	uint64_t r;

	proto_chan_cfg_default(&c);
	r = seed * 0x2545F4914F6CDD1Dull + 7;
	c.tx_window = 4 + r % 61;
	c.rx_window = c.tx_window;
	c.frag_window = 8 + (r >> 8) % 120;
	c.max_retries = 1000;
	if (seed & 1)
		c.rx_bytes = 64 * 1024;
	s = sim_new_ops(&c, seed, &extra);
	s->loss_ppm = (uint32_t)((r >> 16) % 250000);
	s->dup_ppm = (uint32_t)((r >> 24) % 200000);
	s->corrupt_ppm = (uint32_t)((r >> 32) % 50000);
	s->jitter_ns = (r >> 40) % 300000;
	for (int i = 0; i < 150; i++) {
		uint64_t x = sim_rand(s);
		uint32_t len;

		if (x % 50 == 0)
			len = (uint32_t)(x >> 8) % (c.max_msg + 1);
		else if (x % 5 == 0)
			len = (uint32_t)(x >> 8) % 20000;
		else
			len = (uint32_t)(x >> 8) % 300;
		sim_plan(s, (int)(x >> 60) & 1, len);
	}
	steps = sim_run(s, 5000000);
	if (!sim_done(s))
		fprintf(stderr,
			"seed %llu: stuck after %llu steps (%u/%u, %u/%u)\n",
			(unsigned long long)seed, (unsigned long long)steps,
			s->e[1].rx_next, s->e[0].ntx_planned, s->e[0].rx_next,
			s->e[1].ntx_planned);
	assert_true(sim_done(s));
	assert_int_equal(s->e[0].rx_bad + s->e[1].rx_bad, 0);
	assert_false(proto_chan_is_dead(&s->e[0].ch));
	assert_false(proto_chan_is_dead(&s->e[1].ch));
	proto_chan_fini(&s->e[0].ch);
	proto_chan_fini(&s->e[1].ch);
	assert_int_equal(live_bufs, 0);
	sim_free(s);
}

static void
test_soak_seeds_deliver_exactly_once_in_order(void **state)
{
	const char *e = getenv("DPZK_SOAK_SEEDS");
	uint64_t n = e ? strtoull(e, NULL, 10) : 40;

	(void)state;
	for (uint64_t seed = 1; seed <= n; seed++)
		soak_one(seed);
}

static void
nop_deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	uint64_t *n = ctx;
	const volatile uint8_t *p = msg;

	(void)kind;
	/* touch every byte: ASan checks the view */
	for (size_t i = 0; i < len; i++)
		(void)p[i];
	(*n)++;
}

static int
nop_emit(void *ctx, const void *d, size_t len)
{
	(void)ctx;
	(void)d;
	(void)len;
	return 0;
}

/* A hostile peer that knows the key: random headers (valid MAC) with
 * fragment fields, seqs and acks near the edges, small arenas and
 * external buffers.  Nothing may crash, read out of bounds or leak. */
static void
test_hostile_peer_with_key_cannot_break_channel(void **state)
{
	struct proto_chan_cfg c;
	struct proto_chan_ops ops = {.emit = nop_emit,
				     .deliver = nop_deliver,
				     .rx_alloc = big_alloc,
				     .rx_free = big_free};
	struct proto_chan ch;
	static const uint8_t key[16] = {3};
	static uint8_t d[PROTO_DGRAM_HDR_LEN + 2048];
	uint64_t delivered = 0, rng = 0x1234567, now = 1000000000ull;
	const char *e = getenv("DPZK_SOAK_SEEDS");
	long iters = e ? strtol(e, NULL, 10) * 5000 : 200000;
	void *mem = NULL;
	size_t ms;

	(void)state;
	proto_chan_cfg_default(&c);
	c.rx_bytes = c.tx_bytes = 32 * 1024;
	c.rx_window = c.tx_window = 8;
	ms = proto_chan_mem_size(&c);
	assert_int_equal(posix_memalign(&mem, 64, ms), 0);
	assert_int_equal(proto_chan_init(&ch, &c, mem, ms, &ops, &delivered, 5,
					 key, now),
			 0);
	for (long i = 0; i < iters; i++) {
		struct proto_dgram_hdr h = {.magic = PROTO_DGRAM_MAGIC,
					    .version = PROTO_DGRAM_VERSION,
					    .session_id = 5};
		uint64_t r;
		uint32_t pl;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		r = rng;
		h.kind = (uint8_t)(3 + r % 5); /* request..ping */
		h.flags = (uint8_t)((r >> 8) & 3);
		h.frag_count = (uint16_t)(1 + (r >> 10) % 6);
		if ((r >> 14) % 16 == 0)
			h.frag_count = (uint16_t)(1 + (r >> 18) % 1024);
		h.frag_index = (uint16_t)((r >> 28) % h.frag_count);
		pl = (uint32_t)((r >> 32) % 2049);
		h.payload_len = (uint16_t)pl;
		h.msg_len = h.frag_count == 1
				    ? pl
				    : pl + (uint32_t)((r >> 44) % 200000);
		/* around the receiver's edge: old, current, ahead, beyond */
		h.seq = ch.rcv_next + (r >> 50) % 12;
		h.seq = h.seq > 2 ? h.seq - 2 : 0;
		h.ack = (r >> 54) % 8 == 0
				? ch.snd_nxt + 1 /* acks the future */
				: ch.snd_una + (r >> 54) % (ch.snd_nxt -
							    ch.snd_una + 1);
		if ((r >> 60) & 1) {
			/* consistent geometry for this seq, so messages can
			 * complete */
			uint32_t fsz = 200 + 600 * (uint32_t)(h.seq & 1);
			uint32_t n = 1 + (uint32_t)(h.seq % 4);
			uint32_t last = 1 + (uint32_t)(h.seq * 37 % fsz);

			h.kind = PROTO_K_REQUEST;
			h.frag_count = (uint16_t)n;
			h.frag_index = (uint16_t)((r >> 20) % n);
			h.msg_len = (n - 1) * fsz + last;
			pl = h.frag_index + 1u < n ? fsz : last;
			if (n == 1)
				pl = h.msg_len;
			h.payload_len = (uint16_t)pl;
		}
		proto_dgram_hdr_encode(d, &h);
		memset(d + PROTO_DGRAM_HDR_LEN, (int)(r & 0xff), pl);
		proto_dgram_seal(d, PROTO_DGRAM_HDR_LEN + pl, key);
		proto_chan_input(&ch, d, PROTO_DGRAM_HDR_LEN + pl, now);
		if (i % 64 == 0) {
			now += 3000000;
			proto_chan_timer(&ch, now);
			if (proto_chan_can_send(&ch, 10))
				proto_chan_send(&ch, PROTO_K_REPLY,
						"0123456789", 10, now);
		}
		if (proto_chan_is_dead(&ch))
			proto_chan_reset(&ch, 5, key, now);
		assert_true(ch.rx_live <= c.rx_window);
	}
	proto_chan_fini(&ch);
	assert_int_equal(live_bufs, 0);
	fprintf(stderr, "hostile: %ld datagrams, %llu delivered, drops:", iters,
		(unsigned long long)delivered);
	for (int k = 0; k < PROTO_CHAN_DROP_MAX; k++)
		fprintf(stderr, " %s=%llu", proto_chan_drop_name(k),
			(unsigned long long)proto_chan_stats(&ch)->drop[k]);
	fprintf(stderr, "\n");
	free(mem);
	assert_true(delivered > 0); /* it did get through sometimes */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soak_seeds_deliver_exactly_once_in_order),
		cmocka_unit_test(
			test_hostile_peer_with_key_cannot_break_channel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
