/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/test_ops.c — every ZooKeeper operation end to end
 * through libdpzk against a real dpzk-server in the test network: create in
 * every mode (sequential naming from the parent's cversion, ephemeral,
 * container, TTL), delete, exists, get/set with versions, children,
 * ACLs with digest auth, getEphemerals, getAllChildrenNumber, multi,
 * sync, whoAmI, persistent and recursive watches, removeWatches and
 * checkWatches — each result and error code compared with what Apache
 * ZooKeeper returns for the same call; plus, through the raw client, what
 * libdpzk has no call for (multiRead, a standalone check, reconfig, an
 * unknown opcode, ZooKeeper's own ping, an undecodable body).
 *
 * Why it is built this way: one cmocka test per behaviour, each under its
 * own top-level znode, so a failure names the operation and the tests do
 * not depend on each other.  Run twice by meson, with and without
 * hugepages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"

#define TMO 10000

static struct dpzk_handle *
conn(struct it_events *ev)
{
	return it_connect(TMO, ev);
}

static int
mk(struct dpzk_handle *zh, const char *path, const char *data, int mode)
{
	return dpzk_create(zh, path, data, data ? (int)strlen(data) : -1,
			   &dpzk_open_acl_unsafe, mode, 0, NULL, 0, NULL);
}

/* Pumps zh until an event of type on path was recorded (≤ ms). */
static bool
wait_event(struct dpzk_handle *zh, struct it_events *ev, int type,
	   const char *path, int ms)
{
	uint64_t end = it_ms() + (uint64_t)ms;

	while (it_events_count(ev, type, path) == 0 && it_ms() < end)
		it_pump(&zh, 1, 20, NULL);
	return it_events_count(ev, type, path) > 0;
}

static bool
has_string(const struct dpzk_strings *s, const char *x)
{
	for (int i = 0; i < s->count; i++)
		if (strcmp(s->data[i], x) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */

static void
test_create_persistent_returns_path_and_stat(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_stat st, st2;
	char path[64];
	char buf[16];
	int len = sizeof(buf);

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(dpzk_create(zh, "/cp", "hello", 5,
				     &dpzk_open_acl_unsafe, DPZK_PERSISTENT, 0,
				     path, sizeof(path), &st),
			 DPZK_ZOK);
	assert_string_equal(path, "/cp");
	assert_int_equal(st.version, 0);
	assert_int_equal(st.cversion, 0);
	assert_int_equal(st.aversion, 0);
	assert_int_equal(st.data_length, 5);
	assert_int_equal(st.num_children, 0);
	assert_int_equal(st.ephemeral_owner, 0);
	assert_true(st.czxid > 0);
	assert_int_equal(st.czxid, st.mzxid);
	assert_int_equal(st.pzxid, st.czxid);
	assert_true(st.ctime > 1600000000000LL);
	assert_int_equal(dpzk_get(zh, "/cp", 0, buf, &len, &st2), DPZK_ZOK);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_memory_equal(&st, &st2, sizeof(st));

	assert_int_equal(mk(zh, "/cp", "x", 0), DPZK_ZNODEEXISTS);
	assert_int_equal(mk(zh, "/cp-missing/child", "x", 0), DPZK_ZNONODE);
	/* bad paths: ZooKeeper's client refuses them before sending */
	assert_int_equal(mk(zh, "noslash", "x", 0), DPZK_ZBADARGUMENTS);
	assert_int_equal(mk(zh, "/cp/", "x", 0), DPZK_ZBADARGUMENTS);
	assert_int_equal(mk(zh, "/cp//x", "x", 0), DPZK_ZBADARGUMENTS);
	/* the parent's child count and cversion follow */
	assert_int_equal(mk(zh, "/cp/a", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_exists(zh, "/cp", 0, &st), DPZK_ZOK);
	assert_int_equal(st.num_children, 1);
	assert_int_equal(st.cversion, 1);
	assert_true(st.pzxid > st.czxid);
	dpzk_close(zh);
}

static void
test_null_data_reads_back_as_null(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_stat st;
	char buf[16];
	int len;

	(void)state;
	/* ZooKeeper keeps null data null: getData returns a -1 length
	 * (the C client's *buffer_len = -1, zkCli prints "null") */
	assert_int_equal(mk(zh, "/nul", NULL, 0), DPZK_ZOK);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(zh, "/nul", 0, buf, &len, &st), DPZK_ZOK);
	assert_int_equal(st.data_length, 0);
	assert_int_equal(len, -1);
	assert_int_equal(dpzk_set(zh, "/nul", "x", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_set(zh, "/nul", NULL, -1, -1, NULL), DPZK_ZOK);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(zh, "/nul", 0, buf, &len, &st), DPZK_ZOK);
	assert_int_equal(len, -1);
	dpzk_close(zh);
}

static void
test_create_sequential_names_follow_parent_cversion(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	char path[64];

	(void)state;
	assert_int_equal(mk(zh, "/seq", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_create(zh, "/seq/n-", "a", 1,
				     &dpzk_open_acl_unsafe,
				     DPZK_PERSISTENT_SEQUENTIAL, 0, path,
				     sizeof(path), NULL),
			 DPZK_ZOK);
	assert_string_equal(path, "/seq/n-0000000000");
	assert_int_equal(dpzk_create(zh, "/seq/n-", "b", 1,
				     &dpzk_open_acl_unsafe,
				     DPZK_PERSISTENT_SEQUENTIAL, 0, path,
				     sizeof(path), NULL),
			 DPZK_ZOK);
	assert_string_equal(path, "/seq/n-0000000001");
	/* only creates bump the parent's stored cversion, hence the counter
	 * (ZooKeeper's DataTree: a delete leaves it) */
	assert_int_equal(mk(zh, "/seq/plain", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_delete(zh, "/seq/plain", -1), DPZK_ZOK);
	assert_int_equal(dpzk_create(zh, "/seq/e-", NULL, -1,
				     &dpzk_open_acl_unsafe,
				     DPZK_EPHEMERAL_SEQUENTIAL, 0, path,
				     sizeof(path), NULL),
			 DPZK_ZOK);
	assert_string_equal(path, "/seq/e-0000000003");
	/* a truncating buffer still gets a NUL-terminated prefix */
	assert_int_equal(
		dpzk_create(zh, "/seq/n-", NULL, -1, &dpzk_open_acl_unsafe,
			    DPZK_PERSISTENT_SEQUENTIAL, 0, path, 8, NULL),
		DPZK_ZOK);
	assert_string_equal(path, "/seq/n-");
	assert_int_equal(dpzk_exists(zh, "/seq/n-0000000004", 0, NULL),
			 DPZK_ZOK);
	dpzk_close(zh);
}

static void
test_sequential_create_of_parent_slash(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	char path[64];

	(void)state;
	/* "/parent/" is a valid path for a sequential create (ZooKeeper's
	 * PathUtils.validatePath(path, isSequential), the C client's
	 * isValidPath(path, mode)); the name is the bare counter */
	assert_int_equal(mk(zh, "/seqs", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_create(zh, "/seqs/", NULL, -1,
				     &dpzk_open_acl_unsafe,
				     DPZK_PERSISTENT_SEQUENTIAL, 0, path,
				     sizeof(path), NULL),
			 DPZK_ZOK);
	assert_string_equal(path, "/seqs/0000000000");
	assert_int_equal(dpzk_create(zh, "/seqs/", NULL, -1,
				     &dpzk_open_acl_unsafe, DPZK_PERSISTENT, 0,
				     path, sizeof(path), NULL),
			 DPZK_ZBADARGUMENTS);
	dpzk_close(zh);
}

static void
test_ephemeral_owned_by_session_and_childless(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_handle *other = conn(NULL);
	struct dpzk_stat st;
	struct dpzk_strings s;

	(void)state;
	assert_int_equal(mk(zh, "/eph", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_create(zh, "/eph/e", "v", 1,
				     &dpzk_open_acl_unsafe, DPZK_EPHEMERAL, 0,
				     NULL, 0, &st),
			 DPZK_ZOK);
	assert_int_equal(st.ephemeral_owner, dpzk_client_id(zh)->session_id);
	assert_int_equal(mk(zh, "/eph/e/child", NULL, 0),
			 DPZK_ZNOCHILDRENFOREPHEMERALS);
	assert_int_equal(mk(other, "/eph/e/child", NULL, 0),
			 DPZK_ZNOCHILDRENFOREPHEMERALS);
	/* visible to others, listed for its owner only */
	assert_int_equal(dpzk_exists(other, "/eph/e", 0, &st), DPZK_ZOK);
	assert_int_equal(st.ephemeral_owner, dpzk_client_id(zh)->session_id);
	assert_int_equal(dpzk_get_ephemerals(zh, "/eph", &s), DPZK_ZOK);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.data[0], "/eph/e");
	dpzk_strings_free(&s);
	assert_int_equal(dpzk_get_ephemerals(other, "/eph", &s), DPZK_ZOK);
	assert_int_equal(s.count, 0);
	dpzk_strings_free(&s);
	dpzk_close(zh);
	assert_int_equal(dpzk_exists(other, "/eph/e", 0, NULL), DPZK_ZNONODE);
	dpzk_close(other);
}

static void
test_container_deleted_after_last_child_goes(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	uint64_t end;
	int rc;

	(void)state;
	assert_int_equal(mk(zh, "/ctr", NULL, DPZK_CONTAINER), DPZK_ZOK);
	assert_int_equal(mk(zh, "/ctr/c", NULL, 0), DPZK_ZOK);
	/* a container that never had children stays (ZooKeeper's default
	 * znode.container.maxNeverUsedIntervalMs = 0) */
	assert_int_equal(mk(zh, "/ctr-empty", NULL, DPZK_CONTAINER), DPZK_ZOK);
	assert_int_equal(dpzk_delete(zh, "/ctr/c", -1), DPZK_ZOK);
	end = it_ms() + 8000;
	while ((rc = dpzk_exists(zh, "/ctr", 0, NULL)) == DPZK_ZOK &&
	       it_ms() < end)
		it_sleep_ms(100);
	assert_int_equal(rc, DPZK_ZNONODE);
	assert_int_equal(dpzk_exists(zh, "/ctr-empty", 0, NULL), DPZK_ZOK);
	/* containers take children like a persistent node */
	assert_int_equal(mk(zh, "/ctr-empty/x", NULL, DPZK_EPHEMERAL),
			 DPZK_ZOK);
	dpzk_close(zh);
}

static void
test_ttl_node_expires_when_untouched(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	char path[64];
	uint64_t end;
	int rc;

	(void)state;
	assert_int_equal(mk(zh, "/ttl", NULL, 0), DPZK_ZOK);
	assert_int_equal(
		dpzk_create(zh, "/ttl/t", "x", 1, &dpzk_open_acl_unsafe,
			    DPZK_PERSISTENT_WITH_TTL, 300, NULL, 0, NULL),
		DPZK_ZOK);
	assert_int_equal(dpzk_create(zh, "/ttl/s-", "x", 1,
				     &dpzk_open_acl_unsafe,
				     DPZK_PERSISTENT_SEQUENTIAL_WITH_TTL, 300,
				     path, sizeof(path), NULL),
			 DPZK_ZOK);
	assert_string_equal(path, "/ttl/s-0000000001");
	/* ttl must be > 0 (ZooKeeper: BadArguments) */
	assert_int_equal(
		dpzk_create(zh, "/ttl/bad", "x", 1, &dpzk_open_acl_unsafe,
			    DPZK_PERSISTENT_WITH_TTL, 0, NULL, 0, NULL),
		DPZK_ZBADARGUMENTS);
	/* a TTL node with a child lives on; an untouched one goes */
	assert_int_equal(
		dpzk_create(zh, "/ttl/p", "x", 1, &dpzk_open_acl_unsafe,
			    DPZK_PERSISTENT_WITH_TTL, 300, NULL, 0, NULL),
		DPZK_ZOK);
	assert_int_equal(mk(zh, "/ttl/p/kid", NULL, 0), DPZK_ZOK);
	end = it_ms() + 8000;
	while (((rc = dpzk_exists(zh, "/ttl/t", 0, NULL)) == DPZK_ZOK ||
		dpzk_exists(zh, "/ttl/s-0000000001", 0, NULL) == DPZK_ZOK) &&
	       it_ms() < end)
		it_sleep_ms(100);
	assert_int_equal(rc, DPZK_ZNONODE);
	assert_int_equal(dpzk_exists(zh, "/ttl/s-0000000001", 0, NULL),
			 DPZK_ZNONODE);
	assert_int_equal(dpzk_exists(zh, "/ttl/p", 0, NULL), DPZK_ZOK);
	dpzk_close(zh);
}

static void
test_delete_checks_version_and_children(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_stat st;

	(void)state;
	assert_int_equal(mk(zh, "/del", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/del/a", "1", 0), DPZK_ZOK);
	assert_int_equal(dpzk_delete(zh, "/del", -1), DPZK_ZNOTEMPTY);
	assert_int_equal(dpzk_set(zh, "/del/a", "2", 1, 0, &st), DPZK_ZOK);
	assert_int_equal(st.version, 1);
	assert_int_equal(dpzk_delete(zh, "/del/a", 0), DPZK_ZBADVERSION);
	assert_int_equal(dpzk_delete(zh, "/del/a", 1), DPZK_ZOK);
	assert_int_equal(dpzk_delete(zh, "/del/a", -1), DPZK_ZNONODE);
	assert_int_equal(dpzk_delete(zh, "/del", 0), DPZK_ZOK);
	assert_int_equal(dpzk_exists(zh, "/del", 0, NULL), DPZK_ZNONODE);
	/* the root and /zookeeper are special: BadArguments */
	assert_int_equal(dpzk_delete(zh, "/", -1), DPZK_ZBADARGUMENTS);
	assert_int_equal(dpzk_delete(zh, "/zookeeper", -1), DPZK_ZBADARGUMENTS);
	dpzk_close(zh);
}

static void
test_exists_watch_fires_on_create_and_delete(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh = conn(&ev);
	struct dpzk_handle *w = conn(NULL);
	struct dpzk_stat st;

	(void)state;
	memset(&st, 0x55, sizeof(st));
	assert_int_equal(dpzk_exists(zh, "/ex", 1, &st), DPZK_ZNONODE);
	assert_int_equal(mk(w, "/ex", "x", 0), DPZK_ZOK);
	assert_true(wait_event(zh, &ev, DPZK_CREATED_EVENT, "/ex", 3000));
	assert_int_equal(ev.ev[ev.n - 1].state, DPZK_CONNECTED_STATE);
	assert_int_equal(dpzk_exists(zh, "/ex", 1, &st), DPZK_ZOK);
	assert_int_equal(st.data_length, 1);
	assert_int_equal(dpzk_delete(w, "/ex", -1), DPZK_ZOK);
	assert_true(wait_event(zh, &ev, DPZK_DELETED_EVENT, "/ex", 3000));
	/* one-shot: a second create fires nothing */
	assert_int_equal(mk(w, "/ex", "x", 0), DPZK_ZOK);
	it_pump(&zh, 1, 300, NULL);
	assert_int_equal(it_events_count(&ev, DPZK_CREATED_EVENT, "/ex"), 1);
	dpzk_close(w);
	dpzk_close(zh);
}

static void
test_get_set_follow_versions(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh = conn(&ev);
	struct dpzk_stat st;
	char buf[32];
	int len;

	(void)state;
	assert_int_equal(mk(zh, "/gs", "v0", 0), DPZK_ZOK);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(zh, "/gs", 1, buf, &len, &st), DPZK_ZOK);
	assert_int_equal(len, 2);
	assert_int_equal(st.version, 0);
	assert_int_equal(dpzk_set(zh, "/gs", "v1", 2, 0, &st), DPZK_ZOK);
	assert_int_equal(st.version, 1);
	assert_true(st.mzxid > st.czxid);
	assert_true(wait_event(zh, &ev, DPZK_CHANGED_EVENT, "/gs", 3000));
	assert_int_equal(dpzk_set(zh, "/gs", "v2", 2, 0, NULL),
			 DPZK_ZBADVERSION);
	assert_int_equal(dpzk_set(zh, "/gs", "v2x", 3, -1, &st), DPZK_ZOK);
	assert_int_equal(st.version, 2);
	assert_int_equal(st.data_length, 3);
	/* the data watch was one-shot */
	it_pump(&zh, 1, 200, NULL);
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/gs"), 1);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(zh, "/gs", 0, buf, &len, &st), DPZK_ZOK);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "v2x", 3);
	/* a short buffer gets the first bytes */
	len = 2;
	assert_int_equal(dpzk_get(zh, "/gs", 0, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(len, 2);
	/* empty data is not null */
	assert_int_equal(dpzk_set(zh, "/gs", "z", 1, 2, &st), DPZK_ZOK);
	assert_int_equal(dpzk_set(zh, "/gs", "", 0, -1, &st), DPZK_ZOK);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(zh, "/gs", 0, buf, &len, &st), DPZK_ZOK);
	assert_int_equal(len, 0);
	assert_int_equal(st.version, 4);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(zh, "/gs-none", 0, buf, &len, NULL),
			 DPZK_ZNONODE);
	assert_int_equal(dpzk_set(zh, "/gs-none", "x", 1, -1, NULL),
			 DPZK_ZNONODE);
	dpzk_close(zh);
}

static void
test_children_and_children2(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh = conn(&ev);
	struct dpzk_strings s;
	struct dpzk_stat st;

	(void)state;
	assert_int_equal(mk(zh, "/ch", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_get_children(zh, "/ch", 0, &s), DPZK_ZOK);
	assert_int_equal(s.count, 0);
	dpzk_strings_free(&s);
	assert_int_equal(mk(zh, "/ch/b", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/ch/a", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/ch/a/deep", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_get_children(zh, "/ch", 1, &s), DPZK_ZOK);
	assert_int_equal(s.count, 2);
	assert_true(has_string(&s, "a"));
	assert_true(has_string(&s, "b"));
	dpzk_strings_free(&s);
	assert_int_equal(dpzk_get_children2(zh, "/ch", 0, &s, &st), DPZK_ZOK);
	assert_int_equal(s.count, 2);
	assert_int_equal(st.num_children, 2);
	assert_int_equal(st.cversion, 2);
	dpzk_strings_free(&s);
	/* the child watch fires on a child change, not on a grandchild or
	 * on data */
	assert_int_equal(dpzk_set(zh, "/ch", "d", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(mk(zh, "/ch/a/deep2", NULL, 0), DPZK_ZOK);
	it_pump(&zh, 1, 200, NULL);
	assert_int_equal(it_events_count(&ev, DPZK_CHILD_EVENT, "/ch"), 0);
	assert_int_equal(dpzk_delete(zh, "/ch/b", -1), DPZK_ZOK);
	assert_true(wait_event(zh, &ev, DPZK_CHILD_EVENT, "/ch", 3000));
	assert_int_equal(dpzk_get_children(zh, "/ch-none", 0, &s),
			 DPZK_ZNONODE);
	assert_int_equal(dpzk_get_children2(zh, "/ch-none", 0, &s, &st),
			 DPZK_ZNONODE);
	dpzk_close(zh);
}

static void
test_acl_digest_auth_and_noauth(void **state)
{
	struct dpzk_handle *alice = conn(NULL);
	struct dpzk_handle *anon = conn(NULL);
	struct dpzk_handle *bob = conn(NULL);
	struct dpzk_acl_vector acl;
	struct dpzk_stat st;
	char buf[16];
	int len;

	(void)state;
	/* auth::cdrwa needs an authenticated creator */
	assert_int_equal(dpzk_create(anon, "/acl-anon", NULL, -1,
				     &dpzk_creator_all_acl, 0, 0, NULL, 0,
				     NULL),
			 DPZK_ZINVALIDACL);
	assert_int_equal(dpzk_add_auth(alice, "digest", "alice:secret", 12),
			 DPZK_ZOK);
	assert_int_equal(dpzk_add_auth(bob, "digest", "bob:hunter2", 11),
			 DPZK_ZOK);
	assert_int_equal(dpzk_create(alice, "/acl", "s", 1,
				     &dpzk_creator_all_acl, 0, 0, NULL, 0,
				     NULL),
			 DPZK_ZOK);
	/* getACL needs READ or ADMIN (ZooKeeper since CVE-2019-0201) */
	assert_int_equal(dpzk_get_acl(anon, "/acl", &acl, &st), DPZK_ZNOAUTH);
	assert_int_equal(dpzk_get_acl(alice, "/acl", &acl, &st), DPZK_ZOK);
	assert_int_equal(acl.count, 1);
	assert_int_equal(acl.data[0].perms, DPZK_PERM_ALL);
	assert_string_equal(acl.data[0].id.scheme, "digest");
	assert_string_equal(acl.data[0].id.id,
			    "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
	assert_int_equal(st.aversion, 0);
	dpzk_acls_free(&acl);

	len = sizeof(buf);
	assert_int_equal(dpzk_get(anon, "/acl", 0, buf, &len, NULL),
			 DPZK_ZNOAUTH);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(bob, "/acl", 0, buf, &len, NULL),
			 DPZK_ZNOAUTH);
	assert_int_equal(dpzk_set(bob, "/acl", "x", 1, -1, NULL), DPZK_ZNOAUTH);
	assert_int_equal(mk(bob, "/acl/kid", NULL, 0), DPZK_ZNOAUTH);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(alice, "/acl", 0, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(mk(alice, "/acl/kid", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_delete(bob, "/acl/kid", -1), DPZK_ZNOAUTH);

	/* setACL: version checked against aversion; then world-readable */
	assert_int_equal(dpzk_set_acl(alice, "/acl", 5, &dpzk_read_acl_unsafe),
			 DPZK_ZBADVERSION);
	assert_int_equal(dpzk_set_acl(bob, "/acl", -1, &dpzk_read_acl_unsafe),
			 DPZK_ZNOAUTH);
	assert_int_equal(dpzk_set_acl(alice, "/acl", 0, &dpzk_read_acl_unsafe),
			 DPZK_ZOK);
	assert_int_equal(dpzk_get_acl(anon, "/acl", &acl, &st), DPZK_ZOK);
	assert_int_equal(st.aversion, 1);
	assert_int_equal(acl.count, 1);
	assert_int_equal(acl.data[0].perms, DPZK_PERM_READ);
	assert_string_equal(acl.data[0].id.scheme, "world");
	dpzk_acls_free(&acl);
	len = sizeof(buf);
	assert_int_equal(dpzk_get(anon, "/acl", 0, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_set(alice, "/acl", "x", 1, -1, NULL),
			 DPZK_ZNOAUTH);
	/* an empty ACL is invalid */
	{
		struct dpzk_acl_vector empty = {0, NULL};

		assert_int_equal(dpzk_create(alice, "/acl-empty", NULL, -1,
					     &empty, 0, 0, NULL, 0, NULL),
				 DPZK_ZINVALIDACL);
	}
	assert_int_equal(dpzk_get_acl(anon, "/acl-none", &acl, &st),
			 DPZK_ZNONODE);
	/* READ without ADMIN: digest ids come back as "user:x" */
	{
		struct dpzk_acl two[2] = {
			{DPZK_PERM_ALL,
			 {(char *)"digest",
			  (char *)"alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="}},
			{DPZK_PERM_READ, {(char *)"world", (char *)"anyone"}},
		};
		struct dpzk_acl_vector v = {2, two};

		assert_int_equal(dpzk_create(anon, "/acl-mixed", NULL, -1, &v,
					     0, 0, NULL, 0, NULL),
				 DPZK_ZOK);
		assert_int_equal(dpzk_get_acl(anon, "/acl-mixed", &acl, &st),
				 DPZK_ZOK);
		assert_int_equal(acl.count, 2);
		assert_string_equal(acl.data[0].id.id, "alice:x");
		dpzk_acls_free(&acl);
		assert_int_equal(dpzk_get_acl(alice, "/acl-mixed", &acl, &st),
				 DPZK_ZOK);
		assert_string_equal(acl.data[0].id.id,
				    "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
		dpzk_acls_free(&acl);
	}
	dpzk_close(bob);
	dpzk_close(anon);
	dpzk_close(alice);
}

static void
test_addauth_unknown_scheme_ends_session(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh = conn(&ev);

	(void)state;
	assert_int_equal(dpzk_add_auth(zh, "nosuchscheme", "x", 1),
			 DPZK_ZAUTHFAILED);
	assert_int_equal(dpzk_state(zh), DPZK_AUTH_FAILED_STATE);
	assert_int_equal(ev.last_state, DPZK_AUTH_FAILED_STATE);
	assert_int_equal(dpzk_exists(zh, "/", 0, NULL), DPZK_ZINVALIDSTATE);
	dpzk_close(zh);
}

static void
test_get_ephemerals_by_prefix(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_strings s;

	(void)state;
	assert_int_equal(mk(zh, "/ge", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/ge/a", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/ge/a/e1", NULL, DPZK_EPHEMERAL), DPZK_ZOK);
	assert_int_equal(mk(zh, "/ge/e2", NULL, DPZK_EPHEMERAL), DPZK_ZOK);
	assert_int_equal(mk(zh, "/ge-e3", NULL, DPZK_EPHEMERAL), DPZK_ZOK);
	assert_int_equal(dpzk_get_ephemerals(zh, "/ge/a", &s), DPZK_ZOK);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.data[0], "/ge/a/e1");
	dpzk_strings_free(&s);
	/* the prefix is a string prefix, as in ZooKeeper */
	assert_int_equal(dpzk_get_ephemerals(zh, "/ge", &s), DPZK_ZOK);
	assert_int_equal(s.count, 3);
	assert_true(has_string(&s, "/ge/e2"));
	assert_true(has_string(&s, "/ge-e3"));
	dpzk_strings_free(&s);
	assert_int_equal(dpzk_get_ephemerals(zh, "/", &s), DPZK_ZOK);
	assert_true(s.count >= 3);
	dpzk_strings_free(&s);
	dpzk_close(zh);
}

static void
test_get_all_children_number_counts_descendants(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	int n = -1;

	(void)state;
	assert_int_equal(mk(zh, "/gn", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_get_all_children_number(zh, "/gn", &n), DPZK_ZOK);
	assert_int_equal(n, 0);
	assert_int_equal(mk(zh, "/gn/a", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/gn/a/b", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/gn/a/b/c", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/gn/d", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_get_all_children_number(zh, "/gn", &n), DPZK_ZOK);
	assert_int_equal(n, 4);
	assert_int_equal(dpzk_get_all_children_number(zh, "/gn/a", &n),
			 DPZK_ZOK);
	assert_int_equal(n, 2);
	assert_int_equal(dpzk_get_all_children_number(zh, "/gn-none", &n),
			 DPZK_ZNONODE);
	dpzk_close(zh);
}

static void
test_multi_success_returns_each_result(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_op ops[5];
	struct dpzk_op_result res[5];
	struct dpzk_stat st, sst;
	char p1[64], p2[64];
	char buf[8];
	int len = sizeof(buf);

	(void)state;
	assert_int_equal(mk(zh, "/mu", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/mu/gone", NULL, 0), DPZK_ZOK);
	dpzk_create_op_init(&ops[0], "/mu/a", "1", 1, &dpzk_open_acl_unsafe, 0,
			    p1, sizeof(p1));
	dpzk_create_op_init(&ops[1], "/mu/s-", "2", 1, &dpzk_open_acl_unsafe,
			    DPZK_PERSISTENT_SEQUENTIAL, p2, sizeof(p2));
	dpzk_set_op_init(&ops[2], "/mu/a", "3", 1, 0, &sst);
	dpzk_check_op_init(&ops[3], "/mu/a", 1);
	dpzk_delete_op_init(&ops[4], "/mu/gone", 0);
	memset(res, 0x55, sizeof(res));
	assert_int_equal(dpzk_multi(zh, 5, ops, res), DPZK_ZOK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(res[i].err, DPZK_ZOK);
	assert_string_equal(p1, "/mu/a");
	assert_string_equal(p2, "/mu/s-0000000002");
	assert_int_equal(sst.version, 1);
	/* all ops share one zxid */
	assert_int_equal(dpzk_get(zh, "/mu/a", 0, buf, &len, &st), DPZK_ZOK);
	assert_int_equal(len, 1);
	assert_int_equal(buf[0], '3');
	assert_int_equal(st.czxid, st.mzxid);
	assert_int_equal(dpzk_exists(zh, "/mu/gone", 0, NULL), DPZK_ZNONODE);
	/* an empty multi succeeds with no results */
	assert_int_equal(dpzk_multi(zh, 0, ops, res), DPZK_ZOK);
	dpzk_close(zh);
}

static void
test_multi_failure_applies_nothing(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_op ops[4];
	struct dpzk_op_result res[4];
	struct dpzk_stat st;
	char p[64];

	(void)state;
	assert_int_equal(mk(zh, "/mf", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/mf/x", "x", 0), DPZK_ZOK);
	dpzk_create_op_init(&ops[0], "/mf/new", "1", 1, &dpzk_open_acl_unsafe,
			    0, p, sizeof(p));
	dpzk_set_op_init(&ops[1], "/mf/x", "y", 1, -1, NULL);
	dpzk_set_op_init(&ops[2], "/mf/x", "z", 1, 7, NULL); /* BADVERSION */
	dpzk_delete_op_init(&ops[3], "/mf/x", -1);
	assert_int_equal(dpzk_multi(zh, 4, ops, res), DPZK_ZBADVERSION);
	assert_int_equal(res[0].err, DPZK_ZOK);
	assert_int_equal(res[1].err, DPZK_ZOK);
	assert_int_equal(res[2].err, DPZK_ZBADVERSION);
	assert_int_equal(res[3].err, DPZK_ZRUNTIMEINCONSISTENCY);
	assert_int_equal(dpzk_exists(zh, "/mf/new", 0, NULL), DPZK_ZNONODE);
	assert_int_equal(dpzk_exists(zh, "/mf/x", 0, &st), DPZK_ZOK);
	assert_int_equal(st.version, 0);
	/* a failing check, and a create under a node the multi deletes */
	dpzk_check_op_init(&ops[0], "/mf/x", 3);
	dpzk_create_op_init(&ops[1], "/mf/y", NULL, -1, &dpzk_open_acl_unsafe,
			    0, p, sizeof(p));
	assert_int_equal(dpzk_multi(zh, 2, ops, res), DPZK_ZBADVERSION);
	assert_int_equal(res[0].err, DPZK_ZBADVERSION);
	assert_int_equal(res[1].err, DPZK_ZRUNTIMEINCONSISTENCY);
	dpzk_delete_op_init(&ops[0], "/mf/x", -1);
	dpzk_create_op_init(&ops[1], "/mf/x/under", NULL, -1,
			    &dpzk_open_acl_unsafe, 0, p, sizeof(p));
	assert_int_equal(dpzk_multi(zh, 2, ops, res), DPZK_ZNONODE);
	assert_int_equal(res[0].err, DPZK_ZOK);
	assert_int_equal(res[1].err, DPZK_ZNONODE);
	assert_int_equal(dpzk_exists(zh, "/mf/x", 0, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_exists(zh, "/mf/y", 0, NULL), DPZK_ZNONODE);
	/* the server's cversion did not move: the next sequential name */
	dpzk_create_op_init(&ops[0], "/mf/s-", NULL, -1, &dpzk_open_acl_unsafe,
			    DPZK_PERSISTENT_SEQUENTIAL, p, sizeof(p));
	assert_int_equal(dpzk_multi(zh, 1, ops, res), DPZK_ZOK);
	assert_string_equal(p, "/mf/s-0000000001");
	dpzk_close(zh);
}

static void
test_sync_then_read(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_handle *w = conn(NULL);

	(void)state;
	assert_int_equal(mk(w, "/sy", "1", 0), DPZK_ZOK);
	assert_int_equal(dpzk_sync(zh, "/sy"), DPZK_ZOK);
	assert_int_equal(dpzk_exists(zh, "/sy", 0, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_sync(zh, "/"), DPZK_ZOK);
	dpzk_close(w);
	dpzk_close(zh);
}

static void
test_whoami_lists_ip_and_digest(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct dpzk_client_info *who = NULL;
	int n = 0;
	bool ip = false, dig = false;

	(void)state;
	assert_int_equal(dpzk_whoami(zh, &who, &n), DPZK_ZOK);
	assert_true(n >= 1);
	for (int i = 0; i < n; i++)
		if (strcmp(who[i].scheme, "ip") == 0 &&
		    strcmp(who[i].user, "198.18.0.1") == 0)
			ip = true;
	assert_true(ip);
	dpzk_client_info_free(who, n);
	assert_int_equal(dpzk_add_auth(zh, "digest", "alice:secret", 12),
			 DPZK_ZOK);
	assert_int_equal(dpzk_whoami(zh, &who, &n), DPZK_ZOK);
	for (int i = 0; i < n; i++)
		if (strcmp(who[i].scheme, "digest") == 0 &&
		    strcmp(who[i].user, "alice") == 0)
			dig = true;
	assert_true(dig);
	/* ZooKeeper's order: the connection's ip first, then added auths */
	assert_int_equal(n, 2);
	assert_string_equal(who[0].scheme, "ip");
	assert_string_equal(who[1].scheme, "digest");
	dpzk_client_info_free(who, n);
	dpzk_close(zh);
}

static void
test_add_watch_persistent_fires_every_change(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh = conn(&ev);
	struct dpzk_handle *w = conn(NULL);

	(void)state;
	assert_int_equal(mk(w, "/pw", "0", 0), DPZK_ZOK);
	assert_int_equal(dpzk_add_watch(zh, "/pw", DPZK_ADD_WATCH_PERSISTENT,
					NULL, NULL),
			 DPZK_ZOK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dpzk_set(w, "/pw", "x", 1, -1, NULL),
				 DPZK_ZOK);
	assert_int_equal(mk(w, "/pw/kid", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(w, "/pw/kid/grandkid", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_delete(w, "/pw/kid/grandkid", -1), DPZK_ZOK);
	assert_int_equal(dpzk_delete(w, "/pw/kid", -1), DPZK_ZOK);
	assert_int_equal(dpzk_delete(w, "/pw", -1), DPZK_ZOK);
	assert_int_equal(mk(w, "/pw", "0", 0), DPZK_ZOK);
	assert_true(wait_event(zh, &ev, DPZK_CREATED_EVENT, "/pw", 3000));
	/* persistent (non-recursive) watch: data, children and existence of
	 * the node itself, nothing about grandchildren */
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/pw"), 3);
	assert_int_equal(it_events_count(&ev, DPZK_CHILD_EVENT, "/pw"), 2);
	assert_int_equal(it_events_count(&ev, DPZK_DELETED_EVENT, "/pw"), 1);
	assert_int_equal(it_events_count(&ev, DPZK_CREATED_EVENT, "/pw"), 1);
	assert_int_equal(it_events_count(&ev, DPZK_CHILD_EVENT, "/pw/kid"), 0);
	/* checkWatches sees it; removing it stops the events */
	assert_int_equal(dpzk_check_watches(zh, "/pw", DPZK_WATCHER_ANY),
			 DPZK_ZOK);
	assert_int_equal(
		dpzk_remove_watches(zh, "/pw", DPZK_WATCHER_ANY, NULL, NULL, 0),
		DPZK_ZOK);
	assert_int_equal(dpzk_set(w, "/pw", "y", 1, -1, NULL), DPZK_ZOK);
	it_pump(&zh, 1, 300, NULL);
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/pw"), 3);
	dpzk_close(w);
	dpzk_close(zh);
}

static void
test_add_watch_recursive_sees_descendants(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh = conn(&ev);
	struct dpzk_handle *w = conn(NULL);

	(void)state;
	assert_int_equal(mk(w, "/rw", NULL, 0), DPZK_ZOK);
	assert_int_equal(dpzk_add_watch(zh, "/rw",
					DPZK_ADD_WATCH_PERSISTENT_RECURSIVE,
					NULL, NULL),
			 DPZK_ZOK);
	assert_int_equal(mk(w, "/rw/a", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(w, "/rw/a/b", "1", 0), DPZK_ZOK);
	assert_int_equal(dpzk_set(w, "/rw/a/b", "2", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_delete(w, "/rw/a/b", -1), DPZK_ZOK);
	assert_int_equal(mk(w, "/rw-sibling", NULL, 0), DPZK_ZOK);
	assert_true(wait_event(zh, &ev, DPZK_DELETED_EVENT, "/rw/a/b", 3000));
	assert_int_equal(it_events_count(&ev, DPZK_CREATED_EVENT, "/rw/a"), 1);
	assert_int_equal(it_events_count(&ev, DPZK_CREATED_EVENT, "/rw/a/b"),
			 1);
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/rw/a/b"),
			 1);
	/* recursive watches carry no child events (ZooKeeper) */
	assert_int_equal(it_events_count(&ev, DPZK_CHILD_EVENT, "/rw"), 0);
	assert_int_equal(it_events_count(&ev, DPZK_CHILD_EVENT, "/rw/a"), 0);
	assert_int_equal(
		it_events_count(&ev, DPZK_CREATED_EVENT, "/rw-sibling"), 0);
	assert_int_equal(dpzk_check_watches(zh, "/rw",
					    DPZK_WATCHER_PERSISTENT_RECURSIVE),
			 DPZK_ZOK);
	dpzk_close(w);
	dpzk_close(zh);
}

static void
test_remove_and_check_watches_report_nowatcher(void **state)
{
	struct it_events ev = {0};
	struct dpzk_handle *zh = conn(&ev);
	char buf[8];
	int len = sizeof(buf);
	struct dpzk_strings s;

	(void)state;
	assert_int_equal(mk(zh, "/rm", "x", 0), DPZK_ZOK);
	assert_int_equal(dpzk_check_watches(zh, "/rm", DPZK_WATCHER_DATA),
			 DPZK_ZNOWATCHER);
	assert_int_equal(dpzk_get(zh, "/rm", 1, buf, &len, NULL), DPZK_ZOK);
	assert_int_equal(dpzk_get_children(zh, "/rm", 1, &s), DPZK_ZOK);
	dpzk_strings_free(&s);
	assert_int_equal(dpzk_check_watches(zh, "/rm", DPZK_WATCHER_DATA),
			 DPZK_ZOK);
	assert_int_equal(dpzk_check_watches(zh, "/rm", DPZK_WATCHER_CHILDREN),
			 DPZK_ZOK);
	assert_int_equal(dpzk_remove_watches(zh, "/rm", DPZK_WATCHER_DATA, NULL,
					     NULL, 0),
			 DPZK_ZOK);
	assert_int_equal(dpzk_check_watches(zh, "/rm", DPZK_WATCHER_DATA),
			 DPZK_ZNOWATCHER);
	assert_int_equal(dpzk_remove_watches(zh, "/rm", DPZK_WATCHER_DATA, NULL,
					     NULL, 0),
			 DPZK_ZNOWATCHER);
	/* the child watch is still there and still fires */
	assert_int_equal(dpzk_check_watches(zh, "/rm", DPZK_WATCHER_CHILDREN),
			 DPZK_ZOK);
	assert_int_equal(dpzk_set(zh, "/rm", "y", 1, -1, NULL), DPZK_ZOK);
	assert_int_equal(mk(zh, "/rm/k", NULL, 0), DPZK_ZOK);
	assert_true(wait_event(zh, &ev, DPZK_CHILD_EVENT, "/rm", 3000));
	assert_int_equal(it_events_count(&ev, DPZK_CHANGED_EVENT, "/rm"), 0);
	assert_int_equal(
		dpzk_remove_watches(zh, "/rm", DPZK_WATCHER_ANY, NULL, NULL, 0),
		DPZK_ZNOWATCHER);
	assert_int_equal(dpzk_check_watches(zh, "/rm-none", DPZK_WATCHER_ANY),
			 DPZK_ZNOWATCHER);
	dpzk_close(zh);
}

/* ------------------------------------------------------------------ */
/* What libdpzk has no call for: raw requests on proto/'s channel       */
/* ------------------------------------------------------------------ */

static uint8_t scratch[1 << 20];

static struct proto_reply_hdr
raw_call(struct it_raw *r, int32_t xid, const void *msg, size_t len, int32_t op,
	 struct proto_response *a)
{
	struct proto_reply_hdr h = {0};
	int i;

	assert_int_equal(it_raw_send_bytes(r, msg, len), 0);
	i = it_raw_wait_reply(r, xid, 5000);
	assert_true(i >= 0);
	assert_int_equal(
		it_raw_decode_reply(r, i, op, &h, a, scratch, sizeof(scratch)),
		0);
	return h;
}

static void
test_raw_multiread_results_are_independent(void **state)
{
	struct dpzk_handle *zh = conn(NULL);
	struct proto_request ops[3], q;
	struct proto_response a;
	struct proto_reply_hdr h;
	struct proto_wbuf w;
	struct it_raw r;
	uint8_t b[512];
	struct proto_req_hdr rh = {.xid = 1, .type = PROTO_OP_MULTIREAD};

	(void)state;
	assert_int_equal(mk(zh, "/mr", NULL, 0), DPZK_ZOK);
	assert_int_equal(mk(zh, "/mr/a", "A", 0), DPZK_ZOK);
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, 10000, 5000), 0);
	memset(ops, 0, sizeof(ops));
	ops[0].type = PROTO_OP_GETDATA;
	ops[0].path.p = (const uint8_t *)"/mr/a";
	ops[0].path.len = 5;
	ops[1].type = PROTO_OP_GETCHILDREN;
	ops[1].path.p = (const uint8_t *)"/mr";
	ops[1].path.len = 3;
	ops[2].type = PROTO_OP_GETDATA;
	ops[2].path.p = (const uint8_t *)"/mr/none";
	ops[2].path.len = 8;
	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_MULTIREAD;
	q.multi.n = 3;
	q.multi.ops = ops;
	proto_wbuf_init(&w, b, sizeof(b));
	proto_req_hdr_encode(&w, &rh);
	assert_int_equal(proto_request_encode(&w, &q), 0);
	h = raw_call(&r, 1, b, w.len, PROTO_OP_MULTIREAD, &a);
	assert_int_equal(h.err, 0);
	assert_int_equal(a.multi.n, 3);
	assert_int_equal(a.multi.r[0].type, PROTO_OP_GETDATA);
	assert_int_equal(a.multi.r[0].data.len, 1);
	assert_memory_equal(a.multi.r[0].data.p, "A", 1);
	assert_int_equal(a.multi.r[1].type, PROTO_OP_GETCHILDREN);
	assert_int_equal(a.multi.r[1].children.n, 1);
	assert_int_equal(a.multi.r[2].type, PROTO_OP_ERROR);
	assert_int_equal(a.multi.r[2].err, PROTO_ZNONODE);
	it_raw_close(&r);
	dpzk_close(zh);
}

static void
test_raw_unsupported_ops_are_unimplemented(void **state)
{
	struct it_raw r;
	struct proto_reply_hdr h;
	uint8_t b[64];
	struct proto_wbuf w;

	(void)state;
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, 10000, 5000), 0);
	/* check outside a multi: UNIMPLEMENTED (ZOOKEEPER-2623, 3.9.3) */
	{
		struct proto_req_hdr rh = {.xid = 1, .type = PROTO_OP_CHECK};

		proto_wbuf_init(&w, b, sizeof(b));
		proto_req_hdr_encode(&w, &rh);
		proto_put_cstr(&w, "/");
		proto_put_int(&w, -1);
		h = raw_call(&r, 1, b, w.len, 0, NULL);
		assert_int_equal(h.err, PROTO_ZUNIMPLEMENTED);
	}
	/* reconfig (disabled), and an unknown opcode */
	{
		struct proto_req_hdr rh = {.xid = 2, .type = PROTO_OP_RECONFIG};

		proto_wbuf_init(&w, b, sizeof(b));
		proto_req_hdr_encode(&w, &rh);
		proto_put_cstr(&w, NULL);
		proto_put_cstr(&w, NULL);
		proto_put_cstr(&w, NULL);
		proto_put_long(&w, -1);
		h = raw_call(&r, 2, b, w.len, 0, NULL);
		/* ZooKeeper without reconfigEnabled: RECONFIGDISABLED */
		assert_int_equal(h.err, PROTO_ZRECONFIGDISABLED);
	}
	/* ZooKeeper's own ping record is answered (xid -2) */
	{
		struct proto_req_hdr rh = {.xid = PROTO_XID_PING,
					   .type = PROTO_OP_PING};

		proto_wbuf_init(&w, b, sizeof(b));
		proto_req_hdr_encode(&w, &rh);
		h = raw_call(&r, PROTO_XID_PING, b, w.len, 0, NULL);
		assert_int_equal(h.err, 0);
	}
	/* a request body that does not decode: an error, and the session
	 * goes on */
	{
		struct proto_req_hdr rh = {.xid = 4, .type = PROTO_OP_GETDATA};
		struct proto_request q = {.type = PROTO_OP_EXISTS};

		proto_wbuf_init(&w, b, sizeof(b));
		proto_req_hdr_encode(&w, &rh);
		proto_put_int(&w, 1000); /* a path length past the end */
		h = raw_call(&r, 4, b, w.len, 0, NULL);
		assert_int_not_equal(h.err, 0);
		q.path.p = (const uint8_t *)"/";
		q.path.len = 1;
		assert_int_equal(it_raw_send(&r, 5, &q), 0);
		assert_true(it_raw_wait_reply(&r, 5, 5000) >= 0);
	}
	/* an opcode ZooKeeper does not know: UNIMPLEMENTED
	 * (UnimplementedRequestProcessor) */
	{
		struct proto_req_hdr rh = {.xid = 6, .type = 99};

		proto_wbuf_init(&w, b, sizeof(b));
		proto_req_hdr_encode(&w, &rh);
		h = raw_call(&r, 6, b, w.len, 0, NULL);
		assert_int_equal(h.err, PROTO_ZUNIMPLEMENTED);
	}
	it_raw_close(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_persistent_returns_path_and_stat),
		cmocka_unit_test(
			test_create_sequential_names_follow_parent_cversion),
		cmocka_unit_test(test_sequential_create_of_parent_slash),
		cmocka_unit_test(test_null_data_reads_back_as_null),
		cmocka_unit_test(test_ephemeral_owned_by_session_and_childless),
		cmocka_unit_test(test_container_deleted_after_last_child_goes),
		cmocka_unit_test(test_ttl_node_expires_when_untouched),
		cmocka_unit_test(test_delete_checks_version_and_children),
		cmocka_unit_test(test_exists_watch_fires_on_create_and_delete),
		cmocka_unit_test(test_get_set_follow_versions),
		cmocka_unit_test(test_children_and_children2),
		cmocka_unit_test(test_acl_digest_auth_and_noauth),
		cmocka_unit_test(test_addauth_unknown_scheme_ends_session),
		cmocka_unit_test(test_get_ephemerals_by_prefix),
		cmocka_unit_test(
			test_get_all_children_number_counts_descendants),
		cmocka_unit_test(test_multi_success_returns_each_result),
		cmocka_unit_test(test_multi_failure_applies_nothing),
		cmocka_unit_test(test_sync_then_read),
		cmocka_unit_test(test_whoami_lists_ip_and_digest),
		cmocka_unit_test(test_add_watch_persistent_fires_every_change),
		cmocka_unit_test(test_add_watch_recursive_sees_descendants),
		cmocka_unit_test(
			test_remove_and_check_watches_report_nowatcher),
		cmocka_unit_test(test_raw_multiread_results_are_independent),
		cmocka_unit_test(test_raw_unsupported_ops_are_unimplemented),
	};

	it_deadline(150);
	return cmocka_run_group_tests_name("integration_ops", tests, NULL,
					   NULL);
}
