/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-log snapshots, the snapshot pipe, retention (purge) and the Zab
 * epoch files.
 *
 * Why it is built this way: a snapshot of a multi-GiB tree must not need a
 * second copy in memory, so the body streams through a 1 MiB buffer into a
 * temp file while its CRC32C is computed on the way; the header with the
 * CRC is written last, then fsync, rename, fsync of the directory, so a
 * crash leaves either the old set of snapshots or the new one, never a
 * half-written file under a final name.  Writeback is started every 64 MiB
 * (sync_file_range) so dirty memory stays bounded and the final fsync is
 * short.  Nothing here touches the log handle's fast-path state: these
 * calls run on the mgmt thread.  The pipe lets the polling core hand over
 * serialized slices of at most NLOG_SNAP_SLICE bytes without blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvme-log/nlog_priv.h"

#define SNAP_BUF       (1u << 20)
#define SNAP_WRITEBACK (64ull << 20)

struct nlog_snap {
	char dir[PATH_MAX];
	char tmp[PATH_MAX + 8];
	char path[PATH_MAX];
	int fd;
	int err;
	uint64_t zxid;
	uint64_t body_len;
	uint64_t since_wb;
	uint32_t crc;
	size_t used;
	uint8_t *buf;
};

static int
write_all(int fd, const void *p, size_t n, off_t off)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = pwrite(fd, b, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -ENOSPC;
		b += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

struct nlog_snap *
nlog_snap_begin(const char *dir, uint64_t zxid)
{
	struct nlog_snap *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->buf = malloc(SNAP_BUF);
	if (s->buf == NULL) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	nlog_snap_path(s->path, sizeof(s->path), dir, zxid);
	snprintf(s->tmp, sizeof(s->tmp), "%s.tmp", s->path);
	s->zxid = zxid;
	s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->fd < 0) {
		int e = errno;
		free(s->buf);
		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

static int
snap_drain(struct nlog_snap *s)
{
	int rc;

	if (s->used == 0)
		return 0;
	rc = write_all(s->fd, s->buf, s->used,
		       (off_t)(NLOG_SNAP_HDR_LEN + s->body_len - s->used));
	s->used = 0;
	if (rc != 0)
		return rc;
	if (s->since_wb >= SNAP_WRITEBACK) {
		sync_file_range(s->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		s->since_wb = 0;
	}
	return 0;
}

int
nlog_snap_write(struct nlog_snap *s, const void *p, size_t len)
{
	const uint8_t *b = p;

	if (s->err)
		return s->err;
	s->crc = nlog_crc32c(p, len, s->crc);
	while (len > 0) {
		size_t n = SNAP_BUF - s->used;
		if (n > len)
			n = len;
		memcpy(s->buf + s->used, b, n);
		s->used += n;
		s->body_len += n;
		s->since_wb += n;
		b += n;
		len -= n;
		if (s->used == SNAP_BUF) {
			int rc = snap_drain(s);
			if (rc != 0)
				return s->err = rc;
		}
	}
	return 0;
}

static void
snap_free(struct nlog_snap *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s);
}

void
nlog_snap_abort(struct nlog_snap *s)
{
	if (s == NULL)
		return;
	unlink(s->tmp);
	snap_free(s);
}

int
nlog_snap_commit(struct nlog_snap *s)
{
	struct nlog_snap_hdr h;
	int rc = s->err;

	if (rc == 0)
		rc = snap_drain(s);
	if (rc == 0) {
		memset(&h, 0, sizeof(h));
		h.magic = NLOG_SNAP_MAGIC;
		h.version = NLOG_SNAP_VERSION;
		h.zxid = s->zxid;
		h.body_len = s->body_len;
		h.body_crc = s->crc;
		h.created_ms = nlog_now_ms();
		nlog_snap_hdr_seal(&h);
		rc = write_all(s->fd, &h, sizeof(h), 0);
	}
	if (rc == 0 && fsync(s->fd) != 0)
		rc = -errno;
	if (rc == 0 && rename(s->tmp, s->path) != 0)
		rc = -errno;
	if (rc == 0)
		rc = nlog_fsync_dir(s->dir);
	if (rc != 0) {
		nlog_snap_abort(s);
		return rc;
	}
	snap_free(s);
	return 0;
}

static int
save_write(void *ctx, const void *p, size_t len)
{
	return nlog_snap_write(ctx, p, len);
}

int
nlog_snap_save(const char *dir, uint64_t zxid, nlog_serialize_fn *fn, void *arg)
{
	struct nlog_snap *s = nlog_snap_begin(dir, zxid);
	int rc;

	if (s == NULL)
		return -errno;
	rc = fn(arg, save_write, s);
	if (rc != 0) {
		nlog_snap_abort(s);
		return rc;
	}
	return nlog_snap_commit(s);
}

int
nlog_snap_inspect(const char *path, bool verify, struct nlog_snap_info *info)
{
	struct nlog_snap_hdr h;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	memset(info, 0, sizeof(*info));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	r = pread(fd, &h, sizeof(h), 0);
	if (r == (ssize_t)sizeof(h)) {
		info->version = h.version;
		info->zxid = h.zxid;
		info->body_len = h.body_len;
		info->body_crc = h.body_crc;
		info->created_ms = h.created_ms;
		info->header_ok =
			nlog_snap_hdr_check(&h) &&
			(uint64_t)st.st_size == NLOG_SNAP_HDR_LEN + h.body_len;
	}
	if (info->header_ok && verify) {
		uint8_t *buf = malloc(SNAP_BUF);
		uint64_t left = h.body_len, off = NLOG_SNAP_HDR_LEN;
		uint32_t crc = 0;

		if (buf == NULL) {
			close(fd);
			return -ENOMEM;
		}
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		while (left > 0) {
			size_t n = left < SNAP_BUF ? (size_t)left : SNAP_BUF;
			r = pread(fd, buf, n, (off_t)off);
			if (r <= 0)
				break;
			crc = nlog_crc32c(buf, (size_t)r, crc);
			left -= (uint64_t)r;
			off += (uint64_t)r;
		}
		free(buf);
		info->body_ok = left == 0 && crc == h.body_crc;
	}
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Snapshot pipe (SPSC)                                                */
/* ------------------------------------------------------------------ */

struct nlog_snap_pipe {
	uint8_t *buf;
	size_t cap;
	_Alignas(64) atomic_size_t head; /* bytes pushed (producer) */
	_Alignas(64) atomic_size_t tail; /* bytes drained (consumer) */
	atomic_bool closed;
};

struct nlog_snap_pipe *
nlog_snap_pipe_create(size_t cap)
{
	struct nlog_snap_pipe *p;

	if (cap < NLOG_SNAP_SLICE)
		cap = NLOG_SNAP_SLICE;
	p = aligned_alloc(64, sizeof(*p));
	if (p == NULL)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->buf = malloc(cap);
	if (p->buf == NULL) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->cap = cap;
	atomic_init(&p->head, 0);
	atomic_init(&p->tail, 0);
	atomic_init(&p->closed, false);
	return p;
}

size_t
nlog_snap_pipe_push(struct nlog_snap_pipe *p, const void *data, size_t len)
{
	size_t head = atomic_load_explicit(&p->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&p->tail, memory_order_acquire);
	size_t n = p->cap - (head - tail), at = head % p->cap, first;

	if (n > len)
		n = len;
	if (n > NLOG_SNAP_SLICE)
		n = NLOG_SNAP_SLICE;
	first = p->cap - at < n ? p->cap - at : n;
	memcpy(p->buf + at, data, first);
	memcpy(p->buf, (const uint8_t *)data + first, n - first);
	atomic_store_explicit(&p->head, head + n, memory_order_release);
	return n;
}

void
nlog_snap_pipe_close_write(struct nlog_snap_pipe *p)
{
	atomic_store_explicit(&p->closed, true, memory_order_release);
}

ssize_t
nlog_snap_pipe_drain(struct nlog_snap_pipe *p, struct nlog_snap *s)
{
	size_t tail = atomic_load_explicit(&p->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&p->head, memory_order_acquire);
	size_t n = head - tail, at = tail % p->cap;
	size_t first = p->cap - at < n ? p->cap - at : n;
	int rc;

	if (n == 0)
		return 0;
	rc = nlog_snap_write(s, p->buf + at, first);
	if (rc == 0 && n > first)
		rc = nlog_snap_write(s, p->buf, n - first);
	if (rc != 0)
		return rc;
	atomic_store_explicit(&p->tail, head, memory_order_release);
	return (ssize_t)n;
}

bool
nlog_snap_pipe_done(struct nlog_snap_pipe *p)
{
	bool closed = atomic_load_explicit(&p->closed, memory_order_acquire);

	return closed && atomic_load(&p->head) == atomic_load(&p->tail);
}

void
nlog_snap_pipe_free(struct nlog_snap_pipe *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Retention                                                           */
/* ------------------------------------------------------------------ */

/* zxid of the first valid record of a segment, 0 if none. */
static uint64_t
seg_first_zxid(const char *path)
{
	struct nlog_map m;
	struct nlog_seg_scan s;
	const struct nlog_seg_hdr *h;
	uint64_t z = 0;

	if (nlog_map_open(path, &m) != 0)
		return 0;
	if (m.size > NLOG_SEG_HDR_LEN + NLOG_REC_HDR) {
		const struct nlog_rec_hdr *r =
			(const void *)(m.base + NLOG_SEG_HDR_LEN);
		h = (const void *)m.base;
		memset(&s, 0, sizeof(s));
		if (nlog_seg_hdr_check(h, m.size) && r->zxid != 0 &&
		    r->len <= m.size - NLOG_SEG_HDR_LEN - NLOG_REC_HDR &&
		    nlog_rec_check(r, (const uint8_t *)r + NLOG_REC_HDR))
			z = r->zxid;
	}
	nlog_map_close(&m);
	return z;
}

int
nlog_purge(struct nlog *l, unsigned int keep)
{
	const char *dir = nlog_dir(l);
	uint64_t *snaps = NULL, *segs = NULL, keep_zxid = 0;
	size_t nsnap = 0, nseg = 0, valid = 0;
	char path[PATH_MAX];
	int deleted = 0, rc;

	if (keep == 0)
		keep = nlog_retain(l);
	pthread_mutex_lock(nlog_admin_mutex(l));
	rc = nlog_list(dir, "snapshot", &snaps, &nsnap);
	if (rc != 0)
		goto out;
	for (size_t i = nsnap; i-- > 0;) {
		struct nlog_snap_info info;
		nlog_snap_path(path, sizeof(path), dir, snaps[i]);
		if (valid >= keep) {
			if (unlink(path) == 0)
				deleted++;
			continue;
		}
		if (nlog_snap_inspect(path, false, &info) == 0 &&
		    info.header_ok) {
			valid++;
			keep_zxid = snaps[i];
		}
	}
	/* Segments wholly at or below the oldest kept snapshot: seg i goes
	 * when the next segment starts at or before keep_zxid + 1. */
	if (valid > 0) {
		rc = nlog_list(dir, "log", &segs, &nseg);
		if (rc != 0)
			goto out;
		for (size_t i = 0; i + 1 < nseg; i++) {
			uint64_t next;
			nlog_seg_path(path, sizeof(path), dir, segs[i + 1]);
			next = seg_first_zxid(path);
			if (next == 0 || next > keep_zxid + 1)
				break;
			nlog_seg_path(path, sizeof(path), dir, segs[i]);
			if (unlink(path) != 0) {
				rc = -errno;
				break;
			}
			deleted++;
		}
	}
	if (deleted > 0)
		nlog_fsync_dir(dir);
out:
	pthread_mutex_unlock(nlog_admin_mutex(l));
	free(snaps);
	free(segs);
	return rc < 0 ? rc : deleted;
}

/* ------------------------------------------------------------------ */
/* Epoch files                                                         */
/* ------------------------------------------------------------------ */

static const char *
epoch_name(enum nlog_epoch which)
{
	return which == NLOG_CURRENT_EPOCH ? "currentEpoch" : "acceptedEpoch";
}

int
nlog_epoch_get(const char *dir, enum nlog_epoch which, uint64_t *v)
{
	char path[PATH_MAX], buf[64], *end;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, epoch_name(which));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -EBADMSG;
	buf[r] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\0' && *end != '\n'))
		return -EBADMSG;
	return 0;
}

int
nlog_epoch_set(const char *dir, enum nlog_epoch which, uint64_t v)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], buf[32];
	int fd, rc, n;

	snprintf(path, sizeof(path), "%s/%s", dir, epoch_name(which));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, buf, (size_t)n, 0);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	return nlog_fsync_dir(dir);
}
