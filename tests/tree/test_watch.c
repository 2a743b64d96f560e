/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/tree/test_watch.c — every watch rule of ZK-WIRE.md §5: what arms a
 * watch, which write fires which event on the node and on its parent,
 * one-time versus persistent and persistent-recursive watches,
 * removeWatches/checkWatches, setWatches replay, and that events come out
 * during apply (before its reply) with the txn's zxid.
 */
#include "tree_test.h"

#define S1 101
#define S2 102

static int
count_ev(struct env *e, int64_t sid)
{
	int n = 0;
	for (int i = 0; i < e->nev; i++)
		n += e->ev[i].sid == sid;
	return n;
}

static void
exists_arms_on_missing_node_and_create_fires_created(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(rd(e, S1, PROTO_OP_EXISTS, "/a", true), PROTO_ZNONODE);
	assert_int_equal(e->nev, 0);
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].sid, S1);
	assert_int_equal(e->ev[0].type, PROTO_EV_NODE_CREATED);
	assert_string_equal(e->ev[0].path, "/a");
	assert_int_equal(e->ev[0].zxid, e->zxid);
	env_free(e);
}

static void
getdata_on_missing_node_does_not_arm(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/a", true),
			 PROTO_ZNONODE);
	assert_int_equal(rd(e, S1, PROTO_OP_GETCHILDREN, "/a", true),
			 PROTO_ZNONODE);
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.watches, 0);
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(e->nev, 0);
	env_free(e);
}

static void
create_fires_children_changed_on_parent(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/p", "", 0), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETCHILDREN, "/p", true), 0);
	assert_int_equal(rd(e, S2, PROTO_OP_GETDATA, "/p", true), 0);
	assert_int_equal(mk(e, 0, "/p/c", "", 0), 0);
	assert_int_equal(e->nev, 1);
	assert_true(has_event(e, S1, PROTO_EV_NODE_CHILDREN_CHANGED, "/p"));
	env_free(e);
}

static void
setdata_fires_data_changed_once(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/a", true), 0);
	assert_int_equal(rd(e, S2, PROTO_OP_EXISTS, "/a", true), 0);
	assert_int_equal(setd(e, 0, "/a", "x", -1), 0);
	assert_int_equal(e->nev, 2);
	assert_true(has_event(e, S1, PROTO_EV_NODE_DATA_CHANGED, "/a"));
	assert_true(has_event(e, S2, PROTO_EV_NODE_DATA_CHANGED, "/a"));
	e->nev = 0;
	assert_int_equal(setd(e, 0, "/a", "y", -1), 0);
	assert_int_equal(e->nev, 0); /* one-time */
	env_free(e);
}

static void
same_watch_twice_fires_once(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/a", true), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_EXISTS, "/a", true), 0);
	assert_int_equal(setd(e, 0, "/a", "x", -1), 0);
	assert_int_equal(e->nev, 1);
	env_free(e);
}

static void
delete_fires_deleted_once_per_watcher_and_parent_changed(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/p", "", 0), 0);
	assert_int_equal(mk(e, 0, "/p/c", "", 0), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/p/c", true), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETCHILDREN, "/p/c", true), 0);
	assert_int_equal(rd(e, S2, PROTO_OP_GETCHILDREN, "/p/c", true), 0);
	assert_int_equal(rd(e, S2, PROTO_OP_GETCHILDREN, "/p", true), 0);
	assert_int_equal(del(e, 0, "/p/c", -1), 0);
	assert_int_equal(count_ev(e, S1), 1);
	assert_true(has_event(e, S1, PROTO_EV_NODE_DELETED, "/p/c"));
	assert_int_equal(count_ev(e, S2), 2);
	assert_true(has_event(e, S2, PROTO_EV_NODE_DELETED, "/p/c"));
	assert_true(has_event(e, S2, PROTO_EV_NODE_CHILDREN_CHANGED, "/p"));
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.watches, 0);
	env_free(e);
}

