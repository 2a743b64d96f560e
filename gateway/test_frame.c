/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway/test_frame.c — the gateway's pure translation rules, one test
 * per behaviour: frame lengths against jute.maxbuffer, four-letter words
 * and the whitelist, the ADMIN datagram, the ConnectRequest that goes
 * upstream and the 40/41-byte ConnectResponse a ZooKeeper client gets
 * back, the first upstream xid after a reattach, the xid FIFO, and the
 * command line.
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

#include "gateway/gateway_priv.h"

/* The C client's 45-byte ConnectRequest for a new session, 30 s
 * (docs/PROTOCOL.md §4.1). */
static const uint8_t c_client_hello[45] = {
	0, 0, 0,    0,		      /* protocolVersion */
	0, 0, 0,    0,	  0, 0, 0, 0, /* lastZxidSeen */
	0, 0, 0x75, 0x30,	      /* timeOut 30000 */
	0, 0, 0,    0,	  0, 0, 0, 0, /* sessionId */
	0, 0, 0,    0x10,	      /* passwd len 16 */
	0, 0, 0,    0,	  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* passwd */
	0,						      /* readOnly */
};

static void
frame_len_accepts_up_to_max_frame(void **state)
{
	uint8_t p[4] = {0, 0x0f, 0xff, 0xff};
	uint32_t len = 0;

	(void)state;
	assert_int_equal(gw_frame_len(p, 4, PROTO_JUTE_MAXBUFFER, &len), 0);
	assert_int_equal(len, 0xfffff);
}

static void
frame_len_rejects_above_max_frame(void **state)
{
	uint8_t p[4] = {0, 0x10, 0, 0};
	uint32_t len;

	(void)state;
	assert_int_equal(gw_frame_len(p, 4, PROTO_JUTE_MAXBUFFER, &len),
			 -EMSGSIZE);
}

static void
frame_len_rejects_negative(void **state)
{
	uint8_t p[4] = {0xff, 0xff, 0xff, 0xfb};
	uint32_t len;

	(void)state;
	assert_int_equal(gw_frame_len(p, 4, PROTO_JUTE_MAXBUFFER, &len),
			 -EMSGSIZE);
}

static void
frame_len_waits_for_four_bytes(void **state)
{
	uint8_t p[4] = {0, 0, 0, 8};
	uint32_t len;

	(void)state;
	assert_int_equal(gw_frame_len(p, 3, PROTO_JUTE_MAXBUFFER, &len),
			 -EAGAIN);
}

static void
fourlw_words_are_classified(void **state)
{
	(void)state;
	assert_int_equal(gw_4lw_classify((const uint8_t *)"ruok"),
			 GW_4LW_FORWARD);
	assert_int_equal(gw_4lw_classify((const uint8_t *)"mntr"),
			 GW_4LW_FORWARD);
	assert_int_equal(gw_4lw_classify((const uint8_t *)"isro"),
			 GW_4LW_FORWARD);
	assert_int_equal(gw_4lw_classify((const uint8_t *)"wchc"),
			 GW_4LW_UNSUPPORTED);
	assert_int_equal(gw_4lw_classify(c_client_hello), GW_4LW_NONE);
	assert_int_equal(gw_4lw_classify((const uint8_t *)"\0\0\0,"),
			 GW_4LW_NONE);
}

static void
fourlw_whitelist_matches_whole_words(void **state)
{
	(void)state;
	assert_true(gw_4lw_allowed("srvr", "srvr"));
	assert_false(gw_4lw_allowed("srvr", "stat"));
	assert_true(gw_4lw_allowed("ruok, srvr,mntr", "mntr"));
	assert_true(gw_4lw_allowed("*", "dump"));
	assert_false(gw_4lw_allowed("srvrx", "srvr"));
	assert_false(gw_4lw_allowed("", "srvr"));
}

static void
fourlw_refusal_is_zookeepers_text(void **state)
{
	char b[128];
	int n;

	(void)state;
	n = gw_4lw_refusal(b, sizeof(b), "stat");
	assert_string_equal(b, "stat is not executed because it is not in "
			       "the whitelist.\n");
	assert_int_equal(n, (int)strlen(b));
}

