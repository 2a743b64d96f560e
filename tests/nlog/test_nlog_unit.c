/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of nvme-log: record encoding and CRC, append/flush/poll and
 * reopen, segment roll-over, truncation, retention, snapshots, epoch files,
 * torn tails and corruption before the tail.  Each test works in its own
 * directory under /var/tmp (the real disk: O_DIRECT needs it) with small
 * segments so roll-over happens within milliseconds; all of it is fast
 * enough to run under ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

#include "nvme-log/nlog_priv.h"
#include "tests/nlog/nlog_test_util.h"

struct fx {
	char dir[PATH_MAX];
	struct tu_sink sink;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || tu_mkdir(f->dir, sizeof(f->dir)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tu_rm_rf(f->dir);
	tu_sink_reset(&f->sink);
	free(f);
	return 0;
}

static struct nlog *
reopen(struct fx *f, struct nlog_config *c, struct nlog_report *rep)
{
	struct nlog_recover_ops ops;

	tu_sink_reset(&f->sink);
	f->sink.check_payload = true;
	f->sink.max_payload = 300;
	ops = tu_ops(&f->sink);
	return nlog_open(c, &ops, rep);
}

/* Append zxids [from, to] with deterministic payloads, flushing every
 * `batch` appends, and wait until all are durable. */
static void
append_range(struct nlog *l, uint64_t from, uint64_t to, int batch)
{
	uint8_t p[300];
	int n = 0;

	for (uint64_t z = from; z <= to; z++) {
		uint32_t len = tu_payload(z, p, sizeof(p));
		int rc;
		for (int tries = 0; tries < 200000; tries++) {
			rc = nlog_append(l, z, 5, p, len);
			if (rc != -ENOBUFS && rc != -EAGAIN)
				break;
			nlog_flush(l);
			if (nlog_poll(l, NULL) == 0)
				usleep(50); /* bounded: 10 s at most */
		}
		assert_int_equal(rc, 0);
		if (++n % batch == 0)
			assert_int_equal(nlog_flush(l), 0);
		assert_true(nlog_poll(l, NULL) >= 0);
	}
	assert_int_equal(nlog_sync(l), 0);
	assert_int_equal(nlog_durable_zxid(l), to);
}

static void
expect_range(struct fx *f, uint64_t from, uint64_t to)
{
	assert_int_equal(f->sink.n, to - from + 1);
	for (uint64_t z = from; z <= to; z++)
		assert_int_equal(f->sink.zxids[z - from], z);
	assert_int_equal(f->sink.order_errors, 0);
	assert_int_equal(f->sink.payload_errors, 0);
}

static int
count_files(const char *dir, const char *prefix)
{
	uint64_t *v;
	size_t n;

	if (nlog_list(dir, prefix, &v, &n) != 0)
		return -1;
	free(v);
	return (int)n;
}

/* ---- encoding ---- */

static void
test_crc32c_matches_known_vector(void **state)
{
	(void)state;
	assert_int_equal(nlog_crc32c("123456789", 9, 0), 0xE3069283u);
	/* chaining equals one pass */
	assert_int_equal(nlog_crc32c("6789", 4, nlog_crc32c("12345", 5, 0)),
			 0xE3069283u);
}

static void
test_record_seal_detects_flipped_bit(void **state)
{
	uint8_t rec[64];
	struct nlog_rec_hdr *h = (void *)rec;

	(void)state;
	memset(rec, 0, sizeof(rec));
	h->len = 20;
	h->zxid = 0x100000001ull;
	h->type = 1;
	h->wpos = 8;
	memcpy(rec + NLOG_REC_HDR, "abcdefghijklmnopqrst", 20);
	nlog_rec_seal(h, rec + NLOG_REC_HDR);
	assert_true(nlog_rec_check(h, rec + NLOG_REC_HDR));
	for (size_t bit = 64; bit < (NLOG_REC_HDR + 20) * 8; bit += 7) {
		rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(nlog_rec_check(h, rec + NLOG_REC_HDR));
		rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	h->len = 21; /* a changed length is caught too */
	assert_false(nlog_rec_check(h, rec + NLOG_REC_HDR));
	h->len = 20;
	assert_int_equal(nlog_rec_size(20), 48);
	assert_int_equal(nlog_rec_size(0), 24);
}

/* ---- append, flush, poll, reopen ---- */

static void
test_appended_records_replay_after_reopen(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;

	tu_config(&c, f->dir);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_int_equal(rep.last_zxid, 0);
	append_range(l, 1, 500, 7);
	nlog_close(l);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	expect_range(f, 1, 500);
	assert_int_equal(rep.last_zxid, 500);
	assert_false(rep.torn);
	/* appends continue after the recovered end */
	assert_int_equal(nlog_append(l, 500, 1, "x", 1), -EINVAL);
	append_range(l, 501, 600, 3);
	nlog_close(l);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	expect_range(f, 1, 600);
	nlog_close(l);
}

static void
test_poll_reports_durable_only_after_completion(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l;
	uint64_t d = 0;
	int got = 0;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	assert_int_equal(nlog_append(l, 10, 1, "a", 1), 0);
	assert_int_equal(nlog_durable_zxid(l), 0);
	assert_int_equal(nlog_poll(l, &d), 0); /* not flushed: nothing */
	assert_int_equal(d, 0);
	assert_int_equal(nlog_flush(l), 0);
	/* a second batch while the first is in flight */
	assert_int_equal(nlog_append(l, 11, 1, "b", 1), 0);
	assert_int_equal(nlog_flush(l), 0);
	for (int i = 0; i < 2000000 && d < 11; i++) {
		int rc = nlog_poll(l, &d);
		assert_true(rc >= 0);
		got += rc;
		if (rc == 0)
			usleep(10);
	}
	assert_int_equal(d, 11);
	assert_true(got >= 1);
	assert_true(nlog_idle(l));
	nlog_close(l);
}

static void
test_append_rejects_bad_input(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l;
	static uint8_t big[40000];
	int rc = 0;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	assert_int_equal(nlog_append(l, 0, 1, "a", 1), -EINVAL);
	assert_int_equal(nlog_append(l, 5, 1, "a", 1), 0);
	assert_int_equal(nlog_append(l, 5, 1, "a", 1), -EINVAL);
	assert_int_equal(nlog_append(l, 4, 1, "a", 1), -EINVAL);
	/* larger than a buffer can ever hold */
	assert_int_equal(nlog_append(l, 6, 1, big, sizeof(big)), -EINVAL);
	/* fill the buffer without flushing: -ENOBUFS */
	for (uint64_t z = 6; z < 1000; z++) {
		rc = nlog_append(l, z, 1, big, 1000);
		if (rc != 0)
			break;
	}
	assert_int_equal(rc, -ENOBUFS);
	assert_int_equal(nlog_sync(l), 0);
	nlog_close(l);
}

static void
test_reserve_commit_encodes_in_place(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l;
	uint8_t *p;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	for (uint64_t z = 1; z <= 50; z++) {
		uint8_t want[300];
		uint32_t len = tu_payload(z, want, 300);
		p = nlog_append_reserve(l, 300);
		assert_non_null(p);
		memcpy(p, want, len);
		assert_int_equal(nlog_append_commit(l, z, 1, len), 0);
	}
	assert_int_equal(nlog_sync(l), 0);
	nlog_close(l);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	expect_range(f, 1, 50);
	nlog_close(l);
}

static void
test_segments_roll_over_and_replay_in_order(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_stats st;
	struct nlog *l;

	tu_config(&c, f->dir);
	c.segment_size = 96u << 10;
	c.buffer_size = 16u << 10;
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 3000, 20);
	nlog_get_stats(l, &st);
	assert_true(st.rolls >= 5);
	assert_true(st.fixed_files); /* slots updated through the ring */
	assert_true(st.fixed_bufs);
	nlog_close(l);
	assert_true(count_files(f->dir, "log") >= 6);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	expect_range(f, 1, 3000);
	nlog_close(l);
}

static void
test_roll_over_with_plain_fds_and_short_writes(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_stats st;
	struct nlog *l;

	tu_config(&c, f->dir);
	c.segment_size = 96u << 10;
	c.buffer_size = 16u << 10;
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	nlog_inject(l, NLOG_INJECT_PLAIN_FDS, 0);
	for (uint64_t z = 1; z <= 3000; z += 100) {
		nlog_inject(l, NLOG_INJECT_SHORT, 3);
		append_range(l, z, z + 99, 20);
	}
	nlog_get_stats(l, &st);
	assert_false(st.fixed_files);
	assert_true(st.rolls >= 5);
	assert_true(st.short_writes >= 5);
	nlog_close(l);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	expect_range(f, 1, 3000);
	nlog_close(l);
}

static void
test_segment_size_change_keeps_old_segments_valid(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;

	tu_config(&c, f->dir);
	c.segment_size = 96u << 10;
	c.buffer_size = 16u << 10;
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 1000, 10);
	nlog_close(l);
	c.segment_size = 256u << 10; /* larger: the old tail keeps its size */
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1001, 3000, 10);
	nlog_close(l);
	c.segment_size = 64u << 10; /* smaller */
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	expect_range(f, 1, 3000);
	append_range(l, 3001, 4000, 10);
	nlog_close(l);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_false(rep.torn);
	expect_range(f, 1, 4000);
	nlog_close(l);
}

