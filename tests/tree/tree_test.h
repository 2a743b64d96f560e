/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/tree/tree_test.h — helpers shared by the tree's unit tests: a tree
 * with an event recorder, and one-line writes that go the whole way a real
 * write goes (prep -> txn encode -> txn decode -> apply), so the tests also
 * prove the tree and proto's txn codec agree.
 */
#ifndef TREE_TEST_H
#define TREE_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tree/tree.h"

#define MAXEV 256

struct ev {
	int64_t sid;
	int32_t type;
	char path[128];
	int64_t zxid;
};

struct env {
	struct tree *t;
	int64_t zxid;
	int64_t now;
	struct ev ev[MAXEV];
	int nev;
	uint8_t scratch[1 << 16];
	uint8_t scratch2[1 << 16];
	uint8_t txbuf[1 << 21];
	struct proto_scratch s, s2;
	struct proto_response resp;
	struct proto_txn last_txn;
	int32_t prep_err;
};

static struct proto_acl world_all = {
	.perms = PROTO_PERM_ALL,
	.id = {.scheme = {(const uint8_t *)"world", 5},
	       .id = {(const uint8_t *)"anyone", 6}}};
static struct proto_acl_vec world_vec = {.n = 1, .v = &world_all};

static inline struct proto_view
V(const char *s) {
	struct proto_view v = {(const uint8_t *)s, s ? (int32_t)strlen(s) : -1};
	return v;
}

static void
rec_event(void *arg, int64_t sid, const struct proto_watcher_event *e,
	  int64_t zxid)
{
	struct env *en = arg;
	if (en->nev >= MAXEV)
		return;
	struct ev *x = &en->ev[en->nev++];
	x->sid = sid;
	x->type = e->type;
	x->zxid = zxid;
	size_t l = (size_t)e->path.len < sizeof(x->path) - 1
			   ? (size_t)e->path.len
			   : sizeof(x->path) - 1;
	memcpy(x->path, e->path.p, l);
	x->path[l] = 0;
}

static inline struct env *
env_new_opts(struct tree_opts *o)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	o->event_fn = rec_event;
	o->event_arg = e;
	if (o->arena_chunk == 0)
		o->arena_chunk = 4 << 20;
	e->t = tree_create(o);
	assert_non_null(e->t);
	e->now = 1700000000000LL;
	return e;
}

static inline struct env *
env_new(void)
{
	struct tree_opts o;
	tree_opts_default(&o);
	o.arena_mode = TREE_ARENA_PAGES_ONLY;
	return env_new_opts(&o);
}

static inline void
env_free(struct env *e)
{
	tree_destroy(e->t);
	free(e);
}

static inline void
scr(struct env *e)
{
	proto_scratch_init(&e->s, e->scratch, sizeof(e->scratch));
	proto_scratch_init(&e->s2, e->scratch2, sizeof(e->scratch2));
}

/* Applies a txn after an encode/decode round trip through proto. */
static inline int32_t
apply_txn(struct env *e, const struct proto_txn *x)
{
	struct proto_wbuf w;
	proto_wbuf_init(&w, e->txbuf, sizeof(e->txbuf));
	assert_int_equal(proto_txn_encode(&w, x), 0);
	struct proto_txn d;
	assert_int_equal(proto_txn_decode(e->txbuf, w.len, &d, &e->s2), 0);
	int32_t zerr = 0;
	assert_int_equal(tree_apply(e->t, &d, &e->resp, &zerr, &e->s2), 0);
	return zerr;
}

/* A write from session sid (auth ids optional): prep, then apply.  Returns
 * prep's error if it failed, else apply's. */
static inline int32_t
wr(struct env *e, const struct tree_client *c, const struct proto_request *q)
{
	scr(e);
	struct proto_txn x;
	int32_t zerr = 0;
	e->zxid++;
	e->now += 10;
	int rc = tree_prep(e->t, c, (int32_t)e->zxid, q, e->zxid, e->now, &x,
			   &zerr, &e->s);
	assert_int_equal(rc, 0);
	e->prep_err = zerr;
	if (zerr != 0) {
		e->zxid--;
		return zerr;
	}
	e->last_txn = x;
	return apply_txn(e, &x);
}

static inline struct tree_client
cl(int64_t sid)
{
	struct tree_client c = {.session_id = sid};
	return c;
}

static inline int32_t
mk(struct env *e, int64_t sid, const char *path, const char *data, int flags)
{
	struct tree_client c = cl(sid);
	struct proto_request q = {.type = PROTO_OP_CREATE2,
				  .path = V(path),
				  .data = V(data),
				  .acl = world_vec,
				  .flags = flags};
	return wr(e, &c, &q);
}

static inline int32_t
del(struct env *e, int64_t sid, const char *path, int32_t version)
{
	struct tree_client c = cl(sid);
	struct proto_request q = {
		.type = PROTO_OP_DELETE, .path = V(path), .version = version};
	return wr(e, &c, &q);
}

static inline int32_t
setd(struct env *e, int64_t sid, const char *path, const char *data,
     int32_t version)
{
	struct tree_client c = cl(sid);
	struct proto_request q = {.type = PROTO_OP_SETDATA,
				  .path = V(path),
				  .data = V(data),
				  .version = version};
	return wr(e, &c, &q);
}

static inline int32_t
rd(struct env *e, int64_t sid, int32_t type, const char *path, bool watch)
{
	struct tree_client c = cl(sid);
	struct proto_request q = {
		.type = type, .path = V(path), .watch = watch};
	int32_t zerr = 0;
	scr(e);
	assert_int_equal(tree_read(e->t, &c, &q, &e->resp, &zerr, &e->s), 0);
	return zerr;
}

static inline struct proto_stat
st(struct env *e, const char *path)
{
	int32_t z = rd(e, 0, PROTO_OP_EXISTS, path, false);
	assert_int_equal(z, 0);
	return e->resp.stat;
}

static inline void
session(struct env *e, int64_t sid)
{
	uint8_t pw[16] = {0};
	struct proto_txn x;
	scr(e);
	e->zxid++;
	assert_int_equal(tree_prep_create_session(e->t, sid, 30000, pw, e->zxid,
						  e->now, &x),
			 0);
	assert_int_equal(apply_txn(e, &x), 0);
}

static inline void
close_session(struct env *e, int64_t sid)
{
	struct proto_txn x;
	scr(e);
	e->zxid++;
	assert_int_equal(
		tree_prep_close_session(e->t, sid, 0, e->zxid, e->now, &x), 0);
	assert_int_equal(apply_txn(e, &x), 0);
}

static int
collect(void *arg, const void *p, size_t len)
{
	struct {
		uint8_t *b;
		size_t len, cap;
	} *o = arg;
	if (o->len + len > o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 4096;
		while (nc < o->len + len)
			nc *= 2;
		o->b = realloc(o->b, nc);
		o->cap = nc;
	}
	memcpy(o->b + o->len, p, len);
	o->len += len;
	return 0;
}

struct blob {
	uint8_t *b;
	size_t len, cap;
};

static inline struct blob
ser(struct tree *t)
{
	struct blob o = {0};
	assert_int_equal(tree_serialize(t, collect, &o), 0);
	return o;
}

static inline bool
has_event(struct env *e, int64_t sid, int32_t type, const char *path)
{
	for (int i = 0; i < e->nev; i++)
		if (e->ev[i].sid == sid && e->ev[i].type == type &&
		    strcmp(e->ev[i].path, path) == 0)
			return true;
	return false;
}

#endif
