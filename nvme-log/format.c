/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-log on-disk format and the scanner every reader shares.
 *
 * Why it is built this way: recovery, `dpzk-log verify` and `dpzk-log
 * truncate` must draw the line between "torn tail" (truncate and go on) and
 * "corruption" (refuse to start) identically, so the decision lives here
 * once.  Segments are mapped read-only and scanned record by record; after
 * the last valid record the rest of the segment (and every later segment)
 * is examined for valid records too, because a damaged record followed by
 * a valid record of a LATER write means committed data would be lost by
 * truncating — that is corruption, never a torn tail.  Writes never share
 * a sector (see nlog_priv.h), so the `wpos` of a record says exactly which
 * write it came from.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nmmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nvme-log/nlog_priv.h"

uint32_t
nlog_crc32c(const void *p, size_t len, uint32_t crc)
{
	const uint8_t *b = p;
	uint64_t c = ~crc & 0xffffffffu;

	while (len >= 8) {
		uint64_t v;
		memcpy(&v, b, 8);
		c = _mm_crc32_u64(c, v);
		b += 8;
		len -= 8;
	}
	while (len > 0) {
		c = _mm_crc32_u8((uint32_t)c, *b++);
		len--;
	}
	return ~(uint32_t)c;
}

void
nlog_rec_seal(struct nlog_rec_hdr *h, const void *payload)
{
	uint32_t c = nlog_crc32c((const uint8_t *)h + 4, NLOG_REC_HDR - 4, 0);

	h->crc = nlog_crc32c(payload, h->len, c);
}

bool
nlog_rec_check(const struct nlog_rec_hdr *h, const void *payload)
{
	uint32_t c = nlog_crc32c((const uint8_t *)h + 4, NLOG_REC_HDR - 4, 0);

	return nlog_crc32c(payload, h->len, c) == h->crc;
}

void
nlog_seg_hdr_seal(struct nlog_seg_hdr *h)
{
	h->hdr_crc = 0;
	h->hdr_crc = nlog_crc32c(h, sizeof(*h), 0);
}

bool
nlog_seg_hdr_check(const struct nlog_seg_hdr *h, uint64_t file_size)
{
	struct nlog_seg_hdr c = *h;

	if (c.magic != NLOG_SEG_MAGIC || c.version != NLOG_SEG_VERSION)
		return false;
	c.hdr_crc = 0;
	if (nlog_crc32c(&c, sizeof(c), 0) != h->hdr_crc)
		return false;
	if (c.size != file_size || (c.align != 512 && c.align != 4096))
		return false;
	return true;
}

void
nlog_snap_hdr_seal(struct nlog_snap_hdr *h)
{
	h->hdr_crc = 0;
	h->hdr_crc = nlog_crc32c(h, sizeof(*h), 0);
}

bool
nlog_snap_hdr_check(const struct nlog_snap_hdr *h)
{
	struct nlog_snap_hdr c = *h;

	if (c.magic != NLOG_SNAP_MAGIC || c.version != NLOG_SNAP_VERSION)
		return false;
	c.hdr_crc = 0;
	return nlog_crc32c(&c, sizeof(c), 0) == h->hdr_crc;
}

int64_t
nlog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

