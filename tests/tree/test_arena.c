/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/tree/test_arena.c — memory: the ordinary-page fallback arena, reuse
 * of freed blocks, the cap on mapped bytes, and the incremental rehash of
 * the path table under many inserts and deletes.
 */
#include "tree_test.h"

static void
fallback_arena_reports_thp(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.arena_kind, TREE_ARENA_THP);
	assert_string_equal(tree_arena_kind_name(s.arena_kind), "thp");
	assert_int_equal(s.hugepages, 0);
	assert_true(s.thp_chunks >= 1);
	assert_true(s.arena_mapped >= 4u << 20);
	env_free(e);
}

static void
freed_memory_is_reused(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	char p[32];
	struct tree_stats s0, s1, s2;
	tree_get_stats(e->t, &s0);
	for (int i = 0; i < 2000; i++) {
		snprintf(p, sizeof(p), "/n%d", i);
		assert_int_equal(mk(e, 0, p, "0123456789abcdef", 0), 0);
	}
	tree_get_stats(e->t, &s1);
	for (int i = 0; i < 2000; i++) {
		snprintf(p, sizeof(p), "/n%d", i);
		assert_int_equal(del(e, 0, p, -1), 0);
	}
	tree_get_stats(e->t, &s2);
	assert_int_equal(s2.arena_used, s0.arena_used);
	assert_int_equal(s2.nodes, s0.nodes);
	for (int i = 0; i < 2000; i++) {
		snprintf(p, sizeof(p), "/n%d", i);
		assert_int_equal(mk(e, 0, p, "0123456789abcdef", 0), 0);
	}
	struct tree_stats s3;
	tree_get_stats(e->t, &s3);
	assert_int_equal(s3.arena_mapped, s1.arena_mapped);
	env_free(e);
}

static void
arena_cap_fails_apply_with_enomem(void **st_)
{
	(void)st_;
	struct tree_opts o;
	tree_opts_default(&o);
	o.arena_mode = TREE_ARENA_PAGES_ONLY;
	o.arena_chunk = 2 << 20;
	o.arena_max = 2 << 20;
	struct tree *t = tree_create(&o);
	assert_non_null(t);
	static uint8_t big[600000];
	struct proto_txn x;
	memset(&x, 0, sizeof(x));
	x.hdr.type = PROTO_OP_CREATE;
	x.acl = world_vec;
	x.data.p = big;
	x.data.len = sizeof(big);
	char p[16];
	int rc = 0, i;
	for (i = 0; i < 10 && rc == 0; i++) {
		snprintf(p, sizeof(p), "/b%d", i);
		x.path = V(p);
		x.hdr.zxid = i + 1;
		struct proto_response r;
		int32_t zerr;
		rc = tree_apply(t, &x, &r, &zerr, NULL);
	}
	assert_int_equal(rc, -ENOMEM);
	assert_true(i > 1 && i < 10);
	/* the failed create left nothing behind */
	struct tree_stats s;
	tree_get_stats(t, &s);
	assert_int_equal(s.nodes, 4 + (uint64_t)i - 1);
	tree_destroy(t);
}

static void
path_table_rehashes_incrementally(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	char p[32];
	int saw_rehash = 0;
	for (int i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "/k%d", i);
		assert_int_equal(mk(e, 0, p, "", 0), 0);
		if (tree_tick(e->t, 0) != 0)
			saw_rehash++;
	}
	assert_true(saw_rehash > 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "/k%d", i);
		assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, p, false), 0);
	}
	while (tree_tick(e->t, 64) != 0)
		;
	for (int i = 0; i < 20000; i += 2) {
		snprintf(p, sizeof(p), "/k%d", i);
		assert_int_equal(del(e, 0, p, -1), 0);
	}
	for (int i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "/k%d", i);
		assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, p, false),
				 i % 2 ? 0 : PROTO_ZNONODE);
	}
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.nodes, 4 + 10000);
	assert_true(s.hash_bytes >= 16384 * sizeof(void *));
	env_free(e);
}

static void
big_data_and_long_paths_fit(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	static char big[PROTO_JUTE_MAXBUFFER - 64];
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(mk(e, 0, "/big", big, 0), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_GETDATA, "/big", false), 0);
	assert_int_equal(e->resp.data.len, (int32_t)sizeof(big) - 1);
	static char lp[5000];
	lp[0] = '/';
	memset(lp + 1, 'p', sizeof(lp) - 2);
	assert_int_equal(mk(e, 0, lp, "", 0), 0);
	env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fallback_arena_reports_thp),
		cmocka_unit_test(freed_memory_is_reused),
		cmocka_unit_test(arena_cap_fails_apply_with_enomem),
		cmocka_unit_test(path_table_rehashes_incrementally),
		cmocka_unit_test(big_data_and_long_paths_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
