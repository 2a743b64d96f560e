/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/prep.c — turning a write request into a txn (ZooKeeper's
 * PrepRequestProcessor), on the leader.
 *
 * Why it is built this way: many writes are in flight at once (proposed,
 * being logged, waiting for a quorum), and each must be validated against
 * the tree as it WILL be once the earlier ones apply.  As ZooKeeper does
 * with outstandingChanges, every prepped txn leaves change records — the
 * node's future existence, versions, child count, owner and ACL — in a small
 * overlay keyed by path (latest record wins), and a FIFO by zxid from which
 * apply retires them.  A lookup looks in the overlay first, then the tree.
 * A multi adds its records as it goes, so later ops see earlier ones; when
 * an op fails, the records added since the multi began are popped from the
 * FIFO tail and the ones they hid are put back, leaving no trace.  The
 * overlay holds only in-flight changes, so it is small and uses malloc.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_priv.h"

struct rec {
	bool exists;
	int32_t version, cversion, aversion, num_children;
	int64_t owner;
	struct tacl *acl;
};

static struct pchg *
pchg_find(struct tree *t, const char *path, size_t len, uint32_t h)
{
	struct pchg *p = t->pbucket[h % PCHG_BUCKETS];
	for (; p != NULL; p = p->hnext)
		if (p->hash == h && p->plen == len &&
		    memcmp(p->path, path, len) == 0)
			return p;
	return NULL;
}

static void
bucket_del(struct tree *t, struct pchg *p)
{
	struct pchg **pp = &t->pbucket[p->hash % PCHG_BUCKETS];
	for (; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == p) {
			*pp = p->hnext;
			return;
		}
}

static void
bucket_add(struct tree *t, struct pchg *p)
{
	struct pchg **b = &t->pbucket[p->hash % PCHG_BUCKETS];
	p->hnext = *b;
	*b = p;
}

static void
pchg_free(struct tree *t, struct pchg *p)
{
	acl_unref(t, p->acl);
	free(p);
	t->n_pending--;
}

/* The state of path as prep must see it. */
static void
rec_get(struct tree *t, const char *path, size_t len, struct rec *r)
{
	if (t->n_pending > 0) {
		struct pchg *p = pchg_find(t, path, len, dict_hash(path, len));
		if (p != NULL) {
			r->exists = p->exists;
			r->version = p->version;
			r->cversion = p->cversion;
			r->aversion = p->aversion;
			r->num_children = p->num_children;
			r->owner = p->owner;
			r->acl = p->acl;
			return;
		}
	}
	struct tnode *n = node_find(t, path, len);
	memset(r, 0, sizeof(*r));
	if (n == NULL)
		return;
	r->exists = true;
	r->version = n->version;
	r->cversion = n->cversion;
	r->aversion = n->aversion;
	r->num_children = n->num_children;
	r->owner = n->owner;
	r->acl = n->acl;
}

static int
pchg_add(struct tree *t, const char *path, size_t len, int64_t zxid,
	 const struct rec *r)
{
	struct pchg *p = malloc(sizeof(*p) + len + 1);
	if (p == NULL)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->hash = dict_hash(path, len);
	p->plen = (uint32_t)len;
	memcpy(p->path, path, len);
	p->path[len] = 0;
	p->zxid = zxid;
	p->seq = ++t->pseq;
	p->exists = r->exists;
	p->version = r->version;
	p->cversion = r->cversion;
	p->aversion = r->aversion;
	p->num_children = r->num_children;
	p->owner = r->owner;
	p->acl = r->acl;
	acl_ref(p->acl);
	p->shadow = pchg_find(t, path, len, p->hash);
	if (p->shadow != NULL)
		bucket_del(t, p->shadow);
	bucket_add(t, p);
	p->fprev = t->ptail;
	p->fnext = NULL;
	if (t->ptail != NULL)
		t->ptail->fnext = p;
	else
		t->phead = p;
	t->ptail = p;
	t->n_pending++;
	return 0;
}

