/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/channel/test_channel.c — unit tests of the channel state machine
 * (proto/channel.c): two endpoints over a simulated link with a virtual
 * clock (chansim.h).  One test per behaviour: ordered exactly-once delivery,
 * loss, duplication, reordering, 1 MiB reassembly, MAC and session checks,
 * retransmission limits, window backpressure, pings and delayed acks.
 */
#include <errno.h>

#include "chansim.h"

static struct proto_chan_cfg
small_cfg(void)
{
	struct proto_chan_cfg c;

	proto_chan_cfg_default(&c);
	return c;
}

static void
test_defaults_are_valid(void **state)
{
	struct proto_chan_cfg c = small_cfg();

	(void)state;
	assert_true(proto_chan_mem_size(&c) > 0);
	assert_true((c.max_msg + c.mtu_payload - 1) / c.mtu_payload <=
		    PROTO_MAX_FRAGS);
	c.rx_bytes = c.mtu_payload - 1;
	assert_int_equal(proto_chan_mem_size(&c), 0);
	c = small_cfg();
	c.mtu_payload = 512; /* 1 MiB would need > 1024 fragments */
	assert_int_equal(proto_chan_mem_size(&c), 0);
}

static void
test_init_rejects_small_memory(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct proto_chan ch;
	struct proto_chan_ops ops = {.emit = sim_emit, .deliver = sim_deliver};
	size_t ms = proto_chan_mem_size(&c);
	void *mem = NULL;

	(void)state;
	assert_int_equal(posix_memalign(&mem, 64, ms), 0);
	assert_int_equal(proto_chan_init(&ch, &c, mem, ms - 1, &ops, NULL, 1,
					 sim_key, 0),
			 -ENOSPC);
	ops.deliver = NULL;
	assert_int_equal(
		proto_chan_init(&ch, &c, mem, ms, &ops, NULL, 1, sim_key, 0),
		-EINVAL);
	free(mem);
}

static void
test_messages_delivered_in_order_both_ways(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 2);

	(void)state;
	for (int i = 0; i < 500; i++) {
		sim_plan(s, 0, 10 + i % 200);
		sim_plan(s, 1, 1 + i % 50);
	}
	sim_run(s, 1000000);
	assert_int_equal(s->e[1].rx_next, 500);
	assert_int_equal(s->e[0].rx_next, 500);
	assert_int_equal(s->e[0].rx_bad + s->e[1].rx_bad, 0);
	sim_run_for(s, 50000000, 100000);
	assert_true(proto_chan_idle(&s->e[0].ch));
	assert_true(proto_chan_idle(&s->e[1].ch));
	assert_int_equal(proto_chan_stats(&s->e[0].ch)->tx_retransmits, 0);
	sim_free(s);
}

static void
test_zero_length_message(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 3);

	(void)state;
	sim_plan(s, 0, 0);
	sim_plan(s, 0, 5);
	sim_plan(s, 0, 0);
	sim_run(s, 10000);
	assert_int_equal(s->e[1].rx_next, 3);
	assert_int_equal(s->e[1].rx_bad, 0);
	sim_free(s);
}

static void
test_one_mib_message_reassembled(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 4);

	(void)state;
	sim_plan(s, 0, 1024 * 1024);
	sim_plan(s, 0, 3);
	sim_plan(s, 1, c.max_msg);
	sim_run(s, 1000000);
	assert_int_equal(s->e[1].rx_next, 2);
	assert_int_equal(s->e[0].rx_next, 1);
	assert_int_equal(s->e[0].rx_bad + s->e[1].rx_bad, 0);
	sim_free(s);
}

static void
test_one_mib_message_survives_loss(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 5);

	(void)state;
	s->loss_ppm = 50000; /* 5% */
	sim_plan(s, 0, 1024 * 1024);
	sim_plan(s, 0, 1024 * 1024);
	sim_run(s, 2000000);
	assert_int_equal(s->e[1].rx_next, 2);
	assert_int_equal(s->e[1].rx_bad, 0);
	assert_false(proto_chan_is_dead(&s->e[0].ch));
	/* selective: far fewer retransmissions than 2 × 737 per loss round */
	assert_true(proto_chan_stats(&s->e[0].ch)->tx_retransmits < 1500);
	sim_free(s);
}

