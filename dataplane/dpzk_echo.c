/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dpzk_echo.c — dpzk-echo, a UDP echo service on the dataplane: every
 * datagram to the client port (2181 unless --client_port says otherwise)
 * goes back to its sender unchanged.
 *
 * A datagram that starts with "DPZKRELAY", a 4-byte IPv4 address and a
 * 2-byte port (big-endian) is not echoed but its remainder is sent to that
 * address and port: the integration test uses it to make one server talk
 * to another it has never heard from (ARP resolution, queued packets).
 *
 * Why it exists: it is the "raw round trip" floor that the benchmarks
 * compare dpzk-server against (same EAL, port, loop and packet path, no
 * session layer), the dataplane's integration test target, and the
 * example of how small a server's main is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp.h"

/* Hooks do nothing useful here but count, so the integration test sees
 * that the loop calls them (a server's session layer uses the same). */
static struct {
	unsigned long polls, ticks;
} hk;

static unsigned int
on_poll(struct dp_lcore *lc, void *arg)
{
	(void)lc;
	(void)arg;
	hk.polls++;
	return 0;
}

static void
on_timer(struct dp_lcore *lc, void *arg, uint64_t now_us)
{
	(void)lc;
	(void)arg;
	(void)now_us;
	hk.ticks++;
}

static void
on_shutdown(struct dp_lcore *lc, void *arg)
{
	(void)lc;
	(void)arg;
	printf("dpzk-echo: shutdown after %lu timer ticks, %lu polls\n",
	       hk.ticks, hk.polls);
	fflush(stdout);
}

#define RELAY_MAGIC "DPZKRELAY"
#define RELAY_HDR   (sizeof(RELAY_MAGIC) - 1 + 6)

static void
echo(struct dp_lcore *lc, void *arg, const struct dp_udp_meta *m,
     const uint8_t *payload, uint16_t len, struct rte_mbuf *mb)
{
	(void)arg;
	(void)mb;
	if (len >= RELAY_HDR &&
	    memcmp(payload, RELAY_MAGIC, sizeof(RELAY_MAGIC) - 1) == 0) {
		const uint8_t *a = payload + sizeof(RELAY_MAGIC) - 1;
		uint32_t ip = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
			      (uint32_t)a[2] << 8 | a[3];
		uint16_t port = (uint16_t)(a[4] << 8 | a[5]);

		dp_udp_send1(lc, ip, port, m->dst_port, payload + RELAY_HDR,
			     (uint16_t)(len - RELAY_HDR));
		return;
	}
	dp_udp_send1(lc, m->src_ip, m->src_port, m->dst_port, payload, len);
}

int
main(int argc, char **argv)
{
	const struct dp_hooks hooks = {on_poll, on_timer, on_shutdown, NULL};
	struct dp_config cfg;
	char why[256];
	int rc;

	dp_config_defaults(&cfg);
	rc = dp_config_from_argv(&cfg, argc, argv, NULL, 0, why, sizeof(why));
	if (cfg.help) {
		dp_config_usage(stdout, "dpzk-echo", NULL, 0);
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "dpzk-echo: %s\n", why);
		return 2;
	}
	rc = dp_init(&cfg);
	if (rc != 0) {
		fprintf(stderr, "dpzk-echo: dataplane start failed: %d\n", rc);
		dp_fini();
		return 1;
	}
	rc = dp_udp_register(cfg.client_port, echo, NULL);
	if (rc == 0)
		rc = dp_hooks_register(&hooks);
	if (rc == 0)
		rc = dp_run();
	dp_fini();
	return rc == 0 ? 0 : 1;
}
