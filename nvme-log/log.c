/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-log runtime: open/recover, append, group-commit flush, completion
 * polling, truncation, and the segment thread.
 *
 * Why it is built this way (see nlog.h for the contract):
 *   - Two write buffers.  append copies into the FILLING buffer; flush
 *     turns it into the IN-FLIGHT buffer with one io_uring write (O_DIRECT,
 *     RWF_DSYNC or a linked fdatasync) and appends continue into the other
 *     one.  At most one write is in flight, so the disk sees writes in log
 *     order and a crash can tear only the last one; a flush asked for while
 *     a write is in flight is remembered and submitted by nlog_poll.
 *   - Each write starts at the sector-aligned end of the previous write and
 *     is zero-padded to a sector, so no write ever rewrites a sector that
 *     holds durable records (a torn write damages only itself).
 *   - Completions are peeked, never waited for.  Short writes are
 *     resubmitted for the remainder, -EAGAIN is retried, anything else is a
 *     sticky fatal error: nothing more is reported durable.
 *   - Segment files are created ahead of need by a background thread (the
 *     "segment thread": fallocate + zero fill + fsync + rename + fsync dir)
 *     so the polling core never creates files and a durable write never
 *     needs a metadata update.  The hand-over is one atomic flag; the core
 *     wakes the thread with a non-blocking eventfd write.  When the disk is
 *     full the thread keeps retrying every 200 ms and appends that need a
 *     new segment fail with -ENOSPC until it succeeds.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "nvme-log/nlog_priv.h"

/*
 * The default durability mode, measured by bench/log_bench.c (see
 * docs/OPERATIONS.md §10 "Durability modes"): on a device WITHOUT FUA (the
 * virtio disk here reports queue/fua = 0, write cache "write back") an
 * RWF_DSYNC O_DIRECT write is completed by a post-write cache flush run
 * from a workqueue, and the write + linked IORING_OP_FSYNC(DATASYNC) pair
 * was faster in every run (K=1 p50 ~100-180 us vs ~500 us and more).  On a
 * device WITH FUA, RWF_DSYNC becomes a single FUA write, which is what FUA
 * is for.  So DEFAULT = DSYNC when the log's block device has FUA, else
 * FDATASYNC.
 */
static enum nlog_durability
default_durability(const char *dir)
{
	char p[128];
	struct stat st;
	int fua = -1;
	FILE *f;

	if (stat(dir, &st) != 0)
		return NLOG_DUR_FDATASYNC;
	for (int up = 0; up < 2 && fua < 0; up++) {
		snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/%squeue/fua",
			 major(st.st_dev), minor(st.st_dev), up ? "../" : "");
		f = fopen(p, "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%d", &fua) != 1)
			fua = -1;
		fclose(f);
	}
	return fua == 1 ? NLOG_DUR_DSYNC : NLOG_DUR_FDATASYNC;
}

#define TAG_WRITE 1u
#define TAG_SYNC  2u
#define TAG_FUPD  3u
#define HUGE_2M	  (2u << 20)

struct nlog_buf {
	uint8_t *mem;
	uint32_t cap;
	bool huge;
	uint64_t base; /* segment offset of mem[0] (sector aligned) */
	uint32_t len;  /* bytes of records */
	uint32_t nrec;
	uint64_t last_zxid; /* last record in the buffer */
	int fd;		    /* segment this buffer writes to */
	uint64_t seq;
	/* while in flight */
	uint32_t wlen, done;
	bool write_done, sync_done;
	uint32_t gen;
};

struct nlog {
	struct nlog_config cfg;
	char dir[PATH_MAX];
	enum nlog_durability dur;
	struct io_uring ring;
	bool ring_ok, fixed_bufs, fixed_files;
	bool iowq_moved; /* io-wq workers kept off the polling CPU */
	struct nlog_buf buf[2];
	int fill, busy;
	bool flush_pending, submit_pending;
	uint32_t gen;
	/* segment being appended to */
	int seg_fd;
	uint64_t seg_seq;
	uint64_t seg_size; /* from its header: the config may have changed */
	int fupd_fd;	  /* argument of the in-flight IORING_OP_FILES_UPDATE */
	int retire_later; /* old segment fd, closed after its last write */
	uint32_t align;
	uint64_t last_zxid, durable_zxid;
	int error;
	bool resv_open;
	uint32_t resv_max, resv_pad;
	/* segment thread */
	pthread_t thr;
	bool thr_running;
	atomic_int spare_ready;
	int spare_fd;
	uint64_t spare_seq;
	uint64_t next_seq; /* owned by the thread while it runs */
	atomic_int prep_err;
	atomic_int retire_fd;
	atomic_bool stop;
	int evfd;
	pthread_mutex_t admin_mu;
	int lockfd;
	bool warned_none;
	enum nlog_inject inject_kind;
	unsigned int inject_count;
	struct nlog_stats st;
};

void
nlog_config_default(struct nlog_config *c)
{
	memset(c, 0, sizeof(*c));
	c->segment_size = NLOG_DEFAULT_SEGMENT_SIZE;
	c->buffer_size = NLOG_DEFAULT_BUFFER_SIZE;
	c->durability = NLOG_DUR_DEFAULT;
	c->retain = NLOG_DEFAULT_RETAIN;
}

const char *
nlog_durability_name(enum nlog_durability d)
{
	switch (d) {
	case NLOG_DUR_DSYNC:
		return "dsync";
	case NLOG_DUR_FDATASYNC:
		return "fdatasync";
	case NLOG_DUR_NONE:
		return "none";
	default:
		return "default";
	}
}

