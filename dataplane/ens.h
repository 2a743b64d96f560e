/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dataplane/ens.h — the replicated ensemble of dpzk-server: peer links
 * (one reliable proto_chan per peer over UDP on the peer port, keyed with
 * the ensemble secret and per-link nonces) and the Zab driver (zab/zab.h)
 * on the polling lcore.
 *
 * Why it is built this way: zab is a pure state machine, so the driver is
 * the only place that does its I/O — peer datagrams in, Ready batches out
 * (epochs → nlog_epoch_set, APPEND → nlog_append, TRUNCATE → nlog_truncate,
 * commits → srv's apply, messages → peer channels).  The client service
 * (srv.c) keeps its pending FIFO; in ensemble mode its write entries wait
 * for the commit instead of the local log, and srv.c calls the few
 * functions below (propose, forward) and implements the srv_ens_* callbacks
 * the driver calls.  Everything runs on the polling lcore: no locks.
 *
 * Blocking work (epoch files, truncation, snapshot install/serialization)
 * is done inline on the lcore: it only happens at election and sync
 * boundaries, when no write is in flight anyway.
 */
#ifndef DPZK_ENS_H
#define DPZK_ENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zab/zab.h"

struct tree;
struct tree_opts;
struct nlog;
struct nlog_recover_ops;
struct dp_config;

struct ens_server {
	uint32_t id;
	uint32_t ip; /* host order */
	uint16_t peer_port;
	uint16_t election_port;
	bool observer;
};

struct ens_config {
	uint32_t n_servers; /* 0: standalone */
	struct ens_server srv[ZAB_MAX_PEERS];
	uint8_t secret[16];
	bool secret_set;
	uint32_t tick_ms;		   /* zab tick */
	uint32_t init_limit;		   /* ticks */
	uint32_t sync_limit;		   /* ticks */
	uint32_t ping_ticks;		   /* heartbeat period, ticks */
	uint32_t election_ticks;	   /* first vote resend, ticks */
	uint32_t election_max_ticks;	   /* vote resend cap, ticks */
	uint32_t finalize_ticks;	   /* FLE finalize wait, ticks */
	uint32_t fwd_timeout_ms;	   /* forwarded write: give up */
	const char *timing;		   /* profile name last applied */
	uint32_t explicit_keys;		   /* ENS_K_* set by a key */
	uint32_t hist_entries;		   /* history window (DIFF) */
	uint32_t hist_mb;		   /* ... and its payload bytes */
	uint32_t snap_chunk_kb;		   /* SNAP transfer chunk */
	const struct tree_opts *tree_opts; /* for a SNAP install */
};

/* The timing profiles (`timing` key): "default" is conservative (10 ms
 * ticks, a leader silent for 1 s is given up), "low-latency" detects a
 * dead leader in about 60 ms and re-elects in a few more (for dedicated
 * cores or a lightly loaded test network).  A profile sets tick,
 * init_limit, sync_limit, heartbeat and election timers together; a key
 * given explicitly wins over any profile, whatever their order. */
void ens_config_defaults(struct ens_config *c);
/* One configuration key (server.N, ensemble_secret, timing, init_limit,
 * sync_limit, zab_tick_ms, zab_ping_ticks, zab_election_ticks,
 * zab_election_max_ticks, zab_finalize_ticks, forward_timeout_ms,
 * zab_window_entries, zab_window_mb, zab_snap_chunk_kb).  0, -ENOENT (not
 * ours), -EINVAL with why. */
int ens_config_set(struct ens_config *c, const char *key, const char *value,
		   char *why, size_t whylen);
/* Cross checks once everything is read (self listed, secret given). */
int ens_config_check(const struct ens_config *c, uint32_t self, char *why,
		     size_t whylen);
void ens_config_usage(FILE *out);

/* Recovery ops for nlog_open in ensemble mode: the snapshot loads into t,
 * log records are kept (not applied) for zab_load, because the tail of a
 * log may hold proposals that were never committed. */
void ens_recover_ops(struct tree *t, struct nlog_recover_ops *ops);

/* Start: build zab from the persisted epochs and the kept records,
 * register the peer port and the hooks.  Called by srv_init.  0/-errno. */
int ens_start(const struct ens_config *c, const struct dp_config *dc,
	      struct tree *t, struct nlog *l);

/* ---- for srv.c (lcore) ---- */
bool ens_active(void);
/* The zxid the next proposal gets (0: not leading/established). */
uint64_t ens_next_zxid(void);
/* Leader: propose txn bytes; 0 or -errno (see zab_propose). */
int ens_propose(const void *txn, size_t len, uint64_t *zxid);
/* Follower: the leader's id to forward to, or 0 (no leader now). */
uint32_t ens_forward_target(void);
bool ens_leading(void);
/* Send a forwarded request / a control message to a peer.  0/-errno. */
int ens_send_request(uint32_t to, const void *p, size_t len);
int ens_send_ctl(uint32_t to, const void *p, size_t len);
/* The tree in force (it changes when a SNAP is installed). */
struct tree *ens_tree(void);
/* Leading, established, and refusing writes only because too many are
 * in flight (THROTTLEDOP rather than CONNECTIONLOSS). */
bool ens_throttled(void);
/* A forwarded request fails after this long without an answer. */
uint32_t ens_forward_timeout_ms(void);
/* The ensemble's part of the published counters: server_state and the
 * zab_* fields (from the status ens publishes every 100 ms). */
struct srv_stats;
void ens_fill_stats(struct srv_stats *s);

/* ---- implemented by srv.c, called by the driver (lcore) ---- */
/* A committed txn: apply it, answer the local client waiting for it. */
void srv_ens_apply(uint64_t zxid, const void *txn, size_t len);
/* Leader: a request forwarded by server `from`. */
void srv_ens_request(uint32_t from, const void *p, size_t len);
/* A control message (error reply, sync answer, session touch). */
void srv_ens_ctl(uint32_t from, const void *p, size_t len);
/* Role/leader changed: fail what waited on the old leader. */
void srv_ens_role(uint8_t role, uint32_t leader, bool leading);
/* Pending entries may be drained now. */
void srv_ens_kick(void);
/* A new tree replaced the old one (SNAP installed). */
void srv_ens_tree(struct tree *t);

#endif /* DPZK_ENS_H */
