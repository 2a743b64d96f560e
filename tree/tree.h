/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/ — the ZooKeeper data model: znodes with full Stat, ACLs, sessions'
 * ephemerals, containers and TTL nodes, one-time and persistent watches,
 * the exactly-once reply record of every session, and a canonical snapshot
 * stream.  ZooKeeper splits a write in two and so does this module:
 *
 *   prep  (tree_prep*)  request -> txn, on the leader only.  Validates the
 *         request against the tree PLUS every txn prepped but not applied yet
 *         (ZooKeeper's outstandingChanges), checks ACLs and versions, picks
 *         the sequential name, and returns either a txn to propose or a
 *         ZooKeeper error with no state change.
 *   apply (tree_apply)  txn -> state, on every replica in zxid order.
 *         Deterministic (no clock, no ACL check, nothing decided) and
 *         idempotent: a txn that is already reflected in the tree (replay
 *         after a fuzzy snapshot, or applied twice) changes nothing.
 *
 * Reads (tree_read) never go through prep/apply.
 *
 * Threads: a struct tree belongs to one thread (the dataplane lcore); no
 * function here locks.  Callbacks must not call back into the same tree.
 *
 * Memory: znodes, names, data, ACLs, sessions and watch records come from an
 * arena of hugetlbfs pages (libhugetlbfs), or ordinary pages with
 * MADV_HUGEPAGE when no hugepages are reserved; tree_stats says which.
 * Hash tables grow incrementally (two tables, a few buckets moved per call),
 * so no call walks the whole tree; the only long jobs (snapshot, GC scan)
 * run in slices with a caller-given budget.
 *
 * Views: every struct proto_view this module hands out points into either
 * the caller's buffers (request, scratch) or the tree's arena.  A view into
 * the arena stays valid until the next call that changes the tree (apply,
 * load, destroy); encode it before that.
 *
 * Where this differs from ZooKeeper (on purpose or as a simplification):
 *  - one watch record per (session, path, data/child table) with one mode:
 *    a persistent mode replaces a standard one, the latest persistent mode
 *    wins (ZooKeeper 3.9 can hold several modes at once);
 *  - paths are validated (PathUtils) for every op, so a read of an invalid
 *    path is BADARGUMENTS, not NONODE; createContainer needs flag 4;
 *  - getAllChildrenNumber("/") does not count "/" itself;
 *  - no quotas (ZooKeeper does not enforce them by default) and no
 *    reconfig: /zookeeper/config is a read-only empty node;
 *  - the path hash uses a fixed seed (CRC32C): paths chosen to collide make
 *    chains long; clients are authenticated, so this is not defended.
 *
 * Error convention: int functions return 0 or -errno for *system* failures
 * (-ENOMEM arena exhausted, -ENOBUFS scratch too small, -EINVAL misuse).
 * ZooKeeper's client-visible result (enum proto_zerr) travels separately in
 * an int32_t *zerr out-parameter, 0 meaning success.
 */
#ifndef DPZK_TREE_H
#define DPZK_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tree;

/* Where the arena's memory came from. */
enum tree_arena_kind {
	TREE_ARENA_NONE = 0,	  /* nothing mapped yet */
	TREE_ARENA_HUGETLBFS = 1, /* every chunk from libhugetlbfs */
	TREE_ARENA_THP = 2,	  /* ordinary pages + madvise(MADV_HUGEPAGE) */
	TREE_ARENA_MIXED = 3,	  /* hugepages ran out part way */
};

/* What the arena may use. */
enum tree_arena_mode {
	TREE_ARENA_AUTO = 0,	  /* hugetlbfs, falling back to THP pages */
	TREE_ARENA_HUGE_ONLY = 1, /* hugetlbfs or fail with ENOMEM */
	TREE_ARENA_PAGES_ONLY = 2 /* never hugetlbfs */
};

/* "hugetlbfs", "thp", "mixed" or "none". */
const char *tree_arena_kind_name(int kind);

/*
 * A watch event for a session: called during tree_apply (before it
 * returns the reply, so events precede the reply of the same apply) and
 * during tree_read for setWatches replay.  ev->path is valid only during
 * the call.  zxid is the txn that fired it, or -1 for setWatches replay.
 * The callback must not call any tree_ function on the same tree.
 */
typedef void tree_event_fn(void *arg, int64_t session_id,
			   const struct proto_watcher_event *ev, int64_t zxid);

struct tree_opts {
	enum tree_arena_mode arena_mode;
	size_t arena_chunk;    /* bytes mapped at a time; 0 = 32 MiB.  Rounded
				* up to the hugepage size. */
	size_t arena_max;      /* cap on mapped bytes; 0 = no cap */
	size_t expected_nodes; /* sizes the path table up front so it never
				* has to grow (0 = start small) */
	bool ttl_enabled;      /* zookeeper.extendedTypesEnabled: createTTL
				* and the TTL modes (else UNIMPLEMENTED) */
	const char *super_digest;	 /* "super:<base64 sha1>" as in
					  * zookeeper.DigestAuthenticationProvider.
					  * superDigest, or NULL */
	int64_t container_never_used_ms; /* containers never given a child
					  * are deleted after this; 0 = never.
					  * ZooKeeper's default is 300000. */
	tree_event_fn *event_fn;	 /* may be NULL: events are dropped */
	void *event_arg;
};

/* Fill *o with the defaults (AUTO arena, TTL off, no super digest,
 * container_never_used_ms = 300000, no event callback). */
void tree_opts_default(struct tree_opts *o);

/* Creates a tree holding "/", "/zookeeper", "/zookeeper/quota" and
 * "/zookeeper/config" (zxid 0).  Returns NULL with errno = ENOMEM when the
 * arena cannot be mapped (or, with HUGE_ONLY, when no hugepages exist). */
struct tree *tree_create(const struct tree_opts *o);
/* Frees everything, unmaps the arena.  NULL is fine. */
void tree_destroy(struct tree *t);

/* Changes the event callback (e.g. after tree_create in tests). */
void tree_set_event_fn(struct tree *t, tree_event_fn *fn, void *arg);

struct tree_stats {
	int arena_kind;	       /* enum tree_arena_kind */
	uint64_t arena_mapped; /* bytes mapped for the arena */
	uint64_t arena_used;   /* bytes handed out (size-class rounded) */
	uint64_t hash_bytes;   /* path/watch/session hash tables (calloc) */
	uint64_t nodes;	       /* znodes, "/" and /zookeeper/... included */
	uint64_t watches;      /* watch registrations (path, session, kind) */
	uint64_t watched_paths;
	uint64_t ephemerals;
	uint64_t sessions;   /* sessions in the replicated table */
	uint64_t data_bytes; /* ZooKeeper's approximate_data_size: the sum
			      * of path and data lengths */
	uint64_t name_bytes; /* the sum of the last path components */
	uint64_t pending;    /* prepped, not applied changes */
	int64_t last_zxid;   /* highest zxid applied */
	uint64_t hugepages;  /* arena chunks from hugetlbfs */
	uint64_t thp_chunks; /* arena chunks from ordinary pages */
};
void tree_get_stats(const struct tree *t, struct tree_stats *s);

/*
 * The caller's view of the client behind a request: its session and the
 * auth ids of its connection ("digest"/"user:b64", "ip"/"10.1.2.3",
 * "super"/"" ...).  Auth ids are per connection and never replicated; the
 * caller owns the memory for the duration of the call.
 */
struct tree_client {
	int64_t session_id;
	int32_t n_ids;
	const struct proto_id *ids;
};

/*
 * Digest auth helper (DigestAuthenticationProvider): from "user:password"
 * writes "user:base64(sha1(user:password))" NUL-terminated into out.
 * Returns the id length, or -ENOSPC / -EINVAL (no ':' in the input).
 * *is_super (may be NULL) tells whether it equals the tree's super digest;
 * the caller then adds the id ("super", "") to the connection as well.
 */
int tree_auth_digest(const struct tree *t, const void *userpw, size_t len,
		     char *out, size_t cap, bool *is_super);

/* ------------------------------------------------------------------ */
/* prep                                                                */
/* ------------------------------------------------------------------ */

/*
 * Prepares the write `req` (create, create2, createContainer, createTTL,
 * delete, deleteContainer, setData, setACL, multi; check only inside a
 * multi; deleteContainer only with session 0, i.e. from tree_gc_scan's
 * caller: a client's gets UNIMPLEMENTED) from client c with the request's xid,
 * at the zxid and wall-clock time (ms) the caller chose.
 *
 * Results:
 *   0, *zerr == 0: *txn is a txn to log and propose.  A failed multi is a
 *      txn too (a MULTI of ERROR sub-txns, as ZooKeeper does): propose it,
 *      its apply replies with the per-op results.
 *   0, *zerr != 0: the request fails with that ZooKeeper code; no txn,
 *      nothing changed: reply at once with the error.
 *   -ENOBUFS: scratch too small; -ENOMEM: out of memory for the pending
 *      change records; -EINVAL: not a write opcode.  Nothing changed.
 *
 * *txn's views point into req's buffers and into scratch: both must live
 * until the txn is encoded.  Prep records the txn's effects as pending
 * changes (dropped when tree_apply reaches that zxid, or by
 * tree_prep_abort), so zxids given to prep must increase.
 */
int tree_prep(struct tree *t, const struct tree_client *c, int32_t xid,
	      const struct proto_request *req, int64_t zxid, int64_t time_ms,
	      struct proto_txn *txn, int32_t *zerr, struct proto_scratch *s);

/* createSession txn (no failure mode; passwd is 16 bytes, must live until
 * the txn is encoded). */
int tree_prep_create_session(struct tree *t, int64_t session_id,
			     int32_t timeout_ms, const uint8_t *passwd,
			     int64_t zxid, int64_t time_ms,
			     struct proto_txn *txn);

/* closeSession txn for an expired or closing session (xid: the client's
 * closeSession xid, or 0 for expiry).  Marks the session closing: later
 * ephemeral creates for it get SESSIONEXPIRED.  Records the deletion of
 * its ephemerals as pending changes.  -ENOMEM as tree_prep. */
int tree_prep_close_session(struct tree *t, int64_t session_id, int32_t xid,
			    int64_t zxid, int64_t time_ms,
			    struct proto_txn *txn);

/* Drops every pending change (leadership lost: the proposals will not be
 * applied).  Always succeeds. */
void tree_prep_abort(struct tree *t);

/* ------------------------------------------------------------------ */
/* apply                                                               */
/* ------------------------------------------------------------------ */

/*
 * Applies a committed txn (decoded, or straight from tree_prep).  Fires the
 * watches it triggers through the event callback, records the reply as the
 * session's last (exactly-once), and fills *resp and *zerr with the reply for
 * the originating session (resp body only meaningful when *zerr == 0).
 *
 * Idempotent: a txn whose effect is already in the tree (per node: czxid,
 * mzxid, pzxid, the ACL's zxid; per session: the last applied zxid) leaves
 * it unchanged and fires nothing; its reply is then not meaningful.
 *
 * resp's views point into the txn's buffers, scratch (multi results) and
 * the arena.  Returns 0, -ENOBUFS (scratch too small for a multi's
 * results: the txn IS applied, only the reply is missing), -ENOMEM (arena
 * exhausted: the txn is NOT applied, the replica must stop), -EINVAL
 * (unknown txn type, nothing applied).
 */
int tree_apply(struct tree *t, const struct proto_txn *txn,
	       struct proto_response *resp, int32_t *zerr,
	       struct proto_scratch *s);

/* ------------------------------------------------------------------ */
/* reads and local (non-replicated) ops                                */
/* ------------------------------------------------------------------ */

/*
 * Serves exists, getData, getChildren, getChildren2, getACL,
 * getAllChildrenNumber, getEphemerals, multiRead, sync (replies the path;
 * the catching up is the caller's), addWatch, checkWatches, removeWatches,
 * setWatches and setWatches2, for client c.  Watches are registered for
 * c->session_id.  whoAmI, ping and auth are the caller's.
 *
 * Returns 0 with *zerr set (0 or a ZooKeeper code) and *resp filled when
 * *zerr == 0; -ENOBUFS (scratch), -ENOMEM (watch records), -EINVAL (not a
 * read opcode).  Views in *resp point into the arena and scratch.
 */
int tree_read(struct tree *t, const struct tree_client *c,
	      const struct proto_request *req, struct proto_response *resp,
	      int32_t *zerr, struct proto_scratch *s);

/*
 * Optional, for bursts of reads (DPDK's l3fwd style): a random znode lookup
 * is two dependent DRAM misses (hash bucket, then znode).  Calling
 * tree_prefetch(t, path, len, 0) for every request of a burst, then
 * tree_prefetch(..., 1) for every one, then serving them, overlaps those
 * misses across the burst.  Stage 0 prefetches the bucket; stage 1 reads it
 * (cached by then) and prefetches the znode.  Never changes anything.
 */
void tree_prefetch(struct tree *t, const void *path, size_t len, int stage);

/* Removes every watch of a session (connection closed or session gone).
 * Returns the number removed. */
size_t tree_watch_drop_session(struct tree *t, int64_t session_id);

/* ------------------------------------------------------------------ */
/* sessions and exactly-once                                           */
/* ------------------------------------------------------------------ */

/* Whether the replicated session table holds session_id (created by a
 * createSession txn and not closed). */
bool tree_session_exists(const struct tree *t, int64_t session_id);
/* The xid of the session's last applied write; 0 when none or unknown. */
int32_t tree_session_last_xid(const struct tree *t, int64_t session_id);

/* The timeout and 16-byte password of a session in the replicated table
 * (reconnects are checked against them).  0, or -ENOENT. */
int tree_session_get(const struct tree *t, int64_t session_id,
		     int32_t *timeout_ms, uint8_t passwd[PROTO_PASSWD_LEN]);

/* Calls fn for every session of the replicated table, in no order (e.g. to
 * rebuild the expiry tracker after loading a snapshot, or for "dump").
 * O(sessions): not for the fast path.  fn must not change the tree. */
typedef void tree_session_fn(void *arg, int64_t session_id, int32_t timeout_ms,
			     uint64_t n_ephemerals);
void tree_session_foreach(const struct tree *t, tree_session_fn *fn, void *arg);

/* The highest zxid applied: the zxid of every read reply. */
int64_t tree_last_zxid(const struct tree *t);

/*
 * The exactly-once record: when (session_id, xid) is the session's last
 * applied write, returns 0 and the original reply (its zxid, ZooKeeper err
 * and encoded reply body, borrowed from the arena until the next apply);
 * -ESTALE when xid is older than the last applied write (the reply is gone:
 * answer with an error); -ENOENT otherwise (not applied yet: process it).
 */
int tree_session_last_reply(const struct tree *t, int64_t session_id,
			    int32_t xid, int64_t *zxid, int32_t *zerr,
			    const uint8_t **body, size_t *body_len);

/* ------------------------------------------------------------------ */
/* background work in slices                                           */
/* ------------------------------------------------------------------ */

/* Moves up to `budget` hash buckets of any table being rehashed (an idle
 * loop may call it).  Returns 1 while a rehash is in progress, else 0. */
int tree_tick(struct tree *t, unsigned budget);

/*
 * Container and TTL cleanup, as ZooKeeper's ContainerManager: looks at up to
 * `budget` container/TTL nodes (resuming where the last call stopped,
 * wrapping around) and calls fn with the path of each one due for deletion
 * at `now_ms` (childless container whose cversion > 0, or never used for
 * container_never_used_ms; childless TTL node whose mtime + ttl < now).
 * The path is valid during the call only.  The caller then preps a
 * deleteContainer request (op 20) for it with session 0, which re-checks it
 * against pending changes.  Returns the number of paths reported.
 */
typedef void tree_gc_fn(void *arg, const char *path, size_t len);
int tree_gc_scan(struct tree *t, unsigned budget, int64_t now_ms,
		 tree_gc_fn *fn, void *arg);

/* ------------------------------------------------------------------ */
/* snapshot stream                                                     */
/* ------------------------------------------------------------------ */

/*
 * Serialization of the replicated state (znodes with data, ACL and stat,
 * sessions with their exactly-once record; never watches or pending
 * changes) as a byte stream.  Canonical: nodes in depth-first order with
 * children sorted bytewise, sessions sorted by id, so two replicas that
 * applied the same txns produce identical bytes.
 *
 * Resumable: tree_ser_step does about `budget` units of work per call (a
 * znode or session is one unit, plus one per 4 KiB of data and one per 8
 * children it sorts when it descends into a node); the tree may
 * be changed between calls (fuzzy snapshot: what changed meanwhile may or
 * may not be in the stream; replaying the txns from the zxid at
 * tree_ser_begin fixes it because apply is idempotent).  The write callback
 * gets the bytes in order (pieces of at most 64 KiB, or one whole data
 * buffer); it returns 0 or -errno, which aborts the step.
 */
typedef int tree_write_fn(void *arg, const void *p, size_t len);
struct tree_ser;

/* NULL + errno = ENOMEM.  The zxid the stream starts at is *zxid. */
struct tree_ser *tree_ser_begin(struct tree *t, int64_t *zxid);
/* 1: more to do; 0: finished (the whole stream has been written);
 * -errno: from fn, or -ENOMEM.  After 0 or an error, only tree_ser_end. */
int tree_ser_step(struct tree_ser *ser, unsigned budget, tree_write_fn *fn,
		  void *arg);
void tree_ser_end(struct tree_ser *ser);
/* The whole stream in one call. */
int tree_serialize(struct tree *t, tree_write_fn *fn, void *arg);

/*
 * Loading: into a fresh tree (as tree_create made it).  Feed the stream in
 * pieces of any size; tree_load_end checks it was complete.  Errors:
 * -EBADMSG (malformed, truncated, a node without its parent), -ENOMEM,
 * -EEXIST (the tree is not fresh).  After an error the tree must be
 * destroyed.
 */
struct tree_load;
struct tree_load *tree_load_begin(struct tree *t);
int tree_load_feed(struct tree_load *ld, const void *p, size_t len);
/* Returns 0 or an error; frees ld in both cases. */
int tree_load_end(struct tree_load *ld);

#ifdef __cplusplus
}
#endif

#endif /* DPZK_TREE_H */
