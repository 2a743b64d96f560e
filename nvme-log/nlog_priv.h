/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-log private declarations: the on-disk format (segment header, record
 * header, snapshot header), the hardware CRC32C, and the scanner shared by
 * recovery (nlog_open), truncation and the dpzk-log tool.
 *
 * Why one scanner: open, `dpzk-log verify` and `dpzk-log truncate` must
 * agree exactly on where the valid log ends and on what is a torn tail
 * versus corruption, so they all run nlog_walk().
 *
 * Writes never share a sector: each flush starts at the sector-aligned end
 * of the previous one (the sector is the O_DIRECT unit, `align` in the
 * segment header, 512 or 4096) and is zero-padded to the next boundary, so
 * a torn write can damage only itself.  Every record carries `wpos`, the
 * start of the write it belongs to (in 512-byte units), which is how the
 * scanner tells a torn last write (valid records after the damage belong to
 * the same write) from corruption (a valid record from a LATER write sits
 * after the damage, so the damaged one had completed).
 */
#ifndef DPZK_NLOG_PRIV_H
#define DPZK_NLOG_PRIV_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvme-log/nlog.h"

#define NLOG_SEG_MAGIC	  0x31474f4c4b5a5044ull /* "DPZKLOG1" */
#define NLOG_SNAP_MAGIC	  0x31504e534b5a5044ull /* "DPZKSNP1" */
#define NLOG_SEG_VERSION  1u
#define NLOG_SNAP_VERSION 1u
#define NLOG_SEG_HDR_LEN  NLOG_BLOCK /* records start at 4096 */
#define NLOG_REC_HDR	  24u
#define NLOG_SNAP_HDR_LEN 64u
#define NLOG_WPOS_UNIT	  512u

/* Block 0 of a segment (rest of the block is zero). */
struct nlog_seg_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_crc; /* CRC32C of this struct with hdr_crc = 0 */
	uint64_t seq;
	uint64_t size;
	uint32_t align; /* write unit (sector) used in this segment */
	uint32_t reserved;
	int64_t created_ms;
};

/* Record header; the record is padded to 8 bytes, pad bytes zero. */
struct nlog_rec_hdr {
	uint32_t crc;  /* CRC32C of bytes [4, 24 + len) */
	uint32_t len;  /* payload bytes */
	uint64_t zxid; /* > 0, strictly increasing through the log */
	int32_t type;  /* the txn's opcode for txn records */
	uint32_t wpos; /* start of this record's write, 512-byte units */
};

/* Snapshot file header (first 64 bytes; the body follows). */
struct nlog_snap_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_crc; /* CRC32C of this struct with hdr_crc = 0 */
	uint64_t zxid;
	uint64_t body_len;
	uint32_t body_crc;
	uint32_t reserved;
	int64_t created_ms;
	uint8_t pad[16];
};

_Static_assert(sizeof(struct nlog_rec_hdr) == NLOG_REC_HDR, "rec hdr");
_Static_assert(sizeof(struct nlog_snap_hdr) == NLOG_SNAP_HDR_LEN, "snap hdr");

/* CRC32C (Castagnoli) with the SSE4.2 crc32 instruction; standard
 * init/final inversion: nlog_crc32c("123456789") == 0xE3069283.  crc
 * chains: pass the previous result to continue. */
uint32_t nlog_crc32c(const void *p, size_t len, uint32_t crc);

static inline uint64_t
nlog_rec_size(uint32_t len)
{
	return ((uint64_t)NLOG_REC_HDR + len + 7u) & ~7ull;
}

/* Fill h (crc computed over h and payload). */
void nlog_rec_seal(struct nlog_rec_hdr *h, const void *payload);
bool nlog_rec_check(const struct nlog_rec_hdr *h, const void *payload);
void nlog_seg_hdr_seal(struct nlog_seg_hdr *h);
bool nlog_seg_hdr_check(const struct nlog_seg_hdr *h, uint64_t file_size);
void nlog_snap_hdr_seal(struct nlog_snap_hdr *h);
bool nlog_snap_hdr_check(const struct nlog_snap_hdr *h);

int64_t nlog_now_ms(void);

/* ---- file helpers ---- */
int nlog_fsync_dir(const char *dir);
/* Write zeros over [off, end) with pwrite and fdatasync. */
int nlog_zero_range(int fd, uint64_t off, uint64_t end);
/* Sorted numbers of files named `<prefix>.<16 hex>` exactly. */
int nlog_list(const char *dir, const char *prefix, uint64_t **vals, size_t *n);
/* Remove leftover `*.tmp` files; returns how many. */
int nlog_remove_tmp(const char *dir);
void nlog_seg_path(char *buf, size_t len, const char *dir, uint64_t seq);
void nlog_snap_path(char *buf, size_t len, const char *dir, uint64_t zxid);

