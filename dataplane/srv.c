/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dataplane/srv.c — the ZooKeeper service on the polling lcore.
 *
 * Why it is built this way (see also srv.h):
 *  - Sessions live in an rte_hash keyed by session id → a slot in a fixed
 *    array of max_sessions (the memory bound a connect flood meets).  Each
 *    slot holds the session's reliable channel (proto_chan), allocated at
 *    the first connect and reused across reconnects.
 *  - Every request is decoded once, as views into the channel's message.
 *    Reads are answered at once from the tree unless the session still has
 *    writes in flight: then the request is copied into the pending FIFO and
 *    answered in its place, so replies keep ZooKeeper's request order.
 *  - Writes: tree_prep → txn encoded into the pending arena → nlog_append
 *    (copied into the log's buffer).  The poll hook flushes once per loop
 *    iteration (group commit), polls completions, and applies every pending
 *    txn that became durable, in zxid order; apply fires watch events into
 *    the watchers' channels before the reply goes into the writer's.
 *  - The FIFO, the arena and each session's outgoing backlog are bounded;
 *    when they are full new writes get ZooKeeper's THROTTLEDOP and nothing
 *    already acknowledged is touched.
 *  - Session passwords are derived (keyed BLAKE2b of the id with the server
 *    secret), as ZooKeeper derives them from its secret: a reconnect is
 *    checked without any stored state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include <sodium.h>

#include "dataplane/ens.h"
#include "dataplane/srv.h"
#include "nvme-log/nlog.h"
#include "proto/proto.h"
#include "tree/tree.h"

#define SRV_LOG(lvl, ...) RTE_LOG(lvl, USER1, "srv: " __VA_ARGS__)

#define MAX_IDS		  8
#define ID_STR		  160
#define SCRATCH_BYTES	  (4u << 20)
#define BACKLOG_MAX_MSGS  4096
#define BACKLOG_MAX_BYTES (64u << 20)
#define NS_PER_US	  1000ull

enum sess_state { S_FREE = 0, S_CREATING, S_LIVE, S_DETACHED, S_CLOSING };

struct outmsg {
	struct outmsg *next;
	uint8_t kind;
	uint32_t len;
	uint8_t b[];
};

struct sess {
	int64_t id;
	uint8_t state;
	bool chan_up;
	int8_t read_only;
	uint32_t ip;
	char ipstr[16]; /* the "ip" auth id, formatted once per connection */
	uint16_t port;
	uint64_t nonce;
	int32_t xid_hi; /* highest xid of a write this session sent */
	int32_t timeout_ms;
	uint64_t last_rx_us;
	uint8_t passwd[16];
	struct proto_chan ch;
	void *ch_mem;
	uint32_t inflight; /* pending entries of this session */
	/* auth ids of this connection (scheme, id) */
	uint8_t n_ids;
	char id_scheme[MAX_IDS][16];
	char id_val[MAX_IDS][ID_STR];
	/* messages waiting for the channel window, in order */
	struct outmsg *bl_head, *bl_tail;
	uint32_t bl_n;
	uint64_t bl_bytes;
};

enum pend_kind {
	P_TXN = 1, /* a txn to apply when durable; reply if client */
	P_REPLY,   /* an already-encoded reply, sent in its turn */
	P_READ,	   /* a copied read request, served in its turn */
	P_CONNECT, /* createSession txn: answer CONNECTED on apply */
};

struct pend {
	uint8_t kind;
	bool appended;
	bool client; /* a client waits for this reply */
	int32_t xid;
	int32_t op;
	int64_t sid;
	uint32_t slot;
	int64_t zxid;
	uint64_t off; /* in the arena */
	uint32_t len;
	uint64_t t0_tsc;
	/* ensemble mode: waits for a commit (or a leader's answer) */
	bool ens;
	bool done;
	int32_t eerr;
	int64_t wait_zxid;
	uint8_t *rbuf; /* the reply, encoded when the commit applied */
	uint32_t rlen;
	uint64_t fwd_us; /* follower: when it was forwarded (0: not) */
	bool parked;	 /* a write held while there is no leader */
};

struct srv {
	struct dp_config dc;
	struct srv_config sc;
	struct tree *t;
	struct nlog *l;
	struct dp_lcore *lc; /* the lcore inside a handler/hook */
	struct rte_hash *sh;
	struct sess *sess;
	uint32_t n_live;
	struct proto_chan_cfg ccfg;
	size_t ch_mem_len;

	/* pending FIFO */
	struct pend *pq;
	uint32_t pq_cap, pq_head, pq_tail, pq_n;
	uint32_t pq_next_append; /* index of the first not-yet-appended txn */
	uint8_t *arena;
	uint64_t ar_cap, ar_head, ar_tail; /* byte offsets, monotonic */

	int64_t next_zxid;
	int64_t last_applied;
	bool dirty; /* appended since the last flush */
	int log_fatal;

	uint8_t *scratch_mem;
	uint8_t *enc; /* encode buffer for one reply/txn */
	size_t enc_cap;

	/* snapshot in progress */
	struct tree_ser *ser;
	struct nlog_snap_pipe *pipe;
	uint8_t *stage;
	size_t stage_len, stage_off, stage_cap;
	bool ser_done;
	uint64_t txns_since_snap, bytes_since_snap;
	bool snap_requested;

	struct rte_ring *to_mgmt, *to_lcore;
	uint64_t expiry_next_us;
	uint64_t gc_next_us;
	uint64_t start_us;
	uint64_t publish_next_us;
	uint32_t drop_replies;
	bool ens; /* ensemble mode (dataplane/ens.c) */
	uint64_t touch_next_us, touch_last_us;
	/* offset from pq_head of the oldest entry that may wait for a
	 * commit: every entry before it is done or waits for no commit */
	uint32_t ens_cur;
	uint64_t fwd_check_next_us;
	uint32_t parked_n; /* entries parked (see ens_forward) */

	struct srv_stats st;
	uint64_t hist[64]; /* log2 ns buckets of server-side latency */
};

static struct srv S;

/* Published stats: seqlock (writer: lcore; readers: anyone). */
static struct srv_stats pub;
static atomic_uint pub_seq;

static const uint8_t zero_key[16];

/* ------------------------------------------------------------------ */
/* small helpers                                                       */
/* ------------------------------------------------------------------ */

void
srv_config_defaults(struct srv_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_sessions = 1024;
	c->pending_max = 65536;
	c->pending_mb = 64;
	c->snap_every_txns = 100000;
	c->snap_every_mb = 64;
	c->snap_retain = 3;
	c->snap_budget = 256;
	c->ttl_enabled = true;
	snprintf(c->fourlw_whitelist, sizeof(c->fourlw_whitelist), "*");
}

static uint64_t
now_ns(void)
{
	return dp_now_us() * NS_PER_US;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
derive_passwd(int64_t sid, uint8_t pw[16])
{
	uint8_t in[8];

	for (int i = 0; i < 8; i++)
		in[i] = (uint8_t)((uint64_t)sid >> (56 - 8 * i));
	crypto_generichash(pw, 16, in, sizeof(in), S.sc.secret,
			   sizeof(S.sc.secret));
}

static bool
is_write_op(int32_t op)
{
	switch (op) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
	case PROTO_OP_SETDATA:
	case PROTO_OP_SETACL:
	case PROTO_OP_MULTI:
		return true;
	default:
		return false;
	}
}

static void
lat_record(uint64_t t0_tsc)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t d = rte_rdtsc() - t0_tsc;
	uint64_t ns = (uint64_t)((double)d * 1e9 / (double)hz);
	unsigned b = ns ? 63 - (unsigned)__builtin_clzll(ns) : 0;

	S.hist[b]++;
	if (S.st.lat_count == 0 || ns < S.st.lat_min_ns)
		S.st.lat_min_ns = ns;
	if (ns > S.st.lat_max_ns)
		S.st.lat_max_ns = ns;
	S.st.lat_sum_ns += ns;
	S.st.lat_count++;
}