/* Pops every record newer than seq `mark`, restoring what they hid. */
static void
pchg_rollback(struct tree *t, uint64_t mark)
{
	while (t->ptail != NULL && t->ptail->seq > mark) {
		struct pchg *p = t->ptail;
		t->ptail = p->fprev;
		if (t->ptail != NULL)
			t->ptail->fnext = NULL;
		else
			t->phead = NULL;
		bucket_del(t, p);
		if (p->shadow != NULL)
			bucket_add(t, p->shadow);
		pchg_free(t, p);
	}
}

/* The shadow links are only for rollback within one prep call. */
static void
pchg_commit(struct tree *t, uint64_t mark)
{
	for (struct pchg *p = t->ptail; p != NULL && p->seq > mark;
	     p = p->fprev)
		p->shadow = NULL;
}

void
pchg_applied(struct tree *t, int64_t zxid)
{
	while (t->phead != NULL && t->phead->zxid <= zxid) {
		struct pchg *p = t->phead;
		t->phead = p->fnext;
		if (t->phead != NULL)
			t->phead->fprev = NULL;
		else
			t->ptail = NULL;
		if (pchg_find(t, p->path, p->plen, p->hash) == p)
			bucket_del(t, p);
		pchg_free(t, p);
	}
}

static void
unmark_closing(void *arg, struct hlink *l)
{
	(void)arg;
	((struct tsess *)l)->closing = false;
}

void
tree_prep_abort(struct tree *t)
{
	pchg_applied(t, INT64_MAX);
	/* the closeSessions prepped will not apply either (a new leader
	 * decides again); O(sessions), but only on a leadership change */
	dict_foreach(&t->sessions, unmark_closing, NULL);
}

void
pchg_fini(struct tree *t)
{
	pchg_applied(t, INT64_MAX);
}

/* ---------------- helpers ---------------- */

static inline int32_t
next_version(int32_t v)
{
	int32_t n = (int32_t)((uint32_t)v + 1u);
	return n < 0 ? 0 : n;
}

static int32_t
check_version(int32_t current, int32_t expected)
{
	if (expected != -1 && expected != current)
		return PROTO_ZBADVERSION;
	return 0;
}

static size_t
parent_len(const char *p, size_t len)
{
	size_t i = len;
	while (i > 0 && p[i - 1] != '/')
		i--;
	/* i - 1 is the last '/' */
	return i <= 1 ? 1 : i - 1;
}

static void
txn_init(struct proto_txn *x, int32_t type)
{
	memset(x, 0, sizeof(*x));
	x->hdr.type = type;
}

static struct proto_view
view(const char *p, size_t n)
{
	struct proto_view v = {(const uint8_t *)p, (int32_t)n};
	return v;
}

/* ---------------- ops ---------------- */

struct pctx {
	struct tree *t;
	const struct tree_client *c;
	int64_t zxid;
	int64_t time;
	struct proto_scratch *s;
};

static int
prep_create(struct pctx *x, const struct proto_request *q,
	    struct proto_txn *out, int32_t *zerr)
{
	struct tree *t = x->t;
	int32_t type = q->type;
	int32_t flags = q->flags;
	const char *path = (const char *)q->path.p;
	size_t len = q->path.len < 0 ? 0 : (size_t)q->path.len;

