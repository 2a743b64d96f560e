/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/ens/ens_writer.c — a client that writes without pause and says
 * when the ensemble's epoch changes, for failover measurements
 * (scripts/ens-bench.sh) and failover tests.
 *
 *   ens_writer HOSTS SECONDS [PATH]
 *
 * One session (libdpzk; on the first server of HOSTS, reconnecting until
 * libdpzk's random start lands there) sets PATH (default
 * /ens-writer, created if absent) again and again, one write in flight.
 * Every acknowledged write carries its zxid; when the zxid's epoch differs
 * from the previous acknowledged write's, it prints
 *     epoch E ack_ms T server HOST
 * where T is the wall clock (ms since 1970) of the acknowledgement: the
 * first write committed under a new leader, as this client sees it.
 * A script that notes the wall clock of a kill -9 gets the failover time as
 * the difference.  Errors are counted, not retried differently (the next
 * write is simply the next set); a change of error code prints "error RC
 * (NAME) at T", a write that took over 500 ms prints "slow ...".  Ends after
 * SECONDS, or on SIGTERM/SIGINT, with "writes N errors M".  Why a C program: a
 * shell loop of one-shot CLI processes would add a process start and a session
 * handshake to every write, which is the very latency measured.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/dpzk.h"

static volatile sig_atomic_t stop;

static void
on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 3 ? argv[3] : "/ens-writer";
	struct dpzk_handle *zh;
	uint64_t end, writes = 0, errors = 0;
	uint32_t epoch = 0;
	char val[32];
	int rc, last_rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: ens_writer HOSTS SECONDS [PATH]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	end = wall_ms() + (uint64_t)atoi(argv[2]) * 1000;
	/* libdpzk starts at a random server of the list (as ZooKeeper's
	 * client does); the measurement wants the first one */
	for (int tries = 0;; tries++) {
		size_t fl = strcspn(argv[1], ",");

		zh = dpzk_init(argv[1], NULL, 10000, NULL, NULL, 0);
		if (zh == NULL) {
			printf("FAIL: dpzk_init\n");
			return 1;
		}
		rc = dpzk_wait_connected(zh, 20000);
		if (rc != 0) {
			printf("FAIL: no session within 20 s (%d)\n", rc);
			return 1;
		}
		if (strncmp(dpzk_current_server(zh), argv[1], fl) == 0 ||
		    tries == 30)
			break;
		dpzk_close(zh);
	}
	for (int i = 0; i < 20 && !stop; i++) {
		rc = dpzk_create(zh, path, "0", 1, NULL, 0, 0, NULL, 0, NULL);
		if (rc == 0 || rc == DPZK_ZNODEEXISTS)
			break;
	}
	printf("# session 0x%" PRIx64 " on %s\n",
	       (uint64_t)dpzk_client_id(zh)->session_id,
	       dpzk_current_server(zh));
	while (!stop && wall_ms() < end) {
		struct dpzk_stat st;
		int n = snprintf(val, sizeof(val), "%" PRIu64, writes);

		uint64_t t0 = wall_ms(), dt;

		rc = dpzk_set(zh, path, val, n, -1, &st);
		dt = wall_ms() - t0;
		if (dt > 500)
			printf("slow %" PRIu64 " ms rc %d at %" PRIu64
			       " server %s\n",
			       dt, rc, t0, dpzk_current_server(zh));
		if (rc != 0) {
			if (rc != last_rc)
				printf("error %d (%s) at %" PRIu64 "\n", rc,
				       dpzk_errname(rc), t0);
			last_rc = rc;
			errors++;
			continue;
		}
		last_rc = 0;
		writes++;
		if ((uint32_t)((uint64_t)st.mzxid >> 32) != epoch) {
			epoch = (uint32_t)((uint64_t)st.mzxid >> 32);
			printf("epoch %u ack_ms %" PRIu64 " server %s\n", epoch,
			       wall_ms(), dpzk_current_server(zh));
		}
	}
	printf("writes %" PRIu64 " errors %" PRIu64 "\n", writes, errors);
	dpzk_close(zh);
	return 0;
}
