/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/client/fakesrv.c — see fakesrv.h.  A test double of the server
 * side of the session channel, written from docs/PROTOCOL.md §8 with
 * proto/'s codecs and channel, so the client is tested against the
 * documented datagram flows rather than against itself.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>

#include "fakesrv.h"
#include "proto/proto.h"

#define MAXNODES 64
#define MAXSESS	 16

struct fnode {
	char *path;
	uint8_t *data;
	int32_t len;
	int32_t version;
	int64_t czxid, mzxid;
	bool watched; /* one data watch (single client) */
};

#define REPLY_CACHE 16

/* A session, with its last replies by xid: a request retried with the
 * same xid (after a reconnect, maybe to another server) gets its first
 * result again instead of being applied twice (PROTOCOL.md §8.2.6). */
struct fsess {
	int64_t id;
	uint8_t passwd[16];
	bool live;
	int32_t xid[REPLY_CACHE];
	uint8_t *rep[REPLY_CACHE];
	size_t replen[REPLY_CACHE];
	int next;
};

struct fakesrv_shared {
	pthread_mutex_t mu;
	struct fsess sess[MAXSESS];
	struct fnode nodes[MAXNODES];
	int64_t zxid;
	int64_t next_id;
};

struct fakesrv {
	struct fakesrv_shared *sh;
	bool own_sh;
	int fd;
	char addr[64];
	pthread_t thr;
	volatile bool stop;
	volatile bool mute;
	volatile int drop_replies;
	volatile bool blackhole_replies;
	volatile int max_timeout;
	volatile bool expire;
	volatile bool forget;

	struct proto_chan ch;
	void *chmem;
	bool chan_up;
	uint64_t nonce;
	int64_t sid;
	int timeout;
	uint8_t last_connected[256];
	size_t last_connected_len;
	struct sockaddr_in peer;
	uint8_t *out; /* reply buffer */
	uint8_t *scratch;
	uint64_t now;

