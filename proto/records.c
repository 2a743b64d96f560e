/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/records.c — ZooKeeper's records (zookeeper.jute) byte for byte: the
 * headers, the connect handshake, watcher events, and every request and
 * reply body, selected by opcode into one flat struct (ZK-WIRE.md §1–§2).
 *
 * Why it is built this way: one table-free switch per direction keeps the
 * wire layout of each opcode in one place and readable next to ZK-WIRE.md.
 * Decoders are straight-line gets on the sticky reader (proto/jute.c) with
 * one check at the end; vectors are bounded by the bytes that remain before
 * any scratch is taken, so a hostile count cannot make us allocate.  A
 * multi's op list has no count on the wire (it ends with a MultiHeader whose
 * done flag is set), so it is decoded in two passes: the first validates
 * and counts without storing anything (PROTO_SCRATCH_PROBE), the second fills
 * one contiguous array of exactly that many entries.
 */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_priv.h"

/* ---------------------------------------------------------------- */
/* Sub-records                                                       */
/* ---------------------------------------------------------------- */

void
proto_put_stat(struct proto_wbuf *w, const struct proto_stat *s)
{
	proto_put_long(w, s->czxid);
	proto_put_long(w, s->mzxid);
	proto_put_long(w, s->ctime);
	proto_put_long(w, s->mtime);
	proto_put_int(w, s->version);
	proto_put_int(w, s->cversion);
	proto_put_int(w, s->aversion);
	proto_put_long(w, s->ephemeral_owner);
	proto_put_int(w, s->data_length);
	proto_put_int(w, s->num_children);
	proto_put_long(w, s->pzxid);
}

int
proto_get_stat(struct proto_rbuf *r, struct proto_stat *s)
{
	s->czxid = proto_get_long(r);
	s->mzxid = proto_get_long(r);
	s->ctime = proto_get_long(r);
	s->mtime = proto_get_long(r);
	s->version = proto_get_int(r);
	s->cversion = proto_get_int(r);
	s->aversion = proto_get_int(r);
	s->ephemeral_owner = proto_get_long(r);
	s->data_length = proto_get_int(r);
	s->num_children = proto_get_int(r);
	s->pzxid = proto_get_long(r);
	return r->err;
}

void
proto_put_acl_vec(struct proto_wbuf *w, const struct proto_acl_vec *v)
{
	if (v->n < 0) {
		proto_put_int(w, -1);
		return;
	}
	if (v->n > 0 && v->v == NULL) {
		proto_wbuf_fail(w, -EINVAL);
		return;
	}
	proto_put_int(w, v->n);
	for (int32_t i = 0; i < v->n; i++) {
		proto_put_int(w, v->v[i].perms);
		proto_put_view(w, v->v[i].id.scheme);
		proto_put_view(w, v->v[i].id.id);
	}
}

int
proto_get_acl_vec(struct proto_rbuf *r, struct proto_acl_vec *v,
		  struct proto_scratch *s)
{
	struct proto_acl *a;
	int32_t n = proto_get_count(r, PROTO_MIN_ACL);

	v->n = r->err == 0 ? n : 0;
	v->v = NULL;
	if (n <= 0)
		return r->err;
	a = proto_vec_alloc(r, s, n, sizeof(*a));
	for (int32_t i = 0; i < n && r->err == 0; i++) {
		struct proto_acl e;

		e.perms = proto_get_int(r);
		e.id.scheme = proto_get_ustring(r);
		e.id.id = proto_get_ustring(r);
		if (a != NULL)
			a[i] = e;
	}
	v->v = a;
	if (r->err != 0)
		*v = (struct proto_acl_vec){0, NULL};
	return r->err;
}

static void
put_str_vec(struct proto_wbuf *w, const struct proto_str_vec *v)
{
	if (v->n < 0) {
		proto_put_int(w, -1);
		return;
	}
	if (v->n > 0 && v->v == NULL) {
		proto_wbuf_fail(w, -EINVAL);
		return;
	}
	proto_put_int(w, v->n);
	for (int32_t i = 0; i < v->n; i++)
		proto_put_view(w, v->v[i]);
}

