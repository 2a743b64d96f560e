/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway/gateway.h — dpzk-gateway: Apache ZooKeeper's TCP client protocol
 * bridged to dpzk's UDP session channel (issue 7, docs/GATEWAY.md).
 *
 * Why it is built this way: dpzk's datagram payload is ZooKeeper's jute
 * record minus the TCP length prefix (DESIGN.md §4.1), so the gateway is a
 * thin relay.  Each TCP connection owns one upstream session channel
 * (proto/proto_channel.h) over one shared non-blocking UDP socket; one
 * single-threaded epoll loop runs everything, so nothing is locked and a
 * slow client only ever costs its own bounded buffers.
 *
 * The public API is what main.c needs: the configuration, its parser (the
 * CLI is a contract with tests/gateway/) and the loop.  Everything else is
 * private (gateway/gateway_priv.h).
 */
#ifndef DPZK_GATEWAY_H
#define DPZK_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define GW_MAX_SERVERS 32

struct gw_server {
	struct sockaddr_storage sa;
	socklen_t salen;
	char name[80]; /* "ip:port" as given, for messages */
};

struct gw_config {
	struct gw_server servers[GW_MAX_SERVERS];
	int nservers;
	uint16_t port;	       /* TCP listen port (2181) */
	char bind[80];	       /* listen address; "" = [::] dual-stack */
	char wl[256];	       /* 4lw whitelist: "*" or a comma list */
	uint32_t max_conns;    /* open TCP connections */
	uint32_t max_frame;    /* jute.maxbuffer: largest frame payload */
	uint32_t max_conn_buf; /* outbound bytes queued per connection */
	bool verbose;
};

/* Fills cfg with the defaults (port 2181, whitelist "srvr", 10000
 * connections, frames of 0xfffff bytes, 4 MiB outbound per connection). */
void gw_config_default(struct gw_config *cfg);

/* Parses the command line into cfg (defaults first).  Returns 0, 1 when
 * --help was printed (exit 0), or -EINVAL after printing why to stderr. */
int gw_config_parse(struct gw_config *cfg, int argc, char **argv);

/* Runs the gateway until SIGTERM/SIGINT.  Prints "dpzk-gateway: listening
 * on ..." on stdout (flushed) once it accepts connections, the counters on
 * SIGUSR1 and at exit.  Sessions stay alive on exit (clients may move to
 * another gateway).  Returns 0, or -errno when it could not start. */
int gw_run(const struct gw_config *cfg);

#endif /* DPZK_GATEWAY_H */