static uint64_t
hist_pct(double q)
{
	uint64_t n = 0, want, c = 0;

	for (int i = 0; i < 64; i++)
		n += S.hist[i];
	if (n == 0)
		return 0;
	want = (uint64_t)(q * (double)n);
	for (int i = 0; i < 64; i++) {
		c += S.hist[i];
		if (c > want)
			return (1ull << i) +
			       (1ull << i) / 2; /* bucket middle */
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */
/* ------------------------------------------------------------------ */

static struct sess *
sess_find(int64_t sid, uint32_t *slot)
{
	int pos;

	if (sid == 0)
		return NULL;
	pos = rte_hash_lookup(S.sh, &sid);
	if (pos < 0)
		return NULL;
	if (slot)
		*slot = (uint32_t)pos;
	return &S.sess[pos];
}

static struct sess *
sess_add(int64_t sid, uint32_t *slot)
{
	int pos = rte_hash_add_key(S.sh, &sid);
	struct sess *s;

	if (pos < 0)
		return NULL;
	s = &S.sess[pos];
	if (s->state == S_FREE) {
		void *mem = s->ch_mem;
		struct proto_chan ch = s->ch;

		memset(s, 0, sizeof(*s));
		s->ch_mem = mem;
		s->ch = ch;
		s->id = sid;
		S.n_live++;
	}
	*slot = (uint32_t)pos;
	return s;
}

static void
backlog_free(struct sess *s)
{
	struct outmsg *m = s->bl_head, *n;

	for (; m; m = n) {
		n = m->next;
		free(m);
	}
	s->bl_head = s->bl_tail = NULL;
	s->bl_n = 0;
	s->bl_bytes = 0;
}

static void
sess_free(struct sess *s)
{
	int64_t sid = s->id;

	tree_watch_drop_session(S.t, sid);
	backlog_free(s);
	s->state = S_FREE;
	s->chan_up = false;
	s->id = 0;
	rte_hash_del_key(S.sh, &sid);
	if (S.n_live)
		S.n_live--;
}

/* The channel's emit: one sealed datagram to the session's peer. */
static int
chan_emit(void *ctx, const void *dgram, size_t len)
{
	struct sess *s = ctx;

	if (S.lc == NULL || len > UINT16_MAX)
		return -EINVAL;
	S.st.packets_sent++;
	return dp_udp_send1(S.lc, s->ip, s->port, S.dc.client_port, dgram,
			    (uint16_t)len);
}

static void handle_request(struct sess *s, uint32_t slot, const uint8_t *msg,
			   size_t len, uint64_t t0_tsc);

static uint64_t cur_rx_tsc;

static void
chan_deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	struct sess *s = ctx;
	uint32_t slot = (uint32_t)(s - S.sess);

	if (kind != PROTO_K_REQUEST) {
		S.st.drop_bad_request++;
		return;
	}
	handle_request(s, slot, msg, len, cur_rx_tsc);
}

static const struct proto_chan_ops chan_ops = {
	.emit = chan_emit,
	.deliver = chan_deliver,
	.control = NULL,
};

/* Queue or send one message on the session's channel, keeping order. */
static void
sess_send(struct sess *s, uint8_t kind, const void *msg, size_t len)
{
	struct outmsg *m;

	if (!s->chan_up)
		return; /* the client re-reads what it needs after reconnect */
	if (s->bl_head == NULL &&
	    proto_chan_send(&s->ch, kind, msg, len, now_ns()) == 0)
		return;
	if (s->bl_n >= BACKLOG_MAX_MSGS ||
	    s->bl_bytes + len > BACKLOG_MAX_BYTES) {
		/* A client that does not read: drop its connection; the
		 * session lives on and the client resyncs on reconnect. */
		S.st.drop_backlog++;
		backlog_free(s);
		s->chan_up = false;
		return;
	}
	m = malloc(sizeof(*m) + len);
	if (m == NULL) {
		S.st.drop_backlog++;
		return;
	}
	m->next = NULL;
	m->kind = kind;
	m->len = (uint32_t)len;
	memcpy(m->b, msg, len);
	if (s->bl_tail)
		s->bl_tail->next = m;
	else
		s->bl_head = m;
	s->bl_tail = m;
	s->bl_n++;
	s->bl_bytes += len;
}

static unsigned
sess_backlog_drain(struct sess *s)
{
	unsigned n = 0;

	while (s->bl_head && s->chan_up) {
		struct outmsg *m = s->bl_head;

		if (proto_chan_send(&s->ch, m->kind, m->b, m->len, now_ns()) !=
		    0)
			break;
		s->bl_head = m->next;
		if (s->bl_head == NULL)
			s->bl_tail = NULL;
		s->bl_n--;
		s->bl_bytes -= m->len;
		free(m);
		n++;
	}
	return n;
}

/* Send an unsequenced CLOSE with a reason, sealed with the channel key. */
static void
sess_send_close(struct sess *s, int32_t reason)
{
	uint8_t b[4] = {(uint8_t)((uint32_t)reason >> 24),
			(uint8_t)((uint32_t)reason >> 16),
			(uint8_t)((uint32_t)reason >> 8), (uint8_t)reason};

	if (s->chan_up)
		proto_chan_send_control(&s->ch, PROTO_K_CLOSE, b, sizeof(b),
					now_ns());
}

/* ------------------------------------------------------------------ */
/* encoding replies                                                    */
/* ------------------------------------------------------------------ */

static int
encode_reply(int32_t xid, int64_t zxid, int32_t err,
	     const struct proto_response *resp, size_t *len)
{
	struct proto_wbuf w;
	struct proto_reply_hdr h = {.xid = xid, .zxid = zxid, .err = err};

	proto_wbuf_init(&w, S.enc, S.enc_cap);
	proto_reply_hdr_encode(&w, &h);
	if (err == 0 && resp)
		proto_response_encode(&w, resp);
	if (w.err)
		return w.err;
	*len = w.len;
	return 0;
}

static void
reply(struct sess *s, int32_t xid, int32_t err,
      const struct proto_response *resp, uint64_t t0_tsc)
{
	size_t len;

	if (encode_reply(xid, S.last_applied, err, resp, &len) != 0) {
		/* Too large for the encode buffer: tell the client. */
		if (encode_reply(xid, S.last_applied, PROTO_ZMARSHALLINGERROR,
				 NULL, &len) != 0)
			return;
	}
	if (err)
		S.st.errors_replied++;
	S.st.replies_sent++;
	sess_send(s, PROTO_K_REPLY, S.enc, len);
	if (t0_tsc)
		lat_record(t0_tsc);
}

/* Watch events from the tree: into the watcher's ordered stream. */
static void
on_event(void *arg, int64_t sid, const struct proto_watcher_event *ev,
	 int64_t zxid)
{
	uint8_t b[PROTO_DGRAM_HDR_LEN + 4096];
	struct proto_wbuf w;
	struct proto_reply_hdr h = {
		.xid = PROTO_XID_NOTIFICATION, .zxid = zxid, .err = 0};
	struct sess *s = sess_find(sid, NULL);
	uint8_t *big = NULL;
	size_t need = 32 + (size_t)(ev->path.len > 0 ? ev->path.len : 0);

	(void)arg;
	if (s == NULL || !s->chan_up)
		return;
	if (need > sizeof(b)) {
		big = malloc(need);
		if (big == NULL)
			return;
		proto_wbuf_init(&w, big, need);
	} else {
		proto_wbuf_init(&w, b, sizeof(b));
	}
	proto_reply_hdr_encode(&w, &h);
	proto_event_encode(&w, ev);
	if (w.err == 0) {
		S.st.events_sent++;
		sess_send(s, PROTO_K_EVENT, w.p, w.len);
	}
	free(big);
}

/* ------------------------------------------------------------------ */
/* the pending FIFO and its arena                                      */
/* ------------------------------------------------------------------ */

/* Reserve len contiguous bytes of the arena; returns the offset or
 * UINT64_MAX when full.  Offsets are monotonic; position = off % cap. */
static uint64_t
arena_alloc(uint32_t len)
{
	uint64_t pos = S.ar_head % S.ar_cap;
	uint64_t start = S.ar_head;

	if (len > S.ar_cap / 2)
		return UINT64_MAX;
	if (pos + len > S.ar_cap)
		start += S.ar_cap - pos; /* skip the tail end: wrap */
	if (start + len - S.ar_tail > S.ar_cap)
		return UINT64_MAX;
	S.ar_head = start + len;
	return start;
}

static uint8_t *
arena_ptr(uint64_t off)
{
	return S.arena + off % S.ar_cap;
}

static struct pend *
pq_push(void)
{
	struct pend *p;

	if (S.pq_n >= S.pq_cap)
		return NULL;
	p = &S.pq[S.pq_tail];
	memset(p, 0, sizeof(*p));
	S.pq_tail = (S.pq_tail + 1) % S.pq_cap;
	S.pq_n++;
	return p;
}

static bool
pq_full(uint32_t bytes)
{
	uint64_t used = S.ar_head - S.ar_tail;

	return S.pq_n + 1 >= S.pq_cap || used + bytes + 4096 > S.ar_cap / 2;
}

/* Store a copy of bytes in the arena as entry p's payload. */
static int
pend_store(struct pend *p, const void *b, size_t len)
{
	uint64_t off = arena_alloc((uint32_t)len);

	if (off == UINT64_MAX)
		return -ENOBUFS;
	memcpy(arena_ptr(off), b, len);
	p->off = off;
	p->len = (uint32_t)len;
	return 0;
}

/* Append not-yet-appended txns to the log, in order. */
static void
pq_append(void)
{
	while (S.pq_next_append != S.pq_tail) {
		struct pend *p = &S.pq[S.pq_next_append];
		int rc;

		if (p->kind == P_TXN || p->kind == P_CONNECT) {
			if (!p->appended) {
				rc = nlog_append(S.l, (uint64_t)p->zxid, p->op,
						 arena_ptr(p->off), p->len);
				if (rc == -ENOBUFS || rc == -EAGAIN) {
					nlog_flush(S.l);
					return; /* retry at the next poll */
				}
				if (rc == -ENOSPC) {
					S.st.log_errors++;
					return; /* retry when space returns */
				}
				if (rc < 0) {
					if (!S.log_fatal)
						SRV_LOG(ERR,
							"log append failed: %s; "
							"writes are no longer "
							"acknowledged\n",
							strerror(-rc));
					S.log_fatal = rc;
					S.st.log_errors++;
					return;
				}
				p->appended = true;
				S.dirty = true;
				S.bytes_since_snap += p->len;
			}
		}
		S.pq_next_append = (S.pq_next_append + 1) % S.pq_cap;
	}
}

/* Prep result → pending txn entry.  txn is encoded into the arena. */
static int
pend_txn(struct sess *s, uint32_t slot, const struct proto_txn *txn, int kind,
	 bool client, int32_t xid, uint64_t t0)
{
	struct proto_wbuf w;
	struct pend *p;
	uint64_t off;

	proto_wbuf_init(&w, NULL, 0);
	proto_txn_encode(&w, txn);
	off = arena_alloc((uint32_t)w.len);
	if (off == UINT64_MAX)
		return -ENOBUFS;
	p = pq_push();
	if (p == NULL)
		return -ENOBUFS;
	proto_wbuf_init(&w, arena_ptr(off), S.ar_cap);
	if (proto_txn_encode(&w, txn) != 0)
		return -EINVAL;
	p->kind = (uint8_t)kind;
	p->client = client;
	p->xid = xid;
	p->op = txn->hdr.type;
	p->sid = s ? s->id : txn->hdr.session_id;
	p->slot = slot;
	p->zxid = txn->hdr.zxid;
	p->off = off;
	p->len = (uint32_t)w.len;
	p->t0_tsc = t0;
	if (S.ens) {
		uint64_t z;
		int prc = ens_propose(arena_ptr(off), w.len, &z);

		if (prc != 0) {
			S.pq_tail = (S.pq_tail + S.pq_cap - 1) % S.pq_cap;
			S.pq_n--;
			return prc;
		}
		p->ens = true;
		p->appended = true;
		p->zxid = (int64_t)z;
	}
	if (s)
		s->inflight++;
	S.st.writes++;
	return 0;
}

static void serve_read(struct sess *s, const struct proto_req_hdr *h,
		       const uint8_t *body, size_t blen, uint64_t t0);

/* A read that waited in the FIFO behind its session's writes: its copied
 * request (RequestHeader + body) is served now, in its turn. */
static void
serve_queued_read(struct sess *s, const struct pend *p)
{
	struct proto_rbuf r;
	struct proto_req_hdr h;
	const uint8_t *b = arena_ptr(p->off);

	proto_rbuf_init(&r, b, p->len);
	proto_req_hdr_decode(&r, &h);
	serve_read(s, &h, b + 8, p->len - 8, p->t0_tsc);
}

static void
send_connected(struct sess *s, int32_t timeout, bool ok)
{
	uint8_t d[PROTO_DGRAM_HDR_LEN + 64];
	uint8_t key[16], pw[16] = {0};
	struct proto_wbuf w;
	struct proto_connect_resp c = {
		.protocol_version = 0,
		.timeout = ok ? timeout : 0,
		.session_id = ok ? s->id : 0,
		.passwd = {pw, 16},
		/* present when the client sent it; its value is whether this
		 * server is read-only (never), not the client's flag */
		.read_only = s->read_only < 0 ? -1 : 0,
	};
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = PROTO_K_CONNECTED,
		.frag_count = 1,
		.session_id = ok ? s->id : 0,
		.ack = s->nonce,
	};

	if (ok) {
		memcpy(pw, s->passwd, 16);
		c.last_xid = tree_session_last_xid(S.t, s->id);
	}
	proto_wbuf_init(&w, d + PROTO_DGRAM_HDR_LEN,
			sizeof(d) - PROTO_DGRAM_HDR_LEN);
	if (proto_connect_resp_encode(&w, &c) != 0)
		return;
	h.payload_len = (uint16_t)w.len;
	h.msg_len = (uint32_t)w.len;
	proto_dgram_hdr_encode(d, &h);
	proto_chan_derive_key(pw, s->nonce, key);
	proto_dgram_seal(d, PROTO_DGRAM_HDR_LEN + w.len, key);
	S.st.packets_sent++;
	dp_udp_send1(S.lc, s->ip, s->port, S.dc.client_port, d,
		     (uint16_t)(PROTO_DGRAM_HDR_LEN + w.len));
}

/* Bring up (or reset) the session's channel for a new connection. */
static int
sess_chan_up(struct sess *s)
{
	uint8_t key[16];

	snprintf(s->ipstr, sizeof(s->ipstr), "%u.%u.%u.%u", s->ip >> 24,
		 (s->ip >> 16) & 255, (s->ip >> 8) & 255, s->ip & 255);
	proto_chan_derive_key(s->passwd, s->nonce, key);
	if (s->ch_mem == NULL) {
		s->ch_mem = aligned_alloc(64, RTE_ALIGN_CEIL(S.ch_mem_len, 64));
		if (s->ch_mem == NULL)
			return -ENOMEM;
		if (proto_chan_init(&s->ch, &S.ccfg, s->ch_mem, S.ch_mem_len,
				    &chan_ops, s, s->id, key, now_ns()) != 0)
			return -EINVAL;
	} else {
		s->ch.ctx = s;
		proto_chan_reset(&s->ch, s->id, key, now_ns());
	}
	backlog_free(s);
	s->chan_up = true;
	return 0;
}

static void ens_pend_finish(struct pend *p);

