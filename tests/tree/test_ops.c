/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/tree/test_ops.c — znode operations: create in every mode, delete,
 * setData, check and multi, with every error path, versions, sequential
 * names and their wraparound, ephemerals, containers and TTL nodes, path
 * rules and the reserved /zookeeper subtree.
 */
#include "tree_test.h"

static void
create_returns_path_and_stat(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "hello", 0), 0);
	assert_int_equal(e->resp.type, PROTO_OP_CREATE2);
	assert_int_equal(e->resp.path.len, 2);
	assert_memory_equal(e->resp.path.p, "/a", 2);
	struct proto_stat s = e->resp.stat;
	assert_int_equal(s.czxid, e->zxid);
	assert_int_equal(s.mzxid, e->zxid);
	assert_int_equal(s.pzxid, e->zxid);
	assert_int_equal(s.ctime, e->now);
	assert_int_equal(s.version, 0);
	assert_int_equal(s.cversion, 0);
	assert_int_equal(s.data_length, 5);
	assert_int_equal(s.ephemeral_owner, 0);
	assert_int_equal(rd(e, 0, PROTO_OP_GETDATA, "/a", false), 0);
	assert_int_equal(e->resp.data.len, 5);
	assert_memory_equal(e->resp.data.p, "hello", 5);
	env_free(e);
}

static void
create_missing_parent_is_nonode(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a/b", "", 0), PROTO_ZNONODE);
	env_free(e);
}

static void
create_existing_is_nodeexists(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(mk(e, 0, "/a", "", 0), PROTO_ZNODEEXISTS);
	assert_int_equal(mk(e, 0, "/", "", 0), PROTO_ZNODEEXISTS);
	env_free(e);
}

static void
create_bad_flags_is_badarguments(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 7), PROTO_ZBADARGUMENTS);
	assert_int_equal(mk(e, 0, "/a", "", -1), PROTO_ZBADARGUMENTS);
	env_free(e);
}

static void
create_invalid_paths_are_badarguments(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	const char *bad[] = {"",
			     "a",
			     "/a/",
			     "//",
			     "/.",
			     "/..",
			     "/a/.",
			     "/a/..",
			     "/a\x01",
			     "/\xc2\x80",
			     "/\xf0\x9f\x98\x80",
			     "/\xef\xbf\xb0",
			     "/\xff",
			     "/\xed\xa0\x80"};
	/* the parents exist: the path itself is what is wrong */
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mk(e, 0, bad[i], "", 0), PROTO_ZBADARGUMENTS);
	/* ZooKeeper looks the parent up first: "/m//b" asks for "/m/" */
	assert_int_equal(mk(e, 0, "/m//b", "", 0), PROTO_ZNONODE);
	assert_int_equal(mk(e, 0, "/m/./b", "", 0), PROTO_ZNONODE);
	assert_int_equal(mk(e, 0, "/m/", "", 0), PROTO_ZNONODE);
	assert_int_equal(mk(e, 0, "/a//b", "", 0), PROTO_ZNONODE);
	assert_int_equal(mk(e, 0, "/a/../b", "", 0), PROTO_ZNONODE);
	assert_int_equal(mk(e, 0, "/", "", 0), PROTO_ZNODEEXISTS);
	/* dots inside names are fine, and non-ASCII in the BMP too */
	assert_int_equal(mk(e, 0, "/a.b", "", 0), 0);
	assert_int_equal(mk(e, 0, "/...", "", 0), 0);
	assert_int_equal(mk(e, 0, "/\xc3\xa9t\xc3\xa9", "", 0), 0);
	env_free(e);
}

static void
sequential_names_use_parent_cversion(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/q", "", 0), 0);
	assert_int_equal(mk(e, 0, "/q/x", "", 0), 0);
	assert_int_equal(del(e, 0, "/q/x", -1), 0);
	assert_int_equal(mk(e, 0, "/q/n-", "", PROTO_CM_PERSISTENT_SEQUENTIAL),
			 0);
	/* one create before: stored cversion 1 (deletes do not count) */
	assert_int_equal(e->resp.path.len, 15);
	assert_memory_equal(e->resp.path.p, "/q/n-0000000001", 15);
	assert_int_equal(mk(e, 0, "/q/", "", PROTO_CM_PERSISTENT_SEQUENTIAL),
			 0);
	assert_memory_equal(e->resp.path.p, "/q/0000000002", 13);
	env_free(e);
}