static void
admin_dgram_matches_dpzk_4lw(void **state)
{
	/* scripts/dpzk-4lw: kind 9, one fragment, payload "mntr", session
	 * 0, seq 0, ack 0 */
	uint8_t d[64];
	struct proto_dgram_hdr h;
	const char *t;
	size_t tl;
	int n;

	(void)state;
	n = gw_admin_dgram(d, sizeof(d), "mntr");
	assert_int_equal(n, PROTO_DGRAM_HDR_LEN + 4);
	assert_int_equal(proto_dgram_hdr_decode(d, (size_t)n, &h), 0);
	assert_int_equal(h.kind, PROTO_K_ADMIN);
	assert_int_equal(h.session_id, 0);
	assert_int_equal(h.seq, 0);
	assert_memory_equal(d + PROTO_DGRAM_HDR_LEN, "mntr", 4);
	assert_int_equal(gw_admin_text(d, (size_t)n, &t, &tl), 0);
	assert_int_equal(tl, 4);
	d[3] = PROTO_K_REPLY;
	assert_int_equal(gw_admin_text(d, (size_t)n, &t, &tl), -EBADMSG);
}

static void
hello_decodes_the_c_clients_request(void **state)
{
	struct gw_hello h;

	(void)state;
	assert_int_equal(gw_hello_decode(c_client_hello, 45, &h), 0);
	assert_int_equal(h.timeout, 30000);
	assert_int_equal(h.session_id, 0);
	assert_int_equal(h.passwd_len, 16);
	assert_int_equal(h.read_only, 0);
	assert_int_equal(gw_hello_decode(c_client_hello, 44, &h), 0);
	assert_int_equal(h.read_only, -1);
}

static void
hello_rejects_truncated_request(void **state)
{
	struct gw_hello h;

	(void)state;
	assert_int_equal(gw_hello_decode(c_client_hello, 30, &h), -EBADMSG);
	assert_int_equal(gw_hello_decode(c_client_hello, 46, &h), -EBADMSG);
}

static void
upstream_connect_always_carries_read_only(void **state)
{
	struct gw_hello h;
	struct proto_connect_req c;

	(void)state;
	assert_int_equal(gw_hello_decode(c_client_hello, 44, &h), 0);
	gw_hello_upstream(&h, &c);
	assert_int_equal(c.read_only, 0);
	assert_int_equal(c.passwd.len, 16);
	assert_int_equal(c.timeout, 30000);
}

static void
upstream_connect_of_null_passwd_is_sixteen_zeros(void **state)
{
	uint8_t req[29 + 1];
	struct gw_hello h;
	struct proto_connect_req c;
	static const uint8_t z[16];

	(void)state;
	/* kazoo-style: null passwd (-1), no readOnly */
	memcpy(req, c_client_hello, 24);
	memset(req + 24, 0xff, 4);
	req[28] = 1;
	assert_int_equal(gw_hello_decode(req, 29, &h), 0);
	assert_int_equal(h.read_only, 1);
	gw_hello_upstream(&h, &c);
	assert_int_equal(c.passwd.len, 16);
	assert_memory_equal(c.passwd.p, z, 16);
	assert_int_equal(c.read_only, 1);
}

static void
response_is_41_bytes_when_read_only_was_sent(void **state)
{
	static const uint8_t pw[16] = {1, 2,  3,  4,  5,  6,  7,  8,
				       9, 10, 11, 12, 13, 14, 15, 16};
	struct gw_hello h;
	struct proto_connect_resp r = {
		.timeout = 20000,
		.session_id = 0x0100000000000007,
		.passwd = {pw, 16},
		.read_only = 0,
		.last_xid = 77, /* the dpzk extension is never relayed */
	};
	uint8_t b[64];
	int n;

	(void)state;
	assert_int_equal(gw_hello_decode(c_client_hello, 45, &h), 0);
	n = gw_hello_response(&h, &r, b, sizeof(b));
	assert_int_equal(n, 41);
	assert_int_equal(gw_be32(b), 37);
	assert_int_equal(gw_be32(b + 4), 0);	 /* protocolVersion */
	assert_int_equal(gw_be32(b + 8), 20000); /* timeOut */
	assert_int_equal(gw_be32(b + 12), 0x01000000);
	assert_int_equal(gw_be32(b + 16), 7);
	assert_int_equal(gw_be32(b + 20), 16);
	assert_memory_equal(b + 24, pw, 16);
	assert_int_equal(b[40], 0);
}