static void
test_loss_retransmitted(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 6);

	(void)state;
	s->loss_ppm = 200000; /* 20% */
	for (int i = 0; i < 300; i++) {
		sim_plan(s, 0, 1 + (i * 37) % 3000);
		sim_plan(s, 1, 1 + (i * 11) % 100);
	}
	sim_run(s, 2000000);
	assert_int_equal(s->e[1].rx_next, 300);
	assert_int_equal(s->e[0].rx_next, 300);
	assert_int_equal(s->e[0].rx_bad + s->e[1].rx_bad, 0);
	assert_true(proto_chan_stats(&s->e[0].ch)->tx_retransmits > 0);
	sim_free(s);
}

static void
test_duplicates_suppressed(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 7);

	(void)state;
	s->dup_ppm = 300000;
	for (int i = 0; i < 300; i++)
		sim_plan(s, 0, 1 + (i * 37) % 4000);
	sim_run(s, 1000000);
	assert_int_equal(s->e[1].rx_next, 300);
	assert_int_equal(s->e[1].rx_bad, 0);
	assert_true(
		proto_chan_stats(&s->e[1].ch)->drop[PROTO_CHAN_DROP_DUPLICATE] >
		0);
	sim_free(s);
}

static void
test_reordering_delivered_in_order(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 8);

	(void)state;
	s->jitter_ns = 200000; /* 10x the latency */
	for (int i = 0; i < 400; i++)
		sim_plan(s, 0, 1 + (i * 97) % 5000);
	sim_run(s, 1000000);
	assert_int_equal(s->e[1].rx_next, 400);
	assert_int_equal(s->e[1].rx_bad, 0);
	sim_free(s);
}

static void
test_bad_mac_dropped(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 9);
	uint8_t d[PROTO_DGRAM_HDR_LEN + 4] = {0};
	uint8_t other[16] = {0};
	struct proto_dgram_hdr h = {.magic = PROTO_DGRAM_MAGIC,
				    .version = PROTO_DGRAM_VERSION,
				    .kind = PROTO_K_REQUEST,
				    .frag_count = 1,
				    .payload_len = 4,
				    .msg_len = 4,
				    .session_id = 0x1234,
				    .seq = 1,
				    .ack = 1};

	(void)state;
	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, sizeof(d), other);
	assert_int_equal(proto_chan_input(&s->e[1].ch, d, sizeof(d), s->now),
			 -EBADMSG);
	assert_int_equal(
		proto_chan_stats(&s->e[1].ch)->drop[PROTO_CHAN_DROP_BAD_MAC],
		1);
	assert_int_equal(s->e[1].rx_next, 0);
	/* the same datagram with the right key is accepted */
	proto_dgram_seal(d, sizeof(d), sim_key);
	assert_int_equal(proto_chan_input(&s->e[1].ch, d, sizeof(d), s->now),
			 0);
	assert_int_equal(proto_chan_stats(&s->e[1].ch)->rx_msgs, 1);
	sim_free(s);
}

static void
test_corrupted_datagrams_never_delivered(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 10);
	const struct proto_chan_stats *st;

	(void)state;
	s->corrupt_ppm = 100000;
	for (int i = 0; i < 200; i++)
		sim_plan(s, 0, 1 + (i * 37) % 4000);
	sim_run(s, 1000000);
	assert_int_equal(s->e[1].rx_next, 200);
	assert_int_equal(s->e[1].rx_bad, 0);
	st = proto_chan_stats(&s->e[1].ch);
	assert_true(st->drop[PROTO_CHAN_DROP_BAD_MAC] +
			    st->drop[PROTO_CHAN_DROP_MALFORMED] >
		    0);
	sim_free(s);
}

static void
test_wrong_session_dropped(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 11);
	uint8_t d[PROTO_DGRAM_HDR_LEN] = {0};
	struct proto_dgram_hdr h = {.magic = PROTO_DGRAM_MAGIC,
				    .version = PROTO_DGRAM_VERSION,
				    .kind = PROTO_K_PING,
				    .frag_count = 1,
				    .session_id = 0x9999,
				    .ack = 1};

	(void)state;
	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, sizeof(d), sim_key);
	assert_int_equal(proto_chan_input(&s->e[1].ch, d, sizeof(d), s->now),
			 -EBADMSG);
	assert_int_equal(proto_chan_stats(&s->e[1].ch)
				 ->drop[PROTO_CHAN_DROP_BAD_SESSION],
			 1);
	sim_free(s);
}

