/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/tree/test_hugepages.c — the hugetlbfs arena: a tree that may use
 * only hugepages gets them from libhugetlbfs and says so.  Exits 77 (skip)
 * when no hugetlbfs is mounted or no 2 MiB pages are free
 * (scripts/bootstrap.sh reserves them).
 */
#include "tree_test.h"

#include <hugetlbfs.h>

static long
free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long n = 0;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void
hugepage_arena_reports_hugetlbfs(void **st_)
{
	(void)st_;
	struct tree_opts o;
	tree_opts_default(&o);
	o.arena_mode = TREE_ARENA_HUGE_ONLY;
	o.arena_chunk = 2 << 20;
	struct env *e = env_new_opts(&o);
	char p[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(p, sizeof(p), "/h%d", i);
		assert_int_equal(mk(e, 0, p, "some data", 0), 0);
	}
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.arena_kind, TREE_ARENA_HUGETLBFS);
	assert_string_equal(tree_arena_kind_name(s.arena_kind), "hugetlbfs");
	assert_true(s.hugepages >= 1);
	assert_int_equal(s.thp_chunks, 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(p, sizeof(p), "/h%d", i);
		assert_int_equal(rd(e, 0, PROTO_OP_GETDATA, p, false), 0);
	}
	env_free(e);
}

static void
auto_arena_prefers_hugepages(void **st_)
{
	(void)st_;
	struct tree_opts o;
	tree_opts_default(&o);
	o.arena_chunk = 2 << 20;
	struct env *e = env_new_opts(&o);
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.arena_kind, TREE_ARENA_HUGETLBFS);
	env_free(e);
}

int
main(void)
{
	if (hugetlbfs_find_path() == NULL) {
		printf("SKIP: no hugetlbfs mount (run scripts/bootstrap.sh as "
		       "root)\n");
		return 77;
	}
	if (free_hugepages() < 4) {
		printf("SKIP: fewer than 4 free 2 MiB hugepages (reserve them "
		       "with scripts/bootstrap.sh)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hugepage_arena_reports_hugetlbfs),
		cmocka_unit_test(auto_arena_prefers_hugepages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