static void
test_durability_modes_all_persist(void **state)
{
	struct fx *f = *state;
	static const enum nlog_durability modes[] = {
		NLOG_DUR_DSYNC, NLOG_DUR_FDATASYNC, NLOG_DUR_NONE};
	uint64_t z = 0;

	for (size_t i = 0; i < 3; i++) {
		struct nlog_config c;
		struct nlog *l;
		tu_config(&c, f->dir);
		c.durability = modes[i];
		l = reopen(f, &c, NULL);
		assert_non_null(l);
		assert_int_equal(nlog_durability(l), modes[i]);
		append_range(l, z + 1, z + 100, 5);
		z += 100;
		nlog_close(l);
	}
	{
		struct nlog_config c;
		struct nlog *l;
		tu_config(&c, f->dir);
		l = reopen(f, &c, NULL);
		assert_non_null(l);
		expect_range(f, 1, z);
		nlog_close(l);
	}
	{
		enum nlog_durability d;
		assert_int_equal(nlog_durability_parse("fdatasync", &d), 0);
		assert_int_equal(d, NLOG_DUR_FDATASYNC);
		assert_int_equal(nlog_durability_parse("bogus", &d), -EINVAL);
	}
}

static void
test_second_open_of_same_dir_is_busy(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l, *l2;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	l2 = nlog_open(&c, NULL, NULL);
	assert_null(l2);
	assert_int_equal(errno, EBUSY);
	nlog_close(l);
}

