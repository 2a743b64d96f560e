/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client/dpzk_ops.c — libdpzk's operations: each async call builds a
 * proto_request, encodes RequestHeader + body once (kept for resends) and
 * queues it; dpzk_complete decodes the reply body with proto/'s codecs and
 * hands the caller a dpzk_result whose strings are NUL-terminated copies;
 * the blocking calls are the async ones plus a completion that copies the
 * result out and a loop that runs until it fired.  Also the error strings
 * and the zkCli-style ACL parser.
 *
 * Why it is built this way: one completion type (dpzk_result) instead of
 * ZooKeeper's eight keeps one decode path for every opcode; the blocking
 * calls then cannot drift from the async ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/dpzk_priv.h"

/* ------------------------------------------------------------------ */
/* Constants and helpers                                               */
/* ------------------------------------------------------------------ */

static struct dpzk_acl open_acl[] = {
	{DPZK_PERM_ALL, {(char *)"world", (char *)"anyone"}}};
static struct dpzk_acl read_acl[] = {
	{DPZK_PERM_READ, {(char *)"world", (char *)"anyone"}}};
static struct dpzk_acl creator_acl[] = {
	{DPZK_PERM_ALL, {(char *)"auth", (char *)""}}};
const struct dpzk_acl_vector dpzk_open_acl_unsafe = {1, open_acl};
const struct dpzk_acl_vector dpzk_read_acl_unsafe = {1, read_acl};
const struct dpzk_acl_vector dpzk_creator_all_acl = {1, creator_acl};

struct errtab {
	int rc;
	const char *name;
	const char *text;
};

static const struct errtab errs[] = {
	{DPZK_ZOK, "OK", "ok"},
	{DPZK_ZSYSTEMERROR, "SystemError", "system error"},
	{DPZK_ZRUNTIMEINCONSISTENCY, "RuntimeInconsistency",
	 "run time inconsistency"},
	{DPZK_ZDATAINCONSISTENCY, "DataInconsistency", "data inconsistency"},
	{DPZK_ZCONNECTIONLOSS, "ConnectionLoss", "connection loss"},
	{DPZK_ZMARSHALLINGERROR, "MarshallingError", "marshalling error"},
	{DPZK_ZUNIMPLEMENTED, "Unimplemented", "unimplemented"},
	{DPZK_ZOPERATIONTIMEOUT, "OperationTimeout", "operation timeout"},
	{DPZK_ZBADARGUMENTS, "BadArguments", "bad arguments"},
	{DPZK_ZINVALIDSTATE, "InvalidState", "invalid handle state"},
	{DPZK_ZNEWCONFIGNOQUORUM, "NewConfigNoQuorum",
	 "no quorum of new config is connected"},
	{DPZK_ZRECONFIGINPROGRESS, "ReconfigInProgress",
	 "another reconfiguration is in progress"},
	{DPZK_ZSSLCONNECTIONERROR, "SSLConnectionError",
	 "SSL connection error"},
	{DPZK_ZAPIERROR, "APIError", "api error"},
	{DPZK_ZNONODE, "NoNode", "no node"},
	{DPZK_ZNOAUTH, "NoAuth", "not authenticated"},
	{DPZK_ZBADVERSION, "BadVersion", "bad version"},
	{DPZK_ZNOCHILDRENFOREPHEMERALS, "NoChildrenForEphemerals",
	 "no children for ephemerals"},
	{DPZK_ZNODEEXISTS, "NodeExists", "node exists"},
	{DPZK_ZNOTEMPTY, "NotEmpty", "not empty"},
	{DPZK_ZSESSIONEXPIRED, "SessionExpired", "session expired"},
	{DPZK_ZINVALIDCALLBACK, "InvalidCallback", "invalid callback"},
	{DPZK_ZINVALIDACL, "InvalidACL", "invalid acl"},
	{DPZK_ZAUTHFAILED, "AuthFailed", "authentication failed"},
	{DPZK_ZCLOSING, "Closing", "dpzk handle is closing"},
	{DPZK_ZNOTHING, "Nothing",
	 "(not error) no server responses to process"},
	{DPZK_ZSESSIONMOVED, "SessionMoved",
	 "session moved to another server, so operation is ignored"},
	{DPZK_ZNOTREADONLY, "NotReadOnly",
	 "state-changing request is passed to read-only server"},
	{DPZK_ZEPHEMERALONLOCALSESSION, "EphemeralOnLocalSession",
	 "attempts to create ephemeral node on a local session"},
	{DPZK_ZNOWATCHER, "NoWatcher", "the watcher couldn't be found"},
	{DPZK_ZRECONFIGDISABLED, "ReconfigDisabled",
	 "reconfiguration is disabled"},
	{DPZK_ZSESSIONCLOSEDREQUIRESASLAUTH, "SessionClosedRequireSaslAuth",
	 "session closed because client failed to authenticate"},
	{DPZK_ZTHROTTLEDOP, "ThrottledOp",
	 "operation was throttled due to high load"},
};

static const struct errtab *
err_find(int rc)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].rc == rc)
			return &errs[i];
	return NULL;
}

const char *
dpzk_strerror(int rc)
{
	const struct errtab *e = err_find(rc);

	return e ? e->text : "unknown error";
}

const char *
dpzk_errname(int rc)
{
	const struct errtab *e = err_find(rc);

	return e ? e->name : "Unknown";
}

void
dpzk_strings_free(struct dpzk_strings *v)
{
	if (v == NULL)
		return;
	for (int32_t i = 0; i < v->count; i++)
		free(v->data[i]);
	free(v->data);
	v->data = NULL;
	v->count = 0;
}

void
dpzk_acls_free(struct dpzk_acl_vector *v)
{
	if (v == NULL)
		return;
	for (int32_t i = 0; i < v->count; i++) {
		free(v->data[i].id.scheme);
		free(v->data[i].id.id);
	}
	free(v->data);
	v->data = NULL;
	v->count = 0;
}

void
dpzk_client_info_free(struct dpzk_client_info *v, int count)
{
	if (v == NULL)
		return;
	for (int i = 0; i < count; i++) {
		free(v[i].scheme);
		free(v[i].user);
	}
	free(v);
}

static struct proto_view
cview(const char *s)
{
	struct proto_view v = {(const uint8_t *)s, s ? (int32_t)strlen(s) : -1};

	return v;
}

static struct proto_view
bview(const char *p, int len)
{
	struct proto_view v = {(const uint8_t *)p, p && len >= 0 ? len : -1};

	return v;
}

static char *
vdup(struct proto_view v)
{
	if (v.len < 0)
		return NULL;
	return strndup(v.p ? (const char *)v.p : "", (size_t)v.len);
}