int
nlog_durability_parse(const char *s, enum nlog_durability *d)
{
	static const enum nlog_durability all[] = {
		NLOG_DUR_DEFAULT, NLOG_DUR_DSYNC, NLOG_DUR_FDATASYNC,
		NLOG_DUR_NONE};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, nlog_durability_name(all[i])) == 0) {
			*d = all[i];
			return 0;
		}
	return -EINVAL;
}

static void
loud_none(const char *dir)
{
	fprintf(stderr,
		"\n"
		"**************************************************************"
		"\n"
		"*** nlog: DURABILITY MODE 'none' — NOTHING IS DURABLE.     ***\n"
		"*** Benchmarks of the network path only.  A crash loses    ***\n"
		"*** acknowledged writes.  Log directory: %-19.19s ***\n"
		"**************************************************************"
		"\n\n",
		dir);
}

/* ------------------------------------------------------------------ */
/* Segment thread                                                      */
/* ------------------------------------------------------------------ */

static void *
seg_thread(void *arg)
{
	struct nlog *l = arg;

	while (!atomic_load(&l->stop)) {
		int rfd = atomic_exchange(&l->retire_fd, -1);
		int timeout = 200;

		if (rfd >= 0)
			close(rfd);
		if (!atomic_load_explicit(&l->spare_ready,
					  memory_order_acquire)) {
			int fd = nlog_seg_create(l->dir, l->next_seq,
						 l->cfg.segment_size, l->align);
			if (fd >= 0) {
				l->spare_fd = fd;
				l->spare_seq = l->next_seq++;
				atomic_store(&l->prep_err, 0);
				atomic_store_explicit(&l->spare_ready, 1,
						      memory_order_release);
				continue;
			}
			atomic_store(&l->prep_err, fd);
			if (fd != -ENOSPC && !l->cfg.quiet)
				fprintf(stderr,
					"nlog: cannot create segment %016" PRIx64
					" in %s: %s (retrying)\n",
					l->next_seq, l->dir, strerror(-fd));
		}
		struct pollfd p = {.fd = l->evfd, .events = POLLIN};
		if (poll(&p, 1, timeout) > 0) {
			uint64_t v;
			if (read(l->evfd, &v, sizeof(v)) < 0) {
				/* nothing: the counter was reset */
			}
		}
	}
	return NULL;
}

static int
thread_start(struct nlog *l)
{
	atomic_store(&l->stop, false);
	atomic_store(&l->spare_ready, 0);
	atomic_store(&l->prep_err, 0);
	l->spare_fd = -1;
	l->next_seq = l->seg_seq + 1;
	if (pthread_create(&l->thr, NULL, seg_thread, l) != 0)
		return -EAGAIN;
	l->thr_running = true;
	return 0;
}

/* Stop the thread; the spare (if any) stays on disk as an empty segment
 * after the tail unless drop_spare. */
static void
thread_stop(struct nlog *l, bool drop_spare)
{
	uint64_t one = 1;
	int rfd;

	if (!l->thr_running)
		return;
	atomic_store(&l->stop, true);
	if (write(l->evfd, &one, sizeof(one)) < 0) {
		/* the thread wakes up by its poll timeout anyway */
	}
	pthread_join(l->thr, NULL);
	l->thr_running = false;
	rfd = atomic_exchange(&l->retire_fd, -1);
	if (rfd >= 0)
		close(rfd);
	if (atomic_load(&l->spare_ready) && l->spare_fd >= 0) {
		close(l->spare_fd);
		if (drop_spare) {
			char p[PATH_MAX];
			nlog_seg_path(p, sizeof(p), l->dir, l->spare_seq);
			unlink(p);
		}
	}
	l->spare_fd = -1;
	atomic_store(&l->spare_ready, 0);
}

/* ------------------------------------------------------------------ */
/* Buffers and the ring                                                */
/* ------------------------------------------------------------------ */

static int
buf_alloc(struct nlog_buf *b, uint32_t cap)
{
	size_t sz = (cap + HUGE_2M - 1) / HUGE_2M * HUGE_2M;
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		       -1, 0);

	b->cap = cap;
	if (p != MAP_FAILED) {
		b->mem = p;
		b->huge = true;
		return 0;
	}
	if (posix_memalign(&p, NLOG_BLOCK, cap) != 0)
		return -ENOMEM;
	memset(p, 0, cap);
	b->mem = p;
	b->huge = false;
	return 0;
}

static void
buf_free(struct nlog_buf *b)
{
	if (b->mem == NULL)
		return;
	if (b->huge)
		munmap(b->mem, (b->cap + HUGE_2M - 1) / HUGE_2M * HUGE_2M);
	else
		free(b->mem);
	b->mem = NULL;
}

static int
file_slot(const struct nlog *l, uint64_t seq)
{
	(void)l;
	return (int)(seq & 1);
}

/* Make fd usable as segment seq in the ring (registered file slot). */
static void
seg_register(struct nlog *l, uint64_t seq, int fd)
{
	if (!l->fixed_files)
		return;
	if (io_uring_register_files_update(
		    &l->ring, (unsigned)file_slot(l, seq), &fd, 1) != 1)
		l->fixed_files = false; /* plain fds from now on */
}

static int
fail(struct nlog *l, int err)
{
	if (l->error == 0) {
		l->error = err < 0 ? err : -EIO;
		if (!l->cfg.quiet)
			fprintf(stderr,
				"nlog: FATAL: log write failed in %s segment "
				"%016" PRIx64 ": %s; durable zxid stays at "
				"0x%" PRIx64 "\n",
				l->dir, l->seg_seq, strerror(-l->error),
				l->durable_zxid);
	}
	return l->error;
}