int
nlog_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
nlog_zero_range(int fd, uint64_t off, uint64_t end)
{
	static const uint8_t zeros[65536];

	while (off < end) {
		size_t n = end - off > sizeof(zeros) ? sizeof(zeros)
						     : (size_t)(end - off);
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		off += (uint64_t)w;
	}
	if (fdatasync(fd) != 0)
		return -errno;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
nlog_list(const char *dir, const char *prefix, uint64_t **vals, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t plen = strlen(prefix), cap = 16, cnt = 0;
	uint64_t *v;

	*vals = NULL;
	*n = 0;
	if (d == NULL)
		return -errno;
	v = malloc(cap * sizeof(*v));
	if (v == NULL) {
		closedir(d);
		return -ENOMEM;
	}
	while ((e = readdir(d)) != NULL) {
		const char *s = e->d_name;
		char *endp;
		uint64_t x;

		if (strncmp(s, prefix, plen) != 0 || s[plen] != '.')
			continue;
		s += plen + 1;
		if (strlen(s) != 16)
			continue;
		errno = 0;
		x = strtoull(s, &endp, 16);
		if (errno != 0 || *endp != '\0')
			continue;
		if (cnt == cap) {
			uint64_t *nv = realloc(v, 2 * cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap *= 2;
		}
		v[cnt++] = x;
	}
	closedir(d);
	qsort(v, cnt, sizeof(*v), cmp_u64);
	*vals = v;
	*n = cnt;
	return 0;
}

int
nlog_remove_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int cnt = 0;

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".tmp") == 0 &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			cnt++;
	}
	closedir(d);
	if (cnt > 0)
		nlog_fsync_dir(dir);
	return cnt;
}

void
nlog_seg_path(char *buf, size_t len, const char *dir, uint64_t seq)
{
	snprintf(buf, len, "%s/log.%016" PRIx64, dir, seq);
}

void
nlog_snap_path(char *buf, size_t len, const char *dir, uint64_t zxid)
{
	snprintf(buf, len, "%s/snapshot.%016" PRIx64, dir, zxid);
}

int
nlog_map_open(const char *path, struct nlog_map *m)
{
	struct stat st;
	void *p;

	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	m->base = NULL;
	m->size = 0;
	if (m->fd < 0)
		return -errno;
	if (fstat(m->fd, &st) != 0) {
		int e = -errno;
		close(m->fd);
		return e;
	}
	m->size = (uint64_t)st.st_size;
	if (m->size == 0)
		return 0;
	p = mmap(NULL, m->size, PROT_READ, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED) {
		int e = -errno;
		close(m->fd);
		return e;
	}
	madvise(p, m->size, MADV_SEQUENTIAL);
	m->base = p;
	return 0;
}

void
nlog_map_close(struct nlog_map *m)
{
	if (m->base != NULL)
		munmap((void *)m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->base = NULL;
	m->fd = -1;
}

uint32_t
nlog_probe_align(const char *dir)
{
	char path[PATH_MAX];
	void *buf = NULL;
	uint32_t align = 4096;
	int fd;

	snprintf(path, sizeof(path), "%s/align-probe.tmp", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return align;
	if (posix_memalign(&buf, 4096, 4096) == 0) {
		memset(buf, 0, 4096);
		if (pwrite(fd, buf, 512, 512) == 512)
			align = 512;
		free(buf);
	}
	close(fd);
	unlink(path);
	return align;
}

int
nlog_seg_create(const char *dir, uint64_t seq, uint64_t size, uint32_t align)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	const size_t chunk = 1u << 20;
	struct nlog_seg_hdr *h;
	void *buf = NULL;
	uint64_t off;
	int fd, rc;

	nlog_seg_path(path, sizeof(path), dir, seq);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (posix_memalign(&buf, 4096, chunk) != 0)
		return -ENOMEM;
	memset(buf, 0, chunk);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		free(buf);
		return rc;
	}
	rc = fallocate(fd, 0, 0, (off_t)size) == 0 ? 0 : -errno;
	if (rc == -EOPNOTSUPP)
		rc = 0; /* the zero fill below allocates */
	/* Write the zeros so every extent is "written": a durable write later
	 * needs no metadata update (unwritten → written conversion). */
	for (off = NLOG_BLOCK; rc == 0 && off < size; off += chunk) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
		ssize_t w = pwrite(fd, buf, n, (off_t)off);
		if (w < 0)
			rc = -errno;
		else if ((size_t)w != n)
			rc = -ENOSPC;
	}
	if (rc == 0) {
		h = buf;
		h->magic = NLOG_SEG_MAGIC;
		h->version = NLOG_SEG_VERSION;
		h->seq = seq;
		h->size = size;
		h->align = align;
		h->reserved = 0;
		h->created_ms = nlog_now_ms();
		nlog_seg_hdr_seal(h);
		if (pwrite(fd, buf, NLOG_BLOCK, 0) != NLOG_BLOCK)
			rc = errno ? -errno : -EIO;
		memset(buf, 0, NLOG_BLOCK);
	}
	if (rc == 0 && fdatasync(fd) != 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc == 0)
		rc = nlog_fsync_dir(dir);
	free(buf);
	if (rc != 0) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* Scanning                                                            */
