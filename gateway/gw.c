/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway/gw.c — dpzk-gateway's event loop: ZooKeeper clients on kernel
 * TCP, one dpzk session channel per connection on a shared UDP socket.
 *
 * Why it is built this way:
 *  - One thread, one epoll set, level-triggered, every socket non-blocking.
 *    Nothing waits but epoll_wait, so a client that stops reading only
 *    fills its own outbound buffer (bounded by --max_conn_buf; beyond it
 *    the connection is closed) and never stalls the others.
 *  - Upstream, all sessions share one UDP socket per address family;
 *    datagrams are demultiplexed by the session id in the dpzk header, and
 *    a CONNECTED (which has no session yet) by the connect nonce it acks.
 *    Two hash tables (session id, nonce) make both O(1).
 *  - The channel (proto/channel.c) is a pure state machine that calls back
 *    from inside proto_chan_input, so a connection is never freed there:
 *    conn_kill() closes its sockets and unlinks it at once, and the memory
 *    is released at the end of the loop iteration.
 *  - Timers (connect retransmission, the channel's RTO and delayed ack,
 *    pings, liveness, handshake deadlines) live in one binary heap keyed by
 *    each connection's next deadline, so a wakeup costs O(log n).
 *  - Requests go into a per-connection FIFO (bounded in count and bytes;
 *    beyond, the gateway stops reading that socket: TCP backpressure) and
 *    from there into the channel as its window allows.  They stay in the
 *    FIFO until answered, since replies come in request order.
 *  - xids: every normal client xid is rewritten to the connection's own
 *    increasing upstream xid (the server takes a repeated or lower xid for
 *    a retry, docs/PROTOCOL.md §8 §2.6), and back through that FIFO.
 *  - An upstream that dies (no answer for 2/3 of the session timeout, or a
 *    CLOSE that does not end the session) is replaced under the live
 *    client: the session is attached to the next server, the auths and
 *    watches the server forgot are replayed (the gateway tracks them as
 *    the server does), and every unanswered request is resent with its
 *    upstream xid, so the server answers retried writes once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "gateway/gateway_priv.h"

#define MS		 1000000ull
#define SEC		 (1000 * MS)
#define HELLO_TIMEOUT	 (5 * SEC)  /* no ConnectRequest: closed */
#define CLOSING_TIMEOUT	 (5 * SEC)  /* flushing a last answer */
#define ADMIN_RTO	 (500 * MS) /* 4lw datagram retry */
#define ADMIN_TRIES	 4
#define CONNECT_RTO_INIT (20 * MS)
#define CONNECT_RTO_MAX	 (1000 * MS)
#define SERVER_DOWN_FOR	 (10 * SEC) /* a failed server is skipped */
#define MAX_PENDING	 4096	    /* requests sent, not answered */
#define IN_CHUNK	 (64 * 1024)
#define IN_SMALL	 4096 /* first read buffer: idle conns stay small */
#define UDP_BURST	 64
#define UDP_BUDGET	 1024 /* datagrams per wakeup per socket */
#define HASH_BITS	 16
#define BIG_RX_BUDGET	 (256ull << 20) /* big reassembly buffers */
#define SCRATCH_BYTES	 (4u << 20)
#define EP_EVENTS	 256

static const uint8_t zero_key[16];

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

#define GW_COUNTERS(X)                                                         \
	X(conns_accepted)                                                      \
	X(conns_open)                                                          \
	X(conns_refused_max)                                                   \
	X(accept_fail)                                                         \
	X(conns_closed)                                                        \
	X(closed_bad_frame)                                                    \
	X(closed_malformed)                                                    \
	X(closed_hello_timeout)                                                \
	X(closed_client_timeout)                                               \
	X(closed_slow_client)                                                  \
	X(closed_upstream_lost)                                                \
	X(closed_upstream_close)                                               \
	X(closed_connect_failed)                                               \
	X(closed_session_moved)                                                \
	X(closed_xid_mismatch)                                                 \
	X(closed_unimplemented)                                                \
	X(sessions_new)                                                        \
	X(sessions_attached)                                                   \
	X(sessions_refused)                                                    \
	X(sessions_closed)                                                     \
	X(connect_server_switch)                                               \
	X(reattach_started)                                                    \
	X(upstream_unresponsive)                                               \
	X(reattached)                                                          \
	X(resent_requests)                                                     \
	X(unknown_outcome)                                                     \
	X(dup_replies)                                                         \
	X(requests)                                                            \
	X(replies)                                                             \
	X(events)                                                              \
	X(pings_local)                                                         \
	X(bytes_in)                                                            \
	X(bytes_out)                                                           \
	X(fourlw)                                                              \
	X(fourlw_denied)                                                       \
	X(fourlw_failed)                                                       \
	X(udp_rx)                                                              \
	X(udp_tx)                                                              \
	X(udp_tx_fail)                                                         \
	X(udp_bad)                                                             \
	X(udp_unknown_session)                                                 \
	X(big_rx_denied)

struct gw_stats {
#define X(n) uint64_t n;
	GW_COUNTERS(X)
#undef X
};

/* ------------------------------------------------------------------ */
/* State                                                               */
/* ------------------------------------------------------------------ */

enum ep_type { EP_LISTEN = 1, EP_UDP, EP_SIGNAL, EP_TCP, EP_ADMIN };

struct gw_ep {
	enum ep_type type;
	int fd;
	void *owner;
};

struct gw_watch {
	char *path;
	int kind; /* enum proto_watch_list: the setWatches list */
};

struct gw_auth {
	uint8_t *body; /* AuthPacket */
	uint32_t len;
};

#define MAX_AUTHS 16

enum conn_state {
	C_HELLO = 1, /* waiting for the ConnectRequest (or a 4lw) */
	C_4LW,	     /* waiting for the appliance's admin text */
	C_CONNECTING,
	C_LIVE,
	C_CLOSING, /* flushing a last answer, then close */
	C_DEAD,
};

struct gw_conn {
	enum conn_state st;
	struct gw_ep tcp;
	struct gw_ep adm;
	uint32_t epmask; /* events registered for tcp.fd */
	uint32_t hidx;	 /* heap index + 1; 0 = not in the heap */
	uint64_t deadline;
	struct gw_conn *sid_next, *nonce_next, *dead_next;
	bool in_sid, in_nonce;
	char peer[64];

	/* TCP in: bytes [in_off, in_len) not consumed yet */
	uint8_t *in;
	size_t in_off, in_len, in_cap;
	bool rd_paused;
	/* TCP out: bytes [out_off, out_len) not written yet */
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	uint64_t t_open, t_closing, last_client_rx;

	/* session */
	struct gw_hello hello;
	int srv; /* server index */
	uint64_t nonce;
	uint64_t connect_next, connect_rto, server_deadline, connect_deadline;
	int64_t sid;
	int32_t timeout_ms;
	int64_t last_zxid;
	int32_t next_uxid;
	struct gw_xidq q;
	bool chan_init, chan_up, close_session_sent;
	struct proto_chan ch;
	void *chmem;
	uint64_t last_rx, last_tx;
	struct proto_liveness live; /* the upstream server's, as libdpzk's */
	int close_reason;	    /* CLOSE seen inside proto_chan_input */
	bool close_after_reply;	    /* UNIMPLEMENTED / closeSession answered */
	uint32_t q_sent;	    /* FIFO entries sent on this channel */
	size_t pend_bytes;	    /* bytes of the FIFO's messages */
	bool reattaching;	    /* connecting again under a live client */
	uint64_t lost_at;	    /* last sign of life of the lost upstream */
	uint8_t passwd[PROTO_PASSWD_LEN];
	/* what the server forgets when the session changes connection,
	 * replayed after a reattach: armed watches and accepted auths */
	struct gw_watch *w;
	size_t nw, capw;
	struct gw_auth *auth;
	int nauth;

	/* four-letter word */
	char word[5];
	int atries;
	uint64_t anext;
	struct gw_admin_asm aasm; /* its answer, from ADMIN fragments */
};

/* Datagrams of one loop iteration, sent together (sendmmsg). */
#define TXB_MAX	  64
#define TXB_DGRAM 1536 /* mtu_payload + header fit */

struct gw_txb {
	int fd;
	int n;
	uint8_t *buf; /* TXB_MAX x TXB_DGRAM */
	struct mmsghdr mm[TXB_MAX];
	struct iovec iov[TXB_MAX];
};

struct gw {
	const struct gw_config *cfg;
	int ep;
	struct gw_ep lst[2];
	int nlst;
	struct gw_ep udp4, udp6;
	struct gw_ep sig;
	uint64_t now;
	bool stop;
	struct gw_stats st;
	uint64_t srv_down_until[GW_MAX_SERVERS];
	struct gw_conn *sid_tab[1u << HASH_BITS];
	struct gw_conn *nonce_tab[1u << HASH_BITS];
	struct gw_conn **heap;
	uint32_t heap_n, heap_cap;
	struct gw_conn *dead;
	struct proto_chan_cfg ccfg;
	size_t ch_mem;
	uint64_t big_rx_bytes;
	uint64_t accept_paused_until; /* 0: accepting */
	void *scratch;
	uint8_t *udpbuf[UDP_BURST];
	struct gw_txb txb4, txb6;
};

static struct gw G;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

#define VLOG(...)                                                              \
	do {                                                                   \
		if (G.cfg->verbose)                                            \
			fprintf(stderr, "dpzk-gateway: " __VA_ARGS__);         \
	} while (0)

/* ------------------------------------------------------------------ */
/* Timer heap                                                          */
/* ------------------------------------------------------------------ */

