/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zab/zab.h — Zab (ZooKeeper Atomic Broadcast) as a pure state machine, in
 * the style of etcd's raft library (DESIGN.md §6, docs/ZAB.md).
 *
 * Why it is built this way: the protocol must run on the dataplane's zab
 * lcore, on the mgmt thread, in cmocka tests and in a deterministic
 * simulator with thousands of seeded crashes and partitions.  So it does no
 * I/O, reads no clock and allocates nothing after zab_new():
 *
 *   inputs   zab_step()      a message received from a peer (ordered per
 *                            peer link, as TCP/the peer channel gives it)
 *            zab_tick()      one timer tick (all timeouts count ticks)
 *            zab_durable()   the local log is durable up to a zxid
 *            zab_link_down() the FIFO link to a peer broke (messages lost)
 *            zab_propose()   leader: a client write's txn bytes
 *   outputs  zab_ready()     one batch: hard state to persist, log
 *                            operations, commits to apply, messages to send,
 *                            role changes; then zab_advance().
 *
 * The log's recent tail lives in a fixed-capacity in-memory history window
 * (config hist_entries/hist_bytes) that serves DIFF sync to lagging
 * learners; a learner behind the window gets SNAP.  Payloads are copied
 * into the window once (on propose or on receipt) and every output refers
 * to them there.
 *
 * Processing a Ready, in this order (the contract the caller must keep):
 *   1. hard state (accepted_epoch, current_epoch): write it durably
 *      (synchronously) if rd.hard_state is set;
 *   2. log_ops, in order: APPEND — queue the write (asynchronous), later
 *      report zab_durable(zxid) in log order; TRUNCATE and SNAPSHOT are
 *      barriers — wait for earlier appends, then truncate the log to zxid /
 *      install the snapshot (state + empty log based at zxid) durably, and
 *      never report durability for appends issued before the barrier;
 *   3. commits, in order: apply each txn to the state machine;
 *   4. msgs: encode and send each to msg.to.  A SNAP message gets the
 *      caller's serialized state attached as its payload: after step 3 that
 *      state is exactly the one at msg.zxid;
 *   5. zab_advance().
 * No other zab_* input may be called between zab_ready() and zab_advance()
 * (they return -EBUSY).
 *
 * Threads: one struct zab is owned by one thread at a time; nothing is
 * shared and there is no global state.  In dpzk-server the zab lcore owns
 * it and processes every Ready whose work cannot block (appends, commits,
 * messages: all of broadcast); a Ready with hard state, a TRUNCATE or
 * SNAPSHOT barrier or a SNAP message is handed to the mgmt thread, and the
 * lcore calls nothing on the object until mgmt is done and it has called
 * zab_advance().  docs/ZAB.md §Threads.
 *
 * zxid = epoch << 32 | counter.
 */
#ifndef DPZK_ZAB_H
#define DPZK_ZAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZAB_MAX_PEERS 32

/* "Not the leader: forward the request" (returned as -ZAB_ENOTLEADER). */
#define ZAB_ENOTLEADER EREMOTE

static inline uint32_t
zab_zxid_epoch(uint64_t zxid)
{
	return (uint32_t)(zxid >> 32);
}

static inline uint32_t
zab_zxid_counter(uint64_t zxid)
{
	return (uint32_t)zxid;
}

static inline uint64_t
zab_zxid_make(uint32_t epoch, uint32_t counter)
{
	return ((uint64_t)epoch << 32) | counter;
}

enum zab_role {
	ZAB_LOOKING = 0,
	ZAB_FOLLOWING = 1,
	ZAB_LEADING = 2,
	ZAB_OBSERVING = 3,
};

enum zab_phase {
	ZAB_PH_ELECTION = 0,
	ZAB_PH_DISCOVERY = 1,
	ZAB_PH_SYNC = 2,
	ZAB_PH_BROADCAST = 3,
};

/* Peer message types.  Everything but VOTE travels on the FIFO peer link
 * (zab port); VOTE may travel on a lossy path (election port). */