static void
prep_write(struct nlog *l, struct nlog_buf *b, struct io_uring_sqe *sqe)
{
	int fd = l->fixed_files ? file_slot(l, b->seq) : b->fd;
	unsigned n = b->wlen - b->done;
	uint8_t *p = b->mem + b->done;
	uint64_t off = b->base + b->done;

	if (l->fixed_bufs)
		io_uring_prep_write_fixed(sqe, fd, p, n, off,
					  (int)(b - l->buf));
	else
		io_uring_prep_write(sqe, fd, p, n, off);
	if (l->fixed_files)
		sqe->flags |= IOSQE_FIXED_FILE;
	if (l->dur == NLOG_DUR_DSYNC)
		sqe->rw_flags = RWF_DSYNC;
	sqe->user_data = ((uint64_t)b->gen << 8) | TAG_WRITE;
}

static void
prep_sync(struct nlog *l, struct nlog_buf *b, struct io_uring_sqe *sqe)
{
	int fd = l->fixed_files ? file_slot(l, b->seq) : b->fd;

	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	if (l->fixed_files)
		sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = ((uint64_t)b->gen << 8) | TAG_SYNC;
}

static int
ring_submit(struct nlog *l)
{
	int rc = io_uring_submit(&l->ring);

	if (rc >= 0 || rc == -EAGAIN || rc == -EBUSY || rc == -EINTR) {
		/* -EAGAIN/-EBUSY: resources short; nlog_poll retries */
		l->submit_pending = rc < 0;
		if (rc < 0)
			l->st.eagain_retries++;
		return 0;
	}
	return fail(l, rc);
}

/* Queue the (rest of the) in-flight write of b; sync_only re-queues just
 * the fdatasync. */
static int
queue_io(struct nlog *l, struct nlog_buf *b, bool sync_only)
{
	struct io_uring_sqe *sqe;

	b->gen = ++l->gen;
	if (!sync_only) {
		sqe = io_uring_get_sqe(&l->ring);
		if (sqe == NULL)
			return fail(l, -EBUSY);
		prep_write(l, b, sqe);
		b->write_done = false;
		if (l->dur == NLOG_DUR_FDATASYNC)
			sqe->flags |= IOSQE_IO_LINK;
	}
	if (l->dur == NLOG_DUR_FDATASYNC) {
		sqe = io_uring_get_sqe(&l->ring);
		if (sqe == NULL)
			return fail(l, -EBUSY);
		prep_sync(l, b, sqe);
		b->sync_done = false;
	} else {
		b->sync_done = true;
	}
	return ring_submit(l);
}

static int
submit_fill(struct nlog *l)
{
	struct nlog_buf *b = &l->buf[l->fill], *o = &l->buf[l->fill ^ 1];
	uint32_t wlen = (b->len + l->align - 1) / l->align * l->align;

	memset(b->mem + b->len, 0, wlen - b->len);
	b->wlen = wlen;
	b->done = 0;
	l->busy = l->fill;
	l->flush_pending = false;
	l->st.flushes++;
	l->st.writes++;
	/* The other buffer continues right after this write. */
	o->base = b->base + wlen;
	o->len = 0;
	o->nrec = 0;
	o->fd = b->fd;
	o->seq = b->seq;
	l->fill ^= 1;
	return queue_io(l, b, false);
}

/* Hand a segment fd to the segment thread to close (the polling core does
 * not close files). */
static void
retire(struct nlog *l, int fd)
{
	int prev = atomic_exchange(&l->retire_fd, fd);

	if (prev >= 0)
		close(prev); /* not expected: one roll per thread round */
}

static void
complete(struct nlog *l, struct nlog_buf *b)
{
	if (l->retire_later >= 0 && b->fd == l->retire_later) {
		retire(l, l->retire_later);
		l->retire_later = -1;
	}
	l->durable_zxid = b->last_zxid;
	l->st.bytes_written += b->wlen;
	l->busy = -1;
	b->len = 0;
	b->nrec = 0;
}

/* Test hook (nlog_priv.h): make the next write completions look short,
 * -EAGAIN or failed.  A "short" completion reports fewer bytes than were
 * written; rewriting the rest again is harmless (same bytes). */
static int
inject(struct nlog *l, int res)
{
	if (l->inject_count == 0 || res <= 0)
		return res;
	l->inject_count--;
	switch (l->inject_kind) {
	case NLOG_INJECT_SHORT:
		return res > (int)l->align ? (int)l->align : res;
	case NLOG_INJECT_EAGAIN:
		return -EAGAIN;
	case NLOG_INJECT_EIO:
		return -EIO;
	default:
		return res;
	}
}

void
nlog_inject(struct nlog *l, enum nlog_inject kind, unsigned int count)
{
	if (kind == NLOG_INJECT_PLAIN_FDS) {
		l->fixed_files = false; /* only right after nlog_open */
		return;
	}
	l->inject_kind = kind;
	l->inject_count = count;
}

