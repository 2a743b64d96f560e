/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/proto/test_jute.c — jute primitives: the bounded sticky reader, the
 * counting sticky writer, the scratch area, and the code/opcode names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

static void
test_int_and_long_are_big_endian(void **state)
{
	const uint8_t b[] = {0x80, 0x00, 0x00, 0x01, 0x01, 0x02,
			     0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	struct proto_rbuf r;

	(void)state;
	proto_rbuf_init(&r, b, sizeof(b));
	assert_int_equal(proto_get_int(&r), (int32_t)0x80000001u);
	assert_true(proto_get_long(&r) == 0x0102030405060708LL);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.off, 12);
}

static void
test_short_read_poisons_reader(void **state)
{
	const uint8_t b[] = {0, 0, 0, 1, 0, 0};
	struct proto_rbuf r;

	(void)state;
	proto_rbuf_init(&r, b, sizeof(b));
	assert_int_equal(proto_get_int(&r), 1);
	assert_int_equal(proto_get_int(&r), 0);
	assert_int_equal(r.err, -EBADMSG);
	/* sticky: even a read that would fit fails now */
	assert_false(proto_get_bool(&r));
	assert_int_equal(r.err, -EBADMSG);
	assert_int_equal(r.off, 4);
}

static void
test_bool_accepts_only_zero_and_one(void **state)
{
	const uint8_t b[] = {0, 1, 2};
	struct proto_rbuf r;

	(void)state;
	proto_rbuf_init(&r, b, sizeof(b));
	assert_false(proto_get_bool(&r));
	assert_true(proto_get_bool(&r));
	assert_int_equal(r.err, 0);
	proto_get_bool(&r);
	assert_int_equal(r.err, -EBADMSG);
}

static void
test_buffer_minus_one_is_null(void **state)
{
	const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
	struct proto_rbuf r;
	struct proto_view v;

	(void)state;
	proto_rbuf_init(&r, b, sizeof(b));
	v = proto_get_buffer(&r);
	assert_int_equal(v.len, -1);
	assert_null(v.p);
	v = proto_get_ustring(&r);
	assert_int_equal(v.len, 0);
	assert_int_equal(r.err, 0);
}

static void
test_buffer_view_points_into_input(void **state)
{
	const uint8_t b[] = {0, 0, 0, 2, '/', 'a', 9};
	struct proto_rbuf r;
	struct proto_view v;

	(void)state;
	proto_rbuf_init(&r, b, sizeof(b));
	v = proto_get_ustring(&r);
	assert_ptr_equal(v.p, b + 4);
	assert_int_equal(v.len, 2);
	assert_int_equal(r.off, 6);
}

static void
test_buffer_rejects_bad_lengths(void **state)
{
	static const int32_t bad[] = {-2, INT32_MIN, 5,
				      PROTO_JUTE_MAXBUFFER + 1, INT32_MAX};
	static uint8_t big[PROTO_JUTE_MAXBUFFER + 16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t u = (uint32_t)bad[i];
		uint8_t b[8] = {u >> 24, u >> 16, u >> 8, u,
				'x',	 'y',	  'z',	  'w'};
		struct proto_rbuf r;
		struct proto_view v;

		proto_rbuf_init(&r, b, sizeof(b));
		v = proto_get_buffer(&r);
		assert_int_equal(r.err, -EBADMSG);
		assert_int_equal(v.len, -1);
	}
	/* over jute.maxbuffer even when the bytes are there */
	{
		uint32_t u = PROTO_JUTE_MAXBUFFER + 1;
		struct proto_rbuf r;

		big[0] = u >> 24;
		big[1] = u >> 16;
		big[2] = u >> 8;
		big[3] = u;
		proto_rbuf_init(&r, big, sizeof(big));
		proto_get_buffer(&r);
		assert_int_equal(r.err, -EBADMSG);
		u = PROTO_JUTE_MAXBUFFER;
		big[1] = u >> 16;
		big[2] = u >> 8;
		big[3] = u;
		proto_rbuf_init(&r, big, sizeof(big));
		assert_int_equal(proto_get_buffer(&r).len,
				 PROTO_JUTE_MAXBUFFER);
		assert_int_equal(r.err, 0);
	}
}