/* Apply everything durable, serve what waits behind it, in order. */
static unsigned
pq_drain(uint64_t durable)
{
	struct proto_scratch sc;
	unsigned n = 0;

	while (S.pq_n) {
		struct pend *p = &S.pq[S.pq_head];
		struct sess *s = NULL;

		if (p->ens) {
			if (!p->done || S.last_applied < p->wait_zxid)
				break;
			ens_pend_finish(p);
		} else if (p->kind == P_TXN || p->kind == P_CONNECT) {
			struct proto_txn txn;
			struct proto_response resp;
			int32_t zerr = 0;
			int rc;

			if (!p->appended || (uint64_t)p->zxid > durable)
				break;
			proto_scratch_init(&sc, S.scratch_mem, SCRATCH_BYTES);
			rc = proto_txn_decode(arena_ptr(p->off), p->len, &txn,
					      &sc);
			if (rc == 0) {
				memset(&resp, 0, sizeof(resp));
				resp.type = txn.hdr.type;
				rc = tree_apply(S.t, &txn, &resp, &zerr, &sc);
				if (rc == -ENOMEM) {
					SRV_LOG(ERR,
						"tree arena exhausted at "
						"zxid %" PRIx64 "; stopping\n",
						(uint64_t)p->zxid);
					S.log_fatal = -ENOMEM;
					dp_stop();
					break;
				}
			}
			S.last_applied = p->zxid;
			S.txns_since_snap++;
			s = p->slot != UINT32_MAX ? &S.sess[p->slot] : NULL;
			if (s && s->id != p->sid)
				s = NULL;
			if (p->kind == P_CONNECT && s) {
				s->state = S_LIVE;
				send_connected(s, s->timeout_ms, true);
				s->last_rx_us = dp_now_us();
			} else if (p->client && s && s->chan_up) {
				if (S.drop_replies) {
					S.drop_replies--;
					S.st.drop_faulted_replies++;
				} else {
					resp.type = p->op;
					reply(s, p->xid, zerr,
					      zerr == 0 ? &resp : NULL,
					      p->t0_tsc);
				}
			}
			if (txn.hdr.type == PROTO_OP_CLOSESESSION && rc == 0) {
				struct sess *cs =
					sess_find(txn.hdr.session_id, NULL);

				if (cs) {
					if (p->client && cs->chan_up)
						proto_chan_ack_now(&cs->ch,
								   now_ns());
					sess_free(cs);
				}
			}
		} else if (p->kind == P_REPLY) {
			s = &S.sess[p->slot];
			if (s->id == p->sid)
				sess_send(s, PROTO_K_REPLY, arena_ptr(p->off),
					  p->len);
		} else if (p->kind == P_READ) {
			s = &S.sess[p->slot];
			if (s->id == p->sid)
				serve_queued_read(s, p);
		}
		if (p->slot != UINT32_MAX && S.sess[p->slot].id == p->sid &&
		    S.sess[p->slot].inflight)
			S.sess[p->slot].inflight--;
		S.ar_tail = p->off + p->len > S.ar_tail ? p->off + p->len
							: S.ar_tail;
		if (S.pq_next_append == S.pq_head)
			S.pq_next_append = (S.pq_head + 1) % S.pq_cap;
		S.pq_head = (S.pq_head + 1) % S.pq_cap;
		S.pq_n--;
		if (S.ens_cur)
			S.ens_cur--;
		n++;
	}
	if (S.pq_n == 0)
		S.ar_tail = S.ar_head;
	return n;
}

/* ------------------------------------------------------------------ */
/* requests                                                            */
/* ------------------------------------------------------------------ */

static void
client_ids(struct sess *s, struct proto_id *ids, struct tree_client *c)
{
	int n = 0;

	/* the connection's ip identity first, then the added auths in
	 * order: ZooKeeper's authInfo order, which whoAmI shows */
	ids[n].scheme.p = (const uint8_t *)"ip";
	ids[n].scheme.len = 2;
	ids[n].id.p = (const uint8_t *)s->ipstr;
	ids[n].id.len = (int32_t)strlen(s->ipstr);
	n++;
	for (int i = 0; i < s->n_ids && n < MAX_IDS + 1; i++) {
		ids[n].scheme.p = (const uint8_t *)s->id_scheme[i];
		ids[n].scheme.len = (int32_t)strlen(s->id_scheme[i]);
		ids[n].id.p = (const uint8_t *)s->id_val[i];
		ids[n].id.len = (int32_t)strlen(s->id_val[i]);
		n++;
	}
	c->session_id = s->id;
	c->n_ids = n;
	c->ids = ids;
}

static void
serve_read(struct sess *s, const struct proto_req_hdr *h, const uint8_t *body,
	   size_t blen, uint64_t t0)
{
	struct proto_scratch sc;
	struct proto_request req;
	struct proto_response resp;
	struct proto_rbuf r;
	struct proto_id ids[MAX_IDS + 1];
	struct tree_client c;
	int32_t zerr = 0;
	int rc;

	proto_scratch_init(&sc, S.scratch_mem, SCRATCH_BYTES);
	proto_rbuf_init(&r, body, blen);
	memset(&req, 0, sizeof(req));
	rc = proto_request_decode(&r, h->type, &req, &sc);
	if (rc != 0) {
		/* no codec for the opcode: ZooKeeper's
		 * UnimplementedRequestProcessor; a body that does not
		 * decode: MARSHALLINGERROR */
		S.st.drop_bad_request++;
		reply(s, h->xid,
		      rc == -EOPNOTSUPP ? PROTO_ZUNIMPLEMENTED
					: PROTO_ZMARSHALLINGERROR,
		      NULL, t0);
		return;
	}
	S.st.reads++;
	memset(&resp, 0, sizeof(resp));
	resp.type = h->type;
	if (h->type == PROTO_OP_WHOAMI) {
		struct proto_client_info *ci =
			proto_scratch_alloc(&sc, sizeof(*ci) * (MAX_IDS + 1));

		client_ids(s, ids, &c);
		resp.who.n = 0;
		resp.who.v = ci;
		for (int i = 0; ci && i < c.n_ids; i++) {
			const uint8_t *colon;

			ci[i].auth_scheme = ids[i].scheme;
			ci[i].user = ids[i].id;
			/* ZooKeeper shows the digest user's name, not the
			 * hash (AuthUtil.getClientInfos) */
			if (ids[i].scheme.len == 6 &&
			    memcmp(ids[i].scheme.p, "digest", 6) == 0 &&
			    (colon = memchr(ids[i].id.p, ':',
					    (size_t)ids[i].id.len)) != NULL)
				ci[i].user.len = (int32_t)(colon - ids[i].id.p);
			resp.who.n++;
		}
		reply(s, h->xid, 0, &resp, t0);
		return;
	}
	client_ids(s, ids, &c);
	rc = tree_read(S.t, &c, &req, &resp, &zerr, &sc);
	if (rc == -EINVAL) {
		reply(s, h->xid, PROTO_ZUNIMPLEMENTED, NULL, t0);
		return;
	}
	if (rc != 0) {
		reply(s, h->xid, PROTO_ZSYSTEMERROR, NULL, t0);
		return;
	}
	resp.type = h->type;
	reply(s, h->xid, zerr, zerr == 0 ? &resp : NULL, t0);
}

static void
do_auth(struct sess *s, const struct proto_req_hdr *h, const uint8_t *body,
	size_t blen, uint64_t t0)
{
	struct proto_scratch sc;
	struct proto_request req;
	struct proto_rbuf r;
	char idbuf[ID_STR];
	bool is_super = false;
	int n;

	proto_scratch_init(&sc, S.scratch_mem, SCRATCH_BYTES);
	proto_rbuf_init(&r, body, blen);
	memset(&req, 0, sizeof(req));
	if (proto_request_decode(&r, h->type, &req, &sc) != 0) {
		reply(s, h->xid, PROTO_ZMARSHALLINGERROR, NULL, t0);
		return;
	}
	if (req.auth.scheme.len != 6 ||
	    memcmp(req.auth.scheme.p, "digest", 6) != 0 ||
	    req.auth.auth.len < 0) {
		reply(s, h->xid, PROTO_ZAUTHFAILED, NULL, t0);
		sess_send_close(s, PROTO_ZAUTHFAILED);
		return;
	}
	n = tree_auth_digest(S.t, req.auth.auth.p, (size_t)req.auth.auth.len,
			     idbuf, sizeof(idbuf), &is_super);
	if (n < 0) {
		reply(s, h->xid, PROTO_ZAUTHFAILED, NULL, t0);
		sess_send_close(s, PROTO_ZAUTHFAILED);
		return;
	}
	if (s->n_ids < MAX_IDS - 1) {
		snprintf(s->id_scheme[s->n_ids], 16, "digest");
		snprintf(s->id_val[s->n_ids], ID_STR, "%s", idbuf);
		s->n_ids++;
		if (is_super) {
			snprintf(s->id_scheme[s->n_ids], 16, "super");
			s->id_val[s->n_ids][0] = 0;
			s->n_ids++;
		}
	}
	reply(s, h->xid, 0, NULL, t0);
}

/* Send the reply already encoded in S.enc (len bytes), or, when the
 * session has entries in flight, queue it behind them so replies keep the
 * session's request order. */
/*
 * The pending queue (or its arena) is full while this session has replies
 * waiting in it: answering now would overtake them, and ZooKeeper's
 * clients drop a connection whose replies come out of order.  End the
 * connection instead (authenticated CLOSE, THROTTLEDOP): the client
 * reattaches and resends what has no reply, with the same xids.
 */
static void
sess_overload_reset(struct sess *s)
{
	S.st.overload_resets++;
	sess_send_close(s, PROTO_ZTHROTTLEDOP);
	backlog_free(s);
	s->chan_up = false;
}

static void
queue_bytes_or_send(struct sess *s, uint32_t slot, size_t len)
{
	struct pend *p;

	if (s->inflight == 0) {
		sess_send(s, PROTO_K_REPLY, S.enc, len);
		return;
	}
	p = pq_push();
	if (p == NULL || pend_store(p, S.enc, len) != 0) {
		if (p) { /* undo */
			S.pq_tail = (S.pq_tail + S.pq_cap - 1) % S.pq_cap;
			S.pq_n--;
		}
		sess_overload_reset(s);
		return;
	}
	p->kind = P_REPLY;
	p->sid = s->id;
	p->slot = slot;
	p->appended = true;
	s->inflight++;
}

static void
queue_reply_or_send(struct sess *s, uint32_t slot, int32_t xid, int32_t err,
		    uint64_t t0)
{
	size_t len;

	if (s->inflight == 0) {
		reply(s, xid, err, NULL, t0);
		return;
	}
	if (encode_reply(xid, S.last_applied, err, NULL, &len) != 0)
		return;
	if (err)
		S.st.errors_replied++;
	S.st.replies_sent++;
	queue_bytes_or_send(s, slot, len);
}

static bool
pending_has(int64_t sid, int32_t xid)
{
	for (uint32_t i = 0, k = S.pq_head; i < S.pq_n;
	     i++, k = (k + 1) % S.pq_cap)
		if (S.pq[k].sid == sid && S.pq[k].xid == xid &&
		    S.pq[k].kind == P_TXN)
			return true;
	return false;
}

enum { ENS_FWD_WRITE = 1, ENS_FWD_CREATE, ENS_FWD_CLOSE, ENS_FWD_SYNC };
static bool ens_gate(void);
static void ens_forward(struct sess *s, uint32_t slot, int kind,
			const struct proto_req_hdr *h, const uint8_t *body,
			size_t blen, uint64_t t0);

static void
do_write(struct sess *s, uint32_t slot, const struct proto_req_hdr *h,
	 const uint8_t *body, size_t blen, uint64_t t0)
{
	struct proto_scratch sc;
	struct proto_request req;
	struct proto_txn txn;
	struct proto_rbuf r;
	struct proto_id ids[MAX_IDS + 1];
	struct tree_client c;
	int32_t zerr = 0;
	int64_t zxid0;
	const uint8_t *body0;
	size_t blen0;
	int rc;

	/* exactly once: a retried xid gets its first result */
	rc = tree_session_last_reply(S.t, s->id, h->xid, &zxid0, &zerr, &body0,
				     &blen0);
	if (rc == 0) {
		/* the session's last write: its original reply */
		struct proto_wbuf w;
		struct proto_reply_hdr rh = {
			.xid = h->xid, .zxid = zxid0, .err = zerr};

		S.st.retried_writes++;
		proto_wbuf_init(&w, S.enc, S.enc_cap);
		proto_reply_hdr_encode(&w, &rh);
		if (zerr == 0 && blen0 > 0 && w.err == 0 &&
		    w.len + blen0 <= w.cap) {
			memcpy(w.p + w.len, body0, blen0);
			w.len += blen0;
		}
		queue_bytes_or_send(s, slot, w.len);
		return;
	}
	if (rc == -ESTALE) {
		/* older than the session's last applied write: it was
		 * applied (once); its reply body is gone, so answer OK with
		 * no body (docs/PROTOCOL.md §8 §2.6) — never apply it
		 * again */
		size_t len;

		S.st.retried_writes++;
		if (encode_reply(h->xid, S.last_applied, 0, NULL, &len) == 0)
			queue_bytes_or_send(s, slot, len);
		return;
	}
	/* xids of a session only grow: a higher one is new, only an older
	 * one can be a retry of a write still in flight (bounded scan) */
	if (h->xid <= s->xid_hi && s->inflight && pending_has(s->id, h->xid)) {
		S.st.retried_writes++;
		return; /* its reply comes when it is durable */
	}
	if (h->xid > s->xid_hi)
		s->xid_hi = h->xid;
	if (S.log_fatal) {
		queue_reply_or_send(s, slot, h->xid, PROTO_ZSYSTEMERROR, t0);
		return;
	}
	if (pq_full((uint32_t)blen + 1024)) {
		queue_reply_or_send(s, slot, h->xid, PROTO_ZTHROTTLEDOP, t0);
		return;
	}
	if (S.ens && !ens_gate()) {
		ens_forward(s, slot, ENS_FWD_WRITE, h, body, blen, t0);
		return;
	}
	proto_scratch_init(&sc, S.scratch_mem, SCRATCH_BYTES);
	proto_rbuf_init(&r, body, blen);
	memset(&req, 0, sizeof(req));
	if (proto_request_decode(&r, h->type, &req, &sc) != 0) {
		S.st.drop_bad_request++;
		queue_reply_or_send(s, slot, h->xid, PROTO_ZMARSHALLINGERROR,
				    t0);
		return;
	}
	req.type = h->type;
	client_ids(s, ids, &c);
	memset(&txn, 0, sizeof(txn));
	rc = tree_prep(S.t, &c, h->xid, &req, S.next_zxid, wall_ms(), &txn,
		       &zerr, &sc);
	if (rc != 0) {
		queue_reply_or_send(s, slot, h->xid,
				    rc == -EINVAL ? PROTO_ZUNIMPLEMENTED
						  : PROTO_ZSYSTEMERROR,
				    t0);
		return;
	}
	if (zerr != 0) {
		queue_reply_or_send(s, slot, h->xid, zerr, t0);
		return;
	}
	if (pend_txn(s, slot, &txn, P_TXN, true, h->xid, t0) != 0) {
		tree_prep_abort(S.t); /* cannot happen after pq_full() */
		queue_reply_or_send(s, slot, h->xid, PROTO_ZTHROTTLEDOP, t0);
		return;
	}
	S.next_zxid++;
	pq_append();
}