static int
get_str_vec(struct proto_rbuf *r, struct proto_str_vec *v,
	    struct proto_scratch *s)
{
	struct proto_view *a;
	int32_t n = proto_get_count(r, PROTO_MIN_USTRING);

	v->n = r->err == 0 ? n : 0;
	v->v = NULL;
	if (n <= 0)
		return r->err;
	a = proto_vec_alloc(r, s, n, sizeof(*a));
	for (int32_t i = 0; i < n && r->err == 0; i++) {
		struct proto_view e = proto_get_ustring(r);

		if (a != NULL)
			a[i] = e;
	}
	v->v = a;
	if (r->err != 0)
		*v = (struct proto_str_vec){0, NULL};
	return r->err;
}

/* ---------------------------------------------------------------- */
/* Headers, handshake, events                                        */
/* ---------------------------------------------------------------- */

int
proto_req_hdr_decode(struct proto_rbuf *r, struct proto_req_hdr *h)
{
	h->xid = proto_get_int(r);
	h->type = proto_get_int(r);
	return r->err;
}

int
proto_req_hdr_encode(struct proto_wbuf *w, const struct proto_req_hdr *h)
{
	proto_put_int(w, h->xid);
	proto_put_int(w, h->type);
	return w->err;
}

int
proto_reply_hdr_decode(struct proto_rbuf *r, struct proto_reply_hdr *h)
{
	h->xid = proto_get_int(r);
	h->zxid = proto_get_long(r);
	h->err = proto_get_int(r);
	return r->err;
}

int
proto_reply_hdr_encode(struct proto_wbuf *w, const struct proto_reply_hdr *h)
{
	proto_put_int(w, h->xid);
	proto_put_long(w, h->zxid);
	proto_put_int(w, h->err);
	return w->err;
}

/* The optional trailing readOnly byte: absent (-1), or a jute boolean; any
 * other trailing bytes are an error. */
static int8_t
get_opt_read_only(struct proto_rbuf *r)
{
	int8_t ro = -1;

	if (r->err == 0 && r->off < r->len)
		ro = proto_get_bool(r) ? 1 : 0;
	return ro;
}

int
proto_connect_req_decode(const void *p, size_t len, struct proto_connect_req *c)
{
	struct proto_rbuf r;

	proto_rbuf_init(&r, p, len);
	c->protocol_version = proto_get_int(&r);
	c->last_zxid_seen = proto_get_long(&r);
	c->timeout = proto_get_int(&r);
	c->session_id = proto_get_long(&r);
	c->passwd = proto_get_buffer(&r);
	c->read_only = get_opt_read_only(&r);
	return proto_rbuf_end(&r);
}

int
proto_connect_req_encode(struct proto_wbuf *w,
			 const struct proto_connect_req *c)
{
	proto_put_int(w, c->protocol_version);
	proto_put_long(w, c->last_zxid_seen);
	proto_put_int(w, c->timeout);
	proto_put_long(w, c->session_id);
	proto_put_view(w, c->passwd);
	if (c->read_only >= 0)
		proto_put_bool(w, c->read_only != 0);
	return w->err;
}

int
proto_connect_resp_decode(const void *p, size_t len,
			  struct proto_connect_resp *c)
{
	struct proto_rbuf r;

	proto_rbuf_init(&r, p, len);
	c->protocol_version = proto_get_int(&r);
	c->timeout = proto_get_int(&r);
	c->session_id = proto_get_long(&r);
	c->passwd = proto_get_buffer(&r);
	c->read_only = get_opt_read_only(&r);
	c->last_xid = 0;
	if (c->read_only >= 0 && r.err == 0 && r.off + 4 <= r.len)
		c->last_xid = proto_get_int(&r);
	return proto_rbuf_end(&r);
}

