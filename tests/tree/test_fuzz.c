/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/tree/test_fuzz.c — bounded randomized loops (suite 'fuzz'): random
 * and mutated snapshot streams into the loader, random bytes decoded as
 * txns into apply, and random request sequences (valid and invalid paths,
 * modes, versions, ACLs, reads with watches) through prep and apply,
 * checking after each sequence that the tree still serializes, loads back
 * to the same bytes and that replaying every txn again changes nothing.
 * Seeds are fixed, so a failure reproduces.
 */
#include "tree_test.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static void
random_bytes_never_load(void **st_)
{
	(void)st_;
	uint8_t buf[512];
	for (int it = 0; it < 3000; it++) {
		size_t n = rnd(sizeof(buf));
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd(256);
		if (it % 2 == 0 && n >= 12)
			memcpy(buf, "DPZKTREE\0\0\0\1", 12);
		struct tree *t = tree_create(NULL);
		struct tree_load *ld = tree_load_begin(t);
		tree_load_feed(ld, buf, n);
		assert_int_not_equal(tree_load_end(ld), 0);
		tree_destroy(t);
	}
}

static void
random_txns_never_break_apply(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "x", 0), 0);
	/* take a real txn encoding and mutate it */
	struct proto_txn x = e->last_txn;
	uint8_t enc[256], m[256];
	struct proto_wbuf w;
	proto_wbuf_init(&w, enc, sizeof(enc));
	scr(e);
	assert_int_equal(proto_txn_encode(&w, &x), 0);
	int decoded = 0;
	for (int it = 0; it < 20000; it++) {
		size_t n = w.len;
		memcpy(m, enc, n);
		for (int k = 0; k < 1 + (int)rnd(4); k++)
			m[rnd((uint32_t)n)] = (uint8_t)rnd(256);
		if (rnd(4) == 0)
			n = rnd((uint32_t)n);
		struct proto_txn d;
		scr(e);
		if (proto_txn_decode(m, n, &d, &e->s) != 0)
			continue;
		decoded++;
		d.hdr.zxid = ++e->zxid;
		struct proto_response r;
		int32_t zerr;
		int rc = tree_apply(e->t, &d, &r, &zerr, &e->s2);
		assert_true(rc == 0 || rc == -EINVAL || rc == -ENOBUFS ||
			    rc == -ENOMEM);
	}
	assert_true(decoded > 100);
	struct blob a = ser(e->t);
	struct tree *t = tree_create(NULL);
	struct tree_load *ld = tree_load_begin(t);
	assert_int_equal(tree_load_feed(ld, a.b, a.len), 0);
	assert_int_equal(tree_load_end(ld), 0);
	struct blob b = ser(t);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.b, b.b, a.len);
	free(a.b);
	free(b.b);
	tree_destroy(t);
	env_free(e);
}

static const char *
rpath(char *buf, size_t cap)
{
	static const char *parts[] = {"a",	   "b",	   "c",	  ".",
				      "..",	   "",	   "x y", "\xc3\xa9",
				      "zookeeper", "quota"};
	int depth = (int)rnd(4);
	size_t o = 0;
	if (rnd(20) == 0) {
		snprintf(buf, cap, "%s", rnd(2) ? "" : "a/b");
		return buf;
	}
	buf[0] = 0;
	for (int i = 0; i < depth; i++)
		o += (size_t)snprintf(buf + o, cap - o, "/%s",
				      parts[rnd(i == 0 ? 10 : 8)]);
	if (o == 0)
		snprintf(buf, cap, "/");
	if (rnd(15) == 0)
		strncat(buf, "/", cap - strlen(buf) - 1);
	return buf;
}