static void
heap_swap(uint32_t a, uint32_t b)
{
	struct gw_conn *t = G.heap[a];

	G.heap[a] = G.heap[b];
	G.heap[b] = t;
	G.heap[a]->hidx = a + 1;
	G.heap[b]->hidx = b + 1;
}

static void
heap_up(uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (G.heap[p]->deadline <= G.heap[i]->deadline)
			break;
		heap_swap(i, p);
		i = p;
	}
}

static void
heap_down(uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < G.heap_n && G.heap[l]->deadline < G.heap[m]->deadline)
			m = l;
		if (r < G.heap_n && G.heap[r]->deadline < G.heap[m]->deadline)
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
}

static void
heap_remove(struct gw_conn *c)
{
	uint32_t i;

	if (c->hidx == 0)
		return;
	i = c->hidx - 1;
	c->hidx = 0;
	G.heap_n--;
	if (i == G.heap_n)
		return;
	G.heap[i] = G.heap[G.heap_n];
	G.heap[i]->hidx = i + 1;
	heap_down(i);
	heap_up(i);
}

static void
heap_set(struct gw_conn *c, uint64_t deadline)
{
	if (c->hidx == 0) {
		if (G.heap_n == G.heap_cap) {
			uint32_t cap = G.heap_cap ? 2 * G.heap_cap : 1024;
			struct gw_conn **h = realloc(G.heap, cap * sizeof(*h));

			if (h == NULL)
				return; /* checked again at the next touch */
			G.heap = h;
			G.heap_cap = cap;
		}
		c->deadline = deadline;
		G.heap[G.heap_n] = c;
		c->hidx = ++G.heap_n;
		heap_up(G.heap_n - 1);
		return;
	}
	c->deadline = deadline;
	heap_down(c->hidx - 1);
	heap_up(c->hidx - 1);
}

/* ------------------------------------------------------------------ */
/* Hash tables: session id → conn, connect nonce → conn                */
/* ------------------------------------------------------------------ */

static uint32_t
hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)(k >> (64 - HASH_BITS));
}

static struct gw_conn *
sid_find(int64_t sid)
{
	struct gw_conn *c = G.sid_tab[hash64((uint64_t)sid)];

	while (c && c->sid != sid)
		c = c->sid_next;
	return c;
}

static void
sid_del(struct gw_conn *c)
{
	struct gw_conn **pp = &G.sid_tab[hash64((uint64_t)c->sid)];

	if (!c->in_sid)
		return;
	while (*pp && *pp != c)
		pp = &(*pp)->sid_next;
	if (*pp)
		*pp = c->sid_next;
	c->in_sid = false;
	c->sid_next = NULL;
}

static void
sid_add(struct gw_conn *c)
{
	uint32_t h = hash64((uint64_t)c->sid);

	c->sid_next = G.sid_tab[h];
	G.sid_tab[h] = c;
	c->in_sid = true;
}

static struct gw_conn *
nonce_find(uint64_t n)
{
	struct gw_conn *c = G.nonce_tab[hash64(n)];

	while (c && c->nonce != n)
		c = c->nonce_next;
	return c;
}

static void
nonce_del(struct gw_conn *c)
{
	struct gw_conn **pp = &G.nonce_tab[hash64(c->nonce)];

	if (!c->in_nonce)
		return;
	while (*pp && *pp != c)
		pp = &(*pp)->nonce_next;
	if (*pp)
		*pp = c->nonce_next;
	c->in_nonce = false;
	c->nonce_next = NULL;
}

static void
nonce_add(struct gw_conn *c)
{
	uint32_t h = hash64(c->nonce);

	c->nonce_next = G.nonce_tab[h];
	G.nonce_tab[h] = c;
	c->in_nonce = true;
}

/* ------------------------------------------------------------------ */
/* Connections: lifetime                                               */
/* ------------------------------------------------------------------ */

static void
ep_mod(struct gw_conn *c, uint32_t mask)
{
	struct epoll_event ev = {.events = mask, .data.ptr = &c->tcp};

	if (c->tcp.fd < 0 || mask == c->epmask)
		return;
	if (epoll_ctl(G.ep, EPOLL_CTL_MOD, c->tcp.fd, &ev) == 0)
		c->epmask = mask;
}

/* Unlinks c from everything and closes its sockets now; its memory goes
 * at the end of the loop iteration (we may be inside its channel). */
static void
conn_kill(struct gw_conn *c, uint64_t *why)
{
	if (c->st == C_DEAD)
		return;
	if (why)
		(*why)++;
	VLOG("%s: closed (%s)\n", c->peer,
	     c->st == C_LIVE ? "live" : "not live");
	c->st = C_DEAD;
	sid_del(c);
	nonce_del(c);
	heap_remove(c);
	if (c->tcp.fd >= 0) {
		/* drain what the client sent, so close() does not reset
		 * the connection before it reads our last answer */
		uint8_t junk[512];

		for (int i = 0; i < 16; i++)
			if (read(c->tcp.fd, junk, sizeof(junk)) <= 0)
				break;
		close(c->tcp.fd);
		c->tcp.fd = -1;
	}
	if (c->adm.fd >= 0) {
		close(c->adm.fd);
		c->adm.fd = -1;
	}
	G.st.conns_open--;
	G.st.conns_closed++;
	c->dead_next = G.dead;
	G.dead = c;
}

static void
reap(void)
{
	while (G.dead) {
		struct gw_conn *c = G.dead;

		G.dead = c->dead_next;
		if (c->chan_init)
			proto_chan_fini(&c->ch);
		gw_xidq_fini(&c->q);
		for (size_t i = 0; i < c->nw; i++)
			free(c->w[i].path);
		free(c->w);
		for (int i = 0; i < c->nauth; i++)
			free(c->auth[i].body);
		free(c->auth);
		free(c->chmem);
		gw_admin_asm_reset(&c->aasm);
		free(c->in);
		free(c->out);
		free(c);
	}
}

/* ------------------------------------------------------------------ */
/* TCP output                                                          */
/* ------------------------------------------------------------------ */

static void conn_sched(struct gw_conn *c);
static void flush_queue(struct gw_conn *c);

static void
out_want(struct gw_conn *c)
{
	uint32_t m = 0;

	if (c->st == C_DEAD)
		return;
	if (c->out_len > c->out_off)
		m |= EPOLLOUT;
	if (!c->rd_paused && c->st != C_CLOSING && c->st != C_4LW)
		m |= EPOLLIN | EPOLLRDHUP;
	ep_mod(c, m);
}

/* Writes what is queued; false when the connection died. */
static bool
out_flush(struct gw_conn *c)
{
	while (c->out_len > c->out_off) {
		ssize_t n = send(c->tcp.fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_kill(c, NULL);
			return false;
		}
		G.st.bytes_out += (uint64_t)n;
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > IN_CHUNK) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	if (c->st == C_CLOSING && c->out_len == 0) {
		conn_kill(c, NULL);
		return false;
	}
	out_want(c);
	return true;
}

/* Queues hdr (hlen bytes) + body for the client.  A client that lets its
 * queue grow past --max_conn_buf is closed (it is not reading). */
static void
out_put(struct gw_conn *c, const void *hdr, size_t hlen, const void *body,
	size_t blen)
{
	size_t need = hlen + blen, live = c->out_len - c->out_off;

	if (c->st == C_DEAD)
		return;
	if (live + need > G.cfg->max_conn_buf) {
		conn_kill(c, &G.st.closed_slow_client);
		return;
	}
	if (live == 0) {
		/* nothing queued: try the socket first */
		struct iovec iov[2] = {{(void *)hdr, hlen},
				       {(void *)body, blen}};
		ssize_t n = writev(c->tcp.fd, iov, blen ? 2 : 1);

		c->out_off = c->out_len = 0;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			conn_kill(c, NULL);
			return;
		}
		if (n > 0) {
			G.st.bytes_out += (uint64_t)n;
			if ((size_t)n == need)
				return;
		} else {
			n = 0;
		}
		/* keep the rest */
		if ((size_t)n < hlen) {
			hdr = (const uint8_t *)hdr + n;
			hlen -= (size_t)n;
		} else {
			body = (const uint8_t *)body + ((size_t)n - hlen);
			blen -= (size_t)n - hlen;
			hlen = 0;
		}
		need = hlen + blen;
	}
	if (c->out_len + need > c->out_cap) {
		size_t cap;
		uint8_t *p;

		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off, live);
			c->out_len = live;
			c->out_off = 0;
		}
		cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + need)
			cap *= 2;
		if (cap != c->out_cap) {
			p = realloc(c->out, cap);
			if (p == NULL) {
				conn_kill(c, &G.st.closed_slow_client);
				return;
			}
			c->out = p;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, hdr, hlen);
	memcpy(c->out + c->out_len + hlen, body, blen);
	c->out_len += need;
	out_want(c);
}

/* A frame: 4-byte length, then msg (first 4 bytes replaced by xid when
 * rewrite). */
static void
out_frame(struct gw_conn *c, const uint8_t *msg, size_t len, bool rewrite,
	  int32_t xid)
{
	uint8_t h[8];

	gw_put_be32(h, (uint32_t)len);
	if (rewrite && len >= 4) {
		gw_put_be32(h + 4, (uint32_t)xid);
		out_put(c, h, 8, msg + 4, len - 4);
	} else {
		out_put(c, h, 4, msg, len);
	}
}

/* Answers the client with text (4lw) or a last frame, then closes. */
static void
conn_closing(struct gw_conn *c)
{
	if (c->st == C_DEAD)
		return;
	if (c->st == C_CONNECTING)
		nonce_del(c);
	c->st = C_CLOSING;
	c->t_closing = G.now;
	if (out_flush(c))
		conn_sched(c);
}

