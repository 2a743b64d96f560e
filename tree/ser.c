/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/ser.c — the snapshot stream: the replicated state (sessions with
 * their exactly-once record, then every znode) to bytes and back.
 *
 * Why it is built this way: two replicas that applied the same txns must
 * write identical bytes (the Zab simulator compares them), but hash-table
 * and sibling-list order depend on history, so the stream is canonical:
 * sessions sorted by id, then znodes depth first with each node's children
 * sorted bytewise.  The walk is resumable in slices (tree_ser_step) so the
 * owning core can interleave it with applies: each stack frame keeps the
 * sorted child NAMES (copies, not pointers) and re-looks every child up by
 * path, so a node deleted between slices is simply skipped and nothing ever
 * points at freed memory.  What changed meanwhile is fixed by replaying the
 * log from the zxid the stream starts at (apply is idempotent).
 *
 * Layout (big-endian): "DPZKTREE", u32 version, i64 zxid, then records
 * [u32 len][u8 tag][body of len-1 bytes]:
 *   'S' session: i64 id, i32 timeout, 16 passwd, u8 real, i64 last_zxid,
 *       i32 last_xid, i32 last_err, i32 n + reply bytes
 *   'N' znode: i32 n + path, i64 czxid mzxid ctime mtime pzxid azxid owner,
 *       i32 version cversion aversion, i32 n + ACL (jute vector),
 *       i32 n + data
 *   'P' parent fixup, after a node's children: i32 n + path, i64 czxid,
 *       i64 pzxid, i32 cversion (the values once the children were walked)
 *   'E' end: i64 node count, i64 session count, u32 CRC32C of every
 *       byte before this field
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_priv.h"

#define SER_MAGIC   "DPZKTREE"
#define SER_VERSION 1
#define SER_BUF	    (64 * 1024)
#define SER_HDR	    20

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t c = ~crc;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (len-- > 0)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return ~c32;
}

struct frame {
	char *path;  /* of the node whose children these are */
	size_t plen; /* 0 for "/", so that children are path + '/' + name */
	size_t klen; /* the real path length */
	char *names; /* blob of child names */
	size_t *off; /* name i at names + off[i], length off[i+1]-off[i] */
	size_t n, idx;
};

struct tree_ser {
	struct tree *t;
	int64_t *sids;
	size_t n_sids, sidx;
	struct frame *stack;
	size_t depth, cap;
	bool root_done, end_done;
	uint64_t n_nodes, n_sess;
	uint8_t *buf;
	size_t blen;
	tree_write_fn *fn;
	void *arg;
	int err;
	uint32_t crc;
};

static void
flush(struct tree_ser *s)
{
	if (s->err == 0 && s->blen > 0)
		s->err = s->fn(s->arg, s->buf, s->blen);
	s->blen = 0;
}

static void
out(struct tree_ser *s, const void *p, size_t len)
{
	if (s->err != 0)
		return;
	s->crc = crc32c(s->crc, p, len);
	if (s->blen + len > SER_BUF) {
		flush(s);
		if (len >= SER_BUF) {
			if (s->err == 0)
				s->err = s->fn(s->arg, p, len);
			return;
		}
	}
	memcpy(s->buf + s->blen, p, len);
	s->blen += len;
}

static int
cmp_sid(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

struct sid_walk {
	int64_t *v;
	size_t n;
};

static void
collect_sid(void *arg, struct hlink *l)
{
	struct sid_walk *w = arg;
	w->v[w->n++] = ((struct tsess *)l)->id;
}

struct tree_ser *
tree_ser_begin(struct tree *t, int64_t *zxid)
{
	struct tree_ser *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->t = t;
	s->buf = malloc(SER_BUF);
	size_t ns = dict_count(&t->sessions);
	s->sids = malloc(sizeof(int64_t) * (ns + 1));
	if (s->buf == NULL || s->sids == NULL)
		goto nomem;
	struct sid_walk w = {s->sids, 0};
	dict_foreach(&t->sessions, collect_sid, &w);
	s->n_sids = w.n;
	qsort(s->sids, s->n_sids, sizeof(int64_t), cmp_sid);
	if (zxid != NULL)
		*zxid = t->last_zxid;
	/* header goes out with the first step */
	memcpy(s->buf, SER_MAGIC, 8);
	be32(s->buf + 8, SER_VERSION);
	be64(s->buf + 12, (uint64_t)t->last_zxid);
	s->blen = SER_HDR;
	s->crc = crc32c(0, s->buf, SER_HDR);
	return s;
nomem:
	tree_ser_end(s);
	errno = ENOMEM;
	return NULL;
}

static void
frame_free(struct frame *f)
{
	free(f->path);
	free(f->names);
	free(f->off);
}

void
tree_ser_end(struct tree_ser *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->depth; i++)
		frame_free(&s->stack[i]);
	free(s->stack);
	free(s->sids);
	free(s->buf);
	free(s);
}

