/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash tests of nvme-log: a child process appends consecutive zxids with a
 * random number of appends outstanding and reports every zxid that
 * nlog_poll says is durable to the parent through a pipe; the parent kills
 * it with SIGKILL at a random moment (fixed seeds), reopens the log and
 * checks that every zxid reported durable is present, in order, with its
 * exact payload, and that the replay is a gap-free prefix.  The next child
 * continues from there, so kills also land inside recovery, segment
 * creation and roll-over.
 *
 * SIGKILL does not tear a write that reached the kernel, so the second test
 * also simulates the power-loss case: after the kill it damages one byte of
 * the LAST write when that write holds only zxids never reported durable,
 * and checks the torn tail is cut there and nothing after it is replayed.
 * Iteration counts are bounded so the whole file runs in well under a
 * minute here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "nvme-log/nlog_priv.h"
#include "tests/nlog/nlog_test_util.h"

#define MAXP 200

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
small_config(struct nlog_config *c, const char *dir)
{
	tu_config(c, dir);
	c->segment_size = 128u << 10;
	c->buffer_size = 16u << 10;
	c->quiet = true;
}

/* The child: append forever with `outstanding` in flight, report durable
 * zxids on fd.  Never returns. */
static void
child(const char *dir, int fd, unsigned outstanding)
{
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog *l;
	uint8_t p[MAXP];
	uint64_t next, durable = 0;

	small_config(&c, dir);
	l = nlog_open(&c, NULL, &rep);
	if (l == NULL) {
		fprintf(stderr, "child: open failed: %s\n%s", strerror(errno),
			rep.msg);
		_exit(3);
	}
	next = rep.last_zxid + 1;
	for (;;) {
		uint64_t d;
		int rc;

		while (next - 1 - nlog_durable_zxid(l) < outstanding) {
			uint32_t len = tu_payload(next, p, MAXP);
			rc = nlog_append(l, next, 1, p, len);
			if (rc == -ENOBUFS || rc == -EAGAIN)
				break;
			if (rc != 0)
				_exit(4);
			next++;
		}
		if (nlog_flush(l) != 0)
			_exit(5);
		rc = nlog_poll(l, &d);
		if (rc < 0)
			_exit(6);
		if (rc > 0 && d > durable) {
			durable = d;
			if (write(fd, &d, sizeof(d)) != sizeof(d))
				_exit(7);
		}
	}
}

/* Run one child for delay_us, kill it, return the highest zxid it reported
 * durable (or prev if none). */
static uint64_t
run_and_kill(const char *dir, unsigned outstanding, unsigned delay_us,
	     uint64_t prev)
{
	int pfd[2];
	pid_t pid;
	uint64_t v, best = prev;
	int status;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		child(dir, pfd[1], outstanding);
	}
	close(pfd[1]);
	usleep(delay_us);
	kill(pid, SIGKILL);
	while (read(pfd[0], &v, sizeof(v)) == sizeof(v))
		if (v > best)
			best = v;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))
		fail_msg("child exited with %d instead of being killed",
			 WEXITSTATUS(status));
	return best;
}

/* Reopen in the parent and check the replay: gap-free prefix 1..M with
 * exact payloads and M >= durable. */
static uint64_t
check_replay(const char *dir, uint64_t durable, struct nlog_report *rep)
{
	struct nlog_config c;
	struct tu_sink sink = {.check_payload = true, .max_payload = MAXP};
	struct nlog_recover_ops ops = tu_ops(&sink);
	struct nlog *l;
	uint64_t m;

	small_config(&c, dir);
	l = nlog_open(&c, &ops, rep);
	if (l == NULL)
		fail_msg("reopen failed: %s\n%s", strerror(errno), rep->msg);
	for (size_t i = 0; i < sink.n; i++)
		if (sink.zxids[i] != i + 1)
			fail_msg(
				"replay not a gap-free prefix at %zu: 0x%" PRIx64,
				i, sink.zxids[i]);
	m = sink.n;
	if (m < durable)
		fail_msg("lost durable zxids: reported %" PRIu64
			 ", replayed %" PRIu64,
			 durable, m);
	assert_int_equal(sink.payload_errors, 0);
	assert_int_equal(sink.order_errors, 0);
	nlog_close(l);
	tu_sink_reset(&sink);
	return m;
}

static void
test_sigkill_never_loses_durable_zxids(void **state)
{
	static const unsigned outs[] = {1, 8, 64, 512};
	char dir[PATH_MAX];
	uint64_t seed = 0x5eed0001;
	time_t t0 = time(NULL);
	int iters = 0;

	(void)state;
	for (int round = 0; round < 3; round++) {
		uint64_t durable = 0;
		assert_non_null(tu_mkdir(dir, sizeof(dir)));
		for (int i = 0; i < 40 && time(NULL) - t0 < 40; i++) {
			struct nlog_report rep;
			unsigned o = outs[rnd(&seed) % 4];
			unsigned delay = 2000 + (unsigned)(rnd(&seed) % 40000);
			durable = run_and_kill(dir, o, delay, durable);
			check_replay(dir, durable, &rep);
			iters++;
		}
		tu_rm_rf(dir);
	}
	print_message("crash loop: %d kills survived\n", iters);
	assert_true(iters >= 20);
}