static void
response_read_only_is_false_even_if_echoed(void **state)
{
	/* a Java client with canBeReadOnly sends readOnly 1; ZooKeeper's
	 * answer means "this server is read-only": false for dpzk */
	static const uint8_t pw[16] = {3};
	uint8_t req[45];
	struct gw_hello h;
	struct proto_connect_resp r = {
		.timeout = 20000,
		.session_id = 5,
		.passwd = {pw, 16},
		.read_only = 1,
	};
	uint8_t b[64];

	(void)state;
	memcpy(req, c_client_hello, 45);
	req[44] = 1;
	assert_int_equal(gw_hello_decode(req, 45, &h), 0);
	assert_int_equal(gw_hello_response(&h, &r, b, sizeof(b)), 41);
	assert_int_equal(b[40], 0);
}

static void
response_is_40_bytes_without_read_only(void **state)
{
	static const uint8_t pw[16] = {9};
	struct gw_hello h;
	struct proto_connect_resp r = {
		.timeout = 20000,
		.session_id = 5,
		.passwd = {pw, 16},
		.read_only = 0,
	};
	uint8_t b[64];

	(void)state;
	assert_int_equal(gw_hello_decode(c_client_hello, 44, &h), 0);
	assert_int_equal(gw_hello_response(&h, &r, b, sizeof(b)), 40);
	assert_int_equal(gw_be32(b), 36);
}

static void
refused_session_gets_zero_timeout_id_and_passwd(void **state)
{
	static const uint8_t pw[16] = {0xaa, 0xbb};
	static const uint8_t z[16];
	struct gw_hello h;
	struct proto_connect_resp r = {
		.timeout = 0,
		.session_id = 1234,
		.passwd = {pw, 16},
		.read_only = 0,
	};
	uint8_t b[64];

	(void)state;
	assert_int_equal(gw_hello_decode(c_client_hello, 45, &h), 0);
	assert_int_equal(gw_hello_response(&h, &r, b, sizeof(b)), 41);
	assert_int_equal(gw_be32(b + 8), 0);
	assert_int_equal(gw_be32(b + 12), 0);
	assert_int_equal(gw_be32(b + 16), 0);
	assert_memory_equal(b + 24, z, 16);
}

static void
first_xid_is_one_for_a_fresh_session(void **state)
{
	(void)state;
	assert_int_equal(gw_first_xid(0), 1);
}

static void
first_xid_leaves_a_gap_above_the_last_write(void **state)
{
	(void)state;
	assert_int_equal(gw_first_xid(100), 100 + GW_XID_GAP);
	assert_int_equal(gw_first_xid(INT32_MAX - 10), 1);
}

static void
special_xids_pass_unchanged(void **state)
{
	int32_t next = 7;

	(void)state;
	assert_int_equal(gw_xid_map(PROTO_XID_AUTH, &next), -4);
	assert_int_equal(gw_xid_map(PROTO_XID_SETWATCHES, &next), -8);
	assert_int_equal(gw_xid_map(PROTO_XID_PING, &next), -2);
	assert_int_equal(next, 7);
}

static void
client_xids_are_renumbered_increasing(void **state)
{
	int32_t next = 1;

	(void)state;
	/* kazoo restarts at 1 on every connection; the C client starts
	 * anywhere; Java's closeSession has a normal xid */
	assert_int_equal(gw_xid_map(1, &next), 1);
	assert_int_equal(gw_xid_map(1, &next), 2);
	assert_int_equal(gw_xid_map(0x7fff0000, &next), 3);
	assert_int_equal(gw_xid_map(-11, &next), 4);
	next = INT32_MAX;
	assert_int_equal(gw_xid_map(5, &next), INT32_MAX);
	assert_int_equal(gw_xid_map(5, &next), 1);
}

