/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/proto/test_records.c — ZooKeeper records: round trip of every
 * request/reply opcode and record over the sample corpus, truncation at
 * every byte offset, golden bytes written out by hand from ZK-WIRE.md, and
 * each rejection rule of the decoders.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"
#include "samples.h"

static struct sample corpus[SAMPLES_MAX];
static size_t ncorpus;
static uint8_t scratch_mem[1 << 16];

static int
setup(void **state)
{
	(void)state;
	ncorpus = samples_build(corpus, SAMPLES_MAX);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	samples_free(corpus, ncorpus);
	return 0;
}

#define V(s) ((struct proto_view){(const uint8_t *)(s), (int32_t)strlen(s)})

static bool
view_is(struct proto_view v, const char *s)
{
	return v.len == (int32_t)strlen(s) && memcmp(v.p, s, strlen(s)) == 0;
}

/* ---------------------------------------------------------------- */
/* Corpus-wide properties                                            */
/* ---------------------------------------------------------------- */

static void
test_every_sample_round_trips_byte_exact(void **state)
{
	static uint8_t out[1 << 16];

	(void)state;
	assert_true(ncorpus > 80);
	for (size_t i = 0; i < ncorpus; i++) {
		struct sample *s = &corpus[i];
		struct proto_wbuf w;
		int rc;

		proto_wbuf_init(&w, out, sizeof(out));
		rc = sample_decode(s->kind, s->type, s->buf, s->len, 1 << 16,
				   &w);
		if (rc != 0 || w.len != s->len ||
		    memcmp(out, s->buf, s->len) != 0)
			fail_msg("%s: rc %d, %zu bytes back of %zu", s->name,
				 rc, w.len, s->len);
	}
}

static void
test_every_opcode_has_a_request_and_reply_sample(void **state)
{
	static const int32_t ops[] = {
		PROTO_OP_CREATE,
		PROTO_OP_DELETE,
		PROTO_OP_EXISTS,
		PROTO_OP_GETDATA,
		PROTO_OP_SETDATA,
		PROTO_OP_GETACL,
		PROTO_OP_SETACL,
		PROTO_OP_GETCHILDREN,
		PROTO_OP_SYNC,
		PROTO_OP_PING,
		PROTO_OP_GETCHILDREN2,
		PROTO_OP_CHECK,
		PROTO_OP_MULTI,
		PROTO_OP_CREATE2,
		PROTO_OP_CHECKWATCHES,
		PROTO_OP_REMOVEWATCHES,
		PROTO_OP_CREATECONTAINER,
		PROTO_OP_CREATETTL,
		PROTO_OP_MULTIREAD,
		PROTO_OP_AUTH,
		PROTO_OP_SETWATCHES,
		PROTO_OP_GETEPHEMERALS,
		PROTO_OP_GETALLCHILDRENNUMBER,
		PROTO_OP_SETWATCHES2,
		PROTO_OP_ADDWATCH,
		PROTO_OP_WHOAMI,
		PROTO_OP_CLOSESESSION,
	};

	(void)state;
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		bool req = false, resp = false;

		for (size_t i = 0; i < ncorpus; i++) {
			req |= corpus[i].kind == SK_REQUEST &&
			       corpus[i].type == ops[k];
			resp |= corpus[i].kind == SK_RESPONSE &&
				corpus[i].type == ops[k];
		}
		if (!req || (!resp && ops[k] != PROTO_OP_CHECK))
			fail_msg("no sample for %s", proto_op_name(ops[k]));
	}
}

static void
test_truncation_at_every_offset_fails(void **state)
{
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < ncorpus; i++) {
		struct sample *s = &corpus[i];

		for (size_t cut = 0; cut < s->len; cut++) {
			/* an exact-size heap copy, so ASan sees over-reads */
			uint8_t *p = malloc(cut ? cut : 1);
			int rc;

			memcpy(p, s->buf, cut);
			rc = sample_decode(s->kind, s->type, p, cut, 1 << 16,
					   NULL);
			free(p);
			if (cut == s->ok_prefix && s->ok_prefix != 0) {
				assert_int_equal(rc, 0);
				continue;
			}
			if (rc == 0)
				fail_msg("%s: prefix of %zu/%zu bytes accepted",
					 s->name, cut, s->len);
			assert_true(rc == -EBADMSG);
			checked++;
		}
	}
	assert_true(checked > 4000);
}