int
proto_connect_resp_encode(struct proto_wbuf *w,
			  const struct proto_connect_resp *c)
{
	proto_put_int(w, c->protocol_version);
	proto_put_int(w, c->timeout);
	proto_put_long(w, c->session_id);
	proto_put_view(w, c->passwd);
	if (c->read_only >= 0)
		proto_put_bool(w, c->read_only != 0);
	if (c->read_only >= 0 && c->last_xid > 0)
		proto_put_int(w, c->last_xid);
	return w->err;
}

int
proto_event_decode(struct proto_rbuf *r, struct proto_watcher_event *e)
{
	e->type = proto_get_int(r);
	e->state = proto_get_int(r);
	e->path = proto_get_ustring(r);
	return proto_rbuf_end(r);
}

int
proto_event_encode(struct proto_wbuf *w, const struct proto_watcher_event *e)
{
	proto_put_int(w, e->type);
	proto_put_int(w, e->state);
	proto_put_view(w, e->path);
	return w->err;
}

/* ---------------------------------------------------------------- */
/* Requests                                                          */
/* ---------------------------------------------------------------- */

static bool
multi_op_allowed(int32_t multi_type, int32_t op)
{
	if (multi_type == PROTO_OP_MULTIREAD)
		return op == PROTO_OP_GETDATA || op == PROTO_OP_GETCHILDREN;
	switch (op) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
	case PROTO_OP_DELETE:
	case PROTO_OP_SETDATA:
	case PROTO_OP_CHECK:
		return true;
	default:
		return false;
	}
}

static void get_multi_req(struct proto_rbuf *r, struct proto_request *q,
			  struct proto_scratch *s);

/* The body of one request (no trailing check); r->err says how it went. */
static void
get_req_body(struct proto_rbuf *r, int32_t type, struct proto_request *q,
	     struct proto_scratch *s)
{
	memset(q, 0, sizeof(*q));
	q->type = type;
	switch (type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		q->path = proto_get_ustring(r);
		q->data = proto_get_buffer(r);
		proto_get_acl_vec(r, &q->acl, s);
		q->flags = proto_get_int(r);
		if (type == PROTO_OP_CREATETTL)
			q->ttl = proto_get_long(r);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_CHECK:
		q->path = proto_get_ustring(r);
		q->version = proto_get_int(r);
		break;
	case PROTO_OP_EXISTS:
	case PROTO_OP_GETDATA:
	case PROTO_OP_GETCHILDREN:
	case PROTO_OP_GETCHILDREN2:
		q->path = proto_get_ustring(r);
		q->watch = proto_get_bool(r);
		break;
	case PROTO_OP_SETDATA:
		q->path = proto_get_ustring(r);
		q->data = proto_get_buffer(r);
		q->version = proto_get_int(r);
		break;
	case PROTO_OP_GETACL:
	case PROTO_OP_SYNC:
	case PROTO_OP_GETALLCHILDRENNUMBER:
	case PROTO_OP_GETEPHEMERALS:
	case PROTO_OP_DELETECONTAINER:
		q->path = proto_get_ustring(r);
		break;
	case PROTO_OP_SETACL:
		q->path = proto_get_ustring(r);
		proto_get_acl_vec(r, &q->acl, s);
		q->version = proto_get_int(r);
		break;
	case PROTO_OP_ADDWATCH:
	case PROTO_OP_CHECKWATCHES:
	case PROTO_OP_REMOVEWATCHES:
		q->path = proto_get_ustring(r);
		q->mode = proto_get_int(r);
		break;
	case PROTO_OP_SETWATCHES:
	case PROTO_OP_SETWATCHES2: {
		int nl = type == PROTO_OP_SETWATCHES2 ? PROTO_WL_MAX
						      : PROTO_WL_CHILD + 1;

		q->rel_zxid = proto_get_long(r);
		for (int i = 0; i < nl; i++)
			get_str_vec(r, &q->watches[i], s);
		break;
	}
	case PROTO_OP_AUTH:
		q->auth.type = proto_get_int(r);
		q->auth.scheme = proto_get_ustring(r);
		q->auth.auth = proto_get_buffer(r);
		break;
	case PROTO_OP_MULTI:
	case PROTO_OP_MULTIREAD:
		get_multi_req(r, q, s);
		break;
	case PROTO_OP_PING:
	case PROTO_OP_WHOAMI:
	case PROTO_OP_CLOSESESSION:
		break;
	default:
		proto_rbuf_fail(r, -EOPNOTSUPP);
		break;
	}
}