static void
xidq_maps_replies_back_in_order(void **state)
{
	struct gw_xidq q;
	struct gw_xid e;

	(void)state;
	gw_xidq_init(&q, 64);
	for (int i = 0; i < 40; i++)
		assert_int_equal(gw_xidq_push(&q, 1000 + i, 1 + i, 4), 0);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(gw_xidq_pop(&q, 1 + i, &e), 0);
		assert_int_equal(e.cxid, 1000 + i);
		/* interleave pushes so the ring wraps */
		if (i < 20)
			assert_int_equal(gw_xidq_push(&q, 2000 + i, 41 + i, 3),
					 0);
	}
	for (int i = 0; i < 20; i++) {
		assert_int_equal(gw_xidq_pop(&q, 41 + i, &e), 0);
		assert_int_equal(e.cxid, 2000 + i);
		assert_int_equal(e.op, 3);
	}
	assert_int_equal(gw_xidq_pop(&q, 1, &e), -ENOENT);
	gw_xidq_fini(&q);
}

static void
xidq_refuses_a_reply_out_of_order(void **state)
{
	struct gw_xidq q;
	struct gw_xid e;

	(void)state;
	gw_xidq_init(&q, 8);
	assert_int_equal(gw_xidq_push(&q, 5, 1, 4), 0);
	assert_int_equal(gw_xidq_push(&q, 6, 2, 4), 0);
	assert_int_equal(gw_xidq_pop(&q, 2, &e), -EPROTO);
	assert_int_equal(gw_xidq_pop(&q, 1, &e), 0);
	gw_xidq_fini(&q);
}

static void
xidq_is_bounded(void **state)
{
	struct gw_xidq q;

	(void)state;
	gw_xidq_init(&q, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gw_xidq_push(&q, i, i + 1, 4), 0);
	assert_int_equal(gw_xidq_push(&q, 9, 9, 4), -ENOSPC);
	gw_xidq_fini(&q);
}

static void
xidq_front_entries_come_first(void **state)
{
	struct gw_xidq q;
	struct gw_xid e = {.cxid = -4, .uxid = -4, .op = PROTO_OP_AUTH};
	struct gw_xid out;

	(void)state;
	gw_xidq_init(&q, 2);
	assert_int_equal(gw_xidq_push(&q, 10, 1, 4), 0);
	assert_int_equal(gw_xidq_push(&q, 11, 2, 4), 0);
	/* the gateway's own requests go in front even when full */
	e.msg = malloc(8);
	assert_int_equal(gw_xidq_add(&q, &e, true), 0);
	assert_int_equal(q.n, 3);
	assert_int_equal(gw_xidq_pop(&q, -4, &out), 0);
	free(out.msg);
	assert_int_equal(gw_xidq_pop(&q, 1, &out), 0);
	assert_int_equal(gw_xidq_pop(&q, 2, &out), 0);
	gw_xidq_fini(&q);
}

static void
xidq_take_keeps_the_others_in_order(void **state)
{
	struct gw_xidq q;
	struct gw_xid out;

	(void)state;
	gw_xidq_init(&q, 16);
	for (int i = 0; i < 5; i++)
		assert_int_equal(gw_xidq_push(&q, 100 + i, 1 + i, 4), 0);
	assert_int_equal(gw_xidq_take(&q, 2, &out), 0);
	assert_int_equal(out.uxid, 3);
	assert_int_equal(q.n, 4);
	assert_int_equal(gw_xidq_at(&q, 0)->uxid, 1);
	assert_int_equal(gw_xidq_at(&q, 1)->uxid, 2);
	assert_int_equal(gw_xidq_at(&q, 2)->uxid, 4);
	assert_int_equal(gw_xidq_at(&q, 3)->uxid, 5);
	assert_int_equal(gw_xidq_take(&q, 4, &out), -ENOENT);
	gw_xidq_fini(&q);
}

static int
parse(struct gw_config *c, const char *const *args, int n)
{
	char *argv[16];

	argv[0] = (char *)"dpzk-gateway";
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	return gw_config_parse(c, n + 1, argv);
}

