/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/test_big.c — messages far larger than a datagram, end
 * to end: setData/getData of 1,048,575 bytes (jute.maxbuffer), a
 * getChildren reply with tens of thousands of names, and what happens just
 * past the limits (1 MiB of data; a children list whose reply would not
 * fit in a message): an error for that request, and the session goes on.
 *
 * Why it is built this way: these are the messages the channel must cut
 * into hundreds of fragments and reassemble (783 for a 1 MiB reply), with
 * its fragment window and SACKs, over a real tap and kernel socket; the
 * children are created with pipelined async creates so the test stays
 * within seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"

#define MAXBUF 1048575

static void
fill(char *b, int n, uint32_t seed)
{
	for (int i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (char)(seed >> 16);
	}
}

static void
test_1mib_data_round_trip(void **state)
{
	struct dpzk_handle *a = it_connect(10000, NULL);
	struct dpzk_handle *b = it_connect(10000, NULL);
	char *w = malloc(MAXBUF), *r = malloc(MAXBUF + 16);
	struct dpzk_stat st;
	uint64_t t0;
	int len;

	(void)state;
	assert_non_null(w);
	assert_non_null(r);
	fill(w, MAXBUF, 1);
	t0 = it_ms();
	assert_int_equal(dpzk_create(a, "/big", w, MAXBUF,
				     &dpzk_open_acl_unsafe, 0, 0, NULL, 0, &st),
			 DPZK_ZOK);
	assert_int_equal(st.data_length, MAXBUF);
	len = MAXBUF + 16;
	assert_int_equal(dpzk_get(b, "/big", 0, r, &len, &st), DPZK_ZOK);
	assert_int_equal(len, MAXBUF);
	assert_memory_equal(r, w, MAXBUF);
	print_message("# 1 MiB create + get in %llu ms\n",
		      (unsigned long long)(it_ms() - t0));
	fill(w, MAXBUF, 2);
	assert_int_equal(dpzk_set(b, "/big", w, MAXBUF, 0, &st), DPZK_ZOK);
	assert_int_equal(st.version, 1);
	memset(r, 0, MAXBUF);
	len = MAXBUF + 16;
	assert_int_equal(dpzk_get(a, "/big", 0, r, &len, &st), DPZK_ZOK);
	assert_int_equal(len, MAXBUF);
	assert_memory_equal(r, w, MAXBUF);
	/* several in flight at once, interleaved with small requests */
	for (int i = 0; i < 4; i++) {
		len = MAXBUF + 16;
		assert_int_equal(dpzk_get(a, "/big", 0, r, &len, NULL),
				 DPZK_ZOK);
		assert_int_equal(len, MAXBUF);
		assert_int_equal(dpzk_exists(b, "/big", 0, &st), DPZK_ZOK);
		assert_int_equal(st.data_length, MAXBUF);
	}
	assert_memory_equal(r, w, MAXBUF);
	free(w);
	free(r);
	dpzk_close(b);
	dpzk_close(a);
}

static void
test_data_past_maxbuffer_fails_and_session_goes_on(void **state)
{
	struct dpzk_handle *a = it_connect(10000, NULL);
	char *w = malloc(MAXBUF + 1);
	struct dpzk_stat st;
	int rc;

	(void)state;
	assert_non_null(w);
	fill(w, MAXBUF + 1, 3);
	assert_int_equal(dpzk_create(a, "/big2", "x", 1, &dpzk_open_acl_unsafe,
				     0, 0, NULL, 0, NULL),
			 DPZK_ZOK);
	rc = dpzk_set(a, "/big2", w, MAXBUF + 1, -1, NULL);
	print_message("# setData of 1 MiB: %s\n", dpzk_errname(rc));
	assert_int_not_equal(rc, DPZK_ZOK);
	rc = dpzk_create(a, "/big3", w, MAXBUF + 1, &dpzk_open_acl_unsafe, 0, 0,
			 NULL, 0, NULL);
	assert_int_not_equal(rc, DPZK_ZOK);
	/* nothing changed, and the session still works */
	assert_int_equal(dpzk_exists(a, "/big2", 0, &st), DPZK_ZOK);
	assert_int_equal(st.version, 0);
	assert_int_equal(st.data_length, 1);
	assert_int_equal(dpzk_exists(a, "/big3", 0, NULL), DPZK_ZNONODE);
	assert_int_equal(dpzk_set(a, "/big2", "y", 1, 0, NULL), DPZK_ZOK);
	free(w);
	dpzk_close(a);
}

struct cstate {
	int sent, ok, failed;
};

static void
create_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct cstate *c = (struct cstate *)data;

	(void)res;
	if (rc == 0)
		c->ok++;
	else
		c->failed++;
}