enum zab_msg_type {
	ZAB_M_VOTE = 1,	    /* FLE notification: vote + sender state */
	ZAB_M_CEPOCH = 2,   /* learner → leader: arg = nonce << 32 |
			       acceptedEpoch, zxid = last zxid
			       (FOLLOWERINFO/OBSERVERINFO); repeated with
			       the same nonce until NEWEPOCH arrives */
	ZAB_M_NEWEPOCH = 3, /* leader → learner: epoch = new epoch, vote =
			       the leader's vote (the learner adopts it) */
	ZAB_M_ACKEPOCH = 4, /* learner → leader: arg = currentEpoch (or
			       ZAB_EPOCH_NONE: already acked this epoch),
			       zxid = last zxid */
	ZAB_M_DIFF = 5,	    /* sync: proposals after zxid follow */
	ZAB_M_TRUNC = 6,    /* sync: truncate the log to zxid, then DIFF */
	ZAB_M_SNAP = 7,	    /* sync: payload = leader's state at zxid */
	/* DIFF/TRUNC/SNAP carry arg = the leader's commit point */
	ZAB_M_PROPOSAL = 8,   /* zxid + txn payload */
	ZAB_M_COMMIT = 9,     /* commit everything up to zxid (cumulative) */
	ZAB_M_NEWLEADER = 10, /* end of sync; learner history == leader's up
				 to zxid; epoch becomes current */
	ZAB_M_ACK = 11,	      /* learner → leader: log durable up to zxid */
	ZAB_M_UPTODATE = 12,  /* leader established; zxid = commit point */
	ZAB_M_INFORM = 13,    /* observer stream: committed zxid + payload */
	ZAB_M_PING = 14,      /* heartbeat both ways; zxid = commit point */
	ZAB_M_REQUEST = 15,   /* follower → leader forwarded write (payload);
				 never fed to zab_step: the caller preps it */
};
#define ZAB_M_MAX ZAB_M_REQUEST

#define ZAB_EPOCH_NONE UINT32_MAX

/* A vote (FLE "Notification"). */
struct zab_vote {
	uint32_t leader;     /* proposed leader's server id */
	uint32_t peer_epoch; /* proposed leader's currentEpoch */
	uint64_t zxid;	     /* proposed leader's last zxid */
	uint64_t round;	     /* election epoch (logical clock) */
	uint8_t state;	     /* sender's enum zab_role */
};

/*
 * One message.  from/to are server ids.  epoch is the epoch the message
 * belongs to (the leader's new epoch for everything after NEWEPOCH); a
 * learner ignores leader messages from another epoch or another server.
 * payload is a view: on output it points into zab's history window (valid
 * until zab_advance()); on input (zab_step) it is borrowed for the call,
 * except a SNAP payload, which must stay valid until the Ready carrying the
 * SNAPSHOT log op has been advanced.
 */
struct zab_msg {
	uint8_t type; /* enum zab_msg_type */
	uint32_t from;
	uint32_t to;
	uint32_t epoch;
	uint64_t zxid;
	uint64_t arg;
	struct zab_vote vote; /* VOTE and NEWEPOCH only */
	struct proto_view payload;
};

/* Encoding (jute, big-endian): int version, int type, int from, int to,
 * int epoch, long zxid, long arg, [VOTE, NEWEPOCH: int leader, int peerEpoch,
 * long zxid, long round, int state], [PROPOSAL/INFORM/SNAP/REQUEST: buffer]. */
#define ZAB_MSG_VERSION 1
#define ZAB_MSG_HDR_MAX 96

/* Encode m into w (proto_wbuf semantics: 0 or -ENOSPC, w->len = size
 * needed).  A SNAP message is encoded with whatever m->payload holds. */
int zab_msg_encode(struct proto_wbuf *w, const struct zab_msg *m);
/* Decode exactly len bytes at p.  0, or -EBADMSG (truncated, trailing
 * bytes, unknown version/type, bad state); m->payload points into p. */