int
nlog_poll(struct nlog *l, uint64_t *durable)
{
	struct io_uring_cqe *cqe;
	bool adv = false;

	if (l->error)
		return l->error;
	if (l->submit_pending) {
		int rc = ring_submit(l);
		if (rc != 0)
			return rc;
	}
	while (io_uring_peek_cqe(&l->ring, &cqe) == 0) {
		uint64_t ud = cqe->user_data;
		int res = cqe->res;
		struct nlog_buf *b;

		io_uring_cqe_seen(&l->ring, cqe);
		if (ud == TAG_FUPD) {
			if (res < 0)
				return fail(l, res);
			continue;
		}
		if (l->busy < 0)
			continue;
		b = &l->buf[l->busy];
		if ((uint32_t)(ud >> 8) != b->gen)
			continue; /* a cancelled link of an older attempt */
		if ((ud & 0xff) == TAG_WRITE) {
			res = inject(l, res);
			if (res == -EAGAIN || res == -EINTR) {
				l->st.eagain_retries++;
				if (queue_io(l, b, false) != 0)
					return l->error;
				continue;
			}
			if (res < 0)
				return fail(l, res);
			if (res == 0)
				return fail(l, -EIO);
			b->done += (uint32_t)res;
			if (b->done < b->wlen) {
				l->st.short_writes++;
				if (queue_io(l, b, false) != 0)
					return l->error;
				continue;
			}
			b->write_done = true;
		} else {
			if (res == -EAGAIN || res == -EINTR) {
				l->st.eagain_retries++;
				if (queue_io(l, b, true) != 0)
					return l->error;
				continue;
			}
			if (res < 0)
				return fail(l, res);
			b->sync_done = true;
		}
		if (b->write_done && b->sync_done) {
			complete(l, b);
			adv = true;
			if (l->flush_pending && l->buf[l->fill].nrec > 0) {
				int rc = submit_fill(l);
				if (rc != 0)
					return rc;
			}
		}
	}
	if (durable != NULL)
		*durable = l->durable_zxid;
	return adv ? 1 : 0;
}

int
nlog_flush(struct nlog *l)
{
	if (l->error)
		return l->error;
	if (l->buf[l->fill].nrec == 0)
		return 0;
	if (l->busy >= 0) {
		l->flush_pending = true;
		return 0;
	}
	return submit_fill(l);
}

/* Move the (empty) filling buffer to the spare segment. */
static int
roll(struct nlog *l)
{
	struct nlog_buf *b = &l->buf[l->fill];
	uint64_t one = 1;
	int old;

	if (l->retire_later >= 0)
		return -EAGAIN; /* the write to the segment before is busy */
	if (!atomic_load_explicit(&l->spare_ready, memory_order_acquire)) {
		int e = atomic_load(&l->prep_err);
		if (e == -ENOSPC) {
			l->st.enospc++;
			return -ENOSPC;
		}
		return -EAGAIN;
	}
	old = l->seg_fd;
	l->seg_fd = l->spare_fd;
	l->seg_seq = l->spare_seq;
	l->seg_size = l->cfg.segment_size;
	l->spare_fd = -1;
	if (l->fixed_files) {
		/* Through the ring, not io_uring_register(): no syscall that
		 * could wait on the ring's lock.  SQEs are consumed in order,
		 * so the new segment's first write sees the updated slot. */
		struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
		if (sqe == NULL)
			return fail(l, -EBUSY);
		l->fupd_fd = l->seg_fd;
		io_uring_prep_files_update(sqe, &l->fupd_fd, 1,
					   file_slot(l, l->seg_seq));
		sqe->user_data = TAG_FUPD;
		if (ring_submit(l) != 0)
			return l->error;
	}
	atomic_store_explicit(&l->spare_ready, 0, memory_order_release);
	/* A write still in flight to the old segment may have to be
	 * resubmitted (short write, -EAGAIN) through its fd: retire the fd
	 * only once that write has completed. */
	if (l->busy >= 0 && l->buf[l->busy].fd == old)
		l->retire_later = old;
	else
		retire(l, old);
	if (write(l->evfd, &one, sizeof(one)) < 0) {
		/* the thread polls every 200 ms anyway */
	}
	b->base = NLOG_SEG_HDR_LEN;
	b->fd = l->seg_fd;
	b->seq = l->seg_seq;
	l->st.rolls++;
	return 0;
}

/* Zero bytes to put before a record at the current position: a record
 * never starts 8 bytes before a 512-byte boundary (see the scanner). */
static uint32_t
rec_pad(const struct nlog_buf *b)
{
	return (b->base + b->len) % NLOG_WPOS_UNIT == NLOG_WPOS_UNIT - 8 ? 8
									 : 0;
}

static int
make_room(struct nlog *l, uint32_t len)
{
	struct nlog_buf *b = &l->buf[l->fill];
	uint64_t need = nlog_rec_size(len) + rec_pad(b);
	uint64_t seg_end;

	if (l->error)
		return l->error;
	if (need + NLOG_BLOCK > b->cap)
		return -EINVAL;
	if (b->len + need > b->cap) {
		l->st.enobufs++;
		return -ENOBUFS;
	}
	seg_end =
		b->base + (b->len + need + l->align - 1) / l->align * l->align;
	if (seg_end > l->seg_size) {
		if (b->nrec > 0) {
			l->st.enobufs++;
			return -ENOBUFS; /* flush first; the next one rolls */
		}
		return roll(l);
	}
	return 0;
}

void *
nlog_append_reserve(struct nlog *l, uint32_t max_len)
{
	int rc = make_room(l, max_len);

	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	l->resv_open = true;
	l->resv_max = max_len;
	/* after a roll the position changed: pad again from the new base */
	l->resv_pad = rec_pad(&l->buf[l->fill]);
	return l->buf[l->fill].mem + l->buf[l->fill].len + l->resv_pad +
	       NLOG_REC_HDR;
}

