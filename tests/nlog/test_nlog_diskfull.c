/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Disk-full test of nvme-log on a small filesystem the test makes itself: a
 * 64 MiB ext4 image, loop-mounted (tmpfs with size= would be simpler but
 * does not support O_DIRECT).  Needs root for mount: exits 77 otherwise.
 *
 * It fills the filesystem, appends until nlog_append says -ENOSPC, and
 * checks: the error is -ENOSPC and not fatal, every record flushed before
 * is durable and replays after a reopen on the still-full disk, a snapshot
 * and an epoch write fail cleanly without leaving temp files or damaging
 * the old epoch, and once space returns the same handle resumes appending.
 * The group teardown unmounts and detaches the loop device even when an
 * assertion failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>

#include "nvme-log/nlog_priv.h"
#include "tests/nlog/nlog_test_util.h"

static char top[PATH_MAX], img[PATH_MAX + 16], mnt[PATH_MAX + 16];
static char logdir[PATH_MAX + 32], filler[PATH_MAX + 32];
static bool mounted;

static int
sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
group_setup(void **state)
{
	(void)state;
	if (tu_mkdir(top, sizeof(top)) == NULL)
		return -1;
	snprintf(img, sizeof(img), "%s/fs.img", top);
	snprintf(mnt, sizeof(mnt), "%s/mnt", top);
	snprintf(logdir, sizeof(logdir), "%s/data", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	if (mkdir(mnt, 0755) != 0)
		return -1;
	if (sh("truncate -s 64M %s && mkfs.ext4 -q -F %s", img, img) != 0)
		return -1;
	if (sh("mount -o loop %s %s", img, mnt) != 0)
		return -1;
	mounted = true;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (mounted) {
		/* umount; the loop device is autocleared, detach it anyway */
		/* io_uring releases registered files asynchronously after
		 * the ring is torn down: retry for a while, then lazily */
		sh("for i in $(seq 50); do umount %s 2>/dev/null && exit 0; "
		   "sleep 0.1; done; umount -l %s",
		   mnt, mnt);
		sh("for d in $(losetup -j %s -O NAME -n 2>/dev/null); do "
		   "losetup -d $d; done",
		   img);
		mounted = false;
	}
	tu_rm_rf(top);
	return 0;
}

static uint64_t
free_bytes(const char *path)
{
	struct statvfs v;

	if (statvfs(path, &v) != 0)
		return 0;
	return (uint64_t)v.f_bfree * v.f_frsize;
}

static void
cfg(struct nlog_config *c)
{
	tu_config(c, logdir);
	c->segment_size = 4u << 20;
	c->buffer_size = 256u << 10;
}

/* Append z with retries for -ENOBUFS/-EAGAIN (bounded: ~5 s). */
static int
append_one(struct nlog *l, uint64_t z)
{
	uint8_t p[1000];
	uint32_t len = tu_payload(z, p, sizeof(p));
	int rc = 0;

	for (int i = 0; i < 50000; i++) {
		rc = nlog_append(l, z, 1, p, len);
		if (rc != -ENOBUFS && rc != -EAGAIN)
			return rc;
		nlog_flush(l);
		if (nlog_poll(l, NULL) == 0)
			usleep(100);
	}
	return rc;
}

static int
count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".tmp") != NULL;
	if (d != NULL)
		closedir(d);
	return n;
}