int zab_msg_decode(const void *p, size_t len, struct zab_msg *m);
const char *zab_msg_type_name(int type);
const char *zab_role_name(int role);

/* One log operation in a Ready. */
enum zab_logop_kind {
	ZAB_LOG_APPEND = 1,   /* append (zxid, payload); async */
	ZAB_LOG_TRUNCATE = 2, /* barrier: drop entries > zxid */
	ZAB_LOG_SNAPSHOT = 3, /* barrier: install payload as state at zxid,
				 log becomes empty after zxid */
};

struct zab_logop {
	uint8_t kind;
	uint64_t zxid;
	struct proto_view payload;
};

/* A committed txn to apply. */
struct zab_entry {
	uint64_t zxid;
	struct proto_view payload;
};

/* One batch of outputs.  Arrays are owned by zab and valid until
 * zab_advance(). */
struct zab_ready {
	bool hard_state; /* persist the two epochs (synchronously) */
	uint32_t accepted_epoch;
	uint32_t current_epoch;
	const struct zab_logop *log_ops;
	size_t n_log_ops;
	const struct zab_entry *commits;
	size_t n_commits;
	const struct zab_msg *msgs;
	size_t n_msgs;
	bool role_changed; /* role/leader/epoch below differ from last batch */
	uint8_t role;
	uint32_t leader; /* 0: unknown */
	uint32_t epoch;
};

struct zab_member {
	uint32_t id; /* server id, != 0 */
	bool observer;
};

struct zab_config {
	uint32_t self; /* my server id */
	uint32_t n_members;
	struct zab_member members[ZAB_MAX_PEERS]; /* includes self */
	/* Timers, in ticks. */
	uint32_t election_ticks;     /* first FLE resend timeout (doubles) */
	uint32_t election_max_ticks; /* FLE resend timeout cap */
	uint32_t finalize_ticks;     /* FLE finalize wait */
	uint32_t init_limit;	     /* discovery + sync must finish within */
	uint32_t sync_limit;	     /* silence before giving up a link */
	uint32_t ping_ticks;	     /* heartbeat period */
	/* Memory, fixed at zab_new(). */
	uint32_t hist_entries;	/* history window: entries */
	uint32_t hist_bytes;	/* history window: payload bytes */
	uint32_t max_inflight;	/* leader: uncommitted proposals */
	uint32_t max_payload;	/* largest txn */
	uint32_t ready_msgs;	/* messages per Ready */
	uint32_t ready_log_ops; /* log ops per Ready */
	uint32_t ready_commits; /* commits per Ready */
};

/* Fill cfg with defaults (timers for a 10 ms tick; 4096-entry/16 MiB
 * window); the caller then sets self and members. */
void zab_config_default(struct zab_config *cfg);

/* What survived on disk.  accepted/current epochs from the hard state file,
 * snap_zxid: the zxid of the state the caller restored (its snapshot plus
 * any log it replayed knowing it committed).  Log entries after snap_zxid
 * are then fed with zab_load() in order. */
struct zab_persist {
	uint32_t accepted_epoch;
	uint32_t current_epoch;
	uint64_t snap_zxid;
};

struct zab;

/* Allocate a state machine (all memory is allocated here).  NULL with
 * errno EINVAL (bad config: self not a member, duplicate ids, zero sizes)
 * or ENOMEM.  The node starts LOOKING. */
struct zab *zab_new(const struct zab_config *cfg, const struct zab_persist *p);
void zab_free(struct zab *z);

/* Recovery: feed the durable log after snap_zxid, in order, before the
 * first tick.  0, -EINVAL (zxid not increasing), -ENOSPC (window full:
 * snapshot more often or grow the window), -EMSGSIZE. */
int zab_load(struct zab *z, uint64_t zxid, struct proto_view payload);