static void
test_trailing_byte_is_rejected(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncorpus; i++) {
		struct sample *s = &corpus[i];
		uint8_t *p = malloc(s->len + 1);
		int rc;

		memcpy(p, s->buf, s->len);
		p[s->len] = 0x5a;
		rc = sample_decode(s->kind, s->type, p, s->len + 1, 1 << 16,
				   NULL);
		free(p);
		if (rc != -EBADMSG)
			fail_msg("%s: trailing byte gave %d", s->name, rc);
	}
}

static void
test_small_scratch_is_enobufs_never_a_crash(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncorpus; i++) {
		struct sample *s = &corpus[i];

		for (size_t cap = 0; cap < 2048; cap += 16) {
			int rc = sample_decode(s->kind, s->type, s->buf, s->len,
					       cap, NULL);

			assert_true(rc == 0 || rc == -ENOBUFS);
		}
	}
}

static void
test_scratch_bound_always_suffices(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncorpus; i++) {
		struct sample *s = &corpus[i];
		size_t b = proto_scratch_bound(s->len);

		assert_true(b >= s->len);
		assert_int_equal(sample_decode(s->kind, s->type, s->buf, s->len,
					       b, NULL),
				 0);
	}
	assert_true(proto_scratch_bound(SIZE_MAX) == SIZE_MAX);
}

static void
test_worst_case_multi_fits_scratch_bound(void **state)
{
	/* a multiRead of minimal getData ops: the densest scratch user among
	 * requests (one struct proto_request per 14 input bytes) */
	static const uint8_t op[14] = {0,    0,	   0, 4, 0, 0xff, 0xff,
				       0xff, 0xff, 0, 0, 0, 0,	  0};
	static const uint8_t end[9] = {0xff, 0xff, 0xff, 0xff, 1,
				       0xff, 0xff, 0xff, 0xff};
	enum { N = 1000 };
	static uint8_t in[N * 14 + 9];
	struct proto_request q;
	struct proto_rbuf r;
	struct proto_scratch s;
	size_t len = sizeof(in), b = proto_scratch_bound(len);
	uint8_t *mem = malloc(b);

	(void)state;
	for (int i = 0; i < N; i++)
		memcpy(in + 14 * i, op, 14);
	memcpy(in + 14 * N, end, 9);
	proto_rbuf_init(&r, in, len);
	proto_scratch_init(&s, mem, b);
	assert_int_equal(proto_request_decode(&r, PROTO_OP_MULTIREAD, &q, &s),
			 0);
	assert_int_equal(q.multi.n, N);
	assert_true(s.used <= b);
	free(mem);
}

/* ---------------------------------------------------------------- */
/* Golden bytes, written out by hand from ZK-WIRE.md                 */
/* ---------------------------------------------------------------- */

static void
test_golden_connect_request_is_45_bytes(void **state)
{
	/* what the C client sends for a new session: protocolVersion 0,
	 * lastZxidSeen 0, timeOut 30000, sessionId 0, 16 zero bytes of
	 * passwd, readOnly false */
	static const uint8_t want[45] = {
		0x00, 0x00, 0x00, 0x00,				/* ver */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* zxid */
		0x00, 0x00, 0x75, 0x30,				/* 30000 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* sid */
		0x00, 0x00, 0x00, 0x10,				/* len 16 */
		0,    0,    0,	  0,	0,    0,    0,	  0,	0,
		0,    0,    0,	  0,	0,    0,    0,	  0x00, /* readOnly */
	};
	static const uint8_t zero[16];
	struct proto_connect_req c = {0, 0, 30000, 0, {zero, 16}, 0}, d;
	uint8_t out[64];
	struct proto_wbuf w;

	(void)state;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_connect_req_encode(&w, &c), 0);
	assert_int_equal(w.len, 45);
	assert_memory_equal(out, want, 45);
	assert_int_equal(proto_connect_req_decode(want, 45, &d), 0);
	assert_int_equal(d.timeout, 30000);
	assert_int_equal(d.passwd.len, 16);
	assert_int_equal(d.read_only, 0);
	/* 44 bytes: an older client without the readOnly byte */
	assert_int_equal(proto_connect_req_decode(want, 44, &d), 0);
	assert_int_equal(d.read_only, -1);
}

