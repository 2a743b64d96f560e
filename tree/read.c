/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/read.c — reads and the local, non-replicated ops (ZooKeeper's
 * FinalRequestProcessor for non-txn requests): exists, getData,
 * getChildren(2), getACL, getAllChildrenNumber, getEphemerals, multiRead,
 * sync, addWatch, checkWatches, removeWatches, setWatches(2).
 *
 * Why it is built this way: a read is one hash probe plus, for
 * getChildren, a walk of that node's sibling list; the reply is made of
 * views into the arena (data, child names) and the caller's scratch (the
 * vector of views), so nothing is copied until the codec encodes the reply.
 * getAllChildrenNumber reads a descendant count kept up to date by
 * insert/remove instead of scanning the tree as ZooKeeper does.
 */
#include <errno.h>
#include <string.h>

#include "tree/tree_priv.h"

#define PLEN(v) ((v).len < 0 ? (size_t)0 : (size_t)(v).len)

static int
children_vec(struct tnode *n, struct proto_str_vec *out,
	     struct proto_scratch *s)
{
	out->n = n->num_children;
	out->v = NULL;
	if (n->num_children == 0)
		return 0;
	out->v = proto_scratch_alloc(s,
				     sizeof(*out->v) * (size_t)n->num_children);
	if (out->v == NULL)
		return -ENOBUFS;
	int32_t i = 0;
	for (struct tnode *c = n->child; c != NULL; c = c->sib_next) {
		size_t nl;
		const char *nm = node_name(c, &nl);
		out->v[i].p = (const uint8_t *)nm;
		out->v[i].len = (int32_t)nl;
		i++;
	}
	return 0;
}

/* getACL without ADMIN: digest ids are shown as "user:x". */
static int
redact_digests(struct proto_acl_vec *v, struct proto_scratch *s)
{
	for (int32_t i = 0; i < v->n; i++) {
		struct proto_id *id = &v->v[i].id;
		if (id->scheme.len != 6 || memcmp(id->scheme.p, "digest", 6))
			continue;
		const uint8_t *colon = memchr(id->id.p, ':', PLEN(id->id));
		if (colon == NULL)
			continue;
		size_t ul = (size_t)(colon - id->id.p);
		uint8_t *b = proto_scratch_alloc(s, ul + 2);
		if (b == NULL)
			return -ENOBUFS;
		memcpy(b, id->id.p, ul);
		b[ul] = ':';
		b[ul + 1] = 'x';
		id->id.p = b;
		id->id.len = (int32_t)(ul + 2);
	}
	return 0;
}

static int read_one(struct tree *t, const struct tree_client *c,
		    const struct proto_request *q, struct proto_response *r,
		    int32_t *zerr, struct proto_scratch *s);

static int
read_multi(struct tree *t, const struct tree_client *c,
	   const struct proto_request *q, struct proto_response *r,
	   struct proto_scratch *s)
{
	int32_t n = q->multi.n < 0 ? 0 : q->multi.n;
	struct proto_multi_result *mr = NULL;
	if (n > 0) {
		mr = proto_scratch_alloc(s, sizeof(*mr) * (size_t)n);
		if (mr == NULL)
			return -ENOBUFS;
	}
	for (int32_t i = 0; i < n; i++) {
		const struct proto_request *op = &q->multi.ops[i];
		struct proto_response sub;
		int32_t e = 0;
		memset(&mr[i], 0, sizeof(mr[i]));
		if (op->type != PROTO_OP_GETDATA &&
		    op->type != PROTO_OP_GETCHILDREN) {
			mr[i].type = PROTO_OP_ERROR;
			mr[i].err = PROTO_ZBADARGUMENTS;
			continue;
		}
		int rc = read_one(t, c, op, &sub, &e, s);
		if (rc != 0)
			return rc;
		if (e != 0) {
			mr[i].type = PROTO_OP_ERROR;
			mr[i].err = e;
			continue;
		}
		mr[i].type = op->type;
		mr[i].data = sub.data;
		mr[i].stat = sub.stat;
		mr[i].children = sub.children;
	}
	r->multi.n = n;
	r->multi.r = mr;
	return 0;
}

