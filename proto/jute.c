/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/jute.c — jute's primitives (int, long, boolean, buffer, ustring) over
 * a bounded reader and a counting writer, plus the scratch area vectors are
 * decoded into, and the names of opcodes and ZooKeeper error codes.
 *
 * Why it is built this way: every decoder in proto/ is a straight sequence
 * of gets with a single error check at the end.  That is safe only because
 * the reader is sticky: the first short read, bad length or bad boolean
 * poisons it, and every later get returns zero without touching memory.
 * The writer is sticky the same way and keeps counting after it overflows,
 * so one encode pass with p == NULL (or a failed pass) tells the caller the
 * exact size it needs.  Nothing here allocates or has global state.
 */
#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_priv.h"

void
proto_rbuf_init(struct proto_rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p != NULL ? len : 0;
	r->off = 0;
	r->err = 0;
}

void
proto_wbuf_init(struct proto_wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = p != NULL ? cap : 0;
	w->len = 0;
	w->err = 0;
}

void
proto_scratch_init(struct proto_scratch *s, void *base, size_t cap)
{
	s->base = base;
	s->cap = base != NULL ? cap : 0;
	s->used = 0;
}

/* Never read or written: its address marks the validate-only pass. */
const uint8_t proto_scratch_probe_tag;

void *
proto_scratch_alloc(struct proto_scratch *s, size_t n)
{
	const uintptr_t a = alignof(max_align_t);
	uintptr_t at, pad;

	if (s == NULL || s->base == NULL)
		return NULL;
	at = (uintptr_t)(s->base + s->used);
	pad = (a - (at & (a - 1))) & (a - 1);
	if (s->used > s->cap || pad > s->cap - s->used ||
	    n > s->cap - s->used - pad)
		return NULL;
	s->used += pad + n;
	return (void *)(at + pad);
}

static size_t
ratio(size_t elem, size_t wire)
{
	return (elem + wire - 1) / wire;
}

size_t
proto_scratch_bound(size_t len)
{
	/* Every scratch allocation is an array whose elements each consume
	 * at least `wire` bytes of input, and arrays nest (ACLs inside multi
	 * ops), so the costliest element per input byte bounds the total;
	 * each allocation also pads by < alignof(max_align_t) and consumes
	 * at least 8 input bytes (count + one element). */
	size_t per = ratio(sizeof(struct proto_txn), PROTO_MIN_SUBTXN), k;

	k = ratio(sizeof(struct proto_request), PROTO_MIN_MULTI_OP);
	per = k > per ? k : per;
	k = ratio(sizeof(struct proto_multi_result), PROTO_MIN_MULTI_RESULT);
	per = k > per ? k : per;
	k = ratio(sizeof(struct proto_acl), PROTO_MIN_ACL);
	per = k > per ? k : per;
	k = ratio(sizeof(struct proto_view), PROTO_MIN_USTRING);
	per = k > per ? k : per;
	k = ratio(sizeof(struct proto_client_info), PROTO_MIN_CLIENT_INFO);
	per = k > per ? k : per;
	per += ratio(alignof(max_align_t), 8);
	if (len > (SIZE_MAX - alignof(max_align_t)) / per)
		return SIZE_MAX;
	return len * per + alignof(max_align_t);
}

void
proto_rbuf_fail(struct proto_rbuf *r, int err)
{
	if (r->err == 0)
		r->err = err;
}

/* Returns a pointer to the next n bytes and advances, or NULL (and poisons
 * the reader) when they are not there. */
const uint8_t *
proto_rbuf_take(struct proto_rbuf *r, size_t n)
{
	const uint8_t *q;

	if (r->err != 0)
		return NULL;
	if (r->off > r->len || n > r->len - r->off) {
		r->err = -EBADMSG;
		return NULL;
	}
	q = r->p + r->off;
	r->off += n;
	return q;
}

static uint32_t
be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	       (uint32_t)q[2] << 8 | (uint32_t)q[3];
}

int32_t
proto_get_int(struct proto_rbuf *r)
{
	const uint8_t *q = proto_rbuf_take(r, 4);

	return q != NULL ? (int32_t)be32(q) : 0;
}

int64_t
proto_get_long(struct proto_rbuf *r)
{
	const uint8_t *q = proto_rbuf_take(r, 8);

	if (q == NULL)
		return 0;
	return (int64_t)((uint64_t)be32(q) << 32 | be32(q + 4));
}

bool
proto_get_bool(struct proto_rbuf *r)
{
	const uint8_t *q = proto_rbuf_take(r, 1);

	if (q == NULL)
		return false;
	if (*q > 1) {
		proto_rbuf_fail(r, -EBADMSG);
		return false;
	}
	return *q == 1;
}