static void
handle_request(struct sess *s, uint32_t slot, const uint8_t *msg, size_t len,
	       uint64_t t0)
{
	struct proto_rbuf r;
	struct proto_req_hdr h;

	proto_rbuf_init(&r, msg, len);
	if (proto_req_hdr_decode(&r, &h) != 0) {
		S.st.drop_bad_request++;
		return;
	}
	S.st.requests++;
	S.st.ops[h.type & 127]++;
	s->last_rx_us = dp_now_us();
	switch (h.type) {
	case PROTO_OP_PING:
		reply(s, h.xid, 0, NULL, 0);
		return;
	case PROTO_OP_AUTH:
		do_auth(s, &h, msg + 8, len - 8, t0);
		return;
	case PROTO_OP_CLOSESESSION: {
		struct proto_txn txn;

		if (pq_full(64)) {
			queue_reply_or_send(s, slot, h.xid, PROTO_ZTHROTTLEDOP,
					    t0);
			return;
		}
		if (S.ens && !ens_gate()) {
			ens_forward(s, slot, ENS_FWD_CLOSE, &h, NULL, 0, t0);
			S.st.sessions_closed++;
			s->state = S_CLOSING;
			return;
		}
		memset(&txn, 0, sizeof(txn));
		if (tree_prep_close_session(S.t, s->id, h.xid, S.next_zxid,
					    wall_ms(), &txn) != 0 ||
		    pend_txn(s, slot, &txn, P_TXN, true, h.xid, t0) != 0) {
			queue_reply_or_send(s, slot, h.xid, PROTO_ZSYSTEMERROR,
					    t0);
			return;
		}
		S.st.sessions_closed++;
		s->state = S_CLOSING;
		S.next_zxid++;
		pq_append();
		return;
	}
	case PROTO_OP_RECONFIG:
		/* dynamic reconfiguration is not offered: ZooKeeper's answer
		 * with reconfigEnabled=false, connection kept */
		queue_reply_or_send(s, slot, h.xid, PROTO_ZRECONFIGDISABLED,
				    t0);
		return;
	case PROTO_OP_CHECK:
	case PROTO_OP_SASL:
		queue_reply_or_send(s, slot, h.xid, PROTO_ZUNIMPLEMENTED, t0);
		return;
	default:
		break;
	}
	if (s->state == S_CLOSING) {
		queue_reply_or_send(s, slot, h.xid, PROTO_ZSESSIONEXPIRED, t0);
		return;
	}
	if (is_write_op(h.type)) {
		do_write(s, slot, &h, msg + 8, len - 8, t0);
		return;
	}
	if (S.ens && h.type == PROTO_OP_SYNC && !ens_leading()) {
		ens_forward(s, slot, ENS_FWD_SYNC, &h, msg, len, t0);
		return;
	}
	if (s->inflight) {
		/* keep the reply order: serve it after this session's
		 * writes */
		struct pend *p = pq_push();

		if (p && pend_store(p, msg, len) == 0) {
			p->kind = P_READ;
			p->sid = s->id;
			p->slot = slot;
			p->appended = true;
			p->t0_tsc = t0;
			s->inflight++;
			return;
		}
		if (p) {
			S.pq_tail = (S.pq_tail + S.pq_cap - 1) % S.pq_cap;
			S.pq_n--;
		}
		sess_overload_reset(s);
		return;
	}
	serve_read(s, &h, msg + 8, len - 8, t0);
}

/* ------------------------------------------------------------------ */
/* connect                                                             */
/* ------------------------------------------------------------------ */

static void
send_unknown(const struct dp_udp_meta *m, const struct proto_dgram_hdr *rh)
{
	uint8_t d[PROTO_DGRAM_HDR_LEN];
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = PROTO_K_CLOSE,
		.frag_count = 1,
		.session_id = rh->session_id,
	};

	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, sizeof(d), zero_key);
	S.st.packets_sent++;
	dp_udp_send1(S.lc, m->src_ip, m->src_port, S.dc.client_port, d,
		     sizeof(d));
}

static int32_t
negotiate_timeout(int32_t t)
{
	int32_t lo = (int32_t)S.dc.session_timeout_min_ms;
	int32_t hi = (int32_t)S.dc.session_timeout_max_ms;

	return t < lo ? lo : t > hi ? hi : t;
}

static void
on_connect(const struct dp_udp_meta *m, const struct proto_dgram_hdr *h,
	   const uint8_t *payload, uint64_t t0)
{
	struct proto_connect_req c;
	struct sess *s;
	uint32_t slot;
	uint8_t pw[16];

	if (proto_connect_req_decode(payload, h->payload_len, &c) != 0) {
		S.st.drop_bad_dgram++;
		return;
	}
	S.st.connects++;
	if (c.session_id != 0) {
		/* reconnect: the password must match, the session exist */
		bool ok = c.passwd.len == 16;
		struct sess tmp;

		if (ok) {
			derive_passwd(c.session_id, pw);
			ok = sodium_memcmp(pw, c.passwd.p, 16) == 0;
		}
		s = ok ? sess_find(c.session_id, &slot) : NULL;
		if (s && s->state == S_CLOSING)
			s = NULL;
		if (s == NULL && ok && tree_session_exists(S.t, c.session_id))
			s = sess_add(c.session_id, &slot);
		if (s == NULL) {
			memset(&tmp, 0, sizeof(tmp));
			tmp.ip = m->src_ip;
			tmp.port = m->src_port;
			tmp.nonce = h->seq;
			tmp.read_only = c.read_only;
			S.st.sessions_refused++;
			send_connected(&tmp, 0, false);
			return;
		}
		if (c.last_zxid_seen > S.last_applied) {
			/* we are behind what the client saw: it must try
			 * another server (ZooKeeper closes silently) */
			S.st.sessions_refused++;
			return;
		}
		if (s->chan_up && s->nonce == h->seq && s->ip == m->src_ip &&
		    s->port == m->src_port && s->state == S_LIVE) {
			/* a retransmitted CONNECT: answer again */
			send_connected(s, s->timeout_ms, true);
			return;
		}
		S.st.reconnects++;
		s->ip = m->src_ip;
		s->port = m->src_port;
		s->nonce = h->seq;
		s->read_only = c.read_only;
		memcpy(s->passwd, pw, 16);
		/* the new ConnectRequest's timeout becomes the session's,
		 * as in ZooKeeper's reopenSession */
		s->timeout_ms = negotiate_timeout(c.timeout);
		s->n_ids = 0;
		s->last_rx_us = dp_now_us();
		if (s->state != S_CREATING)
			s->state = S_LIVE;
		tree_watch_drop_session(S.t, s->id);
		if (sess_chan_up(s) != 0) {
			S.st.sessions_refused++;
			return;
		}
		if (s->state == S_LIVE)
			send_connected(s, s->timeout_ms, true);
		return;
	}
	/* A retransmitted CONNECT for a session being created: find it by
	 * nonce and address (bounded: at most the creating sessions). */
	for (uint32_t i = S.pq_head, k = 0; k < S.pq_n;
	     k++, i = (i + 1) % S.pq_cap) {
		struct pend *p = &S.pq[i];

		if (p->kind != P_CONNECT)
			continue;
		s = &S.sess[p->slot];
		if (s->nonce == h->seq && s->ip == m->src_ip &&
		    s->port == m->src_port)
			return; /* its CONNECTED comes when it is durable */
	}
	if (S.n_live >= S.sc.max_sessions || pq_full(128) || S.log_fatal) {
		S.st.drop_session_limit++;
		return;
	}
	{
		int64_t sid;
		struct proto_txn txn;

		do {
			uint64_t r;

			randombytes_buf(&r, sizeof(r));
			/* top byte: the server id (never 0xFF, which the
			 * tree reserves for TTL owners) */
			sid = (int64_t)(((uint64_t)(S.dc.server_id == 255
							    ? 254
							    : S.dc.server_id)
					 << 56) |
					(r & 0x00ffffffffffffffull));
		} while (sid == 0 || sess_find(sid, NULL) ||
			 tree_session_exists(S.t, sid));
		s = sess_add(sid, &slot);
		if (s == NULL) {
			S.st.drop_session_limit++;
			return;
		}
		s->state = S_CREATING;
		s->ip = m->src_ip;
		s->port = m->src_port;
		s->nonce = h->seq;
		s->read_only = c.read_only;
		s->timeout_ms = negotiate_timeout(c.timeout);
		s->last_rx_us = dp_now_us();
		derive_passwd(sid, s->passwd);
		if (sess_chan_up(s) != 0) {
			sess_free(s);
			S.st.sessions_refused++;
			return;
		}
		if (S.ens && !ens_gate()) {
			struct proto_req_hdr ch = {
				.xid = 0, .type = PROTO_OP_CREATESESSION};

			ens_forward(s, slot, ENS_FWD_CREATE, &ch, NULL, 0, t0);
			S.st.sessions_created++;
			return;
		}
		memset(&txn, 0, sizeof(txn));
		if (tree_prep_create_session(S.t, sid, s->timeout_ms, s->passwd,
					     S.next_zxid, wall_ms(),
					     &txn) != 0 ||
		    pend_txn(s, slot, &txn, P_CONNECT, false, 0, t0) != 0) {
			sess_free(s);
			S.st.sessions_refused++;
			return;
		}
		s->inflight--; /* the connect entry is not a request */
		S.next_zxid++;
		S.st.sessions_created++;
		pq_append();
	}
}

/* ------------------------------------------------------------------ */
/* the UDP handler                                                     */
/* ------------------------------------------------------------------ */

static void
admin_request(const struct dp_udp_meta *m, const uint8_t *p, uint16_t len)
{
	struct srv_msg *msg = malloc(sizeof(*msg) + 8);

	if (msg == NULL)
		return;
	memset(msg, 0, sizeof(*msg));
	msg->type = SRV_MSG_ADMIN_REQ;
	msg->ip = m->src_ip;
	msg->port = m->src_port;
	msg->len = len > 4 ? 4 : len;
	memcpy(msg->text, p, msg->len);
	msg->text[msg->len] = 0;
	if (rte_ring_enqueue(S.to_mgmt, msg) != 0)
		free(msg);
}