	if (flags < 0 || flags > PROTO_CM_PERSISTENT_SEQUENTIAL_WITH_TTL) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	bool ttlmode = flags == PROTO_CM_PERSISTENT_WITH_TTL ||
		       flags == PROTO_CM_PERSISTENT_SEQUENTIAL_WITH_TTL;
	bool container = flags == PROTO_CM_CONTAINER;
	bool eph = flags == PROTO_CM_EPHEMERAL ||
		   flags == PROTO_CM_EPHEMERAL_SEQUENTIAL;
	bool seq = flags == PROTO_CM_PERSISTENT_SEQUENTIAL ||
		   flags == PROTO_CM_EPHEMERAL_SEQUENTIAL ||
		   flags == PROTO_CM_PERSISTENT_SEQUENTIAL_WITH_TTL;
	if ((ttlmode || type == PROTO_OP_CREATETTL) && !t->opts.ttl_enabled) {
		*zerr = PROTO_ZUNIMPLEMENTED;
		return 0;
	}
	int64_t ttl = type == PROTO_OP_CREATETTL ? q->ttl : -1;
	if (ttlmode ? (ttl <= 0 || ttl > TTL_MAX) : ttl >= 0) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	if (type == PROTO_OP_CREATECONTAINER && !container) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	if (eph) {
		struct tsess *se = sess_find(t, x->c->session_id);
		if (se == NULL || !se->real || se->closing) {
			*zerr = PROTO_ZSESSIONEXPIRED;
			return 0;
		}
	}
	/* ZooKeeper's order (PrepRequestProcessor.pRequest2TxnCreate): a
	 * path with no '/' or a NUL is BADARGUMENTS at once; then the ACL
	 * fix-up (INVALIDACL), the parent's lookup (NONODE) and CREATE check
	 * (NOAUTH); only then PathUtils.validatePath of the final path
	 * (BADARGUMENTS).  So "/a//b" under a missing "/a/" is NONODE. */
	if (len == 0 || len > PROTO_JUTE_MAXBUFFER ||
	    memchr(path, '/', len) == NULL || memchr(path, 0, len) != NULL) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	/* the final path lives in scratch; it doubles as the "path + 1"
	 * that a sequential path is validated as */
	char *fpath = proto_scratch_alloc(x->s, len + 12);
	if (fpath == NULL)
		return -ENOBUFS;
	memcpy(fpath, path, len);
	struct proto_acl_vec acl;
	int rc = acl_fixup(x->c, &q->acl, &acl, x->s, zerr);
	if (rc != 0 || *zerr != 0)
		return rc;
	if (len == 1 && path[0] == '/') {
		/* the root's parent is the root itself in ZooKeeper's
		 * tree: it exists, so the answer is NODEEXISTS */
		*zerr = PROTO_ZNODEEXISTS;
		return 0;
	}
	size_t plen = parent_len(path, len);
	struct rec par;
	rec_get(t, path, plen, &par);
	if (!par.exists) {
		*zerr = PROTO_ZNONODE;
		return 0;
	}
	if ((*zerr = acl_check(t, par.acl, PROTO_PERM_CREATE, x->c)) != 0)
		return 0;
	/* PathUtils.validatePath(path, isSequential) */
	if (seq) {
		fpath[len] = '1';
		if (!path_valid(fpath, len + 1)) {
			*zerr = PROTO_ZBADARGUMENTS;
			return 0;
		}
	} else if (!path_valid(path, len)) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	/* "%010d" of the parent's stored cversion: 10 digits, or 11 chars
	 * once it has wrapped negative */
	size_t flen = len;
	fpath[len] = 0;
	if (seq)
		flen += (size_t)snprintf(fpath + len, 12, "%010d",
					 par.cversion);
	struct rec cur;
	rec_get(t, fpath, flen, &cur);
	if (cur.exists) {
		*zerr = PROTO_ZNODEEXISTS;
		return 0;
	}
	if (owner_is_ephemeral(par.owner)) {
		*zerr = PROTO_ZNOCHILDRENFOREPHEMERALS;
		return 0;
	}
	int32_t newcv = (int32_t)((uint32_t)par.cversion + 1u);
	int64_t owner = 0;
	if (container)
		owner = OWNER_CONTAINER;
	else if (ttlmode)
		owner = OWNER_TTL_MASK | ttl;
	else if (eph)
		owner = x->c->session_id;

	txn_init(out, type);
	out->path = view(fpath, flen);
	out->data = q->data;
	out->acl = acl;
	out->ephemeral_owner = eph ? x->c->session_id : 0;
	out->create_mode = flags;
	out->ttl = ttlmode ? ttl : 0;
	out->parent_cversion = newcv;