static void
test_golden_connect_response_is_37_or_36_bytes(void **state)
{
	static const uint8_t pw[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
				       0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
				       0xac, 0xad, 0xae, 0xaf};
	/* the C client reads 41 bytes: the 4-byte TCP length and these 37 */
	static const uint8_t want[37] = {
		0x00, 0x00, 0x00, 0x00,				/* ver */
		0x00, 0x00, 0x4e, 0x20,				/* 20000 */
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* sid */
		0x00, 0x00, 0x00, 0x10, 0xa0, 0xa1, 0xa2, 0xa3,
		0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
		0xac, 0xad, 0xae, 0xaf, 0x01, /* readOnly true */
	};
	struct proto_connect_resp c = {0,	 20000, 0x0123456789abcdefLL,
				       {pw, 16}, 1,	0};
	uint8_t out[64];
	struct proto_wbuf w;

	(void)state;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_connect_resp_encode(&w, &c), 0);
	assert_int_equal(w.len, 37);
	assert_memory_equal(out, want, 37);
	c.read_only = -1;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_connect_resp_encode(&w, &c), 0);
	assert_int_equal(w.len, 36);
	assert_memory_equal(out, want, 36);
}

static void
test_connect_resp_last_xid_extension(void **state)
{
	uint8_t pw[16] = {1, 2, 3};
	struct proto_connect_resp c = {0,	 20000, 0x0123456789abcdefLL,
				       {pw, 16}, 0,	77},
				  d;
	uint8_t out[64];
	struct proto_wbuf w;

	(void)state;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_connect_resp_encode(&w, &c), 0);
	assert_int_equal(w.len, 41); /* 37 + int lastXid */
	assert_int_equal(proto_connect_resp_decode(out, w.len, &d), 0);
	assert_int_equal(d.last_xid, 77);
	assert_int_equal(d.read_only, 0);
	/* without readOnly there is no room for the extension: not sent */
	c.read_only = -1;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_connect_resp_encode(&w, &c), 0);
	assert_int_equal(w.len, 36);
	assert_int_equal(proto_connect_resp_decode(out, w.len, &d), 0);
	assert_int_equal(d.last_xid, 0);
	/* a ZooKeeper-shaped answer (37 bytes) decodes with last_xid 0 */
	c.read_only = 1;
	c.last_xid = 0;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_connect_resp_encode(&w, &c), 0);
	assert_int_equal(w.len, 37);
	assert_int_equal(proto_connect_resp_decode(out, w.len, &d), 0);
	assert_int_equal(d.last_xid, 0);
	/* a torn extension is an error */
	assert_int_not_equal(proto_connect_resp_decode(out, 39, &d), 0);
}

static void
test_golden_reply_header(void **state)
{
	/* xid 1, zxid 0x100000002, err NONODE (-101 = 0xffffff9b) */
	static const uint8_t want[16] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
					 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
					 0xff, 0xff, 0xff, 0x9b};
	struct proto_reply_hdr h = {1, 0x100000002LL, PROTO_ZNONODE}, d;
	uint8_t out[16];
	struct proto_wbuf w;
	struct proto_rbuf r;

	(void)state;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_reply_hdr_encode(&w, &h), 0);
	assert_memory_equal(out, want, 16);
	proto_rbuf_init(&r, want, 16);
	assert_int_equal(proto_reply_hdr_decode(&r, &d), 0);
	assert_int_equal(d.xid, 1);
	assert_true(d.zxid == 0x100000002LL);
	assert_int_equal(d.err, PROTO_ZNONODE);
}

static void
test_golden_getdata_request(void **state)
{
	/* RequestHeader{xid 7, type 4} + GetDataRequest{"/a", watch} */
	static const uint8_t want[15] = {0x00, 0x00, 0x00, 0x07, 0x00,
					 0x00, 0x00, 0x04, 0x00, 0x00,
					 0x00, 0x02, '/',  'a',	 0x01};
	struct proto_req_hdr h = {7, PROTO_OP_GETDATA}, dh;
	struct proto_request q = {.type = PROTO_OP_GETDATA,
				  .path = V("/a"),
				  .watch = true},
			     d;
	uint8_t out[32];
	struct proto_wbuf w;
	struct proto_rbuf r;

	(void)state;
	proto_wbuf_init(&w, out, sizeof(out));
	proto_req_hdr_encode(&w, &h);
	assert_int_equal(proto_request_encode(&w, &q), 0);
	assert_int_equal(w.len, 15);
	assert_memory_equal(out, want, 15);

	proto_rbuf_init(&r, want, sizeof(want));
	assert_int_equal(proto_req_hdr_decode(&r, &dh), 0);
	assert_int_equal(dh.xid, 7);
	assert_int_equal(dh.type, PROTO_OP_GETDATA);
	assert_int_equal(proto_request_decode(&r, dh.type, &d, NULL), 0);
	assert_true(view_is(d.path, "/a"));
	assert_true(d.watch);
}

