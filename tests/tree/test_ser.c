/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/tree/test_ser.c — the snapshot stream and replay: round trip,
 * canonical bytes, applying every txn twice, a fuzzy snapshot taken in
 * slices while txns apply and then fixed by replay, resumable steps, and
 * rejection of bad streams.
 */
#include "tree_test.h"

/* A log of encoded txns. */
struct log {
	uint8_t *buf[4096];
	size_t len[4096];
	int64_t zxid[4096];
	int n;
};

static void
log_txn(struct log *l, const struct proto_txn *x)
{
	uint8_t tmp[1 << 16];
	struct proto_wbuf w;
	proto_wbuf_init(&w, tmp, sizeof(tmp));
	assert_int_equal(proto_txn_encode(&w, x), 0);
	assert_true(l->n < 4096);
	l->buf[l->n] = malloc(w.len);
	memcpy(l->buf[l->n], tmp, w.len);
	l->len[l->n] = w.len;
	l->zxid[l->n] = x->hdr.zxid;
	l->n++;
}

static void
log_free(struct log *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->buf[i]);
	l->n = 0;
}

static void
apply_raw(struct tree *t, const uint8_t *p, size_t len)
{
	static uint8_t sc[1 << 16], sc2[1 << 16];
	struct proto_scratch s, s2;
	proto_scratch_init(&s, sc, sizeof(sc));
	proto_scratch_init(&s2, sc2, sizeof(sc2));
	struct proto_txn x;
	assert_int_equal(proto_txn_decode(p, len, &x, &s), 0);
	struct proto_response r;
	int32_t zerr;
	assert_int_equal(tree_apply(t, &x, &r, &zerr, &s2), 0);
}

static uint64_t rng = 88172645463325252ULL;
static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* One random write (or session change) prepped against e and logged; not
 * applied: *x is returned for the caller to apply.  Returns false when
 * prep refused it. */
static bool
gen(struct env *e, struct log *l, struct proto_txn *x)
{
	static char p1[64], p2[64];
	static const char *names[] = {"a", "b", "c", "d"};
	static struct proto_acl ro = {
		.perms = PROTO_PERM_READ | PROTO_PERM_WRITE |
			 PROTO_PERM_CREATE | PROTO_PERM_DELETE |
			 PROTO_PERM_ADMIN,
		.id = {.scheme = {(const uint8_t *)"ip", 2},
		       .id = {(const uint8_t *)"10.0.0.0/8", 10}}};
	scr(e);
	e->zxid++;
	e->now += 7;
	uint32_t k = rnd(100);
	int64_t sid = 1 + rnd(3);
	if (k < 4) {
		uint8_t pw[16] = {(uint8_t)sid};
		tree_prep_create_session(e->t, sid, 1000, pw, e->zxid, e->now,
					 x);
		log_txn(l, x);
		return true;
	}
	if (k < 6) {
		assert_int_equal(tree_prep_close_session(e->t, sid, 0, e->zxid,
							 e->now, x),
				 0);
		log_txn(l, x);
		return true;
	}
	int depth = 1 + (int)rnd(3);
	int o = 0;
	for (int i = 0; i < depth; i++)
		o += snprintf(p1 + o, sizeof(p1) - (size_t)o, "/%s",
			      names[rnd(4)]);
	strcpy(p2, p1);
	strcat(p2, "/z");
	struct tree_client c = cl(sid);
	struct proto_request ops[3], q;
	memset(&q, 0, sizeof(q));
	static char data[32];
	snprintf(data, sizeof(data), "v%u", rnd(1000));
	if (k < 45) {
		static const int modes[] = {0, 0, 0, 1, 2, 3, 4};
		q = (struct proto_request){.type = PROTO_OP_CREATE2,
					   .path = V(p1),
					   .data = V(data),
					   .acl = world_vec,
					   .flags = modes[rnd(7)]};
		if (q.flags == 4)
			q.type = PROTO_OP_CREATECONTAINER;
		if (rnd(10) == 0)
			q.acl = (struct proto_acl_vec){.n = 1, .v = &ro};
	} else if (k < 65) {
		q = (struct proto_request){
			.type = PROTO_OP_DELETE, .path = V(p1), .version = -1};
	} else if (k < 85) {
		q = (struct proto_request){.type = PROTO_OP_SETDATA,
					   .path = V(p1),
					   .data = V(data),
					   .version = -1};
	} else if (k < 90) {
		q = (struct proto_request){.type = PROTO_OP_SETACL,
					   .path = V(p1),
					   .acl = world_vec,
					   .version = -1};
	} else {
		ops[0] = (struct proto_request){.type = PROTO_OP_CREATE,
						.path = V(p1),
						.data = V(data),
						.acl = world_vec};
		ops[1] = (struct proto_request){.type = PROTO_OP_CREATE,
						.path = V(p2),
						.data = V(data),
						.acl = world_vec};
		ops[2] = (struct proto_request){.type = PROTO_OP_SETDATA,
						.path = V(p2),
						.data = V("m"),
						.version = -1};
		q = (struct proto_request){.type = PROTO_OP_MULTI,
					   .multi = {.n = 3, .ops = ops}};
	}
	int32_t zerr;
	assert_int_equal(tree_prep(e->t, &c, (int32_t)e->zxid, &q, e->zxid,
				   e->now, x, &zerr, &e->s),
			 0);
	if (zerr != 0) {
		e->zxid--;
		return false;
	}
	log_txn(l, x);
	return true;
}