static void
sequential_suffix_wraps_signed(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/q", "", 0), 0);
	/* drive the parent's stored cversion to INT_MAX through a txn */
	struct proto_txn x;
	memset(&x, 0, sizeof(x));
	x.hdr.type = PROTO_OP_CREATE;
	x.hdr.zxid = ++e->zxid;
	x.path = V("/q/pre");
	x.acl = world_vec;
	x.parent_cversion = INT32_MAX;
	scr(e);
	assert_int_equal(apply_txn(e, &x), 0);
	assert_int_equal(mk(e, 0, "/q/s", "", PROTO_CM_PERSISTENT_SEQUENTIAL),
			 0);
	assert_int_equal(e->resp.path.len, 14);
	assert_memory_equal(e->resp.path.p, "/q/s2147483647", 14);
	assert_int_equal(mk(e, 0, "/q/s", "", PROTO_CM_PERSISTENT_SEQUENTIAL),
			 0);
	assert_int_equal(e->resp.path.len, 15);
	assert_memory_equal(e->resp.path.p, "/q/s-2147483648", 15);
	env_free(e);
}

static void
delete_removes_node(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(del(e, 0, "/a", 0), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/a", false), PROTO_ZNONODE);
	assert_int_equal(del(e, 0, "/a", -1), PROTO_ZNONODE);
	env_free(e);
}

static void
delete_with_children_is_notempty(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(mk(e, 0, "/a/b", "", 0), 0);
	assert_int_equal(del(e, 0, "/a", -1), PROTO_ZNOTEMPTY);
	env_free(e);
}

static void
delete_wrong_version_is_badversion(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(del(e, 0, "/a", 3), PROTO_ZBADVERSION);
	env_free(e);
}

static void
delete_reserved_is_badarguments(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(del(e, 0, "/", -1), PROTO_ZBADARGUMENTS);
	assert_int_equal(del(e, 0, "/zookeeper", -1), PROTO_ZBADARGUMENTS);
	assert_int_equal(del(e, 0, "/zookeeper/quota", -1),
			 PROTO_ZBADARGUMENTS);
	assert_int_equal(del(e, 0, "/zookeeper/config", -1),
			 PROTO_ZBADARGUMENTS);
	assert_int_equal(del(e, 0, "/a/", -1), PROTO_ZBADARGUMENTS);
	env_free(e);
}

static void
reserved_nodes_exist_at_start(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/zookeeper", false), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/zookeeper/quota", false),
			 0);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/zookeeper/config", false),
			 0);
	/* /zookeeper/config is read-only for world */
	assert_int_equal(setd(e, 0, "/zookeeper/config", "x", -1),
			 PROTO_ZNOAUTH);
	env_free(e);
}

static void
setdata_bumps_version_and_mzxid(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(setd(e, 0, "/a", "xy", 0), 0);
	assert_int_equal(e->resp.stat.version, 1);
	assert_int_equal(e->resp.stat.mzxid, e->zxid);
	assert_int_equal(e->resp.stat.data_length, 2);
	assert_int_equal(setd(e, 0, "/a", "xyz", -1), 0);
	assert_int_equal(e->resp.stat.version, 2);
	env_free(e);
}

static void
setdata_wrong_version_is_badversion(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(setd(e, 0, "/a", "x", 5), PROTO_ZBADVERSION);
	assert_int_equal(setd(e, 0, "/b", "x", -1), PROTO_ZNONODE);
	assert_int_equal(setd(e, 0, "b", "x", -1), PROTO_ZBADARGUMENTS);
	env_free(e);
}

static void
setdata_version_after_intmax_is_zero(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	struct proto_txn x;
	memset(&x, 0, sizeof(x));
	x.hdr.type = PROTO_OP_SETDATA;
	x.hdr.zxid = ++e->zxid;
	x.path = V("/a");
	x.version = INT32_MAX;
	scr(e);
	assert_int_equal(apply_txn(e, &x), 0);
	assert_int_equal(setd(e, 0, "/a", "x", INT32_MAX), 0);
	assert_int_equal(e->resp.stat.version, 0);
	env_free(e);
}

static void
stat_cversion_counts_creates_and_deletes(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(mk(e, 0, "/a/1", "", 0), 0);
	assert_int_equal(mk(e, 0, "/a/2", "", 0), 0);
	assert_int_equal(del(e, 0, "/a/1", -1), 0);
	struct proto_stat s = st(e, "/a");
	/* stored 2, one child: 2*2-1 = 3 = 2 creates + 1 delete */
	assert_int_equal(s.cversion, 3);
	assert_int_equal(s.num_children, 1);
	assert_int_equal(s.pzxid, e->zxid);
	env_free(e);
}

static void
ephemeral_needs_live_session(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 77, "/e", "", PROTO_CM_EPHEMERAL),
			 PROTO_ZSESSIONEXPIRED);
	session(e, 77);
	assert_int_equal(mk(e, 77, "/e", "", PROTO_CM_EPHEMERAL), 0);
	assert_int_equal(e->resp.stat.ephemeral_owner, 77);
	env_free(e);
}

static void
ephemeral_parent_is_nochildrenforephemerals(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 77);
	assert_int_equal(mk(e, 77, "/e", "", PROTO_CM_EPHEMERAL), 0);
	assert_int_equal(mk(e, 77, "/e/c", "", 0),
			 PROTO_ZNOCHILDRENFOREPHEMERALS);
	env_free(e);
}