static void
stat_from(struct dpzk_stat *d, const struct proto_stat *s)
{
	d->czxid = s->czxid;
	d->mzxid = s->mzxid;
	d->ctime = s->ctime;
	d->mtime = s->mtime;
	d->version = s->version;
	d->cversion = s->cversion;
	d->aversion = s->aversion;
	d->ephemeral_owner = s->ephemeral_owner;
	d->data_length = s->data_length;
	d->num_children = s->num_children;
	d->pzxid = s->pzxid;
}

/* A valid absolute path: starts with '/', no empty component, no trailing
 * '/' (except "/"), no NUL-free weirdness checked beyond that. */
static bool
path_ok(const char *path)
{
	size_t n;

	if (path == NULL || path[0] != '/')
		return false;
	n = strlen(path);
	if (n == 1)
		return true;
	if (path[n - 1] == '/' || strstr(path, "//"))
		return false;
	return true;
}

/* As ZooKeeper's clients (isValidPath(path, mode)): a sequential create
 * may name "/parent/", the server appends the sequence number. */
static bool
create_path_ok(const char *path, int mode)
{
	size_t n;

	if (path == NULL)
		return false;
	n = strlen(path);
	if ((mode == DPZK_PERSISTENT_SEQUENTIAL ||
	     mode == DPZK_EPHEMERAL_SEQUENTIAL || mode == 6) &&
	    n > 1 && path[n - 1] == '/' && path[0] == '/' &&
	    strstr(path, "//") == NULL)
		return true;
	return path_ok(path);
}

/* ------------------------------------------------------------------ */
/* Encoding and completing                                             */
/* ------------------------------------------------------------------ */

int
dpzk_encode_request(struct dpzk_pending *p, const struct proto_request *q)
{
	struct proto_wbuf w;
	struct proto_req_hdr h = {p->xid, q->type};

	proto_wbuf_init(&w, NULL, 0);
	proto_req_hdr_encode(&w, &h);
	proto_request_encode(&w, q);
	if (w.err != 0 && w.err != -ENOSPC)
		return DPZK_ZBADARGUMENTS;
	p->len = w.len;
	p->msg = malloc(w.len ? w.len : 1);
	if (p->msg == NULL)
		return DPZK_ZSYSTEMERROR;
	proto_wbuf_init(&w, p->msg, p->len);
	proto_req_hdr_encode(&w, &h);
	if (proto_request_encode(&w, q) != 0 || w.len != p->len)
		return DPZK_ZBADARGUMENTS;
	return DPZK_ZOK;
}

/* Temporary allocations of one completion. */
struct conv {
	struct dpzk_stat stat;
	struct dpzk_strings strings;
	struct dpzk_acl_vector acl;
	struct dpzk_client_info *who;
	int32_t nwho;
	struct dpzk_op_result *results;
	struct dpzk_stat *rstats;
	struct dpzk_strings *rkids;
	int32_t nresults;
	char *path;
	void *scratch;
};

static void
conv_free(struct conv *c)
{
	dpzk_strings_free(&c->strings);
	dpzk_acls_free(&c->acl);
	dpzk_client_info_free(c->who, c->nwho);
	if (c->results)
		for (int32_t i = 0; i < c->nresults; i++)
			free(c->results[i].value);
	if (c->rkids)
		for (int32_t i = 0; i < c->nresults; i++)
			dpzk_strings_free(&c->rkids[i]);
	free(c->results);
	free(c->rstats);
	free(c->rkids);
	free(c->path);
	free(c->scratch);
}

static int
conv_strings(struct dpzk_strings *d, const struct proto_str_vec *v)
{
	d->count = 0;
	d->data = NULL;
	if (v->n <= 0)
		return 0;
	d->data = calloc((size_t)v->n, sizeof(char *));
	if (d->data == NULL)
		return -1;
	for (int32_t i = 0; i < v->n; i++) {
		d->data[i] = vdup(v->v[i]);
		if (d->data[i] == NULL)
			d->data[i] = strdup("");
		d->count++;
	}
	return 0;
}

static int
conv_acl(struct dpzk_acl_vector *d, const struct proto_acl_vec *v)
{
	d->count = 0;
	d->data = NULL;
	if (v->n <= 0)
		return 0;
	d->data = calloc((size_t)v->n, sizeof(*d->data));
	if (d->data == NULL)
		return -1;
	for (int32_t i = 0; i < v->n; i++) {
		d->data[i].perms = v->v[i].perms;
		d->data[i].id.scheme = vdup(v->v[i].id.scheme);
		d->data[i].id.id = vdup(v->v[i].id.id);
		d->count++;
	}
	return 0;
}

/* Replaces a malloc'd server path by the client's view of it. */
static char *
unchroot(const struct dpzk_handle *zh, char *sp)
{
	const char *cp;
	char *r;

	if (sp == NULL || zh->chroot == NULL)
		return sp;
	cp = dpzk_client_path(zh, sp);
	if (cp == NULL)
		return sp;
	r = strdup(cp);
	if (r == NULL)
		return sp;
	free(sp);
	return r;
}