/* ------------------------------------------------------------------ */
/* Upstream: the channel                                               */
/* ------------------------------------------------------------------ */

static struct gw_ep *
udp_for(int srv)
{
	return G.cfg->servers[srv].sa.ss_family == AF_INET6 ? &G.udp6 : &G.udp4;
}

static int
udp_send(int srv, const void *d, size_t len)
{
	const struct gw_server *s = &G.cfg->servers[srv];

	if (sendto(udp_for(srv)->fd, d, len, MSG_DONTWAIT,
		   (const struct sockaddr *)&s->sa, s->salen) < 0) {
		G.st.udp_tx_fail++;
		return -errno;
	}
	G.st.udp_tx++;
	return 0;
}

/* Sends the batched datagrams of one socket (one sendmmsg call per
 * TXB_MAX): the kernel's per-call cost, and on a tap its reader's
 * wakeups, are shared by a whole loop iteration's datagrams. */
static void
txb_flush(struct gw_txb *b)
{
	int done = 0;

	while (done < b->n) {
		int k = sendmmsg(b->fd, b->mm + done, (unsigned)(b->n - done),
				 MSG_DONTWAIT);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN (socket buffer full) or an error: the rest
			 * is lost; the channels retransmit */
			G.st.udp_tx_fail += (uint64_t)(b->n - done);
			break;
		}
		G.st.udp_tx += (uint64_t)k;
		done += k;
	}
	b->n = 0;
}

static void
udp_flush(void)
{
	if (G.txb4.n)
		txb_flush(&G.txb4);
	if (G.txb6.n)
		txb_flush(&G.txb6);
}

static int
chan_emit(void *ctx, const void *dgram, size_t len)
{
	struct gw_conn *c = ctx;
	const struct gw_server *sv = &G.cfg->servers[c->srv];
	struct gw_txb *b = sv->sa.ss_family == AF_INET6 ? &G.txb6 : &G.txb4;
	int rc = 0;

	if (len > TXB_DGRAM || b->buf == NULL) {
		if (b->n)
			txb_flush(b); /* keep the channel's order */
		rc = udp_send(c->srv, dgram, len);
	} else {
		struct mmsghdr *m = &b->mm[b->n];

		memcpy(b->buf + (size_t)b->n * TXB_DGRAM, dgram, len);
		b->iov[b->n].iov_base = b->buf + (size_t)b->n * TXB_DGRAM;
		b->iov[b->n].iov_len = len;
		memset(m, 0, sizeof(*m));
		m->msg_hdr.msg_name = (void *)&sv->sa;
		m->msg_hdr.msg_namelen = sv->salen;
		m->msg_hdr.msg_iov = &b->iov[b->n];
		m->msg_hdr.msg_iovlen = 1;
		if (++b->n == TXB_MAX)
			txb_flush(b);
	}
	if (rc == 0)
		c->last_tx = G.now;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Watches and auths the session has on this connection                */
/* ------------------------------------------------------------------ */

static void
watch_add(struct gw_conn *c, struct proto_view path, int kind)
{
	struct gw_watch *w;

	if (path.len < 0)
		return;
	for (size_t i = 0; i < c->nw; i++)
		if (c->w[i].kind == kind &&
		    strlen(c->w[i].path) == (size_t)path.len &&
		    memcmp(c->w[i].path, path.p, (size_t)path.len) == 0)
			return;
	if (c->nw == c->capw) {
		size_t cap = c->capw ? 2 * c->capw : 8;

		w = realloc(c->w, cap * sizeof(*w));
		if (w == NULL)
			return;
		c->w = w;
		c->capw = cap;
	}
	w = &c->w[c->nw];
	w->path = strndup((const char *)path.p, (size_t)path.len);
	if (w->path == NULL)
		return;
	w->kind = kind;
	c->nw++;
}

static bool
path_is(const char *a, struct proto_view p)
{
	return p.len >= 0 && strlen(a) == (size_t)p.len &&
	       memcmp(a, p.p, (size_t)p.len) == 0;
}

/* Drops the registrations of path whose kind is in mask (bit per kind). */
static void
watch_drop(struct gw_conn *c, struct proto_view path, unsigned mask)
{
	for (size_t i = 0; i < c->nw;) {
		if ((mask >> c->w[i].kind & 1) && path_is(c->w[i].path, path)) {
			free(c->w[i].path);
			c->w[i] = c->w[--c->nw];
			continue;
		}
		i++;
	}
}

#define WB(k) (1u << (k))

/* A one-time watch fires once: the server forgot it (WatchManager). */
static void
watch_event(struct gw_conn *c, const uint8_t *msg, size_t len)
{
	struct proto_rbuf r;
	struct proto_reply_hdr rh;
	struct proto_watcher_event e;

	proto_rbuf_init(&r, msg, len);
	if (proto_reply_hdr_decode(&r, &rh) != 0 ||
	    proto_event_decode(&r, &e) != 0)
		return;
	switch (e.type) {
	case PROTO_EV_NODE_CREATED:
	case PROTO_EV_NODE_DATA_CHANGED:
		watch_drop(c, e.path, WB(PROTO_WL_DATA) | WB(PROTO_WL_EXIST));
		break;
	case PROTO_EV_NODE_DELETED:
		watch_drop(c, e.path,
			   WB(PROTO_WL_DATA) | WB(PROTO_WL_EXIST) |
				   WB(PROTO_WL_CHILD));
		break;
	case PROTO_EV_NODE_CHILDREN_CHANGED:
		watch_drop(c, e.path, WB(PROTO_WL_CHILD));
		break;
	default:
		break;
	}
}

static int
decode_request(const struct gw_xid *e, struct proto_request *q,
	       struct proto_scratch *s)
{
	struct proto_rbuf r;

	if (e->msg == NULL || e->len < 8)
		return -EBADMSG;
	proto_rbuf_init(&r, e->msg + 8, e->len - 8);
	proto_scratch_init(s, G.scratch, SCRATCH_BYTES);
	memset(q, 0, sizeof(*q));
	return proto_request_decode(&r, e->op, q, s);
}

/* setWatches(2) sent: the server arms (or fires) each listed watch. */
static void
watch_set(struct gw_conn *c, const struct gw_xid *e)
{
	struct proto_request q;
	struct proto_scratch s;

	if (decode_request(e, &q, &s) != 0)
		return;
	for (int l = 0; l < PROTO_WL_MAX; l++)
		for (int32_t i = 0; i < q.watches[l].n; i++)
			watch_add(c, q.watches[l].v[i], l);
}

/* A reply to e arrived with err: what it armed, removed or authorized. */
static void
track_reply(struct gw_conn *c, const struct gw_xid *e, int32_t err)
{
	struct proto_request q;
	struct proto_scratch s;
	unsigned mask = 0;

	switch (e->op) {
	case PROTO_OP_EXISTS:
	case PROTO_OP_GETDATA:
	case PROTO_OP_GETCHILDREN:
	case PROTO_OP_GETCHILDREN2:
	case PROTO_OP_ADDWATCH:
	case PROTO_OP_REMOVEWATCHES:
		break;
	case PROTO_OP_AUTH:
		if (err == 0 && c->nauth < MAX_AUTHS && e->len > 8) {
			struct gw_auth *a = realloc(
				c->auth, (size_t)(c->nauth + 1) * sizeof(*a));

			if (a == NULL)
				return;
			c->auth = a;
			a[c->nauth].body = malloc(e->len - 8);
			if (a[c->nauth].body == NULL)
				return;
			memcpy(a[c->nauth].body, e->msg + 8, e->len - 8);
			a[c->nauth].len = e->len - 8;
			c->nauth++;
		}
		return;
	default:
		return;
	}
	if (decode_request(e, &q, &s) != 0)
		return;
	switch (e->op) {
	case PROTO_OP_EXISTS:
		/* ZooKeeper's ExistsWatchRegistration: a data watch when
		 * the node exists, an exist watch when it does not */
		if (q.watch && err == 0)
			watch_add(c, q.path, PROTO_WL_DATA);
		else if (q.watch && err == PROTO_ZNONODE)
			watch_add(c, q.path, PROTO_WL_EXIST);
		break;
	case PROTO_OP_GETDATA:
		if (q.watch && err == 0)
			watch_add(c, q.path, PROTO_WL_DATA);
		break;
	case PROTO_OP_GETCHILDREN:
	case PROTO_OP_GETCHILDREN2:
		if (q.watch && err == 0)
			watch_add(c, q.path, PROTO_WL_CHILD);
		break;
	case PROTO_OP_ADDWATCH:
		if (err == 0)
			watch_add(c, q.path,
				  q.mode == PROTO_ADDWATCH_PERSISTENT_RECURSIVE
					  ? PROTO_WL_PERSISTENT_RECURSIVE
					  : PROTO_WL_PERSISTENT);
		break;
	case PROTO_OP_REMOVEWATCHES:
		if (err != 0)
			break;
		switch (q.mode) {
		case PROTO_WTYPE_CHILDREN:
			mask = WB(PROTO_WL_CHILD);
			break;
		case PROTO_WTYPE_DATA:
			mask = WB(PROTO_WL_DATA) | WB(PROTO_WL_EXIST);
			break;
		case PROTO_WTYPE_ANY:
			mask = 0x1f;
			break;
		case PROTO_WTYPE_PERSISTENT:
			mask = WB(PROTO_WL_PERSISTENT);
			break;
		case PROTO_WTYPE_PERSISTENT_RECURSIVE:
			mask = WB(PROTO_WL_PERSISTENT_RECURSIVE);
			break;
		}
		watch_drop(c, q.path, mask);
		break;
	}
}

/* Ops whose successful reply has no body. */
static bool
op_bodyless(int32_t op)
{
	switch (op) {
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
	case PROTO_OP_CHECKWATCHES:
	case PROTO_OP_REMOVEWATCHES:
	case PROTO_OP_AUTH:
	case PROTO_OP_SETWATCHES:
	case PROTO_OP_SETWATCHES2:
	case PROTO_OP_CLOSESESSION:
	case PROTO_OP_CHECK:
		return true;
	default:
		return false;
	}
}

static void
chan_deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	struct gw_conn *c = ctx;
	struct proto_rbuf r;
	struct proto_reply_hdr rh;
	struct gw_xid e;
	int rc;

	if (c->st != C_LIVE || (kind != PROTO_K_REPLY && kind != PROTO_K_EVENT))
		return;
	proto_rbuf_init(&r, msg, len);
	if (proto_reply_hdr_decode(&r, &rh) != 0)
		return;
	if (rh.zxid > c->last_zxid)
		c->last_zxid = rh.zxid;
	if (kind == PROTO_K_EVENT || rh.xid == PROTO_XID_NOTIFICATION) {
		G.st.events++;
		watch_event(c, msg, len);
		out_frame(c, msg, len, false, 0);
		return;
	}
	rc = gw_xidq_pop(&c->q, rh.xid, &e);
	if (rc == -EPROTO && gw_xid_special(rh.xid)) {
		/* auth is answered at once, ahead of writes still being
		 * committed (ZooKeeper does the same in processPacket);
		 * clients match xid -4/-8 replies by xid, not by order */
		for (uint32_t k = 1; k < c->q.n && k < c->q_sent; k++)
			if (gw_xidq_at(&c->q, k)->uxid == rh.xid) {
				rc = gw_xidq_take(&c->q, k, &e);
				break;
			}
	} else if (rc == -EPROTO && rh.xid > 0) {
		/* after a reattach the server may answer a retried write
		 * that was in flight before our replayed auth/setWatches:
		 * those are not relayed, so the client's order holds */
		for (uint32_t k = 0; k < c->q.n && k < c->q_sent; k++) {
			struct gw_xid *x = gw_xidq_at(&c->q, k);

			if (x->uxid == rh.xid) {
				rc = gw_xidq_take(&c->q, k, &e);
				break;
			}
			if (!(x->flags & GW_XF_INTERNAL))
				break;
		}
	}
	if (rc != 0) {
		const struct gw_xid *h = c->q.n ? gw_xidq_at(&c->q, 0) : NULL;

		/* a late duplicate (a retried xid answered twice across a
		 * reattach) is older than everything we wait for */
		if (rh.xid > 0 && ((h && h->uxid > 0 && rh.xid < h->uxid) ||
				   (h == NULL && rh.xid < c->next_uxid))) {
			G.st.dup_replies++;
			return;
		}
		/* anything else: the client's order would be lost */
		VLOG("%s: reply xid %d, expected %d (op %d)\n", c->peer, rh.xid,
		     h ? h->uxid : 0, h ? h->op : 0);
		if (G.cfg->verbose && h && h->msg) {
			for (uint32_t k = 0; k < c->q.n && k < 4; k++) {
				struct gw_xid *x = gw_xidq_at(&c->q, k);

				fprintf(stderr, "  fifo[%u] uxid %d op %d:", k,
					x->uxid, x->op);
				for (uint32_t j = 0; j < x->len && j < 120; j++)
					fprintf(stderr, "%02x", x->msg[j]);
				fprintf(stderr, "\n");
			}
		}
		conn_kill(c, &G.st.closed_xid_mismatch);
		return;
	}
	if (c->q_sent > 0)
		c->q_sent--;
	c->pend_bytes -= e.len;
	if (!(e.flags & GW_XF_INTERNAL)) {
		G.st.replies++;
		if ((e.flags & GW_XF_RESENT) && rh.err == 0 && len == 16 &&
		    !op_bodyless(e.op)) {
			/* a retry the server had applied and no longer
			 * remembers the answer of (docs/PROTOCOL.md §8
			 * §2.6): a ZooKeeper client cannot take a reply
			 * without its body; CONNECTIONLOSS is what
			 * ZooKeeper says when the outcome is unknown */
			uint8_t h[20];

			G.st.unknown_outcome++;
			gw_put_be32(h, 16);
			gw_put_be32(h + 4, (uint32_t)e.cxid);
			memcpy(h + 8, (const uint8_t *)msg + 4, 8);
			gw_put_be32(h + 16, (uint32_t)PROTO_ZCONNECTIONLOSS);
			out_put(c, h, sizeof(h), NULL, 0);
		} else {
			out_frame(c, msg, len, true, e.cxid);
		}
		if (e.op == PROTO_OP_CLOSESESSION) {
			G.st.sessions_closed++;
			c->close_after_reply = true;
		} else if (rh.err == PROTO_ZUNIMPLEMENTED) {
			/* ZooKeeper's UnimplementedRequestProcessor closes
			 * the connection after its answer */
			G.st.closed_unimplemented++;
			c->close_after_reply = true;
		}
	}
	if (c->st != C_DEAD)
		track_reply(c, &e, rh.err);
	free(e.msg);
}