int
nlog_append_commit(struct nlog *l, uint64_t zxid, int32_t type, uint32_t len)
{
	struct nlog_buf *b = &l->buf[l->fill];
	struct nlog_rec_hdr *h = (void *)(b->mem + b->len + l->resv_pad);
	uint64_t sz = nlog_rec_size(len);

	if (!l->resv_open || len > l->resv_max)
		return -EINVAL;
	l->resv_open = false;
	if (zxid <= l->last_zxid)
		return -EINVAL;
	if (l->resv_pad != 0) {
		memset(b->mem + b->len, 0, l->resv_pad);
		b->len += l->resv_pad;
	}
	h->len = len;
	h->zxid = zxid;
	h->type = type;
	h->wpos = (uint32_t)(b->base / NLOG_WPOS_UNIT);
	memset((uint8_t *)h + NLOG_REC_HDR + len, 0, sz - NLOG_REC_HDR - len);
	nlog_rec_seal(h, (uint8_t *)h + NLOG_REC_HDR);
	b->len += (uint32_t)sz;
	b->nrec++;
	b->last_zxid = zxid;
	l->last_zxid = zxid;
	l->st.appends++;
	return 0;
}

int
nlog_append(struct nlog *l, uint64_t zxid, int32_t type, const void *p,
	    uint32_t len)
{
	void *dst;

	if (zxid <= l->last_zxid)
		return -EINVAL;
	dst = nlog_append_reserve(l, len);
	if (dst == NULL)
		return -errno;
	if (len > 0)
		memcpy(dst, p, len);
	return nlog_append_commit(l, zxid, type, len);
}

uint64_t
nlog_durable_zxid(const struct nlog *l)
{
	return l->durable_zxid;
}

uint64_t
nlog_last_zxid(const struct nlog *l)
{
	return l->last_zxid;
}

bool
nlog_idle(const struct nlog *l)
{
	return l->busy < 0 && l->buf[l->fill].nrec == 0;
}

int
nlog_error(const struct nlog *l)
{
	return l->error;
}

const char *
nlog_dir(const struct nlog *l)
{
	return l->dir;
}

enum nlog_durability
nlog_durability(const struct nlog *l)
{
	return l->dur;
}

void
nlog_get_stats(const struct nlog *l, struct nlog_stats *s)
{
	*s = l->st;
	s->segment_seq = (uint32_t)l->seg_seq;
	s->segment_off = l->buf[l->fill].base + l->buf[l->fill].len;
	s->hugepages = l->buf[0].huge;
	s->fixed_files = l->fixed_files;
	s->fixed_bufs = l->fixed_bufs;
	s->iowq_moved = l->iowq_moved;
	s->spare_ready = atomic_load(&l->spare_ready) != 0;
	s->durability = l->dur;
	if (l->dur == NLOG_DUR_NONE && !l->cfg.quiet)
		fprintf(stderr,
			"nlog: WARNING durability mode 'none' in use "
			"(%s): nothing is durable\n",
			l->dir);
}

int
nlog_wait(struct nlog *l, unsigned int timeout_us)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout_us / 1000000,
		.tv_nsec = (long long)(timeout_us % 1000000) * 1000,
	};
	struct io_uring_cqe *cqe;
	int rc;

	if (l->error)
		return l->error;
	if (l->busy < 0)
		return 0;
	rc = io_uring_wait_cqe_timeout(&l->ring, &cqe, &ts);
	if (rc == -ETIME || rc == -EINTR || rc == -EAGAIN)
		return -ETIME;
	return rc < 0 ? fail(l, rc) : 0;
}

/* Block until the in-flight write completes (or fails). */
static int
wait_inflight(struct nlog *l)
{
	while (l->busy >= 0 && l->error == 0) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_wait_cqe(&l->ring, &cqe);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
			return fail(l, rc);
		rc = nlog_poll(l, NULL);
		if (rc < 0)
			return rc;
	}
	return l->error;
}

int
nlog_sync(struct nlog *l)
{
	for (int i = 0; i < 1000000; i++) {
		int rc = nlog_flush(l);
		if (rc != 0)
			return rc;
		rc = wait_inflight(l);
		if (rc != 0)
			return rc;
		if (nlog_idle(l))
			return 0;
	}
	return -ETIMEDOUT;
}

/* ------------------------------------------------------------------ */
/* Open, truncate, close                                               */
/* ------------------------------------------------------------------ */

struct replay_ctx {
	const struct nlog_recover_ops *ops;
	uint64_t from;
	uint64_t n;
};

static int
replay_fn(void *arg, uint64_t off, const struct nlog_rec_hdr *h,
	  const uint8_t *payload)
{
	struct replay_ctx *c = arg;

	(void)off;
	if (h->zxid <= c->from)
		return 0;
	c->n++;
	if (c->ops == NULL || c->ops->record == NULL)
		return 0;
	return c->ops->record(c->ops->arg, h->zxid, h->type, payload, h->len);
}

static int
feed_snapshot(const char *path, const struct nlog_snap_info *info,
	      const struct nlog_recover_ops *ops)
{
	const size_t chunk = 1u << 20;
	uint64_t left = info->body_len, off = NLOG_SNAP_HDR_LEN;
	uint8_t *buf;
	int fd, rc = 0;

	if (ops == NULL)
		return 0;
	if (ops->snap_begin != NULL) {
		rc = ops->snap_begin(ops->arg, info->zxid, info->body_len);
		if (rc != 0)
			return rc;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(chunk);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (left > 0 && rc == 0) {
		size_t n = left < chunk ? (size_t)left : chunk;
		ssize_t r = pread(fd, buf, n, (off_t)off);
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			break;
		}
		if (ops->snap_chunk != NULL)
			rc = ops->snap_chunk(ops->arg, buf, (size_t)r);
		left -= (uint64_t)r;
		off += (uint64_t)r;
	}
	free(buf);
	close(fd);
	if (rc == 0 && ops->snap_end != NULL)
		rc = ops->snap_end(ops->arg);
	return rc;
}

