/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/channel.c — the reliable session/peer channel (proto_channel.h,
 * docs/PROTOCOL.md §8).
 *
 * Why it is built this way:
 *  - Messages, not bytes, carry sequence numbers: one seq per message, a
 *    cumulative ack = next expected seq.  The unit the application cares
 *    about (a request, a reply, an event, a zab message) is delivered whole,
 *    in order, once.
 *  - Large messages are cut into fragments of at most mtu_payload bytes.
 *    Retransmission is per fragment: a 1 MiB message is ~740 datagrams and
 *    resending all of them for one loss would, at 1% loss, almost never
 *    complete.  The receiver reports which fragments of the first incomplete
 *    message it holds (a SACK bitmap in the ACK payload) and the sender
 *    resends only the rest.  Later messages are resent whole on RTO, which
 *    is cheap because the fragment window (cfg.frag_window datagrams in
 *    flight) bounds every burst — that window is also what keeps a 1 MiB
 *    reply from overflowing a kernel socket buffer.
 *  - One retransmission timer per channel, as in TCP (RFC 6298): armed while
 *    datagrams are in flight, restarted on progress, doubled on expiry; on
 *    expiry everything in flight is presumed lost and resent (selectively
 *    for the head message).  Karn's rule: no RTT sample from a message that
 *    was retransmitted.
 *  - Acks are delayed (cfg.ack_delay_ns) so a reply carries the ack of its
 *    request, and sent at once for duplicates, gaps, PING, ACK_REQ and every
 *    frag_window/4 data datagrams (to clock a large transfer).
 *  - Memory is the caller's block, carved at init: tx messages live in a
 *    byte ring (they are freed in the order they were queued); rx messages
 *    in an arena used as a ring in arrival order (freed in seq order, so a
 *    freed block is reused once every older allocation is gone).  If the
 *    arena cannot hold the message everybody waits for (rcv_next), the
 *    out-of-order ones are evicted: they were never acked, so the sender
 *    still has them.  Nothing can deadlock and nothing grows.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "proto/proto.h"

struct proto_chan_txm {
	uint64_t seq;
	uint64_t last_tx; /* when a fragment of it was last sent */
	uint32_t off;
	uint32_t len;
	uint16_t nfrags;
	uint16_t cursor;   /* next fragment to send in this round */
	uint16_t max_sent; /* fragments below were sent at least once */
	uint16_t nacked;
	uint16_t inflight; /* unacked fragments below cursor */
	uint8_t kind;
	bool rexmit;	    /* some fragment was sent twice: no RTT sample */
	const uint8_t *ext; /* proto_chan_send_ext: the caller's bytes */
	uint8_t acked[PROTO_CHAN_SACK_BYTES];
};

struct proto_chan_rxm {
	uint64_t seq;
	uint64_t order; /* allocation order in the arena */
	uint32_t off;
	uint32_t alloc;
	uint32_t msg_len;
	uint32_t fsz; /* fragment size (all but the last) */
	uint16_t nfrags;
	uint16_t nrecv;
	uint8_t kind;
	bool live;
	uint8_t *ext; /* ops.rx_alloc buffer, or NULL: in the arena */
	uint8_t have[PROTO_CHAN_SACK_BYTES];
};

static const char *const drop_names[PROTO_CHAN_DROP_MAX] = {
	[PROTO_CHAN_DROP_MALFORMED] = "malformed",
	[PROTO_CHAN_DROP_BAD_SESSION] = "bad_session",
	[PROTO_CHAN_DROP_BAD_MAC] = "bad_mac",
	[PROTO_CHAN_DROP_BAD_KIND] = "bad_kind",
	[PROTO_CHAN_DROP_BAD_ACK] = "bad_ack",
	[PROTO_CHAN_DROP_DUPLICATE] = "duplicate",
	[PROTO_CHAN_DROP_OUT_OF_WINDOW] = "out_of_window",
	[PROTO_CHAN_DROP_BAD_FRAGMENT] = "bad_fragment",
	[PROTO_CHAN_DROP_TOO_BIG] = "too_big",
	[PROTO_CHAN_DROP_NO_BUFFER] = "no_buffer",
	[PROTO_CHAN_DROP_DEAD] = "dead",
};

const char *
proto_chan_drop_name(int reason)
{
	if (reason < 0 || reason >= PROTO_CHAN_DROP_MAX)
		return "unknown";
	return drop_names[reason];
}

static inline bool
bit_get(const uint8_t *b, unsigned i)
{
	return (b[i >> 3] >> (i & 7)) & 1;
}