static void
on_udp(struct dp_lcore *lc, void *arg, const struct dp_udp_meta *m,
       const uint8_t *payload, uint16_t len, struct rte_mbuf *mb)
{
	struct proto_dgram_hdr h;
	struct sess *s;
	uint32_t slot;

	(void)arg;
	(void)mb;
	S.lc = lc;
	S.st.packets_received++;
	cur_rx_tsc = m->rx_tsc;
	if (proto_dgram_hdr_decode(payload, len, &h) != 0) {
		S.st.drop_bad_dgram++;
		return;
	}
	if (h.kind == PROTO_K_CONNECT) {
		if (proto_dgram_verify(payload, len, zero_key) != 0) {
			S.st.drop_bad_mac++;
			return;
		}
		on_connect(m, &h, payload + PROTO_DGRAM_HDR_LEN, m->rx_tsc);
		return;
	}
	if (h.kind == PROTO_K_ADMIN) {
		admin_request(m, payload + PROTO_DGRAM_HDR_LEN, h.payload_len);
		return;
	}
	s = sess_find(h.session_id, &slot);
	if (s == NULL || !s->chan_up || s->ip != m->src_ip ||
	    s->port != m->src_port) {
		S.st.drop_unknown_session++;
		/* tell a client whose connection we do not know (after our
		 * restart) to reconnect; rate-limited by its own retries */
		if (h.kind == PROTO_K_REQUEST || h.kind == PROTO_K_PING)
			send_unknown(m, &h);
		return;
	}
	{
		/* count the channel's drops (bad MACs of forged datagrams,
		 * bad fragments, ...) in the server's counters */
		const struct proto_chan_stats *cs = proto_chan_stats(&s->ch);
		uint64_t before[PROTO_CHAN_DROP_MAX];

		memcpy(before, cs->drop, sizeof(before));
		if (proto_chan_input(&s->ch, payload, len, now_ns()) == 0)
			s->last_rx_us = dp_now_us();
		cs = proto_chan_stats(&s->ch);
		for (int i = 0; i < PROTO_CHAN_DROP_MAX && i < 16; i++)
			S.st.chan_drop[i] += cs->drop[i] - before[i];
		S.st.drop_bad_mac += cs->drop[PROTO_CHAN_DROP_BAD_MAC] -
				     before[PROTO_CHAN_DROP_BAD_MAC];
	}
	sess_backlog_drain(s);
}

/* ------------------------------------------------------------------ */
/* snapshots                                                           */
/* ------------------------------------------------------------------ */

static int
stage_write(void *arg, const void *p, size_t len)
{
	(void)arg;
	if (S.stage_len + len > S.stage_cap) {
		size_t cap = S.stage_cap ? S.stage_cap : (1u << 20);
		uint8_t *n;

		while (cap < S.stage_len + len)
			cap *= 2;
		n = realloc(S.stage, cap);
		if (n == NULL)
			return -ENOMEM;
		S.stage = n;
		S.stage_cap = cap;
	}
	memcpy(S.stage + S.stage_len, p, len);
	S.stage_len += len;
	return 0;
}

static void
snap_start(void)
{
	int64_t zxid = 0;
	struct srv_msg *msg;

	if (S.ser || S.pipe)
		return;
	S.pipe = nlog_snap_pipe_create(8u << 20);
	if (S.pipe == NULL)
		return;
	S.ser = tree_ser_begin(S.t, &zxid);
	if (S.ser == NULL) {
		nlog_snap_pipe_free(S.pipe);
		S.pipe = NULL;
		return;
	}
	msg = calloc(1, sizeof(*msg));
	if (msg == NULL || rte_ring_enqueue(S.to_mgmt, msg) != 0) {
		free(msg);
		tree_ser_end(S.ser);
		S.ser = NULL;
		nlog_snap_pipe_free(S.pipe);
		S.pipe = NULL;
		return;
	}
	msg->type = SRV_MSG_SNAP_BEGIN;
	msg->zxid = (uint64_t)zxid;
	msg->pipe = S.pipe;
	S.stage_len = S.stage_off = 0;
	S.ser_done = false;
	S.txns_since_snap = 0;
	S.bytes_since_snap = 0;
	SRV_LOG(INFO, "fuzzy snapshot from zxid 0x%" PRIx64 " started\n",
		(uint64_t)zxid);
}

/* One bounded slice of snapshot work (at most snap_budget nodes and one
 * pipe push of NLOG_SNAP_SLICE bytes). */
static unsigned
snap_slice(void)
{
	if (S.ser == NULL)
		return 0;
	if (S.stage_off < S.stage_len) {
		size_t n = nlog_snap_pipe_push(S.pipe, S.stage + S.stage_off,
					       S.stage_len - S.stage_off);
		S.stage_off += n;
		S.st.snapshot_bytes += n;
		return n ? 1 : 0;
	}
	S.stage_len = S.stage_off = 0;
	if (!S.ser_done) {
		int rc = tree_ser_step(S.ser, S.sc.snap_budget, stage_write,
				       NULL);
		if (rc == 1)
			return 1;
		S.ser_done = true;
		if (rc < 0)
			SRV_LOG(ERR, "snapshot serialization failed: %s\n",
				strerror(-rc));
		return 1;
	}
	tree_ser_end(S.ser);
	S.ser = NULL;
	nlog_snap_pipe_close_write(S.pipe);
	/* mgmt frees the pipe after it has drained and committed */
	S.pipe = NULL;
	return 1;
}

/* ------------------------------------------------------------------ */
/* hooks                                                               */
/* ------------------------------------------------------------------ */

static void
publish(void)
{
	struct tree_stats ts;
	struct nlog_stats ns;

	tree_get_stats(S.t, &ts);
	nlog_get_stats(S.l, &ns);
	S.st.outstanding = S.pq_n;
	S.st.sessions_live = S.n_live;
	S.st.last_zxid = S.last_applied;
	S.st.znodes = ts.nodes;
	S.st.watches = ts.watches;
	S.st.ephemerals = ts.ephemerals;
	S.st.data_bytes = ts.data_bytes;
	S.st.tree_sessions = ts.sessions;
	S.st.lat_p50_ns = hist_pct(0.50);
	S.st.lat_p99_ns = hist_pct(0.99);
	S.st.lat_p999_ns = hist_pct(0.999);
	S.st.uptime_ms = (dp_now_us() - S.start_us) / 1000;
	snprintf(S.st.arena, sizeof(S.st.arena), "%s",
		 tree_arena_kind_name(ts.arena_kind));
	snprintf(S.st.durability, sizeof(S.st.durability), "%s",
		 nlog_durability_name(ns.durability));
	S.st.log_fatal = S.log_fatal;
	if (S.ens)
		ens_fill_stats(&S.st);
	else
		snprintf(S.st.server_state, sizeof(S.st.server_state),
			 "standalone");
	atomic_fetch_add_explicit(&pub_seq, 1, memory_order_release);
	memcpy(&pub, &S.st, sizeof(pub));
	atomic_fetch_add_explicit(&pub_seq, 1, memory_order_release);
}

void
srv_stats_get(struct srv_stats *s)
{
	unsigned a, b;

	for (int i = 0; i < 1000; i++) {
		a = atomic_load_explicit(&pub_seq, memory_order_acquire);
		memcpy(s, &pub, sizeof(*s));
		atomic_thread_fence(memory_order_acquire);
		b = atomic_load_explicit(&pub_seq, memory_order_acquire);
		if (a == b && (a & 1) == 0)
			return;
	}
}

/* An admin word's answer: one ADMIN datagram per chunk of at most one
 * MTU, fragments 0..n-1 of the whole text (frag_index/frag_count, msg_len
 * = the whole length), so a long mntr arrives complete; the asker
 * concatenates the fragments by index (docs/PROTOCOL.md, Admin
 * datagrams).  A short answer is one datagram, as before. */
static void
admin_reply(struct dp_lcore *lc, const struct srv_msg *msg)
{
	uint8_t d[1500];
	size_t chunk = S.dc.mtu - 20 - 8 - PROTO_DGRAM_HDR_LEN;
	size_t len = msg->len, nfrag;

	if (chunk > sizeof(d) - PROTO_DGRAM_HDR_LEN)
		chunk = sizeof(d) - PROTO_DGRAM_HDR_LEN;
	nfrag = len == 0 ? 1 : (len + chunk - 1) / chunk;
	if (nfrag > PROTO_MAX_FRAGS) {
		nfrag = PROTO_MAX_FRAGS;
		len = nfrag * chunk;
	}
	for (size_t i = 0; i < nfrag; i++) {
		size_t off = i * chunk;
		size_t n = len - off < chunk ? len - off : chunk;
		struct proto_dgram_hdr h = {
			.magic = PROTO_DGRAM_MAGIC,
			.version = PROTO_DGRAM_VERSION,
			.kind = PROTO_K_ADMIN,
			.frag_count = (uint16_t)nfrag,
			.frag_index = (uint16_t)i,
			.payload_len = (uint16_t)n,
			.msg_len = (uint32_t)len,
		};

		proto_dgram_hdr_encode(d, &h);
		memcpy(d + PROTO_DGRAM_HDR_LEN, msg->text + off, n);
		proto_dgram_seal(d, PROTO_DGRAM_HDR_LEN + n, zero_key);
		dp_udp_send1(lc, msg->ip, msg->port, S.dc.client_port, d,
			     (uint16_t)(PROTO_DGRAM_HDR_LEN + n));
	}
}

static unsigned
hook_poll(struct dp_lcore *lc, void *arg)
{
	uint64_t durable = 0;
	unsigned work = 0;
	int rc;
	void *mp;

	(void)arg;
	S.lc = lc;
	if (S.pq_next_append != S.pq_tail)
		pq_append();
	if (S.dirty) {
		rc = nlog_flush(S.l);
		if (rc < 0 && !S.log_fatal) {
			SRV_LOG(ERR,
				"log flush failed: %s; writes are no "
				"longer acknowledged\n",
				strerror(-rc));
			S.log_fatal = rc;
		}
		S.dirty = false;
		work++;
	}
	rc = nlog_poll(S.l, &durable);
	if (rc < 0 && !S.log_fatal) {
		SRV_LOG(ERR,
			"log write failed: %s; writes are no longer "
			"acknowledged\n",
			strerror(-rc));
		S.log_fatal = rc;
	}
	if (S.pq_n)
		work += pq_drain(nlog_durable_zxid(S.l));
	/* A log write in flight.  On a dedicated core (spin) stay awake for
	 * its completion.  On shared cores (adaptive, interrupt) spinning
	 * would starve the io_uring worker that performs the write — it runs
	 * on this same core — so sleep in the kernel until the completion
	 * arrives (at most 200 us, then poll the port again). */
	if (!nlog_idle(S.l)) {
		if (S.dc.idle == DP_IDLE_SPIN) {
			work++;
		} else if (work == 0) {
			if (nlog_wait(S.l, 200) == 0 && S.pq_n)
				work += pq_drain(nlog_durable_zxid(S.l));
			work++;
		}
	}
	/* messages from mgmt */
	while (rte_ring_dequeue(S.to_lcore, &mp) == 0) {
		struct srv_msg *msg = mp;

		if (msg->type == SRV_MSG_ADMIN_REPLY) {
			admin_reply(lc, msg);
		} else if (msg->type == SRV_MSG_SNAP_REQUEST) {
			S.snap_requested = true;
		} else if (msg->type == SRV_MSG_SNAP_DONE) {
			if (msg->status == 0)
				S.st.snapshots++;
		}
		free(msg);
		work++;
	}
	if (S.snap_requested && S.ser == NULL) {
		S.snap_requested = false;
		snap_start();
	}
	work += snap_slice();
	tree_tick(S.t, 16);
	return work;
}

static void
gc_found(void *arg, const char *path, size_t len)
{
	struct proto_request req;
	struct proto_txn txn;
	struct proto_scratch sc;
	struct tree_client c = {.session_id = 0, .n_ids = 0, .ids = NULL};
	int32_t zerr = 0;

	(void)arg;
	if (pq_full((uint32_t)len + 256))
		return;
	if (S.ens && !ens_gate())
		return;
	memset(&req, 0, sizeof(req));
	req.type = PROTO_OP_DELETECONTAINER;
	req.path.p = (const uint8_t *)path;
	req.path.len = (int32_t)len;
	req.version = -1;
	proto_scratch_init(&sc, S.scratch_mem, SCRATCH_BYTES);
	memset(&txn, 0, sizeof(txn));
	if (tree_prep(S.t, &c, 0, &req, S.next_zxid, wall_ms(), &txn, &zerr,
		      &sc) != 0 ||
	    zerr != 0)
		return;
	if (pend_txn(NULL, UINT32_MAX, &txn, P_TXN, false, 0, 0) != 0)
		return;
	S.next_zxid++;
}

static void ens_touch(uint64_t now_us);
static void ens_fwd_expire(uint64_t now_us);
static void ens_unpark(uint32_t to);

