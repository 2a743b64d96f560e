/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway/frame.c — the pure parts of the bridge: TCP frame lengths,
 * four-letter words and their ADMIN datagrams, the ConnectRequest /
 * ConnectResponse translation, and the xid FIFO.
 *
 * Why it is built this way: everything here is a function of its inputs
 * (no sockets, no clock, no globals), so the rules that make a ZooKeeper
 * client accept the gateway — the 40/41-byte ConnectResponse, readOnly
 * echoed only when sent, xids rewritten both ways in request order — are
 * unit-tested byte for byte (gateway/test_frame.c) apart from the loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_priv.h"

static const uint8_t zero_key[16];

int
gw_frame_len(const uint8_t *p, size_t have, uint32_t max_frame, uint32_t *len)
{
	int32_t n;

	if (have < 4)
		return -EAGAIN;
	n = (int32_t)gw_be32(p);
	if (n < 0 || (uint32_t)n > max_frame)
		return -EMSGSIZE;
	*len = (uint32_t)n;
	return 0;
}

/* ZooKeeper's words (NIOServerCnxn.checkFourLetterWord, FourLetterCommands)
 * and which of them dpzk's admin answers (mgmt/admin.c). */
static const char *const words_fwd[] = {
	"ruok", "srvr", "stat", "mntr", "conf",
	"envi", "cons", "wchs", "dump", "isro",
};
static const char *const words_other[] = {
	"crst", "dirs", "gtmk", "stmk", "srst", "wchc", "wchp", "hash",
};

enum gw_4lw
gw_4lw_classify(const uint8_t p[4])
{
	for (size_t i = 0; i < sizeof(words_fwd) / sizeof(words_fwd[0]); i++)
		if (memcmp(p, words_fwd[i], 4) == 0)
			return GW_4LW_FORWARD;
	for (size_t i = 0; i < sizeof(words_other) / sizeof(words_other[0]);
	     i++)
		if (memcmp(p, words_other[i], 4) == 0)
			return GW_4LW_UNSUPPORTED;
	return GW_4LW_NONE;
}

bool
gw_4lw_allowed(const char *wl, const char *word)
{
	return proto_4lw_allowed(wl, word);
}

int
gw_4lw_refusal(char *buf, size_t cap, const char *word)
{
	int n = snprintf(buf, cap,
			 "%s is not executed because it is not in the "
			 "whitelist.\n",
			 word);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int
gw_admin_dgram(void *buf, size_t cap, const char *word)
{
	size_t n = strlen(word);
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = PROTO_K_ADMIN,
		.frag_count = 1,
	};

	if (n > 4)
		n = 4;
	if (cap < PROTO_DGRAM_HDR_LEN + n)
		return -ENOSPC;
	h.payload_len = (uint16_t)n;
	h.msg_len = (uint32_t)n;
	proto_dgram_hdr_encode(buf, &h);
	memcpy((uint8_t *)buf + PROTO_DGRAM_HDR_LEN, word, n);
	proto_dgram_seal(buf, PROTO_DGRAM_HDR_LEN + n, zero_key);
	return (int)(PROTO_DGRAM_HDR_LEN + n);
}

int
gw_admin_text(const void *d, size_t len, const char **text, size_t *tlen)
{
	struct proto_dgram_hdr h;

	if (proto_dgram_hdr_decode(d, len, &h) != 0 || h.kind != PROTO_K_ADMIN)
		return -EBADMSG;
	*text = (const char *)d + PROTO_DGRAM_HDR_LEN;
	*tlen = h.payload_len;
	return 0;
}

void
gw_admin_asm_reset(struct gw_admin_asm *a)
{
	free(a->text);
	memset(a, 0, sizeof(*a));
}

int
gw_admin_asm_put(struct gw_admin_asm *a, const void *d, size_t len)
{
	struct proto_dgram_hdr h;
	const char *t = (const char *)d + PROTO_DGRAM_HDR_LEN;
	uint32_t n, total;
	size_t off, tl;

	if (proto_dgram_hdr_decode(d, len, &h) != 0 || h.kind != PROTO_K_ADMIN)
		return -EBADMSG;
	tl = h.payload_len;
	n = h.frag_count ? h.frag_count : 1;
	total = n > 1 ? h.msg_len : (uint32_t)tl;
	if (n > 64 || h.frag_index >= n || total > GW_ADMIN_TEXT_MAX ||
	    tl > total)
		return -EBADMSG;
	if (a->text == NULL) {
		a->text = malloc((size_t)total + 1);
		if (a->text == NULL)
			return -ENOMEM;
		a->len = total;
		a->count = (uint16_t)n;
		a->mask = 0;
	} else if (a->len != total || a->count != n) {
		return -EBADMSG; /* another answer than the one begun */
	}
	/* every fragment but the last is full, and the last ends the text */
	off = (uint32_t)h.frag_index + 1 == n ? total - tl
					      : (size_t)h.frag_index * tl;
	if (off + tl > total)
		return -EBADMSG;
	memcpy(a->text + off, t, tl);
	a->text[total] = 0;
	a->mask |= 1ull << h.frag_index;
	return a->mask == (n == 64 ? ~0ull : (1ull << n) - 1) ? 1 : 0;
}

