/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/test_crash.c — no acknowledged write is lost when the
 * server dies: a writer keeps a burst of pipelined async creates and
 * setData calls in flight and records every acknowledged one; the server
 * is killed with SIGKILL in the middle of the burst, restarted on the same
 * data directory, and every acknowledged write must be there with its
 * data.  The writer's session survives the restart: libdpzk reconnects and
 * resends what had no reply, and those retries must get their first result
 * (exactly once across a crash), never NODEEXISTS for their own create.
 *
 * Why it is built this way: three rounds, each killing at a different
 * point of the burst, with up to 200 writes in flight so the kill lands
 * between "appended", "durable" and "replied" for many of them at once.
 * The kill and the restart are done by the test itself (it_server_kill9,
 * it_server_start → scripts/testnet.sh start), which is why it runs
 * inside the test network with the server's run directory in its
 * environment.
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

#define BURST  4000
#define WINDOW 200
#define ROUNDS 3

enum { W_NONE = 0, W_SENT, W_ACKED, W_FAILED };

struct wr {
	uint8_t st;
	uint8_t after; /* completed after the restart */
	int rc;
};

struct round {
	int r;
	struct wr w[BURST];
	int sent, acked, failed, done;
	int acked_before_kill, inflight_at_kill;
	bool killed;
	/* setData stream on /crash/ctr-<r> */
	int sets_sent, sets_done;
	int max_acked_version;
	char max_acked_data[32];
	int set_errors;
	int set_rc;
};

struct cctx {
	struct round *rd;
	int i; /* create index, or -1 for a setData */
	char data[32];
};

static struct round R;
static struct cctx ctxs[BURST + 20000];
static int nctx;

static void
done(int rc, const struct dpzk_result *res, const void *data)
{
	const struct cctx *c = data;
	struct round *rd = c->rd;

	rd->done++;
	if (c->i < 0) {
		rd->sets_done++;
		/* (an OK without a stat: a resent older xid, applied once,
		 * its result no longer kept) */
		if (rc == DPZK_ZOK) {
			if (res->stat &&
			    res->stat->version > rd->max_acked_version) {
				rd->max_acked_version = res->stat->version;
				snprintf(rd->max_acked_data,
					 sizeof(rd->max_acked_data), "%s",
					 c->data);
			}
		} else {
			rd->set_errors++;
			rd->set_rc = rc;
		}
		return;
	}
	rd->w[c->i].rc = rc;
	rd->w[c->i].after = rd->killed;
	if (rc == DPZK_ZOK) {
		rd->w[c->i].st = W_ACKED;
		rd->acked++;
	} else {
		rd->w[c->i].st = W_FAILED;
		rd->failed++;
	}
}

static void
node_name(char *p, size_t n, int r, int i)
{
	snprintf(p, n, "/crash/r%d-%05d", r, i);
}