	uint64_t pings, connects, requests, rx_dups;
	uint64_t ops[128];  /* requests per opcode (+ 16 for negative) */
	char pwatch[8][64]; /* addWatch paths */
	int pmode[8];
	int npw;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct fakesrv_shared *
fakesrv_shared_new(void)
{
	struct fakesrv_shared *sh = calloc(1, sizeof(*sh));

	if (sh == NULL)
		return NULL;
	pthread_mutex_init(&sh->mu, NULL);
	sh->next_id = 0x100;
	/* the root */
	sh->nodes[0].path = strdup("/");
	return sh;
}

void
fakesrv_shared_free(struct fakesrv_shared *sh)
{
	if (sh == NULL)
		return;
	for (int i = 0; i < MAXNODES; i++) {
		free(sh->nodes[i].path);
		free(sh->nodes[i].data);
	}
	for (int i = 0; i < MAXSESS; i++)
		for (int k = 0; k < REPLY_CACHE; k++)
			free(sh->sess[i].rep[k]);
	pthread_mutex_destroy(&sh->mu);
	free(sh);
}

static struct fnode *
node_find(struct fakesrv_shared *sh, struct proto_view path)
{
	for (int i = 0; i < MAXNODES; i++) {
		struct fnode *n = &sh->nodes[i];

		if (n->path && strlen(n->path) == (size_t)path.len &&
		    memcmp(n->path, path.p, (size_t)path.len) == 0)
			return n;
	}
	return NULL;
}

static int
emit(void *ctx, const void *d, size_t len)
{
	struct fakesrv *fs = ctx;
	struct proto_dgram_hdr h;

	if (proto_dgram_hdr_decode(d, len, &h) == 0 &&
	    h.kind == PROTO_K_REPLY) {
		if (fs->blackhole_replies)
			return 0;
		if (!(h.flags & PROTO_F_RETRANSMIT) && fs->drop_replies > 0) {
			fs->drop_replies--;
			return 0; /* "sent", lost on the way */
		}
	}
	if (sendto(fs->fd, d, len, 0, (struct sockaddr *)&fs->peer,
		   sizeof(fs->peer)) < 0)
		return -errno;
	return 0;
}

static void
stat_of(const struct fnode *n, struct proto_stat *s)
{
	memset(s, 0, sizeof(*s));
	s->czxid = n->czxid;
	s->mzxid = n->mzxid;
	s->pzxid = n->czxid;
	s->version = n->version;
	s->data_length = n->len < 0 ? 0 : n->len;
}

static struct fsess *
cur_sess(struct fakesrv *fs)
{
	for (int i = 0; i < MAXSESS; i++)
		if (fs->sh->sess[i].live && fs->sh->sess[i].id == fs->sid)
			return &fs->sh->sess[i];
	return NULL;
}

/* Called with sh->mu held. */
static bool
resend_cached(struct fakesrv *fs, int32_t xid)
{
	struct fsess *ss = cur_sess(fs);

	if (ss == NULL || xid <= 0)
		return false;
	for (int i = 0; i < REPLY_CACHE; i++) {
		if (ss->rep[i] && ss->xid[i] == xid) {
			proto_chan_send(&fs->ch, PROTO_K_REPLY, ss->rep[i],
					ss->replen[i], fs->now);
			return true;
		}
	}
	return false;
}

static void
send_msg(struct fakesrv *fs, uint8_t kind, int32_t xid, int32_t err,
	 const struct proto_response *a)
{
	struct proto_wbuf w;
	struct proto_reply_hdr rh = {xid, fs->sh->zxid, err};
	struct fsess *ss;

	proto_wbuf_init(&w, fs->out, PROTO_CHAN_MAX_MSG);
	proto_reply_hdr_encode(&w, &rh);
	if (err == 0 && a)
		proto_response_encode(&w, a);
	if (w.err != 0)
		return;
	proto_chan_send(&fs->ch, kind, fs->out, w.len, fs->now);
	pthread_mutex_lock(&fs->sh->mu);
	ss = cur_sess(fs);
	if (ss && kind == PROTO_K_REPLY && xid > 0) {
		int k = ss->next++ % REPLY_CACHE;

		free(ss->rep[k]);
		ss->rep[k] = malloc(w.len);
		if (ss->rep[k]) {
			memcpy(ss->rep[k], fs->out, w.len);
			ss->replen[k] = w.len;
			ss->xid[k] = xid;
		}
	}
	pthread_mutex_unlock(&fs->sh->mu);
}

static void
send_event(struct fakesrv *fs, int type, const char *path)
{
	struct proto_wbuf w;
	struct proto_reply_hdr rh = {-1, fs->sh->zxid, 0};
	struct proto_watcher_event e = {
		type,
		PROTO_STATE_SYNC_CONNECTED,
		{(const uint8_t *)path, (int32_t)strlen(path)}};

	proto_wbuf_init(&w, fs->out, PROTO_CHAN_MAX_MSG);
	proto_reply_hdr_encode(&w, &rh);
	proto_event_encode(&w, &e);
	proto_chan_send(&fs->ch, PROTO_K_EVENT, fs->out, w.len, fs->now);
}

/* Persistent (mode 0: the node) and recursive (mode 1: the subtree)
 * watches of the single client; recursive ones skip child events. */
static void
fire_persistent(struct fakesrv *fs, int type, const char *path)
{
	for (int i = 0; i < fs->npw; i++) {
		const char *w = fs->pwatch[i];
		size_t n = strlen(w);
		bool hit;

		if (fs->pmode[i] == 0)
			hit = strcmp(w, path) == 0;
		else
			hit = type != PROTO_EV_NODE_CHILDREN_CHANGED &&
			      (strcmp(w, path) == 0 || strcmp(w, "/") == 0 ||
			       (strncmp(path, w, n) == 0 && path[n] == '/'));
		if (hit) {
			send_event(fs, type, path);
			return;
		}
	}
}

static struct fnode *
node_new(struct fakesrv_shared *sh, struct proto_view path,
	 struct proto_view data)
{
	struct fnode *n = NULL;

	for (int i = 0; i < MAXNODES && !n; i++)
		if (sh->nodes[i].path == NULL)
			n = &sh->nodes[i];
	if (n == NULL)
		return NULL;
	n->path = strndup((const char *)path.p, (size_t)path.len);
	n->len = data.len;
	n->data = malloc(data.len > 0 ? (size_t)data.len : 1);
	if (data.len > 0)
		memcpy(n->data, data.p, (size_t)data.len);
	n->version = 0;
	n->czxid = n->mzxid = sh->zxid;
	n->watched = false;
	return n;
}

/* multi: check every op first (all or nothing), then apply. */
static void
do_multi(struct fakesrv *fs, const struct proto_request *q,
	 struct proto_response *a)
{
	static struct proto_multi_result res[32];
	struct fakesrv_shared *sh = fs->sh;
	int fail = -1, ferr = 0;