static void
test_golden_stat_is_68_bytes(void **state)
{
	static const uint8_t want[PROTO_STAT_LEN] = {
		0,    0,    0,	  0,
		0,    0,    0,	  1, /* czxid */
		0,    0,    0,	  0,
		0,    0,    0,	  2, /* mzxid */
		0,    0,    1,	  0x8b,
		0xcf, 0xe5, 0x68, 0x00, /* ctime */
		0,    0,    1,	  0x8b,
		0xcf, 0xe5, 0x68, 0x01, /* mtime */
		0,    0,    0,	  3,	/* version */
		0xff, 0xff, 0xff, 0xfe, /* cversion -2 */
		0,    0,    0,	  5,	/* aversion */
		0x10, 0,    0,	  0,
		0,    0,    0,	  0x2a, /* ephemeralOwner */
		0,    0,    0,	  6,	/* dataLength */
		0,    0,    0,	  7,	/* numChildren */
		0,    0,    0,	  0,
		0,    0,    0,	  8, /* pzxid */
	};
	struct proto_stat s = {1,
			       2,
			       0x18bcfe56800LL,
			       0x18bcfe56801LL,
			       3,
			       -2,
			       5,
			       0x100000000000002aLL,
			       6,
			       7,
			       8},
			  d;
	uint8_t out[PROTO_STAT_LEN];
	struct proto_wbuf w;
	struct proto_rbuf r;

	(void)state;
	proto_wbuf_init(&w, out, sizeof(out));
	proto_put_stat(&w, &s);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, PROTO_STAT_LEN);
	assert_memory_equal(out, want, PROTO_STAT_LEN);
	proto_rbuf_init(&r, want, sizeof(want));
	assert_int_equal(proto_get_stat(&r, &d), 0);
	assert_true(d.czxid == 1 && d.mzxid == 2);
	assert_true(d.ctime == 0x18bcfe56800LL && d.mtime == 0x18bcfe56801LL);
	assert_int_equal(d.version, 3);
	assert_int_equal(d.cversion, -2);
	assert_int_equal(d.aversion, 5);
	assert_true(d.ephemeral_owner == 0x100000000000002aLL);
	assert_int_equal(d.data_length, 6);
	assert_int_equal(d.num_children, 7);
	assert_true(d.pzxid == 8);
}

static void
test_golden_failed_multi_response(void **state)
{
	/* multi [check, setData, delete]; setData fails BADVERSION: every
	 * result is an error; earlier ops 0, the failing op its code, later
	 * ops RUNTIMEINCONSISTENCY (-2); then the terminator {-1,true,-1} */
	static const uint8_t want[] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, /* hdr */
		0x00, 0x00, 0x00, 0x00,				      /* 0 */
		0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0x99,
		0xff, 0xff, 0xff, 0x99, /* -103 */
		0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xfe,
		0xff, 0xff, 0xff, 0xfe, /* -2 */
		0xff, 0xff, 0xff, 0xff, 0x01, 0xff, 0xff, 0xff, 0xff,
	};
	struct proto_multi_result res[3] = {
		{.type = PROTO_OP_ERROR, .err = 0},
		{.type = PROTO_OP_ERROR, .err = PROTO_ZBADVERSION},
		{.type = PROTO_OP_ERROR, .err = PROTO_ZRUNTIMEINCONSISTENCY},
	};
	struct proto_response a = {.type = PROTO_OP_MULTI}, d;
	uint8_t out[64];
	struct proto_wbuf w;
	struct proto_rbuf r;
	struct proto_scratch s;

	(void)state;
	a.multi.n = 3;
	a.multi.r = res;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_response_encode(&w, &a), 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));

	proto_rbuf_init(&r, want, sizeof(want));
	proto_scratch_init(&s, scratch_mem, sizeof(scratch_mem));
	assert_int_equal(proto_response_decode(&r, PROTO_OP_MULTI, &d, &s), 0);
	assert_int_equal(d.multi.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(d.multi.r[i].type, PROTO_OP_ERROR);
		assert_int_equal(d.multi.r[i].err, res[i].err);
	}
}