int
gw_hello_decode(const void *p, size_t len, struct gw_hello *h)
{
	struct proto_connect_req c;

	if (proto_connect_req_decode(p, len, &c) != 0)
		return -EBADMSG;
	if (c.passwd.len > PROTO_PASSWD_LEN)
		return -EBADMSG;
	memset(h, 0, sizeof(*h));
	h->last_zxid = c.last_zxid_seen;
	h->timeout = c.timeout;
	h->session_id = c.session_id;
	h->passwd_len = c.passwd.len;
	if (c.passwd.len > 0)
		memcpy(h->passwd, c.passwd.p, (size_t)c.passwd.len);
	h->read_only = c.read_only;
	return 0;
}

void
gw_hello_upstream(const struct gw_hello *h, struct proto_connect_req *c)
{
	memset(c, 0, sizeof(*c));
	c->protocol_version = 0;
	c->last_zxid_seen = h->last_zxid;
	c->timeout = h->timeout;
	c->session_id = h->session_id;
	/* a null or short passwd (a new session) goes up as 16 zero bytes,
	 * as every ZooKeeper client sends it */
	c->passwd.p = h->passwd;
	c->passwd.len = PROTO_PASSWD_LEN;
	c->read_only = h->read_only > 0 ? 1 : 0;
}

int
gw_hello_response(const struct gw_hello *h, const struct proto_connect_resp *r,
		  uint8_t *buf, size_t cap)
{
	static const uint8_t zero_pw[PROTO_PASSWD_LEN];
	struct proto_connect_resp o = {0};
	struct proto_wbuf w;

	if (cap < 4)
		return -ENOSPC;
	o.protocol_version = 0;
	if (r->timeout > 0 && r->passwd.len == PROTO_PASSWD_LEN) {
		o.timeout = r->timeout;
		o.session_id = r->session_id;
		o.passwd = r->passwd;
	} else {
		o.timeout = 0;
		o.session_id = 0;
		o.passwd.p = zero_pw;
		o.passwd.len = PROTO_PASSWD_LEN;
	}
	/* ZooKeeper's readOnly answer says whether the *server* is in
	 * read-only mode (a client that can use one sends 1); dpzk has no
	 * such mode, so it is always false, present only when sent */
	o.read_only = h->read_only < 0 ? -1 : 0;
	(void)r->read_only;
	o.last_xid = 0;
	proto_wbuf_init(&w, buf + 4, cap - 4);
	if (proto_connect_resp_encode(&w, &o) != 0)
		return -ENOSPC;
	gw_put_be32(buf, (uint32_t)w.len);
	return (int)(w.len + 4);
}

int32_t
gw_first_xid(int32_t last_xid)
{
	int64_t x = last_xid > 0 ? (int64_t)last_xid + GW_XID_GAP : 1;

	return x > INT32_MAX ? 1 : (int32_t)x;
}

void
gw_xidq_init(struct gw_xidq *q, uint32_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
}

void
gw_xidq_fini(struct gw_xidq *q)
{
	for (uint32_t i = 0; i < q->n; i++)
		free(q->v[(q->head + i) % q->cap].msg);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

static int
xidq_grow(struct gw_xidq *q)
{
	uint32_t cap = q->cap ? 2 * q->cap : 16;
	struct gw_xid *v = malloc(cap * sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->n; i++)
		v[i] = q->v[(q->head + i) % q->cap];
	free(q->v);
	q->v = v;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int
gw_xidq_add(struct gw_xidq *q, const struct gw_xid *e, bool front)
{
	if (!front && q->n >= q->max) {
		free(e->msg);
		return -ENOSPC;
	}
	if (q->n == q->cap && xidq_grow(q) != 0) {
		free(e->msg);
		return -ENOMEM;
	}
	if (front) {
		q->head = (q->head + q->cap - 1) % q->cap;
		q->v[q->head] = *e;
	} else {
		q->v[(q->head + q->n) % q->cap] = *e;
	}
	q->n++;
	return 0;
}

int
gw_xidq_push(struct gw_xidq *q, int32_t cxid, int32_t uxid, int32_t op)
{
	struct gw_xid e = {.cxid = cxid, .uxid = uxid, .op = op};

	return gw_xidq_add(q, &e, false);
}

struct gw_xid *
gw_xidq_at(struct gw_xidq *q, uint32_t i)
{
	return &q->v[(q->head + i) % q->cap];
}

int
gw_xidq_pop(struct gw_xidq *q, int32_t uxid, struct gw_xid *e)
{
	if (q->n == 0)
		return -ENOENT;
	if (q->v[q->head].uxid != uxid)
		return -EPROTO;
	*e = q->v[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return 0;
}

int
gw_xidq_take(struct gw_xidq *q, uint32_t k, struct gw_xid *e)
{
	if (k >= q->n)
		return -ENOENT;
	*e = q->v[(q->head + k) % q->cap];
	for (uint32_t i = k; i > 0; i--)
		q->v[(q->head + i) % q->cap] = q->v[(q->head + i - 1) % q->cap];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return 0;
}

int32_t
gw_xid_map(int32_t cxid, int32_t *next)
{
	int32_t x;

	if (gw_xid_special(cxid))
		return cxid;
	x = *next;
	if (x <= 0)
		x = 1;
	*next = x == INT32_MAX ? 1 : x + 1;
	return x;
}
