/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/acl.c — ACLs: interning, ZooKeeper's fixupACL (create/setACL), the
 * permission check of every op, the digest and ip schemes, and super.
 *
 * Why it is built this way: almost every znode carries one of a handful of
 * ACL lists (world:anyone:cdrwa above all), so, like ZooKeeper's
 * ReferenceCountedACLCache, each distinct list is stored once and shared by
 * reference count.  The stored form is the list's jute encoding, which is
 * also what the snapshot writes, and which the check walks directly; the
 * world:anyone permissions are precomputed so the common check is one AND.
 * SHA-1 for digest ids is a small local implementation (FIPS 180-4): it is
 * the only hash ZooKeeper's digest scheme uses, and it keeps tree/ free of
 * a crypto library dependency.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_priv.h"

/* ---------------- SHA-1 and base64 ---------------- */

static uint32_t
rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void
sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		uint32_t tmp = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
sha1(const void *data, size_t len, uint8_t out[20])
{
	uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
			 0xc3d2e1f0};
	const uint8_t *p = data;
	size_t left = len;
	while (left >= 64) {
		sha1_block(h, p);
		p += 64;
		left -= 64;
	}
	uint8_t buf[128];
	memset(buf, 0, sizeof(buf));
	memcpy(buf, p, left);
	buf[left] = 0x80;
	size_t tot = left + 1 + 8 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		buf[tot - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(h, buf);
	if (tot == 128)
		sha1_block(h, buf + 64);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static size_t
base64(const uint8_t *in, size_t n, char *out)
{
	static const char tb[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tb[(v >> 18) & 63];
		out[o++] = tb[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tb[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tb[v & 63] : '=';
	}
	out[o] = 0;
	return o;
}

int
tree_auth_digest(const struct tree *t, const void *userpw, size_t len,
		 char *out, size_t cap, bool *is_super)
{
	const char *s = userpw;
	const char *colon = memchr(s, ':', len);
	if (is_super != NULL)
		*is_super = false;
	if (colon == NULL)
		return -EINVAL;
	size_t ulen = (size_t)(colon - s);
	if (ulen + 1 + 28 + 1 > cap)
		return -ENOSPC;
	uint8_t d[20];
	sha1(s, len, d);
	memcpy(out, s, ulen);
	out[ulen] = ':';
	size_t n = ulen + 1 + base64(d, 20, out + ulen + 1);
	if (is_super != NULL && t != NULL && t->super_digest != NULL)
		*is_super = strcmp(out, t->super_digest) == 0;
	return (int)n;
}

/* ---------------- encoded ACL lists ---------------- */

static inline int32_t
get_be32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			 (uint32_t)p[2] << 8 | p[3]);
}

static inline void
put_be32(uint8_t *p, int32_t v)
{
	p[0] = (uint8_t)((uint32_t)v >> 24);
	p[1] = (uint8_t)((uint32_t)v >> 16);
	p[2] = (uint8_t)((uint32_t)v >> 8);
	p[3] = (uint8_t)v;
}

struct acl_ent {
	int32_t perms;
	const char *scheme;
	size_t slen;
	const char *id;
	size_t ilen;
};

/* Walks encoded entries: returns the offset after entry *e at off. */
static size_t
acl_next(const uint8_t *k, size_t off, struct acl_ent *e)
{
	e->perms = get_be32(k + off);
	off += 4;
	int32_t l = get_be32(k + off);
	off += 4;
	e->scheme = (const char *)k + off;
	e->slen = l < 0 ? 0 : (size_t)l;
	off += e->slen;
	l = get_be32(k + off);
	off += 4;
	e->id = (const char *)k + off;
	e->ilen = l < 0 ? 0 : (size_t)l;
	off += e->ilen;
	return off;
}

static bool
veq(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n == l && memcmp(p, lit, l) == 0;
}

static struct tacl *
acl_intern_enc(struct tree *t, const uint8_t *enc, size_t len)
{
	uint32_t h = dict_hash(enc, len);
	struct hlink *l = dict_find(&t->acls, enc, (uint32_t)len, h);
	if (l != NULL) {
		struct tacl *a = (struct tacl *)l;
		a->refs++;
		return a;
	}
	struct tacl *a = arena_alloc(&t->arena, sizeof(*a) + len);
	if (a == NULL)
		return NULL;
	a->h.hash = h;
	a->h.klen = (uint32_t)len;
	a->refs = 1;
	a->n = get_be32(enc);
	a->world_perms = 0;
	memcpy(a->key, enc, len);
	size_t off = 4;
	for (int32_t i = 0; i < a->n; i++) {
		struct acl_ent e;
		off = acl_next(a->key, off, &e);
		if (veq(e.scheme, e.slen, "world") &&
		    veq(e.id, e.ilen, "anyone"))
			a->world_perms |= e.perms;
	}
	if (dict_add(&t->acls, &a->h) != 0) {
		arena_free(&t->arena, a, sizeof(*a) + len);
		return NULL;
	}
	return a;
}

struct tacl *
acl_intern_raw(struct tree *t, const uint8_t *enc, size_t len)
{
	/* validate the encoding before trusting it */
	if (len < 4)
		return NULL;
	int32_t n = get_be32(enc);
	size_t off = 4;
	if (n < 0)
		return NULL;
	for (int32_t i = 0; i < n; i++) {
		if (off + 8 > len)
			return NULL;
		int32_t sl = get_be32(enc + off + 4);
		if (sl < 0 || off + 8 + (size_t)sl + 4 > len)
			return NULL;
		int32_t il = get_be32(enc + off + 8 + sl);
		off += 12 + (size_t)sl;
		if (il < 0 || off + (size_t)il > len)
			return NULL;
		off += (size_t)il;
	}
	if (off != len)
		return NULL;
	return acl_intern_enc(t, enc, len);
}

struct tacl *
acl_intern(struct tree *t, const struct proto_acl_vec *v)
{
	size_t len = 4;
	int32_t n = v->n < 0 ? 0 : v->n;
	for (int32_t i = 0; i < n; i++)
		len += 12 +
		       (size_t)(v->v[i].id.scheme.len < 0
					? 0
					: v->v[i].id.scheme.len) +
		       (size_t)(v->v[i].id.id.len < 0 ? 0 : v->v[i].id.id.len);
	uint8_t stackbuf[512];
	uint8_t *buf = len <= sizeof(stackbuf) ? stackbuf : malloc(len);
	if (buf == NULL)
		return NULL;
	put_be32(buf, n);
	size_t off = 4;
	for (int32_t i = 0; i < n; i++) {
		const struct proto_acl *a = &v->v[i];
		int32_t sl = a->id.scheme.len < 0 ? 0 : a->id.scheme.len;
		int32_t il = a->id.id.len < 0 ? 0 : a->id.id.len;
		put_be32(buf + off, a->perms);
		put_be32(buf + off + 4, sl);
		if (sl > 0)
			memcpy(buf + off + 8, a->id.scheme.p, (size_t)sl);
		off += 8 + (size_t)sl;
		put_be32(buf + off, il);
		if (il > 0)
			memcpy(buf + off + 4, a->id.id.p, (size_t)il);
		off += 4 + (size_t)il;
	}
	struct tacl *r = acl_intern_enc(t, buf, len);
	if (buf != stackbuf)
		free(buf);
	return r;
}

void
acl_ref(struct tacl *a)
{
	if (a != NULL)
		a->refs++;
}

void
acl_unref(struct tree *t, struct tacl *a)
{
	if (a == NULL || --a->refs > 0)
		return;
	dict_del(&t->acls, &a->h);
	arena_free(&t->arena, a, sizeof(*a) + a->h.klen);
}

int
acl_to_vec(const struct tacl *a, struct proto_acl_vec *out,
	   struct proto_scratch *s)
{
	out->n = a->n;
	out->v = NULL;
	if (a->n == 0)
		return 0;
	out->v = proto_scratch_alloc(s, sizeof(*out->v) * (size_t)a->n);
	if (out->v == NULL)
		return -ENOBUFS;
	size_t off = 4;
	for (int32_t i = 0; i < a->n; i++) {
		struct acl_ent e;
		off = acl_next(a->key, off, &e);
		out->v[i].perms = e.perms;
		out->v[i].id.scheme.p = (const uint8_t *)e.scheme;
		out->v[i].id.scheme.len = (int32_t)e.slen;
		out->v[i].id.id.p = (const uint8_t *)e.id;
		out->v[i].id.id.len = (int32_t)e.ilen;
	}
	return 0;
}

/* ---------------- schemes ---------------- */

/* IPAuthenticationProvider.addr2Bytes: IPv4 dotted quad or IPv6. */
static int
addr_bytes(const char *p, size_t n, uint8_t out[16])
{
	char buf[64];
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = 0;
	if (memchr(buf, ':', n) == NULL) {
		/* Java: split on '.', exactly 4 parts, each 0..255 */
		int parts = 0;
		const char *q = buf;
		while (parts < 4) {
			char *end;
			if (*q < '0' || *q > '9')
				return 0;
			long v = strtol(q, &end, 10);
			if (end == q || v < 0 || v > 255 || end - q > 10)
				return 0;
			out[parts++] = (uint8_t)v;
			if (*end == 0)
				break;
			if (*end != '.')
				return 0;
			q = end + 1;
		}
		if (parts != 4 || q[strspn(q, "0123456789")] != 0)
			return 0;
		return 4;
	}
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 16;
	return 0;
}

static bool
parse_bits(const char *p, size_t n, int max, int *bits)
{
	if (n == 0 || n > 10)
		return false;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	if (v > max)
		return false;
	*bits = (int)v;
	return true;
}

static bool
ip_valid(const char *id, size_t n)
{
	const char *slash = memchr(id, '/', n);
	size_t al = slash != NULL ? (size_t)(slash - id) : n;
	uint8_t a[16];
	int l = addr_bytes(id, al, a);
	if (l == 0)
		return false;
	int bits;
	if (slash != NULL && !parse_bits(slash + 1, n - al - 1, l * 8, &bits))
		return false;
	return true;
}

static bool
ip_match(const char *who, size_t wn, const char *expr, size_t en)
{
	const char *slash = memchr(expr, '/', en);
	size_t al = slash != NULL ? (size_t)(slash - expr) : en;
	uint8_t a[16], r[16];
	int l = addr_bytes(expr, al, a);
	if (l == 0)
		return false;
	int bits = l * 8;
	if (slash != NULL && !parse_bits(slash + 1, en - al - 1, l * 8, &bits))
		return false;
	if (addr_bytes(who, wn, r) != l)
		return false;
	for (int i = 0; i < l; i++) {
		int b = bits - i * 8;
		uint8_t m = b >= 8   ? 0xff
			    : b <= 0 ? 0
				     : (uint8_t)(0xff << (8 - b));
		if ((a[i] & m) != (r[i] & m))
			return false;
	}
	return true;
}

/* DigestAuthenticationProvider.isValid: Java's id.split(":").length == 2,
 * where split drops trailing empty strings. */
static bool
digest_valid(const char *id, size_t n)
{
	while (n > 0 && id[n - 1] == ':')
		n--;
	if (n == 0)
		return false;
	size_t colons = 0;
	for (size_t i = 0; i < n; i++)
		colons += id[i] == ':';
	return colons == 1;
}

int32_t
acl_check(const struct tree *t, const struct tacl *a, int32_t perm,
	  const struct tree_client *c)
{
	(void)t;
	if (a == NULL || a->n == 0)
		return 0;
	if (a->world_perms & perm)
		return 0;
	int32_t nids = c != NULL ? c->n_ids : 0;
	for (int32_t j = 0; j < nids; j++) {
		if (veq((const char *)c->ids[j].scheme.p,
			(size_t)c->ids[j].scheme.len, "super"))
			return 0;
	}
	size_t off = 4;
	for (int32_t i = 0; i < a->n; i++) {
		struct acl_ent e;
		off = acl_next(a->key, off, &e);
		if ((e.perms & perm) == 0)
			continue;
		bool ip = veq(e.scheme, e.slen, "ip");
		for (int32_t j = 0; j < nids; j++) {
			const struct proto_id *id = &c->ids[j];
			size_t sl =
				id->scheme.len < 0 ? 0 : (size_t)id->scheme.len;
			size_t il = id->id.len < 0 ? 0 : (size_t)id->id.len;
			if (sl != e.slen ||
			    memcmp(id->scheme.p, e.scheme, sl) != 0)
				continue;
			if (ip) {
				if (ip_match((const char *)id->id.p, il, e.id,
					     e.ilen))
					return 0;
			} else if (il == e.ilen &&
				   memcmp(id->id.p, e.id, il) == 0) {
				return 0;
			}
		}
	}
	return PROTO_ZNOAUTH;
}

static bool
acl_same(const struct proto_acl *a, const struct proto_acl *b)
{
	return a->perms == b->perms && a->id.scheme.len == b->id.scheme.len &&
	       a->id.id.len == b->id.id.len &&
	       memcmp(a->id.scheme.p, b->id.scheme.p,
		      (size_t)a->id.scheme.len) == 0 &&
	       memcmp(a->id.id.p, b->id.id.p, (size_t)a->id.id.len) == 0;
}

static int
acl_push(struct proto_acl_vec *out, int32_t cap, const struct proto_acl *a)
{
	for (int32_t i = 0; i < out->n; i++)
		if (acl_same(&out->v[i], a))
			return 0;
	if (out->n >= cap)
		return -ENOBUFS;
	out->v[out->n++] = *a;
	return 0;
}

int
acl_fixup(const struct tree_client *c, const struct proto_acl_vec *in,
	  struct proto_acl_vec *out, struct proto_scratch *s, int32_t *zerr)
{
	*zerr = 0;
	out->n = 0;
	out->v = NULL;
	if (in->n <= 0) {
		*zerr = PROTO_ZINVALIDACL;
		return 0;
	}
	int32_t nids = c != NULL ? c->n_ids : 0;
	int32_t cap = in->n * (1 + nids);
	out->v = proto_scratch_alloc(s, sizeof(*out->v) * (size_t)cap);
	if (out->v == NULL)
		return -ENOBUFS;
	for (int32_t i = 0; i < in->n; i++) {
		const struct proto_acl *a = &in->v[i];
		const char *sc = (const char *)a->id.scheme.p;
		size_t sl = a->id.scheme.len < 0 ? 0 : (size_t)a->id.scheme.len;
		const char *id = (const char *)a->id.id.p;
		size_t il = a->id.id.len < 0 ? 0 : (size_t)a->id.id.len;
		struct proto_acl b = *a;
		b.id.scheme.len = (int32_t)sl;
		b.id.id.len = (int32_t)il;
		if (veq(sc, sl, "world") && veq(id, il, "anyone")) {
			if (acl_push(out, cap, &b) != 0)
				return -ENOBUFS;
		} else if (veq(sc, sl, "auth")) {
			/* every authenticated id of the connection: digest
			 * (and any other non-ip, non-super scheme) */
			bool any = false;
			for (int32_t j = 0; j < nids; j++) {
				const struct proto_id *cid = &c->ids[j];
				size_t cl = (size_t)(cid->scheme.len < 0
							     ? 0
							     : cid->scheme.len);
				const char *cs = (const char *)cid->scheme.p;
				if (veq(cs, cl, "ip") || veq(cs, cl, "super") ||
				    veq(cs, cl, "world"))
					continue;
				struct proto_acl x = {.perms = a->perms,
						      .id = *cid};
				if (acl_push(out, cap, &x) != 0)
					return -ENOBUFS;
				any = true;
			}
			if (!any) {
				*zerr = PROTO_ZINVALIDACL;
				return 0;
			}
		} else if (veq(sc, sl, "digest")) {
			if (!digest_valid(id, il)) {
				*zerr = PROTO_ZINVALIDACL;
				return 0;
			}
			if (acl_push(out, cap, &b) != 0)
				return -ENOBUFS;
		} else if (veq(sc, sl, "ip")) {
			if (!ip_valid(id, il)) {
				*zerr = PROTO_ZINVALIDACL;
				return 0;
			}
			if (acl_push(out, cap, &b) != 0)
				return -ENOBUFS;
		} else {
			*zerr = PROTO_ZINVALIDACL;
			return 0;
		}
	}
	if (out->n == 0)
		*zerr = PROTO_ZINVALIDACL;
	return 0;
}