struct recs {
	uint64_t off[8192], zxid[8192], size[8192];
	uint32_t wpos[8192];
	size_t n;
};

static int
collect(void *arg, uint64_t off, const struct nlog_rec_hdr *h, const uint8_t *p)
{
	struct recs *r = arg;

	(void)p;
	if (r->n < 8192) {
		r->off[r->n] = off;
		r->zxid[r->n] = h->zxid;
		r->size[r->n] = NLOG_REC_HDR + h->len; /* CRC-covered bytes */
		r->wpos[r->n] = h->wpos;
		r->n++;
	}
	return 0;
}

/* Damage one byte inside the last write if every record in it is > durable.
 * Returns the zxid of the damaged record, 0 when nothing was damaged. */
static uint64_t
tear_last_write(const char *dir, uint64_t durable, uint64_t *seed)
{
	static struct recs r;
	struct nlog_walk w;
	struct nlog_seginfo *si;
	struct nlog_seg_scan s;
	struct nlog_map m;
	char path[PATH_MAX];
	size_t first, k;
	uint64_t off;
	uint8_t b;
	int fd;

	assert_int_equal(nlog_walk(dir, &w), 0);
	assert_int_equal(w.status, NLOG_WALK_CLEAN);
	si = &w.segs[w.tail];
	snprintf(path, sizeof(path), "%s", si->path);
	r.n = 0;
	if (w.nrec > 0) {
		assert_int_equal(nlog_map_open(path, &m), 0);
		memset(&s, 0, sizeof(s));
		nlog_seg_scan(m.base, m.size, si->align, &s, collect, &r);
		nlog_map_close(&m);
	}
	nlog_walk_free(&w);
	if (r.n == 0 || r.n == 8192)
		return 0;
	first = r.n - 1;
	while (first > 0 && r.wpos[first - 1] == r.wpos[r.n - 1])
		first--;
	if (r.zxid[first] <= durable)
		return 0; /* the last write was reported: it cannot be torn */
	k = first + rnd(seed) % (r.n - first);
	off = r.off[k] + rnd(seed) % r.size[k];
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0xa5;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	fsync(fd);
	close(fd);
	return r.zxid[k];
}

static void
test_torn_last_write_is_cut_and_nothing_after_replayed(void **state)
{
	static const unsigned outs[] = {8, 64, 512};
	char dir[PATH_MAX];
	uint64_t seed = 0x70124;
	uint64_t durable = 0;
	time_t t0 = time(NULL);
	int torn = 0;

	(void)state;
	assert_non_null(tu_mkdir(dir, sizeof(dir)));
	for (int i = 0; i < 80 && time(NULL) - t0 < 30; i++) {
		struct nlog_report rep;
		unsigned o = outs[rnd(&seed) % 3];
		unsigned delay = 2000 + (unsigned)(rnd(&seed) % 30000);
		uint64_t dz, m;

		durable = run_and_kill(dir, o, delay, durable);
		dz = tear_last_write(dir, durable, &seed);
		m = check_replay(dir, durable, &rep);
		if (dz != 0) {
			torn++;
			if (!rep.torn)
				fail_msg("damage at zxid 0x%" PRIx64
					 " not reported as torn",
					 dz);
			if (m != dz - 1)
				fail_msg("replayed up to 0x%" PRIx64
					 " past the torn record 0x%" PRIx64,
					 m, dz);
		}
	}
	tu_rm_rf(dir);
	print_message("torn-write loop: %d torn tails cut\n", torn);
	assert_true(torn >= 3);
}

/* Write class of byte `p` in the pristine log described by r. */
enum hit { HIT_RECORD, HIT_RECPAD, HIT_WRITEPAD, HIT_BEYOND };

static enum hit
classify(const struct recs *r, uint64_t p, size_t *k)
{
	for (size_t i = 0; i < r->n; i++) {
		uint64_t span = (r->size[i] + 7) & ~7ull;
		if (p >= r->off[i] && p < r->off[i] + r->size[i]) {
			*k = i;
			return HIT_RECORD;
		}
		if (p >= r->off[i] && p < r->off[i] + span) {
			*k = i;
			return HIT_RECPAD;
		}
		if (i + 1 < r->n && p >= r->off[i] + span &&
		    p < r->off[i + 1]) {
			*k = i;
			return HIT_WRITEPAD;
		}
	}
	*k = r->n - 1;
	return p < r->off[r->n - 1] ? HIT_WRITEPAD : HIT_BEYOND;
}