	struct tacl *ia = acl_intern(t, &acl);
	if (ia == NULL)
		return -ENOMEM;
	par.num_children++;
	par.cversion = newcv;
	struct rec nr = {.exists = true, .owner = owner, .acl = ia};
	rc = pchg_add(t, path, plen, x->zxid, &par);
	if (rc == 0)
		rc = pchg_add(t, fpath, flen, x->zxid, &nr);
	acl_unref(t, ia);
	return rc;
}

static int
prep_delete(struct pctx *x, const struct proto_request *q,
	    struct proto_txn *out, int32_t *zerr)
{
	struct tree *t = x->t;
	const char *path = (const char *)q->path.p;
	size_t len = q->path.len < 0 ? 0 : (size_t)q->path.len;
	if (!path_valid(path, len) || path_is_reserved(path, len)) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	size_t plen = parent_len(path, len);
	struct rec par, cur;
	rec_get(t, path, plen, &par);
	if (q->type == PROTO_OP_DELETECONTAINER) {
		rec_get(t, path, len, &cur);
		if (!cur.exists) {
			*zerr = PROTO_ZNONODE;
			return 0;
		}
		if (cur.num_children > 0) {
			*zerr = PROTO_ZNOTEMPTY;
			return 0;
		}
		if (!owner_is_container(cur.owner) &&
		    !owner_is_ttl(cur.owner)) {
			*zerr = PROTO_ZBADVERSION;
			return 0;
		}
	} else {
		if (!par.exists) {
			*zerr = PROTO_ZNONODE;
			return 0;
		}
		if ((*zerr = acl_check(t, par.acl, PROTO_PERM_DELETE, x->c)) !=
		    0)
			return 0;
		rec_get(t, path, len, &cur);
		if (!cur.exists) {
			*zerr = PROTO_ZNONODE;
			return 0;
		}
		if ((*zerr = check_version(cur.version, q->version)) != 0)
			return 0;
		if (cur.num_children > 0) {
			*zerr = PROTO_ZNOTEMPTY;
			return 0;
		}
	}
	txn_init(out, q->type);
	out->path = q->path;
	par.num_children--;
	struct rec gone = {.exists = false};
	int rc = pchg_add(t, path, plen, x->zxid, &par);
	if (rc == 0)
		rc = pchg_add(t, path, len, x->zxid, &gone);
	return rc;
}

static int
prep_setdata(struct pctx *x, const struct proto_request *q,
	     struct proto_txn *out, int32_t *zerr)
{
	struct tree *t = x->t;
	const char *path = (const char *)q->path.p;
	size_t len = q->path.len < 0 ? 0 : (size_t)q->path.len;
	if (!path_valid(path, len)) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	struct rec cur;
	rec_get(t, path, len, &cur);
	if (!cur.exists) {
		*zerr = PROTO_ZNONODE;
		return 0;
	}
	if ((*zerr = acl_check(t, cur.acl, PROTO_PERM_WRITE, x->c)) != 0)
		return 0;
	if ((*zerr = check_version(cur.version, q->version)) != 0)
		return 0;
	txn_init(out, q->type);
	out->path = q->path;
	out->data = q->data;
	out->version = next_version(cur.version);
	cur.version = out->version;
	return pchg_add(t, path, len, x->zxid, &cur);
}

static int
prep_setacl(struct pctx *x, const struct proto_request *q,
	    struct proto_txn *out, int32_t *zerr)
{
	struct tree *t = x->t;
	const char *path = (const char *)q->path.p;
	size_t len = q->path.len < 0 ? 0 : (size_t)q->path.len;
	if (!path_valid(path, len)) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	struct proto_acl_vec acl;
	int rc = acl_fixup(x->c, &q->acl, &acl, x->s, zerr);
	if (rc != 0 || *zerr != 0)
		return rc;
	struct rec cur;
	rec_get(t, path, len, &cur);
	if (!cur.exists) {
		*zerr = PROTO_ZNONODE;
		return 0;
	}
	if ((*zerr = acl_check(t, cur.acl, PROTO_PERM_ADMIN, x->c)) != 0)
		return 0;
	if ((*zerr = check_version(cur.aversion, q->version)) != 0)
		return 0;
	txn_init(out, q->type);
	out->path = q->path;
	out->acl = acl;
	out->version = next_version(cur.aversion);
	struct tacl *ia = acl_intern(t, &acl);
	if (ia == NULL)
		return -ENOMEM;
	cur.aversion = out->version;
	cur.acl = ia;
	rc = pchg_add(t, path, len, x->zxid, &cur);
	acl_unref(t, ia);
	return rc;
}

