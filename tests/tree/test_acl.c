/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/tree/test_acl.c — ACLs: the permission each op needs, every scheme
 * (world, digest, ip with and without /bits, auth, super), INVALIDACL on
 * bad lists, setACL versions, getACL redaction, and the digest helper's
 * SHA-1/base64 against known values.
 */
#include "tree_test.h"

static struct proto_id bob_id = {
	.scheme = {(const uint8_t *)"digest", 6},
	.id = {(const uint8_t *)"bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", 32}};

static struct tree_client
bob(void)
{
	struct tree_client c = {.session_id = 50, .n_ids = 1, .ids = &bob_id};
	return c;
}

static int32_t
mk_acl(struct env *e, const struct tree_client *c, const char *path,
       struct proto_acl *acl, int n)
{
	struct proto_request q = {.type = PROTO_OP_CREATE,
				  .path = V(path),
				  .data = V("d"),
				  .acl = {.n = n, .v = acl},
				  .flags = 0};
	return wr(e, c, &q);
}

static struct proto_acl
A(int perms, const char *scheme, const char *id) {
	struct proto_acl a = {.perms = perms,
			      .id = {.scheme = V(scheme), .id = V(id)}};
	return a;
}

static void
digest_helper_matches_zookeeper(void **st_)
{
	(void)st_;
	char out[256];
	int n = tree_auth_digest(NULL, "bob:secret", 10, out, sizeof(out),
				 NULL);
	assert_int_equal(n, 32);
	assert_string_equal(out, "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=");
	assert_int_equal(tree_auth_digest(NULL, "super:test", 10, out,
					  sizeof(out), NULL),
			 34);
	assert_string_equal(out, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
	/* longer than one SHA-1 block */
	char big[132];
	memset(big, 'a', 100);
	big[100] = ':';
	memset(big + 101, 'b', 30);
	big[131] = 0;
	n = tree_auth_digest(NULL, big, 131, out, sizeof(out), NULL);
	assert_int_equal(n, 101 + 28);
	assert_string_equal(out + 101, "NV0QZKirQuyrd0V9O34RPp3BrUY=");
	assert_int_equal(
		tree_auth_digest(NULL, "nocolon", 7, out, sizeof(out), NULL),
		-EINVAL);
	assert_int_equal(tree_auth_digest(NULL, "bob:secret", 10, out, 8, NULL),
			 -ENOSPC);
}

static void
super_digest_is_recognised(void **st_)
{
	(void)st_;
	struct tree_opts o;
	tree_opts_default(&o);
	o.arena_mode = TREE_ARENA_PAGES_ONLY;
	o.super_digest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";
	struct env *e = env_new_opts(&o);
	char out[64];
	bool sup = false;
	tree_auth_digest(e->t, "super:test", 10, out, sizeof(out), &sup);
	assert_true(sup);
	tree_auth_digest(e->t, "super:nope", 10, out, sizeof(out), &sup);
	assert_false(sup);
	env_free(e);
}

static void
empty_or_bad_acl_is_invalidacl(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	assert_int_equal(mk_acl(e, &c, "/a", NULL, 0), PROTO_ZINVALIDACL);
	struct proto_acl bad[] = {
		A(31, "world", "someone"),  A(31, "nosuch", "x"),
		A(31, "digest", "nocolon"), A(31, "digest", "a:b:c"),
		A(31, "ip", "300.1.1.1"),   A(31, "ip", "10.0.0.0/33"),
		A(31, "ip", "10.0.0"),	    A(31, "ip", "10.0.0.1/x"),
		A(31, "auth", ""),	    A(31, "super", "")};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mk_acl(e, &c, "/a", &bad[i], 1),
				 PROTO_ZINVALIDACL);
	struct proto_acl good[] = {A(31, "ip", "10.0.0.0/8"),
				   A(31, "ip", "::1"), A(31, "digest", "u:x")};
	assert_int_equal(mk_acl(e, &c, "/a", good, 3), 0);
	env_free(e);
}

static void
create_needs_create_on_parent(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl a =
		A(PROTO_PERM_ALL & ~PROTO_PERM_CREATE, "world", "anyone");
	assert_int_equal(mk_acl(e, &c, "/p", &a, 1), 0);
	assert_int_equal(mk(e, 0, "/p/c", "", 0), PROTO_ZNOAUTH);
	env_free(e);
}

static void
delete_needs_delete_on_parent(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl a =
		A(PROTO_PERM_ALL & ~PROTO_PERM_DELETE, "world", "anyone");
	assert_int_equal(mk_acl(e, &c, "/p", &a, 1), 0);
	assert_int_equal(mk(e, 0, "/p/c", "", 0), 0);
	assert_int_equal(del(e, 0, "/p/c", -1), PROTO_ZNOAUTH);
	/* the node's own ACL does not matter for its deletion */
	assert_int_equal(del(e, 0, "/p", -1), PROTO_ZNOTEMPTY);
	env_free(e);
}

