/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/client/bench_client.c — libdpzk's own cost over kernel UDP on
 * 127.0.0.1, against the in-test fake server (fakesrv.c, a thread of this
 * process): closed-loop getData / setData of 100 bytes and an async
 * pipeline of exists.  These are the client + channel + loopback figures
 * (the fake server does no real work); the real server's are dpzk-bench's.
 * A meson benchmark(): prints figures, never pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/dpzk.h"
#include "proto/proto.h"
#include "fakesrv.h"

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-9s n=%d p50=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus\n",
	       what, n, v[n / 2] / 1e3, v[(int)(n * 0.99)] / 1e3,
	       v[(int)(n * 0.999)] / 1e3, v[n - 1] / 1e3);
}

static void
done(int rc, const struct dpzk_result *res, const void *data)
{
	(void)rc;
	(void)res;
	(*(int *)data)++;
}

int
main(void)
{
	const int n = 20000, pipe_n = 50000;
	struct fakesrv *fs = fakesrv_start(NULL);
	struct dpzk_handle *zh;
	uint64_t *v = calloc(n, sizeof(*v)), t0;
	char data[100], buf[128];
	int len, completed = 0;

	if (fs == NULL || v == NULL)
		return 1;
	zh = dpzk_init(fakesrv_addr(fs), NULL, 10000, NULL, NULL, 0);
	if (zh == NULL || dpzk_wait_connected(zh, 3000) != DPZK_ZOK)
		return 1;
	printf("libdpzk over UDP loopback vs in-process fake server, dpzk %s "
	       "(%s)\n",
	       DPZK_VERSION, DPZK_GIT_REV);
	memset(data, 'x', sizeof(data));
	dpzk_create(zh, "/b", data, sizeof(data), NULL, 0, 0, NULL, 0, NULL);
	for (int i = 0; i < n; i++) {
		t0 = dpzk_now();
		len = sizeof(buf);
		dpzk_get(zh, "/b", 0, buf, &len, NULL);
		v[i] = dpzk_now() - t0;
	}
	report("getData", v, n);
	for (int i = 0; i < n; i++) {
		t0 = dpzk_now();
		dpzk_set(zh, "/b", data, sizeof(data), -1, NULL);
		v[i] = dpzk_now() - t0;
	}
	report("setData", v, n);
	t0 = dpzk_now();
	for (int i = 0; i < pipe_n; i++) {
		dpzk_aexists(zh, "/b", 0, done, &completed);
		if (i % 32 == 31)
			dpzk_poll_once(zh, 0);
	}
	while (completed < pipe_n)
		dpzk_poll_once(zh, 100);
	printf("pipelined exists: %.0f ops/s (%d ops)\n",
	       pipe_n / ((dpzk_now() - t0) / 1e9), pipe_n);
	{
		const struct proto_chan_stats *st = dpzk_channel_stats(zh);

		printf("client channel: %llu datagrams out, %llu retransmits, "
		       "%llu RTOs, %llu acks out, %llu duplicates in; server "
		       "retransmits %llu\n",
		       (unsigned long long)st->tx_dgrams,
		       (unsigned long long)st->tx_retransmits,
		       (unsigned long long)st->rto_fired,
		       (unsigned long long)st->tx_acks,
		       (unsigned long long)st->drop[PROTO_CHAN_DROP_DUPLICATE],
		       (unsigned long long)fakesrv_retransmits(fs));
	}
	dpzk_close(zh);
	fakesrv_stop(fs);
	free(v);
	return 0;
}