/* A message received from m->from.  0; -EINVAL (unknown sender, wrong
 * recipient, REQUEST); -EBUSY (between ready and advance).  Protocol
 * violations are counted and handled (usually: go LOOKING), not returned. */
int zab_step(struct zab *z, const struct zab_msg *m);
/* One timer tick. */
int zab_tick(struct zab *z);
/* The log is durable up to zxid (in log order; see the Ready contract). */
int zab_durable(struct zab *z, uint64_t zxid);
/* The FIFO link to peer broke: messages in flight on it were lost.  Must
 * be reported before any message of the link's next connection is
 * stepped. */
int zab_link_down(struct zab *z, uint32_t peer);

/* Leader: propose a txn; on success *zxid is the zxid assigned (the caller
 * builds the txn with it: call zab_next_zxid() first).  -ZAB_ENOTLEADER
 * (forward to zab_leader()), -EAGAIN (leading but not established),
 * -ENOBUFS (too many in flight or window full: back off), -EMSGSIZE,
 * -EOVERFLOW (counter exhausted: stepping down for a new epoch), -EBUSY. */
int zab_propose(struct zab *z, struct proto_view payload, uint64_t *zxid);
/* The zxid the next zab_propose() will assign, or 0 when not accepting. */
uint64_t zab_next_zxid(const struct zab *z);
/* Who to forward a write to: the leader's id when following or observing
 * in broadcast (the caller sends ZAB_M_REQUEST itself), else -EAGAIN. */
int zab_forward_target(const struct zab *z);

/* Next batch: true and *rd filled when there is something to do. */
bool zab_ready(struct zab *z, struct zab_ready *rd);
/* The batch returned by zab_ready() was processed (see the contract). */
void zab_advance(struct zab *z);

struct zab_status {
	uint8_t role;
	uint8_t phase;
	bool established; /* leader: NEWLEADER acked by a quorum */
	uint32_t leader;
	uint32_t epoch; /* epoch being established or served (0: none) */
	uint32_t accepted_epoch;
	uint32_t current_epoch;
	uint64_t last_zxid;
	uint64_t durable_zxid;
	uint64_t commit_zxid;
	uint64_t applied_zxid;
	uint64_t round;
	struct zab_vote vote;
};
void zab_status(const struct zab *z, struct zab_status *st);

/* Counters (read-only; reset never). */
struct zab_stats {
	uint64_t elections;
	uint64_t proto_errors; /* unexpected message for the phase/epoch */
	uint64_t stepdowns;
	uint64_t syncs_diff;
	uint64_t syncs_trunc;
	uint64_t syncs_snap;
	uint64_t window_full;
	uint64_t proposals;
	uint64_t commits;
};
void zab_stats(const struct zab *z, struct zab_stats *s);

/* ---- building blocks, exposed for tests and tools ---- */

/* FLE total order: is (new) a better leader than (cur)?  Higher peer epoch,
 * then higher zxid, then higher server id. */
bool zab_vote_better(uint32_t new_id, uint64_t new_zxid, uint32_t new_epoch,
		     uint32_t cur_id, uint64_t cur_zxid, uint32_t cur_epoch);

/* Sync decision for a learner whose last zxid is peer_last, given the
 * leader's history: entries hist[0..n) (ascending) after base (everything
 * <= base is in the leader's state but no longer in the window), last
 * committed zxid commit.  Returns ZAB_M_DIFF, ZAB_M_TRUNC or ZAB_M_SNAP and
 * *from: the zxid after which proposals are streamed (and, for TRUNC, the
 * zxid to truncate to; for SNAP, the snapshot's zxid = commit). */
int zab_sync_choose(uint64_t peer_last, const uint64_t *hist, size_t n,
		    uint64_t base, uint64_t commit, uint64_t *from);

/* Quorum: the largest zxid acked by at least q of the n values. */
uint64_t zab_quorum_zxid(const uint64_t *acked, size_t n, size_t q);

#ifdef __cplusplus
}
#endif

#endif /* DPZK_ZAB_H */