/* One pass over a multi's ops: with ops == NULL (and s ==
 * PROTO_SCRATCH_PROBE) it only validates; returns the op count. */
static int32_t
multi_req_pass(struct proto_rbuf *r, int32_t type, struct proto_request *ops,
	       int32_t cap, struct proto_scratch *s)
{
	int32_t n = 0;

	while (r->err == 0) {
		struct proto_request tmp;
		int32_t op = proto_get_int(r);
		bool done = proto_get_bool(r);

		(void)proto_get_int(r); /* err: -1 on requests, unused */
		if (r->err != 0 || done)
			break;
		if (!multi_op_allowed(type, op) || (ops != NULL && n >= cap)) {
			proto_rbuf_fail(r, -EBADMSG);
			break;
		}
		get_req_body(r, op, ops != NULL ? &ops[n] : &tmp, s);
		n++;
	}
	return n;
}

static void
get_multi_req(struct proto_rbuf *r, struct proto_request *q,
	      struct proto_scratch *s)
{
	struct proto_rbuf probe = *r;
	int32_t n =
		multi_req_pass(&probe, q->type, NULL, 0, PROTO_SCRATCH_PROBE);

	if (probe.err != 0) {
		proto_rbuf_fail(r, probe.err);
		return;
	}
	q->multi.ops = proto_vec_alloc(r, s, n, sizeof(*q->multi.ops));
	if (r->err != 0)
		return;
	if (q->multi.ops == NULL) {
		/* validate-only mode (nested in a probe) or n == 0 */
		*r = probe;
		q->multi.n = n;
		return;
	}
	q->multi.n = multi_req_pass(r, q->type, q->multi.ops, n, s);
}

int
proto_request_decode(struct proto_rbuf *r, int32_t type,
		     struct proto_request *q, struct proto_scratch *s)
{
	get_req_body(r, type, q, s);
	if (r->err == 0)
		proto_rbuf_end(r);
	if (r->err != 0) {
		memset(q, 0, sizeof(*q));
		q->type = type;
	}
	return r->err;
}

static void put_req_body(struct proto_wbuf *w, const struct proto_request *q,
			 bool nested);

static void
put_multi_req(struct proto_wbuf *w, const struct proto_request *q)
{
	if (q->multi.n > 0 && q->multi.ops == NULL) {
		proto_wbuf_fail(w, -EINVAL);
		return;
	}
	for (int32_t i = 0; i < q->multi.n; i++) {
		const struct proto_request *op = &q->multi.ops[i];

		if (!multi_op_allowed(q->type, op->type)) {
			proto_wbuf_fail(w, -EINVAL);
			return;
		}
		proto_put_int(w, op->type);
		proto_put_bool(w, false);
		proto_put_int(w, -1);
		put_req_body(w, op, true);
	}
	proto_put_int(w, -1);
	proto_put_bool(w, true);
	proto_put_int(w, -1);
}