static void
test_writer_counts_without_buffer(void **state)
{
	struct proto_wbuf w;

	(void)state;
	proto_wbuf_init(&w, NULL, 0);
	proto_put_int(&w, 1);
	proto_put_long(&w, 2);
	proto_put_bool(&w, true);
	proto_put_cstr(&w, "/abc");
	proto_put_cstr(&w, NULL);
	proto_put_buffer(&w, NULL, -1);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 4 + 8 + 1 + 8 + 4 + 4);
}

static void
test_writer_overflow_is_sticky_and_reports_size(void **state)
{
	uint8_t b[6];
	struct proto_wbuf w;

	(void)state;
	memset(b, 0xee, sizeof(b));
	proto_wbuf_init(&w, b, sizeof(b));
	proto_put_int(&w, 0x01020304);
	proto_put_int(&w, 5);	  /* does not fit */
	proto_put_bool(&w, true); /* would fit, but the writer is poisoned */
	assert_int_equal(w.err, -ENOSPC);
	assert_int_equal(w.len, 9);
	assert_int_equal(b[3], 4);
	assert_int_equal(b[4], 0xee);
}

static void
test_writer_encodes_null_and_strings(void **state)
{
	uint8_t b[32];
	struct proto_wbuf w;
	static const uint8_t want[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2,
				       '/',  'x',  0,	 0,    0, 0, 1};

	(void)state;
	proto_wbuf_init(&w, b, sizeof(b));
	proto_put_view(&w, (struct proto_view){NULL, -1});
	proto_put_cstr(&w, "/x");
	proto_put_buffer(&w, "", 0);
	proto_put_bool(&w, true);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
}

static void
test_scratch_is_aligned_and_bounded(void **state)
{
	alignas(16) uint8_t mem[100];
	struct proto_scratch s;
	void *a, *b;

	(void)state;
	proto_scratch_init(&s, mem + 1, sizeof(mem) - 1);
	a = proto_scratch_alloc(&s, 3);
	assert_non_null(a);
	assert_int_equal((uintptr_t)a % alignof(max_align_t), 0);
	b = proto_scratch_alloc(&s, 8);
	assert_non_null(b);
	assert_int_equal((uintptr_t)b % alignof(max_align_t), 0);
	assert_true((uint8_t *)b >= (uint8_t *)a + 3);
	assert_null(proto_scratch_alloc(&s, 1000));
	assert_null(proto_scratch_alloc(&s, SIZE_MAX));
	assert_true(s.used <= s.cap);
	proto_scratch_init(&s, NULL, 100);
	assert_null(proto_scratch_alloc(&s, 1));
}

static void
test_error_and_opcode_names(void **state)
{
	(void)state;
	assert_string_equal(proto_zerr_name(PROTO_ZNONODE), "NONODE");
	assert_string_equal(proto_zerr_name(PROTO_ZOK), "OK");
	assert_string_equal(proto_zerr_name(PROTO_ZTHROTTLEDOP), "THROTTLEDOP");
	assert_string_equal(proto_zerr_name(12345), "UNKNOWN");
	assert_string_equal(proto_op_name(PROTO_OP_GETDATA), "getData");
	assert_string_equal(proto_op_name(PROTO_OP_CLOSESESSION),
			    "closeSession");
	assert_string_equal(proto_op_name(PROTO_OP_WHOAMI), "whoAmI");
	assert_string_equal(proto_op_name(999), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int_and_long_are_big_endian),
		cmocka_unit_test(test_short_read_poisons_reader),
		cmocka_unit_test(test_bool_accepts_only_zero_and_one),
		cmocka_unit_test(test_buffer_minus_one_is_null),
		cmocka_unit_test(test_buffer_view_points_into_input),
		cmocka_unit_test(test_buffer_rejects_bad_lengths),
		cmocka_unit_test(test_writer_counts_without_buffer),
		cmocka_unit_test(
			test_writer_overflow_is_sticky_and_reports_size),
		cmocka_unit_test(test_writer_encodes_null_and_strings),
		cmocka_unit_test(test_scratch_is_aligned_and_bounded),
		cmocka_unit_test(test_error_and_opcode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
