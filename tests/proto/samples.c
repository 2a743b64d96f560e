/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/proto/samples.c — the corpus of valid encodings (see samples.h).
 * Field values are distinct and non-trivial (negative versions, null and
 * empty strings, null vectors, 16-byte passwords) so that a codec that
 * swaps, drops or truncates a field changes the bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"

const uint8_t sample_dgram_key[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				      0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				      0xcc, 0xdd, 0xee, 0xff};

#define V(s)  ((struct proto_view){(const uint8_t *)(s), (int32_t)strlen(s)})
#define VNULL ((struct proto_view){NULL, -1})

static const struct proto_stat st = {
	.czxid = 0x100000001LL,
	.mzxid = 0x100000002LL,
	.ctime = 1700000000123LL,
	.mtime = 1700000000456LL,
	.version = 3,
	.cversion = -7,
	.aversion = 1,
	.ephemeral_owner = 0x0123456789abcdefLL,
	.data_length = 5,
	.num_children = 2,
	.pzxid = 0x100000003LL,
};

static struct proto_acl acls[2];
static struct proto_view kids[3];
static struct proto_view wl[5][2];
static struct proto_client_info who[2];
static const uint8_t passwd[16] = {1, 2,  3,  4,  5,  6,  7,  8,
				   9, 10, 11, 12, 13, 14, 15, 16};

static void
init_static(void)
{
	acls[0] = (struct proto_acl){PROTO_PERM_ALL, {V("world"), V("anyone")}};
	acls[1] = (struct proto_acl){PROTO_PERM_READ | PROTO_PERM_ADMIN,
				     {V("digest"), V("u:c2hhMQ==")}};
	kids[0] = V("a");
	kids[1] = V("");
	kids[2] = V("lock-0000000007");
	for (int i = 0; i < 5; i++) {
		wl[i][0] = V("/w");
		wl[i][1] = V("/w/x");
	}
	who[0] = (struct proto_client_info){V("ip"), V("10.0.0.1")};
	who[1] = (struct proto_client_info){V("digest"), V("u")};
}