static void
test_ack_beyond_sent_dropped(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 12);
	uint8_t d[PROTO_DGRAM_HDR_LEN] = {0};
	struct proto_dgram_hdr h = {.magic = PROTO_DGRAM_MAGIC,
				    .version = PROTO_DGRAM_VERSION,
				    .kind = PROTO_K_ACK,
				    .frag_count = 1,
				    .session_id = 0x1234,
				    .ack = 5};

	(void)state;
	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, sizeof(d), sim_key);
	assert_int_equal(proto_chan_input(&s->e[1].ch, d, sizeof(d), s->now),
			 -EBADMSG);
	assert_int_equal(
		proto_chan_stats(&s->e[1].ch)->drop[PROTO_CHAN_DROP_BAD_ACK],
		1);
	sim_free(s);
}

static void
test_bad_fragment_geometry_dropped(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 13);
	uint8_t d[PROTO_DGRAM_HDR_LEN + 100] = {0};
	struct proto_dgram_hdr h = {.magic = PROTO_DGRAM_MAGIC,
				    .version = PROTO_DGRAM_VERSION,
				    .kind = PROTO_K_REQUEST,
				    .frag_count = 3,
				    .frag_index = 0,
				    .payload_len = 100,
				    .msg_len =
					    1000, /* 3 × 100 cannot be 1000 */
				    .session_id = 0x1234,
				    .seq = 1,
				    .ack = 1};

	(void)state;
	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, sizeof(d), sim_key);
	assert_int_equal(proto_chan_input(&s->e[1].ch, d, sizeof(d), s->now),
			 -EBADMSG);
	assert_int_equal(proto_chan_stats(&s->e[1].ch)
				 ->drop[PROTO_CHAN_DROP_BAD_FRAGMENT],
			 1);
	/* a fragment too big for max_msg */
	h.frag_count = 1000;
	h.msg_len = 2000000;
	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, sizeof(d), sim_key);
	assert_int_equal(proto_chan_input(&s->e[1].ch, d, sizeof(d), s->now),
			 -EBADMSG);
	assert_int_equal(
		proto_chan_stats(&s->e[1].ch)->drop[PROTO_CHAN_DROP_TOO_BIG],
		1);
	sim_free(s);
}

static void
test_out_of_window_dropped(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 14);
	uint8_t d[PROTO_DGRAM_HDR_LEN + 1] = {0};
	struct proto_dgram_hdr h = {.magic = PROTO_DGRAM_MAGIC,
				    .version = PROTO_DGRAM_VERSION,
				    .kind = PROTO_K_REQUEST,
				    .frag_count = 1,
				    .payload_len = 1,
				    .msg_len = 1,
				    .session_id = 0x1234,
				    .ack = 1};

	(void)state;
	h.seq = 1 + c.rx_window;
	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, sizeof(d), sim_key);
	assert_int_equal(proto_chan_input(&s->e[1].ch, d, sizeof(d), s->now),
			 -EBADMSG);
	assert_int_equal(proto_chan_stats(&s->e[1].ch)
				 ->drop[PROTO_CHAN_DROP_OUT_OF_WINDOW],
			 1);
	sim_free(s);
}

static void
test_retransmission_limit_kills_channel(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s;
	uint64_t n = 0;

	(void)state;
	c.max_retries = 5;
	s = sim_new(&c, 15);
	s->down[0] = true;
	sim_plan(s, 0, 100);
	sim_feed(s);
	while (!proto_chan_is_dead(&s->e[0].ch) && n++ < 1000)
		sim_step(s);
	assert_true(proto_chan_is_dead(&s->e[0].ch));
	assert_int_equal(proto_chan_stats(&s->e[0].ch)->rto_fired, 6);
	assert_int_equal(proto_chan_timer(&s->e[0].ch, s->now), -ETIMEDOUT);
	assert_int_equal(
		proto_chan_send(&s->e[0].ch, PROTO_K_REQUEST, "x", 1, s->now),
		-ETIMEDOUT);
	assert_int_equal(proto_chan_next_deadline(&s->e[0].ch), UINT64_MAX);
	sim_free(s);
}