static void
close_session_removes_ephemerals(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 77);
	session(e, 78);
	assert_int_equal(mk(e, 0, "/d", "", 0), 0);
	assert_int_equal(mk(e, 77, "/d/e1", "", PROTO_CM_EPHEMERAL), 0);
	assert_int_equal(mk(e, 77, "/d/e", "", PROTO_CM_EPHEMERAL_SEQUENTIAL),
			 0);
	assert_int_equal(mk(e, 78, "/d/f", "", PROTO_CM_EPHEMERAL), 0);
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.ephemerals, 3);
	close_session(e, 77);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/d/e1", false),
			 PROTO_ZNONODE);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/d/f", false), 0);
	assert_int_equal(st(e, "/d").num_children, 1);
	assert_int_equal(st(e, "/d").pzxid, e->zxid);
	assert_false(tree_session_exists(e->t, 77));
	assert_true(tree_session_exists(e->t, 78));
	tree_get_stats(e->t, &s);
	assert_int_equal(s.ephemerals, 1);
	/* a closed session cannot create ephemerals */
	assert_int_equal(mk(e, 77, "/d/g", "", PROTO_CM_EPHEMERAL),
			 PROTO_ZSESSIONEXPIRED);
	env_free(e);
}

static void
close_session_pending_blocks_parent_delete_correctly(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 77);
	assert_int_equal(mk(e, 0, "/d", "", 0), 0);
	assert_int_equal(mk(e, 77, "/d/e", "", PROTO_CM_EPHEMERAL), 0);
	/* prep the close, do not apply yet: a delete of /d prepped after it
	 * sees /d empty */
	struct proto_txn c, d;
	scr(e);
	assert_int_equal(
		tree_prep_close_session(e->t, 77, 0, ++e->zxid, e->now, &c), 0);
	struct tree_client cli = cl(0);
	struct proto_request q = {
		.type = PROTO_OP_DELETE, .path = V("/d"), .version = -1};
	int32_t zerr;
	assert_int_equal(tree_prep(e->t, &cli, 1, &q, ++e->zxid, e->now, &d,
				   &zerr, &e->s),
			 0);
	assert_int_equal(zerr, 0);
	struct proto_response r;
	assert_int_equal(tree_apply(e->t, &c, &r, &zerr, &e->s2), 0);
	assert_int_equal(tree_apply(e->t, &d, &r, &zerr, &e->s2), 0);
	assert_int_equal(zerr, 0);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/d", false), PROTO_ZNONODE);
	env_free(e);
}

static void
closing_session_cannot_write(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 77);
	struct proto_txn c;
	scr(e);
	assert_int_equal(
		tree_prep_close_session(e->t, 77, 0, ++e->zxid, e->now, &c), 0);
	assert_int_equal(mk(e, 77, "/x", "", 0), PROTO_ZSESSIONEXPIRED);
	assert_int_equal(mk(e, 78, "/x", "", 0), 0);
	/* a new leader decides again */
	tree_prep_abort(e->t);
	assert_int_equal(mk(e, 77, "/y", "", 0), 0);
	env_free(e);
}

static void
getephemerals_lists_own_by_prefix(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 5);
	assert_int_equal(mk(e, 0, "/x", "", 0), 0);
	assert_int_equal(mk(e, 5, "/x/a", "", PROTO_CM_EPHEMERAL), 0);
	assert_int_equal(mk(e, 5, "/y", "", PROTO_CM_EPHEMERAL), 0);
	assert_int_equal(rd(e, 5, PROTO_OP_GETEPHEMERALS, "/", false), 0);
	assert_int_equal(e->resp.children.n, 2);
	assert_int_equal(rd(e, 5, PROTO_OP_GETEPHEMERALS, "/x", false), 0);
	assert_int_equal(e->resp.children.n, 1);
	assert_memory_equal(e->resp.children.v[0].p, "/x/a", 4);
	assert_int_equal(rd(e, 6, PROTO_OP_GETEPHEMERALS, "/", false), 0);
	assert_int_equal(e->resp.children.n, 0);
	env_free(e);
}

static int32_t
mk_ttl(struct env *e, const char *path, int flags, int64_t ttl, int32_t op)
{
	struct tree_client c = cl(0);
	struct proto_request q = {.type = op,
				  .path = V(path),
				  .data = V(""),
				  .acl = world_vec,
				  .flags = flags,
				  .ttl = ttl};
	return wr(e, &c, &q);
}

static void
ttl_disabled_is_unimplemented(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk_ttl(e, "/t", PROTO_CM_PERSISTENT_WITH_TTL, 100,
				PROTO_OP_CREATETTL),
			 PROTO_ZUNIMPLEMENTED);
	assert_int_equal(mk(e, 0, "/t", "", PROTO_CM_PERSISTENT_WITH_TTL),
			 PROTO_ZUNIMPLEMENTED);
	env_free(e);
}