static struct sample *
add(struct sample *out, size_t *n, size_t max, enum sample_kind kind,
    int32_t type, const char *name)
{
	struct sample *s;

	if (*n >= max)
		abort();
	s = &out[(*n)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->kind = kind;
	s->type = type;
	return s;
}

/* Encodes with enc(w, rec) twice: once counting, once for real. */
#define FILL(s, enc, rec)                                                      \
	do {                                                                   \
		struct proto_wbuf w_;                                          \
		proto_wbuf_init(&w_, NULL, 0);                                 \
		if (enc(&w_, rec) != 0)                                        \
			abort();                                               \
		(s)->len = w_.len;                                             \
		(s)->buf = malloc(w_.len ? w_.len : 1);                        \
		proto_wbuf_init(&w_, (s)->buf, (s)->len);                      \
		if (enc(&w_, rec) != 0 || w_.len != (s)->len)                  \
			abort();                                               \
	} while (0)

static void
put_stat_rec(struct proto_wbuf *w, const struct proto_stat *s, int *rc)
{
	proto_put_stat(w, s);
	*rc = w->err;
}

static int
enc_stat(struct proto_wbuf *w, const struct proto_stat *s)
{
	int rc;

	put_stat_rec(w, s, &rc);
	return rc;
}

static int
enc_acl_vec(struct proto_wbuf *w, const struct proto_acl_vec *v)
{
	proto_put_acl_vec(w, v);
	return w->err;
}

static int
enc_dgram(struct proto_wbuf *w, const struct proto_dgram_hdr *h)
{
	static const char payload[] = "\x00\x00\x00\x05\x00\x00\x00\x04"
				      "\x00\x00\x00\x02/a\x01";
	size_t plen = h->payload_len;

	if (w->p != NULL && w->cap >= PROTO_DGRAM_HDR_LEN + plen) {
		proto_dgram_hdr_encode(w->p, h);
		memcpy(w->p + PROTO_DGRAM_HDR_LEN, payload, plen);
		proto_dgram_seal(w->p, PROTO_DGRAM_HDR_LEN + plen,
				 sample_dgram_key);
	}
	w->len = PROTO_DGRAM_HDR_LEN + plen;
	return 0;
}

static void
requests(struct sample *out, size_t *n, size_t max)
{
	static struct proto_request ops[8], rops[2];
	struct proto_request q;
	struct sample *s;
	const struct proto_acl_vec acl2 = {2, acls}, acl1 = {1, acls};

#define REQ(name)                                                              \
	do {                                                                   \
		s = add(out, n, max, SK_REQUEST, q.type, "req " name);         \
		FILL(s, proto_request_encode, &q);                             \
	} while (0)

	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_CREATE;
	q.path = V("/app/node");
	q.data = V("hello");
	q.acl = acl2;
	q.flags = PROTO_CM_EPHEMERAL_SEQUENTIAL;
	REQ("create");
	q.type = PROTO_OP_CREATE2;
	q.data = VNULL;
	q.acl = (struct proto_acl_vec){-1, NULL};
	REQ("create2 null data/acl");
	q.type = PROTO_OP_CREATECONTAINER;
	q.data = V("");
	q.acl = acl1;
	q.flags = PROTO_CM_CONTAINER;
	REQ("createContainer");
	q.type = PROTO_OP_CREATETTL;
	q.flags = PROTO_CM_PERSISTENT_WITH_TTL;
	q.ttl = 86400000;
	REQ("createTTL");

	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_DELETE;
	q.path = V("/app/node");
	q.version = -1;
	REQ("delete");
	q.type = PROTO_OP_CHECK;
	q.version = 42;
	REQ("check");
	q.type = PROTO_OP_DELETECONTAINER;
	q.version = 0;
	REQ("deleteContainer");

	memset(&q, 0, sizeof(q));
	q.path = V("/app");
	q.watch = true;
	q.type = PROTO_OP_EXISTS;
	REQ("exists");
	q.type = PROTO_OP_GETDATA;
	REQ("getData");
	q.type = PROTO_OP_GETCHILDREN;
	q.watch = false;
	REQ("getChildren");
	q.type = PROTO_OP_GETCHILDREN2;
	REQ("getChildren2");

	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_SETDATA;
	q.path = V("/app");
	q.data = V("\x00\xff\x01");
	q.data.len = 3;
	q.version = 9;
	REQ("setData");

	memset(&q, 0, sizeof(q));
	q.path = V("/app");
	q.type = PROTO_OP_GETACL;
	REQ("getACL");
	q.type = PROTO_OP_SYNC;
	REQ("sync");
	q.type = PROTO_OP_GETALLCHILDRENNUMBER;
	REQ("getAllChildrenNumber");
	q.type = PROTO_OP_GETEPHEMERALS;
	q.path = VNULL;
	REQ("getEphemerals null prefix");

	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_SETACL;
	q.path = V("/app");
	q.acl = acl2;
	q.version = -1;
	REQ("setACL");

	memset(&q, 0, sizeof(q));
	q.path = V("/app");
	q.type = PROTO_OP_ADDWATCH;
	q.mode = PROTO_ADDWATCH_PERSISTENT_RECURSIVE;
	REQ("addWatch");
	q.type = PROTO_OP_CHECKWATCHES;
	q.mode = PROTO_WTYPE_ANY;
	REQ("checkWatches");
	q.type = PROTO_OP_REMOVEWATCHES;
	q.mode = PROTO_WTYPE_DATA;
	REQ("removeWatches");

	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_SETWATCHES;
	q.rel_zxid = 0x500000010LL;
	q.watches[0] = (struct proto_str_vec){2, wl[0]};
	q.watches[1] = (struct proto_str_vec){0, NULL};
	q.watches[2] = (struct proto_str_vec){1, wl[2]};
	REQ("setWatches");
	q.type = PROTO_OP_SETWATCHES2;
	q.watches[3] = (struct proto_str_vec){1, wl[3]};
	q.watches[4] = (struct proto_str_vec){2, wl[4]};
	REQ("setWatches2");

	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_AUTH;
	q.auth = (struct proto_auth){0, V("digest"), V("user:secret")};
	REQ("auth");

	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_PING;
	REQ("ping");
	q.type = PROTO_OP_WHOAMI;
	REQ("whoAmI");
	q.type = PROTO_OP_CLOSESESSION;
	REQ("closeSession");

	/* multi with every allowed op */
	memset(ops, 0, sizeof(ops));
	ops[0] = (struct proto_request){.type = PROTO_OP_CREATE,
					.path = V("/m/a"),
					.data = V("x"),
					.acl = acl1,
					.flags = 0};
	ops[1] = (struct proto_request){.type = PROTO_OP_CREATE2,
					.path = V("/m/b"),
					.data = VNULL,
					.acl = acl2,
					.flags = 2};
	ops[2] = (struct proto_request){.type = PROTO_OP_CREATECONTAINER,
					.path = V("/m/c"),
					.data = V(""),
					.acl = acl1,
					.flags = 4};
	ops[3] = (struct proto_request){.type = PROTO_OP_CREATETTL,
					.path = V("/m/d"),
					.data = V("t"),
					.acl = acl1,
					.flags = 5,
					.ttl = 1000};
	ops[4] = (struct proto_request){
		.type = PROTO_OP_DELETE, .path = V("/m/e"), .version = -1};
	ops[5] = (struct proto_request){.type = PROTO_OP_SETDATA,
					.path = V("/m/f"),
					.data = V("new"),
					.version = 4};
	ops[6] = (struct proto_request){
		.type = PROTO_OP_CHECK, .path = V("/m"), .version = 0};
	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_MULTI;
	q.multi.n = 7;
	q.multi.ops = ops;
	REQ("multi");
	q.multi.n = 0;
	q.multi.ops = NULL;
	REQ("multi empty");

	rops[0] = (struct proto_request){
		.type = PROTO_OP_GETDATA, .path = V("/r/a"), .watch = false};
	rops[1] = (struct proto_request){
		.type = PROTO_OP_GETCHILDREN, .path = V("/r"), .watch = true};
	q.type = PROTO_OP_MULTIREAD;
	q.multi.n = 2;
	q.multi.ops = rops;
	REQ("multiRead");
#undef REQ
}

static void
responses(struct sample *out, size_t *n, size_t max)
{
	static struct proto_multi_result mr[8], rr[3], fr[3];
	struct proto_response a;
	struct sample *s;

#define RESP(name)                                                             \
	do {                                                                   \
		s = add(out, n, max, SK_RESPONSE, a.type, "resp " name);       \
		FILL(s, proto_response_encode, &a);                            \
	} while (0)

	memset(&a, 0, sizeof(a));
	a.type = PROTO_OP_CREATE;
	a.path = V("/app/node0000000001");
	RESP("create");
	a.type = PROTO_OP_SYNC;
	a.path = V("/app");
	RESP("sync");
	a.stat = st;
	a.path = V("/app/c");
	a.type = PROTO_OP_CREATE2;
	RESP("create2");
	a.type = PROTO_OP_CREATECONTAINER;
	RESP("createContainer");
	a.type = PROTO_OP_CREATETTL;
	RESP("createTTL");

	memset(&a, 0, sizeof(a));
	a.stat = st;
	a.type = PROTO_OP_EXISTS;
	RESP("exists");
	a.type = PROTO_OP_SETDATA;
	RESP("setData");
	a.type = PROTO_OP_SETACL;
	RESP("setACL");
	a.type = PROTO_OP_GETDATA;
	a.data = V("hello");
	RESP("getData");
	a.data = VNULL;
	RESP("getData null");

	memset(&a, 0, sizeof(a));
	a.children = (struct proto_str_vec){3, kids};
	a.type = PROTO_OP_GETCHILDREN;
	RESP("getChildren");
	a.type = PROTO_OP_GETEPHEMERALS;
	RESP("getEphemerals");
	a.type = PROTO_OP_GETCHILDREN2;
	a.stat = st;
	RESP("getChildren2");
	a.children = (struct proto_str_vec){0, NULL};
	RESP("getChildren2 empty");

	memset(&a, 0, sizeof(a));
	a.type = PROTO_OP_GETACL;
	a.acl = (struct proto_acl_vec){2, acls};
	a.stat = st;
	RESP("getACL");

	memset(&a, 0, sizeof(a));
	a.type = PROTO_OP_GETALLCHILDRENNUMBER;
	a.number = 12345;
	RESP("getAllChildrenNumber");
	a.type = PROTO_OP_ADDWATCH;
	a.number = 0;
	RESP("addWatch");

	memset(&a, 0, sizeof(a));
	a.type = PROTO_OP_WHOAMI;
	a.who.n = 2;
	a.who.v = who;
	RESP("whoAmI");

	static const int32_t empty[] = {
		PROTO_OP_DELETE,	PROTO_OP_CHECKWATCHES,
		PROTO_OP_REMOVEWATCHES, PROTO_OP_SETWATCHES,
		PROTO_OP_SETWATCHES2,	PROTO_OP_PING,
		PROTO_OP_AUTH,		PROTO_OP_CLOSESESSION,
	};
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		char nm[40];

		memset(&a, 0, sizeof(a));
		a.type = empty[i];
		snprintf(nm, sizeof(nm), "resp %s", proto_op_name(a.type));
		s = add(out, n, max, SK_RESPONSE, a.type, nm);
		FILL(s, proto_response_encode, &a);
	}

	/* successful multi: one result of each kind */
	memset(mr, 0, sizeof(mr));
	mr[0] = (struct proto_multi_result){.type = PROTO_OP_CREATE,
					    .path = V("/m/a")};
	mr[1] = (struct proto_multi_result){.type = PROTO_OP_CREATE2,
					    .path = V("/m/b0000000000"),
					    .stat = st};
	mr[2] = (struct proto_multi_result){.type = PROTO_OP_CREATECONTAINER,
					    .path = V("/m/c"),
					    .stat = st};
	mr[3] = (struct proto_multi_result){
		.type = PROTO_OP_CREATETTL, .path = V("/m/d"), .stat = st};
	mr[4] = (struct proto_multi_result){.type = PROTO_OP_DELETE};
	mr[5] = (struct proto_multi_result){.type = PROTO_OP_SETDATA,
					    .stat = st};
	mr[6] = (struct proto_multi_result){.type = PROTO_OP_CHECK};
	memset(&a, 0, sizeof(a));
	a.type = PROTO_OP_MULTI;
	a.multi.n = 7;
	a.multi.r = mr;
	RESP("multi ok");

	/* failed multi: every result is an error */
	fr[0] = (struct proto_multi_result){.type = PROTO_OP_ERROR,
					    .err = PROTO_ZOK};
	fr[1] = (struct proto_multi_result){.type = PROTO_OP_ERROR,
					    .err = PROTO_ZBADVERSION};
	fr[2] = (struct proto_multi_result){.type = PROTO_OP_ERROR,
					    .err = PROTO_ZRUNTIMEINCONSISTENCY};
	a.multi.n = 3;
	a.multi.r = fr;
	RESP("multi failed");

	/* multiRead: independent results */
	rr[0] = (struct proto_multi_result){
		.type = PROTO_OP_GETDATA, .data = V("d"), .stat = st};
	rr[1] = (struct proto_multi_result){
		.type = PROTO_OP_GETCHILDREN,
		.children = (struct proto_str_vec){3, kids}};
	rr[2] = (struct proto_multi_result){.type = PROTO_OP_ERROR,
					    .err = PROTO_ZNONODE};
	a.type = PROTO_OP_MULTIREAD;
	a.multi.n = 3;
	a.multi.r = rr;
	RESP("multiRead");
#undef RESP
}