static void
test_random_byte_flips_never_drop_committed_records_silently(void **state)
{
	static struct recs r;
	static uint8_t orig[128u << 10];
	char dir[PATH_MAX], seg[PATH_MAX];
	struct nlog_config c;
	struct nlog_seg_scan s;
	struct nlog_map m;
	struct nlog *l;
	uint64_t seed = 0xf11b5, z = 0, end;
	int refused = 0, torn = 0, clean = 0;
	uint8_t p[MAXP];

	(void)state;
	assert_non_null(tu_mkdir(dir, sizeof(dir)));
	small_config(&c, dir);
	l = nlog_open(&c, NULL, NULL);
	assert_non_null(l);
	/* about 25 separate writes of 1..12 records */
	for (int w = 0; w < 25; w++) {
		int n = 1 + (int)(rnd(&seed) % 12);
		for (int i = 0; i < n; i++) {
			z++;
			assert_int_equal(
				nlog_append(l, z, 1, p, tu_payload(z, p, MAXP)),
				0);
		}
		assert_int_equal(nlog_sync(l), 0);
	}
	nlog_close(l);
	nlog_seg_path(seg, sizeof(seg), dir, 0);
	assert_int_equal(nlog_map_open(seg, &m), 0);
	memset(&s, 0, sizeof(s));
	r.n = 0;
	nlog_seg_scan(m.base, m.size,
		      ((const struct nlog_seg_hdr *)m.base)->align, &s, collect,
		      &r);
	assert_true(m.size >= sizeof(orig));
	memcpy(orig, m.base, sizeof(orig));
	nlog_map_close(&m);
	assert_int_equal(r.n, z);
	end = r.off[r.n - 1] + r.size[r.n - 1];
	assert_true(end + 2048 < sizeof(orig));

	for (int it = 0; it < 300; it++) {
		uint64_t pos = NLOG_SEG_HDR_LEN +
			       rnd(&seed) % (end + 2048 - NLOG_SEG_HDR_LEN);
		uint8_t b = orig[pos] ^ (uint8_t)(1 + rnd(&seed) % 255);
		struct tu_sink sink = {0};
		struct nlog_recover_ops ops = tu_ops(&sink);
		struct nlog_report rep;
		uint64_t *v;
		size_t nv, k;
		enum hit h = classify(&r, pos, &k);
		bool last_write = r.wpos[k] == r.wpos[r.n - 1];
		int fd;

		/* restore the pristine segment alone, then flip one byte */
		if (nlog_list(dir, "log", &v, &nv) == 0) {
			for (size_t i = 0; i < nv; i++) {
				char q[PATH_MAX];
				nlog_seg_path(q, sizeof(q), dir, v[i]);
				if (v[i] != 0)
					unlink(q);
			}
			free(v);
		}
		fd = open(seg, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, orig, sizeof(orig), 0),
				 (ssize_t)sizeof(orig));
		assert_int_equal(pwrite(fd, &b, 1, (off_t)pos), 1);
		close(fd);

		l = nlog_open(&c, &ops, &rep);
		if (l == NULL) {
			/* refusing is right only before the last write */
			if (errno != EBADMSG ||
			    (h != HIT_RECORD && h != HIT_WRITEPAD) ||
			    last_write)
				fail_msg("refused (%s) for a flip at %" PRIu64
					 " class %d in the last write: %s",
					 strerror(errno), pos, h, rep.msg);
			refused++;
			tu_sink_reset(&sink);
			continue;
		}
		nlog_close(l);
		for (size_t i = 0; i < sink.n; i++)
			assert_int_equal(sink.zxids[i], i + 1);
		assert_int_equal(sink.payload_errors, 0);
		if (h == HIT_RECORD) {
			/* must have been the last write, cut at the record */
			if (!last_write || !rep.torn || sink.n != r.zxid[k] - 1)
				fail_msg("flip in record 0x%" PRIx64
					 " (last write %d) at %" PRIu64
					 ": replayed %zu, torn %d",
					 r.zxid[k], last_write, pos, sink.n,
					 rep.torn);
			torn++;
		} else {
			/* padding or beyond the end: nothing may be lost,
			 * except after damage inside the last write itself
			 * (indistinguishable from a tear: cut, reported) */
			bool cut_ok = last_write && rep.torn &&
				      h == HIT_WRITEPAD && sink.n == r.zxid[k];
			if (sink.n != z && !cut_ok)
				fail_msg(
					"flip in padding at %" PRIu64
					" lost records: replayed %zu of %" PRIu64,
					pos, sink.n, z);
			clean++;
		}
		tu_sink_reset(&sink);
	}
	tu_rm_rf(dir);
	print_message("byte flips: %d refused, %d torn tails cut, %d "
		      "harmless\n",
		      refused, torn, clean);
	assert_true(refused > 50);
	assert_true(torn > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_never_loses_durable_zxids),
		cmocka_unit_test(
			test_torn_last_write_is_cut_and_nothing_after_replayed),
		cmocka_unit_test(
			test_random_byte_flips_never_drop_committed_records_silently),
	};

	return cmocka_run_group_tests_name("nlog_crash", tests, NULL, NULL);
}