static int
convert(const struct dpzk_handle *zh, struct conv *c, struct dpzk_result *res,
	const struct proto_response *a, int rc)
{
	res->stat = &c->stat;
	stat_from(&c->stat, &a->stat);
	if (a->path.len >= 0 && a->path.p) {
		c->path = unchroot(zh, vdup(a->path));
		res->path = c->path;
	}
	res->data = a->data.len >= 0 ? (const char *)a->data.p : NULL;
	res->data_len = a->data.len;
	if (a->children.n > 0 && conv_strings(&c->strings, &a->children))
		return DPZK_ZSYSTEMERROR;
	if (a->type == PROTO_OP_GETEPHEMERALS) /* full paths */
		for (int32_t i = 0; i < c->strings.count; i++)
			c->strings.data[i] = unchroot(zh, c->strings.data[i]);
	res->strings = &c->strings;
	if (a->acl.n > 0 && conv_acl(&c->acl, &a->acl))
		return DPZK_ZSYSTEMERROR;
	res->acl = &c->acl;
	res->number = a->number;
	if (a->who.n > 0) {
		c->who = calloc((size_t)a->who.n, sizeof(*c->who));
		if (c->who == NULL)
			return DPZK_ZSYSTEMERROR;
		for (int32_t i = 0; i < a->who.n; i++) {
			c->who[i].scheme = vdup(a->who.v[i].auth_scheme);
			c->who[i].user = vdup(a->who.v[i].user);
			c->nwho++;
		}
	}
	res->who = c->who;
	res->who_count = c->nwho;
	if (a->multi.n > 0) {
		c->results = calloc((size_t)a->multi.n, sizeof(*c->results));
		c->rstats = calloc((size_t)a->multi.n, sizeof(*c->rstats));
		c->rkids = calloc((size_t)a->multi.n, sizeof(*c->rkids));
		if (c->results == NULL || c->rstats == NULL || c->rkids == NULL)
			return DPZK_ZSYSTEMERROR;
		c->nresults = a->multi.n;
		for (int32_t i = 0; i < a->multi.n; i++) {
			const struct proto_multi_result *m = &a->multi.r[i];
			struct dpzk_op_result *o = &c->results[i];

			o->err = m->type == PROTO_OP_ERROR ? m->err : 0;
			/* multi: ops before the failing one carry 0, later
			 * ones RUNTIMEINCONSISTENCY: the first non-zero is
			 * it.  multiRead: each op on its own. */
			if (o->err != 0 && rc == DPZK_ZOK &&
			    a->type == PROTO_OP_MULTI)
				rc = o->err;
			o->valuelen = -1;
			if (m->path.len >= 0 && m->path.p) {
				o->value = unchroot(zh, vdup(m->path));
				o->valuelen =
					o->value ? (int)strlen(o->value) : -1;
			} else if (m->type == PROTO_OP_GETDATA &&
				   m->data.len >= 0) {
				o->value = vdup(m->data);
				o->valuelen = m->data.len;
			}
			if (m->type == PROTO_OP_GETCHILDREN) {
				if (conv_strings(&c->rkids[i], &m->children))
					return DPZK_ZSYSTEMERROR;
				o->children = &c->rkids[i];
			}
			stat_from(&c->rstats[i], &m->stat);
			o->stat = &c->rstats[i];
		}
		res->results = c->results;
		res->nresults = c->nresults;
	}
	return rc;
}

void
dpzk_complete(struct dpzk_handle *zh, struct dpzk_pending *p, int rc,
	      const uint8_t *msg, size_t len)
{
	struct dpzk_result res;
	struct conv c;

	memset(&res, 0, sizeof(res));
	memset(&c, 0, sizeof(c));
	res.op = p->op;
	res.data_len = -1;
	if (msg && rc == DPZK_ZOK) {
		struct proto_rbuf r;
		struct proto_reply_hdr rh;
		struct proto_response a;
		struct proto_scratch s;
		size_t cap = 16 * len + 4096;

		c.scratch = malloc(cap);
		proto_rbuf_init(&r, msg, len);
		if (c.scratch == NULL) {
			rc = DPZK_ZSYSTEMERROR;
		} else if (proto_reply_hdr_decode(&r, &rh) != 0) {
			rc = DPZK_ZMARSHALLINGERROR;
		} else if (r.off == r.len) {
			/* A body-less OK: the answer to a retried xid older
			 * than the session's last one (applied once, its
			 * result no longer kept; PROTOCOL-channel §2.6). */
		} else {
			proto_scratch_init(&s, c.scratch, cap);
			if (proto_response_decode(&r, p->op, &a, &s) != 0)
				rc = DPZK_ZMARSHALLINGERROR;
			else
				rc = convert(zh, &c, &res, &a, rc);
		}
	}
	if (p->cb)
		p->cb(rc, &res, p->cbdata);
	conv_free(&c);
}

/* ------------------------------------------------------------------ */
/* Async operations                                                    */
/* ------------------------------------------------------------------ */

static int
submit(struct dpzk_handle *zh, const struct proto_request *q, const char *path,
       enum dpzk_wkind wk, dpzk_watcher_fn *wfn, void *wctx,
       dpzk_completion_fn *cb, const void *data)
{
	struct dpzk_pending *p;
	int rc;

	if (zh == NULL)
		return DPZK_ZBADARGUMENTS;
	if (zh->terminal)
		return DPZK_ZINVALIDSTATE;
	p = dpzk_pending_new(zh, q->type, path);
	if (p == NULL)
		return DPZK_ZSYSTEMERROR;
	p->wkind = wk;
	p->wfn = wfn;
	p->wctx = wctx;
	p->cb = cb;
	p->cbdata = data;
	if (zh->chroot && q->path.p && q->path.len >= 0) {
		struct proto_request qc = *q;
		char *sp = dpzk_server_path(zh, (const char *)q->path.p,
					    (size_t)q->path.len);

		if (sp == NULL) {
			dpzk_pending_free(p);
			return DPZK_ZSYSTEMERROR;
		}
		qc.path = cview(sp);
		rc = dpzk_encode_request(p, &qc);
		free(sp);
	} else {
		rc = dpzk_encode_request(p, q);
	}
	if (rc != DPZK_ZOK) {
		dpzk_pending_free(p);
		return rc;
	}
	return dpzk_submit(zh, p);
}

/* dpzk_acl_vector → proto_acl_vec (views), into a caller array. */
static int
acl_to_proto(const struct dpzk_acl_vector *acl, struct proto_acl_vec *v,
	     struct proto_acl **tmp)
{
	*tmp = NULL;
	if (acl == NULL) {
		v->n = -1;
		v->v = NULL;
		return 0;
	}
	if (acl->count > 0) {
		*tmp = calloc((size_t)acl->count, sizeof(**tmp));
		if (*tmp == NULL)
			return -1;
	}
	for (int32_t i = 0; i < acl->count; i++) {
		(*tmp)[i].perms = acl->data[i].perms;
		(*tmp)[i].id.scheme = cview(acl->data[i].id.scheme);
		(*tmp)[i].id.id =
			cview(acl->data[i].id.id ? acl->data[i].id.id : "");
	}
	v->n = acl->count;
	v->v = *tmp;
	return 0;
}

static int32_t
create_opcode(int mode)
{
	if (mode == DPZK_CONTAINER)
		return PROTO_OP_CREATECONTAINER;
	if (mode == DPZK_PERSISTENT_WITH_TTL ||
	    mode == DPZK_PERSISTENT_SEQUENTIAL_WITH_TTL)
		return PROTO_OP_CREATETTL;
	return PROTO_OP_CREATE2;
}