struct proto_view
proto_get_buffer(struct proto_rbuf *r)
{
	struct proto_view v = {NULL, -1};
	int32_t n = proto_get_int(r);

	if (r->err != 0)
		return v;
	if (n == -1)
		return v;
	if (n < 0 || n > PROTO_JUTE_MAXBUFFER) {
		proto_rbuf_fail(r, -EBADMSG);
		return v;
	}
	v.p = proto_rbuf_take(r, (size_t)n);
	if (v.p == NULL)
		return (struct proto_view){NULL, -1};
	v.len = n;
	return v;
}

struct proto_view
proto_get_ustring(struct proto_rbuf *r)
{
	/* Same layout as a buffer; UTF-8 validity is not jute's business
	 * (Java replaces bad sequences, C passes bytes through). */
	return proto_get_buffer(r);
}

int32_t
proto_get_count(struct proto_rbuf *r, size_t min_elem)
{
	int32_t n = proto_get_int(r);

	if (r->err != 0)
		return 0;
	if (n == -1)
		return -1;
	if (n < 0 || (size_t)n > (r->len - r->off) / min_elem) {
		proto_rbuf_fail(r, -EBADMSG);
		return 0;
	}
	return n;
}

void *
proto_vec_alloc(struct proto_rbuf *r, struct proto_scratch *s, int32_t n,
		size_t elem)
{
	void *v;

	if (r->err != 0 || n <= 0 || s == PROTO_SCRATCH_PROBE)
		return NULL;
	if ((size_t)n > SIZE_MAX / elem) {
		proto_rbuf_fail(r, -ENOBUFS);
		return NULL;
	}
	v = proto_scratch_alloc(s, (size_t)n * elem);
	if (v == NULL)
		proto_rbuf_fail(r, -ENOBUFS);
	return v;
}

int
proto_rbuf_end(struct proto_rbuf *r)
{
	if (r->err == 0 && r->off != r->len)
		r->err = -EBADMSG;
	return r->err;
}

static void
put_raw(struct proto_wbuf *w, const void *p, size_t n)
{
	if (w->p != NULL && w->err == 0) {
		if (w->len <= w->cap && n <= w->cap - w->len) {
			if (n > 0)
				memcpy(w->p + w->len, p, n);
		} else {
			w->err = -ENOSPC;
		}
	}
	w->len += n;
}

void
proto_put_int(struct proto_wbuf *w, int32_t v)
{
	uint32_t u = (uint32_t)v;
	uint8_t b[4] = {u >> 24, u >> 16, u >> 8, u};

	put_raw(w, b, 4);
}

void
proto_put_long(struct proto_wbuf *w, int64_t v)
{
	uint64_t u = (uint64_t)v;
	uint8_t b[8] = {u >> 56, u >> 48, u >> 40, u >> 32,
			u >> 24, u >> 16, u >> 8,  u};

	put_raw(w, b, 8);
}

void
proto_put_bool(struct proto_wbuf *w, bool v)
{
	uint8_t b = v ? 1 : 0;

	put_raw(w, &b, 1);
}

void
proto_put_buffer(struct proto_wbuf *w, const void *p, int32_t len)
{
	if (len < 0 || (p == NULL && len > 0)) {
		proto_put_int(w, -1);
		return;
	}
	proto_put_int(w, len);
	put_raw(w, p, (size_t)len);
}

void
proto_put_view(struct proto_wbuf *w, struct proto_view v)
{
	proto_put_buffer(w, v.p, v.len);
}

void
proto_put_cstr(struct proto_wbuf *w, const char *s)
{
	size_t n;

	if (s == NULL) {
		proto_put_int(w, -1);
		return;
	}
	n = strlen(s);
	if (n > INT32_MAX) {
		if (w->err == 0)
			w->err = -EINVAL;
		return;
	}
	proto_put_buffer(w, s, (int32_t)n);
}

void
proto_wbuf_fail(struct proto_wbuf *w, int err)
{
	if (w->err == 0)
		w->err = err;
}