static void
chan_control(void *ctx, const struct proto_dgram_hdr *h, const void *payload,
	     size_t len)
{
	struct gw_conn *c = ctx;
	const uint8_t *b = payload;

	if (h->kind != PROTO_K_CLOSE)
		return;
	c->close_reason = len >= 4 ? (int32_t)gw_be32(b) : -112;
	if (c->close_reason == 0)
		c->close_reason = -112;
}

static void *
chan_rx_alloc(void *ctx, size_t len)
{
	uint64_t *p;

	(void)ctx;
	if (G.big_rx_bytes + len > BIG_RX_BUDGET) {
		G.st.big_rx_denied++;
		return NULL;
	}
	p = malloc(len + 16);
	if (p == NULL)
		return NULL;
	p[0] = len;
	G.big_rx_bytes += len;
	return p + 2;
}

static void
chan_rx_free(void *ctx, void *buf)
{
	uint64_t *p = (uint64_t *)buf - 2;

	(void)ctx;
	G.big_rx_bytes -= p[0];
	free(p);
}

static void
chan_tx_release(void *ctx, const void *msg)
{
	(void)ctx;
	free((void *)msg);
}

static const struct proto_chan_ops chan_ops = {
	.emit = chan_emit,
	.deliver = chan_deliver,
	.control = chan_control,
	.rx_alloc = chan_rx_alloc,
	.rx_free = chan_rx_free,
	.tx_release = chan_tx_release,
};

/* ------------------------------------------------------------------ */
/* Upstream: connecting                                                */
/* ------------------------------------------------------------------ */

static int
pick_server(int after)
{
	int n = G.cfg->nservers;

	/* list order (the local server first), skipping recently failed */
	for (int k = 0; k < n; k++) {
		int i = after < 0 ? k : (after + 1 + k) % n;

		if (G.srv_down_until[i] <= G.now)
			return i;
	}
	return after < 0 ? 0 : (after + 1) % n;
}

static void
send_connect(struct gw_conn *c)
{
	uint8_t d[PROTO_DGRAM_HDR_LEN + 64];
	struct proto_connect_req req;
	int n;

	gw_hello_upstream(&c->hello, &req);
	n = proto_chan_connect_dgram(d, sizeof(d), &req, c->nonce);
	if (n > 0)
		udp_send(c->srv, d, (size_t)n);
	c->connect_next = G.now + c->connect_rto;
	c->connect_rto = c->connect_rto * 2 > CONNECT_RTO_MAX
				 ? CONNECT_RTO_MAX
				 : c->connect_rto * 2;
}

static void
start_connect(struct gw_conn *c, int srv)
{
	uint64_t t = (uint64_t)(c->hello.timeout > 0 ? c->hello.timeout : 0) *
		     MS,
		 budget = t / 6;

	/* per server: a sixth of the session timeout within [0.3 s, 1 s],
	 * so a dead first server leaves time for the next one inside the
	 * client's own connect timeout */
	if (budget > SEC)
		budget = SEC;
	if (budget < 300 * MS)
		budget = 300 * MS;
	nonce_del(c);
	c->srv = srv;
	c->st = C_CONNECTING;
	do
		randombytes_buf(&c->nonce, sizeof(c->nonce));
	while (c->nonce == 0 || nonce_find(c->nonce));
	nonce_add(c);
	c->server_deadline = G.now + budget;
	c->connect_rto = CONNECT_RTO_INIT;
	send_connect(c);
	VLOG("%s: CONNECT sid 0x%" PRIx64 " -> %s\n", c->peer,
	     (uint64_t)c->hello.session_id, G.cfg->servers[srv].name);
}

/* Queues a request of the gateway's own at the head of the FIFO. */
static void
internal_front(struct gw_conn *c, int32_t xid, int32_t op, const void *body,
	       size_t blen)
{
	struct gw_xid e = {
		.cxid = xid, .uxid = xid, .op = op, .flags = GW_XF_INTERNAL};

	e.len = (uint32_t)(8 + blen);
	e.msg = malloc(e.len);
	if (e.msg == NULL)
		return;
	gw_put_be32(e.msg, (uint32_t)xid);
	gw_put_be32(e.msg + 4, (uint32_t)op);
	memcpy(e.msg + 8, body, blen);
	if (gw_xidq_add(&c->q, &e, true) == 0)
		c->pend_bytes += e.len;
}