static void
put_req_body(struct proto_wbuf *w, const struct proto_request *q, bool nested)
{
	switch (q->type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		proto_put_view(w, q->path);
		proto_put_view(w, q->data);
		proto_put_acl_vec(w, &q->acl);
		proto_put_int(w, q->flags);
		if (q->type == PROTO_OP_CREATETTL)
			proto_put_long(w, q->ttl);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_CHECK:
		proto_put_view(w, q->path);
		proto_put_int(w, q->version);
		break;
	case PROTO_OP_EXISTS:
	case PROTO_OP_GETDATA:
	case PROTO_OP_GETCHILDREN:
	case PROTO_OP_GETCHILDREN2:
		proto_put_view(w, q->path);
		proto_put_bool(w, q->watch);
		break;
	case PROTO_OP_SETDATA:
		proto_put_view(w, q->path);
		proto_put_view(w, q->data);
		proto_put_int(w, q->version);
		break;
	case PROTO_OP_GETACL:
	case PROTO_OP_SYNC:
	case PROTO_OP_GETALLCHILDRENNUMBER:
	case PROTO_OP_GETEPHEMERALS:
	case PROTO_OP_DELETECONTAINER:
		proto_put_view(w, q->path);
		break;
	case PROTO_OP_SETACL:
		proto_put_view(w, q->path);
		proto_put_acl_vec(w, &q->acl);
		proto_put_int(w, q->version);
		break;
	case PROTO_OP_ADDWATCH:
	case PROTO_OP_CHECKWATCHES:
	case PROTO_OP_REMOVEWATCHES:
		proto_put_view(w, q->path);
		proto_put_int(w, q->mode);
		break;
	case PROTO_OP_SETWATCHES:
	case PROTO_OP_SETWATCHES2: {
		int nl = q->type == PROTO_OP_SETWATCHES2 ? PROTO_WL_MAX
							 : PROTO_WL_CHILD + 1;

		proto_put_long(w, q->rel_zxid);
		for (int i = 0; i < nl; i++)
			put_str_vec(w, &q->watches[i]);
		break;
	}
	case PROTO_OP_AUTH:
		proto_put_int(w, q->auth.type);
		proto_put_view(w, q->auth.scheme);
		proto_put_view(w, q->auth.auth);
		break;
	case PROTO_OP_MULTI:
	case PROTO_OP_MULTIREAD:
		if (nested)
			proto_wbuf_fail(w, -EINVAL);
		else
			put_multi_req(w, q);
		break;
	case PROTO_OP_PING:
	case PROTO_OP_WHOAMI:
	case PROTO_OP_CLOSESESSION:
		break;
	default:
		proto_wbuf_fail(w, -EINVAL);
		break;
	}
}

int
proto_request_encode(struct proto_wbuf *w, const struct proto_request *q)
{
	put_req_body(w, q, false);
	return w->err;
}

/* ---------------------------------------------------------------- */
/* Responses                                                         */
/* ---------------------------------------------------------------- */

static bool
multi_result_allowed(int32_t multi_type, int32_t op)
{
	return op == PROTO_OP_ERROR || multi_op_allowed(multi_type, op);
}

/* The body of one multi result of type `type`. */
static void
get_multi_result(struct proto_rbuf *r, int32_t type,
		 struct proto_multi_result *m, struct proto_scratch *s)
{
	switch (type) {
	case PROTO_OP_CREATE:
		m->path = proto_get_ustring(r);
		break;
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		m->path = proto_get_ustring(r);
		proto_get_stat(r, &m->stat);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_CHECK:
		break;
	case PROTO_OP_SETDATA:
		proto_get_stat(r, &m->stat);
		break;
	case PROTO_OP_GETCHILDREN:
		get_str_vec(r, &m->children, s);
		break;
	case PROTO_OP_GETDATA:
		m->data = proto_get_buffer(r);
		proto_get_stat(r, &m->stat);
		break;
	case PROTO_OP_ERROR:
		m->err = proto_get_int(r);
		break;
	default:
		proto_rbuf_fail(r, -EBADMSG);
		break;
	}
}

static int32_t
multi_resp_pass(struct proto_rbuf *r, int32_t type,
		struct proto_multi_result *res, int32_t cap,
		struct proto_scratch *s)
{
	int32_t n = 0;

