/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dataplane/srv.h — the ZooKeeper service of dpzk-server on the polling
 * lcore: sessions over the reliable channel (proto/), requests into the
 * tree (reads inline; writes through prep → nvme-log → durable → apply →
 * reply), watch events, session expiry, fuzzy snapshot slices, and the
 * rings to and from the mgmt thread.
 *
 * Why it is built this way: standalone dpzk is an ensemble of one, so the
 * write path is already the replicated pipeline of DESIGN.md §5 with the
 * quorum step trivially satisfied by the local log.  One FIFO of "pending
 * entries" (txns waiting to be durable, error replies and reads queued
 * behind a session's own writes) keeps ZooKeeper's per-session reply order
 * while writes from every session are group-committed together.
 *
 * Threads: srv_init/srv_recover run on the main thread before dp_run (the
 * same thread that then polls); everything else runs on the polling lcore
 * through the dataplane's handler and hooks.  srv_admin_* are the mgmt
 * thread's side of the rings.
 */
#ifndef DPZK_SRV_H
#define DPZK_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/dp.h"

struct tree;
struct nlog;
struct ens_config;
struct rte_ring;

/* Server settings beyond the dataplane's (keys in mgmt/main.c). */
struct srv_config {
	uint32_t max_sessions;	    /* live sessions at most (memory bound) */
	uint32_t pending_max;	    /* pending entries (writes in flight) */
	uint32_t pending_mb;	    /* bytes of encoded txns in flight */
	uint32_t snap_every_txns;   /* fuzzy snapshot after this many txns */
	uint32_t snap_every_mb;	    /* ... or this many MiB of log */
	uint32_t snap_retain;	    /* snapshots kept (and their log) */
	uint32_t snap_budget;	    /* nodes serialized per loop iteration */
	bool ttl_enabled;	    /* zookeeper.extendedTypesEnabled */
	char super_digest[128];	    /* "super:<base64 sha1>" or empty */
	char fourlw_whitelist[256]; /* "*" or "srvr,ruok,..." */
	uint8_t secret[16];	    /* session passwords derive from it */
	uint32_t drop_replies; /* fault: swallow the next N write replies */
	/* ensemble mode (dataplane/ens.h) when not NULL */
	const struct ens_config *ens;
};

void srv_config_defaults(struct srv_config *c);

/* Counters the admin words and telemetry show (published by the lcore). */
struct srv_stats {
	uint64_t packets_received, packets_sent;
	uint64_t requests, reads, writes, errors_replied;
	uint64_t sessions_created, sessions_expired, sessions_closed;
	uint64_t sessions_refused, sessions_live;
	uint64_t connects, reconnects;
	uint64_t events_sent, replies_sent, retried_writes;
	uint64_t drop_bad_dgram, drop_bad_mac, drop_unknown_session;
	uint64_t drop_bad_request, drop_session_limit, drop_backlog;
	uint64_t drop_faulted_replies;
	uint64_t overload_resets; /* connections ended rather than answer
				     out of order (pending queue full) */
	/* drops inside sessions' channels, by enum proto_chan_drop */
	uint64_t chan_drop[16];
	uint64_t outstanding;
	uint64_t snapshots, snapshot_bytes;
	uint64_t log_errors;
	int64_t last_zxid;
	uint64_t znodes, watches, ephemerals, data_bytes, tree_sessions;
	uint64_t lat_min_ns, lat_max_ns, lat_sum_ns, lat_count;
	uint64_t lat_p50_ns, lat_p99_ns, lat_p999_ns;
	uint64_t ops[128]; /* requests by opcode (index op & 127) */
	uint64_t uptime_ms;
	char arena[16];
	char durability[16];
	int log_fatal; /* nonzero: the log failed, writes are refused */
	/* the role, in ZooKeeper's words: standalone, leader, follower,
	 * observer, or looking (an ensemble member without a leader) —
	 * the one place srvr/stat/mntr take it from */
	char server_state[16];
	/* ensemble mode (dataplane/ens.c fills these) */
	bool ensemble;
	uint32_t zab_leader, zab_epoch;
	uint64_t zab_last_zxid, zab_commit_zxid;
	uint32_t zab_followers, zab_synced_followers; /* leader only */
	uint64_t zab_max_follower_lag;		      /* zxids */
	uint64_t ens_fwd_timeouts; /* forwarded writes never answered */
	uint64_t ens_match_scans;  /* commits matched out of FIFO order */
	uint64_t ens_parked;	   /* writes held through an election */
};

/* Set up the service: tree and log are owned by the caller and used only
 * on the polling lcore from now on.  Registers the UDP handler on the
 * client port and the hooks.  0 or -errno. */
int srv_init(const struct dp_config *dc, const struct srv_config *sc,
	     struct tree *t, struct nlog *l);

/* Recovery callbacks for nlog_open that load the snapshot into t and
 * replay records (apply).  Call srv_recover_ops(t, &ops) before
 * nlog_open. */
struct nlog_recover_ops;
void srv_recover_ops(struct tree *t, struct nlog_recover_ops *ops);

/* A copy of the latest published counters.  Any thread. */
void srv_stats_get(struct srv_stats *s);

/* The mgmt side: rings the lcore reads (to_lcore) and writes (to_mgmt).
 * Messages are struct srv_msg pointers (malloc'd by the sender, freed by
 * the receiver). */
enum srv_msg_type {
	SRV_MSG_ADMIN_REQ = 1, /* lcore → mgmt: four-letter word from a peer */
	SRV_MSG_ADMIN_REPLY,   /* mgmt → lcore: text to send back */
	SRV_MSG_SNAP_BEGIN,    /* lcore → mgmt: a snapshot stream starts */
	SRV_MSG_SNAP_DONE,     /* mgmt → lcore: it was committed (or not) */
	SRV_MSG_SNAP_REQUEST,  /* mgmt → lcore: take a snapshot now */
};

struct nlog_snap_pipe;

struct srv_msg {
	int type;
	uint32_t ip;
	uint16_t port;
	int status;
	uint64_t zxid;
	struct nlog_snap_pipe *pipe;
	size_t len;
	char text[];
};

struct rte_ring *srv_ring_to_mgmt(void);
struct rte_ring *srv_ring_to_lcore(void);

#endif /* DPZK_SRV_H */