static void
emit_session(struct tree_ser *s, const struct tsess *x)
{
	uint8_t h[4 + 1 + 8 + 4 + 16 + 1 + 8 + 4 + 4 + 4];
	uint32_t len = (uint32_t)(sizeof(h) - 4 + x->reply_len);
	uint8_t *p = h;
	be32(p, len);
	p[4] = 'S';
	p += 5;
	be64(p, (uint64_t)x->id);
	be32(p + 8, (uint32_t)x->timeout);
	memcpy(p + 12, x->passwd, 16);
	p[28] = x->real;
	be64(p + 29, (uint64_t)x->last_zxid);
	be32(p + 37, (uint32_t)x->last_xid);
	be32(p + 41, (uint32_t)x->last_err);
	be32(p + 45, x->reply_len);
	out(s, h, sizeof(h));
	if (x->reply_len > 0)
		out(s, x->reply, x->reply_len);
	s->n_sess++;
}

static void
emit_node(struct tree_ser *s, const struct tnode *n)
{
	uint8_t h[4 + 1 + 4];
	uint8_t f[7 * 8 + 3 * 4 + 4];
	uint32_t alen = n->acl != NULL ? n->acl->h.klen : 0;
	uint32_t len = 1 + 4 + n->h.klen + sizeof(f) + alen + 4 +
		       (uint32_t)n->data_len;
	be32(h, len);
	h[4] = 'N';
	be32(h + 5, n->h.klen);
	out(s, h, sizeof(h));
	out(s, n->path, n->h.klen);
	int64_t v[7] = {n->czxid, n->mzxid, n->ctime, n->mtime,
			n->pzxid, n->azxid, n->owner};
	for (int i = 0; i < 7; i++)
		be64(f + 8 * i, (uint64_t)v[i]);
	be32(f + 56, (uint32_t)n->version);
	be32(f + 60, (uint32_t)n->cversion);
	be32(f + 64, (uint32_t)n->aversion);
	be32(f + 68, alen);
	out(s, f, sizeof(f));
	if (alen > 0)
		out(s, n->acl->key, alen);
	uint8_t d[4];
	/* null data is length -1, as jute writes it */
	be32(d, n->data_null ? UINT32_MAX : (uint32_t)n->data_len);
	out(s, d, 4);
	if (n->data_len > 0)
		out(s, n->data, (size_t)n->data_len);
	s->n_nodes++;
}

/* After a node's children: its pzxid and cversion as they are now, so a
 * child deleted (or created) while the walk was below the node is matched
 * by the parent's stat. */
static void
emit_fixup(struct tree_ser *s, const struct tnode *n)
{
	uint8_t h[4 + 1 + 4];
	uint8_t f[8 + 8 + 4];
	be32(h, 1 + 4 + n->h.klen + (uint32_t)sizeof(f));
	h[4] = 'P';
	be32(h + 5, n->h.klen);
	out(s, h, sizeof(h));
	out(s, n->path, n->h.klen);
	be64(f, (uint64_t)n->czxid);
	be64(f + 8, (uint64_t)n->pzxid);
	be32(f + 16, (uint32_t)n->cversion);
	out(s, f, sizeof(f));
}

struct name_cmp_ctx {
	const char *names;
	const size_t *off;
};

static int
cmp_name(const void *a, const void *b, void *arg)
{
	const struct name_cmp_ctx *c = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	size_t li = c->off[i + 1] - c->off[i], lj = c->off[j + 1] - c->off[j];
	int r = memcmp(c->names + c->off[i], c->names + c->off[j],
		       li < lj ? li : lj);
	if (r != 0)
		return r;
	return li < lj ? -1 : li > lj;
}