	while (r->err == 0) {
		struct proto_multi_result tmp;
		struct proto_multi_result *m = res != NULL ? &res[n] : &tmp;
		int32_t op = proto_get_int(r);
		bool done = proto_get_bool(r);

		(void)proto_get_int(r); /* err: repeated in an error body */
		if (r->err != 0 || done)
			break;
		if (!multi_result_allowed(type, op) ||
		    (res != NULL && n >= cap)) {
			proto_rbuf_fail(r, -EBADMSG);
			break;
		}
		memset(m, 0, sizeof(*m));
		m->type = op;
		get_multi_result(r, op, m, s);
		n++;
	}
	return n;
}

static void
get_multi_resp(struct proto_rbuf *r, struct proto_response *a,
	       struct proto_scratch *s)
{
	struct proto_rbuf probe = *r;
	int32_t n =
		multi_resp_pass(&probe, a->type, NULL, 0, PROTO_SCRATCH_PROBE);

	if (probe.err != 0) {
		proto_rbuf_fail(r, probe.err);
		return;
	}
	a->multi.r = proto_vec_alloc(r, s, n, sizeof(*a->multi.r));
	if (r->err != 0)
		return;
	if (a->multi.r == NULL) {
		*r = probe;
		a->multi.n = n;
		return;
	}
	a->multi.n = multi_resp_pass(r, a->type, a->multi.r, n, s);
}

static void
get_who(struct proto_rbuf *r, struct proto_response *a, struct proto_scratch *s)
{
	struct proto_client_info *v;
	int32_t n = proto_get_count(r, PROTO_MIN_CLIENT_INFO);

	if (r->err != 0 || n <= 0) {
		a->who.n = r->err == 0 ? n : 0;
		return;
	}
	v = proto_vec_alloc(r, s, n, sizeof(*v));
	for (int32_t i = 0; i < n && r->err == 0; i++) {
		struct proto_client_info e;

		e.auth_scheme = proto_get_ustring(r);
		e.user = proto_get_ustring(r);
		if (v != NULL)
			v[i] = e;
	}
	if (r->err == 0) {
		a->who.n = n;
		a->who.v = v;
	}
}

int
proto_response_decode(struct proto_rbuf *r, int32_t type,
		      struct proto_response *a, struct proto_scratch *s)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	switch (type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_SYNC:
		a->path = proto_get_ustring(r);
		break;
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		a->path = proto_get_ustring(r);
		proto_get_stat(r, &a->stat);
		break;
	case PROTO_OP_EXISTS:
	case PROTO_OP_SETDATA:
	case PROTO_OP_SETACL:
		proto_get_stat(r, &a->stat);
		break;
	case PROTO_OP_GETDATA:
		a->data = proto_get_buffer(r);
		proto_get_stat(r, &a->stat);
		break;
	case PROTO_OP_GETCHILDREN:
	case PROTO_OP_GETEPHEMERALS:
		get_str_vec(r, &a->children, s);
		break;
	case PROTO_OP_GETCHILDREN2:
		get_str_vec(r, &a->children, s);
		proto_get_stat(r, &a->stat);
		break;
	case PROTO_OP_GETACL:
		proto_get_acl_vec(r, &a->acl, s);
		proto_get_stat(r, &a->stat);
		break;
	case PROTO_OP_GETALLCHILDRENNUMBER:
	case PROTO_OP_ADDWATCH:
		a->number = proto_get_int(r);
		break;
	case PROTO_OP_WHOAMI:
		get_who(r, a, s);
		break;
	case PROTO_OP_MULTI:
	case PROTO_OP_MULTIREAD:
		get_multi_resp(r, a, s);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
	case PROTO_OP_CHECK:
	case PROTO_OP_CHECKWATCHES:
	case PROTO_OP_REMOVEWATCHES:
	case PROTO_OP_SETWATCHES:
	case PROTO_OP_SETWATCHES2:
	case PROTO_OP_PING:
	case PROTO_OP_AUTH:
	case PROTO_OP_CLOSESESSION:
		break;
	default:
		proto_rbuf_fail(r, -EOPNOTSUPP);
		break;
	}
	if (r->err == 0)
		proto_rbuf_end(r);
	if (r->err != 0) {
		memset(a, 0, sizeof(*a));
		a->type = type;
	}
	return r->err;
}