/* A log opened from a thread pinned to one CPU (a polling lcore) keeps its
 * io-wq workers off that CPU, so a punted write is never starved by the
 * spinning thread; unpinned, it leaves them to the scheduler. */
static void
test_iowq_workers_kept_off_a_pinned_thread_cpu(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_stats st;
	struct nlog *l;
	cpu_set_t saved, one;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip();
		return;
	}
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&one);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &saved)) {
			CPU_SET(cpu, &one);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	assert_non_null(l);
	nlog_get_stats(l, &st);
	assert_true(st.iowq_moved);
	append_range(l, 1, 50, 10);
	nlog_close(l);
	if (CPU_COUNT(&saved) > 1) {
		l = reopen(f, &c, NULL);
		assert_non_null(l);
		nlog_get_stats(l, &st);
		assert_false(st.iowq_moved);
		nlog_close(l);
	}
}

/* ---- I/O errors ---- */

static void
test_short_writes_and_eagain_are_resubmitted(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_stats st;
	struct nlog *l;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	nlog_inject(l, NLOG_INJECT_SHORT, 20);
	append_range(l, 1, 300, 50);
	nlog_inject(l, NLOG_INJECT_EAGAIN, 5);
	append_range(l, 301, 400, 50);
	nlog_get_stats(l, &st);
	assert_true(st.short_writes >= 1);
	assert_true(st.eagain_retries >= 1);
	assert_int_equal(nlog_error(l), 0);
	nlog_close(l);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	expect_range(f, 1, 400);
	nlog_close(l);
}