static void
test_give_up_time_kills_channel(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s;
	uint64_t start, n = 0;

	(void)state;
	c.max_retries = 1000;
	c.dead_ns = 300000000ull; /* 300 ms */
	s = sim_new(&c, 16);
	s->down[0] = true;
	start = s->now;
	sim_plan(s, 0, 100);
	sim_feed(s);
	while (!proto_chan_is_dead(&s->e[0].ch) && n++ < 10000)
		sim_step(s);
	assert_true(proto_chan_is_dead(&s->e[0].ch));
	assert_int_equal(s->now - start, c.dead_ns);
	sim_free(s);
}

static void
test_backoff_doubles_rto(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 17);
	uint64_t r0;

	(void)state;
	s->down[0] = true;
	sim_plan(s, 0, 10);
	sim_feed(s);
	r0 = proto_chan_rto(&s->e[0].ch);
	s->now = proto_chan_next_deadline(&s->e[0].ch);
	proto_chan_timer(&s->e[0].ch, s->now);
	assert_int_equal(proto_chan_rto(&s->e[0].ch), 2 * r0);
	s->now = proto_chan_next_deadline(&s->e[0].ch);
	proto_chan_timer(&s->e[0].ch, s->now);
	assert_int_equal(proto_chan_rto(&s->e[0].ch), 4 * r0);
	/* link back: the message gets through and the RTO recovers */
	s->down[0] = false;
	sim_run(s, 10000);
	assert_int_equal(s->e[1].rx_next, 1);
	sim_run_for(s, 10000000, 10000);
	assert_true(proto_chan_rto(&s->e[0].ch) < 2 * r0);
	sim_free(s);
}

static void
test_window_full_backpressure(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s;
	uint32_t i;

	(void)state;
	c.tx_window = 8;
	s = sim_new(&c, 18);
	s->down[0] = true;
	for (i = 0; i < 8; i++)
		assert_int_equal(proto_chan_send(&s->e[0].ch, PROTO_K_REQUEST,
						 "abc", 3, s->now),
				 0);
	assert_false(proto_chan_can_send(&s->e[0].ch, 3));
	assert_int_equal(
		proto_chan_send(&s->e[0].ch, PROTO_K_REQUEST, "abc", 3, s->now),
		-EAGAIN);
	assert_int_equal(proto_chan_outstanding(&s->e[0].ch), 8);
	/* bytes too: a second 1 MiB message does not fit a max_msg arena */
	sim_free(s);
	c = small_cfg();
	c.tx_bytes = c.max_msg;
	s = sim_new(&c, 19);
	s->down[0] = true;
	assert_non_null(proto_chan_reserve(&s->e[0].ch, c.max_msg - 10));
	assert_int_equal(proto_chan_commit(&s->e[0].ch, PROTO_K_REQUEST,
					   c.max_msg - 10, s->now),
			 0);
	assert_int_equal(proto_chan_send(&s->e[0].ch, PROTO_K_REQUEST,
					 s->e[0].scratch, 100, s->now),
			 -EAGAIN);
	assert_int_equal(proto_chan_send(&s->e[0].ch, PROTO_K_REQUEST,
					 s->e[0].scratch, c.max_msg + 1,
					 s->now),
			 -EMSGSIZE);
	sim_free(s);
}

static void
test_backpressure_released_by_acks(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s;

	(void)state;
	c.tx_window = 4;
	s = sim_new(&c, 20);
	for (int i = 0; i < 100; i++)
		sim_plan(s, 0, 2000);
	sim_run(s, 100000);
	assert_int_equal(s->e[1].rx_next, 100);
	assert_int_equal(s->e[1].rx_bad, 0);
	sim_free(s);
}

static void
test_ping_answered_with_ack(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 21);

	(void)state;
	assert_int_equal(proto_chan_ping(&s->e[0].ch, s->now), 0);
	sim_run_for(s, 1000000, 100);
	assert_int_equal(s->e[1].emitted_acks, 1);
	assert_int_equal(proto_chan_stats(&s->e[0].ch)->rx_dgrams, 1);
	sim_free(s);
}

static void
reply_on_deliver(struct sim_end *e, uint8_t kind, const void *m, size_t len)
{
	(void)kind;
	(void)m;
	(void)len;
	sim_plan(e->s, e->id, 8);
	sim_feed(e->s);
}