static void
test_golden_multi_request(void **state)
{
	/* multi [create "/x" data "" acl world:anyone ALL flags 0,
	 *        check "/x" version -1] */
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, /* hdr */
		0x00, 0x00, 0x00, 0x02, '/',  'x',		      /* path */
		0x00, 0x00, 0x00, 0x00,				      /* data */
		0x00, 0x00, 0x00, 0x01, /* 1 acl */
		0x00, 0x00, 0x00, 0x1f, /* ALL */
		0x00, 0x00, 0x00, 0x05, 'w',  'o',  'r',  'l',	'd',  0x00,
		0x00, 0x00, 0x06, 'a',	'n',  'y',  'o',  'n',	'e',  0x00,
		0x00, 0x00, 0x00, /* flags */
		0x00, 0x00, 0x00, 0x0d, 0x00, 0xff, 0xff, 0xff, 0xff, /* hdr */
		0x00, 0x00, 0x00, 0x02, '/',  'x',  0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0x01, 0xff, 0xff, 0xff, 0xff,
	};
	struct proto_acl acl = {PROTO_PERM_ALL, {V("world"), V("anyone")}};
	struct proto_request ops[2] = {
		{.type = PROTO_OP_CREATE,
		 .path = V("/x"),
		 .data = V(""),
		 .acl = {1, &acl}},
		{.type = PROTO_OP_CHECK, .path = V("/x"), .version = -1},
	};
	struct proto_request q = {.type = PROTO_OP_MULTI}, d;
	uint8_t out[128];
	struct proto_wbuf w;
	struct proto_rbuf r;
	struct proto_scratch s;

	(void)state;
	q.multi.n = 2;
	q.multi.ops = ops;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_request_encode(&w, &q), 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));

	proto_rbuf_init(&r, want, sizeof(want));
	proto_scratch_init(&s, scratch_mem, sizeof(scratch_mem));
	assert_int_equal(proto_request_decode(&r, PROTO_OP_MULTI, &d, &s), 0);
	assert_int_equal(d.multi.n, 2);
	assert_int_equal(d.multi.ops[0].type, PROTO_OP_CREATE);
	assert_true(view_is(d.multi.ops[0].path, "/x"));
	assert_int_equal(d.multi.ops[0].data.len, 0);
	assert_int_equal(d.multi.ops[0].acl.n, 1);
	assert_int_equal(d.multi.ops[0].acl.v[0].perms, PROTO_PERM_ALL);
	assert_true(view_is(d.multi.ops[0].acl.v[0].id.scheme, "world"));
	assert_true(view_is(d.multi.ops[0].acl.v[0].id.id, "anyone"));
	assert_int_equal(d.multi.ops[1].type, PROTO_OP_CHECK);
	assert_int_equal(d.multi.ops[1].version, -1);
}

static void
test_golden_watcher_event(void **state)
{
	/* NodeDataChanged (3), SyncConnected (3), "/a" */
	static const uint8_t want[] = {0, 0, 0, 3, 0, 0,   0,
				       3, 0, 0, 0, 2, '/', 'a'};
	struct proto_watcher_event e;
	struct proto_rbuf r;

	(void)state;
	proto_rbuf_init(&r, want, sizeof(want));
	assert_int_equal(proto_event_decode(&r, &e), 0);
	assert_int_equal(e.type, PROTO_EV_NODE_DATA_CHANGED);
	assert_int_equal(e.state, PROTO_STATE_SYNC_CONNECTED);
	assert_true(view_is(e.path, "/a"));
}

/* ---------------------------------------------------------------- */
/* Decoded fields and rejection rules                                */
/* ---------------------------------------------------------------- */

static int
decode_req(const uint8_t *p, size_t len, int32_t type, struct proto_request *q)
{
	struct proto_rbuf r;
	struct proto_scratch s;

	proto_rbuf_init(&r, p, len);
	proto_scratch_init(&s, scratch_mem, sizeof(scratch_mem));
	return proto_request_decode(&r, type, q, &s);
}

static int
encode_req(const struct proto_request *q, uint8_t *out, size_t cap, size_t *len)
{
	struct proto_wbuf w;
	int rc;

	proto_wbuf_init(&w, out, cap);
	rc = proto_request_encode(&w, q);
	*len = w.len;
	return rc;
}

