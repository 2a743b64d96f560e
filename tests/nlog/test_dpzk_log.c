/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the dpzk-log operator tool (path given as argv[1] by meson):
 * --help, ranges, dump with decoded txns, verify exit codes (clean, torn,
 * corrupt), truncate as a dry run and for real, snapshot header display.
 * The tool is run as a process, exactly as an operator would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <sys/wait.h>

#include "nvme-log/nlog_priv.h"
#include "proto/proto.h"
#include "tests/nlog/nlog_test_util.h"

static const char *tool;
static char out[1 << 16];

/* Run the tool with args; stdout+stderr into out; returns exit code. */
static int
run(const char *fmt, ...)
{
	char cmd[PATH_MAX * 3], args[PATH_MAX * 2];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", tool, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct fx {
	char dir[PATH_MAX];
};

/* A log with txn payloads: creates of /n<i> then a setData. */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct nlog_config c;
	struct nlog *l;
	uint8_t buf[512];

	if (f == NULL || tu_mkdir(f->dir, sizeof(f->dir)) == NULL)
		return -1;
	tu_config(&c, f->dir);
	l = nlog_open(&c, NULL, NULL);
	if (l == NULL)
		return -1;
	for (int i = 1; i <= 40; i++) {
		struct proto_txn t;
		struct proto_wbuf w;
		char path[32];
		uint64_t z = 0x100000000ull + (uint64_t)i;

		memset(&t, 0, sizeof(t));
		t.hdr.session_id = 0x77;
		t.hdr.xid = i;
		t.hdr.zxid = (int64_t)z;
		t.hdr.time = 1700000000000ll;
		snprintf(path, sizeof(path), "/n%d", i);
		t.path.p = (const uint8_t *)path;
		t.path.len = (int32_t)strlen(path);
		t.data.p = (const uint8_t *)"hello";
		t.data.len = 5;
		if (i == 40) {
			t.hdr.type = PROTO_OP_SETDATA;
			t.path.p = (const uint8_t *)"/n1";
			t.path.len = 3;
			t.version = 1;
		} else {
			t.hdr.type = PROTO_OP_CREATE;
		}
		proto_wbuf_init(&w, buf, sizeof(buf));
		if (proto_txn_encode(&w, &t) != 0 || w.err != 0)
			return -1;
		if (nlog_append(l, z, t.hdr.type, buf, (uint32_t)w.len) != 0)
			return -1;
		if (i % 8 == 0 && nlog_sync(l) != 0) /* separate writes */
			return -1;
		nlog_poll(l, NULL);
	}
	/* one opaque record */
	nlog_append(l, 0x100000029ull, 999, "\x01\x02\x03", 3);
	if (nlog_sync(l) != 0)
		return -1;
	nlog_close(l);
	{
		struct nlog_snap *s = nlog_snap_begin(f->dir, 0x100000010ull);
		nlog_snap_write(s, "tree-bytes", 10);
		nlog_snap_commit(s);
	}
	nlog_epoch_set(f->dir, NLOG_CURRENT_EPOCH, 1);
	nlog_epoch_set(f->dir, NLOG_ACCEPTED_EPOCH, 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static void
test_help_describes_commands(void **state)
{
	(void)state;
	assert_int_equal(run("--help"), 0);
	assert_non_null(strstr(out, "usage: dpzk-log"));
	assert_non_null(strstr(out, "truncate DIR ZXID"));
	assert_int_not_equal(run("bogus /x"), 0);
}

static void
test_ranges_shows_zxid_range_snapshot_and_epochs(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run("ranges %s", f->dir), 0);
	assert_non_null(strstr(out, "log.0000000000000000"));
	assert_non_null(strstr(out, "zxid 0x100000001..0x100000029"));
	assert_non_null(strstr(out, "41 records"));
	assert_non_null(strstr(out, "log: clean"));
	assert_non_null(strstr(out, "snapshot.0000000100000010"));
	assert_non_null(strstr(out, "currentEpoch: 1"));
}