/* setWatches(2) for every watch the session had on this connection,
 * relative to the last zxid the client saw. */
static void
setwatches_front(struct gw_conn *c)
{
	struct proto_request q = {.type = PROTO_OP_SETWATCHES};
	struct proto_view *v;
	struct proto_wbuf w;
	int cnt[PROTO_WL_MAX] = {0}, base[PROTO_WL_MAX],
	    idx[PROTO_WL_MAX] = {0};
	uint8_t *buf;

	if (c->nw == 0)
		return;
	v = calloc(c->nw, sizeof(*v));
	if (v == NULL)
		return;
	for (size_t i = 0; i < c->nw; i++)
		cnt[c->w[i].kind]++;
	for (int l = 0, b = 0; l < PROTO_WL_MAX; l++) {
		base[l] = b;
		b += cnt[l];
	}
	for (size_t i = 0; i < c->nw; i++) {
		int l = c->w[i].kind;
		struct proto_view *e = &v[base[l] + idx[l]++];

		e->p = (const uint8_t *)c->w[i].path;
		e->len = (int32_t)strlen(c->w[i].path);
	}
	for (int l = 0; l < PROTO_WL_MAX; l++) {
		q.watches[l].n = cnt[l];
		q.watches[l].v = &v[base[l]];
	}
	if (cnt[PROTO_WL_PERSISTENT] || cnt[PROTO_WL_PERSISTENT_RECURSIVE])
		q.type = PROTO_OP_SETWATCHES2;
	q.rel_zxid = c->last_zxid;
	proto_wbuf_init(&w, NULL, 0);
	proto_request_encode(&w, &q);
	buf = malloc(w.len ? w.len : 1);
	if (buf) {
		size_t need = w.len;

		proto_wbuf_init(&w, buf, need);
		if (proto_request_encode(&w, &q) == 0)
			internal_front(c, PROTO_XID_SETWATCHES, q.type, buf,
				       w.len);
	}
	free(buf);
	free(v);
}

/* The session is on a new connection (maybe another server): the server
 * forgot its watches and auths, so they go first, then every request
 * without a reply, with its original upstream xid (the server answers a
 * retried write once: docs/PROTOCOL.md §8 §2.6). */
static void
reattached(struct gw_conn *c, const struct proto_connect_resp *r,
	   const uint8_t key[16])
{
	struct gw_xid e;

	proto_chan_reset(&c->ch, c->sid, key, G.now);
	c->chan_up = true;
	memset(&c->live, 0, sizeof(c->live));
	c->reattaching = false;
	c->st = C_LIVE;
	c->last_rx = c->last_tx = G.now;
	if (gw_first_xid(r->last_xid) > c->next_uxid)
		c->next_uxid = gw_first_xid(r->last_xid);
	/* our own requests of an earlier attempt are rebuilt */
	while (c->q.n > 0 && (gw_xidq_at(&c->q, 0)->flags & GW_XF_INTERNAL) &&
	       gw_xidq_pop(&c->q, gw_xidq_at(&c->q, 0)->uxid, &e) == 0) {
		c->pend_bytes -= e.len;
		free(e.msg);
	}
	for (uint32_t i = 0; i < c->q.n; i++) {
		gw_xidq_at(&c->q, i)->flags |= GW_XF_RESENT;
		G.st.resent_requests++;
	}
	c->q_sent = 0;
	setwatches_front(c);
	for (int i = c->nauth - 1; i >= 0; i--)
		internal_front(c, PROTO_XID_AUTH, PROTO_OP_AUTH,
			       c->auth[i].body, c->auth[i].len);
	G.st.reattached++;
	VLOG("%s: session 0x%" PRIx64 " reattached on %s (%u requests)\n",
	     c->peer, (uint64_t)c->sid, G.cfg->servers[c->srv].name, c->q.n);
	flush_queue(c);
}