int
dpzk_acreate(struct dpzk_handle *zh, const char *path, const char *value,
	     int valuelen, const struct dpzk_acl_vector *acl, int mode,
	     int64_t ttl, dpzk_completion_fn *completion, const void *data)
{
	struct proto_request q;
	struct proto_acl *tmp;
	int rc;

	if (!create_path_ok(path, mode) || mode < 0 || mode > 6 ||
	    (value == NULL && valuelen > 0))
		return DPZK_ZBADARGUMENTS;
	memset(&q, 0, sizeof(q));
	q.type = create_opcode(mode);
	q.path = cview(path);
	q.data = bview(value, valuelen);
	q.flags = mode;
	q.ttl = ttl;
	if (acl_to_proto(acl ? acl : &dpzk_open_acl_unsafe, &q.acl, &tmp))
		return DPZK_ZSYSTEMERROR;
	rc = submit(zh, &q, path, DPZK_W_NONE, NULL, NULL, completion, data);
	free(tmp);
	return rc;
}

int
dpzk_adelete(struct dpzk_handle *zh, const char *path, int version,
	     dpzk_completion_fn *completion, const void *data)
{
	struct proto_request q = {.type = PROTO_OP_DELETE};

	if (!path_ok(path))
		return DPZK_ZBADARGUMENTS;
	q.path = cview(path);
	q.version = version;
	return submit(zh, &q, path, DPZK_W_NONE, NULL, NULL, completion, data);
}

static int
read_op(struct dpzk_handle *zh, int32_t op, const char *path, bool watch,
	enum dpzk_wkind wk, dpzk_watcher_fn *wfn, void *wctx,
	dpzk_completion_fn *cb, const void *data)
{
	struct proto_request q = {.type = op};

	if (!path_ok(path))
		return DPZK_ZBADARGUMENTS;
	q.path = cview(path);
	q.watch = watch;
	return submit(zh, &q, path, watch ? wk : DPZK_W_NONE, wfn, wctx, cb,
		      data);
}

int
dpzk_aexists(struct dpzk_handle *zh, const char *path, int watch,
	     dpzk_completion_fn *completion, const void *data)
{
	return read_op(zh, PROTO_OP_EXISTS, path, watch != 0, DPZK_W_EXIST,
		       NULL, NULL, completion, data);
}

int
dpzk_awexists(struct dpzk_handle *zh, const char *path,
	      dpzk_watcher_fn *watcher, void *watcher_ctx,
	      dpzk_completion_fn *completion, const void *data)
{
	return read_op(zh, PROTO_OP_EXISTS, path, watcher != NULL, DPZK_W_EXIST,
		       watcher, watcher_ctx, completion, data);
}

int
dpzk_aget(struct dpzk_handle *zh, const char *path, int watch,
	  dpzk_completion_fn *completion, const void *data)
{
	return read_op(zh, PROTO_OP_GETDATA, path, watch != 0, DPZK_W_DATA,
		       NULL, NULL, completion, data);
}

int
dpzk_awget(struct dpzk_handle *zh, const char *path, dpzk_watcher_fn *watcher,
	   void *watcher_ctx, dpzk_completion_fn *completion, const void *data)
{
	return read_op(zh, PROTO_OP_GETDATA, path, watcher != NULL, DPZK_W_DATA,
		       watcher, watcher_ctx, completion, data);
}

int
dpzk_aset(struct dpzk_handle *zh, const char *path, const char *buffer,
	  int buflen, int version, dpzk_completion_fn *completion,
	  const void *data)
{
	struct proto_request q = {.type = PROTO_OP_SETDATA};

	if (!path_ok(path) || (buffer == NULL && buflen > 0))
		return DPZK_ZBADARGUMENTS;
	q.path = cview(path);
	q.data = bview(buffer, buflen);
	q.version = version;
	return submit(zh, &q, path, DPZK_W_NONE, NULL, NULL, completion, data);
}

int
dpzk_aget_children(struct dpzk_handle *zh, const char *path, int watch,
		   dpzk_completion_fn *completion, const void *data)
{
	return read_op(zh, PROTO_OP_GETCHILDREN, path, watch != 0, DPZK_W_CHILD,
		       NULL, NULL, completion, data);
}

int
dpzk_aget_children2(struct dpzk_handle *zh, const char *path, int watch,
		    dpzk_completion_fn *completion, const void *data)
{
	return read_op(zh, PROTO_OP_GETCHILDREN2, path, watch != 0,
		       DPZK_W_CHILD, NULL, NULL, completion, data);
}

int
dpzk_awget_children2(struct dpzk_handle *zh, const char *path,
		     dpzk_watcher_fn *watcher, void *watcher_ctx,
		     dpzk_completion_fn *completion, const void *data)
{
	return read_op(zh, PROTO_OP_GETCHILDREN2, path, watcher != NULL,
		       DPZK_W_CHILD, watcher, watcher_ctx, completion, data);
}

int
dpzk_aget_ephemerals(struct dpzk_handle *zh, const char *prefix,
		     dpzk_completion_fn *completion, const void *data)
{
	struct proto_request q = {.type = PROTO_OP_GETEPHEMERALS};

	if (prefix == NULL || prefix[0] != '/')
		return DPZK_ZBADARGUMENTS;
	q.path = cview(prefix);
	return submit(zh, &q, NULL, DPZK_W_NONE, NULL, NULL, completion, data);
}

static int
path_only(struct dpzk_handle *zh, int32_t op, const char *path,
	  dpzk_completion_fn *cb, const void *data)
{
	struct proto_request q = {.type = op};

	if (!path_ok(path))
		return DPZK_ZBADARGUMENTS;
	q.path = cview(path);
	return submit(zh, &q, path, DPZK_W_NONE, NULL, NULL, cb, data);
}

int
dpzk_aget_all_children_number(struct dpzk_handle *zh, const char *path,
			      dpzk_completion_fn *completion, const void *data)
{
	return path_only(zh, PROTO_OP_GETALLCHILDRENNUMBER, path, completion,
			 data);
}

int
dpzk_aget_acl(struct dpzk_handle *zh, const char *path,
	      dpzk_completion_fn *completion, const void *data)
{
	return path_only(zh, PROTO_OP_GETACL, path, completion, data);
}

int
dpzk_async(struct dpzk_handle *zh, const char *path,
	   dpzk_completion_fn *completion, const void *data)
{
	return path_only(zh, PROTO_OP_SYNC, path, completion, data);
}

int
dpzk_aset_acl(struct dpzk_handle *zh, const char *path, int version,
	      const struct dpzk_acl_vector *acl, dpzk_completion_fn *completion,
	      const void *data)
{
	struct proto_request q = {.type = PROTO_OP_SETACL};
	struct proto_acl *tmp;
	int rc;

	if (!path_ok(path) || acl == NULL)
		return DPZK_ZBADARGUMENTS;
	q.path = cview(path);
	q.version = version;
	if (acl_to_proto(acl, &q.acl, &tmp))
		return DPZK_ZSYSTEMERROR;
	rc = submit(zh, &q, path, DPZK_W_NONE, NULL, NULL, completion, data);
	free(tmp);
	return rc;
}