static struct env *
env_ttl(void)
{
	struct tree_opts o;
	tree_opts_default(&o);
	o.arena_mode = TREE_ARENA_PAGES_ONLY;
	o.ttl_enabled = true;
	return env_new_opts(&o);
}

static void
ttl_bad_values_are_badarguments(void **st_)
{
	(void)st_;
	struct env *e = env_ttl();
	assert_int_equal(mk_ttl(e, "/t", PROTO_CM_PERSISTENT_WITH_TTL, 0,
				PROTO_OP_CREATETTL),
			 PROTO_ZBADARGUMENTS);
	assert_int_equal(mk_ttl(e, "/t", PROTO_CM_PERSISTENT_WITH_TTL,
				(int64_t)1 << 40, PROTO_OP_CREATETTL),
			 PROTO_ZBADARGUMENTS);
	assert_int_equal(
		mk_ttl(e, "/t", PROTO_CM_PERSISTENT, 100, PROTO_OP_CREATETTL),
		PROTO_ZBADARGUMENTS);
	/* TTL mode through plain create has no ttl */
	assert_int_equal(mk(e, 0, "/t", "", PROTO_CM_PERSISTENT_WITH_TTL),
			 PROTO_ZBADARGUMENTS);
	env_free(e);
}

struct gcl {
	char paths[8][64];
	int n;
};

static void
gc_cb(void *arg, const char *p, size_t len)
{
	struct gcl *g = arg;
	if (g->n < 8) {
		memcpy(g->paths[g->n], p, len);
		g->paths[g->n][len] = 0;
		g->n++;
	}
}

static int32_t
delete_container(struct env *e, const char *path)
{
	struct proto_request q = {.type = PROTO_OP_DELETECONTAINER,
				  .path = V(path)};
	return wr(e, NULL, &q);
}

static void
ttl_node_expires_through_gc_scan(void **st_)
{
	(void)st_;
	struct env *e = env_ttl();
	assert_int_equal(mk_ttl(e, "/t", PROTO_CM_PERSISTENT_WITH_TTL, 1000,
				PROTO_OP_CREATETTL),
			 0);
	/* TTL nodes show ephemeralOwner 0 */
	assert_int_equal(e->resp.stat.ephemeral_owner, 0);
	int64_t mt = e->resp.stat.mtime;
	struct gcl g = {0};
	assert_int_equal(tree_gc_scan(e->t, 100, mt + 500, gc_cb, &g), 0);
	assert_int_equal(tree_gc_scan(e->t, 100, mt + 1001, gc_cb, &g), 1);
	assert_string_equal(g.paths[0], "/t");
	assert_int_equal(delete_container(e, "/t"), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/t", false), PROTO_ZNONODE);
	env_free(e);
}

static void
sequential_ttl_node_gets_suffix_and_expires(void **st_)
{
	(void)st_;
	struct env *e = env_ttl();
	assert_int_equal(mk_ttl(e, "/s-",
				PROTO_CM_PERSISTENT_SEQUENTIAL_WITH_TTL, 50,
				PROTO_OP_CREATETTL),
			 0);
	assert_int_equal(e->resp.path.len, 13);
	assert_memory_equal(e->resp.path.p, "/s-0000000000", 13);
	/* setData refreshes mtime, which pushes expiry back */
	int64_t t0 = e->now;
	assert_int_equal(setd(e, 0, "/s-0000000000", "x", -1), 0);
	struct gcl g = {0};
	assert_int_equal(tree_gc_scan(e->t, 10, t0 + 55, gc_cb, &g), 0);
	assert_int_equal(tree_gc_scan(e->t, 10, e->now + 51, gc_cb, &g), 1);
	env_free(e);
}

static void
ttl_node_with_children_is_kept(void **st_)
{
	(void)st_;
	struct env *e = env_ttl();
	assert_int_equal(mk_ttl(e, "/t", PROTO_CM_PERSISTENT_WITH_TTL, 10,
				PROTO_OP_CREATETTL),
			 0);
	assert_int_equal(mk(e, 0, "/t/c", "", 0), 0);
	struct gcl g = {0};
	assert_int_equal(tree_gc_scan(e->t, 100, e->now + 100000, gc_cb, &g),
			 0);
	assert_int_equal(delete_container(e, "/t"), PROTO_ZNOTEMPTY);
	env_free(e);
}

static void
container_deleted_after_last_child_goes(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_request q = {.type = PROTO_OP_CREATECONTAINER,
				  .path = V("/c"),
				  .data = V(""),
				  .acl = world_vec,
				  .flags = PROTO_CM_CONTAINER};
	assert_int_equal(wr(e, &c, &q), 0);
	assert_int_equal(e->resp.stat.ephemeral_owner, 0);
	struct gcl g = {0};
	/* never used, not old: kept */
	assert_int_equal(tree_gc_scan(e->t, 10, e->now + 1, gc_cb, &g), 0);
	assert_int_equal(mk(e, 0, "/c/x", "", 0), 0);
	assert_int_equal(tree_gc_scan(e->t, 10, e->now + 1, gc_cb, &g), 0);
	assert_int_equal(del(e, 0, "/c/x", -1), 0);
	assert_int_equal(tree_gc_scan(e->t, 10, e->now + 1, gc_cb, &g), 1);
	assert_int_equal(delete_container(e, g.paths[0]), 0);
	/* never-used containers go after container_never_used_ms */
	q.path = V("/c2");
	assert_int_equal(wr(e, &c, &q), 0);
	g.n = 0;
	assert_int_equal(tree_gc_scan(e->t, 10, e->now + 300001, gc_cb, &g), 1);
	assert_string_equal(g.paths[0], "/c2");
	/* deleteContainer on a normal node is BADVERSION */
	assert_int_equal(mk(e, 0, "/n", "", 0), 0);
	assert_int_equal(delete_container(e, "/n"), PROTO_ZBADVERSION);
	assert_int_equal(delete_container(e, "/zz"), PROTO_ZNONODE);
	/* clients cannot send deleteContainer */
	struct proto_request dq = {.type = PROTO_OP_DELETECONTAINER,
				   .path = V("/n")};
	struct tree_client cc = cl(5);
	assert_int_equal(wr(e, &cc, &dq), PROTO_ZUNIMPLEMENTED);
	env_free(e);
}

static void
createcontainer_needs_container_flag(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_request q = {.type = PROTO_OP_CREATECONTAINER,
				  .path = V("/c"),
				  .data = V(""),
				  .acl = world_vec,
				  .flags = 0};
	assert_int_equal(wr(e, &c, &q), PROTO_ZBADARGUMENTS);
	env_free(e);
}

static void
gc_scan_is_bounded_by_budget(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	char p[16];
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "/c%d", i);
		struct proto_request q = {.type = PROTO_OP_CREATECONTAINER,
					  .path = V(p),
					  .data = V(""),
					  .acl = world_vec,
					  .flags = PROTO_CM_CONTAINER};
		assert_int_equal(wr(e, &c, &q), 0);
	}
	struct gcl g = {0};
	int64_t late = e->now + 400000;
	assert_int_equal(tree_gc_scan(e->t, 3, late, gc_cb, &g), 3);
	assert_int_equal(tree_gc_scan(e->t, 3, late, gc_cb, &g), 3);
	g.n = 0;
	assert_int_equal(tree_gc_scan(e->t, 4, late, gc_cb, &g), 4);
	env_free(e);
}