static void
test_reply_piggybacks_ack(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 22);

	(void)state;
	s->e[1].on_deliver = reply_on_deliver;
	for (int i = 0; i < 20; i++) {
		sim_plan(s, 0, 30);
		sim_run(s, 10000);
	}
	sim_run_for(s, 20000000, 10000);
	assert_int_equal(s->e[0].rx_next, 20);
	/* the server side never needed a bare ACK: replies carried them */
	assert_int_equal(s->e[1].emitted_acks, 0);
	assert_true(proto_chan_idle(&s->e[0].ch));
	assert_true(proto_chan_idle(&s->e[1].ch));
	sim_free(s);
}

static void
test_delayed_ack_sent_when_idle(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 23);

	(void)state;
	sim_plan(s, 0, 30);
	sim_run(s, 100);
	assert_int_equal(s->e[1].emitted_acks, 0);
	assert_int_equal(proto_chan_next_deadline(&s->e[1].ch),
			 s->now + c.ack_delay_ns);
	sim_run_for(s, 2 * c.ack_delay_ns, 100);
	assert_int_equal(s->e[1].emitted_acks, 1);
	assert_true(proto_chan_idle(&s->e[0].ch));
	sim_free(s);
}

static void
test_rtt_estimated(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 24);

	(void)state;
	s->lat_ns = 100000; /* 100 us each way */
	s->e[1].on_deliver = reply_on_deliver;
	for (int i = 0; i < 30; i++) {
		sim_plan(s, 0, 30);
		sim_run(s, 10000);
	}
	assert_true(proto_chan_srtt(&s->e[0].ch) >= 200000);
	assert_true(proto_chan_srtt(&s->e[0].ch) < 300000);
	assert_true(proto_chan_rto(&s->e[0].ch) >= c.rto_min_ns);
	sim_free(s);
}

static void
test_reset_rejects_stale_datagrams(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 25);
	uint8_t k1[16], k2[16];

	(void)state;
	proto_chan_derive_key(sim_key, 1, k1);
	proto_chan_derive_key(sim_key, 2, k2);
	assert_memory_not_equal(k1, k2, 16);
	/* connection 1: a message the slow link still holds... */
	proto_chan_reset(&s->e[0].ch, 0x1234, k1, s->now);
	proto_chan_reset(&s->e[1].ch, 0x1234, k1, s->now);
	s->lat_ns = 50000000;
	sim_plan(s, 0, 10);
	sim_feed(s);
	/* ...while both ends move on to connection 2 */
	proto_chan_reset(&s->e[0].ch, 0x1234, k2, s->now);
	proto_chan_reset(&s->e[1].ch, 0x1234, k2, s->now);
	s->lat_ns = 20000;
	s->e[0].ntx_sent = 0;
	sim_run_for(s, 100000000, 1000);
	assert_int_equal(s->e[1].rx_next, 1);
	assert_int_equal(s->e[1].rx_bad, 0);
	assert_int_equal(
		proto_chan_stats(&s->e[1].ch)->drop[PROTO_CHAN_DROP_BAD_MAC],
		1);
	sim_free(s);
}

static void
test_connect_kinds_refused(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 26);

	(void)state;
	assert_int_equal(
		proto_chan_send(&s->e[0].ch, PROTO_K_CONNECT, "x", 1, s->now),
		-EINVAL);
	assert_int_equal(
		proto_chan_send(&s->e[0].ch, PROTO_K_ACK, "x", 1, s->now),
		-EINVAL);
	sim_free(s);
}

static int ctl_seen;

static void
on_control(void *ctx, const struct proto_dgram_hdr *h, const void *p,
	   size_t len)
{
	(void)ctx;
	(void)p;
	if (h->kind == PROTO_K_CLOSE && len == 3)
		ctl_seen++;
}

static void
test_control_datagram_passed_up(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct sim *s = sim_new(&c, 27);

	(void)state;
	s->e[1].ch.ops.control = on_control;
	ctl_seen = 0;
	assert_int_equal(proto_chan_send_control(&s->e[0].ch, PROTO_K_CLOSE,
						 "bye", 3, s->now),
			 0);
	sim_run_for(s, 1000000, 100);
	assert_int_equal(ctl_seen, 1);
	sim_free(s);
}

static int big_allocs, big_frees, releases;

static void *
big_alloc(void *ctx, size_t len)
{
	(void)ctx;
	big_allocs++;
	return malloc(len);
}