int
dpzk_aadd_auth(struct dpzk_handle *zh, const char *scheme, const char *cert,
	       int certlen, dpzk_completion_fn *completion, const void *data)
{
	struct proto_request q = {.type = PROTO_OP_AUTH};
	struct dpzk_pending *p;
	struct dpzk_auth *a;
	int rc;

	if (zh == NULL || scheme == NULL || certlen < 0 ||
	    (cert == NULL && certlen > 0))
		return DPZK_ZBADARGUMENTS;
	if (zh->terminal)
		return DPZK_ZINVALIDSTATE;
	a = realloc(zh->auths, (size_t)(zh->nauths + 1) * sizeof(*a));
	if (a == NULL)
		return DPZK_ZSYSTEMERROR;
	zh->auths = a;
	a = &zh->auths[zh->nauths];
	a->scheme = strdup(scheme);
	a->cert = malloc(certlen ? (size_t)certlen : 1);
	a->len = certlen;
	if (a->scheme == NULL || a->cert == NULL) {
		free(a->scheme);
		free(a->cert);
		return DPZK_ZSYSTEMERROR;
	}
	if (certlen)
		memcpy(a->cert, cert, (size_t)certlen);
	zh->nauths++;
	p = dpzk_pending_new(zh, PROTO_OP_AUTH, NULL);
	if (p == NULL)
		return DPZK_ZSYSTEMERROR;
	p->xid = PROTO_XID_AUTH;
	p->auth_index = zh->nauths - 1;
	p->cb = completion;
	p->cbdata = data;
	q.auth.type = 0;
	q.auth.scheme = cview(a->scheme);
	q.auth.auth = bview((const char *)a->cert, a->len);
	rc = dpzk_encode_request(p, &q);
	if (rc != DPZK_ZOK) {
		dpzk_pending_free(p);
		return rc;
	}
	return dpzk_submit(zh, p);
}

int
dpzk_aadd_watch(struct dpzk_handle *zh, const char *path, int mode,
		dpzk_watcher_fn *watcher, void *watcher_ctx,
		dpzk_completion_fn *completion, const void *data)
{
	struct proto_request q = {.type = PROTO_OP_ADDWATCH};

	if (!path_ok(path) || (mode != DPZK_ADD_WATCH_PERSISTENT &&
			       mode != DPZK_ADD_WATCH_PERSISTENT_RECURSIVE))
		return DPZK_ZBADARGUMENTS;
	q.path = cview(path);
	q.mode = mode;
	return submit(zh, &q, path,
		      mode == DPZK_ADD_WATCH_PERSISTENT ? DPZK_W_PERSISTENT
							: DPZK_W_RECURSIVE,
		      watcher, watcher_ctx, completion, data);
}

int
dpzk_aremove_watches(struct dpzk_handle *zh, const char *path, int wtype,
		     dpzk_watcher_fn *watcher, void *watcher_ctx, int local,
		     dpzk_completion_fn *completion, const void *data)
{
	struct proto_request q = {.type = PROTO_OP_REMOVEWATCHES};
	int n;

	if (zh == NULL || !path_ok(path) || wtype < DPZK_WATCHER_CHILDREN ||
	    wtype > DPZK_WATCHER_PERSISTENT_RECURSIVE)
		return DPZK_ZBADARGUMENTS;
	if (zh->terminal)
		return DPZK_ZINVALIDSTATE;
	n = dpzk_watch_remove(zh, path, wtype, watcher, watcher_ctx);
	if (local || (n == 0 && watcher != NULL)) {
		struct dpzk_pending *p =
			dpzk_pending_new(zh, PROTO_OP_REMOVEWATCHES, path);
		struct dpzk_cq *c = calloc(1, sizeof(*c));

		if (p == NULL || c == NULL) {
			dpzk_pending_free(p);
			free(c);
			return DPZK_ZSYSTEMERROR;
		}
		p->cb = completion;
		p->cbdata = data;
		c->type = DPZK_CQ_FAIL;
		c->p = p;
		c->rc = n ? DPZK_ZOK : DPZK_ZNOWATCHER;
		dpzk_cq_push(zh, c);
		return DPZK_ZOK;
	}
	q.path = cview(path);
	q.mode = wtype;
	return submit(zh, &q, path, DPZK_W_NONE, NULL, NULL, completion, data);
}

int
dpzk_acheck_watches(struct dpzk_handle *zh, const char *path, int wtype,
		    dpzk_completion_fn *completion, const void *data)
{
	struct proto_request q = {.type = PROTO_OP_CHECKWATCHES};

	if (!path_ok(path) || wtype < DPZK_WATCHER_CHILDREN ||
	    wtype > DPZK_WATCHER_PERSISTENT_RECURSIVE)
		return DPZK_ZBADARGUMENTS;
	q.path = cview(path);
	q.mode = wtype;
	return submit(zh, &q, path, DPZK_W_NONE, NULL, NULL, completion, data);
}

int
dpzk_awhoami(struct dpzk_handle *zh, dpzk_completion_fn *completion,
	     const void *data)
{
	struct proto_request q = {.type = PROTO_OP_WHOAMI};

	return submit(zh, &q, NULL, DPZK_W_NONE, NULL, NULL, completion, data);
}

void
dpzk_create_op_init(struct dpzk_op *op, const char *path, const char *value,
		    int valuelen, const struct dpzk_acl_vector *acl, int mode,
		    char *path_buffer, int path_buffer_len)
{
	memset(op, 0, sizeof(*op));
	op->type = PROTO_OP_CREATE;
	if (mode == DPZK_CONTAINER)
		op->type = PROTO_OP_CREATECONTAINER;
	op->path = path;
	op->data = value;
	op->datalen = valuelen;
	op->acl = acl;
	op->mode = mode;
	op->buf = path_buffer;
	op->buflen = path_buffer_len;
}

void
dpzk_delete_op_init(struct dpzk_op *op, const char *path, int version)
{
	memset(op, 0, sizeof(*op));
	op->type = PROTO_OP_DELETE;
	op->path = path;
	op->version = version;
}

void
dpzk_set_op_init(struct dpzk_op *op, const char *path, const char *buffer,
		 int buflen, int version, struct dpzk_stat *stat)
{
	memset(op, 0, sizeof(*op));
	op->type = PROTO_OP_SETDATA;
	op->path = path;
	op->data = buffer;
	op->datalen = buflen;
	op->version = version;
	op->stat = stat;
}

void
dpzk_check_op_init(struct dpzk_op *op, const char *path, int version)
{
	memset(op, 0, sizeof(*op));
	op->type = PROTO_OP_CHECK;
	op->path = path;
	op->version = version;
}