static int
fill_snapshot(void *arg, nlog_write_fn *write, void *ctx)
{
	static uint8_t chunk[1 << 20];

	(void)arg;
	for (int i = 0; i < 64; i++) {
		int rc = write(ctx, chunk, sizeof(chunk));
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
test_disk_full_fails_appends_then_resumes(void **state)
{
	struct nlog_config c;
	struct nlog_report rep;
	struct tu_sink sink = {.check_payload = true, .max_payload = 1000};
	struct nlog_recover_ops ops = tu_ops(&sink);
	struct nlog *l;
	uint64_t z = 0, durable, e;
	int rc = 0, fd;

	(void)state;
	cfg(&c);
	l = nlog_open(&c, NULL, &rep);
	assert_non_null(l);
	assert_int_equal(nlog_epoch_set(logdir, NLOG_CURRENT_EPOCH, 3), 0);
	/* leave room for about two more segments */
	fd = open(filler, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(
		fallocate(fd, 0, 0, (off_t)(free_bytes(mnt) - (10u << 20))), 0);
	close(fd);
	for (z = 1; z < 200000; z++) {
		rc = append_one(l, z);
		if (rc != 0)
			break;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(nlog_error(l), 0); /* not fatal */
	assert_int_equal(nlog_sync(l), 0);
	durable = nlog_durable_zxid(l);
	assert_int_equal(durable, z - 1);
	assert_true(durable > 1000);
	/* still full: appends keep failing the same way */
	assert_int_equal(append_one(l, z), -ENOSPC);
	/* a snapshot fails cleanly, leaving no temp file */
	rc = nlog_snap_save(logdir, durable, fill_snapshot, NULL);
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(count_tmp(logdir), 0);
	/* an epoch write needs one block; squeeze it out first */
	{
		int f2 = open(filler, O_RDWR);
		struct stat st;
		assert_true(f2 >= 0);
		assert_int_equal(fstat(f2, &st), 0);
		fallocate(f2, 0, st.st_size, (off_t)free_bytes(mnt));
		for (int i = 0; i < 64 && free_bytes(mnt) > 0; i++)
			fallocate(f2, 0, st.st_size + (i + 1) * 1000000, 4096);
		close(f2);
		rc = nlog_epoch_set(logdir, NLOG_CURRENT_EPOCH, 4);
		if (rc != 0) {
			assert_int_equal(rc, -ENOSPC);
			assert_int_equal(
				nlog_epoch_get(logdir, NLOG_CURRENT_EPOCH, &e),
				0);
			assert_int_equal(e, 3);
			assert_int_equal(count_tmp(logdir), 0);
		}
	}
	nlog_close(l);

	/* reopen on the full disk: durable records are all readable */
	l = nlog_open(&c, &ops, &rep);
	assert_non_null(l);
	assert_int_equal(sink.n, durable);
	assert_int_equal(sink.payload_errors, 0);
	assert_int_equal(sink.order_errors, 0);
	assert_int_equal(append_one(l, durable + 1), -ENOSPC);

	/* space returns: the same handle resumes */
	assert_int_equal(unlink(filler), 0);
	for (int i = 0; i < 100; i++) { /* the segment thread retries */
		rc = append_one(l, durable + 1);
		if (rc != -ENOSPC)
			break;
		usleep(50000);
	}
	assert_int_equal(rc, 0);
	for (z = durable + 2; z <= durable + 3000; z++)
		assert_int_equal(append_one(l, z), 0);
	assert_int_equal(nlog_sync(l), 0);
	nlog_close(l);
	tu_sink_reset(&sink);
	sink.check_payload = true;
	sink.max_payload = 1000;
	ops = tu_ops(&sink);
	l = nlog_open(&c, &ops, &rep);
	assert_non_null(l);
	assert_false(rep.torn);
	assert_int_equal(sink.n, durable + 3000);
	assert_int_equal(sink.payload_errors, 0);
	nlog_close(l);
	tu_sink_reset(&sink);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_full_fails_appends_then_resumes),
	};
	int rc;

	if (geteuid() != 0) {
		printf("SKIP: the disk-full test mounts a loop ext4 image and "
		       "needs root\n");
		return 77;
	}
	if (system("command -v mkfs.ext4 >/dev/null && command -v losetup "
		   ">/dev/null") != 0) {
		printf("SKIP: mkfs.ext4 or losetup missing (e2fsprogs, "
		       "mount)\n");
		return 77;
	}
	if (group_setup(NULL) != 0) {
		group_teardown(NULL);
		printf("SKIP: cannot make and loop-mount an ext4 image here\n");
		return 77;
	}
	rc = cmocka_run_group_tests_name("nlog_diskfull", tests, NULL, NULL);
	group_teardown(NULL);
	return rc;
}