static int
one_round(int r)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh, *v;
	int kill_at = 400 + r * 700;
	uint64_t end;
	char p[64], ctr[32], buf[32];
	int lost = 0, wrong = 0, exist_err = 0, len;
	struct dpzk_stat st;

	memset(&R, 0, sizeof(R));
	R.r = r;
	nctx = 0;
	zh = it_connect(10000, &ev);
	assert_int_equal(it_mkdirs(zh, "/crash"), DPZK_ZOK);
	snprintf(ctr, sizeof(ctr), "/crash/ctr-%d", r);
	assert_int_equal(dpzk_create(zh, ctr, "0", 1, &dpzk_open_acl_unsafe, 0,
				     0, NULL, 0, NULL),
			 DPZK_ZOK);
	end = it_ms() + 60000;
	while (!R.killed && R.sent < BURST && it_ms() < end) {
		while (R.sent < BURST &&
		       (R.sent - (R.acked + R.failed)) +
				       (R.sets_sent - R.sets_done) <
			       WINDOW) {
			struct cctx *c = &ctxs[nctx++];
			int i = R.sent++;

			c->rd = &R;
			c->i = i;
			snprintf(c->data, sizeof(c->data), "d%d-%05d", r, i);
			node_name(p, sizeof(p), r, i);
			R.w[i].st = W_SENT;
			assert_int_equal(dpzk_acreate(zh, p, c->data,
						      (int)strlen(c->data),
						      &dpzk_open_acl_unsafe, 0,
						      0, done, c),
					 DPZK_ZOK);
			if (i % 8 == 0) {
				c = &ctxs[nctx++];
				c->rd = &R;
				c->i = -1;
				snprintf(c->data, sizeof(c->data), "s%d",
					 R.sets_sent);
				R.sets_sent++;
				assert_int_equal(dpzk_aset(zh, ctr, c->data,
							   (int)strlen(c->data),
							   -1, done, c),
						 DPZK_ZOK);
			}
		}
		/* kill with a full window in flight, some of it on the
		 * wire, some appended, some durable but not yet answered */
		if (R.acked >= kill_at) {
			it_pump(&zh, 1, 0, NULL);
			R.acked_before_kill = R.acked;
			R.inflight_at_kill = R.sent - R.acked - R.failed;
			assert_int_equal(it_server_kill9(), 0);
			R.killed = true;
			break;
		}
		it_pump(&zh, 1, 1, NULL);
	}
	assert_true(R.killed);
	assert_int_equal(R.failed, 0); /* before the kill */
	assert_int_equal(it_server_start(), 0);
	{
		char line[512];

		if (it_server_log_line("recovered", line, sizeof(line)) > 0)
			print_message("# round %d: %s\n", r, line);
	}
	/* the session lives on: libdpzk reconnects and resends */
	end = it_ms() + 30000;
	while (R.acked + R.failed < R.sent && it_ms() < end)
		it_pump(&zh, 1, 20, NULL);
	print_message("# round %d: killed after %d acks with %d creates in "
		      "flight; after the restart %d more acked, %d failed, "
		      "%d without an answer\n",
		      r, R.acked_before_kill, R.inflight_at_kill,
		      R.acked - R.acked_before_kill, R.failed,
		      R.sent - R.acked - R.failed);

	/* every acknowledged create is there with its data */
	v = it_connect(10000, NULL);
	for (int i = 0; i < R.sent; i++) {
		if (R.w[i].st != W_ACKED && R.w[i].rc != DPZK_ZNODEEXISTS)
			continue;
		node_name(p, sizeof(p), r, i);
		len = sizeof(buf);
		if (dpzk_get(v, p, 0, buf, &len, NULL) != DPZK_ZOK) {
			if (R.w[i].st == W_ACKED)
				lost++;
			continue;
		}
		{
			char want[32];

			snprintf(want, sizeof(want), "d%d-%05d", r, i);
			if (len != (int)strlen(want) ||
			    memcmp(buf, want, (size_t)len) != 0)
				wrong++;
		}
		if (R.w[i].rc == DPZK_ZNODEEXISTS)
			exist_err++;
	}
	/* the counter: at least the highest acknowledged version */
	len = sizeof(buf);
	assert_int_equal(dpzk_get(v, ctr, 0, buf, &len, &st), DPZK_ZOK);
	assert_true(st.version >= R.max_acked_version);
	if (st.version == R.max_acked_version) {
		assert_int_equal(len, (int)strlen(R.max_acked_data));
		assert_memory_equal(buf, R.max_acked_data, (size_t)len);
	}
	dpzk_close(v);
	if (lost || wrong)
		fail_msg("round %d: %d acknowledged creates lost, %d with "
			 "wrong data",
			 r, lost, wrong);
	assert_int_equal(R.sent - R.acked - R.failed, 0);
	dpzk_close(zh);
	if (R.failed || R.set_errors) {
		int hist[8] = {0}, codes[8] = {0}, nc = 0;

		for (int i = 0; i < R.sent; i++) {
			int k;

			if (R.w[i].st != W_FAILED)
				continue;
			for (k = 0; k < nc && codes[k] != R.w[i].rc; k++)
				;
			if (k == nc && nc < 8)
				codes[nc++] = R.w[i].rc;
			if (k < 8)
				hist[k]++;
		}
		print_message(
			"# round %d: resent after the restart and failed: "
			"%d creates (",
			r, R.failed);
		for (int k = 0; k < nc; k++)
			print_message("%s%s x%d", k ? ", " : "",
				      dpzk_errname(codes[k]), hist[k]);
		print_message("; %d with NODEEXISTS for their own node), %d "
			      "setData (%s)\n",
			      exist_err, R.set_errors, dpzk_errname(R.set_rc));
	}
	return R.failed + R.set_errors;
}

static void
test_acknowledged_writes_survive_sigkill(void **state)
{
	int again = 0;

	(void)state;
	for (int r = 0; r < ROUNDS; r++)
		again += one_round(r);
	/* durability held in every round; now exactly-once */
	if (again)
		fail_msg("%d writes resent after a restart did not get their "
			 "first result (see the rounds above): exactly-once "
			 "does not hold across a crash",
			 again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acknowledged_writes_survive_sigkill),
	};

	it_deadline(200);
	return cmocka_run_group_tests_name("integration_crash", tests, NULL,
					   NULL);
}