static void
setacl_fires_nothing(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/a", true), 0);
	struct tree_client c = cl(0);
	struct proto_request q = {.type = PROTO_OP_SETACL,
				  .path = V("/a"),
				  .acl = world_vec,
				  .version = -1};
	assert_int_equal(wr(e, &c, &q), 0);
	assert_int_equal(e->nev, 0);
	env_free(e);
}

static void
events_are_out_before_apply_returns(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(rd(e, S1, PROTO_OP_EXISTS, "/a", true), PROTO_ZNONODE);
	struct tree_client c = cl(0);
	struct proto_request q = {.type = PROTO_OP_CREATE,
				  .path = V("/a"),
				  .data = V(""),
				  .acl = world_vec};
	struct proto_txn x;
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_prep(e->t, &c, 1, &q, 5, 0, &x, &zerr, &e->s), 0);
	assert_int_equal(e->nev, 0); /* prep fires nothing */
	struct proto_response r;
	assert_int_equal(tree_apply(e->t, &x, &r, &zerr, &e->s2), 0);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].zxid, 5);
	env_free(e);
}

static int32_t
addwatch(struct env *e, int64_t sid, const char *path, int mode)
{
	struct tree_client c = cl(sid);
	struct proto_request q = {
		.type = PROTO_OP_ADDWATCH, .path = V(path), .mode = mode};
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_read(e->t, &c, &q, &e->resp, &zerr, &e->s), 0);
	return zerr;
}

static void
persistent_watch_stays_and_sees_children(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(addwatch(e, S1, "/p", PROTO_ADDWATCH_PERSISTENT), 0);
	assert_int_equal(e->resp.number, 0);
	assert_int_equal(mk(e, 0, "/p", "", 0), 0);
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/p"));
	assert_int_equal(mk(e, 0, "/p/c", "", 0), 0);
	assert_true(has_event(e, S1, PROTO_EV_NODE_CHILDREN_CHANGED, "/p"));
	assert_int_equal(setd(e, 0, "/p", "x", -1), 0);
	assert_int_equal(setd(e, 0, "/p", "y", -1), 0);
	assert_int_equal(count_ev(e, S1), 4);
	/* grandchildren are not seen */
	assert_int_equal(mk(e, 0, "/p/c/g", "", 0), 0);
	assert_int_equal(count_ev(e, S1), 4);
	assert_int_equal(del(e, 0, "/p/c/g", -1), 0);
	assert_int_equal(del(e, 0, "/p/c", -1), 0);
	assert_int_equal(count_ev(e, S1), 5);
	e->nev = 0;
	assert_int_equal(del(e, 0, "/p", -1), 0);
	assert_int_equal(e->nev, 1); /* one NodeDeleted, not two */
	assert_int_equal(e->ev[0].type, PROTO_EV_NODE_DELETED);
	env_free(e);
}

static void
recursive_watch_sees_descendants_without_children_changed(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(
		addwatch(e, S1, "/r", PROTO_ADDWATCH_PERSISTENT_RECURSIVE), 0);
	assert_int_equal(mk(e, 0, "/r", "", 0), 0);
	assert_int_equal(mk(e, 0, "/r/a", "", 0), 0);
	assert_int_equal(mk(e, 0, "/r/a/b", "", 0), 0);
	assert_int_equal(setd(e, 0, "/r/a/b", "x", -1), 0);
	assert_int_equal(del(e, 0, "/r/a/b", -1), 0);
	assert_int_equal(mk(e, 0, "/other", "", 0), 0);
	assert_int_equal(e->nev, 5);
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/r"));
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/r/a"));
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/r/a/b"));
	assert_true(has_event(e, S1, PROTO_EV_NODE_DATA_CHANGED, "/r/a/b"));
	assert_true(has_event(e, S1, PROTO_EV_NODE_DELETED, "/r/a/b"));
	for (int i = 0; i < e->nev; i++)
		assert_int_not_equal(e->ev[i].type,
				     PROTO_EV_NODE_CHILDREN_CHANGED);
	env_free(e);
}