static void
test_dump_decodes_txns(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run("dump %s --from 0x100000026", f->dir), 0);
	assert_non_null(strstr(out, "zxid=0x100000026 type=create(1)"));
	assert_non_null(strstr(out, "path=/n38 data=5B"));
	assert_non_null(strstr(out, "type=setData(5)"));
	assert_non_null(strstr(out, "path=/n1 data=5B version=1"));
	assert_non_null(strstr(out, "payload=010203"));
	assert_null(strstr(out, "zxid=0x100000025 "));
	assert_int_equal(run("dump %s --limit 2", f->dir), 0);
	assert_non_null(strstr(out, "zxid=0x100000002"));
	assert_null(strstr(out, "zxid=0x100000003"));
}

static void
test_snapshot_header_shown_with_crc_status(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX];

	nlog_snap_path(p, sizeof(p), f->dir, 0x100000010ull);
	assert_int_equal(run("snapshot %s", p), 0);
	assert_non_null(strstr(out, "zxid:           0x100000010"));
	assert_non_null(strstr(out, "body:           10 bytes"));
	assert_non_null(strstr(out, " ok"));
	assert_int_equal(truncate(p, 70), 0);
	assert_int_equal(run("snapshot %s", f->dir), 2);
	assert_non_null(strstr(out, "BAD"));
}

static void
test_verify_and_truncate_past_corruption(void **state)
{
	struct fx *f = *state;
	char seg[PATH_MAX];
	struct nlog_report rep;
	struct nlog_config c;
	struct nlog *l;
	uint8_t x = 0x33;
	int fd;

	/* damage a record in the middle: the 20th record's payload */
	nlog_seg_path(seg, sizeof(seg), f->dir, 0);
	assert_int_equal(run("dump %s --from 0x100000014 --limit 1", f->dir),
			 0);
	{
		char *plus = strstr(out, "log.0000000000000000+");
		uint64_t off;
		assert_non_null(plus);
		off = strtoull(plus + strlen("log.0000000000000000+"), NULL,
			       10);
		fd = open(seg, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, &x, 1, (off_t)off + 40), 1);
		close(fd);
	}
	if (run("verify %s", f->dir) != 2)
		fail_msg("%s", out);
	assert_non_null(strstr(out, "CORRUPT"));
	assert_non_null(strstr(out, "truncate"));
	/* the cut cannot be after the damage */
	assert_int_equal(run("truncate %s 0x100000020 --yes", f->dir), 2);
	/* dry run changes nothing */
	assert_int_equal(run("truncate %s 0x100000013", f->dir), 0);
	assert_non_null(strstr(out, "dry run"));
	assert_int_equal(run("verify %s", f->dir), 2);
	assert_int_equal(run("truncate %s 0x100000013 --yes", f->dir), 0);
	assert_non_null(strstr(out, "log now ends at zxid 0x100000013"));
	assert_int_equal(run("verify %s", f->dir), 0);
	/* and the server starts again */
	tu_config(&c, f->dir);
	l = nlog_open(&c, NULL, &rep);
	assert_non_null(l);
	assert_int_equal(rep.last_zxid, 0x100000013ull);
	nlog_close(l);
}

static void
test_truncate_refuses_while_server_runs(void **state)
{
	struct fx *f = *state;
	struct nlog_config c;
	struct nlog *l;

	tu_config(&c, f->dir);
	l = nlog_open(&c, NULL, NULL);
	assert_non_null(l);
	assert_int_equal(run("truncate %s 5 --yes", f->dir), 2);
	assert_non_null(strstr(out, "in use"));
	nlog_close(l);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_help_describes_commands,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ranges_shows_zxid_range_snapshot_and_epochs, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_dump_decodes_txns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_header_shown_with_crc_status, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_verify_and_truncate_past_corruption, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_truncate_refuses_while_server_runs, setup,
			teardown),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-dpzk-log\n", argv[0]);
		return 2;
	}
	tool = argv[1];
	return cmocka_run_group_tests_name("dpzk_log", tests, NULL, NULL);
}