static void
test_write_error_is_fatal_and_sticky(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l;
	int rc = 0;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 10, 5);
	nlog_inject(l, NLOG_INJECT_EIO, 1);
	assert_int_equal(nlog_append(l, 11, 1, "x", 1), 0);
	assert_int_equal(nlog_flush(l), 0);
	for (int i = 0; i < 200000 && rc == 0; i++) {
		rc = nlog_poll(l, NULL);
		if (rc == 0)
			usleep(10);
	}
	assert_int_equal(rc, -EIO);
	assert_int_equal(nlog_error(l), -EIO);
	assert_int_equal(nlog_durable_zxid(l), 10); /* 11 never durable */
	assert_int_equal(nlog_append(l, 12, 1, "x", 1), -EIO);
	assert_int_equal(nlog_flush(l), -EIO);
	assert_int_equal(nlog_poll(l, NULL), -EIO);
	assert_int_equal(nlog_sync(l), -EIO);
	nlog_close(l);
}

/* ---- truncation ---- */

static void
test_truncate_removes_later_records(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l;

	tu_config(&c, f->dir);
	c.segment_size = 96u << 10;
	c.buffer_size = 16u << 10;
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 2000, 10);
	/* a snapshot newer than the truncation point goes too */
	{
		struct nlog_snap *s = nlog_snap_begin(f->dir, 1500);
		assert_non_null(s);
		assert_int_equal(nlog_snap_write(s, "body", 4), 0);
		assert_int_equal(nlog_snap_commit(s), 0);
	}
	assert_int_equal(nlog_truncate(l, 700), 0);
	assert_int_equal(nlog_last_zxid(l), 700);
	assert_int_equal(count_files(f->dir, "snapshot"), 0);
	/* new history after the truncation point */
	append_range(l, 701, 900, 10);
	nlog_close(l);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	expect_range(f, 1, 900);
	/* truncate to before everything */
	assert_int_equal(nlog_truncate(l, 0), 0);
	nlog_close(l);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	assert_int_equal(f->sink.n, 0);
	append_range(l, 5, 10, 2);
	nlog_close(l);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	expect_range(f, 5, 10);
	nlog_close(l);
}

static void
test_truncate_discards_unflushed_records(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 10, 3);
	assert_int_equal(nlog_append(l, 11, 1, "q", 1), 0);
	assert_int_equal(nlog_append(l, 12, 1, "q", 1), 0);
	assert_int_equal(nlog_truncate(l, 10), 0);
	append_range(l, 11, 20, 3);
	nlog_close(l);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	expect_range(f, 1, 20);
	nlog_close(l);
}

/* ---- snapshots ---- */