static void
setdata_needs_write(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl a = A(PROTO_PERM_READ, "world", "anyone");
	assert_int_equal(mk_acl(e, &c, "/p", &a, 1), 0);
	assert_int_equal(setd(e, 0, "/p", "x", -1), PROTO_ZNOAUTH);
	env_free(e);
}

static void
reads_need_read(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl a = A(PROTO_PERM_WRITE, "world", "anyone");
	assert_int_equal(mk_acl(e, &c, "/p", &a, 1), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_GETDATA, "/p", false),
			 PROTO_ZNOAUTH);
	assert_int_equal(rd(e, 0, PROTO_OP_GETCHILDREN, "/p", false),
			 PROTO_ZNOAUTH);
	assert_int_equal(rd(e, 0, PROTO_OP_GETCHILDREN2, "/p", false),
			 PROTO_ZNOAUTH);
	assert_int_equal(rd(e, 0, PROTO_OP_GETALLCHILDRENNUMBER, "/p", false),
			 PROTO_ZNOAUTH);
	assert_int_equal(rd(e, 0, PROTO_OP_GETACL, "/p", false), PROTO_ZNOAUTH);
	/* exists needs READ too once the node exists (ZooKeeper 3.9) */
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/p", true), PROTO_ZNOAUTH);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/q", false), PROTO_ZNONODE);
	struct tree_stats s;
	tree_get_stats(e->t, &s);
	assert_int_equal(s.watches, 0);
	env_free(e);
}

static int32_t
setacl(struct env *e, const struct tree_client *c, const char *path,
       struct proto_acl *acl, int n, int32_t version)
{
	struct proto_request q = {.type = PROTO_OP_SETACL,
				  .path = V(path),
				  .acl = {.n = n, .v = acl},
				  .version = version};
	return wr(e, c, &q);
}

static void
setacl_needs_admin_and_checks_aversion(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl ro = A(PROTO_PERM_READ, "world", "anyone");
	struct proto_acl all = A(PROTO_PERM_ALL, "world", "anyone");
	assert_int_equal(mk(e, 0, "/p", "", 0), 0);
	assert_int_equal(setacl(e, &c, "/p", &all, 1, 3), PROTO_ZBADVERSION);
	assert_int_equal(setacl(e, &c, "/p", &ro, 1, 0), 0);
	assert_int_equal(e->resp.stat.aversion, 1);
	assert_int_equal(setacl(e, &c, "/p", &all, 1, -1), PROTO_ZNOAUTH);
	assert_int_equal(setacl(e, &c, "/nope", &all, 1, -1), PROTO_ZNONODE);
	assert_int_equal(setacl(e, &c, "/p", NULL, 0, -1), PROTO_ZINVALIDACL);
	assert_int_equal(rd(e, 0, PROTO_OP_GETACL, "/p", false), 0);
	assert_int_equal(e->resp.acl.n, 1);
	assert_int_equal(e->resp.acl.v[0].perms, PROTO_PERM_READ);
	assert_int_equal(e->resp.stat.aversion, 1);
	env_free(e);
}

static void
digest_scheme_grants_matching_id(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0), b = bob();
	struct proto_acl a =
		A(PROTO_PERM_ALL, "digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=");
	assert_int_equal(mk_acl(e, &c, "/p", &a, 1), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_GETDATA, "/p", false),
			 PROTO_ZNOAUTH);
	struct proto_request q = {.type = PROTO_OP_GETDATA, .path = V("/p")};
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_read(e->t, &b, &q, &e->resp, &zerr, &e->s), 0);
	assert_int_equal(zerr, 0);
	struct proto_request s = {.type = PROTO_OP_SETDATA,
				  .path = V("/p"),
				  .data = V("x"),
				  .version = -1};
	assert_int_equal(wr(e, &b, &s), 0);
	env_free(e);
}

static void
ip_scheme_matches_address_and_prefix(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl a[2] = {A(PROTO_PERM_READ, "ip", "10.0.0.0/8"),
				 A(PROTO_PERM_WRITE, "ip", "192.168.1.7")};
	assert_int_equal(mk_acl(e, &c, "/p", a, 2), 0);
	struct proto_id ids[3] = {{.scheme = V("ip"), .id = V("10.1.2.3")},
				  {.scheme = V("ip"), .id = V("11.1.2.3")},
				  {.scheme = V("ip"), .id = V("192.168.1.7")}};
	struct proto_request q = {.type = PROTO_OP_GETDATA, .path = V("/p")};
	int32_t zerr;
	for (int i = 0; i < 3; i++) {
		struct tree_client x = {
			.session_id = 1, .n_ids = 1, .ids = &ids[i]};
		scr(e);
		assert_int_equal(
			tree_read(e->t, &x, &q, &e->resp, &zerr, &e->s), 0);
		assert_int_equal(zerr, i == 0 ? 0 : PROTO_ZNOAUTH);
	}
	struct tree_client w = {.session_id = 1, .n_ids = 1, .ids = &ids[2]};
	struct proto_request s = {.type = PROTO_OP_SETDATA,
				  .path = V("/p"),
				  .data = V("x"),
				  .version = -1};
	assert_int_equal(wr(e, &w, &s), 0);
	env_free(e);
}

