/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/channel/bench_channel.c — CPU cost of the channel state machine
 * (proto/channel.c), without any network: two channels joined by an
 * in-memory datagram ring, no loss.  Prints ns per small request/reply
 * round trip (both ends' work: seal, verify, ack, deliver) and the cost of
 * moving 1 MiB messages (fragmentation, SACK-clocked window, reassembly).
 * A meson benchmark(): figures, never pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/proto.h"

#define RING 8192
#define SLOT 1600

struct ring {
	uint8_t (*buf)[SLOT];
	size_t len[RING];
	int to[RING];
	unsigned head, tail;
};

struct end {
	struct proto_chan ch;
	void *mem;
	int id;
	uint64_t msgs;
	uint64_t bytes;
	bool echo;
};

static struct ring ring;
static struct end ends[2];
static uint64_t vnow = 1000000000ull;
static uint8_t *payload;

static uint64_t
ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
emit(void *ctx, const void *d, size_t len)
{
	struct end *e = ctx;
	unsigned k = ring.head % RING;

	if (ring.head - ring.tail >= RING || len > SLOT)
		return -1;
	memcpy(ring.buf[k], d, len);
	ring.len[k] = len;
	ring.to[k] = 1 - e->id;
	ring.head++;
	return 0;
}

static void
deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	struct end *e = ctx;

	(void)kind;
	e->msgs++;
	e->bytes += len;
	if (e->echo)
		proto_chan_send(&e->ch, PROTO_K_REPLY, msg, len, vnow);
}

static void
drain(void)
{
	while (ring.tail != ring.head) {
		unsigned k = ring.tail++ % RING;

		proto_chan_input(&ends[ring.to[k]].ch, ring.buf[k], ring.len[k],
				 vnow);
	}
	for (int i = 0; i < 2; i++)
		if (proto_chan_next_deadline(&ends[i].ch) <= vnow)
			proto_chan_timer(&ends[i].ch, vnow);
}

static void
setup(void)
{
	struct proto_chan_cfg cfg;
	struct proto_chan_ops ops = {.emit = emit, .deliver = deliver};
	static const uint8_t key[16] = {7};
	size_t ms;

	proto_chan_cfg_default(&cfg);
	ms = proto_chan_mem_size(&cfg);
	for (int i = 0; i < 2; i++) {
		ends[i].id = i;
		if (posix_memalign(&ends[i].mem, 64, ms) != 0)
			exit(1);
		proto_chan_init(&ends[i].ch, &cfg, ends[i].mem, ms, &ops,
				&ends[i], 1, key, vnow);
	}
	ring.buf = malloc((size_t)RING * SLOT);
	payload = malloc(PROTO_CHAN_MAX_MSG);
	if (ring.buf == NULL || payload == NULL)
		exit(1);
	memset(payload, 0x5a, PROTO_CHAN_MAX_MSG);
}

int
main(void)
{
	const int rounds = 200000, big = 200;
	uint64_t t0, t1;

	setup();
	printf("channel bench: dpzk %s (%s), default cfg: mtu_payload %u, "
	       "frag_window %u, windows %u/%u\n",
	       DPZK_VERSION, DPZK_GIT_REV, ends[0].ch.cfg.mtu_payload,
	       ends[0].ch.cfg.frag_window, ends[0].ch.cfg.tx_window,
	       ends[0].ch.cfg.rx_window);

	/* request/reply of 64 bytes, one at a time */
	ends[1].echo = true;
	t0 = ns();
	for (int i = 0; i < rounds; i++) {
		proto_chan_send(&ends[0].ch, PROTO_K_REQUEST, payload, 64,
				vnow);
		drain();
		vnow += 1000;
	}
	t1 = ns();
	printf("small round trip (64 B request + 64 B reply, both ends): "
	       "%.0f ns, %llu replies\n",
	       (double)(t1 - t0) / rounds, (unsigned long long)ends[0].msgs);

	/* 1 MiB messages one way */
	ends[1].echo = false;
	ends[1].msgs = ends[1].bytes = 0;
	t0 = ns();
	for (int i = 0; i < big; i++) {
		int guard = 0;

		while (proto_chan_send(&ends[0].ch, PROTO_K_REQUEST, payload,
				       1024 * 1024, vnow) != 0 &&
		       guard++ < 100000) {
			drain();
			vnow += 1000;
		}
	}
	for (int guard = 0; ends[1].msgs < (uint64_t)big && guard < 1000000;
	     guard++) {
		drain();
		vnow += 1000;
	}
	t1 = ns();
	printf("1 MiB messages: %.0f us each (%.2f GB/s of CPU), %llu "
	       "delivered, %llu retransmits\n",
	       (double)(t1 - t0) / big / 1000.0,
	       (double)ends[1].bytes / (double)(t1 - t0),
	       (unsigned long long)ends[1].msgs,
	       (unsigned long long)proto_chan_stats(&ends[0].ch)
		       ->tx_retransmits);
	free(ends[0].mem);
	free(ends[1].mem);
	free(ring.buf);
	free(payload);
	return 0;
}