static struct proto_request
op_create(const char *path, int flags)
{
	struct proto_request q = {.type = PROTO_OP_CREATE,
				  .path = V(path),
				  .data = V("d"),
				  .acl = world_vec,
				  .flags = flags};
	return q;
}

static void
multi_applies_all_with_one_zxid(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct proto_request ops[4];
	ops[0] = op_create("/m", 0);
	ops[1] = op_create("/m/a", 0);
	ops[1].type = PROTO_OP_CREATE2;
	ops[2] = (struct proto_request){.type = PROTO_OP_SETDATA,
					.path = V("/m/a"),
					.data = V("zz"),
					.version = 0};
	ops[3] = (struct proto_request){
		.type = PROTO_OP_CHECK, .path = V("/m"), .version = 0};
	struct proto_request q = {.type = PROTO_OP_MULTI,
				  .multi = {.n = 4, .ops = ops}};
	struct tree_client c = cl(0);
	assert_int_equal(wr(e, &c, &q), 0);
	assert_int_equal(e->resp.multi.n, 4);
	assert_int_equal(e->resp.multi.r[0].type, PROTO_OP_CREATE);
	/* ZooKeeper answers a create2 inside a multi as a create */
	assert_int_equal(e->resp.multi.r[1].type, PROTO_OP_CREATE);
	assert_int_equal(e->resp.multi.r[2].type, PROTO_OP_SETDATA);
	assert_int_equal(e->resp.multi.r[2].stat.version, 1);
	assert_int_equal(e->resp.multi.r[3].type, PROTO_OP_CHECK);
	assert_int_equal(st(e, "/m/a").mzxid, e->zxid);
	assert_int_equal(st(e, "/m").czxid, e->zxid);
	env_free(e);
}

/* Inside a multi, ZooKeeper answers container and TTL creates with result
 * type create2 (path + Stat); its clients know no result types 19 or 21. */