static void
on_connected(struct gw_conn *c, const uint8_t *d, size_t len,
	     const struct proto_dgram_hdr *h)
{
	struct proto_connect_resp r;
	struct proto_chan_cfg cfg = G.ccfg;
	uint8_t key[16], frame[64];
	struct gw_conn *old;
	int n;

	if (proto_connect_resp_decode(d + PROTO_DGRAM_HDR_LEN, h->payload_len,
				      &r) != 0 ||
	    proto_chan_connected_check(d, len, h, &r, c->nonce, key) != 0) {
		G.st.udp_bad++;
		return;
	}
	nonce_del(c);
	n = gw_hello_response(&c->hello, &r, frame, sizeof(frame));
	if (r.timeout <= 0 || r.passwd.len != PROTO_PASSWD_LEN) {
		/* expired or unknown: tell the client, then close */
		G.st.sessions_refused++;
		if (c->reattaching) {
			/* the client learns it when it reconnects */
			conn_kill(c, &G.st.closed_upstream_lost);
			return;
		}
		if (n > 0)
			out_put(c, frame, (size_t)n, NULL, 0);
		conn_closing(c);
		return;
	}
	if (c->reattaching) {
		reattached(c, &r, key);
		return;
	}
	old = sid_find(r.session_id);
	if (old && old != c) {
		/* the session moved to this connection: the old one's
		 * upstream channel is gone (ZooKeeper closes it too) */
		conn_kill(old, &G.st.closed_session_moved);
	}
	if (c->hello.session_id == 0)
		G.st.sessions_new++;
	else
		G.st.sessions_attached++;
	c->sid = r.session_id;
	c->timeout_ms = r.timeout;
	memcpy(c->passwd, r.passwd.p, PROTO_PASSWD_LEN);
	cfg.dead_ns = (uint64_t)r.timeout * MS * 2 / 3;
	cfg.rto_max_ns = (uint64_t)r.timeout * MS / 6;
	if (cfg.rto_max_ns < cfg.rto_init_ns)
		cfg.rto_max_ns = cfg.rto_init_ns;
	if (c->chmem == NULL && posix_memalign(&c->chmem, 64, G.ch_mem) != 0) {
		c->chmem = NULL;
		conn_kill(c, NULL);
		return;
	}
	if (proto_chan_init(&c->ch, &cfg, c->chmem, G.ch_mem, &chan_ops, c,
			    r.session_id, key, G.now) != 0) {
		conn_kill(c, NULL);
		return;
	}
	c->chan_init = true;
	c->chan_up = true;
	memset(&c->live, 0, sizeof(c->live));
	c->next_uxid = gw_first_xid(r.last_xid);
	c->st = C_LIVE;
	c->last_rx = c->last_tx = c->last_client_rx = G.now;
	sid_add(c);
	VLOG("%s: session 0x%" PRIx64 " timeout %d on %s (first xid %d)\n",
	     c->peer, (uint64_t)r.session_id, r.timeout,
	     G.cfg->servers[c->srv].name, c->next_uxid);
	if (n > 0)
		out_put(c, frame, (size_t)n, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* Requests from the client                                            */
/* ------------------------------------------------------------------ */

/* Sends the FIFO's entries not yet on this channel, in order, while the
 * channel takes them (its window; acks make room again). */
static void
flush_queue(struct gw_conn *c)
{
	while (c->st == C_LIVE && c->chan_up && c->q_sent < c->q.n) {
		struct gw_xid *e = gw_xidq_at(&c->q, c->q_sent);
		int rc;

		if (e->len <= G.ccfg.tx_bytes / 2) {
			rc = proto_chan_send(&c->ch, PROTO_K_REQUEST, e->msg,
					     e->len, G.now);
		} else {
			/* large: the channel reads it in place until acked
			 * (a copy: the entry may go first, with its reply) */
			uint8_t *copy = malloc(e->len);

			if (copy == NULL)
				break;
			memcpy(copy, e->msg, e->len);
			rc = proto_chan_send_ext(&c->ch, PROTO_K_REQUEST, copy,
						 e->len, G.now);
			if (rc != 0)
				free(copy);
		}
		if (rc != 0)
			break; /* -EAGAIN; -ETIMEDOUT: the timer reattaches */
		c->q_sent++;
	}
}

static void
answer_ping(struct gw_conn *c, int32_t cxid)
{
	/* answered here; the channel keeps the session alive */
	uint8_t h[20];

	gw_put_be32(h, 16);
	gw_put_be32(h + 4, (uint32_t)cxid);
	gw_put_be32(h + 8, (uint32_t)((uint64_t)c->last_zxid >> 32));
	gw_put_be32(h + 12, (uint32_t)c->last_zxid);
	gw_put_be32(h + 16, 0);
	G.st.pings_local++;
	out_put(c, h, sizeof(h), NULL, 0);
}

/* Takes one request frame (payload p, n bytes) into the FIFO with its
 * upstream xid.  Returns 1 when consumed, 0 when the FIFO is full (the
 * frame waits), -1 when c died. */
static int
send_request(struct gw_conn *c, uint8_t *p, size_t n)
{
	struct gw_xid e = {0};
	int32_t cxid, op;

	if (n < 8) {
		conn_kill(c, &G.st.closed_malformed);
		return -1;
	}
	cxid = (int32_t)gw_be32(p);
	op = (int32_t)gw_be32(p + 4);
	if (op == PROTO_OP_PING) {
		answer_ping(c, cxid);
		return c->st == C_DEAD ? -1 : 1;
	}
	if (c->close_session_sent)
		return 1; /* nothing after closeSession */
	/* The body is the server's to decode: one that does not gets
	 * MARSHALLINGERROR (an unknown opcode UNIMPLEMENTED) and the
	 * connection stays open, as in ZooKeeper, which deserializes
	 * bodies only in its request processors. */
	if (c->q.n >= c->q.max ||
	    (c->q.n > 0 && c->pend_bytes + n > G.cfg->max_conn_buf))
		return 0;
	e.msg = malloc(n);
	if (e.msg == NULL)
		return 0;
	e.cxid = cxid;
	e.op = op;
	e.uxid = gw_xid_map(cxid, &c->next_uxid);
	e.len = (uint32_t)n;
	memcpy(e.msg, p, n);
	gw_put_be32(e.msg, (uint32_t)e.uxid);
	if (gw_xidq_add(&c->q, &e, false) != 0) {
		conn_kill(c, NULL);
		return -1;
	}
	c->pend_bytes += n;
	G.st.requests++;
	if (op == PROTO_OP_SETWATCHES || op == PROTO_OP_SETWATCHES2)
		watch_set(c, &e);
	if (op == PROTO_OP_CLOSESESSION)
		c->close_session_sent = true;
	return 1;
}

/* Handles the first frame or 4 bytes of a connection.  Returns 1 when
 * consumed, 0 when more bytes are needed, -1 when c died. */
static int start_4lw(struct gw_conn *c, const uint8_t *w);

static int
hello(struct gw_conn *c)
{
	const uint8_t *p = c->in + c->in_off;
	size_t have = c->in_len - c->in_off;
	uint32_t len;
	int rc;

	if (have < 4)
		return 0;
	switch (gw_4lw_classify(p)) {
	case GW_4LW_FORWARD:
	case GW_4LW_UNSUPPORTED:
		c->in_off += 4;
		return start_4lw(c, p);
	default:
		break;
	}
	rc = gw_frame_len(p, have, G.cfg->max_frame, &len);
	if (rc == -EMSGSIZE) {
		conn_kill(c, &G.st.closed_bad_frame);
		return -1;
	}
	if (have < 4 + (size_t)len)
		return 0;
	if (gw_hello_decode(p + 4, len, &c->hello) != 0) {
		conn_kill(c, &G.st.closed_malformed);
		return -1;
	}
	c->in_off += 4 + len;
	c->last_zxid = c->hello.last_zxid;
	c->connect_deadline =
		G.now +
		(c->hello.timeout > 4000 ? (uint64_t)c->hello.timeout : 4000) *
			MS;
	start_connect(c, pick_server(-1));
	return 1;
}

/* Processes the complete frames in the input buffer. */
static void
conn_pump(struct gw_conn *c)
{
	while (c->st == C_HELLO || c->st == C_LIVE ||
	       (c->st == C_CONNECTING && c->reattaching)) {
		uint8_t *p = c->in + c->in_off;
		size_t have = c->in_len - c->in_off;
		uint32_t len;
		int rc;

		if (c->st == C_HELLO) {
			if (hello(c) <= 0)
				break;
			continue;
		}
		if (c->close_after_reply)
			break;
		rc = gw_frame_len(p, have, G.cfg->max_frame, &len);
		if (rc == -EMSGSIZE) {
			conn_kill(c, &G.st.closed_bad_frame);
			return;
		}
		if (rc != 0 || have < 4 + (size_t)len)
			break;
		rc = send_request(c, p + 4, len);
		if (rc <= 0)
			break;
		c->in_off += 4 + len;
	}
	if (c->st == C_DEAD)
		return;
	flush_queue(c);
	if (c->in_off == c->in_len) {
		c->in_off = c->in_len = 0;
		if (c->in_cap > IN_CHUNK) {
			/* a big frame went through: give its buffer back */
			free(c->in);
			c->in = NULL;
			c->in_cap = 0;
		}
	}
}

/* Reading stops while a complete frame waits for the channel (or for the
 * session, while connecting): the client's own TCP window is the queue. */
static void
update_pause(struct gw_conn *c)
{
	size_t have = c->in_len - c->in_off;
	uint32_t flen;
	bool waiting = (c->st == C_LIVE || c->st == C_CONNECTING) &&
		       gw_frame_len(c->in + c->in_off, have, G.cfg->max_frame,
				    &flen) == 0 &&
		       have >= (size_t)flen + 4;

	if (waiting != c->rd_paused) {
		c->rd_paused = waiting;
		out_want(c);
	}
}

static bool
reading(const struct gw_conn *c)
{
	return c->st == C_HELLO || c->st == C_CONNECTING || c->st == C_LIVE;
}

/* Reads what the socket has (bounded), then processes it. */
static void
conn_read(struct gw_conn *c)
{
	size_t budget = 4 * IN_CHUNK;

	while (budget > 0 && reading(c) && !c->rd_paused) {
		size_t want = IN_SMALL, have = c->in_len - c->in_off;
		uint32_t flen;
		ssize_t n;

		/* room for the frame being read (bounded by max_frame) */
		if (gw_frame_len(c->in + c->in_off, have, G.cfg->max_frame,
				 &flen) == 0 &&
		    (size_t)flen + 4 > have && (size_t)flen + 4 - have > want)
			want = (size_t)flen + 4 - have;
		if (c->in_cap - c->in_len < want) {
			if (c->in_off > 0) {
				memmove(c->in, c->in + c->in_off, have);
				c->in_len = have;
				c->in_off = 0;
			}
			if (c->in_cap - c->in_len < want) {
				size_t cap = c->in_len + want;
				uint8_t *p = realloc(c->in, cap);

				if (p == NULL) {
					conn_kill(c, NULL);
					return;
				}
				c->in = p;
				c->in_cap = cap;
			}
		}
		n = recv(c->tcp.fd, c->in + c->in_len, c->in_cap - c->in_len,
			 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_kill(c, NULL);
			return;
		}
		if (n == 0) {
			/* the client went away: the session lives on until
			 * it reconnects or expires */
			conn_kill(c, NULL);
			return;
		}
		G.st.bytes_in += (uint64_t)n;
		c->in_len += (size_t)n;
		c->last_client_rx = G.now;
		budget -= (size_t)n < budget ? (size_t)n : budget;
		conn_pump(c);
		if (c->st == C_DEAD)
			return;
		update_pause(c);
	}
	if (c->st == C_DEAD)
		return;
	update_pause(c);
	out_want(c);
}

/* ------------------------------------------------------------------ */
/* Four-letter words                                                   */
/* ------------------------------------------------------------------ */

static void
admin_send(struct gw_conn *c)
{
	uint8_t d[64];
	int n = gw_admin_dgram(d, sizeof(d), c->word);

	if (n > 0 && send(c->adm.fd, d, (size_t)n, MSG_DONTWAIT) >= 0)
		G.st.udp_tx++;
	c->atries++;
	c->anext = G.now + ADMIN_RTO;
}

static int
admin_open(struct gw_conn *c, int srv)
{
	const struct gw_server *s = &G.cfg->servers[srv];
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->adm};
	int fd;

	if (c->adm.fd >= 0) {
		close(c->adm.fd);
		c->adm.fd = -1;
	}
	fd = socket(s->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&s->sa, s->salen) < 0 ||
	    epoll_ctl(G.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	c->adm.fd = fd;
	c->srv = srv;
	return 0;
}

static int
start_4lw(struct gw_conn *c, const uint8_t *w)
{
	char txt[160];
	int n;

	memcpy(c->word, w, 4);
	c->word[4] = 0;
	G.st.fourlw++;
	c->st = C_4LW;
	if (!gw_4lw_allowed(G.cfg->wl, c->word)) {
		G.st.fourlw_denied++;
		n = gw_4lw_refusal(txt, sizeof(txt), c->word);
		if (n > 0)
			out_put(c, txt, (size_t)n, NULL, 0);
		conn_closing(c);
		return -1;
	}
	if (gw_4lw_classify(w) != GW_4LW_FORWARD ||
	    admin_open(c, pick_server(-1)) != 0) {
		G.st.fourlw_failed++;
		conn_closing(c);
		return -1;
	}
	admin_send(c);
	out_want(c);
	conn_sched(c);
	return -1; /* nothing more is read from this connection */
}

static void
append_counters(char *buf, size_t cap, size_t *len)
{
#define X(name)                                                                \
	if (*len < cap) {                                                      \
		int k = snprintf(buf + *len, cap - *len,                       \
				 "gateway_" #name "\t%" PRIu64 "\n",           \
				 G.st.name);                                   \
		if (k > 0)                                                     \
			*len += (size_t)k < cap - *len ? (size_t)k             \
						       : cap - *len - 1;       \
	}
	GW_COUNTERS(X)
#undef X
}

static void
admin_input(struct gw_conn *c)
{
	uint8_t d[2048];
	char *out;
	size_t ol, cap;
	ssize_t n;
	int rc;

	if (c->st != C_4LW)
		return;
	n = recv(c->adm.fd, d, sizeof(d), MSG_DONTWAIT);
	if (n < 0)
		return; /* EAGAIN, or ICMP unreachable: the timer retries */
	G.st.udp_rx++;
	rc = gw_admin_asm_put(&c->aasm, d, (size_t)n);
	if (rc < 0) {
		G.st.udp_bad++;
		return;
	}
	if (rc == 0)
		return; /* more fragments to come (or a retry asks again) */
	cap = (size_t)c->aasm.len + 8192; /* room for the gateway_ lines */
	out = malloc(cap);
	if (out == NULL) {
		G.st.fourlw_failed++;
		conn_closing(c);
		return;
	}
	memcpy(out, c->aasm.text, c->aasm.len);
	ol = c->aasm.len;
	out[ol] = 0;
	if (strcmp(c->word, "mntr") == 0 &&
	    (ol < 16 || strstr(out, "not executed") == NULL)) {
		if (ol > 0 && out[ol - 1] != '\n')
			out[ol++] = '\n';
		append_counters(out, cap, &ol);
	}
	out_put(c, out, ol, NULL, 0);
	free(out);
	conn_closing(c);
}

static void
admin_timer(struct gw_conn *c)
{
	if (G.now < c->anext)
		return;
	if (c->atries >= ADMIN_TRIES) {
		G.st.fourlw_failed++;
		conn_closing(c);
		return;
	}
	if (G.cfg->nservers > 1 &&
	    admin_open(c, (c->srv + 1) % G.cfg->nservers) != 0) {
		G.st.fourlw_failed++;
		conn_closing(c);
		return;
	}
	gw_admin_asm_reset(&c->aasm); /* a fresh try: a fresh answer */
	admin_send(c);
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */
/* ------------------------------------------------------------------ */

/* The upstream liveness period (proto_liveness_*, as libdpzk's): a server
 * silent that long with data outstanding or replies owed is left and the
 * session reattached (upstream_lost), long before the 2/3 rule. */
static uint64_t
live_period(const struct gw_conn *c)
{
	return proto_liveness_period(&c->ch,
				     (uint64_t)c->timeout_ms * MS * 2 / 3);
}

static void
conn_sched(struct gw_conn *c)
{
	uint64_t d = UINT64_MAX, t;

	switch (c->st) {
	case C_HELLO:
		d = c->t_open + HELLO_TIMEOUT;
		break;
	case C_4LW:
		d = c->anext;
		break;
	case C_CONNECTING:
		d = c->connect_next;
		if (c->server_deadline < d)
			d = c->server_deadline;
		if (c->connect_deadline < d)
			d = c->connect_deadline;
		break;
	case C_LIVE:
		t = (uint64_t)c->timeout_ms * MS;
		if (c->chan_up)
			proto_liveness_track(&c->live, &c->ch, c->q.n > 0,
					     c->last_rx, G.now, live_period(c));
		d = proto_chan_next_deadline(&c->ch);
		if (c->last_rx + t * 2 / 3 < d)
			d = c->last_rx + t * 2 / 3;
		if (c->chan_up) {
			uint64_t l = proto_liveness_deadline(
				&c->live, &c->ch, c->q.n > 0, c->last_rx,
				live_period(c));

			if (l < d)
				d = l;
		}
		if (c->last_tx + t / 3 < d)
			d = c->last_tx + t / 3;
		if (c->last_client_rx + t < d)
			d = c->last_client_rx + t;
		break;
	case C_CLOSING:
		d = c->t_closing + CLOSING_TIMEOUT;
		break;
	case C_DEAD:
		return;
	}
	heap_set(c, d);
}

/* The upstream channel is gone (silent, or a CLOSE that does not end the
 * session): attach the session to the next server, under the live
 * client, which only sees its requests wait.  Past the session timeout since
 * the last sign of life the session has expired: close, and the client learns
 * it when it reconnects. */
static void
upstream_lost(struct gw_conn *c)
{
	uint64_t t = (uint64_t)c->timeout_ms * MS;

	G.srv_down_until[c->srv] = G.now + SERVER_DOWN_FOR;
	VLOG("%s: upstream %s lost\n", c->peer, G.cfg->servers[c->srv].name);
	if (!c->reattaching)
		c->lost_at = c->last_rx;
	if (G.now >= c->lost_at + t || c->close_session_sent) {
		conn_kill(c, &G.st.closed_upstream_lost);
		return;
	}
	G.st.reattach_started++;
	c->reattaching = true;
	c->chan_up = false;
	c->hello.last_zxid = c->last_zxid;
	c->hello.session_id = c->sid;
	c->hello.timeout = c->timeout_ms;
	memcpy(c->hello.passwd, c->passwd, PROTO_PASSWD_LEN);
	c->hello.passwd_len = PROTO_PASSWD_LEN;
	c->connect_deadline = c->lost_at + t;
	start_connect(c, pick_server(c->srv));
	conn_sched(c);
}

static void
conn_timer(struct gw_conn *c)
{
	uint64_t t;
	bool silent;

	switch (c->st) {
	case C_HELLO:
		if (G.now >= c->t_open + HELLO_TIMEOUT) {
			conn_kill(c, &G.st.closed_hello_timeout);
			return;
		}
		break;
	case C_4LW:
		admin_timer(c);
		break;
	case C_CONNECTING:
		if (G.now >= c->connect_deadline) {
			conn_kill(c, c->reattaching
					     ? &G.st.closed_upstream_lost
					     : &G.st.closed_connect_failed);
			return;
		}
		if (G.now >= c->server_deadline) {
			/* no answer (down, or behind the client's zxid):
			 * the next server, with a new nonce */
			G.srv_down_until[c->srv] = G.now + SERVER_DOWN_FOR;
			G.st.connect_server_switch++;
			start_connect(c, pick_server(c->srv));
		} else if (G.now >= c->connect_next) {
			send_connect(c);
		}
		break;
	case C_LIVE:
		t = (uint64_t)c->timeout_ms * MS;
		if (G.now - c->last_client_rx >= t) {
			/* half-open: ZooKeeper drops a silent connection
			 * after the session timeout too */
			conn_kill(c, &G.st.closed_client_timeout);
			return;
		}
		silent = c->chan_up &&
			 proto_liveness_dead(&c->live, c->last_rx, G.now,
					     live_period(c));
		if (proto_chan_timer(&c->ch, G.now) == -ETIMEDOUT ||
		    G.now - c->last_rx >= t * 2 / 3 || silent) {
			if (silent)
				G.st.upstream_unresponsive++;
			upstream_lost(c);
			return;
		}
		if (G.now - c->last_tx >= t / 3)
			proto_chan_ping(&c->ch, G.now);
		if (c->st == C_DEAD)
			return;
		break;
	case C_CLOSING:
		if (G.now >= c->t_closing + CLOSING_TIMEOUT) {
			conn_kill(c, &G.st.closed_slow_client);
			return;
		}
		break;
	case C_DEAD:
		return;
	}
	conn_sched(c);
}

static void
run_timers(void)
{
	/* bounded: a connection whose deadline stays in the past is put
	 * 1 ms ahead, so every one is visited at most once per pass */
	for (uint32_t k = 0; k < 4 * G.heap_n + 16 && G.heap_n > 0 &&
			     G.heap[0]->deadline <= G.now;
	     k++) {
		struct gw_conn *c = G.heap[0];

		conn_timer(c);
		if (c->st != C_DEAD && c->hidx && c->deadline <= G.now)
			heap_set(c, G.now + MS);
	}
}

/* ------------------------------------------------------------------ */
/* UDP input                                                           */
/* ------------------------------------------------------------------ */

/* After the channel ran: act on what its callbacks noted. */
static void
after_upstream(struct gw_conn *c, int rc)
{
	if (c->st != C_LIVE)
		return;
	if (rc == 0)
		c->last_rx = G.now;
	if (c->close_reason) {
		/* expired, auth failed, moved, or the server stops: relay
		 * what came before it, then close; the client reconnects
		 * and learns which (timeOut 0 when expired) */
		VLOG("%s: upstream CLOSE %d\n", c->peer, c->close_reason);
		if (c->close_reason == PROTO_ZSESSIONEXPIRED ||
		    c->close_reason == PROTO_ZAUTHFAILED ||
		    c->close_reason == PROTO_ZSESSIONMOVED) {
			G.st.closed_upstream_close++;
			conn_closing(c);
		} else {
			/* e.g. the server shuts down: another one */
			upstream_lost(c);
		}
		return;
	}
	if (rc == -ETIMEDOUT) {
		upstream_lost(c);
		return;
	}
	if (c->close_after_reply) {
		if (c->close_session_sent)
			proto_chan_ack_now(&c->ch, G.now);
		conn_closing(c);
		return;
	}
	conn_pump(c);
	if (c->st == C_DEAD)
		return;
	update_pause(c);
	conn_sched(c);
}

static void
udp_dgram(const uint8_t *d, size_t len)
{
	struct proto_dgram_hdr h;
	struct gw_conn *c;
	int rc;

	G.st.udp_rx++;
	if (proto_dgram_hdr_decode(d, len, &h) != 0) {
		G.st.udp_bad++;
		return;
	}
	if (h.kind == PROTO_K_CONNECTED) {
		c = nonce_find(h.ack);
		if (c == NULL || c->st != C_CONNECTING) {
			G.st.udp_unknown_session++;
			return;
		}
		on_connected(c, d, len, &h);
		if (c->st == C_LIVE) {
			conn_pump(c);
			if (c->st != C_DEAD) {
				update_pause(c);
				out_want(c);
				conn_sched(c);
			}
		}
		return;
	}
	c = sid_find(h.session_id);
	if (c == NULL || c->st != C_LIVE) {
		G.st.udp_unknown_session++;
		return;
	}
	if (h.kind == PROTO_K_CLOSE && h.seq == 0 &&
	    proto_dgram_verify(d, len, zero_key) == 0) {
		/* the server has no state for this connection: it
		 * restarted, or the session moved to another connection
		 * (its client went to another gateway), and taking it back
		 * would steal it; so the client decides — close, and it
		 * reconnects (and learns) if it is still there */
		VLOG("%s: stateless CLOSE\n", c->peer);
		G.st.closed_upstream_close++;
		conn_closing(c);
		return;
	}
	c->close_reason = 0;
	rc = proto_chan_input(&c->ch, d, len, G.now);
	after_upstream(c, rc);
}

static void
udp_read(struct gw_ep *u)
{
	struct mmsghdr mm[UDP_BURST];
	struct iovec iov[UDP_BURST];
	int total = 0;

	while (total < UDP_BUDGET) {
		int n;

		for (int i = 0; i < UDP_BURST; i++) {
			iov[i].iov_base = G.udpbuf[i];
			iov[i].iov_len = 65536;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(u->fd, mm, UDP_BURST, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			udp_dgram(G.udpbuf[i], mm[i].msg_len);
		total += n;
		if (n < UDP_BURST)
			break;
	}
}

/* ------------------------------------------------------------------ */
/* Accept                                                              */
/* ------------------------------------------------------------------ */

static void
peer_name(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			port = ntohs(a->sin6_port);
		}
	}
	snprintf(buf, cap, "%s:%u", host, port);
}

static void
do_accept(struct gw_ep *l)
{
	for (int k = 0; k < 256; k++) {
		struct epoll_event ev;
		struct gw_conn *c;
		int one = 1;
		int fd = accept4(l->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: stop accepting for a
				 * moment instead of spinning on the backlog */
				struct epoll_event ev = {.events = 0,
							 .data.ptr = l};

				G.st.accept_fail++;
				epoll_ctl(G.ep, EPOLL_CTL_MOD, l->fd, &ev);
				G.accept_paused_until = G.now + 100 * MS;
			}
			return;
		}
		if (G.st.conns_open >= G.cfg->max_conns) {
			G.st.conns_refused_max++;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->tcp.type = EP_TCP;
		c->tcp.fd = fd;
		c->tcp.owner = c;
		c->adm.type = EP_ADMIN;
		c->adm.fd = -1;
		c->adm.owner = c;
		c->st = C_HELLO;
		c->t_open = c->last_client_rx = G.now;
		c->srv = 0;
		gw_xidq_init(&c->q, MAX_PENDING);
		if (G.cfg->verbose)
			peer_name(fd, c->peer, sizeof(c->peer));
		else
			snprintf(c->peer, sizeof(c->peer), "fd%d", fd);
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = &c->tcp;
		if (epoll_ctl(G.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->epmask = ev.events;
		G.st.conns_accepted++;
		G.st.conns_open++;
		conn_sched(c);
	}
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

static void
print_counters(FILE *f)
{
	fprintf(f, "dpzk-gateway counters:\n");
#define X(name) fprintf(f, "  %-24s %" PRIu64 "\n", #name, G.st.name);
	GW_COUNTERS(X)
#undef X
	fflush(f);
}

static int
listen_on(const char *host, uint16_t port, int family, bool dual)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				 .ai_family = family},
			*ai = NULL;
	char ps[8];
	int fd, one = 1, zero = 0, rc;
	struct epoll_event ev;

	snprintf(ps, sizeof(ps), "%u", port);
	rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc != 0 || ai == NULL)
		return -EADDRNOTAVAIL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		rc = -errno;
		freeaddrinfo(ai);
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one,
			   sizeof(int));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0) {
		rc = -errno;
		close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	G.lst[G.nlst].type = EP_LISTEN;
	G.lst[G.nlst].fd = fd;
	ev.events = EPOLLIN;
	ev.data.ptr = &G.lst[G.nlst];
	if (epoll_ctl(G.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	G.nlst++;
	return 0;
}

static int
udp_open(struct gw_ep *u, int family)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = u};
	int sz = 8 << 20;

	u->type = EP_UDP;
	u->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return -errno;
	if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(u->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (epoll_ctl(G.ep, EPOLL_CTL_ADD, u->fd, &ev) < 0)
		return -errno;
	return 0;
}

static void
raise_nofile(uint32_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit up = {want, want};

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return;
	}
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want
				      ? rl.rlim_max
				      : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
setup(const struct gw_config *cfg)
{
	sigset_t ss;
	struct epoll_event ev;
	bool v4 = false, v6 = false;
	int rc;

	memset(&G, 0, sizeof(G));
	G.cfg = cfg;
	G.udp4.fd = G.udp6.fd = G.sig.fd = -1;
	if (sodium_init() < 0)
		return -ENOSYS;
	raise_nofile(cfg->max_conns * 2 + 64);
	proto_chan_cfg_default(&G.ccfg);
	G.ccfg.tx_window = 32;
	G.ccfg.rx_window = 64;
	G.ccfg.tx_bytes = 64 * 1024;
	G.ccfg.rx_bytes = 64 * 1024;
	G.ccfg.max_retries = 1000; /* dead_ns (2/3 of the timeout) decides */
	G.ch_mem = proto_chan_mem_size(&G.ccfg);
	G.scratch = malloc(SCRATCH_BYTES);
	for (int i = 0; i < UDP_BURST; i++)
		if ((G.udpbuf[i] = malloc(65536)) == NULL)
			return -ENOMEM;
	if (G.ch_mem == 0 || G.scratch == NULL)
		return -ENOMEM;
	G.ep = epoll_create1(EPOLL_CLOEXEC);
	if (G.ep < 0)
		return -errno;
	for (int i = 0; i < cfg->nservers; i++) {
		if (cfg->servers[i].sa.ss_family == AF_INET6)
			v6 = true;
		else
			v4 = true;
	}
	if (v4 && (rc = udp_open(&G.udp4, AF_INET)) < 0)
		return rc;
	if (v6 && (rc = udp_open(&G.udp6, AF_INET6)) < 0)
		return rc;
	G.txb4.fd = G.udp4.fd;
	G.txb6.fd = G.udp6.fd;
	G.txb4.buf = v4 ? malloc(TXB_MAX * TXB_DGRAM) : NULL;
	G.txb6.buf = v6 ? malloc(TXB_MAX * TXB_DGRAM) : NULL;
	if (cfg->bind[0]) {
		/* "::" is dual-stack, as the default */
		rc = listen_on(cfg->bind, cfg->port, AF_UNSPEC,
			       strcmp(cfg->bind, "::") == 0);
	} else {
		rc = listen_on("::", cfg->port, AF_INET6, true);
		if (rc < 0) /* no IPv6 here: IPv4 only */
			rc = listen_on("0.0.0.0", cfg->port, AF_INET, false);
	}
	if (rc < 0)
		return rc;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	G.sig.type = EP_SIGNAL;
	G.sig.fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (G.sig.fd < 0)
		return -errno;
	ev.events = EPOLLIN;
	ev.data.ptr = &G.sig;
	if (epoll_ctl(G.ep, EPOLL_CTL_ADD, G.sig.fd, &ev) < 0)
		return -errno;
	return 0;
}

static void
on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(G.sig.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			print_counters(stdout);
		else
			G.stop = true;
	}
}

static void
on_tcp(struct gw_conn *c, uint32_t evs)
{
	if (c->st == C_DEAD)
		return;
	if (evs & EPOLLOUT) {
		if (!out_flush(c))
			return;
	}
	if (evs & (EPOLLHUP | EPOLLERR)) {
		/* gone both ways (or reset): nobody to answer any more */
		conn_kill(c, NULL);
		return;
	}
	if ((evs & (EPOLLIN | EPOLLRDHUP)) && reading(c))
		conn_read(c);
	if (c->st != C_DEAD)
		conn_sched(c);
}

static void
print_ready(void)
{
	char l[128];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	if (getsockname(G.lst[0].fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)&ss)->sin6_addr,
				  host, sizeof(host));
		else
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&ss)->sin_addr, host,
				  sizeof(host));
	}
	snprintf(l, sizeof(l), ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 host, G.cfg->port);
	printf("dpzk-gateway: listening on %s ->", l);
	for (int i = 0; i < G.cfg->nservers; i++)
		printf("%s%s", i ? "," : " ", G.cfg->servers[i].name);
	printf("\n");
	fflush(stdout);
}