static void
txns(struct sample *out, size_t *n, size_t max)
{
	static struct proto_txn sub[6], fsub[3];
	struct proto_txn t;
	struct sample *s;
	const struct proto_txn_hdr h = {0x1000000000000abcLL, 17, 0x200000005LL,
					1700000000999LL, 0};

#define TXN(name)                                                              \
	do {                                                                   \
		s = add(out, n, max, SK_TXN, t.hdr.type, "txn " name);         \
		FILL(s, proto_txn_encode, &t);                                 \
	} while (0)

	static const int32_t creates[] = {PROTO_OP_CREATE, PROTO_OP_CREATE2,
					  PROTO_OP_CREATECONTAINER,
					  PROTO_OP_CREATETTL};
	for (int i = 0; i < 4; i++) {
		char nm[40];

		memset(&t, 0, sizeof(t));
		t.hdr = h;
		t.hdr.type = creates[i];
		t.path = V("/app/n0000000003");
		t.data = i == 1 ? VNULL : V("payload");
		t.acl = (struct proto_acl_vec){2, acls};
		t.ephemeral_owner = i == 0 ? h.session_id : 0;
		t.create_mode = i == 3 ? 5 : i == 2 ? 4 : 3;
		t.ttl = i == 3 ? 60000 : 0;
		t.parent_cversion = 4;
		snprintf(nm, sizeof(nm), "%s", proto_op_name(creates[i]));
		s = add(out, n, max, SK_TXN, t.hdr.type, nm);
		FILL(s, proto_txn_encode, &t);
	}

	memset(&t, 0, sizeof(t));
	t.hdr = h;
	t.path = V("/app/x");
	t.hdr.type = PROTO_OP_DELETE;
	TXN("delete");
	t.hdr.type = PROTO_OP_DELETECONTAINER;
	TXN("deleteContainer");
	t.hdr.type = PROTO_OP_SETDATA;
	t.data = V("v2");
	t.version = 8;
	TXN("setData");
	t.data = (struct proto_view){0};
	t.hdr.type = PROTO_OP_SETACL;
	t.acl = (struct proto_acl_vec){1, acls};
	t.version = 2;
	TXN("setACL");
	t.acl = (struct proto_acl_vec){0};
	t.hdr.type = PROTO_OP_CHECK;
	t.version = -1;
	TXN("check");

	memset(&t, 0, sizeof(t));
	t.hdr = h;
	t.hdr.type = PROTO_OP_CREATESESSION;
	t.timeout = 30000;
	t.passwd = (struct proto_view){passwd, 16};
	TXN("createSession");
	t.passwd = (struct proto_view){0};
	t.hdr.type = PROTO_OP_CLOSESESSION;
	TXN("closeSession");
	t.hdr.type = PROTO_OP_ERROR;
	t.err = PROTO_ZNONODE;
	TXN("error");

	memset(sub, 0, sizeof(sub));
	sub[0].hdr.type = PROTO_OP_CREATE;
	sub[0].path = V("/m/a");
	sub[0].data = V("x");
	sub[0].acl = (struct proto_acl_vec){1, acls};
	sub[0].parent_cversion = 1;
	sub[1].hdr.type = PROTO_OP_CREATETTL;
	sub[1].path = V("/m/t");
	sub[1].acl = (struct proto_acl_vec){1, acls};
	sub[1].create_mode = 5;
	sub[1].ttl = 5000;
	sub[1].parent_cversion = 2;
	sub[2].hdr.type = PROTO_OP_DELETE;
	sub[2].path = V("/m/e");
	sub[3].hdr.type = PROTO_OP_SETDATA;
	sub[3].path = V("/m/f");
	sub[3].data = V("z");
	sub[3].version = 1;
	sub[4].hdr.type = PROTO_OP_CHECK;
	sub[4].path = V("/m");
	sub[4].version = 3;
	sub[5].hdr.type = PROTO_OP_DELETECONTAINER;
	sub[5].path = V("/m/c");
	memset(&t, 0, sizeof(t));
	t.hdr = h;
	t.hdr.type = PROTO_OP_MULTI;
	t.multi.n = 6;
	t.multi.ops = sub;
	TXN("multi");

	memset(fsub, 0, sizeof(fsub));
	fsub[0].hdr.type = PROTO_OP_ERROR;
	fsub[0].err = 0;
	fsub[1].hdr.type = PROTO_OP_ERROR;
	fsub[1].err = PROTO_ZNODEEXISTS;
	fsub[2].hdr.type = PROTO_OP_ERROR;
	fsub[2].err = PROTO_ZRUNTIMEINCONSISTENCY;
	t.multi.n = 3;
	t.multi.ops = fsub;
	TXN("multi failed");
	t.multi.n = 0;
	t.multi.ops = NULL;
	TXN("multi empty");
#undef TXN
}