static void
cli_parses_every_flag(void **state)
{
	static const char *const a[] = {
		"--servers",
		"198.18.0.11:2181,198.18.0.12,[::1]:3000",
		"--port",
		"2182",
		"--bind=127.0.0.1",
		"--4lw_whitelist",
		"ruok,srvr",
		"--max_conns",
		"50",
		"--max_frame",
		"4096",
		"--max_conn_buf",
		"65536",
		"--verbose",
	};
	struct gw_config c;

	(void)state;
	assert_int_equal(parse(&c, a, 14), 0);
	assert_int_equal(c.nservers, 3);
	assert_string_equal(c.servers[1].name, "198.18.0.12:2181");
	assert_string_equal(c.servers[2].name, "[::1]:3000");
	assert_int_equal(c.port, 2182);
	assert_string_equal(c.bind, "127.0.0.1");
	assert_string_equal(c.wl, "ruok,srvr");
	assert_int_equal(c.max_conns, 50);
	assert_int_equal(c.max_frame, 4096);
	assert_int_equal(c.max_conn_buf, 65536);
	assert_true(c.verbose);
}

static void
cli_defaults_are_zookeepers(void **state)
{
	static const char *const a[] = {"--servers", "10.0.0.1"};
	struct gw_config c;

	(void)state;
	assert_int_equal(parse(&c, a, 2), 0);
	assert_int_equal(c.port, 2181);
	assert_string_equal(c.wl, "srvr");
	assert_int_equal(c.max_frame, 0xfffff);
	assert_int_equal(c.max_conns, 10000);
	assert_string_equal(c.bind, "");
}

static void
cli_rejects_bad_flags(void **state)
{
	static const char *const none[] = {"--port", "2181"};
	static const char *const unknown[] = {"--servers", "10.0.0.1",
					      "--frobnicate"};
	static const char *const badport[] = {"--servers", "10.0.0.1:0"};
	static const char *const missing[] = {"--servers"};
	static const char *const smallbuf[] = {"--servers", "10.0.0.1",
					       "--max_conn_buf", "8192"};
	struct gw_config c;

	(void)state;
	assert_int_equal(parse(&c, none, 2), -EINVAL);
	assert_int_equal(parse(&c, unknown, 3), -EINVAL);
	assert_int_equal(parse(&c, badport, 2), -EINVAL);
	assert_int_equal(parse(&c, missing, 1), -EINVAL);
	assert_int_equal(parse(&c, smallbuf, 4), -EINVAL);
}

/* An ADMIN answer fragment as the server sends it (PROTOCOL.md, "Admin
 * datagrams"). */
static size_t
admin_frag(uint8_t *d, const char *text, uint32_t total, uint16_t idx,
	   uint16_t n, uint16_t full)
{
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = PROTO_K_ADMIN,
		.frag_count = n,
		.frag_index = idx,
		.msg_len = total,
	};
	size_t off = (size_t)idx * full;
	size_t len = idx + 1 == n ? total - off : full;

	h.payload_len = (uint16_t)len;
	proto_dgram_hdr_encode(d, &h);
	memcpy(d + PROTO_DGRAM_HDR_LEN, text + off, len);
	return PROTO_DGRAM_HDR_LEN + len;
}

static void
admin_answer_assembles_fragments_in_any_order(void **state)
{
	char text[3000];
	uint8_t d[2048];
	struct gw_admin_asm a = {0};
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	/* three fragments of 1400, 1400 and 200 bytes: last, first, middle */
	n = admin_frag(d, text, sizeof(text), 2, 3, 1400);
	assert_int_equal(gw_admin_asm_put(&a, d, n), 0);
	n = admin_frag(d, text, sizeof(text), 0, 3, 1400);
	assert_int_equal(gw_admin_asm_put(&a, d, n), 0);
	n = admin_frag(d, text, sizeof(text), 0, 3, 1400); /* duplicate */
	assert_int_equal(gw_admin_asm_put(&a, d, n), 0);
	n = admin_frag(d, text, sizeof(text), 1, 3, 1400);
	assert_int_equal(gw_admin_asm_put(&a, d, n), 1);
	assert_int_equal(a.len, sizeof(text));
	assert_memory_equal(a.text, text, sizeof(text));
	gw_admin_asm_reset(&a);
	/* a one-datagram answer, as before fragments existed */
	n = admin_frag(d, text, 100, 0, 1, 1400);
	assert_int_equal(gw_admin_asm_put(&a, d, n), 1);
	assert_int_equal(a.len, 100);
	assert_memory_equal(a.text, text, 100);
	gw_admin_asm_reset(&a);
}