const char *
proto_zerr_name(int32_t zerr)
{
	switch (zerr) {
	case PROTO_ZOK:
		return "OK";
	case PROTO_ZSYSTEMERROR:
		return "SYSTEMERROR";
	case PROTO_ZRUNTIMEINCONSISTENCY:
		return "RUNTIMEINCONSISTENCY";
	case PROTO_ZDATAINCONSISTENCY:
		return "DATAINCONSISTENCY";
	case PROTO_ZCONNECTIONLOSS:
		return "CONNECTIONLOSS";
	case PROTO_ZMARSHALLINGERROR:
		return "MARSHALLINGERROR";
	case PROTO_ZUNIMPLEMENTED:
		return "UNIMPLEMENTED";
	case PROTO_ZOPERATIONTIMEOUT:
		return "OPERATIONTIMEOUT";
	case PROTO_ZBADARGUMENTS:
		return "BADARGUMENTS";
	case PROTO_ZUNKNOWNSESSION:
		return "UNKNOWNSESSION";
	case PROTO_ZNEWCONFIGNOQUORUM:
		return "NEWCONFIGNOQUORUM";
	case PROTO_ZRECONFIGINPROGRESS:
		return "RECONFIGINPROGRESS";
	case PROTO_ZAPIERROR:
		return "APIERROR";
	case PROTO_ZNONODE:
		return "NONODE";
	case PROTO_ZNOAUTH:
		return "NOAUTH";
	case PROTO_ZBADVERSION:
		return "BADVERSION";
	case PROTO_ZNOCHILDRENFOREPHEMERALS:
		return "NOCHILDRENFOREPHEMERALS";
	case PROTO_ZNODEEXISTS:
		return "NODEEXISTS";
	case PROTO_ZNOTEMPTY:
		return "NOTEMPTY";
	case PROTO_ZSESSIONEXPIRED:
		return "SESSIONEXPIRED";
	case PROTO_ZINVALIDCALLBACK:
		return "INVALIDCALLBACK";
	case PROTO_ZINVALIDACL:
		return "INVALIDACL";
	case PROTO_ZAUTHFAILED:
		return "AUTHFAILED";
	case PROTO_ZSESSIONMOVED:
		return "SESSIONMOVED";
	case PROTO_ZNOTREADONLY:
		return "NOTREADONLY";
	case PROTO_ZEPHEMERALONLOCALSESSION:
		return "EPHEMERALONLOCALSESSION";
	case PROTO_ZNOWATCHER:
		return "NOWATCHER";
	case PROTO_ZREQUESTTIMEOUT:
		return "REQUESTTIMEOUT";
	case PROTO_ZRECONFIGDISABLED:
		return "RECONFIGDISABLED";
	case PROTO_ZSESSIONCLOSEDREQUIRESASLAUTH:
		return "SESSIONCLOSEDREQUIRESASLAUTH";
	case PROTO_ZQUOTAEXCEEDED:
		return "QUOTAEXCEEDED";
	case PROTO_ZTHROTTLEDOP:
		return "THROTTLEDOP";
	default:
		return "UNKNOWN";
	}
}

const char *
proto_op_name(int32_t op)
{
	/* The names ZooKeeper's Request.op2String uses. */
	switch (op) {
	case PROTO_OP_NOTIFICATION:
		return "notification";
	case PROTO_OP_CREATE:
		return "create";
	case PROTO_OP_DELETE:
		return "delete";
	case PROTO_OP_EXISTS:
		return "exists";
	case PROTO_OP_GETDATA:
		return "getData";
	case PROTO_OP_SETDATA:
		return "setData";
	case PROTO_OP_GETACL:
		return "getACL";
	case PROTO_OP_SETACL:
		return "setACL";
	case PROTO_OP_GETCHILDREN:
		return "getChildren";
	case PROTO_OP_SYNC:
		return "sync";
	case PROTO_OP_PING:
		return "ping";
	case PROTO_OP_GETCHILDREN2:
		return "getChildren2";
	case PROTO_OP_CHECK:
		return "check";
	case PROTO_OP_MULTI:
		return "multi";
	case PROTO_OP_CREATE2:
		return "create2";
	case PROTO_OP_RECONFIG:
		return "reconfig";
	case PROTO_OP_CHECKWATCHES:
		return "checkWatches";
	case PROTO_OP_REMOVEWATCHES:
		return "removeWatches";
	case PROTO_OP_CREATECONTAINER:
		return "createContainer";
	case PROTO_OP_DELETECONTAINER:
		return "deleteContainer";
	case PROTO_OP_CREATETTL:
		return "createTtl";
	case PROTO_OP_MULTIREAD:
		return "multiRead";
	case PROTO_OP_AUTH:
		return "auth";
	case PROTO_OP_SETWATCHES:
		return "setWatches";
	case PROTO_OP_SASL:
		return "sasl";
	case PROTO_OP_GETEPHEMERALS:
		return "getEphemerals";
	case PROTO_OP_GETALLCHILDRENNUMBER:
		return "getAllChildrenNumber";
	case PROTO_OP_SETWATCHES2:
		return "setWatches2";
	case PROTO_OP_ADDWATCH:
		return "addWatch";
	case PROTO_OP_WHOAMI:
		return "whoAmI";
	case PROTO_OP_CREATESESSION:
		return "createSession";
	case PROTO_OP_CLOSESESSION:
		return "closeSession";
	case PROTO_OP_ERROR:
		return "error";
	default:
		return "unknown";
	}
}