static int
serialize_counting(void *arg, nlog_write_fn *write, void *ctx)
{
	uint64_t n = *(uint64_t *)arg;
	uint8_t chunk[4096];

	for (uint64_t i = 0; i < n; i += sizeof(chunk)) {
		for (size_t j = 0; j < sizeof(chunk); j++)
			chunk[j] = (uint8_t)(i + j);
		int rc = write(ctx, chunk, sizeof(chunk));
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
test_snapshot_round_trip_then_log_replay(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog_snap_info info;
	struct nlog *l;
	uint64_t body = 3u << 20;
	uint32_t sum = 0;
	char path[PATH_MAX];

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 300, 10);
	/* fuzzy: snapshot of "state at 200" while appends go on */
	assert_int_equal(nlog_snap_save(f->dir, 200, serialize_counting, &body),
			 0);
	append_range(l, 301, 400, 10);
	nlog_close(l);
	for (uint64_t i = 0; i < body; i += 4096)
		for (size_t j = 0; j < 4096; j++)
			sum += (uint8_t)(i + j);
	nlog_snap_path(path, sizeof(path), f->dir, 200);
	assert_int_equal(nlog_snap_inspect(path, true, &info), 0);
	assert_true(info.header_ok);
	assert_true(info.body_ok);
	assert_int_equal(info.zxid, 200);
	assert_int_equal(info.body_len, body);

	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_int_equal(rep.snap_zxid, 200);
	assert_int_equal(f->sink.snap_calls, 1);
	assert_int_equal(f->sink.snap_len, body);
	assert_int_equal(f->sink.snap_crc_like, sum);
	expect_range(f, 201, 400);
	nlog_close(l);
}

static void
test_truncated_snapshot_falls_back_to_previous(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;
	uint64_t body = 100000;
	char path[PATH_MAX];

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 100, 10);
	assert_int_equal(nlog_snap_save(f->dir, 40, serialize_counting, &body),
			 0);
	assert_int_equal(nlog_snap_save(f->dir, 80, serialize_counting, &body),
			 0);
	nlog_close(l);
	nlog_snap_path(path, sizeof(path), f->dir, 80);
	assert_int_equal(truncate(path, 5000), 0);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_int_equal(rep.snap_zxid, 40);
	assert_int_equal(rep.snaps_skipped, 1);
	expect_range(f, 41, 100);
	nlog_close(l);
	/* a flipped body byte is caught by the CRC, not just the size */
	nlog_snap_path(path, sizeof(path), f->dir, 40);
	{
		int fd = open(path, O_RDWR);
		uint8_t b;
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &b, 1, 70000), 1);
		b ^= 0x40;
		assert_int_equal(pwrite(fd, &b, 1, 70000), 1);
		close(fd);
	}
	l = reopen(f, &c, &rep);
	assert_non_null(l); /* the log still starts at segment 0 */
	assert_int_equal(rep.snap_zxid, 0);
	assert_int_equal(rep.snaps_skipped, 2);
	expect_range(f, 1, 100);
	nlog_close(l);
}

static void
test_snapshot_abort_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct nlog_snap *s = nlog_snap_begin(f->dir, 7);

	assert_non_null(s);
	assert_int_equal(nlog_snap_write(s, "abc", 3), 0);
	nlog_snap_abort(s);
	assert_int_equal(count_files(f->dir, "snapshot"), 0);
	{
		DIR *d = opendir(f->dir);
		struct dirent *e;
		int n = 0;
		while ((e = readdir(d)) != NULL)
			n += e->d_name[0] != '.';
		closedir(d);
		assert_int_equal(n, 0);
	}
}

static void
test_snapshot_pipe_moves_slices(void **state)
{
	struct fx *f = *state;
	struct nlog_snap_pipe *p = nlog_snap_pipe_create(100000);
	struct nlog_snap *s = nlog_snap_begin(f->dir, 9);
	struct nlog_snap_info info;
	static uint8_t data[300000];
	size_t pushed = 0;
	char path[PATH_MAX];

	assert_non_null(p);
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	while (pushed < sizeof(data)) {
		size_t n = nlog_snap_pipe_push(p, data + pushed,
					       sizeof(data) - pushed);
		assert_true(n <= NLOG_SNAP_SLICE);
		pushed += n;
		if (n == 0)
			assert_true(nlog_snap_pipe_drain(p, s) > 0);
	}
	nlog_snap_pipe_close_write(p);
	assert_false(nlog_snap_pipe_done(p) && pushed == 0);
	while (!nlog_snap_pipe_done(p))
		assert_true(nlog_snap_pipe_drain(p, s) >= 0);
	assert_int_equal(nlog_snap_commit(s), 0);
	nlog_snap_pipe_free(p);
	nlog_snap_path(path, sizeof(path), f->dir, 9);
	assert_int_equal(nlog_snap_inspect(path, true, &info), 0);
	assert_true(info.body_ok);
	assert_int_equal(info.body_len, sizeof(data));
	assert_int_equal(info.body_crc, nlog_crc32c(data, sizeof(data), 0));
}

/* ---- retention ---- */