static inline void
bit_set(uint8_t *b, unsigned i)
{
	b[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

void
proto_chan_derive_key(const uint8_t passwd[16], uint64_t nonce, uint8_t key[16])
{
	uint8_t in[16] = {'d', 'p', 'z', 'k', '-', 'c', 'h', '0'};

	for (int i = 0; i < 8; i++)
		in[8 + i] = (uint8_t)(nonce >> (56 - 8 * i));
	crypto_shorthash(key, in, sizeof(in), passwd);
	in[7] = '1';
	crypto_shorthash(key + 8, in, sizeof(in), passwd);
}

static const uint8_t zero_key[16];

static int
out_of_channel(void *buf, size_t cap, uint8_t kind, int64_t sid, uint64_t seq,
	       uint64_t ack, size_t plen, const uint8_t key[16])
{
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = kind,
		.frag_count = 1,
		.payload_len = (uint16_t)plen,
		.msg_len = (uint32_t)plen,
		.session_id = sid,
		.seq = seq,
		.ack = ack,
	};

	proto_dgram_hdr_encode(buf, &h);
	proto_dgram_seal(buf, PROTO_DGRAM_HDR_LEN + plen, key);
	(void)cap;
	return (int)(PROTO_DGRAM_HDR_LEN + plen);
}

int
proto_chan_connect_dgram(void *buf, size_t cap,
			 const struct proto_connect_req *req, uint64_t nonce)
{
	struct proto_wbuf w;

	if (cap < PROTO_DGRAM_HDR_LEN || nonce == 0)
		return -EINVAL;
	proto_wbuf_init(&w, (uint8_t *)buf + PROTO_DGRAM_HDR_LEN,
			cap - PROTO_DGRAM_HDR_LEN);
	if (proto_connect_req_encode(&w, req) != 0)
		return -ENOSPC;
	return out_of_channel(buf, cap, PROTO_K_CONNECT, req->session_id, nonce,
			      0, w.len, zero_key);
}

static void
resp_key(const struct proto_connect_resp *resp, uint64_t nonce, uint8_t key[16])
{
	uint8_t pw[16] = {0};

	if (resp->passwd.len == 16 && resp->passwd.p)
		memcpy(pw, resp->passwd.p, 16);
	proto_chan_derive_key(pw, nonce, key);
}

int
proto_chan_connected_dgram(void *buf, size_t cap,
			   const struct proto_connect_resp *resp,
			   uint64_t nonce)
{
	struct proto_wbuf w;
	uint8_t key[16];

	if (cap < PROTO_DGRAM_HDR_LEN)
		return -EINVAL;
	proto_wbuf_init(&w, (uint8_t *)buf + PROTO_DGRAM_HDR_LEN,
			cap - PROTO_DGRAM_HDR_LEN);
	if (proto_connect_resp_encode(&w, resp) != 0)
		return -ENOSPC;
	resp_key(resp, nonce, key);
	return out_of_channel(buf, cap, PROTO_K_CONNECTED, resp->session_id, 0,
			      nonce, w.len, key);
}

int
proto_chan_stateless_close_dgram(void *buf, size_t cap, int64_t session_id)
{
	if (cap < PROTO_DGRAM_HDR_LEN)
		return -EINVAL;
	return out_of_channel(buf, cap, PROTO_K_CLOSE, session_id, 0, 0, 0,
			      zero_key);
}

int
proto_chan_connected_check(const void *dgram, size_t len,
			   const struct proto_dgram_hdr *h,
			   const struct proto_connect_resp *resp,
			   uint64_t nonce, uint8_t key[16])
{
	if (h->kind != PROTO_K_CONNECTED || h->ack != nonce || nonce == 0)
		return -EBADMSG;
	resp_key(resp, nonce, key);
	return proto_dgram_verify(dgram, len, key);
}

void
proto_chan_cfg_default(struct proto_chan_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mtu_payload = PROTO_CHAN_MTU_PAYLOAD;
	cfg->max_msg = PROTO_CHAN_MAX_MSG;
	cfg->tx_window = 64;
	cfg->rx_window = 64;
	cfg->tx_bytes = 2 * PROTO_CHAN_MAX_MSG;
	cfg->rx_bytes = 2 * PROTO_CHAN_MAX_MSG;
	cfg->frag_window = 64;
	cfg->max_retries = 12;
	cfg->rto_init_ns = 10 * 1000 * 1000ull;
	cfg->rto_min_ns = 2 * 1000 * 1000ull;
	cfg->rto_max_ns = 1000 * 1000 * 1000ull;
	cfg->ack_delay_ns = 500 * 1000ull;
	cfg->dead_ns = 0;
}

static bool
cfg_valid(const struct proto_chan_cfg *c)
{
	if (c->mtu_payload < 64 || c->mtu_payload > 65535 - PROTO_DGRAM_HDR_LEN)
		return false;
	if (c->max_msg == 0 ||
	    (c->max_msg + (uint64_t)c->mtu_payload - 1) / c->mtu_payload >
		    PROTO_MAX_FRAGS)
		return false;
	if (c->tx_window == 0 || c->rx_window == 0 || c->frag_window == 0 ||
	    c->tx_window > 65536 || c->rx_window > 65536)
		return false;
	if (c->tx_bytes < c->mtu_payload || c->rx_bytes < c->mtu_payload)
		return false;
	if (c->rto_min_ns == 0 || c->rto_min_ns > c->rto_max_ns ||
	    c->rto_init_ns < c->rto_min_ns || c->rto_init_ns > c->rto_max_ns)
		return false;
	return true;
}

static size_t
dgram_cap(const struct proto_chan_cfg *c)
{
	size_t p = c->mtu_payload > PROTO_CHAN_SACK_BYTES
			   ? c->mtu_payload
			   : PROTO_CHAN_SACK_BYTES;
	return PROTO_DGRAM_HDR_LEN + p;
}

size_t
proto_chan_mem_size(const struct proto_chan_cfg *cfg)
{
	if (!cfg_valid(cfg))
		return 0;
	return align8(sizeof(struct proto_chan_txm) * cfg->tx_window) +
	       align8(sizeof(struct proto_chan_rxm) * cfg->rx_window) +
	       align8(cfg->tx_bytes) + align8(cfg->rx_bytes) +
	       align8(dgram_cap(cfg));
}

static inline struct proto_chan_txm *
txm_of(const struct proto_chan *ch, uint64_t seq)
{
	return &ch->txm[seq % ch->cfg.tx_window];
}

static inline struct proto_chan_rxm *
rxm_of(const struct proto_chan *ch, uint64_t seq)
{
	return &ch->rxm[seq % ch->cfg.rx_window];
}

/* Gives every external buffer back to its owner. */
static void
release_all(struct proto_chan *ch)
{
	for (uint64_t s = ch->snd_una; s < ch->snd_nxt; s++) {
		struct proto_chan_txm *m = txm_of(ch, s);

		if (m->ext && ch->ops.tx_release)
			ch->ops.tx_release(ch->ctx, m->ext);
		m->ext = NULL;
	}
	ch->snd_una = ch->snd_nxt;
	for (uint32_t i = 0; i < ch->cfg.rx_window; i++) {
		struct proto_chan_rxm *r = &ch->rxm[i];

		if (r->live && r->ext && ch->ops.rx_free)
			ch->ops.rx_free(ch->ctx, r->ext);
		r->ext = NULL;
		r->live = false;
	}
}

static void
clear_state(struct proto_chan *ch, int64_t session_id, const uint8_t key[16],
	    uint64_t now)
{
	ch->session_id = session_id;
	memcpy(ch->key, key, 16);
	ch->dead = false;
	ch->snd_una = ch->snd_nxt = 1;
	ch->tx_head = 0;
	ch->tx_arena_live = 0;
	ch->inflight = 0;
	ch->rto_deadline = 0;
	ch->srtt = ch->rttvar = 0;
	ch->rto = ch->cfg.rto_init_ns;
	ch->retries = 0;
	ch->last_progress = now;
	ch->rcv_next = 1;
	ch->rx_head = 0;
	ch->rx_alloc_order = 0;
	ch->rx_live = 0;
	ch->rx_since_ack = 0;
	ch->ack_deadline = 0;
	ch->resv = false;
	for (uint32_t i = 0; i < ch->cfg.rx_window; i++)
		ch->rxm[i].live = false;
}

int
proto_chan_init(struct proto_chan *ch, const struct proto_chan_cfg *cfg,
		void *mem, size_t mem_len, const struct proto_chan_ops *ops,
		void *ctx, int64_t session_id, const uint8_t key[16],
		uint64_t now)
{
	size_t need = proto_chan_mem_size(cfg);
	uint8_t *p = mem;

	if (need == 0 || ops == NULL || ops->emit == NULL ||
	    ops->deliver == NULL || mem == NULL || ((uintptr_t)mem & 7))
		return -EINVAL;
	/* a message bigger than the arena needs somewhere to go */
	if (cfg->rx_bytes < cfg->max_msg &&
	    (ops->rx_alloc == NULL || ops->rx_free == NULL))
		return -EINVAL;
	if (mem_len < need)
		return -ENOSPC;
	memset(ch, 0, sizeof(*ch));
	ch->cfg = *cfg;
	ch->ops = *ops;
	ch->ctx = ctx;
	ch->txm = (struct proto_chan_txm *)p;
	p += align8(sizeof(struct proto_chan_txm) * cfg->tx_window);
	ch->rxm = (struct proto_chan_rxm *)p;
	p += align8(sizeof(struct proto_chan_rxm) * cfg->rx_window);
	ch->tx_ring = p;
	p += align8(cfg->tx_bytes);
	ch->rx_arena = p;
	p += align8(cfg->rx_bytes);
	ch->dgram = p;
	memset(ch->txm, 0, sizeof(struct proto_chan_txm) * cfg->tx_window);
	memset(ch->rxm, 0, sizeof(struct proto_chan_rxm) * cfg->rx_window);
	clear_state(ch, session_id, key, now);
	return 0;
}

void
proto_chan_reset(struct proto_chan *ch, int64_t session_id,
		 const uint8_t key[16], uint64_t now)
{
	release_all(ch);
	clear_state(ch, session_id, key, now);
}

void
proto_chan_fini(struct proto_chan *ch)
{
	release_all(ch);
	ch->dead = true;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* Builds header + payload in ch->dgram, seals and emits it.  Every
 * datagram carries our cumulative ack, so any of them acks. */
static int
emit_dgram(struct proto_chan *ch, const struct proto_dgram_hdr *h,
	   const void *payload)
{
	size_t len = PROTO_DGRAM_HDR_LEN + h->payload_len;
	int rc;

	proto_dgram_hdr_encode(ch->dgram, h);
	if (h->payload_len)
		memcpy(ch->dgram + PROTO_DGRAM_HDR_LEN, payload,
		       h->payload_len);
	proto_dgram_seal(ch->dgram, len, ch->key);
	rc = ch->ops.emit(ch->ctx, ch->dgram, len);
	if (rc < 0)
		ch->st.tx_emit_fail++;
	/* Our ack went out: nothing is owed any more. */
	ch->ack_deadline = 0;
	ch->rx_since_ack = 0;
	return rc < 0 ? rc : 0;
}

static void
hdr_init(const struct proto_chan *ch, struct proto_dgram_hdr *h, uint8_t kind)
{
	memset(h, 0, sizeof(*h));
	h->magic = PROTO_DGRAM_MAGIC;
	h->version = PROTO_DGRAM_VERSION;
	h->kind = kind;
	h->frag_count = 1;
	h->session_id = ch->session_id;
	h->ack = ch->rcv_next;
}

static int
send_ack(struct proto_chan *ch)
{
	struct proto_dgram_hdr h;
	const struct proto_chan_rxm *r = rxm_of(ch, ch->rcv_next);
	const void *sack = NULL;

	hdr_init(ch, &h, PROTO_K_ACK);
	if (r->live && r->seq == ch->rcv_next && r->nfrags > 1) {
		h.payload_len = (uint16_t)((r->nfrags + 7) / 8);
		h.msg_len = h.payload_len;
		sack = r->have;
	}
	ch->st.tx_acks++;
	return emit_dgram(ch, &h, sack);
}

static void
emit_frag(struct proto_chan *ch, struct proto_chan_txm *m, uint16_t i,
	  bool rexmit, bool ackreq)
{
	struct proto_dgram_hdr h;
	uint32_t fsz = ch->cfg.mtu_payload;
	uint32_t off = (uint32_t)i * fsz;
	uint32_t pl = m->len - off < fsz ? m->len - off : fsz;

	hdr_init(ch, &h, m->kind);
	h.flags = (uint8_t)((rexmit ? PROTO_F_RETRANSMIT : 0) |
			    (ackreq ? PROTO_F_ACK_REQ : 0));
	h.frag_count = m->nfrags;
	h.frag_index = i;
	h.payload_len = (uint16_t)pl;
	h.msg_len = m->len;
	h.seq = m->seq;
	ch->st.tx_dgrams++;
	if (rexmit)
		ch->st.tx_retransmits++;
	emit_dgram(ch, &h, (m->ext ? m->ext : ch->tx_ring + m->off) + off);
}

/* Sends what the fragment window allows, oldest message first. */
static void
pump(struct proto_chan *ch, uint64_t now)
{
	uint32_t win = ch->cfg.frag_window;

	for (uint64_t s = ch->snd_una; s < ch->snd_nxt && ch->inflight < win;
	     s++) {
		struct proto_chan_txm *m = txm_of(ch, s);

		while (m->cursor < m->nfrags && ch->inflight < win) {
			uint16_t i = m->cursor++;
			bool rexmit;

			if (bit_get(m->acked, i))
				continue;
			rexmit = i < m->max_sent;
			if (rexmit)
				m->rexmit = true;
			else
				m->max_sent = (uint16_t)(i + 1);
			m->inflight++;
			ch->inflight++;
			m->last_tx = now;
			emit_frag(ch, m, i, rexmit,
				  rexmit || ch->inflight == win);
		}
	}
	if (ch->inflight > 0 && ch->rto_deadline == 0)
		ch->rto_deadline = now + ch->rto;
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */
/* ------------------------------------------------------------------ */

/* Where a need-byte message would go in the tx ring, or false. */
static bool
tx_place(const struct proto_chan *ch, uint32_t need, uint32_t *off)
{
	uint32_t cap = ch->cfg.tx_bytes;
	uint32_t head = ch->tx_head, tail;

	if (ch->tx_arena_live == 0) {
		*off = 0;
		return need <= cap;
	}
	tail = 0;
	for (uint64_t s = ch->snd_una; s < ch->snd_nxt; s++) {
		const struct proto_chan_txm *m = txm_of(ch, s);

		if (m->ext == NULL) {
			tail = m->off;
			break;
		}
	}
	if (head > tail) {
		if (cap - head >= need) {
			*off = head;
			return true;
		}
		if (tail >= need) {
			*off = 0;
			return true;
		}
		return false;
	}
	if (tail - head >= need) {
		*off = head;
		return true;
	}
	return false;
}

static int
send_check(const struct proto_chan *ch, size_t len, uint32_t *off)
{
	if (ch->dead)
		return -ETIMEDOUT;
	if (len > ch->cfg.max_msg)
		return -EMSGSIZE;
	if (ch->snd_nxt - ch->snd_una >= ch->cfg.tx_window)
		return -EAGAIN;
	if (off == NULL)
		return 0; /* external buffer */
	if (len > ch->cfg.tx_bytes)
		return -EMSGSIZE; /* never fits: use proto_chan_send_ext */
	if (!tx_place(ch, len ? (uint32_t)len : 1, off))
		return -EAGAIN;
	return 0;
}

bool
proto_chan_can_send(const struct proto_chan *ch, size_t len)
{
	uint32_t off;

	return send_check(ch, len, &off) == 0;
}

void *
proto_chan_reserve(struct proto_chan *ch, size_t len)
{
	uint32_t off;
	int rc = send_check(ch, len, &off);

	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	ch->resv = true;
	ch->resv_off = off;
	ch->resv_len = (uint32_t)len;
	return ch->tx_ring + off;
}

static bool
kind_sendable(uint8_t kind)
{
	return kind != 0 && kind != PROTO_K_CONNECT &&
	       kind != PROTO_K_CONNECTED && kind != PROTO_K_ACK &&
	       kind != PROTO_K_PING;
}

static void
queue_msg(struct proto_chan *ch, uint8_t kind, size_t len, uint32_t off,
	  const uint8_t *ext, uint64_t now)
{
	struct proto_chan_txm *m;

	if (ch->snd_una == ch->snd_nxt) {
		/* Idle until now: the give-up clock starts here. */
		ch->last_progress = now;
	}
	m = txm_of(ch, ch->snd_nxt);
	memset(m, 0, offsetof(struct proto_chan_txm, acked));
	memset(m->acked, 0, sizeof(m->acked));
	m->seq = ch->snd_nxt++;
	m->off = off;
	m->ext = ext;
	m->len = (uint32_t)len;
	m->kind = kind;
	m->nfrags = len == 0 ? 1
			     : (uint16_t)((len + ch->cfg.mtu_payload - 1) /
					  ch->cfg.mtu_payload);
	if (ext == NULL) {
		ch->tx_head = off + (len ? (uint32_t)len : 1);
		ch->tx_arena_live++;
	}
	ch->st.tx_msgs++;
	pump(ch, now);
}

int
proto_chan_commit(struct proto_chan *ch, uint8_t kind, size_t len, uint64_t now)
{
	if (!ch->resv || len > ch->resv_len)
		return -EINVAL;
	ch->resv = false;
	if (!kind_sendable(kind))
		return -EINVAL;
	if (ch->dead)
		return -ETIMEDOUT;
	queue_msg(ch, kind, len, ch->resv_off, NULL, now);
	return 0;
}

int
proto_chan_send_ext(struct proto_chan *ch, uint8_t kind, const void *msg,
		    size_t len, uint64_t now)
{
	int rc;

	if (!kind_sendable(kind) || (msg == NULL && len > 0) ||
	    ch->ops.tx_release == NULL)
		return -EINVAL;
	rc = send_check(ch, len, NULL);
	if (rc < 0)
		return rc;
	queue_msg(ch, kind, len, 0, msg ? msg : (const uint8_t *)"", now);
	return 0;
}

int
proto_chan_send(struct proto_chan *ch, uint8_t kind, const void *msg,
		size_t len, uint64_t now)
{
	void *p;

	if (!kind_sendable(kind))
		return -EINVAL;
	p = proto_chan_reserve(ch, len);
	if (p == NULL)
		return -errno;
	if (len)
		memcpy(p, msg, len);
	return proto_chan_commit(ch, kind, len, now);
}

int
proto_chan_ping(struct proto_chan *ch, uint64_t now)
{
	struct proto_dgram_hdr h;

	(void)now;
	if (ch->dead)
		return -ETIMEDOUT;
	hdr_init(ch, &h, PROTO_K_PING);
	h.flags = PROTO_F_ACK_REQ;
	ch->st.tx_pings++;
	return emit_dgram(ch, &h, NULL);
}

int
proto_chan_ack_now(struct proto_chan *ch, uint64_t now)
{
	(void)now;
	if (ch->dead)
		return -ETIMEDOUT;
	return send_ack(ch);
}

int
proto_chan_send_control(struct proto_chan *ch, uint8_t kind,
			const void *payload, size_t len, uint64_t now)
{
	struct proto_dgram_hdr h;

	(void)now;
	if (len > ch->cfg.mtu_payload || !kind_sendable(kind))
		return -EINVAL;
	hdr_init(ch, &h, kind);
	h.payload_len = (uint16_t)len;
	h.msg_len = (uint32_t)len;
	return emit_dgram(ch, &h, payload);
}

/* ------------------------------------------------------------------ */
/* Acks and timers                                                     */
/* ------------------------------------------------------------------ */

static uint64_t
rto_compute(const struct proto_chan *ch)
{
	uint64_t r;

	if (ch->srtt == 0)
		r = ch->cfg.rto_init_ns;
	else
		r = ch->srtt + 4 * ch->rttvar + ch->cfg.ack_delay_ns;
	if (r < ch->cfg.rto_min_ns)
		r = ch->cfg.rto_min_ns;
	if (r > ch->cfg.rto_max_ns)
		r = ch->cfg.rto_max_ns;
	return r;
}

static void
rtt_sample(struct proto_chan *ch, uint64_t r)
{
	if (r == 0)
		r = 1;
	if (ch->srtt == 0) {
		ch->srtt = r;
		ch->rttvar = r / 2;
	} else {
		uint64_t d = ch->srtt > r ? ch->srtt - r : r - ch->srtt;

		ch->rttvar = (3 * ch->rttvar + d) / 4;
		ch->srtt = (7 * ch->srtt + r) / 8;
	}
	ch->st.rtt_samples++;
}

static void
progress(struct proto_chan *ch, uint64_t now)
{
	ch->retries = 0;
	ch->rto = rto_compute(ch);
	ch->last_progress = now;
	ch->rto_deadline = ch->inflight ? now + ch->rto : 0;
}

static void
on_cum_ack(struct proto_chan *ch, uint64_t a, uint64_t now)
{
	uint64_t sample_tx = 0;

	if (a <= ch->snd_una)
		return;
	for (uint64_t s = ch->snd_una; s < a; s++) {
		struct proto_chan_txm *m = txm_of(ch, s);

		ch->inflight -= m->inflight;
		if (!m->rexmit && m->max_sent == m->nfrags)
			sample_tx = m->last_tx;
		if (m->ext) {
			if (ch->ops.tx_release)
				ch->ops.tx_release(ch->ctx, m->ext);
			m->ext = NULL;
		} else {
			ch->tx_arena_live--;
		}
	}
	ch->snd_una = a;
	if (ch->tx_arena_live == 0)
		ch->tx_head = 0;
	if (sample_tx && now >= sample_tx)
		rtt_sample(ch, now - sample_tx);
	progress(ch, now);
}

static void
on_sack(struct proto_chan *ch, const struct proto_dgram_hdr *h,
	const uint8_t *p, uint64_t now)
{
	struct proto_chan_txm *m;
	bool newly = false;

	if (ch->snd_una == ch->snd_nxt || h->ack != ch->snd_una)
		return;
	m = txm_of(ch, ch->snd_una);
	if (m->nfrags < 2 || h->payload_len != (m->nfrags + 7) / 8)
		return;
	for (unsigned i = 0; i < m->nfrags; i++) {
		if (!bit_get(p, i) || bit_get(m->acked, i))
			continue;
		bit_set(m->acked, i);
		m->nacked++;
		newly = true;
		if (i < m->cursor && m->inflight) {
			m->inflight--;
			ch->inflight--;
		}
	}
	if (newly)
		progress(ch, now);
}

static void
chan_kill(struct proto_chan *ch)
{
	ch->dead = true;
	ch->rto_deadline = 0;
	ch->ack_deadline = 0;
}

static void
rto_fire(struct proto_chan *ch, uint64_t now)
{
	ch->st.rto_fired++;
	ch->rto_deadline = 0;
	if (++ch->retries > ch->cfg.max_retries) {
		chan_kill(ch);
		return;
	}
	ch->rto = ch->rto * 2 > ch->cfg.rto_max_ns ? ch->cfg.rto_max_ns
						   : ch->rto * 2;
	for (uint64_t s = ch->snd_una; s < ch->snd_nxt; s++) {
		struct proto_chan_txm *m = txm_of(ch, s);

		ch->inflight -= m->inflight;
		m->inflight = 0;
		m->cursor = 0;
	}
	pump(ch, now);
}

int
proto_chan_timer(struct proto_chan *ch, uint64_t now)
{
	if (ch->dead)
		return -ETIMEDOUT;
	if (ch->ack_deadline && now >= ch->ack_deadline)
		send_ack(ch);
	if (ch->cfg.dead_ns && ch->snd_una != ch->snd_nxt &&
	    now - ch->last_progress >= ch->cfg.dead_ns) {
		chan_kill(ch);
		return -ETIMEDOUT;
	}
	if (ch->rto_deadline && now >= ch->rto_deadline) {
		rto_fire(ch, now);
		if (ch->dead)
			return -ETIMEDOUT;
	}
	return 0;
}

uint64_t
proto_chan_next_deadline(const struct proto_chan *ch)
{
	uint64_t d = UINT64_MAX;

	if (ch->dead)
		return UINT64_MAX;
	if (ch->ack_deadline && ch->ack_deadline < d)
		d = ch->ack_deadline;
	if (ch->rto_deadline && ch->rto_deadline < d)
		d = ch->rto_deadline;
	if (ch->cfg.dead_ns && ch->snd_una != ch->snd_nxt &&
	    ch->last_progress + ch->cfg.dead_ns < d)
		d = ch->last_progress + ch->cfg.dead_ns;
	return d;
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */
/* ------------------------------------------------------------------ */

static int
drop(struct proto_chan *ch, enum proto_chan_drop why)
{
	ch->st.drop[why]++;
	return -EBADMSG;
}

/* Checks the fragment fields and derives the fragment size: every
 * fragment but the last carries exactly fsz bytes. */
static bool
frag_geometry(const struct proto_dgram_hdr *h, uint32_t *fsz)
{
	uint32_t n = h->frag_count, i = h->frag_index, pl = h->payload_len;
	uint32_t ml = h->msg_len;

	if (n == 0 || n > PROTO_MAX_FRAGS || i >= n || pl > ml)
		return false;
	if (n == 1) {
		*fsz = ml;
		return pl == ml;
	}
	if (i < n - 1) {
		*fsz = pl;
		return pl > 0 && (uint64_t)(n - 1) * pl < ml &&
		       ml <= (uint64_t)n * pl;
	}
	if (pl == 0 || (ml - pl) % (n - 1))
		return false;
	*fsz = (ml - pl) / (n - 1);
	return *fsz >= pl;
}

static bool
rx_place(struct proto_chan *ch, uint32_t need, uint32_t *off)
{
	uint32_t cap = ch->cfg.rx_bytes, head = ch->rx_head, tail = 0;
	uint64_t best = UINT64_MAX;

	if (ch->rx_live == 0) {
		ch->rx_head = 0;
		*off = 0;
		return need <= cap;
	}
	for (uint32_t k = 0; k < ch->cfg.rx_window; k++) {
		const struct proto_chan_rxm *r = &ch->rxm[k];

		if (r->live && r->ext == NULL && r->order < best) {
			best = r->order;
			tail = r->off;
		}
	}
	if (head > tail) {
		if (cap - head >= need) {
			*off = head;
			return true;
		}
		if (tail >= need) {
			*off = 0;
			return true;
		}
		return false;
	}
	if (tail - head >= need) {
		*off = head;
		return true;
	}
	return false;
}

static void
rx_free(struct proto_chan *ch, struct proto_chan_rxm *r)
{
	r->live = false;
	if (r->ext) {
		ch->ops.rx_free(ch->ctx, r->ext);
		r->ext = NULL;
		return;
	}
	if (--ch->rx_live == 0)
		ch->rx_head = 0;
}

static void
rx_evict_all(struct proto_chan *ch)
{
	for (uint32_t k = 0; k < ch->cfg.rx_window; k++) {
		if (ch->rxm[k].live && ch->rxm[k].ext == NULL) {
			ch->rxm[k].live = false;
			ch->st.rx_evicted++;
		}
	}
	ch->rx_live = 0;
	ch->rx_head = 0;
}

static void
deliver_ready(struct proto_chan *ch)
{
	for (;;) {
		struct proto_chan_rxm *r = rxm_of(ch, ch->rcv_next);

		if (!r->live || r->seq != ch->rcv_next || r->nrecv != r->nfrags)
			return;
		ch->rcv_next++;
		ch->st.rx_msgs++;
		ch->st.rx_bytes += r->msg_len;
		ch->ops.deliver(ch->ctx, r->kind,
				r->ext ? r->ext : ch->rx_arena + r->off,
				r->msg_len);
		rx_free(ch, r);
		if (ch->dead)
			return;
	}
}

static int
rx_data(struct proto_chan *ch, const struct proto_dgram_hdr *h,
	const uint8_t *payload, bool *ack_now)
{
	struct proto_chan_rxm *r;
	uint32_t fsz, ack_every;
	bool live;

	if (h->msg_len > ch->cfg.max_msg)
		return drop(ch, PROTO_CHAN_DROP_TOO_BIG);
	if (!frag_geometry(h, &fsz))
		return drop(ch, PROTO_CHAN_DROP_BAD_FRAGMENT);
	if (h->seq < ch->rcv_next) {
		*ack_now = true;
		drop(ch, PROTO_CHAN_DROP_DUPLICATE);
		return 0;
	}
	if (h->seq - ch->rcv_next >= ch->cfg.rx_window) {
		*ack_now = true;
		return drop(ch, PROTO_CHAN_DROP_OUT_OF_WINDOW);
	}
	ack_every = ch->cfg.frag_window / 4 ? ch->cfg.frag_window / 4 : 1;
	if (++ch->rx_since_ack >= ack_every || h->seq > ch->rcv_next)
		*ack_now = true;

	r = rxm_of(ch, h->seq);
	live = r->live && r->seq == h->seq;
	if (!live && h->seq == ch->rcv_next && h->frag_count == 1) {
		/* In order and whole: deliver straight from the datagram. */
		ch->rcv_next++;
		ch->st.rx_msgs++;
		ch->st.rx_bytes += h->msg_len;
		ch->ops.deliver(ch->ctx, h->kind, payload, h->msg_len);
		if (!ch->dead)
			deliver_ready(ch);
		return 0;
	}
	if (!live) {
		uint32_t need = h->msg_len ? h->msg_len : 1, off = 0;
		uint8_t *ext = NULL;

		if (need > ch->cfg.rx_bytes) {
			/* never fits the arena: the owner's big buffers */
			ext = ch->ops.rx_alloc ? ch->ops.rx_alloc(ch->ctx, need)
					       : NULL;
			if (ext == NULL)
				return drop(ch, PROTO_CHAN_DROP_NO_BUFFER);
		} else if (!rx_place(ch, need, &off)) {
			if (h->seq != ch->rcv_next)
				return drop(ch, PROTO_CHAN_DROP_NO_BUFFER);
			rx_evict_all(ch);
			if (!rx_place(ch, need, &off))
				return drop(ch, PROTO_CHAN_DROP_NO_BUFFER);
		}
		memset(r, 0, offsetof(struct proto_chan_rxm, have));
		memset(r->have, 0, sizeof(r->have));
		r->seq = h->seq;
		r->order = ch->rx_alloc_order++;
		r->off = off;
		r->ext = ext;
		r->alloc = need;
		r->msg_len = h->msg_len;
		r->fsz = fsz;
		r->nfrags = h->frag_count;
		r->kind = h->kind;
		r->live = true;
		if (ext == NULL) {
			ch->rx_live++;
			ch->rx_head = off + need;
		}
	} else if (r->kind != h->kind || r->nfrags != h->frag_count ||
		   r->msg_len != h->msg_len ||
		   (r->nfrags > 1 && r->fsz != fsz)) {
		return drop(ch, PROTO_CHAN_DROP_BAD_FRAGMENT);
	}
	if (bit_get(r->have, h->frag_index)) {
		*ack_now = true;
		drop(ch, PROTO_CHAN_DROP_DUPLICATE);
		return 0;
	}
	if (h->payload_len)
		memcpy((r->ext ? r->ext : ch->rx_arena + r->off) +
			       (size_t)h->frag_index * r->fsz,
		       payload, h->payload_len);
	bit_set(r->have, h->frag_index);
	r->nrecv++;
	if (h->seq == ch->rcv_next)
		deliver_ready(ch);
	return 0;
}

int
proto_chan_input(struct proto_chan *ch, const void *dgram, size_t len,
		 uint64_t now)
{
	struct proto_dgram_hdr h;
	const uint8_t *payload = (const uint8_t *)dgram + PROTO_DGRAM_HDR_LEN;
	bool ack_now = false;
	int rc = 0;

	if (ch->dead) {
		drop(ch, PROTO_CHAN_DROP_DEAD);
		return -ETIMEDOUT;
	}
	if (proto_dgram_hdr_decode(dgram, len, &h) < 0)
		return drop(ch, PROTO_CHAN_DROP_MALFORMED);
	if (h.session_id != ch->session_id)
		return drop(ch, PROTO_CHAN_DROP_BAD_SESSION);
	if (proto_dgram_verify(dgram, PROTO_DGRAM_HDR_LEN + h.payload_len,
			       ch->key) < 0)
		return drop(ch, PROTO_CHAN_DROP_BAD_MAC);
	if (h.kind == PROTO_K_CONNECT || h.kind == PROTO_K_CONNECTED)
		return drop(ch, PROTO_CHAN_DROP_BAD_KIND);
	if (h.ack > ch->snd_nxt)
		return drop(ch, PROTO_CHAN_DROP_BAD_ACK);
	ch->st.rx_dgrams++;
	if (h.flags & PROTO_F_ACK_REQ)
		ack_now = true;
	on_cum_ack(ch, h.ack, now);

	switch (h.kind) {
	case PROTO_K_ACK:
		if (h.payload_len)
			on_sack(ch, &h, payload, now);
		break;
	case PROTO_K_PING:
		ack_now = true;
		break;
	default:
		if (h.seq == 0) {
			if (ch->ops.control)
				ch->ops.control(ch->ctx, &h, payload,
						h.payload_len);
		} else {
			rc = rx_data(ch, &h, payload, &ack_now);
		}
		break;
	}
	if (ch->dead)
		return rc;
	pump(ch, now);
	if (ack_now || (ch->rx_since_ack && ch->cfg.ack_delay_ns == 0))
		send_ack(ch);
	else if (ch->rx_since_ack && ch->ack_deadline == 0)
		ch->ack_deadline = now + ch->cfg.ack_delay_ns;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

bool
proto_chan_idle(const struct proto_chan *ch)
{
	return ch->snd_una == ch->snd_nxt;
}

bool
proto_chan_is_dead(const struct proto_chan *ch)
{
	return ch->dead;
}

uint32_t
proto_chan_outstanding(const struct proto_chan *ch)
{
	return (uint32_t)(ch->snd_nxt - ch->snd_una);
}

uint64_t
proto_chan_rto(const struct proto_chan *ch)
{
	return ch->rto;
}

uint64_t
proto_chan_srtt(const struct proto_chan *ch)
{
	return ch->srtt;
}

const struct proto_chan_stats *
proto_chan_stats(const struct proto_chan *ch)
{
	return &ch->st;
}

/* ------------------------------------------------------------------ */
/* Liveness of the server (client side)                                */
/* ------------------------------------------------------------------ */

uint64_t
proto_liveness_period(const struct proto_chan *ch, uint64_t cap_ns)
{
	uint64_t d = 8 * proto_chan_srtt(ch);

	if (d < PROTO_LIVENESS_MIN_NS)
		d = PROTO_LIVENESS_MIN_NS;
	return d < cap_ns ? d : cap_ns;
}

void
proto_liveness_track(struct proto_liveness *lv, struct proto_chan *ch,
		     bool owed, uint64_t last_rx, uint64_t now, uint64_t period)
{
	if (proto_chan_outstanding(ch) > 0) {
		/* the silence clock restarts whenever the server spoke */
		if (lv->unacked_since == 0 || last_rx > lv->unacked_since)
			lv->unacked_since = now;
		lv->probe_since = 0;
		return;
	}
	lv->unacked_since = 0;
	if (!owed || now - last_rx < period) {
		lv->probe_since = 0; /* nothing owed, or the server spoke */
		return;
	}
	if (lv->probe_since == 0)
		lv->probe_since = now;
	if (lv->probe_last < lv->probe_since ||
	    now - lv->probe_last >= period / 4) {
		proto_chan_ping(ch, now);
		lv->probe_last = now;
	}
}

bool
proto_liveness_dead(const struct proto_liveness *lv, uint64_t last_rx,
		    uint64_t now, uint64_t period)
{
	if (lv->probe_since && last_rx <= lv->probe_since &&
	    now - lv->probe_since >= period)
		return true; /* probed for a whole period: no answer */
	if (lv->unacked_since == 0 || last_rx > lv->unacked_since)
		return false;
	return now - lv->unacked_since >= period && now - last_rx >= period;
}

uint64_t
proto_liveness_deadline(const struct proto_liveness *lv,
			const struct proto_chan *ch, bool owed,
			uint64_t last_rx, uint64_t period)
{
	uint64_t d = UINT64_MAX;

	if (lv->unacked_since)
		d = lv->unacked_since + period;
	if (lv->probe_since) {
		if (lv->probe_last + period / 4 < d)
			d = lv->probe_last + period / 4;
		if (lv->probe_since + period < d)
			d = lv->probe_since + period;
	} else if (owed && proto_chan_outstanding(ch) == 0 &&
		   last_rx + period < d) {
		d = last_rx + period; /* when probing would start */
	}
	return d;
}