/* ------------------------------------------------------------------ */

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* A plausible and CRC-valid record header at off. */
static bool
rec_valid_at(const uint8_t *base, uint64_t size, uint64_t off,
	     const struct nlog_rec_hdr **hp)
{
	const struct nlog_rec_hdr *h = (const void *)(base + off);

	if (off + NLOG_REC_HDR > size || h->zxid == 0)
		return false;
	if (h->len > size - off - NLOG_REC_HDR)
		return false;
	if ((uint64_t)h->wpos * NLOG_WPOS_UNIT > off ||
	    (uint64_t)h->wpos * NLOG_WPOS_UNIT < NLOG_SEG_HDR_LEN)
		return false;
	if (!nlog_rec_check(h, base + off + NLOG_REC_HDR))
		return false;
	*hp = h;
	return true;
}

/* Everything after s->stop: last non-zero byte, valid records and which
 * write they belong to. */
static void
scan_after(const uint8_t *base, uint64_t size, struct nlog_seg_scan *s)
{
	uint64_t off = (s->stop + 7) & ~7ull;

	s->nz_end = 0;
	for (uint64_t o = s->stop; o < off && o < size; o++)
		if (base[o] != 0)
			s->nz_end = o + 1;
	while (off + 8 <= size) {
		const struct nlog_rec_hdr *h;
		uint64_t w;

		memcpy(&w, base + off, 8);
		if (w == 0) {
			off += 8;
			continue;
		}
		s->nz_end = off + 8;
		if (rec_valid_at(base, size, off, &h)) {
			uint64_t sz = nlog_rec_size(h->len);
			if ((uint64_t)h->wpos * NLOG_WPOS_UNIT <= s->stop) {
				s->same_write = true;
			} else if (!s->later_write) {
				s->later_write = true;
				s->later_off = off;
				s->later_zxid = h->zxid;
			}
			s->nz_end = off + sz;
			off += sz;
			continue;
		}
		off += 8;
	}
	for (; off < size; off++)
		if (base[off] != 0)
			s->nz_end = off + 1;
}

int
nlog_seg_scan(const uint8_t *base, uint64_t size, uint32_t align,
	      struct nlog_seg_scan *s, nlog_scan_fn *fn, void *arg)
{
	uint64_t pos = NLOG_SEG_HDR_LEN, prev = s->prev_zxid;
	int rc = 0;