static void
auth_scheme_expands_to_session_ids(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client b = bob(), c = cl(0);
	struct proto_acl a = A(PROTO_PERM_ALL, "auth", "");
	assert_int_equal(mk_acl(e, &c, "/p", &a, 1), PROTO_ZINVALIDACL);
	assert_int_equal(mk_acl(e, &b, "/p", &a, 1), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_EXISTS, "/p", false), PROTO_ZNOAUTH);
	struct proto_request q = {.type = PROTO_OP_GETACL, .path = V("/p")};
	int32_t zerr;
	scr(e);
	assert_int_equal(tree_read(e->t, &b, &q, &e->resp, &zerr, &e->s), 0);
	assert_int_equal(zerr, 0);
	assert_int_equal(e->resp.acl.n, 1);
	assert_int_equal(e->resp.acl.v[0].id.scheme.len, 6);
	assert_memory_equal(e->resp.acl.v[0].id.id.p,
			    "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", 32);
	/* ip ids are not "authenticated" for the auth scheme */
	struct proto_id ip = {.scheme = V("ip"), .id = V("1.2.3.4")};
	struct tree_client x = {.session_id = 1, .n_ids = 1, .ids = &ip};
	assert_int_equal(mk_acl(e, &x, "/q", &a, 1), PROTO_ZINVALIDACL);
	env_free(e);
}

static void
super_bypasses_every_acl(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl a = A(PROTO_PERM_READ, "digest", "x:y");
	assert_int_equal(mk_acl(e, &c, "/p", &a, 1), 0);
	struct proto_id sup = {.scheme = V("super"), .id = V("")};
	struct tree_client s = {.session_id = 1, .n_ids = 1, .ids = &sup};
	struct proto_request q = {.type = PROTO_OP_SETDATA,
				  .path = V("/p"),
				  .data = V("x"),
				  .version = -1};
	assert_int_equal(wr(e, &s, &q), 0);
	assert_int_equal(wr(e, &c, &q), PROTO_ZNOAUTH);
	env_free(e);
}

static void
getacl_without_admin_hides_digests(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl a[2] = {A(PROTO_PERM_READ, "world", "anyone"),
				 A(PROTO_PERM_ALL, "digest", "bob:secrethash")};
	assert_int_equal(mk_acl(e, &c, "/p", a, 2), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_GETACL, "/p", false), 0);
	assert_int_equal(e->resp.acl.n, 2);
	assert_int_equal(e->resp.acl.v[1].id.id.len, 5);
	assert_memory_equal(e->resp.acl.v[1].id.id.p, "bob:x", 5);
	env_free(e);
}

static void
duplicate_acl_entries_are_dropped(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl a[2] = {A(PROTO_PERM_ALL, "world", "anyone"),
				 A(PROTO_PERM_ALL, "world", "anyone")};
	assert_int_equal(mk_acl(e, &c, "/p", a, 2), 0);
	assert_int_equal(rd(e, 0, PROTO_OP_GETACL, "/p", false), 0);
	assert_int_equal(e->resp.acl.n, 1);
	env_free(e);
}

static void
multi_ops_are_acl_checked(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_client c = cl(0);
	struct proto_acl ro = A(PROTO_PERM_READ, "world", "anyone");
	assert_int_equal(mk_acl(e, &c, "/p", &ro, 1), 0);
	struct proto_request ops[1] = {{.type = PROTO_OP_CREATE,
					.path = V("/p/x"),
					.data = V(""),
					.acl = world_vec}};
	struct proto_request q = {.type = PROTO_OP_MULTI,
				  .multi = {.n = 1, .ops = ops}};
	assert_int_equal(wr(e, &c, &q), 0);
	assert_int_equal(e->resp.multi.r[0].err, PROTO_ZNOAUTH);
	env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digest_helper_matches_zookeeper),
		cmocka_unit_test(super_digest_is_recognised),
		cmocka_unit_test(empty_or_bad_acl_is_invalidacl),
		cmocka_unit_test(create_needs_create_on_parent),
		cmocka_unit_test(delete_needs_delete_on_parent),
		cmocka_unit_test(setdata_needs_write),
		cmocka_unit_test(reads_need_read),
		cmocka_unit_test(setacl_needs_admin_and_checks_aversion),
		cmocka_unit_test(digest_scheme_grants_matching_id),
		cmocka_unit_test(ip_scheme_matches_address_and_prefix),
		cmocka_unit_test(auth_scheme_expands_to_session_ids),
		cmocka_unit_test(super_bypasses_every_acl),
		cmocka_unit_test(getacl_without_admin_hides_digests),
		cmocka_unit_test(duplicate_acl_entries_are_dropped),
		cmocka_unit_test(multi_ops_are_acl_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