	a->multi.n = q->multi.n > 32 ? 32 : q->multi.n;
	a->multi.r = res;
	for (int i = 0; i < a->multi.n && fail < 0; i++) {
		const struct proto_request *o = &q->multi.ops[i];
		struct fnode *n = node_find(sh, o->path);

		if (o->type == PROTO_OP_CREATE || o->type == PROTO_OP_CREATE2) {
			if (n)
				ferr = PROTO_ZNODEEXISTS;
		} else if (n == NULL) {
			ferr = PROTO_ZNONODE;
		} else if (o->version != -1 && o->version != n->version) {
			ferr = PROTO_ZBADVERSION;
		}
		if (ferr)
			fail = i;
	}
	for (int i = 0; i < a->multi.n; i++) {
		const struct proto_request *o = &q->multi.ops[i];
		struct proto_multi_result *m = &res[i];
		struct fnode *n;

		memset(m, 0, sizeof(*m));
		if (fail >= 0) {
			m->type = PROTO_OP_ERROR;
			m->err = i < fail ? 0 : i == fail ? ferr : -2;
			continue;
		}
		m->type = o->type;
		n = node_find(sh, o->path);
		if (o->type == PROTO_OP_CREATE || o->type == PROTO_OP_CREATE2) {
			++sh->zxid;
			node_new(sh, o->path, o->data);
			m->path = o->path;
		} else if (o->type == PROTO_OP_DELETE) {
			++sh->zxid;
			free(n->path);
			free(n->data);
			memset(n, 0, sizeof(*n));
		} else if (o->type == PROTO_OP_SETDATA) {
			free(n->data);
			n->len = o->data.len;
			n->data = malloc(o->data.len > 0 ? (size_t)o->data.len
							 : 1);
			if (o->data.len > 0)
				memcpy(n->data, o->data.p, (size_t)o->data.len);
			n->version++;
			n->mzxid = ++sh->zxid;
			stat_of(n, &m->stat);
		}
	}
}

/* Children names of path, as views into the table. */
static int
children_of(struct fakesrv_shared *sh, struct proto_view path,
	    struct proto_view *kids)
{
	size_t pl = path.len == 1 ? 0 : (size_t)path.len;
	int nk = 0;

	for (int i = 0; i < MAXNODES; i++) {
		const char *c = sh->nodes[i].path;

		if (c == NULL || strlen(c) <= pl + 1 ||
		    memcmp(c, path.p, pl) != 0 || c[pl] != '/' ||
		    strchr(c + pl + 1, '/'))
			continue;
		kids[nk].p = (const uint8_t *)c + pl + 1;
		kids[nk].len = (int32_t)strlen(c + pl + 1);
		nk++;
	}
	return nk;
}

static void
do_multi_read(struct fakesrv *fs, const struct proto_request *q,
	      struct proto_response *a)
{
	static struct proto_multi_result res[16];
	static struct proto_view kids[16][MAXNODES];

	a->multi.n = q->multi.n > 16 ? 16 : q->multi.n;
	a->multi.r = res;
	for (int i = 0; i < a->multi.n; i++) {
		const struct proto_request *o = &q->multi.ops[i];
		struct fnode *n = node_find(fs->sh, o->path);
		struct proto_multi_result *m = &res[i];

		memset(m, 0, sizeof(*m));
		if (n == NULL) {
			m->type = PROTO_OP_ERROR;
			m->err = PROTO_ZNONODE;
			continue;
		}
		m->type = o->type;
		if (o->type == PROTO_OP_GETDATA) {
			m->data.p = n->data;
			m->data.len = n->len;
			stat_of(n, &m->stat);
		} else {
			m->children.n = children_of(fs->sh, o->path, kids[i]);
			m->children.v = kids[i];
		}
	}
}

static void
deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	struct fakesrv *fs = ctx;
	struct fakesrv_shared *sh = fs->sh;
	struct proto_rbuf r;
	struct proto_req_hdr h;
	struct proto_request q;
	struct proto_response a;
	struct proto_scratch s;
	struct fnode *n;
	int32_t err = 0;

