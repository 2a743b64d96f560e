/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client/dpzk_core.c — libdpzk's engine: the UDP socket (or the
 * application's own datagram transport, dpzk_init_transport), the connect
 * handshake, the session channel (proto/channel.c), reconnects and server
 * failover, pings, the watch registry, and the dispatch queue.
 *
 * Why it is built this way: the channel is a pure state machine that calls
 * back (emit, deliver) from inside proto_chan_input; user callbacks must
 * never run there (they may issue blocking calls, which would re-enter the
 * channel).  So deliver only decodes the ReplyHeader, matches the reply to
 * its pending request, copies the message and appends it to one FIFO
 * (dpzk_cq) together with events and session changes; dpzk_process drains
 * the FIFO after the socket and timers are done.  One FIFO keeps the
 * server's order of replies and events intact all the way to the user.
 *
 * Requests stay in the pending list (encoded) until their reply arrives,
 * across reconnects: after a new CONNECTED they are resent in order with
 * their original xid, and the server's per-session (xid → reply) memory
 * turns a retried write into its first result (docs/PROTOCOL.md §8).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sodium.h>

#include "client/dpzk_priv.h"

#define MS		 1000000ull
#define CONNECT_RTO_INIT (20 * MS)
#define CONNECT_RTO_MAX	 (1000 * MS)
#define RECV_BURST	 256

static const uint8_t zero_key[16];

uint64_t
dpzk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
timeout_ns(const struct dpzk_handle *zh)
{
	int t = zh->neg_timeout_ms > 0 ? zh->neg_timeout_ms
				       : zh->req_timeout_ms;

	return (uint64_t)t * MS;
}

/* ------------------------------------------------------------------ */
/* Chroot                                                              */
/* ------------------------------------------------------------------ */

char *
dpzk_server_path(const struct dpzk_handle *zh, const char *path, size_t len)
{
	size_t cl = zh->chroot ? zh->chroot_len : 0;
	char *sp;

	if (cl && len == 1 && path[0] == '/')
		len = 0; /* "/" is the chroot itself */
	sp = malloc(cl + len + 1);
	if (sp == NULL)
		return NULL;
	if (cl)
		memcpy(sp, zh->chroot, cl);
	memcpy(sp + cl, path, len);
	sp[cl + len] = '\0';
	return sp;
}

const char *
dpzk_client_path(const struct dpzk_handle *zh, const char *sp)
{
	size_t cl = zh->chroot_len;

	if (zh->chroot == NULL)
		return sp;
	if (strncmp(sp, zh->chroot, cl) != 0)
		return NULL;
	if (sp[cl] == '\0')
		return "/";
	return sp[cl] == '/' ? sp + cl : NULL;
}

/* ------------------------------------------------------------------ */
/* Queues                                                              */
/* ------------------------------------------------------------------ */

void
dpzk_cq_push(struct dpzk_handle *zh, struct dpzk_cq *q)
{
	q->next = NULL;
	if (zh->qt)
		zh->qt->next = q;
	else
		zh->qh = q;
	zh->qt = q;
}

static void
push_session(struct dpzk_handle *zh, int state)
{
	struct dpzk_cq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return;
	q->type = DPZK_CQ_SESSION;
	q->state = state;
	dpzk_cq_push(zh, q);
}

static void
push_fail(struct dpzk_handle *zh, struct dpzk_pending *p, int rc)
{
	struct dpzk_cq *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		dpzk_pending_free(p);
		return;
	}
	q->type = DPZK_CQ_FAIL;
	q->p = p;
	q->rc = rc;
	dpzk_cq_push(zh, q);
}

struct dpzk_pending *
dpzk_pending_new(struct dpzk_handle *zh, int32_t op, const char *path)
{
	struct dpzk_pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	if (path && (p->path = strdup(path)) == NULL) {
		free(p);
		return NULL;
	}
	p->op = op;
	p->auth_index = -1;
	p->xid = zh->next_xid++;
	if (zh->next_xid <= 0)
		zh->next_xid = 1;
	return p;
}

void
dpzk_pending_free(struct dpzk_pending *p)
{
	if (p == NULL)
		return;
	free(p->path);
	free(p->msg);
	free(p);
}

static void
pending_append(struct dpzk_handle *zh, struct dpzk_pending *p)
{
	p->next = NULL;
	if (zh->pt)
		zh->pt->next = p;
	else
		zh->ph = p;
	zh->pt = p;
	zh->npending++;
	if (zh->unsent == NULL && !p->sent)
		zh->unsent = p;
}

static void
pending_unlink(struct dpzk_handle *zh, struct dpzk_pending *prev,
	       struct dpzk_pending *p)
{
	if (prev)
		prev->next = p->next;
	else
		zh->ph = p->next;
	if (zh->pt == p)
		zh->pt = prev;
	if (zh->unsent == p)
		zh->unsent = p->next;
	p->next = NULL;
	zh->npending--;
}