static void
recursive_watch_on_root_sees_everything(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(
		addwatch(e, S1, "/", PROTO_ADDWATCH_PERSISTENT_RECURSIVE), 0);
	assert_int_equal(mk(e, 0, "/x", "", 0), 0);
	assert_int_equal(mk(e, 0, "/x/y", "", 0), 0);
	assert_int_equal(e->nev, 2);
	env_free(e);
}

static int32_t
wop(struct env *e, int64_t sid, int32_t op, const char *path, int type)
{
	struct tree_client c = cl(sid);
	struct proto_request q = {.type = op, .path = V(path), .mode = type};
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_read(e->t, &c, &q, &e->resp, &zerr, &e->s), 0);
	return zerr;
}

static void
checkwatches_and_removewatches_report_nowatcher(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(
		wop(e, S1, PROTO_OP_CHECKWATCHES, "/a", PROTO_WTYPE_DATA),
		PROTO_ZNOWATCHER);
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/a", true), 0);
	assert_int_equal(
		wop(e, S1, PROTO_OP_CHECKWATCHES, "/a", PROTO_WTYPE_DATA), 0);
	assert_int_equal(
		wop(e, S1, PROTO_OP_CHECKWATCHES, "/a", PROTO_WTYPE_CHILDREN),
		PROTO_ZNOWATCHER);
	assert_int_equal(
		wop(e, S2, PROTO_OP_CHECKWATCHES, "/a", PROTO_WTYPE_ANY),
		PROTO_ZNOWATCHER);
	assert_int_equal(
		wop(e, S1, PROTO_OP_REMOVEWATCHES, "/a", PROTO_WTYPE_DATA), 0);
	assert_int_equal(
		wop(e, S1, PROTO_OP_REMOVEWATCHES, "/a", PROTO_WTYPE_DATA),
		PROTO_ZNOWATCHER);
	assert_int_equal(setd(e, 0, "/a", "x", -1), 0);
	assert_int_equal(e->nev, 0);
	assert_int_equal(wop(e, S1, PROTO_OP_REMOVEWATCHES, "/a", 9),
			 PROTO_ZBADARGUMENTS);
	env_free(e);
}

static void
removewatches_any_and_persistent_kinds(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/a", true), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETCHILDREN, "/a", true), 0);
	assert_int_equal(
		wop(e, S1, PROTO_OP_REMOVEWATCHES, "/a", PROTO_WTYPE_ANY), 0);
	assert_int_equal(addwatch(e, S1, "/a", PROTO_ADDWATCH_PERSISTENT), 0);
	assert_int_equal(wop(e, S1, PROTO_OP_CHECKWATCHES, "/a",
			     PROTO_WTYPE_PERSISTENT_RECURSIVE),
			 PROTO_ZNOWATCHER);
	assert_int_equal(wop(e, S1, PROTO_OP_REMOVEWATCHES, "/a",
			     PROTO_WTYPE_PERSISTENT),
			 0);
	assert_int_equal(
		addwatch(e, S1, "/a", PROTO_ADDWATCH_PERSISTENT_RECURSIVE), 0);
	assert_int_equal(wop(e, S1, PROTO_OP_REMOVEWATCHES, "/a",
			     PROTO_WTYPE_PERSISTENT_RECURSIVE),
			 0);
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.watches, 0);
	assert_int_equal(s.watched_paths, 0);
	env_free(e);
}

/* ZooKeeper 3.9 (ZOOKEEPER-4466): a standard watch and a persistent one on
 * the same path and session are kept apart; a trigger sends one event,
 * removes the standard one and leaves the persistent one. */