	if (kind != PROTO_K_REQUEST)
		return;
	fs->requests++;
	proto_rbuf_init(&r, msg, len);
	proto_scratch_init(&s, fs->scratch, 1 << 20);
	if (proto_req_hdr_decode(&r, &h) != 0 ||
	    proto_request_decode(&r, h.type, &q, &s) != 0) {
		send_msg(fs, PROTO_K_REPLY, 0, PROTO_ZMARSHALLINGERROR, NULL);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.type = h.type;
	if (h.type + 16 >= 0 && h.type + 16 < 128)
		fs->ops[h.type + 16]++;
	pthread_mutex_lock(&sh->mu);
	if (resend_cached(fs, h.xid)) {
		pthread_mutex_unlock(&sh->mu);
		return;
	}
	n = q.path.p ? node_find(sh, q.path) : NULL;
	switch (h.type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
		if (n) {
			err = PROTO_ZNODEEXISTS;
			break;
		}
		++sh->zxid;
		n = node_new(sh, q.path, q.data);
		if (n == NULL) {
			err = PROTO_ZSYSTEMERROR;
			break;
		}
		fire_persistent(fs, PROTO_EV_NODE_CREATED, n->path);
		a.path = q.path;
		stat_of(n, &a.stat);
		break;
	case PROTO_OP_GETDATA:
	case PROTO_OP_EXISTS:
		if (n == NULL) {
			err = PROTO_ZNONODE;
			break;
		}
		if (q.watch)
			n->watched = true;
		a.data.p = n->data;
		a.data.len = n->len;
		stat_of(n, &a.stat);
		break;
	case PROTO_OP_SETDATA:
		if (n == NULL) {
			err = PROTO_ZNONODE;
			break;
		}
		if (q.version != -1 && q.version != n->version) {
			err = PROTO_ZBADVERSION;
			break;
		}
		free(n->data);
		n->len = q.data.len;
		n->data = malloc(q.data.len > 0 ? (size_t)q.data.len : 1);
		if (q.data.len > 0)
			memcpy(n->data, q.data.p, (size_t)q.data.len);
		n->version++;
		n->mzxid = ++sh->zxid;
		if (n->watched) {
			/* the event goes out before the reply */
			n->watched = false;
			send_event(fs, PROTO_EV_NODE_DATA_CHANGED, n->path);
		} else {
			fire_persistent(fs, PROTO_EV_NODE_DATA_CHANGED,
					n->path);
		}
		stat_of(n, &a.stat);
		break;
	case PROTO_OP_DELETE:
		if (n == NULL) {
			err = PROTO_ZNONODE;
			break;
		}
		++sh->zxid;
		if (n->watched)
			send_event(fs, PROTO_EV_NODE_DELETED, n->path);
		free(n->path);
		free(n->data);
		memset(n, 0, sizeof(*n));
		break;
	case PROTO_OP_GETCHILDREN:
	case PROTO_OP_GETCHILDREN2: {
		static struct proto_view kids[MAXNODES];
		size_t pl = (size_t)q.path.len;
		int nk = 0;

		if (n == NULL) {
			err = PROTO_ZNONODE;
			break;
		}
		if (pl == 1)
			pl = 0; /* "/" */
		for (int i = 0; i < MAXNODES; i++) {
			const char *c = sh->nodes[i].path;

			if (c == NULL || strlen(c) <= pl + 1 ||
			    memcmp(c, q.path.p, pl) != 0 || c[pl] != '/' ||
			    strchr(c + pl + 1, '/'))
				continue;
			kids[nk].p = (const uint8_t *)c + pl + 1;
			kids[nk].len = (int32_t)strlen(c + pl + 1);
			nk++;
		}
		a.children.n = nk;
		a.children.v = kids;
		stat_of(n, &a.stat);
		a.stat.num_children = nk;
		break;
	}
	case PROTO_OP_SYNC:
		a.path = q.path;
		break;
	case PROTO_OP_ADDWATCH:
		if (fs->npw < 8 && q.path.len < 64) {
			memcpy(fs->pwatch[fs->npw], q.path.p,
			       (size_t)q.path.len);
			fs->pwatch[fs->npw][q.path.len] = '\0';
			fs->pmode[fs->npw++] = q.mode;
		}
		a.number = 0;
		break;
	case PROTO_OP_MULTI:
		do_multi(fs, &q, &a);
		break;
	case PROTO_OP_MULTIREAD:
		do_multi_read(fs, &q, &a);
		break;
	case PROTO_OP_AUTH:
		if (q.auth.scheme.len == 3 &&
		    memcmp(q.auth.scheme.p, "bad", 3) == 0)
			err = PROTO_ZAUTHFAILED;
		break;
	case PROTO_OP_SETWATCHES:
	case PROTO_OP_SETWATCHES2:
	case PROTO_OP_CLOSESESSION:
		break;
	default:
		err = PROTO_ZUNIMPLEMENTED;
		break;
	}
	pthread_mutex_unlock(&sh->mu);
	send_msg(fs, PROTO_K_REPLY, h.xid, err, &a);
}

static void
on_connect(struct fakesrv *fs, const struct proto_dgram_hdr *h,
	   const uint8_t *d, size_t len)
{
	struct proto_connect_req c;
	struct fakesrv_shared *sh = fs->sh;
	struct fsess *ss = NULL;
	uint8_t key[16], out[PROTO_DGRAM_HDR_LEN + 64];
	struct proto_connect_resp resp = {0};
	int olen;
	static const uint8_t zero[16];
	uint8_t pw[16] = {0};

	if (proto_dgram_verify(d, len, zero) != 0)
		return;
	if (proto_connect_req_decode(d + PROTO_DGRAM_HDR_LEN, h->payload_len,
				     &c) != 0)
		return;
	if (fs->chan_up && h->seq == fs->nonce) {
		/* a retransmitted CONNECT: the same CONNECTED again */
		sendto(fs->fd, fs->last_connected, fs->last_connected_len, 0,
		       (struct sockaddr *)&fs->peer, sizeof(fs->peer));
		return;
	}
	fs->connects++;
	pthread_mutex_lock(&sh->mu);
	if (c.session_id == 0) {
		for (int i = 0; i < MAXSESS && !ss; i++)
			if (!sh->sess[i].live)
				ss = &sh->sess[i];
		if (ss) {
			ss->live = true;
			ss->id = sh->next_id++;
			randombytes_buf(ss->passwd, 16);
		}
	} else {
		for (int i = 0; i < MAXSESS && !ss; i++)
			if (sh->sess[i].live && sh->sess[i].id == c.session_id)
				ss = &sh->sess[i];
		if (ss && (c.passwd.len != 16 ||
			   memcmp(ss->passwd, c.passwd.p, 16) != 0))
			ss = NULL;
	}
	resp.read_only = c.read_only >= 0 ? 0 : -1;
	if (ss) {
		resp.timeout = c.timeout < fs->max_timeout ? c.timeout
							   : fs->max_timeout;
		resp.session_id = ss->id;
		memcpy(pw, ss->passwd, 16);
	}
	pthread_mutex_unlock(&sh->mu);
	resp.passwd.p = pw;
	resp.passwd.len = 16;
	olen = proto_chan_connected_dgram(out, sizeof(out), &resp, h->seq);
	if (olen < 0)
		return;
	sendto(fs->fd, out, (size_t)olen, 0, (struct sockaddr *)&fs->peer,
	       sizeof(fs->peer));
	if (ss == NULL)
		return;
	proto_chan_derive_key(pw, h->seq, key);
	memcpy(fs->last_connected, out, (size_t)olen);
	fs->last_connected_len = (size_t)olen;
	fs->nonce = h->seq;
	fs->sid = resp.session_id;
	fs->timeout = resp.timeout;
	proto_chan_reset(&fs->ch, fs->sid, key, fs->now);
	fs->chan_up = true;
}

static void *
run(void *arg)
{
	struct fakesrv *fs = arg;
	uint8_t *buf = malloc(65536);

	while (!fs->stop) {
		struct pollfd p = {.fd = fs->fd, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		poll(&p, 1, 1);
		fs->now = now_ns();
		if (fs->forget) {
			/* like a restart that kept the session table */
			fs->chan_up = false;
			fs->forget = false;
		}
		if (fs->expire) {
			pthread_mutex_lock(&fs->sh->mu);
			for (int i = 0; i < MAXSESS; i++)
				fs->sh->sess[i].live = false;
			pthread_mutex_unlock(&fs->sh->mu);
			fs->chan_up = false;
			fs->expire = false;
		}
		while ((n = recvfrom(fs->fd, buf, 65536, MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl)) > 0) {
			struct proto_dgram_hdr h;

			if (fs->mute)
				continue;
			if (proto_dgram_hdr_decode(buf, (size_t)n, &h) != 0)
				continue;
			fs->peer = from;
			if (h.kind == PROTO_K_CONNECT) {
				on_connect(fs, &h, buf, (size_t)n);
				continue;
			}
			if (h.kind == PROTO_K_PING)
				fs->pings++;
			if (fs->chan_up) {
				proto_chan_input(&fs->ch, buf, (size_t)n,
						 fs->now);
			} else {
				/* no state for this connection */
				uint8_t c[PROTO_DGRAM_HDR_LEN];
				int cl = proto_chan_stateless_close_dgram(
					c, sizeof(c), h.session_id);

				sendto(fs->fd, c, (size_t)cl, 0,
				       (struct sockaddr *)&from, sizeof(from));
			}
		}
		if (fs->chan_up && !fs->mute)
			proto_chan_timer(&fs->ch, fs->now);
	}
	free(buf);
	return NULL;
}

struct fakesrv *
fakesrv_start(struct fakesrv_shared *sh)
{
	struct fakesrv *fs = calloc(1, sizeof(*fs));
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	struct proto_chan_cfg cfg;
	struct proto_chan_ops ops = {.emit = emit, .deliver = deliver};
	static const uint8_t zero[16];
	size_t ms;

	if (fs == NULL || sodium_init() < 0)
		return NULL;
	fs->sh = sh;
	if (sh == NULL) {
		fs->sh = fakesrv_shared_new();
		fs->own_sh = true;
	}
	fs->max_timeout = 30000;
	fs->out = malloc(PROTO_CHAN_MAX_MSG);
	fs->scratch = malloc(1 << 20);
	proto_chan_cfg_default(&cfg);
	ms = proto_chan_mem_size(&cfg);
	if (posix_memalign(&fs->chmem, 64, ms) != 0 || fs->out == NULL ||
	    fs->scratch == NULL)
		return NULL;
	proto_chan_init(&fs->ch, &cfg, fs->chmem, ms, &ops, fs, 0, zero,
			now_ns());
	fs->fd = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fs->fd < 0 || bind(fs->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fs->fd, (struct sockaddr *)&a, &al) < 0)
		return NULL;
	snprintf(fs->addr, sizeof(fs->addr), "127.0.0.1:%u", ntohs(a.sin_port));
	if (pthread_create(&fs->thr, NULL, run, fs) != 0)
		return NULL;
	return fs;
}

void
fakesrv_stop(struct fakesrv *fs)
{
	fs->stop = true;
	pthread_join(fs->thr, NULL);
	close(fs->fd);
	if (fs->own_sh)
		fakesrv_shared_free(fs->sh);
	free(fs->chmem);
	free(fs->out);
	free(fs->scratch);
	free(fs);
}

const char *
fakesrv_addr(const struct fakesrv *fs)
{
	return fs->addr;
}

void
fakesrv_drop_replies(struct fakesrv *fs, int n)
{
	fs->drop_replies = n;
}

void
fakesrv_blackhole_replies(struct fakesrv *fs, bool on)
{
	fs->blackhole_replies = on;
}

void
fakesrv_set_mute(struct fakesrv *fs, bool mute)
{
	fs->mute = mute;
}

void
fakesrv_set_max_timeout(struct fakesrv *fs, int ms)
{
	fs->max_timeout = ms;
}

void
fakesrv_expire_sessions(struct fakesrv *fs)
{
	/* done by the server thread; wait until it is (bounded) */
	fs->expire = true;
	for (int i = 0; i < 5000 && fs->expire; i++)
		usleep(1000);
}

void
fakesrv_forget_connection(struct fakesrv *fs)
{
	fs->forget = true;
	for (int i = 0; i < 5000 && fs->forget; i++)
		usleep(1000);
}

uint64_t
fakesrv_pings(const struct fakesrv *fs)
{
	return __atomic_load_n(&fs->pings, __ATOMIC_RELAXED);
}

uint64_t
fakesrv_connects(const struct fakesrv *fs)
{
	return __atomic_load_n(&fs->connects, __ATOMIC_RELAXED);
}

uint64_t
fakesrv_requests(const struct fakesrv *fs)
{
	return __atomic_load_n(&fs->requests, __ATOMIC_RELAXED);
}

uint64_t
fakesrv_retransmits(const struct fakesrv *fs)
{
	return __atomic_load_n(&fs->ch.st.tx_retransmits, __ATOMIC_RELAXED);
}

uint64_t
fakesrv_op_count(const struct fakesrv *fs, int op)
{
	if (op + 16 < 0 || op + 16 >= 128)
		return 0;
	return __atomic_load_n(&fs->ops[op + 16], __ATOMIC_RELAXED);
}

uint64_t
fakesrv_rx_dups(const struct fakesrv *fs)
{
	return __atomic_load_n(&fs->ch.st.drop[PROTO_CHAN_DROP_DUPLICATE],
			       __ATOMIC_RELAXED);
}