/* Fails every pending request (e.g. expired, closing). */
static void
fail_all(struct dpzk_handle *zh, int rc)
{
	struct dpzk_pending *p = zh->ph, *n;

	zh->ph = zh->pt = zh->unsent = NULL;
	zh->npending = 0;
	for (; p; p = n) {
		n = p->next;
		push_fail(zh, p, rc);
	}
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */
/* ------------------------------------------------------------------ */

/* Sends queued requests, oldest first, while the channel takes them
 * (-EAGAIN: window full, the rest waits for acks).  zh->unsent is the
 * first request not yet on this connection, so this is O(new requests). */
static void
flush_sends(struct dpzk_handle *zh)
{
	struct dpzk_pending *p;

	if (!zh->chan_up)
		return;
	for (p = zh->unsent; p; p = p->next) {
		int rc = proto_chan_send(&zh->ch, PROTO_K_REQUEST, p->msg,
					 p->len, zh->now);

		if (rc < 0)
			break; /* -EAGAIN, or -ETIMEDOUT: reconnect soon */
		p->sent = true;
	}
	zh->unsent = p;
}

int
dpzk_submit(struct dpzk_handle *zh, struct dpzk_pending *p)
{
	if (zh->terminal) {
		dpzk_pending_free(p);
		return DPZK_ZINVALIDSTATE;
	}
	if (p->len > PROTO_CHAN_MAX_MSG) {
		dpzk_pending_free(p);
		return DPZK_ZBADARGUMENTS;
	}
	zh->now = dpzk_now();
	p->sent = false;
	p->t_queued = zh->now;
	pending_append(zh, p);
	flush_sends(zh);
	return DPZK_ZOK;
}

/* ------------------------------------------------------------------ */
/* Watches                                                             */
/* ------------------------------------------------------------------ */

void
dpzk_watch_add(struct dpzk_handle *zh, const char *path, enum dpzk_wkind kind,
	       dpzk_watcher_fn *fn, void *ctx)
{
	struct dpzk_wreg *r;

	for (size_t i = 0; i < zh->nw; i++) {
		r = &zh->w[i];
		if (r->kind == kind && r->fn == fn && r->ctx == ctx &&
		    strcmp(r->path, path) == 0)
			return;
	}
	if (zh->nw == zh->capw) {
		size_t cap = zh->capw ? 2 * zh->capw : 16;
		struct dpzk_wreg *w = realloc(zh->w, cap * sizeof(*w));

		if (w == NULL)
			return;
		zh->w = w;
		zh->capw = cap;
	}
	r = &zh->w[zh->nw];
	r->path = strdup(path);
	if (r->path == NULL)
		return;
	r->kind = kind;
	r->fn = fn;
	r->ctx = ctx;
	zh->nw++;
}

static bool
wtype_covers(int wtype, enum dpzk_wkind k)
{
	switch (wtype) {
	case DPZK_WATCHER_CHILDREN:
		return k == DPZK_W_CHILD;
	case DPZK_WATCHER_DATA:
		return k == DPZK_W_DATA || k == DPZK_W_EXIST;
	case DPZK_WATCHER_ANY:
		return true;
	case DPZK_WATCHER_PERSISTENT:
		return k == DPZK_W_PERSISTENT;
	case DPZK_WATCHER_PERSISTENT_RECURSIVE:
		return k == DPZK_W_RECURSIVE;
	default:
		return false;
	}
}

int
dpzk_watch_remove(struct dpzk_handle *zh, const char *path, int wtype,
		  dpzk_watcher_fn *fn, void *ctx)
{
	int n = 0;

	for (size_t i = 0; i < zh->nw;) {
		struct dpzk_wreg *r = &zh->w[i];

		if (strcmp(r->path, path) == 0 &&
		    wtype_covers(wtype, r->kind) &&
		    (fn == NULL || (r->fn == fn && r->ctx == ctx))) {
			free(r->path);
			zh->w[i] = zh->w[--zh->nw];
			n++;
			continue;
		}
		i++;
	}
	return n;
}

static bool
is_under(const char *path, const char *base)
{
	size_t n = strlen(base);

	if (strcmp(path, base) == 0)
		return true;
	if (n == 1 && base[0] == '/')
		return path[0] == '/';
	return strncmp(path, base, n) == 0 && path[n] == '/';
}

struct wcall {
	dpzk_watcher_fn *fn;
	void *ctx;
};

/* ZooKeeper's materialize(): which registrations an event fires, one-time
 * ones removed, each distinct watcher called once. */
static void
fire_event(struct dpzk_handle *zh, int type, int state, const char *path)
{
	struct wcall calls[64];
	int nc = 0;

	for (size_t i = 0; i < zh->nw;) {
		struct dpzk_wreg *r = &zh->w[i];
		bool same = strcmp(r->path, path) == 0, hit = false,
		     once = true;

		switch (r->kind) {
		case DPZK_W_DATA:
		case DPZK_W_EXIST:
			hit = same && (type == DPZK_CREATED_EVENT ||
				       type == DPZK_CHANGED_EVENT ||
				       type == DPZK_DELETED_EVENT);
			break;
		case DPZK_W_CHILD:
			hit = same && (type == DPZK_CHILD_EVENT ||
				       type == DPZK_DELETED_EVENT);
			break;
		case DPZK_W_PERSISTENT:
			hit = same;
			once = false;
			break;
		case DPZK_W_RECURSIVE:
			hit = is_under(path, r->path) &&
			      type != DPZK_CHILD_EVENT;
			once = false;
			break;
		default:
			break;
		}
		if (hit) {
			bool dup = false;

			for (int k = 0; k < nc; k++)
				if (calls[k].fn == r->fn &&
				    calls[k].ctx == r->ctx)
					dup = true;
			if (!dup && nc < 64) {
				calls[nc].fn = r->fn;
				calls[nc].ctx = r->ctx;
				nc++;
			}
		}
		if (hit && once) {
			free(r->path);
			zh->w[i] = zh->w[--zh->nw];
			continue;
		}
		i++;
	}
	for (int k = 0; k < nc; k++) {
		dpzk_watcher_fn *fn = calls[k].fn ? calls[k].fn : zh->watcher;
		void *ctx = calls[k].fn ? calls[k].ctx : zh->context;

		if (fn)
			fn(zh, type, state, path, ctx);
	}
}

/* ------------------------------------------------------------------ */
/* Channel callbacks                                                   */
/* ------------------------------------------------------------------ */

/* One datagram to the current server: the socket, or the transport. */
static int
send_dgram(struct dpzk_handle *zh, const void *dgram, size_t len)
{
	const struct dpzk_server *s = &zh->servers[zh->cur];

	if (zh->has_tp)
		return zh->tp.send(zh->tp.ctx, (const struct sockaddr *)&s->sa,
				   (size_t)s->salen, dgram, len);
	if (zh->fd < 0)
		return -EBADF;
	if (send(zh->fd, dgram, len, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static int
chan_emit(void *ctx, const void *dgram, size_t len)
{
	struct dpzk_handle *zh = ctx;
	int rc = send_dgram(zh, dgram, len);

	if (rc == 0)
		zh->last_tx = zh->now;
	return rc;
}

static struct dpzk_cq *
cq_with_copy(enum dpzk_cq_type type, const void *msg, size_t len)
{
	struct dpzk_cq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->type = type;
	q->msg = malloc(len ? len : 1);
	if (q->msg == NULL) {
		free(q);
		return NULL;
	}
	memcpy(q->msg, msg, len);
	q->len = len;
	return q;
}

static void
chan_deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	struct dpzk_handle *zh = ctx;
	struct proto_rbuf r;
	struct proto_reply_hdr rh;
	struct dpzk_pending *p, *prev = NULL;
	struct dpzk_cq *q;

	if (kind != PROTO_K_REPLY && kind != PROTO_K_EVENT)
		return;
	proto_rbuf_init(&r, msg, len);
	if (proto_reply_hdr_decode(&r, &rh) != 0)
		return;
	if (rh.zxid > zh->last_zxid)
		zh->last_zxid = rh.zxid;
	if (kind == PROTO_K_EVENT || rh.xid == PROTO_XID_NOTIFICATION) {
		q = cq_with_copy(DPZK_CQ_EVENT, msg, len);
		if (q)
			dpzk_cq_push(zh, q);
		return;
	}
	for (p = zh->ph; p; prev = p, p = p->next)
		if (p->xid == rh.xid && p->sent)
			break;
	if (p == NULL)
		return; /* a reply nobody waits for: late duplicate */
	pending_unlink(zh, prev, p);
	q = cq_with_copy(DPZK_CQ_REPLY, msg, len);
	if (q == NULL) {
		push_fail(zh, p, DPZK_ZSYSTEMERROR);
		return;
	}
	q->p = p;
	q->rc = rh.err;
	dpzk_cq_push(zh, q);
}

/* An authenticated CLOSE from the server: payload int32 reason.  Acted
 * upon after proto_chan_input returns (the channel must not be reset from
 * inside its own callback). */
static void
chan_control(void *ctx, const struct proto_dgram_hdr *h, const void *payload,
	     size_t len)
{
	struct dpzk_handle *zh = ctx;
	const uint8_t *b = payload;

	if (h->kind != PROTO_K_CLOSE)
		return;
	zh->close_reason = DPZK_ZSESSIONEXPIRED;
	if (len >= 4)
		zh->close_reason =
			(int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
				  (uint32_t)b[2] << 8 | b[3]);
	if (zh->close_reason == 0)
		zh->close_reason = DPZK_ZSESSIONEXPIRED;
}

/* ------------------------------------------------------------------ */
/* Connecting                                                          */
/* ------------------------------------------------------------------ */

static void
set_terminal(struct dpzk_handle *zh, int rc, int state)
{
	if (zh->terminal)
		return;
	zh->terminal = true;
	zh->terminal_rc = rc;
	zh->state = state;
	zh->chan_up = false;
	fail_all(zh, rc);
	push_session(zh, state);
	if (zh->fd >= 0) {
		close(zh->fd);
		zh->fd = -1;
	}
}

static int
open_server(struct dpzk_handle *zh)
{
	const struct dpzk_server *s = &zh->servers[zh->cur];
	int fd;

	if (zh->fd >= 0) {
		close(zh->fd);
		zh->fd = -1;
	}
	if (zh->has_tp)
		return 0; /* the transport addresses each datagram */
	fd = socket(s->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&s->sa, s->salen) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	zh->fd = fd;
	return 0;
}

static void
send_connect(struct dpzk_handle *zh)
{
	uint8_t d[PROTO_DGRAM_HDR_LEN + 64];
	struct proto_connect_req c = {
		.protocol_version = 0,
		.last_zxid_seen = zh->last_zxid,
		.timeout = zh->req_timeout_ms,
		.session_id = zh->cid.session_id,
		.passwd = {(const uint8_t *)zh->cid.passwd, 16},
		.read_only = 0,
	};
	int n = proto_chan_connect_dgram(d, sizeof(d), &c, zh->nonce);

	if (n > 0 && send_dgram(zh, d, (size_t)n) == 0)
		zh->last_tx = zh->now;
	zh->connect_next = zh->now + zh->connect_rto;
	zh->connect_rto = zh->connect_rto * 2 > CONNECT_RTO_MAX
				  ? CONNECT_RTO_MAX
				  : zh->connect_rto * 2;
}

/* Starts a connection attempt (to the next server when `next`). */
static void
start_connect(struct dpzk_handle *zh, bool next)
{
	/* per server: a third of the session timeout, within [0.3 s, 2 s] */
	uint64_t budget = timeout_ns(zh) / 3;

	if (zh->terminal)
		return;
	if (zh->chan_up || zh->state == DPZK_CONNECTED_STATE)
		push_session(zh, DPZK_CONNECTING_STATE);
	zh->chan_up = false;
	zh->state = DPZK_CONNECTING_STATE;
	if (zh->disconnected_since == 0)
		zh->disconnected_since = zh->now;
	if (next)
		zh->cur = (zh->cur + 1) % zh->nservers;
	if (budget > 2000 * MS)
		budget = 2000 * MS;
	if (budget < 300 * MS)
		budget = 300 * MS;
	zh->server_deadline = zh->now + budget;
	zh->connect_rto = CONNECT_RTO_INIT;
	randombytes_buf(&zh->nonce, sizeof(zh->nonce));
	if (zh->nonce == 0)
		zh->nonce = 1;
	if (open_server(zh) < 0) {
		zh->connect_next = zh->now + 100 * MS;
		return;
	}
	send_connect(zh);
}

/* Requests to send first on a new connection: the auth data (except
 * auths still waiting for their own reply, which are resent as they
 * are) and setWatches for every armed watch. */
static void
prime_connection(struct dpzk_handle *zh)
{
	struct dpzk_pending *head = NULL, *tail = NULL, *p, *prev = NULL, *n;

	/* a setWatches of an earlier connection that got no answer is
	 * replaced by a fresh one */
	for (p = zh->ph; p; p = n) {
		n = p->next;
		if (p->internal && (p->op == PROTO_OP_SETWATCHES ||
				    p->op == PROTO_OP_SETWATCHES2)) {
			pending_unlink(zh, prev, p);
			dpzk_pending_free(p);
			continue;
		}
		prev = p;
	}
	for (int i = 0; i < zh->nauths; i++) {
		struct proto_request q = {.type = PROTO_OP_AUTH};
		bool queued = false;

		for (p = zh->ph; p; p = p->next)
			if (p->auth_index == i)
				queued = true;
		if (queued)
			continue;
		p = dpzk_pending_new(zh, PROTO_OP_AUTH, NULL);
		if (p == NULL)
			continue;
		p->xid = PROTO_XID_AUTH;
		p->internal = true;
		p->auth_index = i;
		q.auth.type = 0;
		q.auth.scheme.p = (const uint8_t *)zh->auths[i].scheme;
		q.auth.scheme.len = (int32_t)strlen(zh->auths[i].scheme);
		q.auth.auth.p = zh->auths[i].cert;
		q.auth.auth.len = zh->auths[i].len;
		if (dpzk_encode_request(p, &q) != 0) {
			dpzk_pending_free(p);
			continue;
		}
		if (tail)
			tail->next = p;
		else
			head = p;
		tail = p;
	}
	if (zh->nw > 0) {
		struct proto_request q = {.type = PROTO_OP_SETWATCHES};
		struct proto_view *v = calloc(zh->nw, sizeof(*v));
		char **hold = calloc(zh->nw, sizeof(*hold));
		int idx[PROTO_WL_MAX] = {0};
		int cnt[PROTO_WL_MAX] = {0};
		int base[PROTO_WL_MAX];
		static const int list_of[] = {
			[DPZK_W_DATA] = PROTO_WL_DATA,
			[DPZK_W_EXIST] = PROTO_WL_EXIST,
			[DPZK_W_CHILD] = PROTO_WL_CHILD,
			[DPZK_W_PERSISTENT] = PROTO_WL_PERSISTENT,
			[DPZK_W_RECURSIVE] = PROTO_WL_PERSISTENT_RECURSIVE,
		};

		p = v && hold ? dpzk_pending_new(zh, PROTO_OP_SETWATCHES, NULL)
			      : NULL;
		if (p) {
			for (size_t i = 0; i < zh->nw; i++)
				cnt[list_of[zh->w[i].kind]]++;
			for (int l = 0, b = 0; l < PROTO_WL_MAX; l++) {
				base[l] = b;
				b += cnt[l];
			}
			for (size_t i = 0; i < zh->nw; i++) {
				int l = list_of[zh->w[i].kind];
				struct proto_view *e = &v[base[l] + idx[l]++];

				hold[i] =
					dpzk_server_path(zh, zh->w[i].path,
							 strlen(zh->w[i].path));
				e->p = (const uint8_t *)(hold[i] ? hold[i]
								 : "/");
				e->len = (int32_t)strlen((const char *)e->p);
			}
			for (int l = 0; l < PROTO_WL_MAX; l++) {
				q.watches[l].n = cnt[l];
				q.watches[l].v = &v[base[l]];
			}
			if (cnt[PROTO_WL_PERSISTENT] ||
			    cnt[PROTO_WL_PERSISTENT_RECURSIVE])
				q.type = PROTO_OP_SETWATCHES2;
			q.rel_zxid = zh->last_zxid;
			p->op = q.type;
			p->xid = PROTO_XID_SETWATCHES;
			p->internal = true;
			if (dpzk_encode_request(p, &q) != 0) {
				dpzk_pending_free(p);
			} else {
				if (tail)
					tail->next = p;
				else
					head = p;
				tail = p;
			}
		}
		for (size_t i = 0; hold && i < zh->nw; i++)
			free(hold[i]);
		free(hold);
		free(v);
	}
	for (p = zh->ph; p; p = p->next)
		p->sent = false;
	zh->unsent = head ? head : zh->ph;
	if (head) {
		int n = 0;

		for (p = head; p; p = p->next)
			n++;
		tail->next = zh->ph;
		if (zh->pt == NULL)
			zh->pt = tail;
		zh->ph = head;
		zh->npending += n;
	}
}

static void
on_connected(struct dpzk_handle *zh, const struct proto_dgram_hdr *h,
	     const uint8_t *d, size_t len)
{
	struct proto_connect_resp c;
	uint8_t key[16];
	struct proto_chan_cfg *cfg = &zh->ch.cfg;

	if (zh->state != DPZK_CONNECTING_STATE)
		return;
	if (proto_connect_resp_decode(d + PROTO_DGRAM_HDR_LEN, h->payload_len,
				      &c) != 0)
		return;
	if (proto_chan_connected_check(d, len, h, &c, zh->nonce, key) != 0)
		return;
	zh->last_rx = zh->now;
	if (c.timeout <= 0 || c.passwd.len != 16) {
		set_terminal(zh, DPZK_ZSESSIONEXPIRED,
			     DPZK_EXPIRED_SESSION_STATE);
		return;
	}
	zh->cid.session_id = c.session_id;
	memcpy(zh->cid.passwd, c.passwd.p, 16);
	zh->neg_timeout_ms = c.timeout;
	if (c.last_xid >= zh->next_xid) {
		/* Another handle (or gateway) wrote on this session: continue
		 * above its xids, with a gap for any of its writes still in
		 * flight, or ours would be taken for retries. */
		zh->next_xid = c.last_xid + DPZK_XID_GAP;
		if (zh->next_xid <= 0)
			zh->next_xid = 1;
	}
	proto_chan_reset(&zh->ch, c.session_id, key, zh->now);
	cfg->dead_ns = (uint64_t)c.timeout * MS * 2 / 3;
	cfg->rto_max_ns = (uint64_t)c.timeout * MS / 6;
	if (cfg->rto_max_ns < cfg->rto_init_ns)
		cfg->rto_max_ns = cfg->rto_init_ns;
	zh->chan_up = true;
	memset(&zh->live, 0, sizeof(zh->live));
	zh->state = DPZK_CONNECTED_STATE;
	zh->disconnected_since = 0;
	push_session(zh, DPZK_CONNECTED_STATE);
	prime_connection(zh);
	flush_sends(zh);
}

static void
conn_lost(struct dpzk_handle *zh, bool next)
{
	start_connect(zh, next && zh->nservers > 1);
}

static void
handle_dgram(struct dpzk_handle *zh, const uint8_t *d, size_t len)
{
	struct proto_dgram_hdr h;
	int rc;

	if (proto_dgram_hdr_decode(d, len, &h) != 0)
		return;
	if (h.kind == PROTO_K_CONNECTED) {
		on_connected(zh, &h, d, len);
		return;
	}
	if (h.kind == PROTO_K_CLOSE && h.seq == 0 &&
	    proto_dgram_verify(d, len, zero_key) == 0) {
		/* The server does not know this connection: ask again
		 * (it answers timeOut 0 if the session is gone). */
		if (zh->chan_up)
			conn_lost(zh, false);
		return;
	}
	if (!zh->chan_up)
		return;
	zh->close_reason = 0;
	rc = proto_chan_input(&zh->ch, d, len, zh->now);
	if (rc == 0)
		zh->last_rx = zh->now;
	if (zh->close_reason) {
		int why = zh->close_reason;

		zh->close_reason = 0;
		if (why == DPZK_ZAUTHFAILED)
			set_terminal(zh, DPZK_ZAUTHFAILED,
				     DPZK_AUTH_FAILED_STATE);
		else if (why == DPZK_ZSESSIONEXPIRED)
			set_terminal(zh, DPZK_ZSESSIONEXPIRED,
				     DPZK_EXPIRED_SESSION_STATE);
		else
			conn_lost(zh, true);
		return;
	}
	if (rc == -ETIMEDOUT)
		conn_lost(zh, true);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

static void
dispatch_reply(struct dpzk_handle *zh, struct dpzk_cq *q)
{
	struct dpzk_pending *p = q->p;
	int rc = q->rc;

	if (p->op == PROTO_OP_AUTH) {
		if (rc == DPZK_ZAUTHFAILED) {
			if (!p->internal)
				dpzk_complete(zh, p, rc, q->msg, q->len);
			set_terminal(zh, DPZK_ZAUTHFAILED,
				     DPZK_AUTH_FAILED_STATE);
			return;
		}
	}
	if (p->internal)
		return;
	if (p->wkind != DPZK_W_NONE && p->path &&
	    (rc == DPZK_ZOK ||
	     (rc == DPZK_ZNONODE && p->wkind == DPZK_W_EXIST)))
		dpzk_watch_add(zh, p->path, p->wkind, p->wfn, p->wctx);
	dpzk_complete(zh, p, rc, q->msg, q->len);
}

static void
dispatch_event(struct dpzk_handle *zh, struct dpzk_cq *q)
{
	struct proto_rbuf r;
	struct proto_reply_hdr rh;
	struct proto_watcher_event e;
	char *path;

	proto_rbuf_init(&r, q->msg, q->len);
	if (proto_reply_hdr_decode(&r, &rh) != 0 ||
	    proto_event_decode(&r, &e) != 0 || e.path.len < 0)
		return;
	path = strndup((const char *)e.path.p, (size_t)e.path.len);
	if (path == NULL)
		return;
	if (dpzk_client_path(zh, path))
		fire_event(zh, e.type, e.state, dpzk_client_path(zh, path));
	free(path);
}

static void
dispatch(struct dpzk_handle *zh)
{
	/* Bounded by what is queued now: callbacks may queue more, which
	 * the next call handles. */
	int budget = 4096;

	while (zh->qh && budget-- > 0) {
		struct dpzk_cq *q = zh->qh;

		zh->qh = q->next;
		if (zh->qh == NULL)
			zh->qt = NULL;
		switch (q->type) {
		case DPZK_CQ_REPLY:
			dispatch_reply(zh, q);
			break;
		case DPZK_CQ_FAIL:
			dpzk_complete(zh, q->p, q->rc, NULL, 0);
			break;
		case DPZK_CQ_EVENT:
			dispatch_event(zh, q);
			break;
		case DPZK_CQ_SESSION:
			if (zh->watcher)
				zh->watcher(zh, DPZK_SESSION_EVENT, q->state,
					    "", zh->context);
			break;
		}
		dpzk_pending_free(q->p);
		free(q->msg);
		free(q);
	}
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/* Requests that waited a whole session timeout without any server: the
 * session has most likely expired; give them back (CONNECTIONLOSS) while
 * the handle keeps trying to reconnect. */
static void
fail_stale_while_disconnected(struct dpzk_handle *zh)
{
	struct dpzk_pending *p = zh->ph, *prev = NULL, *n;
	uint64_t t = timeout_ns(zh);

	if (zh->disconnected_since == 0)
		return;
	for (; p; p = n) {
		uint64_t since = p->t_queued > zh->disconnected_since
					 ? p->t_queued
					 : zh->disconnected_since;

		n = p->next;
		if (p->internal || zh->now - since < t) {
			prev = p;
			continue;
		}
		pending_unlink(zh, prev, p);
		push_fail(zh, p, DPZK_ZCONNECTIONLOSS);
	}
}

/* The liveness period: proto_liveness_period, bounded by the 2/3 rule.
 * Moving early is safe: sessions are global and a retried write is applied
 * once. */
static uint64_t
live_period(const struct dpzk_handle *zh)
{
	return proto_liveness_period(&zh->ch, timeout_ns(zh) * 2 / 3);
}

int
dpzk_process(struct dpzk_handle *zh, uint64_t now)
{
	zh->now = now;
	if (!zh->terminal && zh->has_tp) {
		for (int i = 0; i < RECV_BURST; i++) {
			long n = zh->tp.recv(zh->tp.ctx, zh->rxbuf, DPZK_RXBUF);

			if (n < 0)
				break;
			handle_dgram(zh, zh->rxbuf, (size_t)n);
			if (zh->terminal)
				break;
		}
	} else if (!zh->terminal && zh->fd >= 0) {
		for (int i = 0; i < RECV_BURST; i++) {
			ssize_t n = recv(zh->fd, zh->rxbuf, DPZK_RXBUF,
					 MSG_DONTWAIT);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				break; /* EAGAIN, or ICMP errors: ignore */
			}
			handle_dgram(zh, zh->rxbuf, (size_t)n);
			if (zh->terminal || zh->fd < 0)
				break;
		}
	}
	if (!zh->terminal) {
		if (zh->chan_up) {
			uint64_t t = timeout_ns(zh);

			if (proto_chan_timer(&zh->ch, now) == -ETIMEDOUT ||
			    now - zh->last_rx >= t * 2 / 3 ||
			    proto_liveness_dead(&zh->live, zh->last_rx, now,
						live_period(zh)))
				conn_lost(zh, true);
			else if (now - zh->last_tx >= t / 3)
				proto_chan_ping(&zh->ch, now);
		} else {
			if (now >= zh->server_deadline)
				start_connect(zh, true);
			else if (now >= zh->connect_next)
				send_connect(zh);
			fail_stale_while_disconnected(zh);
		}
		if (zh->chan_up)
			proto_liveness_track(&zh->live, &zh->ch,
					     zh->npending > 0, zh->last_rx, now,
					     live_period(zh));
		flush_sends(zh);
	}
	dispatch(zh);
	if (zh->terminal)
		return zh->terminal_rc;
	return DPZK_ZOK;
}

uint64_t
dpzk_next_deadline(const struct dpzk_handle *zh)
{
	uint64_t d = UINT64_MAX, t = timeout_ns(zh);

	if (zh->qh)
		return zh->now;
	if (zh->terminal)
		return UINT64_MAX;
	if (zh->chan_up) {
		uint64_t c = proto_chan_next_deadline(&zh->ch);

		if (c < d)
			d = c;
		if (zh->last_rx + t * 2 / 3 < d)
			d = zh->last_rx + t * 2 / 3;
		c = proto_liveness_deadline(&zh->live, &zh->ch,
					    zh->npending > 0, zh->last_rx,
					    live_period(zh));
		if (c < d)
			d = c;
		if (zh->last_tx + t / 3 < d)
			d = zh->last_tx + t / 3;
	} else {
		d = zh->connect_next;
		if (zh->server_deadline < d)
			d = zh->server_deadline;
		for (const struct dpzk_pending *p = zh->ph;
		     p && zh->disconnected_since; p = p->next) {
			uint64_t since = p->t_queued > zh->disconnected_since
						 ? p->t_queued
						 : zh->disconnected_since;

			if (!p->internal && since + t < d)
				d = since + t;
		}
	}
	return d;
}

int
dpzk_poll_once(struct dpzk_handle *zh, int timeout_ms)
{
	uint64_t now = dpzk_now(), d = dpzk_next_deadline(zh), lim;
	struct pollfd pfd = {.fd = zh->fd, .events = POLLIN};
	struct timespec ts, *tsp = NULL;

	lim = timeout_ms < 0 ? UINT64_MAX : now + (uint64_t)timeout_ms * MS;
	if (lim < d)
		d = lim;
	if (d != UINT64_MAX) {
		uint64_t w = d > now ? d - now : 0;

		ts.tv_sec = (time_t)(w / 1000000000ull);
		ts.tv_nsec = (long)(w % 1000000000ull);
		tsp = &ts;
	}
	if (zh->qh == NULL && zh->has_tp) {
		if (zh->tp.wait != NULL)
			zh->tp.wait(zh->tp.ctx, d);
	} else if (zh->qh == NULL) {
		ppoll(&pfd, zh->fd >= 0 ? 1 : 0, tsp, NULL);
	}
	return dpzk_process(zh, dpzk_now());
}

int
dpzk_run_until(struct dpzk_handle *zh, const bool *done)
{
	int rc = DPZK_ZOK;

	zh->now = dpzk_now();
	/* Whatever is queued already (e.g. sent from a callback) goes
	 * first, then wait. */
	while (!*done) {
		rc = dpzk_poll_once(zh, -1);
		if (zh->terminal && zh->qh == NULL && !*done)
			break;
	}
	return rc;
}

int
dpzk_wait_connected(struct dpzk_handle *zh, int timeout_ms)
{
	uint64_t end = timeout_ms < 0 ? UINT64_MAX
				      : dpzk_now() + (uint64_t)timeout_ms * MS;

	for (;;) {
		uint64_t now;

		if (zh->terminal)
			return zh->terminal_rc;
		if (zh->state == DPZK_CONNECTED_STATE)
			return DPZK_ZOK;
		now = dpzk_now();
		if (now >= end)
			return DPZK_ZOPERATIONTIMEOUT;
		dpzk_poll_once(zh, end == UINT64_MAX
					   ? -1
					   : (int)((end - now + MS - 1) / MS));
	}
}

/* ------------------------------------------------------------------ */
/* Handles                                                             */
/* ------------------------------------------------------------------ */

static int
parse_hosts(struct dpzk_handle *zh, const char *hosts)
{
	char *copy = strdup(hosts), *save = NULL, *tok, *slash;
	int n = 0;

	if (copy == NULL)
		return -ENOMEM;
	slash = strchr(copy, '/');
	if (slash) {
		size_t l = strlen(slash);

		while (l > 1 && slash[l - 1] == '/')
			slash[--l] = '\0';
		if (strstr(slash, "//")) {
			free(copy);
			return -EINVAL;
		}
		if (l > 1) {
			zh->chroot = strdup(slash);
			zh->chroot_len = l;
			if (zh->chroot == NULL) {
				free(copy);
				return -ENOMEM;
			}
		}
		*slash = '\0';
	}
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char host[128], *port = "2181", *colon;
		struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
		struct dpzk_server *s;

		while (*tok == ' ')
			tok++;
		if (*tok == '\0')
			continue;
		if (strlen(tok) >= sizeof(host))
			goto bad;
		if (tok[0] == '[') {
			char *end = strchr(tok, ']');

			if (end == NULL)
				goto bad;
			*end = '\0';
			snprintf(host, sizeof(host), "%s", tok + 1);
			if (end[1] == ':')
				port = end + 2;
		} else {
			snprintf(host, sizeof(host), "%s", tok);
			colon = strrchr(host, ':');
			if (colon && strchr(host, ':') == colon) {
				*colon = '\0';
				port = tok + (colon - host) + 1;
			}
		}
		if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
			goto bad;
		s = realloc(zh->servers, (size_t)(n + 1) * sizeof(*s));
		if (s == NULL) {
			freeaddrinfo(ai);
			free(copy);
			return -ENOMEM;
		}
		zh->servers = s;
		memcpy(&s[n].sa, ai->ai_addr, ai->ai_addrlen);
		s[n].salen = ai->ai_addrlen;
		snprintf(s[n].name, sizeof(s[n].name), "%s:%s", host, port);
		freeaddrinfo(ai);
		n++;
	}
	free(copy);
	zh->nservers = n;
	return n > 0 ? 0 : -EINVAL;
bad:
	free(copy);
	return -EINVAL;
}

static void
handle_free(struct dpzk_handle *zh)
{
	if (zh->fd >= 0)
		close(zh->fd);
	for (size_t i = 0; i < zh->nw; i++)
		free(zh->w[i].path);
	free(zh->w);
	for (int i = 0; i < zh->nauths; i++) {
		free(zh->auths[i].scheme);
		free(zh->auths[i].cert);
	}
	free(zh->auths);
	free(zh->servers);
	free(zh->chroot);
	free(zh->chmem);
	free(zh->rxbuf);
	free(zh);
}

static struct dpzk_handle *
handle_new(const char *hosts, dpzk_watcher_fn *watcher, int recv_timeout_ms,
	   const struct dpzk_clientid *cid, void *context, int flags,
	   const struct dpzk_transport *tp)
{
	struct dpzk_handle *zh;
	struct proto_chan_cfg cfg;
	struct proto_chan_ops ops = {
		.emit = chan_emit,
		.deliver = chan_deliver,
		.control = chan_control,
	};
	size_t ms;
	int rc;

	if (hosts == NULL || recv_timeout_ms <= 0 || flags != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (sodium_init() < 0) {
		errno = ENOSYS;
		return NULL;
	}
	zh = calloc(1, sizeof(*zh));
	if (zh == NULL)
		return NULL;
	zh->fd = -1;
	zh->watcher = watcher;
	zh->context = context;
	zh->req_timeout_ms = recv_timeout_ms;
	zh->next_xid = 1;
	zh->state = DPZK_CONNECTING_STATE;
	if (cid)
		zh->cid = *cid;
	if (tp != NULL) {
		zh->tp = *tp;
		zh->has_tp = true;
	}
	rc = parse_hosts(zh, hosts);
	if (rc < 0) {
		handle_free(zh);
		errno = -rc;
		return NULL;
	}
	proto_chan_cfg_default(&cfg);
	cfg.max_retries = 1000; /* dead_ns (2/3 session timeout) decides */
	ms = proto_chan_mem_size(&cfg);
	zh->rxbuf = malloc(DPZK_RXBUF);
	if (posix_memalign(&zh->chmem, 64, ms) != 0 || zh->rxbuf == NULL) {
		handle_free(zh);
		errno = ENOMEM;
		return NULL;
	}
	zh->now = dpzk_now();
	if (proto_chan_init(&zh->ch, &cfg, zh->chmem, ms, &ops, zh, 0, zero_key,
			    zh->now) != 0) {
		handle_free(zh);
		errno = EINVAL;
		return NULL;
	}
	zh->cur = (int)(randombytes_uniform((uint32_t)zh->nservers));
	start_connect(zh, false);
	return zh;
}

struct dpzk_handle *
dpzk_init(const char *hosts, dpzk_watcher_fn *watcher, int recv_timeout_ms,
	  const struct dpzk_clientid *cid, void *context, int flags)
{
	return handle_new(hosts, watcher, recv_timeout_ms, cid, context, flags,
			  NULL);
}

struct dpzk_handle *
dpzk_init_transport(const char *hosts, dpzk_watcher_fn *watcher,
		    int recv_timeout_ms, const struct dpzk_clientid *cid,
		    void *context, const struct dpzk_transport *t)
{
	if (t == NULL || t->send == NULL || t->recv == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return handle_new(hosts, watcher, recv_timeout_ms, cid, context, 0, t);
}

struct close_wait {
	bool done;
};

static void
close_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct close_wait *w = (struct close_wait *)data;

	(void)rc;
	(void)res;
	w->done = true;
}

int
dpzk_close(struct dpzk_handle *zh)
{
	int rc = DPZK_ZOK;

	if (zh == NULL)
		return DPZK_ZBADARGUMENTS;
	if (!zh->terminal && zh->state == DPZK_CONNECTED_STATE) {
		struct close_wait w = {false};
		struct dpzk_pending *p =
			dpzk_pending_new(zh, PROTO_OP_CLOSESESSION, NULL);
		struct proto_request q = {.type = PROTO_OP_CLOSESESSION};
		uint64_t end = dpzk_now() + 1000 * MS;

		if (p && dpzk_encode_request(p, &q) == 0) {
			p->cb = close_done;
			p->cbdata = &w;
			if (dpzk_submit(zh, p) == DPZK_ZOK) {
				while (!w.done && !zh->terminal &&
				       dpzk_now() < end)
					dpzk_poll_once(
						zh,
						(int)((end - dpzk_now()) / MS) +
							1);
				if (zh->chan_up)
					proto_chan_ack_now(&zh->ch, zh->now);
			}
		} else {
			dpzk_pending_free(p);
		}
		if (!w.done)
			rc = DPZK_ZOPERATIONTIMEOUT;
	}
	zh->state = DPZK_CLOSED_STATE;
	fail_all(zh, DPZK_ZCLOSING);
	zh->terminal = true;
	zh->terminal_rc = DPZK_ZCLOSING;
	dispatch(zh);
	while (zh->qh) /* callbacks that queued more */
		dispatch(zh);
	handle_free(zh);
	return rc;
}

int
dpzk_fd(const struct dpzk_handle *zh)
{
	return zh->fd;
}

int
dpzk_state(const struct dpzk_handle *zh)
{
	return zh->state;
}

int
dpzk_recv_timeout(const struct dpzk_handle *zh)
{
	return zh->neg_timeout_ms;
}

const struct dpzk_clientid *
dpzk_client_id(const struct dpzk_handle *zh)
{
	return &zh->cid;
}

void *
dpzk_get_context(const struct dpzk_handle *zh)
{
	return zh->context;
}

void
dpzk_set_context(struct dpzk_handle *zh, void *context)
{
	zh->context = context;
}

dpzk_watcher_fn *
dpzk_set_watcher(struct dpzk_handle *zh, dpzk_watcher_fn *watcher)
{
	dpzk_watcher_fn *old = zh->watcher;

	zh->watcher = watcher;
	return old;
}

const char *
dpzk_current_server(const struct dpzk_handle *zh)
{
	return zh->servers[zh->cur].name;
}

int
dpzk_outstanding(const struct dpzk_handle *zh)
{
	return zh->npending;
}

const struct proto_chan_stats *
dpzk_channel_stats(const struct dpzk_handle *zh)
{
	return proto_chan_stats(&zh->ch);
}