static void
multi_container_and_ttl_results_are_create2(void **st_)
{
	(void)st_;
	struct env *e = env_ttl();
	struct proto_request ops[2];
	ops[0] = op_create("/mc", PROTO_CM_CONTAINER);
	ops[0].type = PROTO_OP_CREATECONTAINER;
	ops[1] = op_create("/mt", PROTO_CM_PERSISTENT_WITH_TTL);
	ops[1].type = PROTO_OP_CREATETTL;
	ops[1].ttl = 60000;
	struct proto_request q = {.type = PROTO_OP_MULTI,
				  .multi = {.n = 2, .ops = ops}};
	struct tree_client c = cl(0);
	assert_int_equal(wr(e, &c, &q), 0);
	assert_int_equal(e->resp.multi.n, 2);
	assert_int_equal(e->resp.multi.r[0].type, PROTO_OP_CREATE2);
	assert_int_equal(e->resp.multi.r[0].stat.czxid, e->zxid);
	assert_int_equal(e->resp.multi.r[1].type, PROTO_OP_CREATE2);
	assert_int_equal(e->resp.multi.r[1].stat.czxid, e->zxid);
	env_free(e);
}

static void
multi_failure_rolls_back_and_reports_each_op(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/x", "", 0), 0);
	struct blob before = ser(e->t);
	struct proto_request ops[3];
	ops[0] = op_create("/m", 0);
	ops[1] = (struct proto_request){
		.type = PROTO_OP_DELETE, .path = V("/x"), .version = 9};
	ops[2] = op_create("/m/a", 0);
	struct proto_request q = {.type = PROTO_OP_MULTI,
				  .multi = {.n = 3, .ops = ops}};
	struct tree_client c = cl(0);
	assert_int_equal(wr(e, &c, &q), 0); /* header err stays 0 */
	assert_int_equal(e->resp.multi.n, 3);
	assert_int_equal(e->resp.multi.r[0].type, PROTO_OP_ERROR);
	assert_int_equal(e->resp.multi.r[0].err, 0);
	assert_int_equal(e->resp.multi.r[1].type, PROTO_OP_ERROR);
	assert_int_equal(e->resp.multi.r[1].err, PROTO_ZBADVERSION);
	assert_int_equal(e->resp.multi.r[2].err, PROTO_ZRUNTIMEINCONSISTENCY);
	/* no trace: not in the tree, not in the pending changes */
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/m", false), PROTO_ZNONODE);
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.pending, 0);
	assert_int_equal(mk(e, 0, "/m", "", 0), 0); /* /m is free */
	assert_int_equal(del(e, 0, "/m", -1), 0);
	struct blob after = ser(e->t);
	(void)before;
	(void)after;
	free(before.b);
	free(after.b);
	env_free(e);
}

static void
multi_rollback_leaves_pending_overlay_clean(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct proto_request ops[2];
	ops[0] = op_create("/m", 0);
	ops[1] = op_create("/nope/a", 0);
	struct proto_request q = {.type = PROTO_OP_MULTI,
				  .multi = {.n = 2, .ops = ops}};
	struct tree_client c = cl(0);
	struct proto_txn x;
	int32_t zerr;
	scr(e);
	assert_int_equal(
		tree_prep(e->t, &c, 1, &q, ++e->zxid, e->now, &x, &zerr, &e->s),
		0);
	assert_int_equal(zerr, 0);
	assert_int_equal(x.multi.ops[1].err, PROTO_ZNONODE);
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.pending, 0);
	/* before the failed multi is applied, /m is still creatable */
	struct proto_request q2 = op_create("/m", 0);
	struct proto_txn x2;
	assert_int_equal(tree_prep(e->t, &c, 2, &q2, ++e->zxid, e->now, &x2,
				   &zerr, &e->s),
			 0);
	assert_int_equal(zerr, 0);
	env_free(e);
}

static void
check_outside_multi_is_unimplemented(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct proto_request q = {
		.type = PROTO_OP_CHECK, .path = V("/"), .version = -1};
	struct tree_client c = cl(0);
	assert_int_equal(wr(e, &c, &q), PROTO_ZUNIMPLEMENTED);
	env_free(e);
}

static void
multi_check_wrong_version_fails(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/x", "", 0), 0);
	struct proto_request ops[1] = {
		{.type = PROTO_OP_CHECK, .path = V("/x"), .version = 4}};
	struct proto_request q = {.type = PROTO_OP_MULTI,
				  .multi = {.n = 1, .ops = ops}};
	struct tree_client c = cl(0);
	assert_int_equal(wr(e, &c, &q), 0);
	assert_int_equal(e->resp.multi.r[0].err, PROTO_ZBADVERSION);
	env_free(e);
}