	s->first_zxid = 0;
	s->nrec = 0;
	s->end = NLOG_SEG_HDR_LEN;
	s->bad = false;
	s->why = NULL;
	s->bad_zxid = 0;
	s->same_write = s->later_write = false;
	s->later_off = s->later_zxid = 0;
	for (;;) {
		const struct nlog_rec_hdr *h = (const void *)(base + pos);

		if (pos + NLOG_REC_HDR > size)
			break;
		uint64_t next = (pos / align + 1) * align;
		uint64_t look =
			next - pos < NLOG_REC_HDR ? next - pos : NLOG_REC_HDR;
		if (pos % align == 0 && all_zero(base + pos, NLOG_REC_HDR))
			break; /* end of data */
		if (pos % align != 0 && all_zero(base + pos, look)) {
			/* zero padding up to the end of this write's sector
			 * (the writer never starts a record 8 bytes before a
			 * 512-byte boundary, so 8 zero bytes there are
			 * padding, not a header with crc = len = 0) */
			if (next > size)
				next = size;
			if (!all_zero(base + pos, next - pos)) {
				s->bad = true;
				s->why = "non-zero bytes in write padding";
				break;
			}
			pos = next;
			continue;
		}
		if (h->len > size - pos - NLOG_REC_HDR)
			s->why = "record length runs past the segment end";
		else if (!nlog_rec_check(h, base + pos + NLOG_REC_HDR))
			s->why = "CRC mismatch";
		else if (h->zxid == 0)
			s->why = "zero zxid";
		else if (h->zxid <= prev)
			s->why = "zxid not greater than the previous record's";
		else if ((uint64_t)h->wpos * NLOG_WPOS_UNIT > pos ||
			 (uint64_t)h->wpos * NLOG_WPOS_UNIT < NLOG_SEG_HDR_LEN)
			s->why = "write position field inconsistent";
		if (s->why != NULL) {
			s->bad = true;
			s->bad_zxid = h->zxid;
			break;
		}
		if (fn != NULL) {
			rc = fn(arg, pos, h, base + pos + NLOG_REC_HDR);
			if (rc != 0)
				break;
		}
		if (s->nrec == 0)
			s->first_zxid = h->zxid;
		s->nrec++;
		prev = h->zxid;
		pos += nlog_rec_size(h->len);
		s->end = pos;
	}
	s->prev_zxid = prev;
	s->stop = pos < size ? pos : size;
	scan_after(base, size, s);
	return rc;
}

void
nlog_walk_free(struct nlog_walk *w)
{
	free(w->segs);
	w->segs = NULL;
	w->nseg = 0;
}

static int
map_seg(struct nlog_seginfo *si, struct nlog_map *m)
{
	const struct nlog_seg_hdr *h;
	int rc = nlog_map_open(si->path, m);

	if (rc != 0)
		return rc;
	si->size = m->size;
	si->hdr_ok = false;
	if (m->size >= NLOG_SEG_HDR_LEN) {
		h = (const void *)m->base;
		si->hdr_ok =
			nlog_seg_hdr_check(h, m->size) && h->seq == si->seq;
		si->align = si->hdr_ok ? h->align : 0;
	}
	return 0;
}