static void
others(struct sample *out, size_t *n, size_t max)
{
	struct sample *s;
	struct proto_connect_req cr = {
		0, 0x100000005LL, 30000, 0, (struct proto_view){passwd, 16}, 0};
	struct proto_connect_resp cp = {
		0, 20000, 0x0123456789abcdefLL, (struct proto_view){passwd, 16},
		0, 0};
	struct proto_watcher_event ev = {PROTO_EV_NODE_CHILDREN_CHANGED,
					 PROTO_STATE_SYNC_CONNECTED, V("/app")};
	struct proto_req_hdr rh = {12, PROTO_OP_GETDATA};
	struct proto_reply_hdr ph = {12, 0x100000009LL, PROTO_ZNONODE};
	struct proto_acl_vec av = {2, acls};
	struct proto_dgram_hdr dh = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = PROTO_K_REQUEST,
		.flags = PROTO_F_ACK_REQ,
		.frag_count = 1,
		.frag_index = 0,
		.payload_len = 15,
		.msg_len = 15,
		.session_id = 0x0123456789abcdefLL,
		.seq = 5,
		.ack = 3,
	};

	s = add(out, n, max, SK_CONNECT_REQ, 0, "connect req readOnly");
	FILL(s, proto_connect_req_encode, &cr);
	s->ok_prefix = s->len - 1;
	cr.read_only = -1;
	cr.session_id = 0x0123456789abcdefLL;
	s = add(out, n, max, SK_CONNECT_REQ, 0, "connect req no readOnly");
	FILL(s, proto_connect_req_encode, &cr);
	s = add(out, n, max, SK_CONNECT_RESP, 0, "connect resp readOnly");
	FILL(s, proto_connect_resp_encode, &cp);
	s->ok_prefix = s->len - 1;
	cp.read_only = -1;
	s = add(out, n, max, SK_CONNECT_RESP, 0, "connect resp no readOnly");
	FILL(s, proto_connect_resp_encode, &cp);
	s = add(out, n, max, SK_EVENT, 0, "event");
	FILL(s, proto_event_encode, &ev);
	ev.type = PROTO_EV_NONE;
	ev.state = PROTO_STATE_EXPIRED;
	ev.path = VNULL;
	s = add(out, n, max, SK_EVENT, 0, "event none");
	FILL(s, proto_event_encode, &ev);
	s = add(out, n, max, SK_REQ_HDR, 0, "request header");
	FILL(s, proto_req_hdr_encode, &rh);
	s = add(out, n, max, SK_REPLY_HDR, 0, "reply header");
	FILL(s, proto_reply_hdr_encode, &ph);
	s = add(out, n, max, SK_STAT, 0, "stat");
	FILL(s, enc_stat, &st);
	s = add(out, n, max, SK_ACL_VEC, 0, "acl vector");
	FILL(s, enc_acl_vec, &av);
	av = (struct proto_acl_vec){-1, NULL};
	s = add(out, n, max, SK_ACL_VEC, 0, "acl vector null");
	FILL(s, enc_acl_vec, &av);
	s = add(out, n, max, SK_DGRAM, 0, "datagram request");
	FILL(s, enc_dgram, &dh);
	dh.kind = PROTO_K_ACK;
	dh.payload_len = 0;
	dh.msg_len = 0;
	s = add(out, n, max, SK_DGRAM, 0, "datagram ack");
	FILL(s, enc_dgram, &dh);
	dh.kind = PROTO_K_PEER + 3;
	dh.frag_count = 3;
	dh.frag_index = 2;
	dh.payload_len = 15;
	dh.msg_len = 2000;
	s = add(out, n, max, SK_DGRAM, 0, "datagram peer fragment");
	FILL(s, enc_dgram, &dh);
}