static uint32_t
epoch_of(uint64_t zxid)
{
	return (uint32_t)(zxid >> 32);
}

/* Open the tail segment for writing and set up the buffers after it. */
static int
open_tail(struct nlog *l, const struct nlog_walk *w)
{
	const struct nlog_seginfo *si = &w->segs[w->tail];
	uint64_t base;
	int fd = open(si->path, O_RDWR | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	l->seg_fd = fd;
	l->seg_seq = si->seq;
	l->seg_size = si->size;
	l->align = si->align;
	base = (w->tail_off + l->align - 1) / l->align * l->align;
	for (int i = 0; i < 2; i++) {
		l->buf[i].base = base;
		l->buf[i].len = 0;
		l->buf[i].nrec = 0;
		l->buf[i].fd = fd;
		l->buf[i].seq = si->seq;
	}
	l->fill = 0;
	l->busy = -1;
	return 0;
}

static int
drop_after_tail(const char *dir, const struct nlog_walk *w)
{
	bool any = false;

	for (size_t j = w->nseg; j-- > w->tail + 1;) {
		if (unlink(w->segs[j].path) != 0 && errno != ENOENT)
			return -errno;
		any = true;
	}
	return any ? nlog_fsync_dir(dir) : 0;
}

static void report(struct nlog_report *rep, bool quiet, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
report(struct nlog_report *rep, bool quiet, const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(rep->msg);

	va_start(ap, fmt);
	vsnprintf(rep->msg + used, sizeof(rep->msg) - used, fmt, ap);
	va_end(ap);
	if (!quiet)
		fprintf(stderr, "%s", rep->msg + used);
}

/*
 * A write the kernel cannot issue without blocking (allocation, a busy
 * queue) is punted to io-wq worker threads, which inherit the affinity of
 * the submitting thread.  The log is driven from a polling lcore pinned to
 * one CPU, so those workers would share that CPU with a thread that never
 * yields, and a write could wait for the scheduler's slice to rotate
 * (seconds, measured under load).  Keep the workers on every other CPU the
 * process may use; with nothing else to use (one CPU), leave them be.
 */
static void
iowq_keep_off_this_cpu(struct nlog *l)
{
	cpu_set_t mine, others;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int cnt = 0;

	if (n <= 1 || sched_getaffinity(0, sizeof(mine), &mine) != 0)
		return;
	if (CPU_COUNT(&mine) != 1)
		return; /* not pinned: the scheduler balances the workers */
	CPU_ZERO(&others);
	for (long c = 0; c < n && c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET((int)c, &mine)) {
			CPU_SET((int)c, &others);
			cnt++;
		}
	}
	if (cnt == 0)
		return;
	if (io_uring_register_iowq_aff(&l->ring, sizeof(others), &others) == 0)
		l->iowq_moved = true;
}

static int
ring_setup(struct nlog *l)
{
	struct io_uring_params p;
	struct iovec iov[2];
	int rc;

	memset(&p, 0, sizeof(p));
	if (l->cfg.sqpoll) {
		p.flags |= IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 1000;
	}
	/* Completions of O_DIRECT writes are posted by task work run in
	 * this task.  A polling core never enters the kernel on its own, so
	 * without TASKRUN_FLAG the CQE could wait for the next timer tick
	 * (4 ms here, measured).  With it the kernel raises IORING_SQ_TASKRUN
	 * and io_uring_peek_cqe enters once, without waiting, to run it. */
	p.flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	rc = io_uring_queue_init_params(8, &l->ring, &p);
	if (rc == -EINVAL) {
		p.flags &= ~(IORING_SETUP_COOP_TASKRUN |
			     IORING_SETUP_TASKRUN_FLAG);
		rc = io_uring_queue_init_params(8, &l->ring, &p);
	}
	if (rc != 0)
		return rc;
	l->ring_ok = true;
	iowq_keep_off_this_cpu(l);
	for (int i = 0; i < 2; i++) {
		iov[i].iov_base = l->buf[i].mem;
		iov[i].iov_len = l->buf[i].cap;
	}
	l->fixed_bufs = io_uring_register_buffers(&l->ring, iov, 2) == 0;
	l->fixed_files = io_uring_register_files_sparse(&l->ring, 2) == 0;
	seg_register(l, l->seg_seq, l->seg_fd);
	return 0;
}

static int
check_config(const struct nlog_config *c)
{
	if (c->dir == NULL || c->buffer_size < 2 * NLOG_BLOCK ||
	    c->buffer_size % NLOG_BLOCK != 0 ||
	    c->segment_size % NLOG_BLOCK != 0 ||
	    c->segment_size < 2ull * c->buffer_size + NLOG_SEG_HDR_LEN ||
	    c->segment_size / NLOG_WPOS_UNIT > UINT32_MAX)
		return -EINVAL;
	return 0;
}

struct nlog *
nlog_open(const struct nlog_config *c, const struct nlog_recover_ops *ops,
	  struct nlog_report *rep_out)
{
	struct nlog_report rep_local, *rep = rep_out ? rep_out : &rep_local;
	struct nlog_walk w;
	struct nlog_snap_info si;
	char path[PATH_MAX];
	uint64_t *snaps = NULL, snap_zxid = 0;
	size_t nsnap = 0;
	struct nlog *l;
	bool have_snap = false;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memset(&w, 0, sizeof(w));
	rc = check_config(c);
	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->cfg = *c;
	snprintf(l->dir, sizeof(l->dir), "%s", c->dir);
	l->cfg.dir = l->dir;
	if (l->cfg.retain == 0)
		l->cfg.retain = NLOG_DEFAULT_RETAIN;
	l->dur = c->durability;
	l->seg_fd = l->spare_fd = l->evfd = l->lockfd = -1;
	l->retire_later = -1;
	atomic_init(&l->retire_fd, -1);
	atomic_init(&l->spare_ready, 0);
	atomic_init(&l->prep_err, 0);
	atomic_init(&l->stop, false);
	l->busy = -1;
	pthread_mutex_init(&l->admin_mu, NULL);

	if (mkdir(l->dir, 0755) != 0 && errno != EEXIST) {
		rc = -errno;
		report(rep, c->quiet, "nlog: cannot create %s: %s\n", l->dir,
		       strerror(-rc));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/LOCK", l->dir);
	l->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->lockfd < 0) {
		rc = -errno;
		goto fail;
	}
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rc = -EBUSY;
		report(rep, c->quiet, "nlog: %s is in use by another process\n",
		       l->dir);
		goto fail;
	}
	if (l->dur == NLOG_DUR_DEFAULT)
		l->dur = default_durability(l->dir);
	if (l->dur == NLOG_DUR_NONE && !c->quiet)
		loud_none(l->dir);
	nlog_remove_tmp(l->dir);

	/* Newest snapshot whose CRC verifies. */
	rc = nlog_list(l->dir, "snapshot", &snaps, &nsnap);
	if (rc != 0)
		goto fail;
	for (size_t i = nsnap; i-- > 0;) {
		nlog_snap_path(path, sizeof(path), l->dir, snaps[i]);
		rc = nlog_snap_inspect(path, true, &si);
		if (rc == 0 && si.header_ok && si.body_ok &&
		    si.zxid == snaps[i]) {
			have_snap = true;
			snap_zxid = si.zxid;
			break;
		}
		rep->snaps_skipped++;
		report(rep, c->quiet,
		       "nlog: snapshot %s fails its check (%s); falling back "
		       "to an older one\n",
		       path,
		       rc != 0	       ? strerror(-rc)
		       : !si.header_ok ? "bad header or truncated"
				       : "body CRC mismatch");
	}
	free(snaps);
	snaps = NULL;

	rc = nlog_walk(l->dir, &w);
	if (rc != 0)
		goto fail;
	rep->segments = (unsigned)w.nseg;
	if (w.status == NLOG_WALK_CORRUPT) {
		rc = -EBADMSG;
		report(rep, c->quiet,
		       "nlog: START-UP REFUSED: %s.\n"
		       "nlog: committed data may follow the damage; nothing "
		       "was changed.  Inspect with `dpzk-log verify %s`; "
		       "to drop everything after zxid 0x%" PRIx64
		       " deliberately: `dpzk-log truncate %s 0x%" PRIx64
		       " --yes` (see docs/OPERATIONS.md §10)\n",
		       w.msg, l->dir, w.last_zxid, l->dir, w.last_zxid);
		goto fail;
	}
	/* Is the log complete from the snapshot (or from the beginning)? */
	if (w.nseg > 0 && w.segs[0].seq != 0) {
		uint64_t first = w.segs[0].scan.first_zxid;
		bool gap;
		if (!have_snap)
			gap = first != 0 || rep->snaps_skipped > 0;
		else
			gap = first != 0 && first > snap_zxid + 1 &&
			      epoch_of(first) == epoch_of(snap_zxid);
		if (gap) {
			rc = -EUCLEAN;
			report(rep, c->quiet,
			       "nlog: START-UP REFUSED: the log in %s starts "
			       "at %s (zxid 0x%" PRIx64
			       ") but no valid snapshot covers what came "
			       "before (newest usable snapshot: 0x%" PRIx64
			       ").  Restore a snapshot or resync this server "
			       "from the ensemble.\n",
			       l->dir, w.segs[0].path, first, snap_zxid);
			goto fail;
		}
	}
	if (w.status == NLOG_WALK_TORN) {
		const struct nlog_seginfo *ts = &w.segs[w.tail];
		rep->torn = true;
		rep->torn_offset = w.tail_off;
		snprintf(rep->torn_file, sizeof(rep->torn_file), "%s",
			 ts->path);
		report(rep, c->quiet, "nlog: %s: truncated\n", w.msg);
		rc = nlog_cut(l->dir, &w, w.last_zxid);
		if (rc != 0)
			goto fail;
		nlog_walk_free(&w);
		rc = nlog_walk(l->dir, &w);
		if (rc != 0)
			goto fail;
		if (w.status != NLOG_WALK_CLEAN) {
			rc = -EBADMSG;
			report(rep, c->quiet,
			       "nlog: START-UP REFUSED: still damaged after "
			       "truncating the torn tail: %s\n",
			       w.msg);
			goto fail;
		}
	}

	/* Feed the snapshot, then replay. */
	if (have_snap) {
		nlog_snap_path(path, sizeof(path), l->dir, snap_zxid);
		nlog_snap_inspect(path, false, &si);
		rc = feed_snapshot(path, &si, ops);
		if (rc != 0)
			goto fail;
		rep->snap_zxid = snap_zxid;
	}
	{
		struct replay_ctx rc_ctx = {.ops = ops, .from = snap_zxid};
		rc = nlog_walk_replay(&w, replay_fn, &rc_ctx);
		if (rc != 0)
			goto fail;
		rep->records = rc_ctx.n;
	}
	rep->last_zxid = w.last_zxid > snap_zxid ? w.last_zxid : snap_zxid;
	l->last_zxid = l->durable_zxid = rep->last_zxid;

	/* Empty spares after the tail are made again by the thread. */
	if (w.nseg > 0) {
		rc = drop_after_tail(l->dir, &w);
		if (rc != 0)
			goto fail;
		rc = open_tail(l, &w);
		if (rc != 0)
			goto fail;
	} else {
		l->align = nlog_probe_align(l->dir);
		rc = nlog_seg_create(l->dir, 0, c->segment_size, l->align);
		if (rc < 0) {
			report(rep, c->quiet,
			       "nlog: cannot create the first segment in %s: "
			       "%s\n",
			       l->dir, strerror(-rc));
			goto fail;
		}
		l->seg_fd = rc;
		l->seg_seq = 0;
		l->seg_size = c->segment_size;
		for (int i = 0; i < 2; i++) {
			l->buf[i].base = NLOG_SEG_HDR_LEN;
			l->buf[i].fd = rc;
			l->buf[i].seq = 0;
		}
		l->fill = 0;
		l->busy = -1;
	}
	nlog_walk_free(&w);
	for (int i = 0; i < 2; i++) {
		rc = buf_alloc(&l->buf[i], c->buffer_size);
		if (rc != 0)
			goto fail;
	}
	rc = ring_setup(l);
	if (rc != 0) {
		report(rep, c->quiet, "nlog: io_uring setup failed: %s\n",
		       strerror(-rc));
		goto fail;
	}
	l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->evfd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = thread_start(l);
	if (rc != 0)
		goto fail;
	report(rep, true,
	       "nlog: opened %s: snapshot 0x%" PRIx64 ", %" PRIu64
	       " records replayed, last zxid 0x%" PRIx64 ", durability %s\n",
	       l->dir, rep->snap_zxid, rep->records, rep->last_zxid,
	       nlog_durability_name(l->dur));
	return l;
fail:
	free(snaps);
	nlog_walk_free(&w);
	nlog_close(l);
	errno = rc < 0 ? -rc : EIO;
	return NULL;
}