int
nlog_walk(const char *dir, struct nlog_walk *w)
{
	uint64_t *seqs = NULL, prev = 0;
	size_t n = 0, empty = SIZE_MAX;
	int rc;

	memset(w, 0, sizeof(*w));
	rc = nlog_list(dir, "log", &seqs, &n);
	if (rc != 0)
		return rc;
	w->segs = calloc(n ? n : 1, sizeof(*w->segs));
	if (w->segs == NULL) {
		free(seqs);
		return -ENOMEM;
	}
	w->nseg = n;
	w->tail_off = NLOG_SEG_HDR_LEN;
	for (size_t i = 0; i < n; i++) {
		w->segs[i].seq = seqs[i];
		nlog_seg_path(w->segs[i].path, sizeof(w->segs[i].path), dir,
			      seqs[i]);
	}
	free(seqs);
	for (size_t i = 0; i < n; i++) {
		struct nlog_seginfo *si = &w->segs[i];
		struct nlog_seg_scan *s = &si->scan;
		struct nlog_map m;

		if (i > 0 && si->seq != w->segs[i - 1].seq + 1) {
			w->status = NLOG_WALK_CORRUPT;
			w->bad_seg = i;
			snprintf(w->msg, sizeof(w->msg),
				 "segment(s) missing before %s (previous "
				 "segment is log.%016" PRIx64
				 ", last zxid 0x%" PRIx64 ")",
				 si->path, w->segs[i - 1].seq, prev);
			break;
		}
		rc = map_seg(si, &m);
		if (rc != 0)
			return rc;
		if (!si->hdr_ok) {
			nlog_map_close(&m);
			w->status = NLOG_WALK_CORRUPT;
			w->bad_seg = i;
			snprintf(w->msg, sizeof(w->msg),
				 "bad segment header in %s at offset 0 "
				 "(after zxid 0x%" PRIx64 ")",
				 si->path, prev);
			break;
		}
		s->prev_zxid = prev;
		nlog_seg_scan(m.base, m.size, si->align, s, NULL, NULL);
		nlog_map_close(&m);
		if (s->nrec > 0 && empty != SIZE_MAX) {
			w->status = NLOG_WALK_CORRUPT;
			w->bad_seg = empty;
			w->bad_off = NLOG_SEG_HDR_LEN;
			snprintf(w->msg, sizeof(w->msg),
				 "%s holds no records but the later %s does "
				 "(first zxid 0x%" PRIx64
				 "): lost writes after zxid 0x%" PRIx64,
				 w->segs[empty].path, si->path, s->first_zxid,
				 prev);
			break;
		}
		if (!s->bad && s->nz_end == 0 && !s->same_write &&
		    !s->later_write) {
			/* clean: ends in zeros */
			if (s->nrec > 0) {
				w->tail = i;
				w->tail_off = s->end;
				w->nrec += s->nrec;
			} else if (empty == SIZE_MAX) {
				empty = i;
			}
			prev = s->prev_zxid;
			continue;
		}
		/* Damaged at s->stop: only a torn LAST write may be cut. */
		w->nrec += s->nrec;
		prev = s->prev_zxid;
		w->bad_seg = i;
		w->bad_off = s->stop;
		w->bad_zxid = s->bad ? s->bad_zxid : 0;
		if (s->later_write) {
			w->status = NLOG_WALK_CORRUPT;
			snprintf(w->msg, sizeof(w->msg),
				 "corrupt record in %s at offset %" PRIu64
				 " (%s; header zxid 0x%" PRIx64
				 ", last valid zxid 0x%" PRIx64
				 ") followed by a valid record of a later "
				 "write at offset %" PRIu64 " (zxid 0x%" PRIx64
				 ")",
				 si->path, s->stop,
				 s->why ? s->why : "missing data", w->bad_zxid,
				 prev, s->later_off, s->later_zxid);
			break;
		}
		for (size_t j = i + 1; j < n; j++) {
			struct nlog_seginfo *sj = &w->segs[j];
			struct nlog_map mj;

			rc = map_seg(sj, &mj);
			if (rc != 0)
				return rc;
			sj->scan.prev_zxid = 0;
			if (sj->hdr_ok)
				nlog_seg_scan(mj.base, mj.size, sj->align,
					      &sj->scan, NULL, NULL);
			nlog_map_close(&mj);
			if (sj->hdr_ok &&
			    (sj->scan.nrec > 0 || sj->scan.later_write ||
			     sj->scan.same_write)) {
				w->status = NLOG_WALK_CORRUPT;
				snprintf(w->msg, sizeof(w->msg),
					 "corrupt record in %s at offset "
					 "%" PRIu64
					 " (%s; header zxid 0x%" PRIx64
					 ", last valid zxid 0x%" PRIx64
					 ") followed by valid records in %s",
					 si->path, s->stop,
					 s->why ? s->why : "missing data",
					 w->bad_zxid, prev, sj->path);
				break;
			}
		}
		if (w->status == NLOG_WALK_CORRUPT)
			break;
		w->status = NLOG_WALK_TORN;
		w->tail = i;
		w->tail_off = s->end;
		snprintf(w->msg, sizeof(w->msg),
			 "torn tail in %s at offset %" PRIu64 " (%s; %" PRIu64
			 " bytes after the last valid zxid "
			 "0x%" PRIx64 ")",
			 si->path, s->end, s->why ? s->why : "partial write",
			 (s->nz_end > s->end ? s->nz_end : s->stop) - s->end,
			 prev);
		break;
	}
	w->last_zxid = prev;
	return 0;
}