static void
test_purge_keeps_n_snapshots_and_needed_segments(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;
	uint64_t body = 10000;
	int before, after, del;

	tu_config(&c, f->dir);
	c.segment_size = 96u << 10;
	c.buffer_size = 16u << 10;
	c.retain = 2;
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	for (uint64_t k = 1; k <= 4; k++) {
		append_range(l, (k - 1) * 1000 + 1, k * 1000, 10);
		assert_int_equal(nlog_snap_save(f->dir, k * 1000 - 500,
						serialize_counting, &body),
				 0);
	}
	before = count_files(f->dir, "log");
	del = nlog_purge(l, 0);
	assert_true(del > 2);
	assert_int_equal(count_files(f->dir, "snapshot"), 2);
	after = count_files(f->dir, "log");
	assert_true(after < before);
	append_range(l, 4001, 4100, 10);
	nlog_close(l);
	/* recovery from the newest snapshot (3500) still works */
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_int_equal(rep.snap_zxid, 3500);
	expect_range(f, 3501, 4100);
	nlog_close(l);
	/* and from the oldest kept one (2500), if the newest is damaged */
	{
		char path[PATH_MAX];
		nlog_snap_path(path, sizeof(path), f->dir, 3500);
		assert_int_equal(truncate(path, 100), 0);
	}
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_int_equal(rep.snap_zxid, 2500);
	expect_range(f, 2501, 4100);
	nlog_close(l);
}

struct purger {
	struct nlog *l;
	const char *dir;
	_Atomic uint64_t applied; /* what the owner has made durable */
	atomic_bool stop;
	int snaps, deleted, errors;
};

static int
serialize_zxid(void *arg, nlog_write_fn *write, void *ctx)
{
	return write(ctx, arg, sizeof(uint64_t));
}

/* mgmt: snapshot what is durable, then purge, until told to stop. */
static void *
purger_main(void *arg)
{
	struct purger *p = arg;
	uint64_t last = 0;

	while (!atomic_load(&p->stop)) {
		uint64_t z = atomic_load(&p->applied);
		if (z > last + 200) {
			if (nlog_snap_save(p->dir, z, serialize_zxid, &z) != 0)
				p->errors++;
			p->snaps++;
			last = z;
			int d = nlog_purge(p->l, 2);
			if (d < 0)
				p->errors++;
			else
				p->deleted += d;
		}
		usleep(2000);
	}
	return NULL;
}

static void
test_snapshots_and_purge_from_another_thread_while_appending(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct purger pu = {0};
	pthread_t th;
	struct nlog *l;
	uint64_t z = 0;

	tu_config(&c, f->dir);
	c.segment_size = 96u << 10;
	c.buffer_size = 16u << 10;
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	pu.l = l;
	pu.dir = f->dir;
	assert_int_equal(pthread_create(&th, NULL, purger_main, &pu), 0);
	for (int round = 0; round < 40; round++) {
		append_range(l, z + 1, z + 150, 10);
		z += 150;
		atomic_store(&pu.applied, nlog_durable_zxid(l));
	}
	atomic_store(&pu.stop, true);
	pthread_join(th, NULL);
	nlog_close(l);
	assert_int_equal(pu.errors, 0);
	assert_true(pu.snaps >= 3);
	assert_true(pu.deleted > 0);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_true(rep.snap_zxid > 0);
	expect_range(f, rep.snap_zxid + 1, z);
	nlog_close(l);
}

static void
test_log_without_its_beginning_refuses_start(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;
	char p[PATH_MAX];

	tu_config(&c, f->dir);
	c.segment_size = 96u << 10;
	c.buffer_size = 16u << 10;
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 1500, 10);
	nlog_close(l);
	nlog_seg_path(p, sizeof(p), f->dir, 0);
	assert_int_equal(unlink(p), 0);
	l = reopen(f, &c, &rep);
	assert_null(l);
	assert_int_equal(errno, EUCLEAN);
	assert_non_null(strstr(rep.msg, "no valid snapshot covers"));
}