int
nlog_truncate(struct nlog *l, uint64_t zxid)
{
	struct nlog_walk w;
	uint64_t *snaps = NULL;
	size_t nsnap = 0;
	int rc;

	pthread_mutex_lock(&l->admin_mu);
	rc = nlog_sync(l);
	if (rc != 0)
		goto out;
	thread_stop(l, true);
	rc = nlog_walk(l->dir, &w);
	if (rc != 0)
		goto restart;
	if (w.status == NLOG_WALK_CORRUPT) {
		if (!l->cfg.quiet)
			fprintf(stderr, "nlog: truncate refused: %s\n", w.msg);
		nlog_walk_free(&w);
		rc = -EBADMSG;
		goto restart;
	}
	if (zxid < w.last_zxid || w.status == NLOG_WALK_TORN) {
		rc = nlog_cut(l->dir, &w, zxid);
		nlog_walk_free(&w);
		if (rc != 0)
			goto restart;
		rc = nlog_walk(l->dir, &w);
		if (rc != 0)
			goto restart;
	}
	/* Snapshots newer than zxid would resurrect removed txns. */
	if (nlog_list(l->dir, "snapshot", &snaps, &nsnap) == 0) {
		bool any = false;
		for (size_t i = 0; i < nsnap; i++) {
			char p[PATH_MAX];
			if (snaps[i] <= zxid)
				continue;
			nlog_snap_path(p, sizeof(p), l->dir, snaps[i]);
			any |= unlink(p) == 0;
		}
		free(snaps);
		if (any)
			nlog_fsync_dir(l->dir);
	}
	if (w.nseg > 0 && w.segs[w.tail].seq != l->seg_seq) {
		int old = l->seg_fd;
		rc = drop_after_tail(l->dir, &w);
		if (rc == 0)
			rc = open_tail(l, &w);
		if (rc == 0) {
			seg_register(l, l->seg_seq, l->seg_fd);
			close(old);
		}
	} else if (w.nseg > 0) {
		rc = drop_after_tail(l->dir, &w);
		if (rc == 0) {
			uint64_t base = (w.tail_off + l->align - 1) / l->align *
					l->align;
			for (int i = 0; i < 2; i++) {
				l->buf[i].base = base;
				l->buf[i].len = 0;
				l->buf[i].nrec = 0;
			}
		}
	}
	if (l->last_zxid > zxid)
		l->last_zxid = zxid;
	if (l->durable_zxid > l->last_zxid)
		l->durable_zxid = l->last_zxid;
	nlog_walk_free(&w);
restart:
	if (thread_start(l) != 0 && rc == 0)
		rc = -EAGAIN;
out:
	pthread_mutex_unlock(&l->admin_mu);
	return rc;
}

void
nlog_close(struct nlog *l)
{
	if (l == NULL)
		return;
	if (l->ring_ok && l->busy >= 0) {
		l->flush_pending = false;
		wait_inflight(l);
	}
	thread_stop(l, false);
	if (l->retire_later >= 0)
		close(l->retire_later);
	if (l->ring_ok)
		io_uring_queue_exit(&l->ring);
	if (l->seg_fd >= 0)
		close(l->seg_fd);
	if (l->evfd >= 0)
		close(l->evfd);
	buf_free(&l->buf[0]);
	buf_free(&l->buf[1]);
	if (l->lockfd >= 0)
		close(l->lockfd);
	pthread_mutex_destroy(&l->admin_mu);
	free(l);
}

pthread_mutex_t *
nlog_admin_mutex(struct nlog *l)
{
	return &l->admin_mu;
}

unsigned int
nlog_retain(const struct nlog *l)
{
	return l->cfg.retain;
}