size_t
samples_build(struct sample *out, size_t max)
{
	size_t n = 0;

	init_static();
	requests(out, &n, max);
	responses(out, &n, max);
	txns(out, &n, max);
	others(out, &n, max);
	return n;
}

void
samples_free(struct sample *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].buf);
		s[i].buf = NULL;
	}
}

const char *
sample_kind_name(enum sample_kind k)
{
	static const char *const names[SK_COUNT] = {
		"request",	"response", "txn",     "connect_req",
		"connect_resp", "event",    "req_hdr", "reply_hdr",
		"stat",		"acl_vec",  "dgram",
	};

	return k < SK_COUNT ? names[k] : "?";
}

/* Decoded records are big (multi arrays live in scratch); keep them off the
 * stack of deep callers. */
int
sample_decode(enum sample_kind kind, int32_t type, const uint8_t *p, size_t len,
	      size_t scap, struct proto_wbuf *re)
{
	static uint8_t scratch_mem[1 << 20];
	struct proto_scratch sc, *s = NULL;
	struct proto_rbuf r;
	int rc = -EINVAL, erc = 0;

	if (scap > 0) {
		proto_scratch_init(&sc, scratch_mem,
				   scap < sizeof(scratch_mem)
					   ? scap
					   : sizeof(scratch_mem));
		s = &sc;
	}
	proto_rbuf_init(&r, p, len);
	switch (kind) {
	case SK_REQUEST: {
		struct proto_request q;

		rc = proto_request_decode(&r, type, &q, s);
		if (rc == 0 && re != NULL)
			erc = proto_request_encode(re, &q);
		break;
	}
	case SK_RESPONSE: {
		struct proto_response a;

		rc = proto_response_decode(&r, type, &a, s);
		if (rc == 0 && re != NULL)
			erc = proto_response_encode(re, &a);
		break;
	}
	case SK_TXN: {
		struct proto_txn t;

		rc = proto_txn_decode(p, len, &t, s);
		if (rc == 0 && re != NULL)
			erc = proto_txn_encode(re, &t);
		break;
	}
	case SK_CONNECT_REQ: {
		struct proto_connect_req c;

		rc = proto_connect_req_decode(p, len, &c);
		if (rc == 0 && re != NULL)
			erc = proto_connect_req_encode(re, &c);
		break;
	}
	case SK_CONNECT_RESP: {
		struct proto_connect_resp c;

		rc = proto_connect_resp_decode(p, len, &c);
		if (rc == 0 && re != NULL)
			erc = proto_connect_resp_encode(re, &c);
		break;
	}
	case SK_EVENT: {
		struct proto_watcher_event e;

		rc = proto_event_decode(&r, &e);
		if (rc == 0 && re != NULL)
			erc = proto_event_encode(re, &e);
		break;
	}
	case SK_REQ_HDR: {
		struct proto_req_hdr h;

		rc = proto_req_hdr_decode(&r, &h);
		if (rc == 0 && r.off != len)
			rc = -EBADMSG;
		if (rc == 0 && re != NULL)
			erc = proto_req_hdr_encode(re, &h);
		break;
	}
	case SK_REPLY_HDR: {
		struct proto_reply_hdr h;

		rc = proto_reply_hdr_decode(&r, &h);
		if (rc == 0 && r.off != len)
			rc = -EBADMSG;
		if (rc == 0 && re != NULL)
			erc = proto_reply_hdr_encode(re, &h);
		break;
	}
	case SK_STAT: {
		struct proto_stat st2;

		rc = proto_get_stat(&r, &st2);
		if (rc == 0 && r.off != len)
			rc = -EBADMSG;
		if (rc == 0 && re != NULL) {
			proto_put_stat(re, &st2);
			erc = re->err;
		}
		break;
	}
	case SK_ACL_VEC: {
		struct proto_acl_vec v;

		rc = proto_get_acl_vec(&r, &v, s);
		if (rc == 0 && r.off != len)
			rc = -EBADMSG;
		if (rc == 0 && re != NULL) {
			proto_put_acl_vec(re, &v);
			erc = re->err;
		}
		break;
	}
	case SK_DGRAM: {
		struct proto_dgram_hdr h;

		rc = proto_dgram_hdr_decode(p, len, &h);
		if (rc == 0)
			rc = proto_dgram_verify(p, len, sample_dgram_key);
		if (rc == 0 && re != NULL) {
			if (re->p != NULL && re->cap >= len) {
				proto_dgram_hdr_encode(re->p, &h);
				memcpy(re->p + PROTO_DGRAM_HDR_LEN,
				       p + PROTO_DGRAM_HDR_LEN,
				       len - PROTO_DGRAM_HDR_LEN);
			} else if (re->p != NULL) {
				erc = -ENOSPC;
			}
			re->len = len;
		}
		break;
	}
	default:
		break;
	}
	if (rc == 0 && erc != 0)
		return -EPROTO;
	return rc;
}