static struct env *
workload(struct log *l, int n)
{
	struct env *e = env_new();
	for (int64_t s = 1; s <= 3; s++)
		session(e, s); /* not logged: replicas start from here too */
	l->n = 0;
	for (int i = 0; i < n; i++) {
		struct proto_txn x;
		if (gen(e, l, &x))
			apply_raw(e->t, l->buf[l->n - 1], l->len[l->n - 1]);
	}
	return e;
}

static struct env *
replica(void)
{
	struct env *e = env_new();
	for (int64_t s = 1; s <= 3; s++)
		session(e, s);
	return e;
}

static void
assert_blob_equal(struct blob a, struct blob b)
{
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.b, b.b, a.len);
}

static struct tree *
load(struct blob b, size_t piece)
{
	struct tree_opts o;
	tree_opts_default(&o);
	o.arena_mode = TREE_ARENA_PAGES_ONLY;
	o.arena_chunk = 4 << 20;
	struct tree *t = tree_create(&o);
	assert_non_null(t);
	struct tree_load *ld = tree_load_begin(t);
	assert_non_null(ld);
	for (size_t off = 0; off < b.len; off += piece) {
		size_t n = b.len - off < piece ? b.len - off : piece;
		assert_int_equal(tree_load_feed(ld, b.b + off, n), 0);
	}
	assert_int_equal(tree_load_end(ld), 0);
	return t;
}

static void
snapshot_round_trip_is_byte_identical(void **st_)
{
	(void)st_;
	struct log l;
	struct env *e = workload(&l, 1500);
	struct blob a = ser(e->t);
	struct tree *t = load(a, 777);
	struct blob b = ser(t);
	assert_blob_equal(a, b);
	struct tree_stats s1, s2;
	tree_get_stats(e->t, &s1);
	tree_get_stats(t, &s2);
	assert_int_equal(s1.nodes, s2.nodes);
	assert_int_equal(s1.ephemerals, s2.ephemerals);
	assert_int_equal(s1.data_bytes, s2.data_bytes);
	assert_int_equal(s1.last_zxid, s2.last_zxid);
	assert_true(s1.nodes > 20);
	free(a.b);
	free(b.b);
	tree_destroy(t);
	log_free(&l);
	env_free(e);
}

static void
replicas_applying_same_txns_serialize_identically(void **st_)
{
	(void)st_;
	struct log l;
	struct env *e = workload(&l, 1500);
	struct env *r = replica();
	for (int i = 0; i < l.n; i++)
		apply_raw(r->t, l.buf[i], l.len[i]);
	struct blob a = ser(e->t), b = ser(r->t);
	assert_blob_equal(a, b);
	free(a.b);
	free(b.b);
	log_free(&l);
	env_free(r);
	env_free(e);
}

static void
applying_every_txn_twice_leaves_identical_tree(void **st_)
{
	(void)st_;
	struct log l;
	struct env *e = workload(&l, 1500);
	struct env *r = replica();
	for (int i = 0; i < l.n; i++) {
		apply_raw(r->t, l.buf[i], l.len[i]);
		apply_raw(r->t, l.buf[i], l.len[i]);
	}
	struct blob a = ser(e->t), b = ser(r->t);
	assert_blob_equal(a, b);
	free(a.b);
	free(b.b);
	log_free(&l);
	env_free(r);
	env_free(e);
}

static int
collect_any(void *arg, const void *p, size_t len)
{
	return collect(arg, p, len);
}

static void
fuzzy_snapshot_plus_replay_equals_final_tree(void **st_)
{
	(void)st_;
	for (int round = 0; round < 4; round++) {
		struct log l;
		struct env *e = workload(&l, 800);
		int64_t z0;
		struct tree_ser *s = tree_ser_begin(e->t, &z0);
		assert_non_null(s);
		assert_int_equal(z0, e->zxid);
		int first = l.n;
		struct blob snap = {0};
		int rc = 1, i = 0;
		while (rc > 0 || i < 600) {
			if (rc > 0)
				rc = tree_ser_step(s, 1 + (unsigned)round,
						   collect_any, &snap);
			assert_true(rc >= 0);
			if (i < 600) {
				struct proto_txn x;
				if (gen(e, &l, &x))
					apply_raw(e->t, l.buf[l.n - 1],
						  l.len[l.n - 1]);
				i++;
			}
		}
		tree_ser_end(s);
		struct tree *t = load(snap, 4096);
		struct tree_stats st0;
		tree_get_stats(t, &st0);
		assert_int_equal(st0.last_zxid, z0);
		for (int k = first; k < l.n; k++) {
			assert_true(l.zxid[k] > z0);
			apply_raw(t, l.buf[k], l.len[k]);
		}
		struct blob a = ser(e->t), b = ser(t);
		assert_blob_equal(a, b);
		free(a.b);
		free(b.b);
		free(snap.b);
		tree_destroy(t);
		log_free(&l);
		env_free(e);
	}
}