static void
test_create_request_fields_decode(void **state)
{
	struct proto_acl acl[2] = {{31, {V("world"), V("anyone")}},
				   {1, {V("ip"), V("10.0.0.0/8")}}};
	struct proto_request q = {.type = PROTO_OP_CREATETTL,
				  .path = V("/t"),
				  .data = V("abc"),
				  .acl = {2, acl},
				  .flags = 6,
				  .ttl = 1234567},
			     d;
	uint8_t out[256];
	size_t len;

	(void)state;
	assert_int_equal(encode_req(&q, out, sizeof(out), &len), 0);
	assert_int_equal(decode_req(out, len, q.type, &d), 0);
	assert_int_equal(d.type, PROTO_OP_CREATETTL);
	assert_true(view_is(d.path, "/t"));
	assert_true(view_is(d.data, "abc"));
	assert_int_equal(d.acl.n, 2);
	assert_int_equal(d.acl.v[1].perms, 1);
	assert_true(view_is(d.acl.v[1].id.id, "10.0.0.0/8"));
	assert_int_equal(d.flags, 6);
	assert_true(d.ttl == 1234567);
	assert_int_equal(d.version, 0);
	assert_false(d.watch);
}

static void
test_setwatches_fills_only_its_lists(void **state)
{
	struct proto_view w3[1] = {V("/p")};
	struct proto_request q = {.type = PROTO_OP_SETWATCHES, .rel_zxid = 77},
			     d;
	uint8_t out[256];
	size_t len;

	(void)state;
	q.watches[2] = (struct proto_str_vec){1, w3};
	assert_int_equal(encode_req(&q, out, sizeof(out), &len), 0);
	assert_int_equal(len, 8 + 3 * 4 + 4 + 2);
	assert_int_equal(decode_req(out, len, q.type, &d), 0);
	assert_true(d.rel_zxid == 77);
	assert_int_equal(d.watches[0].n, 0);
	assert_int_equal(d.watches[2].n, 1);
	assert_true(view_is(d.watches[2].v[0], "/p"));
	assert_int_equal(d.watches[3].n, 0);
	assert_null(d.watches[4].v);
}

static void
test_unknown_opcode_is_eopnotsupp(void **state)
{
	static const int32_t ops[] = {PROTO_OP_RECONFIG,
				      PROTO_OP_SASL,
				      PROTO_OP_NOTIFICATION,
				      PROTO_OP_ERROR,
				      PROTO_OP_CREATESESSION,
				      10,
				      23,
				      99,
				      108,
				      INT32_MIN};
	struct proto_request q;
	struct proto_response a;
	struct proto_rbuf r;
	uint8_t b[4] = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		assert_int_equal(decode_req(b, sizeof(b), ops[i], &q),
				 -EOPNOTSUPP);
		assert_int_equal(q.type, ops[i]);
		proto_rbuf_init(&r, b, sizeof(b));
		assert_int_equal(proto_response_decode(&r, ops[i], &a, NULL),
				 -EOPNOTSUPP);
	}
}

static void
test_multi_rejects_ops_it_does_not_allow(void **state)
{
	struct proto_request bad[] = {
		{.type = PROTO_OP_GETDATA, .path = V("/a")},
		{.type = PROTO_OP_SETACL, .path = V("/a")},
		{.type = PROTO_OP_SYNC, .path = V("/a")},
	};
	/* A multi carrying getData, hand-built since the encoder refuses */
	static const uint8_t getdata_in_multi[] = {
		0,    0,    0, 4,    0,	   0xff, 0xff, 0xff, 0xff,
		0,    0,    0, 2,    '/',  'a',	 0,    0xff, 0xff,
		0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t create_in_multiread[] = {
		0,    0,    0,	  1,	0,   0xff, 0xff, 0xff, 0xff,
		0,    0,    0,	  2,	'/', 'a',  0xff, 0xff, 0xff,
		0xff, 0,    0,	  0,	0,   0,	   0,	 0,    0,
		0xff, 0xff, 0xff, 0xff, 1,   0xff, 0xff, 0xff, 0xff};
	struct proto_request q = {.type = PROTO_OP_MULTI}, d;
	uint8_t out[256];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q.multi.n = 1;
		q.multi.ops = &bad[i];
		assert_int_equal(encode_req(&q, out, sizeof(out), &len),
				 -EINVAL);
	}
	assert_int_equal(decode_req(getdata_in_multi, sizeof(getdata_in_multi),
				    PROTO_OP_MULTI, &d),
			 -EBADMSG);
	assert_int_equal(decode_req(getdata_in_multi, sizeof(getdata_in_multi),
				    PROTO_OP_MULTIREAD, &d),
			 0);
	assert_int_equal(d.multi.n, 1);
	assert_int_equal(decode_req(create_in_multiread,
				    sizeof(create_in_multiread),
				    PROTO_OP_MULTIREAD, &d),
			 -EBADMSG);
	assert_int_equal(decode_req(create_in_multiread,
				    sizeof(create_in_multiread), PROTO_OP_MULTI,
				    &d),
			 0);
	/* a nested multi cannot even be expressed */
	bad[0].type = PROTO_OP_MULTI;
	q.multi.ops = &bad[0];
	assert_int_equal(encode_req(&q, out, sizeof(out), &len), -EINVAL);
}

