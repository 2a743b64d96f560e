/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client/examples/watch_example.c — the smallest useful libdpzk program:
 * connect, create a node, read it with a watch, change it, and receive the
 * watch event — which arrives before the reply of the change (ZooKeeper's
 * ordering guarantee, kept by the session channel).
 *
 *   watch_example [host:port]        (default 127.0.0.1:2181)
 */
#include <stdio.h>
#include <string.h>

#include "client/dpzk.h"

static int events;

static void
on_event(struct dpzk_handle *zh, int type, int state, const char *path,
	 void *ctx)
{
	(void)zh;
	(void)ctx;
	if (type == DPZK_SESSION_EVENT) {
		printf("session state %d\n", state);
		return;
	}
	printf("watch event: type %d on %s\n", type, path);
	events++;
}

int
main(int argc, char **argv)
{
	const char *hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
	struct dpzk_handle *zh;
	char buf[128], created[128];
	int len = sizeof(buf), rc;
	struct dpzk_stat st;

	/* Starts connecting; nothing blocks yet. */
	zh = dpzk_init(hosts, on_event, 10000, NULL, NULL, 0);
	if (zh == NULL) {
		perror("dpzk_init");
		return 1;
	}
	if ((rc = dpzk_wait_connected(zh, 5000)) != DPZK_ZOK) {
		fprintf(stderr, "connect: %s\n", dpzk_strerror(rc));
		dpzk_close(zh);
		return 1;
	}
	rc = dpzk_create(zh, "/example", "v1", 2, &dpzk_open_acl_unsafe,
			 DPZK_EPHEMERAL, 0, created, sizeof(created), NULL);
	if (rc != DPZK_ZOK && rc != DPZK_ZNODEEXISTS) {
		fprintf(stderr, "create: %s\n", dpzk_strerror(rc));
		dpzk_close(zh);
		return 1;
	}
	/* get with watch = 1: the default watcher (on_event) is armed. */
	rc = dpzk_get(zh, "/example", 1, buf, &len, &st);
	printf("get: %s, %.*s (version %d)\n", dpzk_strerror(rc),
	       len > 0 ? len : 0, buf, st.version);
	/* The change fires the watch; the event is dispatched before
	 * dpzk_set returns. */
	rc = dpzk_set(zh, "/example", "v2", 2, -1, &st);
	printf("set: %s (version %d), events seen: %d\n", dpzk_strerror(rc),
	       st.version, events);
	dpzk_close(zh); /* the ephemeral node goes with the session */
	return events == 1 ? 0 : 1;
}
