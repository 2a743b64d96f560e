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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soak_seeds_deliver_exactly_once_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