/* ---- scanning ---- */

/* One segment mapped read-only. */
struct nlog_map {
	int fd;
	const uint8_t *base;
	uint64_t size;
};
int nlog_map_open(const char *path, struct nlog_map *m);
void nlog_map_close(struct nlog_map *m);

typedef int nlog_scan_fn(void *arg, uint64_t off, const struct nlog_rec_hdr *h,
			 const uint8_t *payload);

/* Result of scanning one segment from its first record. */
struct nlog_seg_scan {
	uint64_t prev_zxid;  /* in: last zxid before; out: last valid */
	uint64_t first_zxid; /* 0: no record */
	uint64_t nrec;
	uint64_t end;	   /* after the last valid record */
	uint64_t stop;	   /* where scanning stopped (>= end) */
	bool bad;	   /* stopped on an invalid header/CRC/zxid */
	const char *why;   /* reason when bad */
	uint64_t bad_zxid; /* zxid field of the bad header (maybe junk) */
	/* After `stop`: */
	uint64_t nz_end;  /* end of the last non-zero byte (0 if none) */
	bool same_write;  /* valid records of the write holding `stop` */
	bool later_write; /* valid records of a LATER write: corruption */
	uint64_t later_off, later_zxid;
};
/* Scan the records of a mapped segment (align from its header), calling fn
 * for each valid one (fn may be NULL; a non-zero return stops the scan and
 * is returned).  Then examine everything after the stop point. */
int nlog_seg_scan(const uint8_t *base, uint64_t size, uint32_t align,
		  struct nlog_seg_scan *s, nlog_scan_fn *fn, void *arg);

struct nlog_seginfo {
	uint64_t seq;
	char path[PATH_MAX];
	uint64_t size;
	bool hdr_ok;
	uint32_t align;
	struct nlog_seg_scan scan;
};

enum nlog_walk_status {
	NLOG_WALK_CLEAN = 0,
	NLOG_WALK_TORN,
	NLOG_WALK_CORRUPT,
};

struct nlog_walk {
	struct nlog_seginfo *segs;
	size_t nseg;
	enum nlog_walk_status status;
	size_t tail;	    /* index of the segment holding the log's end */
	uint64_t tail_off;  /* offset of the end in it (after last valid) */
	uint64_t last_zxid; /* last valid record */
	uint64_t nrec;
	/* corruption: where and what */
	size_t bad_seg;
	uint64_t bad_off, bad_zxid;
	char msg[1024];
};

/* Scan every segment of dir (no callbacks) and classify the log.  0 or
 * -errno for I/O errors; the classification is in w (free with
 * nlog_walk_free). */
int nlog_walk(const char *dir, struct nlog_walk *w);
void nlog_walk_free(struct nlog_walk *w);
/* Call fn for every valid record of the walked log, in order, up to the
 * end found by nlog_walk (stops at corruption).  0, -errno, or fn's
 * non-zero value. */
int nlog_walk_replay(struct nlog_walk *w, nlog_scan_fn *fn, void *arg);
/* Make the log end right after the last record with zxid <= zxid: zero the
 * rest of that segment's data, delete every later segment.  Requires that
 * no corruption lies at or before that point (-EBADMSG otherwise).  Used
 * by recovery of a torn tail, nlog_truncate and `dpzk-log truncate`. */
int nlog_cut(const char *dir, struct nlog_walk *w, uint64_t zxid);

/* Probe the O_DIRECT unit of the filesystem holding dir: 512 or 4096. */
uint32_t nlog_probe_align(const char *dir);
/* Create segment `seq` durably (temp, fallocate, zero fill, header,
 * fdatasync, rename, fsync dir); returns an O_RDWR|O_DIRECT fd or -errno
 * (-ENOSPC when the disk is full). */
int nlog_seg_create(const char *dir, uint64_t seq, uint64_t size,
		    uint32_t align);

/* For snap.c: the handle's admin mutex (serialises purge and truncate) and
 * its configured snapshot retention. */
pthread_mutex_t *nlog_admin_mutex(struct nlog *l);
unsigned int nlog_retain(const struct nlog *l);

/* Test hook: the next `count` write completions are reported as short
 * (one sector), -EAGAIN, or -EIO. */
enum nlog_inject {
	NLOG_INJECT_NONE = 0,
	NLOG_INJECT_SHORT,
	NLOG_INJECT_EAGAIN,
	NLOG_INJECT_EIO,
	NLOG_INJECT_PLAIN_FDS, /* stop using registered files (call first) */
};
void nlog_inject(struct nlog *l, enum nlog_inject kind, unsigned int count);

#endif /* DPZK_NLOG_PRIV_H */