static void
hook_timer(struct dp_lcore *lc, void *arg, uint64_t now_us)
{
	(void)arg;
	S.lc = lc;
	/* handlers of this iteration stamped sessions after the loop took
	 * its clock: read a fresh one so no stamp is in the future */
	now_us = dp_now_us();
	/* channel timers and backlogs of every live session */
	for (uint32_t i = 0; i < S.sc.max_sessions; i++) {
		struct sess *s = &S.sess[i];

		if (s->state == S_FREE)
			continue;
		if (s->chan_up) {
			if (proto_chan_next_deadline(&s->ch) <= now_us * 1000)
				proto_chan_timer(&s->ch, now_us * 1000);
			if (proto_chan_is_dead(&s->ch)) {
				/* the session lives on; a stateless CLOSE
				 * makes its client reattach at once (it then
				 * resends what has no reply) instead of
				 * waiting out its own dead timer */
				struct dp_udp_meta m = {.src_ip = s->ip,
							.src_port = s->port};
				struct proto_dgram_hdr h = {.session_id =
								    s->id};

				s->chan_up = false;
				backlog_free(s);
				send_unknown(&m, &h);
			}
			if (s->bl_head)
				sess_backlog_drain(s);
		}
	}
	if (S.ens && now_us >= S.touch_next_us && !ens_leading()) {
		S.touch_next_us = now_us + S.dc.tick_ms * 500ull;
		ens_touch(now_us);
	}
	if (S.ens && S.parked_n) {
		uint32_t to = ens_forward_target();

		if (to)
			ens_unpark(to);
	}
	if (S.ens && S.pq_n && now_us >= S.fwd_check_next_us) {
		S.fwd_check_next_us = now_us + 10000;
		ens_fwd_expire(now_us);
	}
	/* session expiry, once per tick */
	if (now_us >= S.expiry_next_us) {
		S.expiry_next_us = now_us + S.dc.tick_ms * 1000ull;
		for (uint32_t i = 0; i < S.sc.max_sessions; i++) {
			struct sess *s = &S.sess[i];
			struct proto_txn txn;

			if (s->state != S_LIVE && s->state != S_DETACHED)
				continue;
			if (now_us < s->last_rx_us ||
			    now_us - s->last_rx_us <
				    (uint64_t)s->timeout_ms * 1000ull)
				continue;
			if (pq_full(64) || S.log_fatal)
				break;
			if (S.ens && !ens_gate())
				break; /* the leader owns expiry */
			memset(&txn, 0, sizeof(txn));
			if (tree_prep_close_session(S.t, s->id, 0, S.next_zxid,
						    wall_ms(), &txn) != 0)
				break;
			if (pend_txn(s, i, &txn, P_TXN, false, 0, 0) != 0)
				break;
			s->inflight--;
			sess_send_close(s, PROTO_ZSESSIONEXPIRED);
			s->state = S_CLOSING;
			S.next_zxid++;
			S.st.sessions_expired++;
		}
		pq_append();
	}
	/* container / TTL cleanup in bounded slices */
	if (now_us >= S.gc_next_us && !S.log_fatal) {
		S.gc_next_us = now_us + 1000000ull;
		tree_gc_scan(S.t, 256, wall_ms(), gc_found, NULL);
		pq_append();
	}
	/* snapshot policy */
	if (S.ser == NULL &&
	    (S.txns_since_snap >= S.sc.snap_every_txns ||
	     S.bytes_since_snap >= (uint64_t)S.sc.snap_every_mb << 20))
		S.snap_requested = true;
	if (now_us >= S.publish_next_us) {
		S.publish_next_us = now_us + 100000; /* 10 Hz */
		publish();
	}
}

static void
hook_shutdown(struct dp_lcore *lc, void *arg)
{
	(void)arg;
	S.lc = lc;
	/* Everything appended: make it durable, apply, reply. */
	pq_append();
	nlog_sync(S.l);
	pq_drain(nlog_durable_zxid(S.l));
	for (uint32_t i = 0; i < S.sc.max_sessions; i++)
		if (S.sess[i].state != S_FREE && S.sess[i].chan_up) {
			sess_backlog_drain(&S.sess[i]);
			proto_chan_ack_now(&S.sess[i].ch, now_ns());
		}
	dp_tx_flush(lc);
	publish();
	SRV_LOG(INFO, "shut down at zxid 0x%" PRIx64 "\n",
		(uint64_t)S.last_applied);
}

/* ------------------------------------------------------------------ */
/* telemetry                                                           */
/* ------------------------------------------------------------------ */

static int
tel_server(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct srv_stats s;

	(void)cmd;
	(void)params;
	srv_stats_get(&s);
	rte_tel_data_start_dict(d);
#define U(k) rte_tel_data_add_dict_u64(d, #k, s.k)
	U(packets_received);
	U(packets_sent);
	U(requests);
	U(reads);
	U(writes);
	U(errors_replied);
	U(sessions_live);
	U(sessions_created);
	U(sessions_expired);
	U(sessions_closed);
	U(sessions_refused);
	U(connects);
	U(reconnects);
	U(events_sent);
	U(replies_sent);
	U(retried_writes);
	U(drop_bad_dgram);
	U(drop_bad_mac);
	U(drop_unknown_session);
	U(drop_bad_request);
	U(drop_session_limit);
	U(drop_backlog);
	U(overload_resets);
	U(outstanding);
	U(snapshots);
	U(log_errors);
	U(znodes);
	U(watches);
	U(ephemerals);
	U(lat_p50_ns);
	U(lat_p99_ns);
	U(lat_p999_ns);
	U(lat_max_ns);
#undef U
	for (int i = 0; i < PROTO_CHAN_DROP_MAX && i < 16; i++) {
		char k[64];

		snprintf(k, sizeof(k), "chan_drop_%s", proto_chan_drop_name(i));
		rte_tel_data_add_dict_u64(d, k, s.chan_drop[i]);
	}
	rte_tel_data_add_dict_u64(d, "last_zxid", (uint64_t)s.last_zxid);
	rte_tel_data_add_dict_string(d, "arena", s.arena);
	rte_tel_data_add_dict_string(d, "durability", s.durability);
	return 0;
}

/* ------------------------------------------------------------------ */
/* recovery                                                            */
/* ------------------------------------------------------------------ */

struct rec_ctx {
	struct tree *t;
	struct tree_load *ld;
	uint8_t *scratch;
};
static struct rec_ctx rec;

static int
rec_snap_begin(void *arg, uint64_t zxid, uint64_t body_len)
{
	(void)arg;
	(void)body_len;
	rec.ld = tree_load_begin(rec.t);
	SRV_LOG(INFO, "loading snapshot 0x%" PRIx64 "\n", zxid);
	return rec.ld ? 0 : -ENOMEM;
}

static int
rec_snap_chunk(void *arg, const void *p, size_t len)
{
	(void)arg;
	return tree_load_feed(rec.ld, p, len);
}

static int
rec_snap_end(void *arg)
{
	int rc;

	(void)arg;
	rc = tree_load_end(rec.ld);
	rec.ld = NULL;
	return rc;
}

static int
rec_record(void *arg, uint64_t zxid, int32_t type, const void *payload,
	   uint32_t len)
{
	struct proto_scratch sc;
	struct proto_txn txn;
	struct proto_response resp;
	int32_t zerr;
	int rc;

	(void)arg;
	(void)type;
	if (rec.scratch == NULL) {
		rec.scratch = malloc(SCRATCH_BYTES);
		if (rec.scratch == NULL)
			return -ENOMEM;
	}
	proto_scratch_init(&sc, rec.scratch, SCRATCH_BYTES);
	rc = proto_txn_decode(payload, len, &txn, &sc);
	if (rc != 0) {
		SRV_LOG(ERR, "log record 0x%" PRIx64 " is not a txn\n", zxid);
		return -EBADMSG;
	}
	memset(&resp, 0, sizeof(resp));
	rc = tree_apply(rec.t, &txn, &resp, &zerr, &sc);
	return rc == -ENOBUFS ? 0 : rc;
}

void
srv_recover_ops(struct tree *t, struct nlog_recover_ops *ops)
{
	rec.t = t;
	memset(ops, 0, sizeof(*ops));
	ops->snap_begin = rec_snap_begin;
	ops->snap_chunk = rec_snap_chunk;
	ops->snap_end = rec_snap_end;
	ops->record = rec_record;
}

/* ------------------------------------------------------------------ */
/* init                                                                */
/* ------------------------------------------------------------------ */

struct rte_ring *
srv_ring_to_mgmt(void)
{
	return S.to_mgmt;
}

struct rte_ring *
srv_ring_to_lcore(void)
{
	return S.to_lcore;
}

/* Sessions recovered from the log get a fresh timeout (as ZooKeeper
 * does at load): they expire unless their client reconnects. */
static void
restore_session(void *arg, int64_t sid, int32_t timeout_ms, uint64_t n_eph)
{
	uint32_t slot;
	struct sess *s;

	(void)arg;
	(void)n_eph;
	s = sess_add(sid, &slot);
	if (s == NULL)
		return;
	s->state = S_DETACHED;
	s->timeout_ms = timeout_ms;
	s->last_rx_us = dp_now_us();
	derive_passwd(sid, s->passwd);
}

/* ------------------------------------------------------------------ */
/* ensemble mode (dataplane/ens.c drives zab; these are its callbacks)  */
/* ------------------------------------------------------------------ */

/* May this server prep a txn now (leading, established)?  Then the next
 * zxid is zab's. */
static bool
ens_gate(void)
{
	uint64_t z = ens_next_zxid();

	if (z == 0)
		return false;
	S.next_zxid = (int64_t)z;
	return true;
}

/* Why a write cannot be prepped here now: the leader with too much in
 * flight is overloaded (THROTTLEDOP: back off, same server); anyone else
 * — no leader, or a leader still establishing its epoch — has lost its
 * connection to the ensemble (CONNECTIONLOSS: retry, maybe elsewhere). */
static int32_t
ens_refusal(void)
{
	return ens_throttled() ? PROTO_ZTHROTTLEDOP : PROTO_ZCONNECTIONLOSS;
}

static void
eput(uint8_t **b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--)
		*(*b)++ = (uint8_t)(v >> (8 * i));
}

static uint64_t
eget(const uint8_t **b, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | *(*b)++;
	return v;
}

/* Control messages between servers (ens.c carries them). */
enum { ENS_CTL_ERR = 1, ENS_CTL_SYNCED = 2, ENS_CTL_TOUCH = 3 };

static void
ens_ctl_send(uint32_t to, int type, int64_t sid, int32_t xid, int64_t v)
{
	uint8_t b[32], *w = b;

	eput(&w, (uint64_t)type, 1);
	eput(&w, (uint64_t)sid, 8);
	eput(&w, (uint32_t)xid, 4);
	eput(&w, (uint64_t)v, 8);
	ens_send_ctl(to, b, (size_t)(w - b));
}

/* An entry waiting on the ensemble fails (leader lost, refused). */
static void
ens_pend_fail(struct pend *p, int32_t err)
{
	size_t len;

	p->done = true;
	p->eerr = err;
	p->wait_zxid = 0;
	if (p->parked) {
		p->parked = false;
		S.parked_n--;
	}
	if (p->kind == P_TXN && p->client && p->rbuf == NULL &&
	    encode_reply(p->xid, S.last_applied, err, NULL, &len) == 0) {
		p->rbuf = malloc(len);
		if (p->rbuf) {
			memcpy(p->rbuf, S.enc, len);
			p->rlen = (uint32_t)len;
		}
		S.st.errors_replied++;
	}
}

/* Send the parked writes, oldest first, now that there is a leader (they
 * were never sent, so none of them can have been committed). */
static void
ens_unpark(uint32_t to)
{
	uint64_t now = dp_now_us();

	for (uint32_t i = S.pq_head, k = 0; k < S.pq_n && S.parked_n;
	     k++, i = (i + 1) % S.pq_cap) {
		struct pend *p = &S.pq[i];

		if (!p->parked)
			continue;
		p->parked = false;
		S.parked_n--;
		p->fwd_us = now;
		if (ens_send_request(to, arena_ptr(p->off), p->len) != 0)
			ens_pend_fail(p, PROTO_ZCONNECTIONLOSS);
	}
}

/* Follower: send a session's request to the leader; its entry waits.
 * With no leader (an election), a write or close is parked instead of
 * refused: it waits in the FIFO, in order, and goes to the next leader
 * as soon as there is one (ens_unpark), or fails with CONNECTIONLOSS
 * after forward_timeout_ms.  A client writing through a follower thus
 * rides through a failover instead of retrying into a server that can
 * only refuse (ZooKeeper's followers drop their clients instead).
 * Syncs and session creations are still refused at once. */