int
gw_run(const struct gw_config *cfg)
{
	struct epoll_event evs[EP_EVENTS];
	int rc = setup(cfg);

	if (rc < 0) {
		fprintf(stderr, "dpzk-gateway: cannot start: %s\n",
			strerror(-rc));
		return rc;
	}
	print_ready();
	while (!G.stop) {
		int n, wait_ms = -1;

		G.now = now_ns();
		if (G.heap_n > 0) {
			uint64_t d = G.heap[0]->deadline;

			wait_ms = d <= G.now ? 0
					     : (int)((d - G.now + MS - 1) / MS);
			if (wait_ms > 1000)
				wait_ms = 1000;
		}
		if (G.accept_paused_until && (wait_ms < 0 || wait_ms > 100))
			wait_ms = 100;
		n = epoll_wait(G.ep, evs, EP_EVENTS, wait_ms);
		G.now = now_ns();
		for (int i = 0; i < n; i++) {
			struct gw_ep *e = evs[i].data.ptr;

			switch (e->type) {
			case EP_LISTEN:
				do_accept(e);
				break;
			case EP_UDP:
				udp_read(e);
				break;
			case EP_SIGNAL:
				on_signal();
				break;
			case EP_TCP:
				on_tcp(e->owner, evs[i].events);
				break;
			case EP_ADMIN:
				admin_input(e->owner);
				break;
			}
		}
		run_timers();
		udp_flush();
		reap();
		if (G.accept_paused_until && G.now >= G.accept_paused_until) {
			G.accept_paused_until = 0;
			for (int i = 0; i < G.nlst; i++) {
				struct epoll_event ev = {.events = EPOLLIN,
							 .data.ptr = &G.lst[i]};

				epoll_ctl(G.ep, EPOLL_CTL_MOD, G.lst[i].fd,
					  &ev);
			}
		}
	}
	print_counters(stdout);
	/* Sessions stay alive: clients may move to another gateway. */
	return 0;
}