static void
pending_changes_are_seen_by_later_preps(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_request q1 = op_create("/p", 0);
	struct proto_request q2 = op_create("/p/c", 0);
	struct proto_request q3 = op_create("/p", 0);
	struct proto_txn x1, x2, x3;
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_prep(e->t, &c, 1, &q1, 1, 0, &x1, &zerr, &e->s),
			 0);
	assert_int_equal(zerr, 0);
	assert_int_equal(tree_prep(e->t, &c, 2, &q2, 2, 0, &x2, &zerr, &e->s),
			 0);
	assert_int_equal(zerr, 0);
	assert_int_equal(tree_prep(e->t, &c, 3, &q3, 3, 0, &x3, &zerr, &e->s),
			 0);
	assert_int_equal(zerr, PROTO_ZNODEEXISTS);
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.pending, 4); /* "/", "/p", then "/p", "/p/c" */
	struct proto_response r;
	assert_int_equal(tree_apply(e->t, &x1, &r, &zerr, &e->s2), 0);
	assert_int_equal(tree_apply(e->t, &x2, &r, &zerr, &e->s2), 0);
	tree_get_stats(e->t, &s);
	assert_int_equal(s.pending, 0);
	tree_prep_abort(e->t);
	env_free(e);
}

static void
prep_abort_drops_pending(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_request q1 = op_create("/p", 0);
	struct proto_txn x1;
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_prep(e->t, &c, 1, &q1, 1, 0, &x1, &zerr, &e->s),
			 0);
	tree_prep_abort(e->t);
	assert_int_equal(tree_prep(e->t, &c, 1, &q1, 1, 0, &x1, &zerr, &e->s),
			 0);
	assert_int_equal(zerr, 0);
	env_free(e);
}

static void
getchildren_lists_all_children(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/p", "", 0), 0);
	char p[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(p, sizeof(p), "/p/c%d", i);
		assert_int_equal(mk(e, 0, p, "", 0), 0);
	}
	assert_int_equal(rd(e, 0, PROTO_OP_GETCHILDREN2, "/p", false), 0);
	assert_int_equal(e->resp.children.n, 1000);
	assert_int_equal(e->resp.stat.num_children, 1000);
	assert_int_equal(rd(e, 0, PROTO_OP_GETCHILDREN, "/nope", false),
			 PROTO_ZNONODE);
	assert_int_equal(rd(e, 0, PROTO_OP_GETALLCHILDRENNUMBER, "/p", false),
			 0);
	assert_int_equal(e->resp.number, 1000);
	assert_int_equal(rd(e, 0, PROTO_OP_GETALLCHILDRENNUMBER, "/", false),
			 0);
	assert_int_equal(e->resp.number, 1004);
	env_free(e);
}

static void
multiread_ops_succeed_or_fail_independently(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "x", 0), 0);
	struct proto_request ops[3] = {
		{.type = PROTO_OP_GETDATA, .path = V("/a")},
		{.type = PROTO_OP_GETCHILDREN, .path = V("/nope")},
		{.type = PROTO_OP_GETCHILDREN, .path = V("/")}};
	struct proto_request q = {.type = PROTO_OP_MULTIREAD,
				  .multi = {.n = 3, .ops = ops}};
	struct tree_client c = cl(0);
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_read(e->t, &c, &q, &e->resp, &zerr, &e->s), 0);
	assert_int_equal(zerr, 0);
	assert_int_equal(e->resp.multi.r[0].type, PROTO_OP_GETDATA);
	assert_int_equal(e->resp.multi.r[0].data.len, 1);
	assert_int_equal(e->resp.multi.r[1].type, PROTO_OP_ERROR);
	assert_int_equal(e->resp.multi.r[1].err, PROTO_ZNONODE);
	assert_int_equal(e->resp.multi.r[2].children.n, 2);
	env_free(e);
}

static void
sync_echoes_path(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(rd(e, 0, PROTO_OP_SYNC, "/x", false), 0);
	assert_int_equal(e->resp.path.len, 2);
	env_free(e);
}

static void
exactly_once_returns_first_reply(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 9);
	assert_int_equal(mk(e, 9, "/a", "", 0), 0);
	int32_t xid = e->last_txn.hdr.xid;
	int64_t zxid;
	int32_t zerr;
	const uint8_t *body;
	size_t blen;
	assert_int_equal(tree_session_last_reply(e->t, 9, xid, &zxid, &zerr,
						 &body, &blen),
			 0);
	assert_int_equal(zxid, e->zxid);
	assert_int_equal(zerr, 0);
	/* create2 body: path + 68-byte stat */
	assert_int_equal(blen, 4 + 2 + 68);
	assert_memory_equal(body + 4, "/a", 2);
	assert_int_equal(tree_session_last_reply(e->t, 9, xid + 1, &zxid, &zerr,
						 &body, &blen),
			 -ENOENT);
	assert_int_equal(tree_session_last_reply(e->t, 9, xid - 1, &zxid, &zerr,
						 &body, &blen),
			 -ESTALE);
	assert_int_equal(tree_session_last_reply(e->t, 10, xid, &zxid, &zerr,
						 &body, &blen),
			 -ENOENT);
	env_free(e);
}

