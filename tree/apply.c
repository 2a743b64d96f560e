/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/apply.c — applying a committed txn (ZooKeeper's DataTree.processTxn
 * and FinalRequestProcessor), on every replica.
 *
 * Why it is built this way: apply decides nothing.  The txn carries every
 * outcome (final sequential path, new version, parent's cversion, owner), so
 * replicas that apply the same txns end in the same state.  Apply must also
 * be idempotent, because a fuzzy snapshot is followed by the replay of txns
 * some of which it already reflects.  Each change is therefore guarded by
 * the zxid of what it changes: a create is skipped when the node exists with
 * czxid >= the txn's, a delete when the node is gone or younger, setData
 * when mzxid is newer, setACL when the ACL's zxid is newer, a parent's
 * cversion/pzxid only move forward, and the session's exactly-once record
 * only takes a newer zxid.  Equal zxids re-apply (the ops of one multi share
 * a zxid and must all run); re-applying the same absolute values is
 * harmless.  Watches fire in the order ZooKeeper fires them, before the
 * reply is returned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_priv.h"

struct ares {
	int32_t err;
	struct proto_view path;
	struct proto_stat stat;
	bool has_stat;
};

static size_t
parent_len(const char *p, size_t len)
{
	return path_parent_len(p, len);
}

static int
apply_create(struct tree *t, const struct proto_txn_hdr *h,
	     const struct proto_txn *x, struct ares *r)
{
	const char *path = (const char *)x->path.p;
	size_t len = x->path.len < 0 ? 0 : (size_t)x->path.len;
	int64_t zxid = h->zxid;
	r->path = x->path;
	if (len < 2 || !path_valid(path, len)) {
		r->err = PROTO_ZBADARGUMENTS;
		return 0;
	}
	struct tnode *n = node_find(t, path, len);
	if (n != NULL) {
		if (n->czxid >= zxid) { /* already applied */
			/* the parent may have been captured before it */
			struct tnode *p = n->parent;
			if (p != NULL && zxid >= p->pzxid) {
				p->cversion = x->parent_cversion;
				p->pzxid = zxid;
			}
			node_stat(n, &r->stat);
			r->has_stat = true;
		} else {
			r->err = PROTO_ZNODEEXISTS;
		}
		return 0;
	}
	size_t plen = parent_len(path, len);
	struct tnode *p = node_find(t, path, plen);
	if (p == NULL) {
		r->err = PROTO_ZNONODE;
		return 0;
	}
	int64_t owner = 0;
	switch (x->create_mode) {
	case PROTO_CM_CONTAINER:
		owner = OWNER_CONTAINER;
		break;
	case PROTO_CM_PERSISTENT_WITH_TTL:
	case PROTO_CM_PERSISTENT_SEQUENTIAL_WITH_TTL:
		owner = OWNER_TTL_MASK | (x->ttl & TTL_MAX);
		break;
	case PROTO_CM_EPHEMERAL:
	case PROTO_CM_EPHEMERAL_SEQUENTIAL:
		owner = x->ephemeral_owner;
		break;
	default:
		break;
	}
	if (h->type == PROTO_OP_CREATECONTAINER)
		owner = OWNER_CONTAINER;
	struct tacl *acl = acl_intern(t, &x->acl);
	if (acl == NULL)
		return -ENOMEM;
	n = node_insert(t, p, path, len, x->data.p, x->data.len, acl, owner,
			zxid, h->time);
	acl_unref(t, acl);
	if (n == NULL)
		return -ENOMEM;
	if (zxid >= p->pzxid) {
		p->cversion = x->parent_cversion;
		p->pzxid = zxid;
	}
	node_stat(n, &r->stat);
	r->has_stat = true;
	watch_trigger(t, WT_DATA, path, len, PROTO_EV_NODE_CREATED, zxid, 0);
	watch_trigger(t, WT_CHILD, path, plen, PROTO_EV_NODE_CHILDREN_CHANGED,
		      zxid, 0);
	return 0;
}

/* Deletes n (childless) and fires its watches; path must not point into
 * n (it is freed). */
static void
delete_node(struct tree *t, struct tnode *n, const char *path, size_t len,
	    int64_t zxid)
{
	struct tnode *p = n->parent;
	node_remove(t, n);
	if (p != NULL && zxid >= p->pzxid)
		p->pzxid = zxid;
	size_t plen = parent_len(path, len);
	uint64_t mark = watch_trigger(t, WT_DATA, path, len,
				      PROTO_EV_NODE_DELETED, zxid, 0);
	watch_trigger(t, WT_CHILD, path, len, PROTO_EV_NODE_DELETED, zxid,
		      mark);
	watch_trigger(t, WT_CHILD, path, plen, PROTO_EV_NODE_CHILDREN_CHANGED,
		      zxid, 0);
}

static int
apply_delete(struct tree *t, const struct proto_txn_hdr *h,
	     const struct proto_txn *x, struct ares *r)
{
	const char *path = (const char *)x->path.p;
	size_t len = x->path.len < 0 ? 0 : (size_t)x->path.len;
	if (len < 2) {
		r->err = PROTO_ZBADARGUMENTS;
		return 0;
	}
	struct tnode *n = node_find(t, path, len);
	if (n == NULL || n->czxid > h->zxid) {
		/* already applied; the parent may predate it in a fuzzy
		 * snapshot */
		struct tnode *p = node_find(t, path, parent_len(path, len));
		if (p != NULL && h->zxid >= p->pzxid)
			p->pzxid = h->zxid;
		r->err = PROTO_ZNONODE;
		return 0;
	}
	if (n->num_children > 0) {
		r->err = PROTO_ZNOTEMPTY;
		return 0;
	}
	delete_node(t, n, path, len, h->zxid);
	return 0;
}

static int
apply_setdata(struct tree *t, const struct proto_txn_hdr *h,
	      const struct proto_txn *x, struct ares *r)
{
	const char *path = (const char *)x->path.p;
	size_t len = x->path.len < 0 ? 0 : (size_t)x->path.len;
	struct tnode *n = node_find(t, path, len);
	if (n == NULL) {
		r->err = PROTO_ZNONODE;
		return 0;
	}
	if (n->mzxid <= h->zxid) {
		if (node_set_data(t, n, x->data.p, x->data.len) != 0)
			return -ENOMEM;
		n->version = x->version;
		n->mzxid = h->zxid;
		n->mtime = h->time;
		watch_trigger(t, WT_DATA, path, len, PROTO_EV_NODE_DATA_CHANGED,
			      h->zxid, 0);
	}
	node_stat(n, &r->stat);
	r->has_stat = true;
	return 0;
}

static int
apply_setacl(struct tree *t, const struct proto_txn_hdr *h,
	     const struct proto_txn *x, struct ares *r)
{
	const char *path = (const char *)x->path.p;
	size_t len = x->path.len < 0 ? 0 : (size_t)x->path.len;
	struct tnode *n = node_find(t, path, len);
	if (n == NULL) {
		r->err = PROTO_ZNONODE;
		return 0;
	}
	if (n->azxid <= h->zxid) {
		struct tacl *acl = acl_intern(t, &x->acl);
		if (acl == NULL)
			return -ENOMEM;
		acl_unref(t, n->acl);
		n->acl = acl;
		n->aversion = x->version;
		n->azxid = h->zxid;
	}
	node_stat(n, &r->stat);
	r->has_stat = true;
	return 0;
}

static int
apply_one(struct tree *t, const struct proto_txn_hdr *h, int32_t type,
	  const struct proto_txn *x, struct ares *r)
{
	memset(r, 0, sizeof(*r));
	switch (type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL: {
		struct proto_txn_hdr hh = *h;
		hh.type = type;
		return apply_create(t, &hh, x, r);
	}
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
		return apply_delete(t, h, x, r);
	case PROTO_OP_SETDATA:
		return apply_setdata(t, h, x, r);
	case PROTO_OP_SETACL:
		return apply_setacl(t, h, x, r);
	case PROTO_OP_CHECK:
		return 0;
	case PROTO_OP_ERROR:
		r->err = x->err;
		return 0;
	default:
		return -EINVAL;
	}
}

static void
apply_close(struct tree *t, const struct proto_txn_hdr *h)
{
	struct tsess *s = sess_find(t, h->session_id);
	if (s == NULL)
		return;
	char buf[256];
	struct tnode *n = s->eph, *nx;
	for (; n != NULL; n = nx) {
		nx = n->aux_next;
		if (n->czxid >= h->zxid || n->num_children > 0)
			continue;
		/* copy the path: the node is freed by the delete */
		size_t len = n->h.klen;
		char *p = len < sizeof(buf) ? buf : malloc(len + 1);
		if (p == NULL)
			continue;
		memcpy(p, n->path, len);
		/* removing the last ephemeral of a non-real session frees
		 * it: keep s alive by marking it real until we are done */
		bool real = s->real;
		s->real = true;
		delete_node(t, n, p, len, h->zxid);
		s->real = real;
		if (p != buf)
			free(p);
	}
	s->real = false;
	if (s->n_eph == 0)
		sess_remove(t, s);
	tree_watch_drop_session(t, h->session_id);
}

static void
fill_multi(struct proto_multi_result *m, int32_t type, const struct ares *r)
{
	memset(m, 0, sizeof(*m));
	if (r->err != 0 || type == PROTO_OP_ERROR) {
		m->type = PROTO_OP_ERROR;
		m->err = r->err;
		return;
	}
	/* the result types Apache ZooKeeper sends (its multi txn records a
	 * create2 as a create, and container/TTL creates answer as create2):
	 * a create or create2 op → create {path}; a container or TTL create →
	 * create2 {path, Stat}; its clients know no result of type 19 or 21 */
	switch (type) {
	case PROTO_OP_CREATE2:
		type = PROTO_OP_CREATE;
		break;
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		type = PROTO_OP_CREATE2;
		break;
	case PROTO_OP_DELETECONTAINER:
		type = PROTO_OP_DELETE;
		break;
	default:
		break;
	}
	m->type = type;
	m->path = r->path;
	m->stat = r->stat;
}

static void
fill_resp(struct proto_response *resp, int32_t type, const struct ares *r)
{
	resp->type = type;
	resp->path = r->path;
	resp->stat = r->stat;
}

/* Exactly-once: keep the encoded reply as the session's last. */
static void
record_reply(struct tree *t, const struct proto_txn_hdr *h,
	     const struct proto_response *resp, int32_t zerr)
{
	if (h->xid <= 0 || h->session_id == 0)
		return;
	struct tsess *s = sess_find(t, h->session_id);
	if (s == NULL || !s->real || s->last_zxid >= h->zxid)
		return;
	size_t len = 0;
	if (zerr == 0) {
		struct proto_wbuf w;
		proto_wbuf_init(&w, NULL, 0);
		proto_response_encode(&w, resp);
		if (w.err != 0 && w.err != -ENOSPC)
			return;
		len = w.len;
	}
	uint8_t *buf = NULL;
	if (len > 0) {
		buf = arena_alloc(&t->arena, len);
		if (buf == NULL)
			return;
		struct proto_wbuf w;
		proto_wbuf_init(&w, buf, len);
		if (proto_response_encode(&w, resp) != 0) {
			arena_free(&t->arena, buf, len);
			return;
		}
	}
	arena_free(&t->arena, s->reply, s->reply_len);
	s->reply = buf;
	s->reply_len = (uint32_t)len;
	s->last_xid = h->xid;
	s->last_zxid = h->zxid;
	s->last_err = zerr;
}

int
tree_apply(struct tree *t, const struct proto_txn *txn,
	   struct proto_response *resp, int32_t *zerr, struct proto_scratch *sc)
{
	const struct proto_txn_hdr *h = &txn->hdr;
	int rc = 0;
	memset(resp, 0, sizeof(*resp));
	resp->type = h->type;
	*zerr = 0;
	switch (h->type) {
	case PROTO_OP_CREATESESSION: {
		struct tsess *s = sess_get(t, h->session_id);
		if (s == NULL)
			return -ENOMEM;
		s->real = true;
		s->closing = false;
		s->timeout = txn->timeout;
		memset(s->passwd, 0, sizeof(s->passwd));
		if (txn->passwd.p != NULL && txn->passwd.len > 0)
			memcpy(s->passwd, txn->passwd.p,
			       txn->passwd.len > PROTO_PASSWD_LEN
				       ? PROTO_PASSWD_LEN
				       : (size_t)txn->passwd.len);
		break;
	}
	case PROTO_OP_CLOSESESSION:
		apply_close(t, h);
		break;
	case PROTO_OP_MULTI: {
		int32_t n = txn->multi.n < 0 ? 0 : txn->multi.n;
		bool failed = false;
		for (int32_t i = 0; i < n; i++) {
			switch (txn->multi.ops[i].hdr.type) {
			case PROTO_OP_ERROR:
				failed = true;
				break;
			case PROTO_OP_CREATE:
			case PROTO_OP_CREATE2:
			case PROTO_OP_CREATECONTAINER:
			case PROTO_OP_CREATETTL:
			case PROTO_OP_DELETE:
			case PROTO_OP_DELETECONTAINER:
			case PROTO_OP_SETDATA:
			case PROTO_OP_CHECK:
				break;
			default:
				return -EINVAL; /* before changing anything */
			}
		}
		struct proto_multi_result *mr = NULL;
		if (n > 0 && sc != NULL)
			mr = proto_scratch_alloc(sc, sizeof(*mr) * (size_t)n);
		for (int32_t i = 0; i < n && rc == 0; i++) {
			const struct proto_txn *op = &txn->multi.ops[i];
			struct ares r;
			memset(&r, 0, sizeof(r));
			if (failed) {
				r.err = op->hdr.type == PROTO_OP_ERROR ? op->err
								       : 0;
				if (mr != NULL) {
					mr[i].type = PROTO_OP_ERROR;
					mr[i].err = r.err;
				}
				continue;
			}
			rc = apply_one(t, h, op->hdr.type, op, &r);
			if (mr != NULL)
				fill_multi(&mr[i], op->hdr.type, &r);
		}
		if (rc != 0)
			return rc;
		if (n > 0 && mr == NULL)
			rc = -ENOBUFS;
		resp->multi.n = mr != NULL ? n : 0;
		resp->multi.r = mr;
		break;
	}
	default: {
		struct ares r;
		rc = apply_one(t, h, h->type, txn, &r);
		if (rc != 0)
			return rc;
		*zerr = r.err;
		fill_resp(resp, h->type, &r);
		break;
	}
	}
	if (h->zxid > t->last_zxid)
		t->last_zxid = h->zxid;
	pchg_applied(t, h->zxid);
	if (rc == 0)
		record_reply(t, h, resp, *zerr);
	return rc;
}