void
dpzk_getdata_op_init(struct dpzk_op *op, const char *path, char *buf,
		     int buflen, struct dpzk_stat *stat)
{
	memset(op, 0, sizeof(*op));
	op->type = PROTO_OP_GETDATA;
	op->path = path;
	op->buf = buf;
	op->buflen = buflen;
	op->stat = stat;
}

void
dpzk_getchildren_op_init(struct dpzk_op *op, const char *path,
			 struct dpzk_strings *children)
{
	memset(op, 0, sizeof(*op));
	op->type = PROTO_OP_GETCHILDREN;
	op->path = path;
	op->children = children;
}

static int multi_submit(struct dpzk_handle *zh, int32_t type, int count,
			const struct dpzk_op *ops,
			dpzk_completion_fn *completion, const void *data);

int
dpzk_amulti(struct dpzk_handle *zh, int count, const struct dpzk_op *ops,
	    dpzk_completion_fn *completion, const void *data)
{
	for (int i = 0; ops && i < count; i++)
		if (ops[i].type == PROTO_OP_GETDATA ||
		    ops[i].type == PROTO_OP_GETCHILDREN)
			return DPZK_ZBADARGUMENTS;
	return multi_submit(zh, PROTO_OP_MULTI, count, ops, completion, data);
}

int
dpzk_amulti_read(struct dpzk_handle *zh, int count, const struct dpzk_op *ops,
		 dpzk_completion_fn *completion, const void *data)
{
	for (int i = 0; ops && i < count; i++)
		if (ops[i].type != PROTO_OP_GETDATA &&
		    ops[i].type != PROTO_OP_GETCHILDREN)
			return DPZK_ZBADARGUMENTS;
	return multi_submit(zh, PROTO_OP_MULTIREAD, count, ops, completion,
			    data);
}