static int
watch_type_remove(struct tree *t, int64_t sid, int32_t type, const char *p,
		  size_t len, bool dry, int32_t *zerr)
{
	int n = 0;
	switch (type) {
	case PROTO_WTYPE_CHILDREN:
		n = watch_remove(t, sid, WT_CHILD, WM_STANDARD, p, len, dry);
		break;
	case PROTO_WTYPE_DATA:
		n = watch_remove(t, sid, WT_DATA, WM_STANDARD, p, len, dry);
		break;
	case PROTO_WTYPE_ANY:
		for (int m = WM_STANDARD; m <= WM_RECURSIVE; m++) {
			n += watch_remove(t, sid, WT_CHILD, m, p, len, dry);
			n += watch_remove(t, sid, WT_DATA, m, p, len, dry);
		}
		break;
	case PROTO_WTYPE_PERSISTENT:
		n = watch_remove(t, sid, WT_CHILD, WM_PERSISTENT, p, len, dry);
		n += watch_remove(t, sid, WT_DATA, WM_PERSISTENT, p, len, dry);
		break;
	case PROTO_WTYPE_PERSISTENT_RECURSIVE:
		n = watch_remove(t, sid, WT_DATA, WM_RECURSIVE, p, len, dry);
		break;
	default:
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	if (n == 0)
		*zerr = PROTO_ZNOWATCHER;
	return 0;
}

static int
add_persistent(struct tree *t, int64_t sid, int32_t mode, const char *p,
	       size_t len)
{
	if (mode == PROTO_ADDWATCH_PERSISTENT_RECURSIVE)
		return watch_add(t, sid, WT_DATA, WM_RECURSIVE, p, len);
	int rc = watch_add(t, sid, WT_DATA, WM_PERSISTENT, p, len);
	if (rc == 0)
		rc = watch_add(t, sid, WT_CHILD, WM_PERSISTENT, p, len);
	return rc;
}

/* DataTree.setWatches: replay against relativeZxid. */
static int
set_watches(struct tree *t, int64_t sid, const struct proto_request *q)
{
	int64_t rel = q->rel_zxid;
	int rc = 0;
	for (int l = 0; l < PROTO_WL_MAX && rc == 0; l++) {
		const struct proto_str_vec *v = &q->watches[l];
		for (int32_t i = 0; i < v->n && rc == 0; i++) {
			const char *p = (const char *)v->v[i].p;
			size_t len = PLEN(v->v[i]);
			if (!path_valid(p, len))
				continue;
			struct tnode *n = node_find(t, p, len);
			switch (l) {
			case PROTO_WL_DATA:
				if (n == NULL)
					emit_event(t, sid,
						   PROTO_EV_NODE_DELETED, p,
						   len, -1);
				else if (n->mzxid > rel)
					emit_event(t, sid,
						   PROTO_EV_NODE_DATA_CHANGED,
						   p, len, -1);
				else
					rc = watch_add(t, sid, WT_DATA,
						       WM_STANDARD, p, len);
				break;
			case PROTO_WL_EXIST:
				if (n != NULL)
					emit_event(t, sid,
						   PROTO_EV_NODE_CREATED, p,
						   len, -1);
				else
					rc = watch_add(t, sid, WT_DATA,
						       WM_STANDARD, p, len);
				break;
			case PROTO_WL_CHILD:
				if (n == NULL)
					emit_event(t, sid,
						   PROTO_EV_NODE_DELETED, p,
						   len, -1);
				else if (n->pzxid > rel)
					emit_event(
						t, sid,
						PROTO_EV_NODE_CHILDREN_CHANGED,
						p, len, -1);
				else
					rc = watch_add(t, sid, WT_CHILD,
						       WM_STANDARD, p, len);
				break;
			case PROTO_WL_PERSISTENT:
				rc = add_persistent(t, sid,
						    PROTO_ADDWATCH_PERSISTENT,
						    p, len);
				break;
			default:
				rc = add_persistent(
					t, sid,
					PROTO_ADDWATCH_PERSISTENT_RECURSIVE, p,
					len);
				break;
			}
		}
	}
	return rc;
}

static int
read_one(struct tree *t, const struct tree_client *c,
	 const struct proto_request *q, struct proto_response *r, int32_t *zerr,
	 struct proto_scratch *s)
{
	const char *path = (const char *)q->path.p;
	size_t len = PLEN(q->path);
	int64_t sid = c->session_id;
	struct tnode *n;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->type = q->type;
	*zerr = 0;
	switch (q->type) {
	case PROTO_OP_EXISTS:
		if (!path_valid(path, len))
			break;
		n = node_find(t, path, len);
		/* READ is checked when the node exists (and then a denied
		 * exists arms nothing), as ZooKeeper 3.9 does */
		if (n != NULL &&
		    (*zerr = acl_check(t, n->acl, PROTO_PERM_READ, c)) != 0)
			return 0;
		if (q->watch) {
			rc = watch_add(t, sid, WT_DATA, WM_STANDARD, path, len);
			if (rc != 0)
				return rc;
		}
		if (n == NULL)
			*zerr = PROTO_ZNONODE;
		else
			node_stat(n, &r->stat);
		return 0;
	case PROTO_OP_GETDATA:
	case PROTO_OP_GETCHILDREN:
	case PROTO_OP_GETCHILDREN2:
	case PROTO_OP_GETALLCHILDRENNUMBER:
		if (!path_valid(path, len))
			break;
		n = node_find(t, path, len);
		if (n == NULL) {
			*zerr = PROTO_ZNONODE;
			return 0;
		}
		if ((*zerr = acl_check(t, n->acl, PROTO_PERM_READ, c)) != 0)
			return 0;
		if (q->type == PROTO_OP_GETALLCHILDRENNUMBER) {
			r->number = (int32_t)n->ndesc;
			return 0;
		}
		node_stat(n, &r->stat);
		if (q->type == PROTO_OP_GETDATA) {
			r->data.p = n->data;
			r->data.len = n->data_null ? -1 : n->data_len;
		} else {
			rc = children_vec(n, &r->children, s);
			if (rc != 0)
				return rc;
		}
		if (q->watch)
			rc = watch_add(t, sid,
				       q->type == PROTO_OP_GETDATA ? WT_DATA
								   : WT_CHILD,
				       WM_STANDARD, path, len);
		return rc;
	case PROTO_OP_GETACL:
		if (!path_valid(path, len))
			break;
		n = node_find(t, path, len);
		if (n == NULL) {
			*zerr = PROTO_ZNONODE;
			return 0;
		}
		if ((*zerr = acl_check(t, n->acl,
				       PROTO_PERM_READ | PROTO_PERM_ADMIN,
				       c)) != 0)
			return 0;
		node_stat(n, &r->stat);
		rc = acl_to_vec(n->acl, &r->acl, s);
		if (rc == 0 && acl_check(t, n->acl, PROTO_PERM_ADMIN, c) != 0)
			rc = redact_digests(&r->acl, s);
		return rc;
	case PROTO_OP_GETEPHEMERALS: {
		struct tsess *se = sess_find(t, sid);
		bool all = len == 0 || (len == 1 && path[0] == '/');
		int32_t cnt = 0;
		r->children.n = 0;
		if (se == NULL || se->n_eph == 0)
			return 0;
		r->children.v = proto_scratch_alloc(
			s, sizeof(struct proto_view) * se->n_eph);
		if (r->children.v == NULL)
			return -ENOBUFS;
		for (n = se->eph; n != NULL; n = n->aux_next) {
			if (!all && (n->h.klen < len ||
				     memcmp(n->path, path, len) != 0))
				continue;
			r->children.v[cnt].p = (const uint8_t *)n->path;
			r->children.v[cnt].len = (int32_t)n->h.klen;
			cnt++;
		}
		r->children.n = cnt;
		return 0;
	}
	case PROTO_OP_MULTIREAD:
		return read_multi(t, c, q, r, s);
	case PROTO_OP_SYNC:
		if (!path_valid(path, len))
			break;
		r->path = q->path;
		return 0;
	case PROTO_OP_ADDWATCH:
		if (!path_valid(path, len) ||
		    (q->mode != PROTO_ADDWATCH_PERSISTENT &&
		     q->mode != PROTO_ADDWATCH_PERSISTENT_RECURSIVE))
			break;
		r->number = 0;
		return add_persistent(t, sid, q->mode, path, len);
	case PROTO_OP_CHECKWATCHES:
	case PROTO_OP_REMOVEWATCHES:
		if (!path_valid(path, len))
			break;
		return watch_type_remove(t, sid, q->mode, path, len,
					 q->type == PROTO_OP_CHECKWATCHES,
					 zerr);
	case PROTO_OP_SETWATCHES:
	case PROTO_OP_SETWATCHES2:
		return set_watches(t, sid, q);
	default:
		return -EINVAL;
	}
	*zerr = PROTO_ZBADARGUMENTS;
	return 0;
}

int
tree_read(struct tree *t, const struct tree_client *c,
	  const struct proto_request *req, struct proto_response *resp,
	  int32_t *zerr, struct proto_scratch *s)
{
	static const struct tree_client anon;
	return read_one(t, c != NULL ? c : &anon, req, resp, zerr, s);
}