static void
standard_and_persistent_watch_on_one_path_coexist(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/pw", "", 0), 0);
	assert_int_equal(addwatch(e, S1, "/pw", PROTO_ADDWATCH_PERSISTENT), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/pw", true), 0);
	assert_int_equal(
		wop(e, S1, PROTO_OP_CHECKWATCHES, "/pw", PROTO_WTYPE_DATA), 0);
	assert_int_equal(
		wop(e, S1, PROTO_OP_REMOVEWATCHES, "/pw", PROTO_WTYPE_DATA), 0);
	assert_int_equal(
		wop(e, S1, PROTO_OP_CHECKWATCHES, "/pw", PROTO_WTYPE_DATA),
		PROTO_ZNOWATCHER);
	assert_int_equal(wop(e, S1, PROTO_OP_CHECKWATCHES, "/pw",
			     PROTO_WTYPE_PERSISTENT),
			 0);
	/* armed again: one event per trigger, the persistent one stays */
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/pw", true), 0);
	e->nev = 0;
	assert_int_equal(setd(e, 0, "/pw", "x", -1), 0);
	assert_int_equal(count_ev(e, S1), 1);
	assert_int_equal(
		wop(e, S1, PROTO_OP_CHECKWATCHES, "/pw", PROTO_WTYPE_DATA),
		PROTO_ZNOWATCHER);
	assert_int_equal(setd(e, 0, "/pw", "y", -1), 0);
	assert_int_equal(count_ev(e, S1), 2);
	env_free(e);
}

static void
drop_session_removes_its_watches(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_GETDATA, "/a", true), 0);
	assert_int_equal(rd(e, S2, PROTO_OP_GETDATA, "/a", true), 0);
	assert_int_equal(
		addwatch(e, S1, "/", PROTO_ADDWATCH_PERSISTENT_RECURSIVE), 0);
	assert_int_equal(tree_watch_drop_session(e->t, S1), 2);
	assert_int_equal(setd(e, 0, "/a", "x", -1), 0);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].sid, S2);
	env_free(e);
}

static void
close_session_fires_deleted_for_ephemerals(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 7);
	assert_int_equal(mk(e, 7, "/lock", "", PROTO_CM_EPHEMERAL), 0);
	assert_int_equal(rd(e, S1, PROTO_OP_EXISTS, "/lock", true), 0);
	assert_int_equal(rd(e, S2, PROTO_OP_GETCHILDREN, "/", true), 0);
	close_session(e, 7);
	assert_true(has_event(e, S1, PROTO_EV_NODE_DELETED, "/lock"));
	assert_true(has_event(e, S2, PROTO_EV_NODE_CHILDREN_CHANGED, "/"));
	assert_int_equal(e->ev[0].zxid, e->zxid);
	env_free(e);
}

static int32_t
setwatches(struct env *e, int64_t sid, int64_t rel, const char *data,
	   const char *exist, const char *child, const char *pers,
	   const char *rec, int32_t op)
{
	struct tree_client c = cl(sid);
	struct proto_view v[5];
	struct proto_request q = {.type = op, .rel_zxid = rel};
	const char *lists[5] = {data, exist, child, pers, rec};
	for (int i = 0; i < 5; i++) {
		v[i] = V(lists[i]);
		q.watches[i].n = lists[i] != NULL ? 1 : 0;
		q.watches[i].v = &v[i];
	}
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_read(e->t, &c, &q, &e->resp, &zerr, &e->s), 0);
	return zerr;
}

static void
setwatches_data_missing_fires_deleted(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(setwatches(e, S1, 0, "/gone", NULL, NULL, NULL, NULL,
				    PROTO_OP_SETWATCHES),
			 0);
	assert_int_equal(e->nev, 1);
	assert_true(has_event(e, S1, PROTO_EV_NODE_DELETED, "/gone"));
	env_free(e);
}