static void
count_sess(void *arg, int64_t sid, int32_t timeout, uint64_t n_eph)
{
	int *n = arg;
	(void)sid;
	(void)timeout;
	*n += 1 + (int)n_eph * 10;
}

static void
session_table_is_readable(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 3);
	session(e, 4);
	assert_int_equal(mk(e, 3, "/e", "", PROTO_CM_EPHEMERAL), 0);
	int32_t to = 0;
	uint8_t pw[16];
	assert_int_equal(tree_session_get(e->t, 3, &to, pw), 0);
	assert_int_equal(to, 30000);
	assert_int_equal(tree_session_get(e->t, 5, &to, pw), -ENOENT);
	int n = 0;
	tree_session_foreach(e->t, count_sess, &n);
	assert_int_equal(n, 12);
	assert_int_equal(tree_last_zxid(e->t), e->zxid);
	env_free(e);
}

static void
prep_rejects_read_opcodes(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct proto_request q = {.type = PROTO_OP_GETDATA, .path = V("/")};
	struct proto_txn x;
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_prep(e->t, NULL, 1, &q, 1, 0, &x, &zerr, &e->s),
			 -EINVAL);
	env_free(e);
}

static void
stats_count_nodes_and_data(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_stats s0, s1;
	tree_get_stats(e->t, &s0);
	assert_int_equal(s0.nodes, 4);
	assert_int_equal(mk(e, 0, "/abc", "12345", 0), 0);
	tree_get_stats(e->t, &s1);
	assert_int_equal(s1.nodes, 5);
	assert_int_equal(s1.data_bytes - s0.data_bytes, 4 + 5);
	assert_true(s1.arena_used > s0.arena_used);
	assert_int_equal(s1.arena_kind, TREE_ARENA_THP);
	assert_int_equal(s1.last_zxid, e->zxid);
	env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_returns_path_and_stat),
		cmocka_unit_test(create_missing_parent_is_nonode),
		cmocka_unit_test(create_existing_is_nodeexists),
		cmocka_unit_test(create_bad_flags_is_badarguments),
		cmocka_unit_test(create_invalid_paths_are_badarguments),
		cmocka_unit_test(sequential_names_use_parent_cversion),
		cmocka_unit_test(sequential_suffix_wraps_signed),
		cmocka_unit_test(delete_removes_node),
		cmocka_unit_test(delete_with_children_is_notempty),
		cmocka_unit_test(delete_wrong_version_is_badversion),
		cmocka_unit_test(delete_reserved_is_badarguments),
		cmocka_unit_test(reserved_nodes_exist_at_start),
		cmocka_unit_test(setdata_bumps_version_and_mzxid),
		cmocka_unit_test(setdata_wrong_version_is_badversion),
		cmocka_unit_test(setdata_version_after_intmax_is_zero),
		cmocka_unit_test(stat_cversion_counts_creates_and_deletes),
		cmocka_unit_test(ephemeral_needs_live_session),
		cmocka_unit_test(ephemeral_parent_is_nochildrenforephemerals),
		cmocka_unit_test(close_session_removes_ephemerals),
		cmocka_unit_test(
			close_session_pending_blocks_parent_delete_correctly),
		cmocka_unit_test(closing_session_cannot_write),
		cmocka_unit_test(getephemerals_lists_own_by_prefix),
		cmocka_unit_test(ttl_disabled_is_unimplemented),
		cmocka_unit_test(ttl_bad_values_are_badarguments),
		cmocka_unit_test(ttl_node_expires_through_gc_scan),
		cmocka_unit_test(sequential_ttl_node_gets_suffix_and_expires),
		cmocka_unit_test(ttl_node_with_children_is_kept),
		cmocka_unit_test(container_deleted_after_last_child_goes),
		cmocka_unit_test(createcontainer_needs_container_flag),
		cmocka_unit_test(gc_scan_is_bounded_by_budget),
		cmocka_unit_test(multi_applies_all_with_one_zxid),
		cmocka_unit_test(multi_container_and_ttl_results_are_create2),
		cmocka_unit_test(multi_failure_rolls_back_and_reports_each_op),
		cmocka_unit_test(multi_rollback_leaves_pending_overlay_clean),
		cmocka_unit_test(check_outside_multi_is_unimplemented),
		cmocka_unit_test(multi_check_wrong_version_fails),
		cmocka_unit_test(pending_changes_are_seen_by_later_preps),
		cmocka_unit_test(prep_abort_drops_pending),
		cmocka_unit_test(getchildren_lists_all_children),
		cmocka_unit_test(multiread_ops_succeed_or_fail_independently),
		cmocka_unit_test(sync_echoes_path),
		cmocka_unit_test(exactly_once_returns_first_reply),
		cmocka_unit_test(session_table_is_readable),
		cmocka_unit_test(prep_rejects_read_opcodes),
		cmocka_unit_test(stats_count_nodes_and_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
