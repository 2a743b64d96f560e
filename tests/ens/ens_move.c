/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/ens/ens_move.c — a session survives the loss of its server: the
 * client connects to server A (of "A,B"), creates an ephemeral node, kills
 * server A (kill -9 of the pid in PIDFILE), and must reconnect to B with
 * the same session, its ephemeral still there.  Sessions are global in an
 * ensemble (createSession is a txn) and passwords derive from the
 * ensemble secret, so B can verify the reconnect.
 *
 *   ens_move HOST_A:PORT HOST_B:PORT PIDFILE_A
 * Exit 0 on success, 1 with a reason otherwise.  Bounded: 60 s.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/dpzk.h"

static int
fail(const char *why, int rc)
{
	printf("FAIL: %s (%d)\n", why, rc);
	return 1;
}

int
main(int argc, char **argv)
{
	char hosts[256], path[64], got[64];
	struct dpzk_handle *zh;
	int64_t sid;
	FILE *f;
	long pid = 0;
	int rc = -1;

	if (argc != 4) {
		fprintf(stderr, "usage: ens_move A B PIDFILE_A\n");
		return 2;
	}
	snprintf(hosts, sizeof(hosts), "%s,%s", argv[1], argv[2]);
	/* libdpzk starts at a random server of the list (as ZooKeeper's
	 * client does): reconnect until the session is on A, the server
	 * that will be killed */
	for (int tries = 0;; tries++) {
		zh = dpzk_init(hosts, NULL, 20000, NULL, NULL, 0);
		if (zh == NULL)
			return fail("dpzk_init", -1);
		rc = dpzk_wait_connected(zh, 30000);
		if (rc != 0)
			return fail("no session within 30 s", rc);
		if (strcmp(dpzk_current_server(zh), argv[1]) == 0)
			break;
		dpzk_close(zh);
		if (tries == 30)
			return fail("libdpzk never started on A", -1);
	}
	sid = dpzk_client_id(zh)->session_id;
	snprintf(path, sizeof(path), "/mv-%" PRIx64, (uint64_t)sid);
	for (int i = 0; i < 5; i++) {
		rc = dpzk_create(zh, path, "x", 1, NULL, DPZK_EPHEMERAL, 0, got,
				 sizeof(got), NULL);
		if (rc == 0 || rc == DPZK_ZNODEEXISTS)
			break;
	}
	if (rc != 0 && rc != DPZK_ZNODEEXISTS)
		return fail("create ephemeral", rc);
	printf("# session 0x%" PRIx64 " on %s, ephemeral %s\n", (uint64_t)sid,
	       argv[1], path);
	f = fopen(argv[3], "r");
	if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0)
		return fail("cannot read the pid file", -1);
	fclose(f);
	kill((pid_t)pid, SIGKILL);
	printf("# killed server %s (pid %ld)\n", argv[1], pid);
	for (int i = 0; i < 60; i++) {
		struct dpzk_stat st;

		rc = dpzk_exists(zh, path, 0, &st);
		if (rc == 0 && dpzk_state(zh) == DPZK_CONNECTED_STATE) {
			if (dpzk_client_id(zh)->session_id != sid)
				return fail("the session changed", -1);
			if (st.ephemeral_owner != sid)
				return fail("the ephemeral has another owner",
					    -1);
			printf("# session 0x%" PRIx64
			       " moved to %s, its ephemeral is there\n",
			       (uint64_t)sid, argv[2]);
			dpzk_close(zh);
			printf("PASS\n");
			return 0;
		}
		if (rc == DPZK_ZNONODE)
			return fail("the ephemeral is gone", rc);
		if (rc == DPZK_ZSESSIONEXPIRED)
			return fail("the session expired", rc);
		sleep(1);
	}
	return fail("the session did not come back within 60 s", rc);
}