static void
put_multi_resp(struct proto_wbuf *w, const struct proto_response *a)
{
	if (a->multi.n > 0 && a->multi.r == NULL) {
		proto_wbuf_fail(w, -EINVAL);
		return;
	}
	for (int32_t i = 0; i < a->multi.n; i++) {
		const struct proto_multi_result *m = &a->multi.r[i];

		if (!multi_result_allowed(a->type, m->type)) {
			proto_wbuf_fail(w, -EINVAL);
			return;
		}
		proto_put_int(w, m->type);
		proto_put_bool(w, false);
		proto_put_int(w, m->type == PROTO_OP_ERROR ? m->err : 0);
		switch (m->type) {
		case PROTO_OP_CREATE:
			proto_put_view(w, m->path);
			break;
		case PROTO_OP_CREATE2:
		case PROTO_OP_CREATECONTAINER:
		case PROTO_OP_CREATETTL:
			proto_put_view(w, m->path);
			proto_put_stat(w, &m->stat);
			break;
		case PROTO_OP_SETDATA:
			proto_put_stat(w, &m->stat);
			break;
		case PROTO_OP_GETCHILDREN:
			put_str_vec(w, &m->children);
			break;
		case PROTO_OP_GETDATA:
			proto_put_view(w, m->data);
			proto_put_stat(w, &m->stat);
			break;
		case PROTO_OP_ERROR:
			proto_put_int(w, m->err);
			break;
		default: /* delete, check: no body */
			break;
		}
	}
	proto_put_int(w, -1);
	proto_put_bool(w, true);
	proto_put_int(w, -1);
}

int
proto_response_encode(struct proto_wbuf *w, const struct proto_response *a)
{
	switch (a->type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_SYNC:
		proto_put_view(w, a->path);
		break;
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		proto_put_view(w, a->path);
		proto_put_stat(w, &a->stat);
		break;
	case PROTO_OP_EXISTS:
	case PROTO_OP_SETDATA:
	case PROTO_OP_SETACL:
		proto_put_stat(w, &a->stat);
		break;
	case PROTO_OP_GETDATA:
		proto_put_view(w, a->data);
		proto_put_stat(w, &a->stat);
		break;
	case PROTO_OP_GETCHILDREN:
	case PROTO_OP_GETEPHEMERALS:
		put_str_vec(w, &a->children);
		break;
	case PROTO_OP_GETCHILDREN2:
		put_str_vec(w, &a->children);
		proto_put_stat(w, &a->stat);
		break;
	case PROTO_OP_GETACL:
		proto_put_acl_vec(w, &a->acl);
		proto_put_stat(w, &a->stat);
		break;
	case PROTO_OP_GETALLCHILDRENNUMBER:
	case PROTO_OP_ADDWATCH:
		proto_put_int(w, a->number);
		break;
	case PROTO_OP_WHOAMI:
		if (a->who.n < 0) {
			proto_put_int(w, -1);
			break;
		}
		if (a->who.n > 0 && a->who.v == NULL) {
			proto_wbuf_fail(w, -EINVAL);
			break;
		}
		proto_put_int(w, a->who.n);
		for (int32_t i = 0; i < a->who.n; i++) {
			proto_put_view(w, a->who.v[i].auth_scheme);
			proto_put_view(w, a->who.v[i].user);
		}
		break;
	case PROTO_OP_MULTI:
	case PROTO_OP_MULTIREAD:
		put_multi_resp(w, a);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
	case PROTO_OP_CHECK:
	case PROTO_OP_CHECKWATCHES:
	case PROTO_OP_REMOVEWATCHES:
	case PROTO_OP_SETWATCHES:
	case PROTO_OP_SETWATCHES2:
	case PROTO_OP_PING:
	case PROTO_OP_AUTH:
	case PROTO_OP_CLOSESESSION:
		break;
	default:
		proto_wbuf_fail(w, -EINVAL);
		break;
	}
	return w->err;
}