static void
small_steps_write_the_same_stream(void **st_)
{
	(void)st_;
	struct log l;
	struct env *e = workload(&l, 500);
	struct blob a = ser(e->t), b = {0};
	struct tree_ser *s = tree_ser_begin(e->t, NULL);
	int rc, steps = 0;
	while ((rc = tree_ser_step(s, 1, collect_any, &b)) > 0)
		steps++;
	assert_int_equal(rc, 0);
	assert_true(steps > 10);
	tree_ser_end(s);
	assert_blob_equal(a, b);
	free(a.b);
	free(b.b);
	log_free(&l);
	env_free(e);
}

static void
snapshot_keeps_exactly_once_records(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	session(e, 9);
	assert_int_equal(mk(e, 9, "/a", "x", 0), 0);
	int32_t xid = e->last_txn.hdr.xid;
	struct blob a = ser(e->t);
	struct tree *t = load(a, 5);
	int64_t z;
	int32_t err;
	const uint8_t *body;
	size_t bl;
	assert_int_equal(
		tree_session_last_reply(t, 9, xid, &z, &err, &body, &bl), 0);
	assert_int_equal(z, e->zxid);
	assert_int_equal(bl, 4 + 2 + 68);
	assert_true(tree_session_exists(t, 9));
	free(a.b);
	tree_destroy(t);
	env_free(e);
}

static void
large_data_round_trips(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	static char big[PROTO_JUTE_MAXBUFFER - 100];
	memset(big, 'q', sizeof(big) - 1);
	assert_int_equal(mk(e, 0, "/big", big, 0), 0);
	struct blob a = ser(e->t);
	struct tree *t = load(a, 100000);
	struct blob b = ser(t);
	assert_blob_equal(a, b);
	free(a.b);
	free(b.b);
	tree_destroy(t);
	env_free(e);
}

static void
load_rejects_bad_streams(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "x", 0), 0);
	assert_int_equal(mk(e, 0, "/a/b", "x", 0), 0);
	struct blob a = ser(e->t);
	/* truncated */
	for (size_t cut = 0; cut < a.len; cut += 7) {
		struct tree *t = tree_create(NULL);
		struct tree_load *ld = tree_load_begin(t);
		tree_load_feed(ld, a.b, cut);
		assert_int_not_equal(tree_load_end(ld), 0);
		tree_destroy(t);
	}
	/* corrupted bytes: never crash; most are rejected */
	int rejected = 0;
	for (size_t i = 0; i < a.len; i++) {
		uint8_t *c = malloc(a.len);
		memcpy(c, a.b, a.len);
		c[i] ^= 0x5a;
		struct tree *t = tree_create(NULL);
		struct tree_load *ld = tree_load_begin(t);
		tree_load_feed(ld, c, a.len);
		rejected += tree_load_end(ld) != 0;
		tree_destroy(t);
		free(c);
	}
	assert_int_equal(rejected, (int)a.len);
	free(a.b);
	env_free(e);
}

static void
load_into_used_tree_is_eexist(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	assert_int_equal(mk(e, 0, "/a", "x", 0), 0);
	struct blob a = ser(e->t);
	struct tree_load *ld = tree_load_begin(e->t);
	assert_int_equal(tree_load_feed(ld, a.b, a.len), -EEXIST);
	assert_int_equal(tree_load_end(ld), -EEXIST);
	free(a.b);
	env_free(e);
}

static int
fail_write(void *arg, const void *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
	return -EIO;
}

static void
write_error_aborts_the_step(void **st_)
{
	(void)st_;
	struct env *e = env_new();
	struct tree_ser *s = tree_ser_begin(e->t, NULL);
	assert_int_equal(tree_ser_step(s, 100, fail_write, NULL), -EIO);
	tree_ser_end(s);
	env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot_round_trip_is_byte_identical),
		cmocka_unit_test(
			replicas_applying_same_txns_serialize_identically),
		cmocka_unit_test(
			applying_every_txn_twice_leaves_identical_tree),
		cmocka_unit_test(fuzzy_snapshot_plus_replay_equals_final_tree),
		cmocka_unit_test(small_steps_write_the_same_stream),
		cmocka_unit_test(snapshot_keeps_exactly_once_records),
		cmocka_unit_test(large_data_round_trips),
		cmocka_unit_test(load_rejects_bad_streams),
		cmocka_unit_test(load_into_used_tree_is_eexist),
		cmocka_unit_test(write_error_aborts_the_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