static int
push_frame(struct tree_ser *s, const struct tnode *n)
{
	if (s->depth == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct frame *ns = realloc(s->stack, nc * sizeof(*ns));
		if (ns == NULL)
			return -ENOMEM;
		s->stack = ns;
		s->cap = nc;
	}
	struct frame f = {0};
	size_t cnt = (size_t)n->num_children, total = 0;
	for (const struct tnode *c = n->child; c != NULL; c = c->sib_next) {
		size_t nl;
		node_name(c, &nl);
		total += nl;
	}
	f.path = malloc(n->h.klen + 1);
	f.names = malloc(total + 1);
	f.off = malloc(sizeof(size_t) * (cnt + 1));
	size_t *ord = malloc(sizeof(size_t) * (cnt + 1));
	if (f.path == NULL || f.names == NULL || f.off == NULL || ord == NULL) {
		frame_free(&f);
		free(ord);
		return -ENOMEM;
	}
	memcpy(f.path, n->path, n->h.klen);
	f.plen = n->h.klen == 1 ? 0 : n->h.klen; /* "/" + name for root */
	f.klen = n->h.klen;
	size_t o = 0, i = 0;
	for (const struct tnode *c = n->child; c != NULL; c = c->sib_next) {
		size_t nl;
		const char *nm = node_name(c, &nl);
		f.off[i] = o;
		ord[i] = i;
		memcpy(f.names + o, nm, nl);
		o += nl;
		i++;
	}
	f.off[cnt] = o;
	struct name_cmp_ctx ctx = {f.names, f.off};
	qsort_r(ord, cnt, sizeof(size_t), cmp_name, &ctx);
	/* rewrite names in sorted order */
	char *sorted = malloc(total + 1);
	size_t *soff = malloc(sizeof(size_t) * (cnt + 1));
	if (sorted == NULL || soff == NULL) {
		free(sorted);
		free(soff);
		free(ord);
		frame_free(&f);
		return -ENOMEM;
	}
	o = 0;
	for (i = 0; i < cnt; i++) {
		size_t l = f.off[ord[i] + 1] - f.off[ord[i]];
		soff[i] = o;
		memcpy(sorted + o, f.names + f.off[ord[i]], l);
		o += l;
	}
	soff[cnt] = o;
	free(ord);
	free(f.names);
	free(f.off);
	f.names = sorted;
	f.off = soff;
	f.n = cnt;
	s->stack[s->depth++] = f;
	return 0;
}

int
tree_ser_step(struct tree_ser *s, unsigned budget, tree_write_fn *fn, void *arg)
{
	struct tree *t = s->t;
	s->fn = fn;
	s->arg = arg;
	/* work units: a session or a znode is 1 (plus 1 per 4 KiB of data),
	 * sorting a node's children costs 1 per 8 children */
	long work = budget == 0 ? 1 : (long)budget;
	while (work > 0 && s->err == 0) {
		if (s->sidx < s->n_sids) {
			struct tsess *x = sess_find(t, s->sids[s->sidx++]);
			if (x != NULL)
				emit_session(s, x);
			work--;
			continue;
		}
		if (!s->root_done) {
			emit_node(s, t->root);
			s->root_done = true;
			if (t->root->num_children > 0 &&
			    (s->err = push_frame(s, t->root)) != 0)
				break;
			work -= 1 + t->root->num_children / 8;
			continue;
		}
		if (s->depth == 0)
			break;
		struct frame *f = &s->stack[s->depth - 1];
		if (f->idx >= f->n) {
			struct tnode *pn = node_find(t, f->path, f->klen);
			if (pn != NULL)
				emit_fixup(s, pn);
			frame_free(f);
			s->depth--;
			continue;
		}
		size_t i = f->idx++;
		size_t nl = f->off[i + 1] - f->off[i];
		size_t pl = f->plen + 1 + nl;
		char stackbuf[512];
		char *p = pl <= sizeof(stackbuf) ? stackbuf : malloc(pl);
		if (p == NULL) {
			s->err = -ENOMEM;
			break;
		}
		memcpy(p, f->path, f->plen);
		p[f->plen] = '/';
		memcpy(p + f->plen + 1, f->names + f->off[i], nl);
		struct tnode *n = node_find(t, p, pl);
		if (p != stackbuf)
			free(p);
		work--;
		if (n == NULL)
			continue;
		emit_node(s, n);
		work -= n->data_len / 4096 + n->num_children / 8;
		if (n->num_children > 0 && (s->err = push_frame(s, n)) != 0)
			break;
	}
	if (s->err == 0 && s->depth == 0 && s->root_done &&
	    s->sidx >= s->n_sids && !s->end_done) {
		uint8_t e[4 + 1 + 16 + 4];
		be32(e, 21);
		e[4] = 'E';
		be64(e + 5, s->n_nodes);
		be64(e + 13, s->n_sess);
		be32(e + 21, crc32c(s->crc, e, 21));
		out(s, e, sizeof(e));
		s->end_done = true;
	}
	flush(s);
	if (s->err != 0)
		return s->err;
	return s->end_done ? 0 : 1;
}

