/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/zab/bench_zab.c — CPU cost of the broadcast path: a 3-voter
 * ensemble in one process (no network, disks durable at once), the leader
 * proposing 100-byte txns with up to `window` in flight, every message
 * encoded and decoded.  Prints txns/s and ns per committed txn for the
 * whole ensemble (three state machines), so the protocol's share of a
 * write's budget (DESIGN.md §13) is known.  A benchmark, not a test: it
 * prints figures and never fails on them.
 *
 * Usage: bench_zab [txns] [window]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "zab/zab.h"

#define N 3

struct bq {
	int to;
	size_t len;
	uint8_t buf[256];
};

static struct zab *zs[N];
static uint64_t pend[N], applied[N], ncommit[N];
static struct bq *q;
static size_t qh, qt, qcap = 1 << 16;
static uint64_t nmsgs;

static void
drain(int i)
{
	struct zab_ready rd;
	size_t k;

	while (zab_ready(zs[i], &rd)) {
		for (k = 0; k < rd.n_log_ops; k++)
			pend[i] = rd.log_ops[k].zxid;
		for (k = 0; k < rd.n_commits; k++) {
			applied[i] = rd.commits[k].zxid;
			ncommit[i]++;
		}
		for (k = 0; k < rd.n_msgs; k++) {
			struct bq *b = &q[qt++ % qcap];
			struct proto_wbuf w;

			b->to = (int)rd.msgs[k].to - 1;
			proto_wbuf_init(&w, b->buf, sizeof(b->buf));
			if (zab_msg_encode(&w, &rd.msgs[k]) < 0)
				abort();
			b->len = w.len;
			nmsgs++;
		}
		zab_advance(zs[i]);
	}
}

static void
settle(void)
{
	int moved = 1, i;

	while (moved) {
		moved = 0;
		for (i = 0; i < N; i++) {
			struct zab_status st;

			drain(i);
			zab_status(zs[i], &st);
			if (st.durable_zxid < pend[i]) {
				zab_durable(zs[i], pend[i]);
				moved = 1;
				drain(i);
			}
		}
		while (qh != qt) {
			struct bq *b = &q[qh++ % qcap];
			struct zab_msg m;

			moved = 1;
			if (zab_msg_decode(b->buf, b->len, &m) < 0 ||
			    zab_step(zs[b->to], &m) < 0)
				abort();
			drain(b->to);
		}
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	uint64_t txns = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	uint32_t window = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 64;
	uint8_t payload[100];
	struct proto_view v = {payload, sizeof(payload)};
	struct utsname u;
	uint64_t done = 0;
	double t0, t1;
	int i, t;

	q = calloc(qcap, sizeof(*q));
	if (q == NULL)
		return 1;
	memset(payload, 'x', sizeof(payload));
	for (i = 0; i < N; i++) {
		struct zab_config c;
		struct zab_persist p = {0, 0, 0};
		int j;

		zab_config_default(&c);
		c.self = (uint32_t)i + 1;
		c.n_members = N;
		for (j = 0; j < N; j++)
			c.members[j].id = (uint32_t)j + 1;
		c.max_inflight = window;
		zs[i] = zab_new(&c, &p);
		if (zs[i] == NULL)
			return 1;
	}
	for (t = 0; t < 50; t++) {
		for (i = 0; i < N; i++)
			zab_tick(zs[i]);
		settle();
	}
	t0 = now_s();
	while (done < txns) {
		uint32_t k;

		for (k = 0; k < window && done < txns; k++, done++)
			if (zab_propose(zs[2], v, NULL) < 0)
				break;
		drain(2);
		settle();
	}
	t1 = now_s();
	uname(&u);
	printf("zab broadcast path, %d voters in one process, %zu-byte txns, "
	       "window %u\n",
	       N, sizeof(payload), window);
	printf("machine: %s %s %s\n", u.sysname, u.release, u.machine);
	printf("committed on leader: %" PRIu64 " of %" PRIu64
	       ", messages: %" PRIu64 "\n",
	       ncommit[2], txns, nmsgs);
	printf("time: %.3f s, %.0f txns/s, %.0f ns per txn (3 replicas, "
	       "codec included)\n",
	       t1 - t0, (double)ncommit[2] / (t1 - t0),
	       (t1 - t0) * 1e9 / (double)ncommit[2]);
	for (i = 0; i < N; i++)
		zab_free(zs[i]);
	free(q);
	return 0;
}