static void
test_wait_returns_when_write_completes(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l;
	uint64_t d = 0;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	assert_int_equal(nlog_wait(l, 1000), 0); /* nothing in flight */
	assert_int_equal(nlog_append(l, 1, 1, "w", 1), 0);
	assert_int_equal(nlog_flush(l), 0);
	for (int i = 0; i < 1000 && d < 1; i++) {
		int rc = nlog_wait(l, 100000);
		assert_true(rc == 0 || rc == -ETIME);
		assert_true(nlog_poll(l, &d) >= 0);
	}
	assert_int_equal(d, 1);
	nlog_close(l);
}

/* ---- epoch files ---- */

static void
test_epoch_files_round_trip(void **state)
{
	struct fx *f = *state;
	uint64_t v = 99;

	assert_int_equal(nlog_epoch_get(f->dir, NLOG_CURRENT_EPOCH, &v),
			 -ENOENT);
	assert_int_equal(nlog_epoch_set(f->dir, NLOG_CURRENT_EPOCH, 5), 0);
	assert_int_equal(nlog_epoch_set(f->dir, NLOG_ACCEPTED_EPOCH, 6), 0);
	assert_int_equal(nlog_epoch_set(f->dir, NLOG_CURRENT_EPOCH, 7), 0);
	assert_int_equal(nlog_epoch_get(f->dir, NLOG_CURRENT_EPOCH, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(nlog_epoch_get(f->dir, NLOG_ACCEPTED_EPOCH, &v), 0);
	assert_int_equal(v, 6);
	{
		char p[PATH_MAX];
		FILE *fp;
		snprintf(p, sizeof(p), "%s/acceptedEpoch", f->dir);
		fp = fopen(p, "w");
		fputs("x1", fp);
		fclose(fp);
	}
	assert_int_equal(nlog_epoch_get(f->dir, NLOG_ACCEPTED_EPOCH, &v),
			 -EBADMSG);
}

/* ---- torn tail and corruption ---- */

/* Byte offset of the record with zxid in the single segment log.0. */
struct find_ctx {
	uint64_t zxid, off, end;
};

static int
find_fn(void *arg, uint64_t off, const struct nlog_rec_hdr *h, const uint8_t *p)
{
	struct find_ctx *c = arg;

	(void)p;
	if (h->zxid == c->zxid) {
		c->off = off;
		c->end = off + nlog_rec_size(h->len);
	}
	return 0;
}

static struct find_ctx
find_record(const char *dir, uint64_t seq, uint64_t zxid)
{
	struct find_ctx c = {.zxid = zxid};
	struct nlog_seg_scan s;
	struct nlog_map m;
	char path[PATH_MAX];

	nlog_seg_path(path, sizeof(path), dir, seq);
	assert_int_equal(nlog_map_open(path, &m), 0);
	memset(&s, 0, sizeof(s));
	nlog_seg_scan(m.base, m.size,
		      ((const struct nlog_seg_hdr *)m.base)->align, &s, find_fn,
		      &c);
	nlog_map_close(&m);
	return c;
}

static void
poke(const char *dir, uint64_t seq, uint64_t off, const void *p, size_t n)
{
	char path[PATH_MAX];
	int fd;

	nlog_seg_path(path, sizeof(path), dir, seq);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static void
test_torn_tail_is_truncated_and_reported(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;
	struct find_ctx r;
	uint8_t x = 0x5a;

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 100, 9);
	nlog_close(l);
	/* flip a byte inside the last record: a torn last write */
	r = find_record(f->dir, 0, 100);
	assert_true(r.end > 0);
	poke(f->dir, 0, r.off + NLOG_REC_HDR, &x, 1);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_true(rep.torn);
	assert_non_null(strstr(rep.msg, "torn tail"));
	assert_non_null(strstr(rep.msg, "log.0000000000000000"));
	assert_int_equal(rep.torn_offset, r.off);
	expect_range(f, 1, 99);
	append_range(l, 100, 150, 4);
	nlog_close(l);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_false(rep.torn);
	expect_range(f, 1, 150);
	nlog_close(l);
}

static void
test_garbage_after_tail_is_truncated(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;
	struct find_ctx r;
	uint8_t junk[700];

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 50, 5);
	nlog_close(l);
	r = find_record(f->dir, 0, 50);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 13 + 1);
	/* a partial record header + payload past the end, sector aligned */
	poke(f->dir, 0, (r.end + 511) / 512 * 512, junk, sizeof(junk));
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_true(rep.torn);
	expect_range(f, 1, 50);
	append_range(l, 51, 60, 5);
	nlog_close(l);
	l = reopen(f, &c, &rep);
	assert_non_null(l);
	assert_false(rep.torn);
	expect_range(f, 1, 60);
	nlog_close(l);
}

