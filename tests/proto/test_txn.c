/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/proto/test_txn.c — the txn record (log payload and Zab proposal
 * body): fields of every type survive a round trip, golden bytes of the
 * header, multi sub-txns and their shared header, and the rejection rules.
 * (Truncation at every offset and the byte-exact round trip of every type
 * run over the shared corpus in test_records.c.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

#define V(s) ((struct proto_view){(const uint8_t *)(s), (int32_t)strlen(s)})

static uint8_t scratch_mem[1 << 16];
static uint8_t buf[4096];

static bool
view_is(struct proto_view v, const char *s)
{
	return v.len == (int32_t)strlen(s) && memcmp(v.p, s, strlen(s)) == 0;
}

static size_t
enc(const struct proto_txn *t, int *rc)
{
	struct proto_wbuf w;

	proto_wbuf_init(&w, buf, sizeof(buf));
	*rc = proto_txn_encode(&w, t);
	return w.len;
}

static int
dec(const uint8_t *p, size_t len, struct proto_txn *t)
{
	struct proto_scratch s;

	proto_scratch_init(&s, scratch_mem, sizeof(scratch_mem));
	return proto_txn_decode(p, len, t, &s);
}

static const struct proto_txn_hdr hdr = {
	.session_id = 0x0100000000000002LL,
	.xid = 9,
	.zxid = 0x300000001LL,
	.time = 1700000000000LL,
};

static void
test_golden_txn_header_and_delete_body(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* session */
		0x00, 0x00, 0x00, 0x09,				/* xid */
		0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, /* zxid */
		0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, /* time */
		0x00, 0x00, 0x00, 0x02,				/* DELETE */
		0x00, 0x00, 0x00, 0x02, '/',  'a',		/* path */
	};
	struct proto_txn t = {.hdr = hdr, .path = V("/a")}, d;
	size_t len;
	int rc;

	(void)state;
	t.hdr.type = PROTO_OP_DELETE;
	len = enc(&t, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(dec(want, sizeof(want), &d), 0);
	assert_true(d.hdr.session_id == hdr.session_id);
	assert_int_equal(d.hdr.xid, 9);
	assert_true(d.hdr.zxid == hdr.zxid);
	assert_true(d.hdr.time == hdr.time);
	assert_int_equal(d.hdr.type, PROTO_OP_DELETE);
	assert_true(view_is(d.path, "/a"));
}

static void
test_create_txn_carries_every_outcome(void **state)
{
	struct proto_acl acl = {PROTO_PERM_ALL, {V("world"), V("anyone")}};
	struct proto_txn t = {.hdr = hdr,
			      .path = V("/q/item0000000012"),
			      .data = V("job"),
			      .acl = {1, &acl},
			      .ephemeral_owner = hdr.session_id,
			      .create_mode = PROTO_CM_EPHEMERAL_SEQUENTIAL,
			      .ttl = 0,
			      .parent_cversion = 13},
			 d;
	size_t len;
	int rc;

	(void)state;
	t.hdr.type = PROTO_OP_CREATE2;
	len = enc(&t, &rc);
	assert_int_equal(rc, 0);
	/* header 32, path 4+17, data 4+3, acl 4+4+9+10, owner 8, mode 4,
	 * ttl 8, parent cversion 4 */
	assert_int_equal(len, 32 + 21 + 7 + 27 + 8 + 4 + 8 + 4);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_int_equal(d.hdr.type, PROTO_OP_CREATE2);
	assert_true(view_is(d.path, "/q/item0000000012"));
	assert_true(view_is(d.data, "job"));
	assert_int_equal(d.acl.n, 1);
	assert_true(view_is(d.acl.v[0].id.scheme, "world"));
	assert_true(d.ephemeral_owner == hdr.session_id);
	assert_int_equal(d.create_mode, PROTO_CM_EPHEMERAL_SEQUENTIAL);
	assert_int_equal(d.parent_cversion, 13);

	t.hdr.type = PROTO_OP_CREATETTL;
	t.create_mode = PROTO_CM_PERSISTENT_WITH_TTL;
	t.ephemeral_owner = 0;
	t.ttl = (1LL << 40) - 1;
	len = enc(&t, &rc);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_true(d.ttl == (1LL << 40) - 1);
	assert_int_equal(d.create_mode, PROTO_CM_PERSISTENT_WITH_TTL);
}

static void
test_setdata_setacl_check_error_fields(void **state)
{
	struct proto_acl acl[2] = {{1, {V("ip"), V("1.2.3.4")}},
				   {31, {V("auth"), V("")}}};
	struct proto_txn t = {.hdr = hdr}, d;
	size_t len;
	int rc;

	(void)state;
	t.hdr.type = PROTO_OP_SETDATA;
	t.path = V("/s");
	t.data = V("new");
	t.version = 0; /* wrapped from INT32_MAX */
	len = enc(&t, &rc);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_true(view_is(d.data, "new"));
	assert_int_equal(d.version, 0);

	memset(&t, 0, sizeof(t));
	t.hdr = hdr;
	t.hdr.type = PROTO_OP_SETACL;
	t.path = V("/s");
	t.acl = (struct proto_acl_vec){2, acl};
	t.version = 7;
	len = enc(&t, &rc);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_int_equal(d.acl.n, 2);
	assert_true(view_is(d.acl.v[1].id.scheme, "auth"));
	assert_int_equal(d.version, 7);

	memset(&t, 0, sizeof(t));
	t.hdr = hdr;
	t.hdr.type = PROTO_OP_CHECK;
	t.path = V("/c");
	t.version = 5;
	len = enc(&t, &rc);
	assert_int_equal(len, 32 + 6 + 4);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_int_equal(d.version, 5);

	t.hdr.type = PROTO_OP_ERROR;
	t.err = PROTO_ZNOTEMPTY;
	len = enc(&t, &rc);
	assert_int_equal(len, 32 + 4);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_int_equal(d.err, PROTO_ZNOTEMPTY);
	assert_int_equal(d.path.len, 0);
}

static void
test_session_txns(void **state)
{
	static const uint8_t pw[16] = "0123456789abcdef";
	struct proto_txn t = {.hdr = hdr, .timeout = 40000, .passwd = {pw, 16}},
			 d;
	size_t len;
	int rc;

	(void)state;
	t.hdr.type = PROTO_OP_CREATESESSION;
	len = enc(&t, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(len, 32 + 4 + 4 + 16);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_int_equal(d.timeout, 40000);
	assert_int_equal(d.passwd.len, 16);
	assert_memory_equal(d.passwd.p, pw, 16);

	t.hdr.type = PROTO_OP_CLOSESESSION;
	len = enc(&t, &rc);
	assert_int_equal(len, 32);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_int_equal(d.hdr.type, PROTO_OP_CLOSESESSION);
}

static void
test_createsession_passwd_must_be_16_bytes(void **state)
{
	static const uint8_t pw[17] = {0};
	struct proto_txn t = {.hdr = hdr, .timeout = 1, .passwd = {pw, 15}}, d;
	size_t len;
	int rc;

	(void)state;
	t.hdr.type = PROTO_OP_CREATESESSION;
	enc(&t, &rc);
	assert_int_equal(rc, -EINVAL);
	/* forge one: encode 16 bytes, then shrink the length to 15 */
	t.passwd.len = 16;
	len = enc(&t, &rc);
	assert_int_equal(rc, 0);
	buf[32 + 4 + 3] = 15;
	assert_int_equal(dec(buf, len - 1, &d), -EBADMSG);
}

static void
test_multi_subtxns_share_the_outer_header(void **state)
{
	struct proto_txn sub[3] = {0}, t = {.hdr = hdr}, d;
	size_t len;
	int rc;

	(void)state;
	sub[0].hdr.type = PROTO_OP_CREATE;
	sub[0].path = V("/m/a");
	sub[0].create_mode = PROTO_CM_PERSISTENT;
	sub[0].acl = (struct proto_acl_vec){0, NULL};
	sub[0].parent_cversion = 3;
	sub[1].hdr.type = PROTO_OP_SETDATA;
	sub[1].path = V("/m");
	sub[1].data = V("v");
	sub[1].version = 2;
	sub[2].hdr.type = PROTO_OP_DELETE;
	sub[2].path = V("/m/old");
	/* junk in the sub-headers is not encoded */
	sub[1].hdr.zxid = 12345;
	t.hdr.type = PROTO_OP_MULTI;
	t.multi.n = 3;
	t.multi.ops = sub;
	len = enc(&t, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(dec(buf, len, &d), 0);
	assert_int_equal(d.multi.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(d.multi.ops[i].hdr.type, sub[i].hdr.type);
		assert_true(d.multi.ops[i].hdr.zxid == hdr.zxid);
		assert_true(d.multi.ops[i].hdr.session_id == hdr.session_id);
		assert_int_equal(d.multi.ops[i].hdr.xid, hdr.xid);
		assert_true(d.multi.ops[i].hdr.time == hdr.time);
	}
	assert_int_equal(d.multi.ops[0].parent_cversion, 3);
	assert_true(view_is(d.multi.ops[1].data, "v"));
	assert_int_equal(d.multi.ops[1].version, 2);
	assert_true(view_is(d.multi.ops[2].path, "/m/old"));
}

static void
test_failed_multi_is_error_subtxns(void **state)
{
	struct proto_txn sub[2] = {0}, t = {.hdr = hdr}, d;
	static const uint8_t body[] = {
		0x00, 0x00, 0x00, 0x02,				/* n */
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, /* ERROR 0 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x92, /* -110 */
	};
	size_t len;
	int rc;

	(void)state;
	sub[0].hdr.type = PROTO_OP_ERROR;
	sub[0].err = 0;
	sub[1].hdr.type = PROTO_OP_ERROR;
	sub[1].err = PROTO_ZNODEEXISTS;
	t.hdr.type = PROTO_OP_MULTI;
	t.multi.n = 2;
	t.multi.ops = sub;
	len = enc(&t, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(len, 32 + sizeof(body));
	assert_memory_equal(buf + 32, body, sizeof(body));
	assert_int_equal(dec(buf, len, &d), 0);
	assert_int_equal(d.multi.ops[1].err, PROTO_ZNODEEXISTS);
}

static void
test_misplaced_types_are_rejected(void **state)
{
	static const int32_t not_in_multi[] = {
		PROTO_OP_MULTI, PROTO_OP_CREATESESSION, PROTO_OP_CLOSESESSION,
		PROTO_OP_SETACL, PROTO_OP_GETDATA};
	static const int32_t unknown[] = {
		PROTO_OP_GETDATA, PROTO_OP_PING, PROTO_OP_SYNC, 0, 77, -5};
	struct proto_txn sub = {0}, t = {.hdr = hdr}, d;
	size_t len;
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(not_in_multi) / sizeof(int32_t); i++) {
		static const uint8_t pw[16];

		memset(&sub, 0, sizeof(sub));
		sub.hdr.type = not_in_multi[i];
		sub.passwd = (struct proto_view){pw, 16};
		t.hdr.type = PROTO_OP_MULTI;
		t.multi.n = 1;
		t.multi.ops = &sub;
		enc(&t, &rc);
		assert_int_equal(rc, -EINVAL);
		/* hand-made: a CLOSESESSION (empty body) inside a multi */
		sub.hdr.type = PROTO_OP_DELETE;
		sub.path = (struct proto_view){NULL, -1};
		len = enc(&t, &rc);
		assert_int_equal(rc, 0);
		buf[32 + 4 + 0] = (uint8_t)((uint32_t)not_in_multi[i] >> 24);
		buf[32 + 4 + 1] = (uint8_t)((uint32_t)not_in_multi[i] >> 16);
		buf[32 + 4 + 2] = (uint8_t)((uint32_t)not_in_multi[i] >> 8);
		buf[32 + 4 + 3] = (uint8_t)not_in_multi[i];
		assert_int_equal(dec(buf, len, &d), -EBADMSG);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(int32_t); i++) {
		memset(&t, 0, sizeof(t));
		t.hdr = hdr;
		t.hdr.type = unknown[i];
		enc(&t, &rc);
		assert_int_equal(rc, -EINVAL);
		t.hdr.type = PROTO_OP_CLOSESESSION;
		len = enc(&t, &rc);
		buf[28] = (uint8_t)((uint32_t)unknown[i] >> 24);
		buf[29] = (uint8_t)((uint32_t)unknown[i] >> 16);
		buf[30] = (uint8_t)((uint32_t)unknown[i] >> 8);
		buf[31] = (uint8_t)unknown[i];
		assert_int_equal(dec(buf, len, &d), -EBADMSG);
	}
}

static void
test_multi_count_is_bounded(void **state)
{
	struct proto_txn t = {.hdr = hdr}, d;
	size_t len;
	int rc;

	(void)state;
	t.hdr.type = PROTO_OP_MULTI;
	len = enc(&t, &rc);
	assert_int_equal(len, 36);
	/* -1 (no null list), then more ops than bytes */
	memset(buf + 32, 0xff, 4);
	assert_int_equal(dec(buf, len, &d), -EBADMSG);
	buf[32] = 0;
	buf[33] = 0;
	buf[34] = 0;
	buf[35] = 1;
	assert_int_equal(dec(buf, len, &d), -EBADMSG);
	buf[32] = 0x7f;
	assert_int_equal(dec(buf, len, &d), -EBADMSG);
}

static void
test_txn_scratch_exhaustion_is_enobufs(void **state)
{
	struct proto_acl acl = {1, {V("world"), V("anyone")}};
	struct proto_txn sub[4] = {0}, t = {.hdr = hdr}, d;
	struct proto_scratch s;
	size_t len;
	int rc;

	(void)state;
	for (int i = 0; i < 4; i++) {
		sub[i].hdr.type = PROTO_OP_CREATE;
		sub[i].path = V("/x");
		sub[i].acl = (struct proto_acl_vec){1, &acl};
	}
	t.hdr.type = PROTO_OP_MULTI;
	t.multi.n = 4;
	t.multi.ops = sub;
	len = enc(&t, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(proto_txn_decode(buf, len, &d, NULL), -ENOBUFS);
	assert_int_equal(d.multi.n, 0);
	assert_true(d.hdr.zxid == hdr.zxid); /* the header stays readable */
	proto_scratch_init(&s, scratch_mem, 4 * sizeof(struct proto_txn));
	assert_int_equal(proto_txn_decode(buf, len, &d, &s), -ENOBUFS);
	proto_scratch_init(&s, scratch_mem, sizeof(scratch_mem));
	assert_int_equal(proto_txn_decode(buf, len, &d, &s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_txn_header_and_delete_body),
		cmocka_unit_test(test_create_txn_carries_every_outcome),
		cmocka_unit_test(test_setdata_setacl_check_error_fields),
		cmocka_unit_test(test_session_txns),
		cmocka_unit_test(test_createsession_passwd_must_be_16_bytes),
		cmocka_unit_test(test_multi_subtxns_share_the_outer_header),
		cmocka_unit_test(test_failed_multi_is_error_subtxns),
		cmocka_unit_test(test_misplaced_types_are_rejected),
		cmocka_unit_test(test_multi_count_is_bounded),
		cmocka_unit_test(test_txn_scratch_exhaustion_is_enobufs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