static void
setwatches_data_changed_since_rel_fires_changed_else_arms(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	int64_t rel = e->zxid;
	assert_int_equal(setwatches(e, S1, rel, "/a", NULL, NULL, NULL, NULL,
				    PROTO_OP_SETWATCHES),
			 0);
	assert_int_equal(e->nev, 0); /* armed */
	assert_int_equal(setd(e, 0, "/a", "x", -1), 0);
	assert_true(has_event(e, S1, PROTO_EV_NODE_DATA_CHANGED, "/a"));
	e->nev = 0;
	assert_int_equal(setwatches(e, S2, rel, "/a", NULL, NULL, NULL, NULL,
				    PROTO_OP_SETWATCHES),
			 0);
	assert_true(has_event(e, S2, PROTO_EV_NODE_DATA_CHANGED, "/a"));
	assert_int_equal(e->ev[0].zxid, -1);
	env_free(e);
}

static void
setwatches_exist_present_fires_created_else_arms(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "", 0), 0);
	assert_int_equal(setwatches(e, S1, 0, NULL, "/a", NULL, NULL, NULL,
				    PROTO_OP_SETWATCHES),
			 0);
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/a"));
	e->nev = 0;
	assert_int_equal(setwatches(e, S1, 0, NULL, "/b", NULL, NULL, NULL,
				    PROTO_OP_SETWATCHES),
			 0);
	assert_int_equal(e->nev, 0);
	assert_int_equal(mk(e, 0, "/b", "", 0), 0);
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/b"));
	env_free(e);
}

static void
setwatches_child_rules(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/p", "", 0), 0);
	int64_t rel = e->zxid;
	assert_int_equal(setwatches(e, S1, rel, NULL, NULL, "/nope", NULL, NULL,
				    PROTO_OP_SETWATCHES),
			 0);
	assert_true(has_event(e, S1, PROTO_EV_NODE_DELETED, "/nope"));
	e->nev = 0;
	assert_int_equal(setwatches(e, S1, rel, NULL, NULL, "/p", NULL, NULL,
				    PROTO_OP_SETWATCHES),
			 0);
	assert_int_equal(e->nev, 0);
	assert_int_equal(mk(e, 0, "/p/c", "", 0), 0);
	assert_true(has_event(e, S1, PROTO_EV_NODE_CHILDREN_CHANGED, "/p"));
	e->nev = 0;
	assert_int_equal(setwatches(e, S2, rel, NULL, NULL, "/p", NULL, NULL,
				    PROTO_OP_SETWATCHES),
			 0);
	assert_true(has_event(e, S2, PROTO_EV_NODE_CHILDREN_CHANGED, "/p"));
	env_free(e);
}

static void
setwatches2_rearms_persistent_and_recursive(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(setwatches(e, S1, 0, NULL, NULL, NULL, "/p", "/r",
				    PROTO_OP_SETWATCHES2),
			 0);
	assert_int_equal(e->nev, 0);
	assert_int_equal(mk(e, 0, "/p", "", 0), 0);
	assert_int_equal(mk(e, 0, "/r", "", 0), 0);
	assert_int_equal(mk(e, 0, "/r/x", "", 0), 0);
	assert_int_equal(mk(e, 0, "/p/x", "", 0), 0);
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/p"));
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/r"));
	assert_true(has_event(e, S1, PROTO_EV_NODE_CREATED, "/r/x"));
	assert_true(has_event(e, S1, PROTO_EV_NODE_CHILDREN_CHANGED, "/p"));
	assert_int_equal(e->nev, 4);
	env_free(e);
}

static void
multi_fires_events_for_every_op(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(rd(e, S1, PROTO_OP_EXISTS, "/a", true), PROTO_ZNONODE);
	assert_int_equal(rd(e, S2, PROTO_OP_EXISTS, "/b", true), PROTO_ZNONODE);
	struct proto_request ops[2] = {{.type = PROTO_OP_CREATE,
					.path = V("/a"),
					.data = V(""),
					.acl = world_vec},
				       {.type = PROTO_OP_CREATE,
					.path = V("/b"),
					.data = V(""),
					.acl = world_vec}};
	struct proto_request q = {.type = PROTO_OP_MULTI,
				  .multi = {.n = 2, .ops = ops}};
	struct tree_client c = cl(0);
	assert_int_equal(wr(e, &c, &q), 0);
	assert_int_equal(e->nev, 2);
	assert_int_equal(e->ev[0].zxid, e->ev[1].zxid);
	env_free(e);
}

