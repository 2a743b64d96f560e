/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway/gateway_priv.h — dpzk-gateway's private pieces shared by gw.c
 * (the event loop) and frame.c (pure translation helpers, unit-tested by
 * gateway/test_frame.c without sockets).
 */
#ifndef DPZK_GATEWAY_PRIV_H
#define DPZK_GATEWAY_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/gateway.h"
#include "proto/proto.h"

/* xids left free above a session's last applied write when a connection
 * attaches a session another connection or gateway used (docs/PROTOCOL.md
 * §8 §2.1, the same gap libdpzk leaves). */
#define GW_XID_GAP 4096

/* ------------------------------------------------------------------ */
/* Frames and four-letter words                                        */
/* ------------------------------------------------------------------ */

static inline uint32_t
gw_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
gw_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The length of the frame starting at p (have bytes available): 0 and
 * *len when its 4-byte prefix is there and valid, -EAGAIN when fewer than
 * 4 bytes are there, -EMSGSIZE when the length is negative or above
 * max_frame (ZooKeeper closes the connection then). */
int gw_frame_len(const uint8_t *p, size_t have, uint32_t max_frame,
		 uint32_t *len);

/* What the first 4 bytes of a fresh connection are. */
enum gw_4lw {
	GW_4LW_NONE = 0,    /* not a word: a frame length */
	GW_4LW_FORWARD,	    /* a word dpzk's admin answers */
	GW_4LW_UNSUPPORTED, /* a ZooKeeper word dpzk does not answer */
};
enum gw_4lw gw_4lw_classify(const uint8_t p[4]);
/* Is word (NUL-terminated, 4 letters) allowed by the whitelist ("*", or
 * words separated by commas and/or spaces)? */
bool gw_4lw_allowed(const char *wl, const char *word);
/* ZooKeeper's refusal text for a word outside the whitelist. */
int gw_4lw_refusal(char *buf, size_t cap, const char *word);
/* Builds the ADMIN datagram (kind 9, session 0, seq 0, zero-key MAC)
 * asking for word; returns its length or -ENOSPC. */
int gw_admin_dgram(void *buf, size_t cap, const char *word);
/* Checks an ADMIN reply datagram; 0 and the text view, or -EBADMSG. */
int gw_admin_text(const void *d, size_t len, const char **text, size_t *tlen);

/* A four-letter word's answer assembled from its ADMIN fragments
 * (docs/PROTOCOL.md, "Admin datagrams": frag_count n, frag_index, msg_len
 * the whole text; every fragment but the last is full). */
#define GW_ADMIN_TEXT_MAX (64 * 1024)
struct gw_admin_asm {
	char *text; /* len bytes (+1 for a NUL), malloc'd */
	uint32_t len;
	uint16_t count;
	uint64_t mask; /* fragments seen */
};
/* Places one ADMIN reply datagram; 1 when the answer is complete (text,
 * len), 0 while fragments are missing, -EBADMSG for a datagram that is not
 * an ADMIN reply or does not fit the answer begun, -ENOMEM. */
int gw_admin_asm_put(struct gw_admin_asm *a, const void *d, size_t len);
void gw_admin_asm_reset(struct gw_admin_asm *a);

/* ------------------------------------------------------------------ */
/* Handshake                                                           */
/* ------------------------------------------------------------------ */

/* The client's ConnectRequest, kept by value (the frame goes away). */
struct gw_hello {
	int64_t last_zxid;
	int32_t timeout;
	int64_t session_id;
	uint8_t passwd[PROTO_PASSWD_LEN];
	int32_t passwd_len; /* as sent; -1 null */
	int8_t read_only;   /* -1: the client did not send the byte */
};

/* Decodes a ConnectRequest frame payload: 0 or -EBADMSG (malformed, or a
 * passwd longer than 16 bytes). */
int gw_hello_decode(const void *p, size_t len, struct gw_hello *h);
/* The CONNECT the gateway sends upstream for h: always with readOnly
 * (the client's, else 0) so the server adds the lastXid extension. */
void gw_hello_upstream(const struct gw_hello *h, struct proto_connect_req *c);
/* Encodes the ConnectResponse frame (with its 4-byte length prefix) the
 * ZooKeeper client gets for the upstream CONNECTED r: protocolVersion 0,
 * r's timeOut, sessionId and passwd, readOnly (false: dpzk has no
 * read-only mode) only when the client sent it, never the dpzk extension.  A
 * refusal (timeOut <= 0 or a passwd that is not 16 bytes) becomes timeOut 0,
 * sessionId 0, zero passwd.  Returns the frame length or -ENOSPC. */
int gw_hello_response(const struct gw_hello *h,
		      const struct proto_connect_resp *r, uint8_t *buf,
		      size_t cap);
/* The first upstream xid of a connection given the CONNECTED's lastXid. */
int32_t gw_first_xid(int32_t last_xid);

/* ------------------------------------------------------------------ */
/* xid translation                                                     */
/* ------------------------------------------------------------------ */

/* Client xids that travel unchanged: ping (answered locally), auth and
 * setWatches (the server echoes them). */
static inline bool
gw_xid_special(int32_t xid)
{
	return xid == PROTO_XID_PING || xid == PROTO_XID_AUTH ||
	       xid == PROTO_XID_SETWATCHES;
}

/* One request sent (or to be sent) upstream and not answered yet. */
struct gw_xid {
	int32_t cxid; /* the client's */
	int32_t uxid; /* upstream */
	int32_t op;
	uint8_t flags; /* GW_XF_* */
	uint8_t *msg;  /* RequestHeader(uxid) + body, owned by the queue */
	uint32_t len;
};
#define GW_XF_INTERNAL                                                         \
	0x01		  /* the gateway's own (replayed auth,                 \
			   * setWatches): the reply is not relayed */
#define GW_XF_RESENT 0x02 /* sent again after a reattach */

/* FIFO of requests in upstream order: replies come back in request order,
 * so the head is always the next reply's.  Entries keep their bytes until
 * the reply, so a reattach to another server can resend them with the
 * same upstream xids. */
struct gw_xidq {
	struct gw_xid *v;
	uint32_t cap, head, n, max;
};

void gw_xidq_init(struct gw_xidq *q, uint32_t max);
/* Frees every queued message. */
void gw_xidq_fini(struct gw_xidq *q);
/* Appends (or, front, prepends) a copy of *e; the queue owns e->msg from
 * then on (also on failure: it is freed).  0, -ENOSPC (max entries; front
 * ignores max), -ENOMEM. */
int gw_xidq_add(struct gw_xidq *q, const struct gw_xid *e, bool front);
/* Appends an entry without a message (tests, special cases). */
int gw_xidq_push(struct gw_xidq *q, int32_t cxid, int32_t uxid, int32_t op);
/* The i-th entry from the head (i < n). */
struct gw_xid *gw_xidq_at(struct gw_xidq *q, uint32_t i);
/* Pops the head into e when its uxid matches: 0 (the caller owns e->msg);
 * -ENOENT when empty, -EPROTO when the head is another request's (the
 * head stays). */
int gw_xidq_pop(struct gw_xidq *q, int32_t uxid, struct gw_xid *e);

/* Removes the k-th entry from the head into e (the caller owns e->msg);
 * the others keep their order.  0 or -ENOENT. */
int gw_xidq_take(struct gw_xidq *q, uint32_t k, struct gw_xid *e);

/* The upstream xid for a client xid: special xids unchanged, any other
 * takes *next (which then advances, skipping 0 and negatives on wrap). */
int32_t gw_xid_map(int32_t cxid, int32_t *next);

#endif /* DPZK_GATEWAY_PRIV_H */