static void
random_requests_keep_the_tree_consistent(void **st_)
{
	(void)st_;
	for (int round = 0; round < 6; round++) {
		struct tree_opts o;
		tree_opts_default(&o);
		o.arena_mode = TREE_ARENA_PAGES_ONLY;
		o.ttl_enabled = round % 2;
		struct env *e = env_new_opts(&o);
		struct proto_id ids[2] = {
			{.scheme = V("digest"), .id = V("u:h")},
			{.scheme = V("ip"), .id = V("10.0.0.1")}};
		struct proto_acl acls[3] = {
			world_all,
			{.perms = PROTO_PERM_READ,
			 .id = {.scheme = V("world"), .id = V("anyone")}},
			{.perms = PROTO_PERM_ALL,
			 .id = {.scheme = V("auth"), .id = V("")}}};
		for (int64_t s = 1; s <= 3; s++)
			session(e, s);
		for (int it = 0; it < 1500; it++) {
			char p1[64], p2[64];
			int64_t sid = 1 + rnd(3);
			struct tree_client c = {.session_id = sid,
						.n_ids = (int32_t)rnd(3),
						.ids = ids};
			struct proto_request q, ops[3];
			memset(&q, 0, sizeof(q));
			q.path = V(rpath(p1, sizeof(p1)));
			q.data = V(rnd(2) ? "d" : "");
			q.acl = (struct proto_acl_vec){.n = (int32_t)rnd(3),
						       .v = &acls[rnd(2)]};
			q.flags = (int32_t)rnd(8);
			q.version = (int32_t)rnd(3) - 1;
			q.ttl = (int64_t)rnd(3) * 500 - 1;
			q.watch = rnd(2);
			q.mode = (int32_t)rnd(6);
			static const int32_t types[] = {
				PROTO_OP_CREATE,
				PROTO_OP_CREATE2,
				PROTO_OP_CREATETTL,
				PROTO_OP_CREATECONTAINER,
				PROTO_OP_DELETE,
				PROTO_OP_SETDATA,
				PROTO_OP_SETACL,
				PROTO_OP_MULTI,
				PROTO_OP_GETDATA,
				PROTO_OP_EXISTS,
				PROTO_OP_GETCHILDREN2,
				PROTO_OP_ADDWATCH,
				PROTO_OP_REMOVEWATCHES,
				PROTO_OP_CHECK};
			q.type = types[rnd(14)];
			if (q.type == PROTO_OP_MULTI) {
				for (int i = 0; i < 3; i++) {
					ops[i] = q;
					ops[i].type = types[rnd(6)];
					ops[i].path = V(
						strdup(rpath(p2, sizeof(p2))));
				}
				q.multi.n = 3;
				q.multi.ops = ops;
			}
			bool is_read = q.type == PROTO_OP_GETDATA ||
				       q.type == PROTO_OP_EXISTS ||
				       q.type == PROTO_OP_GETCHILDREN2 ||
				       q.type == PROTO_OP_ADDWATCH ||
				       q.type == PROTO_OP_REMOVEWATCHES;
			scr(e);
			if (is_read) {
				int32_t zerr;
				assert_int_equal(tree_read(e->t, &c, &q,
							   &e->resp, &zerr,
							   &e->s),
						 0);
			} else {
				(void)wr(e, &c, &q);
			}
			if (q.type == PROTO_OP_MULTI)
				for (int i = 0; i < 3; i++)
					free((void *)ops[i].path.p);
			if (rnd(200) == 0)
				close_session(e, sid);
			if (rnd(200) == 0)
				session(e, sid);
		}
		struct blob a = ser(e->t);
		struct tree *t = tree_create(NULL);
		struct tree_load *ld = tree_load_begin(t);
		assert_int_equal(tree_load_feed(ld, a.b, a.len), 0);
		assert_int_equal(tree_load_end(ld), 0);
		struct blob b = ser(t);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.b, b.b, a.len);
		struct tree_stats s1, s2;
		tree_get_stats(e->t, &s1);
		tree_get_stats(t, &s2);
		assert_int_equal(s1.nodes, s2.nodes);
		assert_int_equal(s1.ephemerals, s2.ephemerals);
		assert_int_equal(s1.data_bytes, s2.data_bytes);
		assert_int_equal(s1.pending, 0);
		free(a.b);
		free(b.b);
		tree_destroy(t);
		env_free(e);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_bytes_never_load),
		cmocka_unit_test(random_txns_never_break_apply),
		cmocka_unit_test(random_requests_keep_the_tree_consistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