static int
multi_submit(struct dpzk_handle *zh, int32_t type, int count,
	     const struct dpzk_op *ops, dpzk_completion_fn *completion,
	     const void *data)
{
	struct proto_request q = {.type = type};
	struct proto_request *sub;
	struct proto_acl **tmps;
	char **paths;
	int rc = DPZK_ZOK;

	if (count < 0 || (count > 0 && ops == NULL))
		return DPZK_ZBADARGUMENTS;
	sub = calloc((size_t)count + 1, sizeof(*sub));
	tmps = calloc((size_t)count + 1, sizeof(*tmps));
	paths = calloc((size_t)count + 1, sizeof(*paths));
	if (sub == NULL || tmps == NULL || paths == NULL) {
		free(sub);
		free(tmps);
		free(paths);
		return DPZK_ZSYSTEMERROR;
	}
	for (int i = 0; i < count && rc == DPZK_ZOK; i++) {
		const struct dpzk_op *o = &ops[i];

		if (!path_ok(o->path)) {
			rc = DPZK_ZBADARGUMENTS;
			break;
		}
		sub[i].type = o->type;
		sub[i].path = cview(o->path);
		if (zh && zh->chroot) {
			paths[i] =
				dpzk_server_path(zh, o->path, strlen(o->path));
			if (paths[i] == NULL) {
				rc = DPZK_ZSYSTEMERROR;
				break;
			}
			sub[i].path = cview(paths[i]);
		}
		sub[i].data = bview(o->data, o->datalen);
		sub[i].version = o->version;
		sub[i].flags = o->mode;
		sub[i].ttl = o->ttl;
		if (o->type == PROTO_OP_CREATE ||
		    o->type == PROTO_OP_CREATECONTAINER ||
		    o->type == PROTO_OP_CREATETTL ||
		    o->type == PROTO_OP_CREATE2) {
			if (acl_to_proto(o->acl ? o->acl
						: &dpzk_open_acl_unsafe,
					 &sub[i].acl, &tmps[i]))
				rc = DPZK_ZSYSTEMERROR;
		}
	}
	if (rc == DPZK_ZOK) {
		q.multi.n = count;
		q.multi.ops = sub;
		rc = submit(zh, &q, NULL, DPZK_W_NONE, NULL, NULL, completion,
			    data);
	}
	for (int i = 0; i < count; i++) {
		free(tmps[i]);
		free(paths[i]);
	}
	free(tmps);
	free(paths);
	free(sub);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Blocking calls                                                      */
/* ------------------------------------------------------------------ */

struct sync_ctx {
	bool done;
	int rc;
	char *path_buf;
	int path_buf_len;
	char *buf;
	int *buf_len;
	struct dpzk_stat *stat;
	struct dpzk_strings *strings;
	struct dpzk_acl_vector *acl;
	int *number;
	struct dpzk_client_info **who;
	int *who_count;
	const struct dpzk_op *ops;
	struct dpzk_op_result *results;
	int nops;
};

static void
copy_str(char *dst, int cap, const char *src, int srclen)
{
	int n;

	if (dst == NULL || cap <= 0)
		return;
	n = src ? (srclen >= 0 ? srclen : (int)strlen(src)) : 0;
	if (n > cap - 1)
		n = cap - 1;
	if (n > 0)
		memcpy(dst, src, (size_t)n);
	dst[n] = '\0';
}

static void
sync_cb(int rc, const struct dpzk_result *r, const void *data)
{
	struct sync_ctx *s = (struct sync_ctx *)data;

	s->done = true;
	s->rc = rc;
	for (int i = 0; s->results && i < s->nops; i++) {
		const struct dpzk_op *o = &s->ops[i];
		struct dpzk_op_result *d = &s->results[i];

		memset(d, 0, sizeof(*d));
		if (i >= r->nresults) {
			d->err = rc != DPZK_ZOK ? rc
						: DPZK_ZRUNTIMEINCONSISTENCY;
			continue;
		}
		d->err = r->results[i].err;
		if (o->type == PROTO_OP_GETDATA) {
			int n = r->results[i].valuelen;

			if (n > o->buflen)
				n = o->buflen;
			if (o->buf && n > 0)
				memcpy(o->buf, r->results[i].value, (size_t)n);
			d->value = o->buf;
			d->valuelen = r->results[i].value ? n : -1;
		} else if (o->buf && r->results[i].value) {
			copy_str(o->buf, o->buflen, r->results[i].value, -1);
			d->value = o->buf;
			d->valuelen = (int)strlen(o->buf);
		}
		if (o->stat && r->results[i].stat && d->err == 0 &&
		    (o->type == PROTO_OP_SETDATA ||
		     o->type == PROTO_OP_GETDATA))
			*o->stat = *r->results[i].stat;
		d->stat = o->stat;
		if (o->children && o->type == PROTO_OP_GETCHILDREN) {
			const struct dpzk_strings *k = r->results[i].children;

			o->children->count = 0;
			o->children->data = NULL;
			if (d->err == 0 && k && k->count > 0) {
				o->children->data = calloc((size_t)k->count,
							   sizeof(char *));
				for (int32_t j = 0;
				     o->children->data && j < k->count; j++) {
					o->children->data[j] =
						strdup(k->data[j]);
					o->children->count++;
				}
			}
			d->children = o->children;
		}
	}
	if (rc != DPZK_ZOK)
		return;
	if (s->stat && r->stat)
		*s->stat = *r->stat;
	if (s->path_buf && r->path)
		copy_str(s->path_buf, s->path_buf_len, r->path, -1);
	if (s->buf_len) {
		if (r->data_len < 0) {
			*s->buf_len = -1;
		} else {
			int n = r->data_len < *s->buf_len ? r->data_len
							  : *s->buf_len;

			if (s->buf && n > 0)
				memcpy(s->buf, r->data, (size_t)n);
			*s->buf_len = n;
		}
	}
	if (s->strings && r->strings) {
		s->strings->count = 0;
		s->strings->data = NULL;
		if (r->strings->count > 0) {
			s->strings->data = calloc((size_t)r->strings->count,
						  sizeof(char *));
			for (int32_t i = 0;
			     s->strings->data && i < r->strings->count; i++) {
				s->strings->data[i] =
					strdup(r->strings->data[i]);
				s->strings->count++;
			}
		}
	}
	if (s->acl && r->acl) {
		s->acl->count = 0;
		s->acl->data = NULL;
		if (r->acl->count > 0) {
			s->acl->data = calloc((size_t)r->acl->count,
					      sizeof(*s->acl->data));
			for (int32_t i = 0; s->acl->data && i < r->acl->count;
			     i++) {
				struct dpzk_acl *d = &s->acl->data[i];

				d->perms = r->acl->data[i].perms;
				d->id.scheme = strdup(
					r->acl->data[i].id.scheme
						? r->acl->data[i].id.scheme
						: "");
				d->id.id =
					strdup(r->acl->data[i].id.id
						       ? r->acl->data[i].id.id
						       : "");
				s->acl->count++;
			}
		}
	}
	if (s->number)
		*s->number = r->number;
	if (s->who) {
		*s->who = NULL;
		*s->who_count = 0;
		if (r->who_count > 0) {
			*s->who =
				calloc((size_t)r->who_count, sizeof(**s->who));
			for (int32_t i = 0; *s->who && i < r->who_count; i++) {
				(*s->who)[i].scheme = strdup(
					r->who[i].scheme ? r->who[i].scheme
							 : "");
				(*s->who)[i].user = strdup(
					r->who[i].user ? r->who[i].user : "");
				(*s->who_count)++;
			}
		}
	}
}

static int
sync_wait(struct dpzk_handle *zh, int rc, struct sync_ctx *s)
{
	if (rc != DPZK_ZOK)
		return rc;
	dpzk_run_until(zh, &s->done);
	return s->done ? s->rc : DPZK_ZCONNECTIONLOSS;
}

int
dpzk_create(struct dpzk_handle *zh, const char *path, const char *value,
	    int valuelen, const struct dpzk_acl_vector *acl, int mode,
	    int64_t ttl, char *path_buffer, int path_buffer_len,
	    struct dpzk_stat *stat)
{
	struct sync_ctx s = {.path_buf = path_buffer,
			     .path_buf_len = path_buffer_len,
			     .stat = stat};

	return sync_wait(zh,
			 dpzk_acreate(zh, path, value, valuelen, acl, mode, ttl,
				      sync_cb, &s),
			 &s);
}

int
dpzk_delete(struct dpzk_handle *zh, const char *path, int version)
{
	struct sync_ctx s = {0};

	return sync_wait(zh, dpzk_adelete(zh, path, version, sync_cb, &s), &s);
}

int
dpzk_exists(struct dpzk_handle *zh, const char *path, int watch,
	    struct dpzk_stat *stat)
{
	struct sync_ctx s = {.stat = stat};

	return sync_wait(zh, dpzk_aexists(zh, path, watch, sync_cb, &s), &s);
}

int
dpzk_wexists(struct dpzk_handle *zh, const char *path, dpzk_watcher_fn *watcher,
	     void *watcher_ctx, struct dpzk_stat *stat)
{
	struct sync_ctx s = {.stat = stat};

	return sync_wait(
		zh, dpzk_awexists(zh, path, watcher, watcher_ctx, sync_cb, &s),
		&s);
}

int
dpzk_get(struct dpzk_handle *zh, const char *path, int watch, char *buffer,
	 int *buffer_len, struct dpzk_stat *stat)
{
	struct sync_ctx s = {
		.buf = buffer, .buf_len = buffer_len, .stat = stat};

	return sync_wait(zh, dpzk_aget(zh, path, watch, sync_cb, &s), &s);
}

int
dpzk_wget(struct dpzk_handle *zh, const char *path, dpzk_watcher_fn *watcher,
	  void *watcher_ctx, char *buffer, int *buffer_len,
	  struct dpzk_stat *stat)
{
	struct sync_ctx s = {
		.buf = buffer, .buf_len = buffer_len, .stat = stat};

	return sync_wait(
		zh, dpzk_awget(zh, path, watcher, watcher_ctx, sync_cb, &s),
		&s);
}

int
dpzk_set(struct dpzk_handle *zh, const char *path, const char *buffer,
	 int buflen, int version, struct dpzk_stat *stat)
{
	struct sync_ctx s = {.stat = stat};

	return sync_wait(
		zh, dpzk_aset(zh, path, buffer, buflen, version, sync_cb, &s),
		&s);
}

int
dpzk_get_children(struct dpzk_handle *zh, const char *path, int watch,
		  struct dpzk_strings *strings)
{
	struct sync_ctx s = {.strings = strings};

	return sync_wait(zh, dpzk_aget_children(zh, path, watch, sync_cb, &s),
			 &s);
}

int
dpzk_get_children2(struct dpzk_handle *zh, const char *path, int watch,
		   struct dpzk_strings *strings, struct dpzk_stat *stat)
{
	struct sync_ctx s = {.strings = strings, .stat = stat};

	return sync_wait(zh, dpzk_aget_children2(zh, path, watch, sync_cb, &s),
			 &s);
}

int
dpzk_wget_children2(struct dpzk_handle *zh, const char *path,
		    dpzk_watcher_fn *watcher, void *watcher_ctx,
		    struct dpzk_strings *strings, struct dpzk_stat *stat)
{
	struct sync_ctx s = {.strings = strings, .stat = stat};

	return sync_wait(zh,
			 dpzk_awget_children2(zh, path, watcher, watcher_ctx,
					      sync_cb, &s),
			 &s);
}

int
dpzk_get_ephemerals(struct dpzk_handle *zh, const char *prefix,
		    struct dpzk_strings *strings)
{
	struct sync_ctx s = {.strings = strings};

	return sync_wait(zh, dpzk_aget_ephemerals(zh, prefix, sync_cb, &s), &s);
}

int
dpzk_get_all_children_number(struct dpzk_handle *zh, const char *path,
			     int *number)
{
	struct sync_ctx s = {.number = number};

	return sync_wait(
		zh, dpzk_aget_all_children_number(zh, path, sync_cb, &s), &s);
}

int
dpzk_get_acl(struct dpzk_handle *zh, const char *path,
	     struct dpzk_acl_vector *acl, struct dpzk_stat *stat)
{
	struct sync_ctx s = {.acl = acl, .stat = stat};

	return sync_wait(zh, dpzk_aget_acl(zh, path, sync_cb, &s), &s);
}

int
dpzk_set_acl(struct dpzk_handle *zh, const char *path, int version,
	     const struct dpzk_acl_vector *acl)
{
	struct sync_ctx s = {0};

	return sync_wait(zh, dpzk_aset_acl(zh, path, version, acl, sync_cb, &s),
			 &s);
}

int
dpzk_sync(struct dpzk_handle *zh, const char *path)
{
	struct sync_ctx s = {0};

	return sync_wait(zh, dpzk_async(zh, path, sync_cb, &s), &s);
}

int
dpzk_add_auth(struct dpzk_handle *zh, const char *scheme, const char *cert,
	      int certlen)
{
	struct sync_ctx s = {0};

	return sync_wait(
		zh, dpzk_aadd_auth(zh, scheme, cert, certlen, sync_cb, &s), &s);
}

int
dpzk_add_watch(struct dpzk_handle *zh, const char *path, int mode,
	       dpzk_watcher_fn *watcher, void *watcher_ctx)
{
	struct sync_ctx s = {0};

	return sync_wait(zh,
			 dpzk_aadd_watch(zh, path, mode, watcher, watcher_ctx,
					 sync_cb, &s),
			 &s);
}

int
dpzk_remove_watches(struct dpzk_handle *zh, const char *path, int wtype,
		    dpzk_watcher_fn *watcher, void *watcher_ctx, int local)
{
	struct sync_ctx s = {0};

	return sync_wait(zh,
			 dpzk_aremove_watches(zh, path, wtype, watcher,
					      watcher_ctx, local, sync_cb, &s),
			 &s);
}

int
dpzk_check_watches(struct dpzk_handle *zh, const char *path, int wtype)
{
	struct sync_ctx s = {0};

	return sync_wait(zh, dpzk_acheck_watches(zh, path, wtype, sync_cb, &s),
			 &s);
}

int
dpzk_whoami(struct dpzk_handle *zh, struct dpzk_client_info **who, int *count)
{
	struct sync_ctx s = {.who = who, .who_count = count};

	if (who == NULL || count == NULL)
		return DPZK_ZBADARGUMENTS;
	return sync_wait(zh, dpzk_awhoami(zh, sync_cb, &s), &s);
}

int
dpzk_multi(struct dpzk_handle *zh, int count, const struct dpzk_op *ops,
	   struct dpzk_op_result *results)
{
	struct sync_ctx s = {.ops = ops, .results = results, .nops = count};

	return sync_wait(zh, dpzk_amulti(zh, count, ops, sync_cb, &s), &s);
}

int
dpzk_multi_read(struct dpzk_handle *zh, int count, const struct dpzk_op *ops,
		struct dpzk_op_result *results)
{
	struct sync_ctx s = {.ops = ops, .results = results, .nops = count};

	return sync_wait(zh, dpzk_amulti_read(zh, count, ops, sync_cb, &s), &s);
}

/* ------------------------------------------------------------------ */
/* ACL text                                                            */
/* ------------------------------------------------------------------ */

const char *
dpzk_perms_string(int32_t perms, char *buf)
{
	char *p = buf;

	if (perms & DPZK_PERM_CREATE)
		*p++ = 'c';
	if (perms & DPZK_PERM_DELETE)
		*p++ = 'd';
	if (perms & DPZK_PERM_READ)
		*p++ = 'r';
	if (perms & DPZK_PERM_WRITE)
		*p++ = 'w';
	if (perms & DPZK_PERM_ADMIN)
		*p++ = 'a';
	*p = '\0';
	return buf;
}

static int
parse_perms(const char *s, int32_t *perms)
{
	*perms = 0;
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		switch (*s) {
		case 'c':
			*perms |= DPZK_PERM_CREATE;
			break;
		case 'd':
			*perms |= DPZK_PERM_DELETE;
			break;
		case 'r':
			*perms |= DPZK_PERM_READ;
			break;
		case 'w':
			*perms |= DPZK_PERM_WRITE;
			break;
		case 'a':
			*perms |= DPZK_PERM_ADMIN;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

int
dpzk_parse_acl(const char *text, struct dpzk_acl_vector *acl)
{
	char *copy, *save = NULL, *tok;
	int n = 0;

	acl->count = 0;
	acl->data = NULL;
	if (text == NULL || *text == '\0')
		return DPZK_ZBADARGUMENTS;
	copy = strdup(text);
	if (copy == NULL)
		return DPZK_ZSYSTEMERROR;
	for (const char *c = text; *c; c++)
		if (*c == ',')
			n++;
	acl->data = calloc((size_t)n + 1, sizeof(*acl->data));
	if (acl->data == NULL) {
		free(copy);
		return DPZK_ZSYSTEMERROR;
	}
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *first = strchr(tok, ':'), *last = strrchr(tok, ':');
		struct dpzk_acl *a = &acl->data[acl->count];

		if (first == NULL || first == last)
			goto bad;
		*first = '\0';
		*last = '\0';
		if (parse_perms(last + 1, &a->perms) != 0 || *tok == '\0')
			goto bad;
		a->id.scheme = strdup(tok);
		a->id.id = strdup(first + 1);
		acl->count++;
		if (a->id.scheme == NULL || a->id.id == NULL)
			goto bad;
	}
	free(copy);
	if (acl->count == 0)
		return DPZK_ZBADARGUMENTS;
	return DPZK_ZOK;
bad:
	free(copy);
	dpzk_acls_free(acl);
	return DPZK_ZBADARGUMENTS;
}
