/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/txn.c — the txn record: what prep (tree/) produces for a write, what
 * the log (nvme-log/) stores, what Zab proposes to followers and what apply
 * (tree/) replays.  Layout in docs/PROTOCOL.md §"Txn records".
 *
 * Why it is built this way: a txn must be replayable with nothing but
 * itself — after a crash, on a follower, from a snapshot's fuzzy tail — so
 * it carries every outcome prep decided (the final sequential path, the new
 * version, the parent's cversion, the ephemeral owner) instead of the
 * request that led to it.  Apply then never decides anything, which is what
 * makes it deterministic and idempotent.  The encoding reuses jute so one
 * bounded reader guards the network and the disk alike; a sub-txn of a
 * multi is {int type; body} with no header of its own, because every op of
 * a multi shares the outer session, xid, zxid and time.
 */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_priv.h"

static bool
txn_type_known(int32_t type, bool nested)
{
	switch (type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
	case PROTO_OP_SETDATA:
	case PROTO_OP_CHECK:
	case PROTO_OP_ERROR:
		return true;
	case PROTO_OP_SETACL:
	case PROTO_OP_CREATESESSION:
	case PROTO_OP_CLOSESESSION:
	case PROTO_OP_MULTI:
		return !nested;
	default:
		return false;
	}
}

static void
put_txn_body(struct proto_wbuf *w, const struct proto_txn *t, int32_t type,
	     bool nested)
{
	if (!txn_type_known(type, nested)) {
		proto_wbuf_fail(w, -EINVAL);
		return;
	}
	switch (type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		proto_put_view(w, t->path);
		proto_put_view(w, t->data);
		proto_put_acl_vec(w, &t->acl);
		proto_put_long(w, t->ephemeral_owner);
		proto_put_int(w, t->create_mode);
		proto_put_long(w, t->ttl);
		proto_put_int(w, t->parent_cversion);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
		proto_put_view(w, t->path);
		break;
	case PROTO_OP_SETDATA:
		proto_put_view(w, t->path);
		proto_put_view(w, t->data);
		proto_put_int(w, t->version);
		break;
	case PROTO_OP_SETACL:
		proto_put_view(w, t->path);
		proto_put_acl_vec(w, &t->acl);
		proto_put_int(w, t->version);
		break;
	case PROTO_OP_CHECK:
		proto_put_view(w, t->path);
		proto_put_int(w, t->version);
		break;
	case PROTO_OP_CREATESESSION:
		if (t->passwd.len != PROTO_PASSWD_LEN || t->passwd.p == NULL) {
			proto_wbuf_fail(w, -EINVAL);
			return;
		}
		proto_put_int(w, t->timeout);
		proto_put_view(w, t->passwd);
		break;
	case PROTO_OP_CLOSESESSION:
		break;
	case PROTO_OP_ERROR:
		proto_put_int(w, t->err);
		break;
	case PROTO_OP_MULTI:
		if (t->multi.n < 0 ||
		    (t->multi.n > 0 && t->multi.ops == NULL)) {
			proto_wbuf_fail(w, -EINVAL);
			return;
		}
		proto_put_int(w, t->multi.n);
		for (int32_t i = 0; i < t->multi.n; i++) {
			const struct proto_txn *op = &t->multi.ops[i];

			proto_put_int(w, op->hdr.type);
			put_txn_body(w, op, op->hdr.type, true);
		}
		break;
	}
}

int
proto_txn_encode(struct proto_wbuf *w, const struct proto_txn *t)
{
	proto_put_long(w, t->hdr.session_id);
	proto_put_int(w, t->hdr.xid);
	proto_put_long(w, t->hdr.zxid);
	proto_put_long(w, t->hdr.time);
	proto_put_int(w, t->hdr.type);
	put_txn_body(w, t, t->hdr.type, false);
	return w->err;
}

/* Decodes the body of t->hdr.type into t (whose hdr is already set). */
static void
get_txn_body(struct proto_rbuf *r, struct proto_txn *t, bool nested,
	     struct proto_scratch *s)
{
	int32_t type = t->hdr.type;

	if (!txn_type_known(type, nested)) {
		proto_rbuf_fail(r, -EBADMSG);
		return;
	}
	switch (type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		t->path = proto_get_ustring(r);
		t->data = proto_get_buffer(r);
		proto_get_acl_vec(r, &t->acl, s);
		t->ephemeral_owner = proto_get_long(r);
		t->create_mode = proto_get_int(r);
		t->ttl = proto_get_long(r);
		t->parent_cversion = proto_get_int(r);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
		t->path = proto_get_ustring(r);
		break;
	case PROTO_OP_SETDATA:
		t->path = proto_get_ustring(r);
		t->data = proto_get_buffer(r);
		t->version = proto_get_int(r);
		break;
	case PROTO_OP_SETACL:
		t->path = proto_get_ustring(r);
		proto_get_acl_vec(r, &t->acl, s);
		t->version = proto_get_int(r);
		break;
	case PROTO_OP_CHECK:
		t->path = proto_get_ustring(r);
		t->version = proto_get_int(r);
		break;
	case PROTO_OP_CREATESESSION:
		t->timeout = proto_get_int(r);
		t->passwd = proto_get_buffer(r);
		if (r->err == 0 && t->passwd.len != PROTO_PASSWD_LEN)
			proto_rbuf_fail(r, -EBADMSG);
		break;
	case PROTO_OP_CLOSESESSION:
		break;
	case PROTO_OP_ERROR:
		t->err = proto_get_int(r);
		break;
	case PROTO_OP_MULTI: {
		int32_t n = proto_get_count(r, PROTO_MIN_SUBTXN);
		struct proto_txn *ops;

		if (r->err != 0 || n < 0) {
			proto_rbuf_fail(r, -EBADMSG); /* no null list */
			break;
		}
		ops = proto_vec_alloc(r, s, n, sizeof(*ops));
		if (r->err != 0)
			break;
		for (int32_t i = 0; i < n && r->err == 0; i++) {
			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].hdr = t->hdr;
			ops[i].hdr.type = proto_get_int(r);
			if (r->err == 0)
				get_txn_body(r, &ops[i], true, s);
		}
		t->multi.n = n;
		t->multi.ops = ops;
		break;
	}
	}
}

int
proto_txn_decode(const void *p, size_t len, struct proto_txn *t,
		 struct proto_scratch *s)
{
	struct proto_rbuf r;

	proto_rbuf_init(&r, p, len);
	memset(t, 0, sizeof(*t));
	t->hdr.session_id = proto_get_long(&r);
	t->hdr.xid = proto_get_int(&r);
	t->hdr.zxid = proto_get_long(&r);
	t->hdr.time = proto_get_long(&r);
	t->hdr.type = proto_get_int(&r);
	if (r.err == 0)
		get_txn_body(&r, t, false, s);
	if (proto_rbuf_end(&r) != 0) {
		struct proto_txn_hdr h = t->hdr;

		memset(t, 0, sizeof(*t));
		t->hdr = h;
	}
	return r.err;
}