static void
ens_forward(struct sess *s, uint32_t slot, int kind,
	    const struct proto_req_hdr *h, const uint8_t *body, size_t blen,
	    uint64_t t0)
{
	uint32_t to = ens_forward_target();
	uint8_t *b, *w;
	struct pend *p;
	size_t need = 64 + blen + (size_t)s->n_ids * (ID_STR + 20);
	bool park = false;

	if (to == 0) {
		/* no leader now, or we lead with too much in flight (or
		 * are still establishing) */
		park = !ens_leading() &&
		       (kind == ENS_FWD_WRITE || kind == ENS_FWD_CLOSE);
		if (kind == ENS_FWD_CREATE) {
			sess_free(s);
			return;
		}
		if (!park) {
			queue_reply_or_send(s, slot, h->xid, ens_refusal(), t0);
			return;
		}
	} else if (S.parked_n) {
		ens_unpark(to); /* older writes first */
	}
	p = pq_push();
	b = malloc(need);
	if (p == NULL || b == NULL ||
	    (kind == ENS_FWD_SYNC && pend_store(p, body, blen) != 0)) {
		free(b);
		if (p) {
			S.pq_tail = (S.pq_tail + S.pq_cap - 1) % S.pq_cap;
			S.pq_n--;
		}
		if (kind == ENS_FWD_CREATE)
			sess_free(s);
		else
			queue_reply_or_send(s, slot, h->xid, PROTO_ZTHROTTLEDOP,
					    t0);
		return;
	}
	p->kind = kind == ENS_FWD_CREATE ? P_CONNECT
		  : kind == ENS_FWD_SYNC ? P_READ
					 : P_TXN;
	p->ens = true;
	p->appended = true;
	p->client = kind != ENS_FWD_CREATE;
	p->xid = h->xid;
	p->op = h->type;
	p->sid = s->id;
	p->slot = slot;
	p->t0_tsc = t0;
	p->fwd_us = dp_now_us();
	if (kind != ENS_FWD_CREATE)
		s->inflight++;
	if (kind == ENS_FWD_WRITE || kind == ENS_FWD_CLOSE)
		S.st.writes++;
	w = b;
	eput(&w, (uint64_t)kind, 1);
	eput(&w, (uint64_t)s->id, 8);
	eput(&w, (uint32_t)h->xid, 4);
	eput(&w, (uint32_t)h->type, 4);
	eput(&w, s->ip, 4);
	eput(&w, (uint32_t)s->timeout_ms, 4);
	eput(&w, s->n_ids, 1);
	for (int i = 0; i < s->n_ids; i++) {
		size_t sl = strlen(s->id_scheme[i]), il = strlen(s->id_val[i]);

		eput(&w, sl, 1);
		memcpy(w, s->id_scheme[i], sl);
		w += sl;
		eput(&w, il, 1);
		memcpy(w, s->id_val[i], il);
		w += il;
	}
	if (kind == ENS_FWD_SYNC)
		blen = 0;
	eput(&w, blen, 4);
	if (blen)
		memcpy(w, body, blen);
	w += blen;
	if (park) {
		if (pend_store(p, b, (size_t)(w - b)) != 0) {
			ens_pend_fail(p, PROTO_ZCONNECTIONLOSS);
		} else {
			p->parked = true;
			S.parked_n++;
			S.st.ens_parked++;
		}
	} else if (ens_send_request(to, b, (size_t)(w - b)) != 0) {
		ens_pend_fail(p, PROTO_ZCONNECTIONLOSS);
	}
	free(b);
}