int
tree_serialize(struct tree *t, tree_write_fn *fn, void *arg)
{
	struct tree_ser *s = tree_ser_begin(t, NULL);
	if (s == NULL)
		return -ENOMEM;
	int rc;
	while ((rc = tree_ser_step(s, 4096, fn, arg)) > 0)
		;
	tree_ser_end(s);
	return rc;
}

/* ---------------- loading ---------------- */

struct tree_load {
	struct tree *t;
	uint8_t *buf;
	size_t len, cap;
	bool hdr_done, end_seen;
	int err;
	uint64_t n_nodes, n_sess;
	int64_t zxid;
	uint32_t crc;
};

struct tree_load *
tree_load_begin(struct tree *t)
{
	struct tree_load *ld = calloc(1, sizeof(*ld));
	if (ld == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ld->t = t;
	if (t->n_nodes != 4 || dict_count(&t->sessions) != 0 ||
	    t->last_zxid != 0)
		ld->err = -EEXIST;
	return ld;
}

static int
load_session(struct tree_load *ld, const uint8_t *p, size_t len)
{
	if (len < 49)
		return -EBADMSG;
	int64_t id = (int64_t)rd64(p);
	uint32_t rl = rd32(p + 45);
	if (49 + (size_t)rl != len)
		return -EBADMSG;
	struct tsess *s = sess_get(ld->t, id);
	if (s == NULL)
		return -ENOMEM;
	s->timeout = (int32_t)rd32(p + 8);
	memcpy(s->passwd, p + 12, 16);
	s->real = p[28] != 0;
	s->last_zxid = (int64_t)rd64(p + 29);
	s->last_xid = (int32_t)rd32(p + 37);
	s->last_err = (int32_t)rd32(p + 41);
	if (rl > 0) {
		s->reply = arena_alloc(&ld->t->arena, rl);
		if (s->reply == NULL)
			return -ENOMEM;
		memcpy(s->reply, p + 49, rl);
		s->reply_len = rl;
	}
	ld->n_sess++;
	return 0;
}

static int
load_node(struct tree_load *ld, const uint8_t *p, size_t len)
{
	struct tree *t = ld->t;
	if (len < 4)
		return -EBADMSG;
	size_t pl = rd32(p);
	if (pl == 0 || 4 + pl + 72 + 4 > len)
		return -EBADMSG;
	const char *path = (const char *)p + 4;
	const uint8_t *f = p + 4 + pl;
	int64_t v[7];
	for (int i = 0; i < 7; i++)
		v[i] = (int64_t)rd64(f + 8 * i);
	size_t alen = rd32(f + 68);
	const uint8_t *ap = f + 72;
	if (72 + alen + 4 > len - 4 - pl)
		return -EBADMSG;
	size_t dlen = rd32(ap + alen);
	bool dnull = dlen == UINT32_MAX;
	if (dnull)
		dlen = 0;
	const uint8_t *dp = ap + alen + 4;
	if (4 + pl + 72 + alen + 4 + dlen != len || dlen > PROTO_JUTE_MAXBUFFER)
		return -EBADMSG;
	if (!path_valid(path, pl))
		return -EBADMSG;
	struct tacl *acl = NULL;
	if (alen > 0) {
		acl = acl_intern_raw(t, ap, alen);
		if (acl == NULL)
			return -EBADMSG;
	}
	struct tnode *n = node_find(t, path, pl);
	if (n != NULL) {
		/* "/" and the /zookeeper nodes exist already */
		if (path_is_reserved(path, pl) == false) {
			acl_unref(t, acl);
			return -EBADMSG;
		}
		if (node_set_data(t, n, dp, dnull ? -1 : (int32_t)dlen) != 0) {
			acl_unref(t, acl);
			return -ENOMEM;
		}
		acl_unref(t, n->acl);
		n->acl = acl;
	} else {
		struct tnode *par =
			node_find(t, path, path_parent_len(path, pl));
		if (par == NULL) {
			acl_unref(t, acl);
			return -EBADMSG;
		}
		n = node_insert(t, par, path, pl, dp,
				dnull ? -1 : (int32_t)dlen, acl, v[6], v[0],
				v[2]);
		acl_unref(t, acl);
		if (n == NULL)
			return -ENOMEM;
	}
	n->czxid = v[0];
	n->mzxid = v[1];
	n->ctime = v[2];
	n->mtime = v[3];
	n->pzxid = v[4];
	n->azxid = v[5];
	n->version = (int32_t)rd32(f + 56);
	n->cversion = (int32_t)rd32(f + 60);
	n->aversion = (int32_t)rd32(f + 64);
	ld->n_nodes++;
	return 0;
}

static int
load_fixup(struct tree_load *ld, const uint8_t *p, size_t len)
{
	if (len < 4)
		return -EBADMSG;
	size_t pl = rd32(p);
	if (4 + pl + 20 != len)
		return -EBADMSG;
	struct tnode *n = node_find(ld->t, (const char *)p + 4, pl);
	if (n == NULL)
		return -EBADMSG;
	const uint8_t *f = p + 4 + pl;
	if ((int64_t)rd64(f) == n->czxid) {
		n->pzxid = (int64_t)rd64(f + 8);
		n->cversion = (int32_t)rd32(f + 16);
	}
	return 0;
}

static int
load_record(struct tree_load *ld, const uint8_t *p, size_t len)
{
	if (ld->end_seen || len < 1)
		return -EBADMSG;
	switch (p[0]) {
	case 'S':
		return load_session(ld, p + 1, len - 1);
	case 'N':
		return load_node(ld, p + 1, len - 1);
	case 'P':
		return load_fixup(ld, p + 1, len - 1);
	case 'E':
		if (len != 21 || rd64(p + 1) != ld->n_nodes ||
		    rd64(p + 9) != ld->n_sess ||
		    rd32(p + 17) != crc32c(ld->crc, p - 4, 21))
			return -EBADMSG;
		ld->end_seen = true;
		return 0;
	default:
		return -EBADMSG;
	}
}

int
tree_load_feed(struct tree_load *ld, const void *data, size_t n)
{
	if (ld->err != 0)
		return ld->err;
	if (n == 0)
		return 0;
	if (ld->len + n > ld->cap) {
		size_t nc = ld->cap ? ld->cap : SER_BUF;
		while (nc < ld->len + n)
			nc *= 2;
		uint8_t *nb = realloc(ld->buf, nc);
		if (nb == NULL)
			return ld->err = -ENOMEM;
		ld->buf = nb;
		ld->cap = nc;
	}
	memcpy(ld->buf + ld->len, data, n);
	ld->len += n;
	size_t off = 0;
	if (!ld->hdr_done) {
		if (ld->len < SER_HDR)
			return 0;
		if (memcmp(ld->buf, SER_MAGIC, 8) != 0 ||
		    rd32(ld->buf + 8) != SER_VERSION)
			return ld->err = -EBADMSG;
		ld->zxid = (int64_t)rd64(ld->buf + 12);
		ld->crc = crc32c(0, ld->buf, SER_HDR);
		ld->hdr_done = true;
		off = SER_HDR;
	}
	while (ld->len - off >= 4) {
		size_t rl = rd32(ld->buf + off);
		if (rl > 2 * (size_t)PROTO_JUTE_MAXBUFFER + 4096)
			return ld->err = -EBADMSG;
		if (ld->len - off - 4 < rl)
			break;
		int rc = load_record(ld, ld->buf + off + 4, rl);
		if (rc != 0)
			return ld->err = rc;
		ld->crc = crc32c(ld->crc, ld->buf + off, 4 + rl);
		off += 4 + rl;
	}
	memmove(ld->buf, ld->buf + off, ld->len - off);
	ld->len -= off;
	return 0;
}

int
tree_load_end(struct tree_load *ld)
{
	int rc = ld->err;
	if (rc == 0 && (!ld->end_seen || ld->len != 0))
		rc = -EBADMSG;
	if (rc == 0)
		ld->t->last_zxid = ld->zxid;
	free(ld->buf);
	free(ld);
	return rc;
}