static void
test_multi_without_terminator_is_rejected(void **state)
{
	static const uint8_t b[] = {0,	  0,	0, 2, 0, 0xff, 0xff,
				    0xff, 0xff, 0, 0, 0, 2,    '/',
				    'a',  0,	0, 0, 0};
	struct proto_request d;

	(void)state;
	assert_int_equal(decode_req(b, sizeof(b), PROTO_OP_MULTI, &d),
			 -EBADMSG);
	assert_int_equal(d.multi.n, 0);
}

static void
test_multi_header_bad_bool_is_rejected(void **state)
{
	static const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, 2,
				    0xff, 0xff, 0xff, 0xff};
	struct proto_request d;

	(void)state;
	assert_int_equal(decode_req(b, sizeof(b), PROTO_OP_MULTI, &d),
			 -EBADMSG);
}

static void
test_vector_count_beyond_remaining_bytes_is_rejected(void **state)
{
	/* getChildren reply claiming 0x10000 children in 8 bytes, and one
	 * claiming -2 */
	static const uint8_t many[] = {0, 1, 0, 0, 0, 0, 0, 0};
	static const uint8_t neg[] = {0xff, 0xff, 0xff, 0xfe};
	struct proto_response a;
	struct proto_rbuf r;
	struct proto_scratch s;

	(void)state;
	proto_scratch_init(&s, scratch_mem, sizeof(scratch_mem));
	proto_rbuf_init(&r, many, sizeof(many));
	assert_int_equal(
		proto_response_decode(&r, PROTO_OP_GETCHILDREN, &a, &s),
		-EBADMSG);
	assert_int_equal(s.used, 0); /* nothing was taken for it */
	proto_rbuf_init(&r, neg, sizeof(neg));
	assert_int_equal(
		proto_response_decode(&r, PROTO_OP_GETCHILDREN, &a, &s),
		-EBADMSG);
}

static void
test_null_vectors_decode_as_minus_one(void **state)
{
	static const uint8_t b[] = {0xff, 0xff, 0xff, 0xff};
	struct proto_response a;
	struct proto_rbuf r;

	(void)state;
	proto_rbuf_init(&r, b, sizeof(b));
	assert_int_equal(
		proto_response_decode(&r, PROTO_OP_GETCHILDREN, &a, NULL), 0);
	assert_int_equal(a.children.n, -1);
	assert_null(a.children.v);
	proto_rbuf_init(&r, b, sizeof(b));
	assert_int_equal(proto_response_decode(&r, PROTO_OP_WHOAMI, &a, NULL),
			 0);
	assert_int_equal(a.who.n, -1);
}

static void
test_vector_without_scratch_is_enobufs(void **state)
{
	struct proto_acl acl = {1, {V("world"), V("anyone")}};
	struct proto_request q = {.type = PROTO_OP_SETACL,
				  .path = V("/a"),
				  .acl = {1, &acl}},
			     d;
	uint8_t out[128];
	size_t len;
	struct proto_rbuf r;

	(void)state;
	assert_int_equal(encode_req(&q, out, sizeof(out), &len), 0);
	proto_rbuf_init(&r, out, len);
	assert_int_equal(proto_request_decode(&r, q.type, &d, NULL), -ENOBUFS);
	assert_int_equal(d.acl.n, 0);
}

static void
test_encoder_reports_needed_size_on_enospc(void **state)
{
	struct proto_request q = {.type = PROTO_OP_CREATE,
				  .path = V("/a/b/c"),
				  .data = V("0123456789")};
	uint8_t out[64];
	size_t len, need;

	(void)state;
	assert_int_equal(encode_req(&q, NULL, 0, &need), 0);
	assert_int_equal(need, 4 + 6 + 4 + 10 + 4 + 4);
	for (size_t cap = 0; cap < need; cap++) {
		assert_int_equal(encode_req(&q, out, cap, &len), -ENOSPC);
		assert_int_equal(len, need);
	}
	assert_int_equal(encode_req(&q, out, need, &len), 0);
}