static void
herd_of_watchers_on_one_path_all_fire(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/lock", "", 0), 0);
	for (int64_t s = 1000; s < 1200; s++) {
		assert_int_equal(rd(e, s, PROTO_OP_EXISTS, "/lock", true), 0);
		assert_int_equal(rd(e, s, PROTO_OP_GETDATA, "/lock", true), 0);
	}
	struct tree_stats st;
	tree_get_stats(e->t, &st);
	assert_int_equal(st.watches, 200);
	/* one session watching many paths */
	char p[32];
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof(p), "/w%d", i);
		assert_int_equal(rd(e, 1000, PROTO_OP_EXISTS, p, true),
				 PROTO_ZNONODE);
	}
	assert_int_equal(del(e, 0, "/lock", -1), 0);
	assert_int_equal(e->nev, 200);
	tree_get_stats(e->t, &st);
	assert_int_equal(st.watches, 300);
	assert_int_equal(tree_watch_drop_session(e->t, 1000), 300);
	tree_get_stats(e->t, &st);
	assert_int_equal(st.watches, 0);
	assert_int_equal(st.watched_paths, 0);
	env_free(e);
}

static void
failed_multi_fires_nothing(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(rd(e, S1, PROTO_OP_EXISTS, "/a", true), PROTO_ZNONODE);
	struct proto_request ops[2] = {
		{.type = PROTO_OP_CREATE,
		 .path = V("/a"),
		 .data = V(""),
		 .acl = world_vec},
		{.type = PROTO_OP_DELETE, .path = V("/zz"), .version = -1}};
	struct proto_request q = {.type = PROTO_OP_MULTI,
				  .multi = {.n = 2, .ops = ops}};
	struct tree_client c = cl(0);
	assert_int_equal(wr(e, &c, &q), 0);
	assert_int_equal(e->nev, 0);
	env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			exists_arms_on_missing_node_and_create_fires_created),
		cmocka_unit_test(getdata_on_missing_node_does_not_arm),
		cmocka_unit_test(create_fires_children_changed_on_parent),
		cmocka_unit_test(setdata_fires_data_changed_once),
		cmocka_unit_test(same_watch_twice_fires_once),
		cmocka_unit_test(
			delete_fires_deleted_once_per_watcher_and_parent_changed),
		cmocka_unit_test(setacl_fires_nothing),
		cmocka_unit_test(events_are_out_before_apply_returns),
		cmocka_unit_test(persistent_watch_stays_and_sees_children),
		cmocka_unit_test(
			recursive_watch_sees_descendants_without_children_changed),
		cmocka_unit_test(recursive_watch_on_root_sees_everything),
		cmocka_unit_test(
			checkwatches_and_removewatches_report_nowatcher),
		cmocka_unit_test(removewatches_any_and_persistent_kinds),
		cmocka_unit_test(
			standard_and_persistent_watch_on_one_path_coexist),
		cmocka_unit_test(drop_session_removes_its_watches),
		cmocka_unit_test(close_session_fires_deleted_for_ephemerals),
		cmocka_unit_test(setwatches_data_missing_fires_deleted),
		cmocka_unit_test(
			setwatches_data_changed_since_rel_fires_changed_else_arms),
		cmocka_unit_test(
			setwatches_exist_present_fires_created_else_arms),
		cmocka_unit_test(setwatches_child_rules),
		cmocka_unit_test(setwatches2_rearms_persistent_and_recursive),
		cmocka_unit_test(multi_fires_events_for_every_op),
		cmocka_unit_test(herd_of_watchers_on_one_path_all_fire),
		cmocka_unit_test(failed_multi_fires_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