/* n children of parent named fmt % i, 256 creates in flight. */
static void
make_children(struct dpzk_handle *zh, const char *parent, const char *fmt,
	      int n)
{
	struct cstate c = {0};
	uint64_t end = it_ms() + 90000;
	char p[512], name[400];

	while (c.ok + c.failed < n && it_ms() < end) {
		while (c.sent < n && c.sent - c.ok - c.failed < 256) {
			snprintf(name, sizeof(name), fmt, c.sent);
			snprintf(p, sizeof(p), "%s/%s", parent, name);
			assert_int_equal(dpzk_acreate(zh, p, NULL, -1,
						      &dpzk_open_acl_unsafe, 0,
						      0, create_done, &c),
					 DPZK_ZOK);
			c.sent++;
		}
		it_pump(&zh, 1, 5, NULL);
	}
	assert_int_equal(c.failed, 0);
	assert_int_equal(c.ok, n);
}

#define KIDS 30000

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_get_children_of_thirty_thousand(void **state)
{
	struct dpzk_handle *a = it_connect(10000, NULL);
	struct dpzk_handle *b;
	struct dpzk_strings s;
	struct dpzk_stat st;
	uint64_t t0;
	int n = 0;
	char want[32];

	(void)state;
	assert_int_equal(it_mkdirs(a, "/kids"), DPZK_ZOK);
	t0 = it_ms();
	make_children(a, "/kids", "child-%06d", KIDS);
	/* (connected only now: a handle nobody runs does not ping) */
	b = it_connect(10000, NULL);
	print_message("# %d pipelined creates in %llu ms\n", KIDS,
		      (unsigned long long)(it_ms() - t0));
	t0 = it_ms();
	assert_int_equal(dpzk_get_children(b, "/kids", 0, &s), DPZK_ZOK);
	print_message("# getChildren of %d names (%d bytes) in %llu ms\n",
		      s.count, s.count * 16,
		      (unsigned long long)(it_ms() - t0));
	assert_int_equal(s.count, KIDS);
	qsort(s.data, (size_t)s.count, sizeof(char *), cmp_str);
	for (int i = 0; i < KIDS; i++) {
		snprintf(want, sizeof(want), "child-%06d", i);
		assert_string_equal(s.data[i], want);
	}
	dpzk_strings_free(&s);
	assert_int_equal(dpzk_get_children2(b, "/kids", 0, &s, &st), DPZK_ZOK);
	assert_int_equal(s.count, KIDS);
	assert_int_equal(st.num_children, KIDS);
	assert_int_equal(st.cversion, KIDS);
	dpzk_strings_free(&s);
	assert_int_equal(dpzk_get_all_children_number(b, "/kids", &n),
			 DPZK_ZOK);
	assert_int_equal(n, KIDS);
	dpzk_close(b);
	dpzk_close(a);
}

static void
test_children_reply_past_message_limit_fails_cleanly(void **state)
{
	struct dpzk_handle *a = it_connect(10000, NULL);
	struct dpzk_strings s;
	char fmt[300];
	int rc, n = -1;

	(void)state;
	/* 6000 names of 200 bytes: a 1.2 MB reply, past the 1 MiB + 64 KiB
	 * message limit (docs/PROTOCOL-channel.md §2.2 "Bounded reads") */
	memset(fmt, 'n', 193);
	strcpy(fmt + 193, "-%06d");
	assert_int_equal(it_mkdirs(a, "/wide"), DPZK_ZOK);
	make_children(a, "/wide", fmt, 6000);
	rc = dpzk_get_children(a, "/wide", 0, &s);
	print_message("# getChildren of a 1.2 MB list: %s\n", dpzk_errname(rc));
	assert_int_not_equal(rc, DPZK_ZOK);
	if (rc == DPZK_ZOK)
		dpzk_strings_free(&s);
	/* the session goes on; counting is fine */
	assert_int_equal(dpzk_get_all_children_number(a, "/wide", &n),
			 DPZK_ZOK);
	assert_int_equal(n, 6000);
	assert_int_equal(dpzk_exists(a, "/wide", 0, NULL), DPZK_ZOK);
	dpzk_close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_1mib_data_round_trip),
		cmocka_unit_test(
			test_data_past_maxbuffer_fails_and_session_goes_on),
		cmocka_unit_test(test_get_children_of_thirty_thousand),
		cmocka_unit_test(
			test_children_reply_past_message_limit_fails_cleanly),
	};

	it_deadline(170);
	return cmocka_run_group_tests_name("integration_big", tests, NULL,
					   NULL);
}