static void
big_free(void *ctx, void *p)
{
	(void)ctx;
	big_frees++;
	free(p);
}

static void
tx_release(void *ctx, const void *m)
{
	(void)ctx;
	(void)m;
	releases++;
}

static void
test_small_arenas_use_external_buffers(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct proto_chan_ops extra = {.rx_alloc = big_alloc,
				       .rx_free = big_free,
				       .tx_release = tx_release};
	struct sim *s;
	uint8_t *big = malloc(1024 * 1024);

	(void)state;
	c.tx_bytes = c.rx_bytes = 64 * 1024;
	big_allocs = big_frees = releases = 0;
	s = sim_new_ops(&c, 28, &extra);
	s->loss_ppm = 20000;
	for (uint32_t j = 0; j < 1024 * 1024; j++)
		big[j] = sim_byte(0, 1, j);
	/* message 0 small (ring), message 1 big (caller's buffer) */
	sim_plan(s, 0, 100);
	sim_feed(s); /* message 0 goes through the ring */
	assert_int_equal(s->e[0].ntx_sent, 1);
	sim_plan(s, 0, 1024 * 1024); /* message 1 does not fit it */
	assert_int_equal(proto_chan_send(&s->e[0].ch, PROTO_K_REQUEST, big,
					 1024 * 1024, s->now),
			 -EMSGSIZE);
	assert_int_equal(proto_chan_send_ext(&s->e[0].ch, PROTO_K_REQUEST + 0,
					     big, 1024 * 1024, s->now),
			 0);
	s->e[0].ntx_sent = 2;
	sim_run(s, 1000000);
	sim_run_for(s, 100000000, 100000);
	assert_int_equal(s->e[1].rx_next, 2);
	assert_int_equal(s->e[1].rx_bad, 0);
	assert_true(big_allocs >= 1);
	assert_int_equal(big_allocs, big_frees);
	assert_int_equal(releases, 1);
	sim_free(s);
	free(big);
}

static void
test_small_arena_without_allocator_refused(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct proto_chan ch;
	struct proto_chan_ops ops = {.emit = sim_emit, .deliver = sim_deliver};
	size_t ms;
	void *mem = NULL;

	(void)state;
	c.rx_bytes = 64 * 1024;
	ms = proto_chan_mem_size(&c);
	assert_true(ms > 0);
	assert_int_equal(posix_memalign(&mem, 64, ms), 0);
	assert_int_equal(
		proto_chan_init(&ch, &c, mem, ms, &ops, NULL, 1, sim_key, 0),
		-EINVAL);
	free(mem);
}

static void
test_reset_releases_external_buffers(void **state)
{
	struct proto_chan_cfg c = small_cfg();
	struct proto_chan_ops extra = {.rx_alloc = big_alloc,
				       .rx_free = big_free,
				       .tx_release = tx_release};
	struct sim *s;
	static uint8_t msg[200000];

	(void)state;
	c.tx_bytes = c.rx_bytes = 64 * 1024;
	big_allocs = big_frees = releases = 0;
	s = sim_new_ops(&c, 29, &extra);
	s->jitter_ns = 100000; /* fragments arrive out of order */
	assert_int_equal(proto_chan_send_ext(&s->e[0].ch, PROTO_K_REQUEST, msg,
					     sizeof(msg), s->now),
			 0);
	/* let part of it arrive, then reset both ends */
	for (int i = 0; i < 30; i++)
		sim_step(s);
	proto_chan_reset(&s->e[0].ch, 0x1234, sim_key, s->now);
	proto_chan_reset(&s->e[1].ch, 0x1234, sim_key, s->now);
	assert_int_equal(releases, 1);
	assert_int_equal(big_allocs, big_frees);
	proto_chan_fini(&s->e[0].ch);
	proto_chan_fini(&s->e[1].ch);
	sim_free(s);
}