static void
test_event_with_trailing_bytes_is_rejected(void **state)
{
	static const uint8_t b[] = {0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 7};
	struct proto_watcher_event e;
	struct proto_rbuf r;

	(void)state;
	proto_rbuf_init(&r, b, sizeof(b));
	assert_int_equal(proto_event_decode(&r, &e), -EBADMSG);
	proto_rbuf_init(&r, b, sizeof(b) - 1);
	assert_int_equal(proto_event_decode(&r, &e), 0);
	assert_int_equal(e.path.len, 0);
}

static void
test_connect_request_bad_readonly_byte_is_rejected(void **state)
{
	uint8_t b[45] = {0};
	struct proto_connect_req c;

	(void)state;
	b[27] = 16;
	b[44] = 2;
	assert_int_equal(proto_connect_req_decode(b, 45, &c), -EBADMSG);
	b[44] = 1;
	assert_int_equal(proto_connect_req_decode(b, 45, &c), 0);
	assert_int_equal(c.read_only, 1);
}

static void
test_multiread_results_decode(void **state)
{
	struct proto_view kids[2] = {V("x"), V("y")};
	struct proto_stat st = {.version = 4, .data_length = 1};
	struct proto_multi_result res[3] = {
		{.type = PROTO_OP_GETDATA, .data = V("d"), .stat = st},
		{.type = PROTO_OP_GETCHILDREN, .children = {2, kids}},
		{.type = PROTO_OP_ERROR, .err = PROTO_ZNONODE},
	};
	struct proto_response a = {.type = PROTO_OP_MULTIREAD}, d;
	uint8_t out[256];
	struct proto_wbuf w;
	struct proto_rbuf r;
	struct proto_scratch s;

	(void)state;
	a.multi.n = 3;
	a.multi.r = res;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_response_encode(&w, &a), 0);
	proto_rbuf_init(&r, out, w.len);
	proto_scratch_init(&s, scratch_mem, sizeof(scratch_mem));
	assert_int_equal(proto_response_decode(&r, PROTO_OP_MULTIREAD, &d, &s),
			 0);
	assert_int_equal(d.multi.n, 3);
	assert_true(view_is(d.multi.r[0].data, "d"));
	assert_int_equal(d.multi.r[0].stat.version, 4);
	assert_int_equal(d.multi.r[1].children.n, 2);
	assert_true(view_is(d.multi.r[1].children.v[1], "y"));
	assert_int_equal(d.multi.r[2].err, PROTO_ZNONODE);
	/* a create result cannot answer a multiRead */
	res[0].type = PROTO_OP_CREATE;
	proto_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_response_encode(&w, &a), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_sample_round_trips_byte_exact),
		cmocka_unit_test(
			test_every_opcode_has_a_request_and_reply_sample),
		cmocka_unit_test(test_truncation_at_every_offset_fails),
		cmocka_unit_test(test_trailing_byte_is_rejected),
		cmocka_unit_test(test_small_scratch_is_enobufs_never_a_crash),
		cmocka_unit_test(test_scratch_bound_always_suffices),
		cmocka_unit_test(test_worst_case_multi_fits_scratch_bound),
		cmocka_unit_test(test_golden_connect_request_is_45_bytes),
		cmocka_unit_test(
			test_golden_connect_response_is_37_or_36_bytes),
		cmocka_unit_test(test_connect_resp_last_xid_extension),
		cmocka_unit_test(test_golden_reply_header),
		cmocka_unit_test(test_golden_getdata_request),
		cmocka_unit_test(test_golden_stat_is_68_bytes),
		cmocka_unit_test(test_golden_failed_multi_response),
		cmocka_unit_test(test_golden_multi_request),
		cmocka_unit_test(test_golden_watcher_event),
		cmocka_unit_test(test_create_request_fields_decode),
		cmocka_unit_test(test_setwatches_fills_only_its_lists),
		cmocka_unit_test(test_unknown_opcode_is_eopnotsupp),
		cmocka_unit_test(test_multi_rejects_ops_it_does_not_allow),
		cmocka_unit_test(test_multi_without_terminator_is_rejected),
		cmocka_unit_test(test_multi_header_bad_bool_is_rejected),
		cmocka_unit_test(
			test_vector_count_beyond_remaining_bytes_is_rejected),
		cmocka_unit_test(test_null_vectors_decode_as_minus_one),
		cmocka_unit_test(test_vector_without_scratch_is_enobufs),
		cmocka_unit_test(test_encoder_reports_needed_size_on_enospc),
		cmocka_unit_test(test_event_with_trailing_bytes_is_rejected),
		cmocka_unit_test(
			test_connect_request_bad_readonly_byte_is_rejected),
		cmocka_unit_test(test_multiread_results_decode),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