static int
prep_check(struct pctx *x, const struct proto_request *q, struct proto_txn *out,
	   int32_t *zerr)
{
	struct tree *t = x->t;
	const char *path = (const char *)q->path.p;
	size_t len = q->path.len < 0 ? 0 : (size_t)q->path.len;
	if (!path_valid(path, len)) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	struct rec cur;
	rec_get(t, path, len, &cur);
	if (!cur.exists) {
		*zerr = PROTO_ZNONODE;
		return 0;
	}
	if ((*zerr = acl_check(t, cur.acl, PROTO_PERM_READ, x->c)) != 0)
		return 0;
	if ((*zerr = check_version(cur.version, q->version)) != 0)
		return 0;
	txn_init(out, q->type);
	out->path = q->path;
	out->version = cur.version;
	return 0;
}

static int
prep_one(struct pctx *x, const struct proto_request *q, struct proto_txn *out,
	 int32_t *zerr, bool in_multi)
{
	*zerr = 0;
	switch (q->type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		return prep_create(x, q, out, zerr);
	case PROTO_OP_DELETECONTAINER:
		/* internal (container/TTL cleanup), never from a client */
		if (x->c->session_id != 0) {
			*zerr = PROTO_ZUNIMPLEMENTED;
			return 0;
		}
		return prep_delete(x, q, out, zerr);
	case PROTO_OP_DELETE:
		return prep_delete(x, q, out, zerr);
	case PROTO_OP_SETDATA:
		return prep_setdata(x, q, out, zerr);
	case PROTO_OP_SETACL:
		if (in_multi)
			break;
		return prep_setacl(x, q, out, zerr);
	case PROTO_OP_CHECK:
		if (!in_multi) {
			*zerr = PROTO_ZUNIMPLEMENTED;
			return 0;
		}
		return prep_check(x, q, out, zerr);
	default:
		break;
	}
	if (in_multi) {
		*zerr = PROTO_ZBADARGUMENTS;
		return 0;
	}
	return -EINVAL;
}

static int
prep_multi(struct pctx *x, const struct proto_request *q, struct proto_txn *out)
{
	struct tree *t = x->t;
	int32_t n = q->multi.n < 0 ? 0 : q->multi.n;
	struct proto_txn *ops = NULL;
	if (n > 0) {
		ops = proto_scratch_alloc(x->s, sizeof(*ops) * (size_t)n);
		if (ops == NULL)
			return -ENOBUFS;
	}
	uint64_t mark = t->pseq;
	int32_t failed = -1, ferr = 0;
	for (int32_t i = 0; i < n; i++) {
		int32_t zerr;
		int rc = prep_one(x, &q->multi.ops[i], &ops[i], &zerr, true);
		if (rc != 0) {
			pchg_rollback(t, mark);
			return rc;
		}
		if (zerr != 0) {
			failed = i;
			ferr = zerr;
			pchg_rollback(t, mark);
			break;
		}
	}
	if (failed >= 0) {
		for (int32_t i = 0; i < n; i++) {
			txn_init(&ops[i], PROTO_OP_ERROR);
			ops[i].err = i < failed ? 0
				     : i == failed
					     ? ferr
					     : PROTO_ZRUNTIMEINCONSISTENCY;
		}
	}
	txn_init(out, PROTO_OP_MULTI);
	out->multi.n = n;
	out->multi.ops = ops;
	pchg_commit(t, mark);
	return 0;
}