int
nlog_walk_replay(struct nlog_walk *w, nlog_scan_fn *fn, void *arg)
{
	uint64_t prev = 0;

	for (size_t i = 0; i < w->nseg; i++) {
		struct nlog_seginfo *si = &w->segs[i];
		struct nlog_seg_scan s;
		struct nlog_map m;
		int rc;

		if (w->status == NLOG_WALK_CORRUPT && i > w->bad_seg)
			break;
		if (w->status != NLOG_WALK_CORRUPT && i > w->tail)
			break;
		rc = map_seg(si, &m);
		if (rc != 0)
			return rc;
		if (!si->hdr_ok) {
			nlog_map_close(&m);
			break;
		}
		memset(&s, 0, sizeof(s));
		s.prev_zxid = prev;
		rc = nlog_seg_scan(m.base, m.size, si->align, &s, fn, arg);
		nlog_map_close(&m);
		if (rc != 0)
			return rc;
		prev = s.prev_zxid;
		if (s.bad)
			break;
	}
	return 0;
}

struct cut_pos {
	uint64_t zxid;
	uint64_t end; /* after the last record <= zxid, 0 if none */
};

static int
cut_fn(void *arg, uint64_t off, const struct nlog_rec_hdr *h,
       const uint8_t *payload)
{
	struct cut_pos *c = arg;

	(void)payload;
	if (h->zxid > c->zxid)
		return 1;
	c->end = off + nlog_rec_size(h->len);
	return 0;
}

int
nlog_cut(const char *dir, struct nlog_walk *w, uint64_t zxid)
{
	size_t k = 0, limit;
	uint64_t end = NLOG_SEG_HDR_LEN, zend;
	int rc, fd;

	if (w->nseg == 0)
		return 0;
	if (w->status == NLOG_WALK_CORRUPT && zxid > w->last_zxid)
		zxid = w->last_zxid; /* cut right before the damage */
	limit = w->status == NLOG_WALK_CORRUPT ? w->bad_seg : w->tail;
	/* Find the segment and offset of the last record <= zxid. */
	for (size_t i = 0; i <= limit && i < w->nseg; i++) {
		struct nlog_seginfo *si = &w->segs[i];
		struct cut_pos c = {.zxid = zxid, .end = 0};
		struct nlog_seg_scan s;
		struct nlog_map m;

		if (!si->hdr_ok || si->scan.nrec == 0 ||
		    si->scan.first_zxid > zxid)
			break;
		rc = nlog_map_open(si->path, &m);
		if (rc != 0)
			return rc;
		memset(&s, 0, sizeof(s));
		s.prev_zxid = 0;
		nlog_seg_scan(m.base, m.size, si->align, &s, cut_fn, &c);
		nlog_map_close(&m);
		k = i;
		end = c.end ? c.end : NLOG_SEG_HDR_LEN;
	}
	/* Newest first, so a crash leaves a contiguous prefix. */
	for (size_t j = w->nseg; j-- > k + 1;) {
		if (unlink(w->segs[j].path) != 0 && errno != ENOENT)
			return -errno;
	}
	rc = nlog_fsync_dir(dir);
	if (rc != 0)
		return rc;
	{
		struct nlog_seginfo *si = &w->segs[k];
		uint64_t a = si->align ? si->align : NLOG_BLOCK;

		zend = si->scan.nz_end > si->scan.stop ? si->scan.nz_end
						       : si->scan.stop;
		if (zend < si->scan.end)
			zend = si->scan.end;
		zend = (zend + a - 1) / a * a;
		if (zend > si->size)
			zend = si->size;
		if (!si->hdr_ok)
			return -EBADMSG;
		fd = open(si->path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		rc = end < zend ? nlog_zero_range(fd, end, zend) : 0;
		close(fd);
	}
	return rc;
}