static void
admin_answer_rejects_fragments_that_do_not_fit(void **state)
{
	char text[3000] = {0};
	uint8_t d[2048];
	struct gw_admin_asm a = {0};
	size_t n;

	(void)state;
	n = admin_frag(d, text, sizeof(text), 0, 3, 1400);
	assert_int_equal(gw_admin_asm_put(&a, d, n), 0);
	/* a fragment of another answer (other length) */
	n = admin_frag(d, text, 2999, 1, 3, 1400);
	assert_int_equal(gw_admin_asm_put(&a, d, n), -EBADMSG);
	/* frag_index 9 of 3, and a text longer than the limit */
	n = admin_frag(d, text, sizeof(text), 1, 3, 1400);
	proto_dgram_hdr_encode(d, &(struct proto_dgram_hdr){
					  .magic = PROTO_DGRAM_MAGIC,
					  .version = PROTO_DGRAM_VERSION,
					  .kind = PROTO_K_ADMIN,
					  .frag_count = 3,
					  .frag_index = 9,
					  .msg_len = sizeof(text),
					  .payload_len = 1400,
				  });
	assert_int_equal(gw_admin_asm_put(&a, d, n), -EBADMSG);
	gw_admin_asm_reset(&a);
	n = admin_frag(d, text, sizeof(text), 0, 3, 1400);
	proto_dgram_hdr_encode(d, &(struct proto_dgram_hdr){
					  .magic = PROTO_DGRAM_MAGIC,
					  .version = PROTO_DGRAM_VERSION,
					  .kind = PROTO_K_ADMIN,
					  .frag_count = 3,
					  .msg_len = GW_ADMIN_TEXT_MAX + 1,
					  .payload_len = 1400,
				  });
	assert_int_equal(gw_admin_asm_put(&a, d, n), -EBADMSG);
	/* not an ADMIN datagram */
	assert_int_equal(gw_admin_asm_put(&a, d, 10), -EBADMSG);
	gw_admin_asm_reset(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_len_accepts_up_to_max_frame),
		cmocka_unit_test(frame_len_rejects_above_max_frame),
		cmocka_unit_test(frame_len_rejects_negative),
		cmocka_unit_test(frame_len_waits_for_four_bytes),
		cmocka_unit_test(fourlw_words_are_classified),
		cmocka_unit_test(fourlw_whitelist_matches_whole_words),
		cmocka_unit_test(fourlw_refusal_is_zookeepers_text),
		cmocka_unit_test(admin_dgram_matches_dpzk_4lw),
		cmocka_unit_test(admin_answer_assembles_fragments_in_any_order),
		cmocka_unit_test(
			admin_answer_rejects_fragments_that_do_not_fit),
		cmocka_unit_test(hello_decodes_the_c_clients_request),
		cmocka_unit_test(hello_rejects_truncated_request),
		cmocka_unit_test(upstream_connect_always_carries_read_only),
		cmocka_unit_test(
			upstream_connect_of_null_passwd_is_sixteen_zeros),
		cmocka_unit_test(response_is_41_bytes_when_read_only_was_sent),
		cmocka_unit_test(response_is_40_bytes_without_read_only),
		cmocka_unit_test(response_read_only_is_false_even_if_echoed),
		cmocka_unit_test(
			refused_session_gets_zero_timeout_id_and_passwd),
		cmocka_unit_test(first_xid_is_one_for_a_fresh_session),
		cmocka_unit_test(first_xid_leaves_a_gap_above_the_last_write),
		cmocka_unit_test(special_xids_pass_unchanged),
		cmocka_unit_test(client_xids_are_renumbered_increasing),
		cmocka_unit_test(xidq_maps_replies_back_in_order),
		cmocka_unit_test(xidq_refuses_a_reply_out_of_order),
		cmocka_unit_test(xidq_is_bounded),
		cmocka_unit_test(xidq_front_entries_come_first),
		cmocka_unit_test(xidq_take_keeps_the_others_in_order),
		cmocka_unit_test(cli_parses_every_flag),
		cmocka_unit_test(cli_defaults_are_zookeepers),
		cmocka_unit_test(cli_rejects_bad_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