int
tree_prep(struct tree *t, const struct tree_client *c, int32_t xid,
	  const struct proto_request *req, int64_t zxid, int64_t time_ms,
	  struct proto_txn *txn, int32_t *zerr, struct proto_scratch *s)
{
	static const struct tree_client anon;
	struct pctx x = {.t = t,
			 .c = c != NULL ? c : &anon,
			 .zxid = zxid,
			 .time = time_ms,
			 .s = s};
	int rc;
	uint64_t mark = t->pseq;
	*zerr = 0;
	if (x.c->session_id != 0) {
		/* a session whose closeSession is in flight writes nothing
		 * more (ZooKeeper: SessionTracker.checkSession) */
		struct tsess *se = sess_find(t, x.c->session_id);
		if (se != NULL && se->closing) {
			*zerr = PROTO_ZSESSIONEXPIRED;
			return 0;
		}
	}
	if (req->type == PROTO_OP_MULTI) {
		rc = prep_multi(&x, req, txn);
	} else {
		rc = prep_one(&x, req, txn, zerr, false);
		if (rc != 0 || *zerr != 0)
			pchg_rollback(t, mark);
		else
			pchg_commit(t, mark);
	}
	if (rc != 0 || *zerr != 0)
		return rc;
	txn->hdr.session_id = x.c->session_id;
	txn->hdr.xid = xid;
	txn->hdr.zxid = zxid;
	txn->hdr.time = time_ms;
	return 0;
}

int
tree_prep_create_session(struct tree *t, int64_t session_id, int32_t timeout_ms,
			 const uint8_t *passwd, int64_t zxid, int64_t time_ms,
			 struct proto_txn *txn)
{
	(void)t;
	txn_init(txn, PROTO_OP_CREATESESSION);
	txn->hdr.session_id = session_id;
	txn->hdr.zxid = zxid;
	txn->hdr.time = time_ms;
	txn->timeout = timeout_ms;
	txn->passwd.p = passwd;
	txn->passwd.len = PROTO_PASSWD_LEN;
	return 0;
}

static int
close_one(struct tree *t, const char *path, size_t len, int64_t zxid)
{
	struct rec cur, par;
	rec_get(t, path, len, &cur);
	if (!cur.exists)
		return 0;
	size_t plen = parent_len(path, len);
	rec_get(t, path, plen, &par);
	par.num_children--;
	struct rec gone = {.exists = false};
	int rc = pchg_add(t, path, plen, zxid, &par);
	if (rc == 0)
		rc = pchg_add(t, path, len, zxid, &gone);
	return rc;
}

int
tree_prep_close_session(struct tree *t, int64_t session_id, int32_t xid,
			int64_t zxid, int64_t time_ms, struct proto_txn *txn)
{
	uint64_t mark = t->pseq;
	struct tsess *s = sess_find(t, session_id);
	int rc = 0;
	if (s != NULL) {
		s->closing = true;
		for (struct tnode *n = s->eph; n != NULL && rc == 0;
		     n = n->aux_next)
			rc = close_one(t, n->path, n->h.klen, zxid);
	}
	/* ephemerals of this session still pending creation */
	struct pchg *end = t->ptail;
	for (struct pchg *p = t->phead; p != NULL && rc == 0; p = p->fnext) {
		if (p->seq > mark)
			break;
		if (p->exists && p->owner == session_id &&
		    pchg_find(t, p->path, p->plen, p->hash) == p)
			rc = close_one(t, p->path, p->plen, zxid);
		if (p == end)
			break;
	}
	if (rc != 0) {
		pchg_rollback(t, mark);
		return rc;
	}
	pchg_commit(t, mark);
	txn_init(txn, PROTO_OP_CLOSESESSION);
	txn->hdr.session_id = session_id;
	txn->hdr.xid = xid;
	txn->hdr.zxid = zxid;
	txn->hdr.time = time_ms;
	return 0;
}