/* Leader: a request another server forwarded. */
void
srv_ens_request(uint32_t from, const void *pl, size_t len)
{
	const uint8_t *r = pl, *end = r + len;
	struct proto_scratch sc;
	struct proto_request req;
	struct proto_txn txn;
	struct proto_rbuf rb;
	struct proto_id ids[MAX_IDS + 1];
	struct tree_client c;
	char sch[MAX_IDS][16], val[MAX_IDS][ID_STR], ipbuf[16];
	struct proto_wbuf w;
	struct sess *s;
	int kind, n_ids, rc = 0;
	int64_t sid;
	int32_t xid, op, timeout, zerr = 0;
	uint32_t ip, blen;
	uint64_t zxid;
	uint8_t pw[16];

	if (len < 26)
		return;
	kind = (int)eget(&r, 1);
	sid = (int64_t)eget(&r, 8);
	xid = (int32_t)eget(&r, 4);
	op = (int32_t)eget(&r, 4);
	ip = (uint32_t)eget(&r, 4);
	timeout = (int32_t)eget(&r, 4);
	n_ids = (int)eget(&r, 1);
	if (n_ids > MAX_IDS)
		return;
	for (int i = 0; i < n_ids; i++) {
		size_t sl, il;

		if (r >= end)
			return;
		sl = eget(&r, 1);
		if (sl >= 16 || r + sl + 1 > end)
			return;
		memcpy(sch[i], r, sl);
		sch[i][sl] = 0;
		r += sl;
		il = eget(&r, 1);
		if (il >= ID_STR || r + il > end)
			return;
		memcpy(val[i], r, il);
		val[i][il] = 0;
		r += il;
	}
	if (r + 4 > end)
		return;
	blen = (uint32_t)eget(&r, 4);
	if (r + blen > end)
		return;
	s = sess_find(sid, NULL);
	if (s && s->state == S_DETACHED)
		s->last_rx_us = dp_now_us();
	if (kind == ENS_FWD_SYNC) {
		ens_ctl_send(from, ENS_CTL_SYNCED, sid, xid,
			     ens_next_zxid() ? (int64_t)ens_next_zxid() - 1
					     : S.last_applied);
		return;
	}
	if (!ens_gate()) {
		ens_ctl_send(from, ENS_CTL_ERR, sid, xid, ens_refusal());
		return;
	}
	memset(&txn, 0, sizeof(txn));
	proto_scratch_init(&sc, S.scratch_mem, SCRATCH_BYTES);
	if (kind == ENS_FWD_CREATE) {
		if (tree_session_exists(S.t, sid))
			return; /* a retransmission: already committed */
		derive_passwd(sid, pw);
		rc = tree_prep_create_session(S.t, sid, timeout, pw,
					      S.next_zxid, wall_ms(), &txn);
	} else if (kind == ENS_FWD_CLOSE) {
		rc = tree_prep_close_session(S.t, sid, xid, S.next_zxid,
					     wall_ms(), &txn);
	} else {
		int n = 0;

		for (int i = 0; i < n_ids; i++, n++) {
			ids[n].scheme.p = (const uint8_t *)sch[i];
			ids[n].scheme.len = (int32_t)strlen(sch[i]);
			ids[n].id.p = (const uint8_t *)val[i];
			ids[n].id.len = (int32_t)strlen(val[i]);
		}
		snprintf(ipbuf, sizeof(ipbuf), "%u.%u.%u.%u", ip >> 24,
			 (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
		ids[n].scheme.p = (const uint8_t *)"ip";
		ids[n].scheme.len = 2;
		ids[n].id.p = (const uint8_t *)ipbuf;
		ids[n].id.len = (int32_t)strlen(ipbuf);
		n++;
		c.session_id = sid;
		c.n_ids = n;
		c.ids = ids;
		proto_rbuf_init(&rb, r, blen);
		memset(&req, 0, sizeof(req));
		if (proto_request_decode(&rb, op, &req, &sc) != 0) {
			ens_ctl_send(from, ENS_CTL_ERR, sid, xid,
				     PROTO_ZMARSHALLINGERROR);
			return;
		}
		req.type = op;
		rc = tree_prep(S.t, &c, xid, &req, S.next_zxid, wall_ms(), &txn,
			       &zerr, &sc);
	}
	if (rc != 0 || zerr != 0) {
		ens_ctl_send(from, ENS_CTL_ERR, sid, xid,
			     rc == -EINVAL ? PROTO_ZUNIMPLEMENTED
			     : rc	   ? PROTO_ZSYSTEMERROR
					   : zerr);
		return;
	}
	proto_wbuf_init(&w, S.enc, S.enc_cap);
	if (proto_txn_encode(&w, &txn) != 0 ||
	    ens_propose(w.p, w.len, &zxid) != 0) {
		ens_ctl_send(from, ENS_CTL_ERR, sid, xid, PROTO_ZTHROTTLEDOP);
		return;
	}
	S.next_zxid++;
}

static struct pend *
ens_find(int64_t sid, int32_t xid, int kind)
{
	for (uint32_t i = S.pq_head, k = 0; k < S.pq_n;
	     k++, i = (i + 1) % S.pq_cap) {
		struct pend *p = &S.pq[i];

		if (p->ens && !p->done && p->zxid == 0 && p->sid == sid &&
		    p->kind == kind && (kind == P_CONNECT || p->xid == xid))
			return p;
	}
	return NULL;
}

/* Adopt a session for expiry (the leader tracks every session). */
static void
ens_adopt(void *arg, int64_t sid, int32_t timeout_ms, uint64_t n_eph)
{
	uint32_t slot;
	struct sess *s;

	(void)arg;
	(void)n_eph;
	if (sess_find(sid, NULL))
		return;
	s = sess_add(sid, &slot);
	if (s == NULL)
		return;
	s->state = S_DETACHED;
	s->timeout_ms = timeout_ms;
	s->last_rx_us = dp_now_us();
	derive_passwd(sid, s->passwd);
}

void
srv_ens_ctl(uint32_t from, const void *pl, size_t len)
{
	const uint8_t *r = pl;
	int type;
	int64_t sid, v;
	int32_t xid;
	struct pend *p;

	(void)from;
	if (len < 1)
		return;
	type = (int)eget(&r, 1);
	if (type == ENS_CTL_TOUCH) {
		uint64_t now = dp_now_us();
		uint32_t n;

		if (len < 5)
			return;
		n = (uint32_t)eget(&r, 4);
		if (5 + (size_t)n * 8 > len)
			return;
		for (uint32_t i = 0; i < n; i++) {
			struct sess *s;

			sid = (int64_t)eget(&r, 8);
			s = sess_find(sid, NULL);
			if (s && s->state == S_DETACHED)
				s->last_rx_us = now;
		}
		return;
	}
	if (len < 21)
		return;
	sid = (int64_t)eget(&r, 8);
	xid = (int32_t)eget(&r, 4);
	v = (int64_t)eget(&r, 8);
	if (type == ENS_CTL_ERR) {
		p = ens_find(sid, xid, P_TXN);
		if (p == NULL && xid == 0)
			p = ens_find(sid, xid, P_CONNECT);
		if (p)
			ens_pend_fail(p, (int32_t)v);
	} else if (type == ENS_CTL_SYNCED) {
		p = ens_find(sid, xid, P_READ);
		if (p) {
			p->done = true;
			p->wait_zxid = v;
		}
	}
	pq_drain(nlog_durable_zxid(S.l));
}

/* Follower: tell the leader which local sessions were active. */
static void
ens_touch(uint64_t now_us)
{
	uint32_t to = ens_forward_target(), n = 0;
	uint8_t b[5 + 1024 * 8], *w = b + 5;

	if (to == 0)
		return;
	for (uint32_t i = 0; i < S.sc.max_sessions && n < 1024; i++) {
		struct sess *s = &S.sess[i];

		if (s->state != S_LIVE || s->last_rx_us < S.touch_last_us)
			continue;
		eput(&w, (uint64_t)s->id, 8);
		n++;
	}
	S.touch_last_us = now_us;
	if (n == 0)
		return;
	b[0] = ENS_CTL_TOUCH;
	w = b + 1;
	eput(&w, n, 4);
	ens_send_ctl(to, b, 5 + (size_t)n * 8);
}

/* The oldest entry that may wait for a commit (NULL: none).  Entries
 * that wait for a commit are committed in their FIFO order: the leader
 * proposes its own in FIFO (= zxid) order, and a follower's forwarded
 * requests reach the leader in FIFO order over one FIFO link and are
 * proposed, or refused (an ENS_CTL_ERR on the same link, before any later
 * commit), in that order.  So each commit matches this entry or none: the
 * cursor makes matching O(1) amortized instead of a FIFO scan per commit. */
static struct pend *
ens_waiter(void)
{
	if (S.ens_cur > S.pq_n)
		S.ens_cur = S.pq_n;
	for (; S.ens_cur < S.pq_n; S.ens_cur++) {
		struct pend *p = &S.pq[(S.pq_head + S.ens_cur) % S.pq_cap];

		if (p->ens && !p->done &&
		    (p->kind == P_TXN || p->kind == P_CONNECT))
			return p;
	}
	return NULL;
}

static bool
ens_match(const struct pend *p, uint64_t zxid, const struct proto_txn *t)
{
	if (!p->ens || p->done)
		return false;
	if (p->zxid)
		return (uint64_t)p->zxid == zxid;
	if (p->sid != t->hdr.session_id)
		return false;
	if (p->kind == P_CONNECT)
		return t->hdr.type == PROTO_OP_CREATESESSION;
	return p->kind == P_TXN && p->xid == t->hdr.xid &&
	       t->hdr.type != PROTO_OP_CREATESESSION;
}

/* Could a local entry wait for this txn?  Only if its session has
 * requests in flight here (or is being created here), or it is the
 * server's own (session 0: container cleanup). */
static bool
ens_may_be_ours(const struct proto_txn *t)
{
	struct sess *s;

	if (t->hdr.session_id == 0)
		return true;
	s = sess_find(t->hdr.session_id, NULL);
	return s &&
	       (s->inflight || s->state == S_CREATING || s->state == S_CLOSING);
}

/* Follower: forwarded requests the leader never answered (its answer or
 * the commit was lost with a leader that died without this server
 * noticing a role change, or the request was dropped) fail with
 * CONNECTIONLOSS after the forward timeout: the client retries (its
 * retry is applied at most once, by (session, xid)).  Entries are in
 * forward order, so the expired ones are at the FIFO's head: the scan
 * stops at the first entry that is still young. */
static void
ens_fwd_expire(uint64_t now_us)
{
	uint64_t tmo = (uint64_t)ens_forward_timeout_ms() * 1000;
	bool any = false;

	for (uint32_t i = S.pq_head, k = 0; k < S.pq_n;
	     k++, i = (i + 1) % S.pq_cap) {
		struct pend *p = &S.pq[i];

		if (!p->ens || p->fwd_us == 0)
			continue;
		if (now_us - p->fwd_us < tmo)
			break;
		if (p->done)
			continue;
		ens_pend_fail(p, PROTO_ZCONNECTIONLOSS);
		S.st.ens_fwd_timeouts++;
		any = true;
	}
	if (any)
		pq_drain(nlog_durable_zxid(S.l));
}

/* A committed txn: apply; the local entry waiting for it gets its reply
 * (sent in FIFO order by pq_drain). */
void
srv_ens_apply(uint64_t zxid, const void *b, size_t len)
{
	struct proto_scratch sc;
	struct proto_txn txn;
	struct proto_response resp;
	struct pend *m = NULL;
	int32_t zerr = 0;
	int rc;

	proto_scratch_init(&sc, S.scratch_mem, SCRATCH_BYTES);
	rc = proto_txn_decode(b, len, &txn, &sc);
	if (rc != 0) {
		SRV_LOG(ERR, "committed 0x%" PRIx64 " is not a txn\n", zxid);
		return;
	}
	memset(&resp, 0, sizeof(resp));
	resp.type = txn.hdr.type;
	rc = tree_apply(S.t, &txn, &resp, &zerr, &sc);
	if (rc == -ENOMEM) {
		SRV_LOG(ERR,
			"tree arena exhausted at zxid %" PRIx64 "; stopping\n",
			zxid);
		S.log_fatal = -ENOMEM;
		dp_stop();
		return;
	}
	if ((int64_t)zxid > S.last_applied)
		S.last_applied = (int64_t)zxid;
	S.txns_since_snap++;
	S.bytes_since_snap += len;
	m = ens_waiter();
	if (m && !ens_match(m, zxid, &txn))
		m = NULL;
	if (m == NULL && ens_may_be_ours(&txn)) {
		/* out of the expected order (never seen; a guard): scan */
		for (uint32_t i = S.pq_head, k = 0; k < S.pq_n;
		     k++, i = (i + 1) % S.pq_cap)
			if (ens_match(&S.pq[i], zxid, &txn)) {
				m = &S.pq[i];
				S.st.ens_match_scans++;
				break;
			}
	}
	if (m) {
		size_t rl;

		m->done = true;
		m->eerr = 0;
		if (m->kind == P_TXN && m->client) {
			resp.type = m->op;
			if (encode_reply(m->xid, (int64_t)zxid, zerr,
					 zerr == 0 ? &resp : NULL, &rl) != 0)
				encode_reply(m->xid, (int64_t)zxid,
					     PROTO_ZMARSHALLINGERROR, NULL,
					     &rl);
			m->rbuf = malloc(rl);
			if (m->rbuf) {
				memcpy(m->rbuf, S.enc, rl);
				m->rlen = (uint32_t)rl;
			}
			if (zerr)
				S.st.errors_replied++;
		}
	} else if (txn.hdr.type == PROTO_OP_CLOSESESSION) {
		struct sess *cs = sess_find(txn.hdr.session_id, NULL);

		if (cs) {
			sess_send_close(cs, PROTO_ZSESSIONEXPIRED);
			sess_free(cs);
		}
	} else if (txn.hdr.type == PROTO_OP_CREATESESSION && ens_leading()) {
		ens_adopt(NULL, txn.hdr.session_id, txn.timeout, 0);
	}
}

/* pq_drain's part for an ensemble entry that is done. */
static void
ens_pend_finish(struct pend *p)
{
	struct sess *s = p->slot != UINT32_MAX ? &S.sess[p->slot] : NULL;

	if (s && s->id != p->sid)
		s = NULL;
	if (p->kind == P_CONNECT) {
		if (s && p->eerr == 0 && s->state == S_CREATING) {
			s->state = S_LIVE;
			send_connected(s, s->timeout_ms, true);
			s->last_rx_us = dp_now_us();
		} else if (s && s->state == S_CREATING) {
			sess_free(s);
		}
	} else if (p->kind == P_READ) {
		/* a forwarded sync: served once the leader's point is applied
		 * here; if the leader was lost (or never answered) the sync
		 * did not happen, and says so */
		if (s && p->eerr) {
			if (s->chan_up)
				reply(s, p->xid, p->eerr, NULL, p->t0_tsc);
		} else if (s) {
			serve_queued_read(s, p);
		}
	} else if (p->client && s && s->chan_up && p->rbuf) {
		if (S.drop_replies) {
			S.drop_replies--;
			S.st.drop_faulted_replies++;
		} else {
			S.st.replies_sent++;
			sess_send(s, PROTO_K_REPLY, p->rbuf, p->rlen);
			if (p->t0_tsc)
				lat_record(p->t0_tsc);
		}
	}
	if (p->kind == P_TXN && p->op == PROTO_OP_CLOSESESSION &&
	    p->eerr == 0) {
		struct sess *cs = sess_find(p->sid, NULL);

		if (cs) {
			if (p->client && cs->chan_up)
				proto_chan_ack_now(&cs->ch, now_ns());
			sess_free(cs);
		}
	}
	free(p->rbuf);
	p->rbuf = NULL;
}

void
srv_ens_role(uint8_t role, uint32_t leader, bool leading)
{
	(void)role;
	(void)leader;
	/* proposals of an old leadership will not be applied as prepped */
	tree_prep_abort(S.t);
	for (uint32_t i = S.pq_head, k = 0; k < S.pq_n;
	     k++, i = (i + 1) % S.pq_cap) {
		struct pend *p = &S.pq[i];

		/* parked writes were never sent: they wait for the next
		 * leader, unless that is this server (then the client
		 * retries here directly) */
		if (p->ens && !p->done && (!p->parked || leading))
			ens_pend_fail(p, PROTO_ZCONNECTIONLOSS);
	}
	if (leading) {
		/* the leader owns expiry of every session: a fresh timeout
		 * for those it did not see */
		tree_session_foreach(S.t, ens_adopt, NULL);
		for (uint32_t i = 0; i < S.sc.max_sessions; i++)
			if (S.sess[i].state == S_DETACHED)
				S.sess[i].last_rx_us = dp_now_us();
	}
	pq_drain(nlog_durable_zxid(S.l));
}

void
srv_ens_kick(void)
{
	if (S.pq_n)
		pq_drain(nlog_durable_zxid(S.l));
}

void
srv_ens_tree(struct tree *t)
{
	/* finish a fuzzy snapshot of the old tree first (bounded) */
	for (int i = 0; S.ser && i < 10000000; i++)
		snap_slice();
	S.t = t;
	tree_set_event_fn(t, on_event, NULL);
	{
		struct tree_stats ts;

		tree_get_stats(t, &ts);
		S.last_applied = ts.last_zxid;
	}
}

int
srv_init(const struct dp_config *dc, const struct srv_config *sc,
	 struct tree *t, struct nlog *l)
{
	struct rte_hash_parameters hp = {
		.name = "dpzk_sessions",
		.entries = sc->max_sessions < 8 ? 8 : sc->max_sessions,
		.key_len = sizeof(int64_t),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
	};
	struct dp_hooks hooks = {
		.poll = hook_poll,
		.timer = hook_timer,
		.shutdown = hook_shutdown,
	};
	int rc;

	memset(&S, 0, sizeof(S));
	S.dc = *dc;
	S.sc = *sc;
	S.t = t;
	S.l = l;
	S.drop_replies = sc->drop_replies;
	S.ens = sc->ens != NULL;
	S.sh = rte_hash_create(&hp);
	if (S.sh == NULL)
		return -ENOMEM;
	S.sc.max_sessions = hp.entries;
	S.sess = calloc(hp.entries + 8, sizeof(*S.sess));
	S.pq_cap = sc->pending_max;
	S.pq = calloc(S.pq_cap, sizeof(*S.pq));
	S.ar_cap = (uint64_t)sc->pending_mb << 20;
	S.arena = malloc(S.ar_cap);
	S.scratch_mem = malloc(SCRATCH_BYTES);
	S.enc_cap = PROTO_CHAN_MAX_MSG;
	S.enc = malloc(S.enc_cap);
	if (!S.sess || !S.pq || !S.arena || !S.scratch_mem || !S.enc)
		return -ENOMEM;
	proto_chan_cfg_default(&S.ccfg);
	S.ccfg.mtu_payload = (uint32_t)dc->mtu - 20 - 8 - PROTO_DGRAM_HDR_LEN;
	if (S.ccfg.mtu_payload > PROTO_CHAN_MTU_PAYLOAD)
		S.ccfg.mtu_payload = PROTO_CHAN_MTU_PAYLOAD;
	S.ccfg.tx_bytes = PROTO_CHAN_MAX_MSG + (256u << 10);
	S.ccfg.rx_bytes = PROTO_CHAN_MAX_MSG + (256u << 10);
	S.ccfg.dead_ns = 0;
	S.ccfg.max_retries = 20; /* ~15 s of backed-off retries */
	S.ch_mem_len = proto_chan_mem_size(&S.ccfg);
	if (S.ch_mem_len == 0)
		return -EINVAL;
	S.to_mgmt = rte_ring_create("dpzk_to_mgmt", 1024, SOCKET_ID_ANY,
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
	S.to_lcore = rte_ring_create("dpzk_to_lcore", 1024, SOCKET_ID_ANY,
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (S.to_mgmt == NULL || S.to_lcore == NULL)
		return -ENOMEM;
	tree_set_event_fn(t, on_event, NULL);
	{
		struct tree_stats ts;

		tree_get_stats(t, &ts);
		S.last_applied = ts.last_zxid;
	}
	if ((int64_t)nlog_last_zxid(l) > S.last_applied && !S.ens)
		S.last_applied = (int64_t)nlog_last_zxid(l);
	if (!S.ens) {
		uint64_t epoch = 0;

		if (nlog_epoch_get(dc->data_dir, NLOG_CURRENT_EPOCH, &epoch) !=
			    0 ||
		    epoch == 0) {
			epoch = ((uint64_t)S.last_applied >> 32) + 1;
			nlog_epoch_set(dc->data_dir, NLOG_CURRENT_EPOCH, epoch);
			nlog_epoch_set(dc->data_dir, NLOG_ACCEPTED_EPOCH,
				       epoch);
		}
		if ((uint64_t)S.last_applied >> 32 >= epoch)
			S.next_zxid = S.last_applied + 1;
		else
			S.next_zxid = (int64_t)(epoch << 32) + 1;
	}
	tree_session_foreach(t, restore_session, NULL);
	S.start_us = dp_now_us();
	rc = dp_udp_register(dc->client_port, on_udp, NULL);
	if (rc != 0)
		return rc;
	rc = dp_hooks_register(&hooks);
	if (rc != 0)
		return rc;
	if (S.ens) {
		rc = ens_start(sc->ens, dc, t, l);
		if (rc != 0)
			return rc;
	}
	rte_telemetry_register_cmd("/dpzk/server", tel_server,
				   "dpzk-server counters: sessions, requests, "
				   "drops, latency, tree, log");
	publish();
	SRV_LOG(INFO,
		"serving on port %u: last zxid 0x%" PRIx64 ", next 0x%" PRIx64
		", %u sessions restored\n",
		dc->client_port, (uint64_t)S.last_applied,
		(uint64_t)S.next_zxid, S.n_live);
	return 0;
}
