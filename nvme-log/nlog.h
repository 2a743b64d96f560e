/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-log/ — the transaction log, snapshots on disk, recovery and the small
 * metadata files Zab needs (currentEpoch, acceptedEpoch).
 *
 * Why it is built this way: the log sits on the write path of every
 * replicated write, so appending must never block the polling core.  The
 * log is a series of preallocated, already-zeroed segment files written
 * with io_uring and O_DIRECT from two 4 KiB-aligned buffers (hugepages when
 * available): nlog_append() only copies a record into the filling buffer,
 * nlog_flush() submits everything appended since the last flush as ONE
 * write (group commit), and nlog_poll() peeks the completion queue and
 * reports the highest durable zxid.  At most one write is in flight, so
 * writes reach the disk in order and a crash can only tear the last one;
 * appends continue into the other buffer meanwhile (double buffering).
 * Durability is RWF_DSYNC per write (FUA where the device has it) or a
 * linked fdatasync; docs/OPERATIONS.md §10 records which one is measured
 * faster here and is the default.  Segments are made ahead of need by a
 * small background thread owned by the handle (fallocate + zero fill +
 * fsync + rename + fsync dir), so a durable write never needs a metadata
 * update and the polling core never creates files.
 *
 * On-disk format (little-endian, see nlog_priv.h and docs/OPERATIONS.md §10):
 * a segment is `log.<seq as 16 hex>`: one 4 KiB header block, then records
 * `{crc32c, len, zxid, type, batch}` + payload, padded to 8 bytes; a record
 * header never crosses a 4 KiB boundary; the CRC (hardware CRC32C) covers
 * the header and every payload byte, so a record torn across sectors is
 * detected.  A snapshot is `snapshot.<zxid as 16 hex>`: a 64-byte header
 * (format version, zxid, body length, body CRC32C) and the tree's opaque
 * serialization.  The body is never interpreted here (nvme-log/ does not
 * link tree/).
 *
 * Threads — who may call what:
 *   - The OWNER thread (the dataplane's polling core) holds the handle and is
 *     the only caller of: nlog_append*, nlog_flush, nlog_poll, nlog_wait,
 *     the getters, nlog_sync, nlog_truncate, nlog_close.  append/flush/poll
 * never block and make no syscall that can wait (io_uring submission, CQ
 * peeking, a non-blocking eventfd write to wake the segment thread on
 * roll-over). nlog_sync and nlog_truncate block: call them only outside the
 *     latency-critical loop (shutdown, Zab sync/TRUNC).
 *   - ANY thread (normally mgmt): nlog_snap_* (own file, no shared state
 *     with the owner except the immutable directory name), nlog_purge
 *     (serialised against nlog_truncate by a mutex inside the handle; it
 *     never deletes the segment being written), nlog_epoch_get/set,
 *     nlog_snap_pipe consumer calls.
 *   - The snapshot pipe is single-producer single-consumer: the polling core
 *     pushes bounded slices (nlog_snap_pipe_push copies at most
 *     NLOG_SNAP_SLICE bytes per call, never blocks), mgmt drains them into
 *     an nlog_snap.
 *   - nlog_open is called once, before the owner starts polling, from the
 *     thread that will own the handle (it blocks while it recovers).
 *
 * Errors: ints are 0 or -errno; constructors return NULL and set errno.
 * -EIO (or the original errno) from append/flush/poll is FATAL for
 * durability: the log is stuck, nothing after nlog_durable_zxid() is or will
 * become durable, and the server must stop acknowledging writes.
 */
#ifndef DPZK_NLOG_H
#define DPZK_NLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Durability of a flush.  DEFAULT resolves at open to the mode measured
 * faster (bench/log_bench.c; docs/OPERATIONS.md §10): DSYNC when the log's
 * block device has FUA, FDATASYNC when it does not (as on the test VMs). */
enum nlog_durability {
	NLOG_DUR_DEFAULT = 0,
	NLOG_DUR_DSYNC,	    /* each write with RWF_DSYNC (FUA when supported) */
	NLOG_DUR_FDATASYNC, /* write + linked IORING_OP_FSYNC(DATASYNC) */
	NLOG_DUR_NONE,	    /* NO durability: benchmarks of the network path
			     * only; printed loudly at open and by nlog_stats */
};

#define NLOG_DEFAULT_SEGMENT_SIZE (64ull << 20)
#define NLOG_DEFAULT_BUFFER_SIZE  (2u << 20)
#define NLOG_DEFAULT_RETAIN	  3u
#define NLOG_BLOCK		  4096u
/* Largest record payload: a buffer minus one block of tail prefix and the
 * record header. */
#define NLOG_MAX_PAYLOAD(bufsz) ((bufsz)-NLOG_BLOCK - 64u)

struct nlog_config {
	const char *dir;       /* data directory, created if absent */
	uint64_t segment_size; /* multiple of 4 KiB, >= 2 buffers + 4 KiB */
	uint32_t buffer_size;  /* each of the two write buffers, 4 KiB mult. */
	enum nlog_durability durability;
	bool sqpoll;	     /* IORING_SETUP_SQPOLL (a kernel thread polls
			      * the SQ; costs a core; measured) */
	unsigned int retain; /* snapshots kept by nlog_purge (default 3) */
	bool quiet;	     /* do not print recovery notes to stderr */
};

/* Fill *c with the defaults (dir left NULL). */
void nlog_config_default(struct nlog_config *c);
const char *nlog_durability_name(enum nlog_durability d);
/* "dsync", "fdatasync", "none", "default" → mode; -EINVAL otherwise. */
int nlog_durability_parse(const char *s, enum nlog_durability *d);

/*
 * Recovery callbacks, called from nlog_open in this order:
 *   snap_begin (once, only if a valid snapshot exists), snap_chunk (the
 *   body, in order, in pieces of any size), snap_end; then record once for
 *   every valid record with zxid > the snapshot's zxid, in zxid order.
 * The snapshot's CRC is verified over the whole body BEFORE snap_begin, so
 * a snapshot that fails the check is never fed (nlog_open falls back to
 * the previous one).  Views passed to the callbacks are valid only during
 * the call.  A non-zero return aborts nlog_open with that value.
 * Any callback may be NULL.
 */
typedef int nlog_snap_begin_fn(void *arg, uint64_t zxid, uint64_t body_len);
typedef int nlog_snap_chunk_fn(void *arg, const void *p, size_t len);
typedef int nlog_snap_end_fn(void *arg);
typedef int nlog_record_fn(void *arg, uint64_t zxid, int32_t type,
			   const void *payload, uint32_t len);

struct nlog_recover_ops {
	nlog_snap_begin_fn *snap_begin;
	nlog_snap_chunk_fn *snap_chunk;
	nlog_snap_end_fn *snap_end;
	nlog_record_fn *record;
	void *arg;
};

/* What nlog_open found.  msg is a human-readable summary (also printed to
 * stderr unless quiet); on refusal it names file, offset and zxid. */
struct nlog_report {
	uint64_t snap_zxid;	    /* 0: no snapshot used */
	unsigned int snaps_skipped; /* newer snapshots that failed the check */
	uint64_t last_zxid;	    /* last valid record (or snap_zxid) */
	uint64_t records;	    /* records passed to ops->record */
	unsigned int segments;	    /* segment files found */
	bool torn;		    /* a torn tail was truncated */
	uint64_t torn_offset;	    /* where (in torn_file) */
	char torn_file[256];
	char msg[1024];
};

struct nlog;

/*
 * Open (creating if needed) the log in c->dir and recover: newest snapshot
 * whose CRC verifies, then every valid record after it.  A torn tail is
 * truncated (zeroed) and reported.  Corruption before the tail, a missing
 * segment, or only corrupt snapshots with a purged log return NULL with
 * errno = EBADMSG (or EUCLEAN) and rep->msg naming the file, offset and
 * zxid; `dpzk-log` then inspects and truncates deliberately.  Other errno:
 * ENOMEM, EINVAL (config), ENOSPC (no room for the first segment), EBUSY
 * (another process has the directory open), or an I/O error.
 * rep may be NULL.  Blocking; call before the polling loop starts.
 */
struct nlog *nlog_open(const struct nlog_config *c,
		       const struct nlog_recover_ops *ops,
		       struct nlog_report *rep);

/* Append one record to the filling buffer (a copy; p is not kept).  zxid
 * must be greater than every zxid appended before.  Not durable until a
 * later nlog_poll says so.  Returns 0, or:
 *   -ENOBUFS  the filling buffer is full: nlog_flush, nlog_poll, retry;
 *   -EAGAIN   the segment is full and the next one is not ready yet: retry
 *             after nlog_poll (the segment thread is preparing it);
 *   -ENOSPC   the segment is full and the disk is full: appends fail until
 *             space returns (durable records stay readable);
 *   -EINVAL   zxid not increasing, or payload too large (NLOG_MAX_PAYLOAD);
 *   -EIO / other negative errno: the log has failed (fatal, sticky). */
int nlog_append(struct nlog *l, uint64_t zxid, int32_t type, const void *p,
		uint32_t len);

/* Zero-copy variant: reserve room for a payload of at most max_len bytes
 * and encode into the returned pointer, then nlog_append_commit with the
 * real length (<= max_len).  NULL with errno as nlog_append's codes.  Only
 * one reservation may be open; nothing else may be called in between. */
void *nlog_append_reserve(struct nlog *l, uint32_t max_len);
int nlog_append_commit(struct nlog *l, uint64_t zxid, int32_t type,
		       uint32_t len);

/* Submit everything appended since the last flush as one write.  If a
 * write is in flight, the flush is remembered and submitted by nlog_poll as
 * soon as that write completes.  Never blocks.  0, or a fatal -errno. */
int nlog_flush(struct nlog *l);

/* Reap completions without blocking; resubmit short writes, retry -EAGAIN,
 * submit a remembered flush.  Returns 1 when the durable zxid advanced
 * (stored in *durable if not NULL), 0 when not, or a fatal -errno. */
int nlog_poll(struct nlog *l, uint64_t *durable);

/* For an idle policy other than `spin` ONLY (DESIGN.md §3: adaptive,
 * interrupt): when the owner has nothing else to do, block until the
 * in-flight write has a completion to reap or timeout_us passes, then call
 * nlog_poll.  0 (something to reap, or nothing in flight), -ETIME, or a
 * fatal -errno.  Owner thread; never on a spinning polling core. */
int nlog_wait(struct nlog *l, unsigned int timeout_us);

uint64_t nlog_durable_zxid(const struct nlog *l); /* highest durable */
uint64_t nlog_last_zxid(const struct nlog *l);	  /* highest appended */
bool nlog_idle(const struct nlog *l); /* nothing buffered or in flight */
int nlog_error(const struct nlog *l); /* sticky fatal error or 0 */
const char *nlog_dir(const struct nlog *l);
enum nlog_durability nlog_durability(const struct nlog *l);

/* Blocking: flush and wait until everything appended is durable (tests,
 * shutdown, tools).  0 or -errno. */
int nlog_sync(struct nlog *l);

/* Zab TRUNC: remove every record with zxid > zxid (buffered ones too),
 * durably; snapshots newer than zxid are deleted as well (they would
 * resurrect the removed txns at the next start-up).  Blocking: waits for
 * the in-flight write; owner thread, outside the polling loop. */
int nlog_truncate(struct nlog *l, uint64_t zxid);

/* Blocking: wait for the in-flight write, stop the segment thread, free
 * everything.  Buffered records that were not flushed are lost (they were
 * never reported durable).  NULL is a no-op. */
void nlog_close(struct nlog *l);

struct nlog_stats {
	uint64_t appends, flushes, writes, bytes_written;
	uint64_t short_writes, eagain_retries, rolls, enobufs, enospc;
	uint32_t segment_seq; /* segment being written */
	uint64_t segment_off; /* next write position in it */
	bool hugepages;	      /* buffers are on hugepages */
	bool fixed_files;     /* registered files in use */
	bool fixed_bufs;      /* registered buffers in use */
	bool spare_ready;     /* the next segment is ready */
	bool iowq_moved;      /* io-wq workers kept off the polling CPU */
	enum nlog_durability durability;
};
void nlog_get_stats(const struct nlog *l, struct nlog_stats *s);

/* ------------------------------------------------------------------ */
/* Snapshots (any thread; normally mgmt)                               */
/* ------------------------------------------------------------------ */

/* Writing: begin(zxid) → write chunks → commit.  The body streams to
 * `snapshot.<zxid>.tmp` through a 1 MiB buffer (no second copy of the
 * tree); commit writes the header (version, zxid, length, CRC32C of the
 * body), fsyncs, renames to `snapshot.<zxid>` and fsyncs the directory.
 * Fuzzy: the zxid is the last zxid applied when serialization STARTED;
 * writes may continue meanwhile (recovery replays the log from that zxid,
 * apply is idempotent).  -ENOSPC from write/commit means the disk is full:
 * abort (removes the temp file) and retry later. */
struct nlog_snap;
struct nlog_snap *nlog_snap_begin(const char *dir, uint64_t zxid);
int nlog_snap_write(struct nlog_snap *s, const void *p, size_t len);
int nlog_snap_commit(struct nlog_snap *s); /* frees s, success or not */
void nlog_snap_abort(struct nlog_snap *s); /* frees s, removes the temp */

/* Callback form: the tree's serializer calls write(ctx, p, len) for every
 * chunk; nlog_snap_save wraps begin/commit around serialize(). */
typedef int nlog_write_fn(void *ctx, const void *p, size_t len);
typedef int nlog_serialize_fn(void *arg, nlog_write_fn *write, void *ctx);
int nlog_snap_save(const char *dir, uint64_t zxid, nlog_serialize_fn *fn,
		   void *arg);

/* Header of a snapshot file, as read by nlog_snap_inspect. */
struct nlog_snap_info {
	uint32_t version;
	uint64_t zxid;
	uint64_t body_len;
	uint32_t body_crc;  /* stored */
	bool header_ok;	    /* magic, version, header CRC, file size */
	bool body_ok;	    /* the body's CRC32C matches (if verify) */
	int64_t created_ms; /* wall clock at commit */
};
/* Read the header (and verify the body's CRC if verify) of a snapshot
 * file.  0 (see info->header_ok/body_ok) or -errno from open/read. */
int nlog_snap_inspect(const char *path, bool verify,
		      struct nlog_snap_info *info);

/* Snapshot pipe: SPSC byte ring so the polling core can hand serialized
 * slices to mgmt without blocking.  push copies min(len, free space,
 * NLOG_SNAP_SLICE) bytes and returns the count (0: full, try later).
 * drain (mgmt) writes everything available into s; returns bytes written,
 * or -errno from nlog_snap_write.  close_write marks the end; done is true
 * once closed and empty. */
#define NLOG_SNAP_SLICE (64u << 10)
struct nlog_snap_pipe;
struct nlog_snap_pipe *nlog_snap_pipe_create(size_t cap);
size_t nlog_snap_pipe_push(struct nlog_snap_pipe *p, const void *data,
			   size_t len);
void nlog_snap_pipe_close_write(struct nlog_snap_pipe *p);
ssize_t nlog_snap_pipe_drain(struct nlog_snap_pipe *p, struct nlog_snap *s);
bool nlog_snap_pipe_done(struct nlog_snap_pipe *p);
void nlog_snap_pipe_free(struct nlog_snap_pipe *p);

/* Retention: keep the newest `keep` snapshots whose header checks (0: the
 * handle's configured retain) and the segments needed to replay from the
 * oldest of them; delete older snapshots and segments.  Never deletes the
 * segment being written.  Blocking (unlink + fsync dir); any thread.
 * Returns the number of files deleted or -errno. */
int nlog_purge(struct nlog *l, unsigned int keep);

/* ------------------------------------------------------------------ */
/* Zab metadata files (any thread; blocking)                           */
/* ------------------------------------------------------------------ */

enum nlog_epoch {
	NLOG_CURRENT_EPOCH,  /* file `currentEpoch` */
	NLOG_ACCEPTED_EPOCH, /* file `acceptedEpoch` */
};
/* -ENOENT when the file does not exist yet, -EBADMSG when unparsable. */
int nlog_epoch_get(const char *dir, enum nlog_epoch which, uint64_t *v);
/* Durable replace: temp file, fsync, rename, fsync dir. */
int nlog_epoch_set(const char *dir, enum nlog_epoch which, uint64_t v);

#ifdef __cplusplus
}
#endif

#endif /* DPZK_NLOG_H */