static void
test_corruption_before_tail_refuses_start(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;
	struct find_ctx r;
	uint8_t x = 0xff;
	char want[128];

	tu_config(&c, f->dir);
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	for (uint64_t z = 1; z <= 200; z += 10) /* separate writes */
		append_range(l, z, z + 9, 10);
	nlog_close(l);
	r = find_record(f->dir, 0, 57);
	assert_true(r.end > 0);
	poke(f->dir, 0, r.off + 30, &x, 1);
	l = reopen(f, &c, &rep);
	assert_null(l);
	assert_int_equal(errno, EBADMSG);
	assert_non_null(strstr(rep.msg, "START-UP REFUSED"));
	assert_non_null(strstr(rep.msg, "log.0000000000000000"));
	snprintf(want, sizeof(want), "at offset %" PRIu64, r.off);
	assert_non_null(strstr(rep.msg, want));
	assert_non_null(strstr(rep.msg, "header zxid 0x39")); /* 57 */
	assert_non_null(strstr(rep.msg, "last valid zxid 0x38"));
	/* nothing was changed: still refused */
	l = reopen(f, &c, &rep);
	assert_null(l);
}

static void
test_corrupt_header_in_earlier_segment_refuses_start(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;
	uint8_t z[8] = {0};

	tu_config(&c, f->dir);
	c.segment_size = 96u << 10;
	c.buffer_size = 16u << 10;
	l = reopen(f, &c, NULL);
	assert_non_null(l);
	append_range(l, 1, 1500, 10);
	nlog_close(l);
	/* zero the first record header of segment 1: looks like "end" */
	poke(f->dir, 1, NLOG_SEG_HDR_LEN, z, sizeof(z));
	poke(f->dir, 1, NLOG_SEG_HDR_LEN + 8, z, sizeof(z));
	poke(f->dir, 1, NLOG_SEG_HDR_LEN + 16, z, sizeof(z));
	l = reopen(f, &c, &rep);
	assert_null(l);
	assert_int_equal(errno, EBADMSG);
	assert_non_null(strstr(rep.msg, "log.0000000000000001"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_matches_known_vector),
		cmocka_unit_test(test_record_seal_detects_flipped_bit),
		cmocka_unit_test_setup_teardown(
			test_appended_records_replay_after_reopen, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_poll_reports_durable_only_after_completion, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_append_rejects_bad_input,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reserve_commit_encodes_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_segments_roll_over_and_replay_in_order, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_roll_over_with_plain_fds_and_short_writes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_segment_size_change_keeps_old_segments_valid,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_durability_modes_all_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_second_open_of_same_dir_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_iowq_workers_kept_off_a_pinned_thread_cpu, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_short_writes_and_eagain_are_resubmitted, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_write_error_is_fatal_and_sticky, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_truncate_removes_later_records, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_truncate_discards_unflushed_records, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_round_trip_then_log_replay, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_truncated_snapshot_falls_back_to_previous, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_pipe_moves_slices,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_purge_keeps_n_snapshots_and_needed_segments, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshots_and_purge_from_another_thread_while_appending,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_log_without_its_beginning_refuses_start, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_wait_returns_when_write_completes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_epoch_files_round_trip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_torn_tail_is_truncated_and_reported, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_garbage_after_tail_is_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_corruption_before_tail_refuses_start, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_corrupt_header_in_earlier_segment_refuses_start,
			setup, teardown),
	};

	return cmocka_run_group_tests_name("nlog_unit", tests, NULL, NULL);
}