static void
test_connect_datagrams_roundtrip(void **state)
{
	uint8_t d[256], key[16], want[16], pw[16] = {9, 8, 7};
	static const uint8_t zero[16];
	struct proto_connect_req rq = {.timeout = 5000,
				       .session_id = 0,
				       .passwd = {zero, 16},
				       .read_only = 0},
				 rq2;
	struct proto_connect_resp rs = {.timeout = 4000,
					.session_id = 0x77,
					.passwd = {pw, 16},
					.read_only = 0},
				  rs2;
	struct proto_dgram_hdr h;
	int n;

	(void)state;
	n = proto_chan_connect_dgram(d, sizeof(d), &rq, 42);
	assert_true(n > PROTO_DGRAM_HDR_LEN);
	assert_int_equal(proto_dgram_hdr_decode(d, (size_t)n, &h), 0);
	assert_int_equal(h.kind, PROTO_K_CONNECT);
	assert_int_equal(h.seq, 42);
	assert_int_equal(proto_dgram_verify(d, (size_t)n, zero), 0);
	assert_int_equal(proto_connect_req_decode(d + PROTO_DGRAM_HDR_LEN,
						  h.payload_len, &rq2),
			 0);
	assert_int_equal(rq2.timeout, 5000);
	assert_int_equal(proto_chan_connect_dgram(d, sizeof(d), &rq, 0),
			 -EINVAL);

	n = proto_chan_connected_dgram(d, sizeof(d), &rs, 42);
	assert_true(n > PROTO_DGRAM_HDR_LEN);
	assert_int_equal(proto_dgram_hdr_decode(d, (size_t)n, &h), 0);
	assert_int_equal(h.ack, 42);
	assert_int_equal(h.session_id, 0x77);
	assert_int_equal(proto_connect_resp_decode(d + PROTO_DGRAM_HDR_LEN,
						   h.payload_len, &rs2),
			 0);
	assert_int_equal(
		proto_chan_connected_check(d, (size_t)n, &h, &rs2, 42, key), 0);
	proto_chan_derive_key(pw, 42, want);
	assert_memory_equal(key, want, 16);
	assert_int_equal(
		proto_chan_connected_check(d, (size_t)n, &h, &rs2, 43, key),
		-EBADMSG);
	d[n - 1] ^= 1;
	assert_int_equal(
		proto_chan_connected_check(d, (size_t)n, &h, &rs2, 42, key),
		-EBADMSG);

	n = proto_chan_stateless_close_dgram(d, sizeof(d), 0x77);
	assert_int_equal(n, PROTO_DGRAM_HDR_LEN);
	assert_int_equal(proto_dgram_hdr_decode(d, (size_t)n, &h), 0);
	assert_int_equal(h.kind, PROTO_K_CLOSE);
	assert_int_equal(proto_dgram_verify(d, (size_t)n, zero), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_valid),
		cmocka_unit_test(test_init_rejects_small_memory),
		cmocka_unit_test(test_messages_delivered_in_order_both_ways),
		cmocka_unit_test(test_zero_length_message),
		cmocka_unit_test(test_one_mib_message_reassembled),
		cmocka_unit_test(test_one_mib_message_survives_loss),
		cmocka_unit_test(test_loss_retransmitted),
		cmocka_unit_test(test_duplicates_suppressed),
		cmocka_unit_test(test_reordering_delivered_in_order),
		cmocka_unit_test(test_bad_mac_dropped),
		cmocka_unit_test(test_corrupted_datagrams_never_delivered),
		cmocka_unit_test(test_wrong_session_dropped),
		cmocka_unit_test(test_ack_beyond_sent_dropped),
		cmocka_unit_test(test_bad_fragment_geometry_dropped),
		cmocka_unit_test(test_out_of_window_dropped),
		cmocka_unit_test(test_retransmission_limit_kills_channel),
		cmocka_unit_test(test_give_up_time_kills_channel),
		cmocka_unit_test(test_backoff_doubles_rto),
		cmocka_unit_test(test_window_full_backpressure),
		cmocka_unit_test(test_backpressure_released_by_acks),
		cmocka_unit_test(test_ping_answered_with_ack),
		cmocka_unit_test(test_reply_piggybacks_ack),
		cmocka_unit_test(test_delayed_ack_sent_when_idle),
		cmocka_unit_test(test_rtt_estimated),
		cmocka_unit_test(test_reset_rejects_stale_datagrams),
		cmocka_unit_test(test_connect_kinds_refused),
		cmocka_unit_test(test_control_datagram_passed_up),
		cmocka_unit_test(test_small_arenas_use_external_buffers),
		cmocka_unit_test(test_small_arena_without_allocator_refused),
		cmocka_unit_test(test_reset_releases_external_buffers),
		cmocka_unit_test(test_connect_datagrams_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
