/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/zab/sim/sim.c — deterministic simulation of whole Zab ensembles
 * (3 or 5 voters, sometimes an observer, plus clients) in one process, over
 * a simulated network and disk, all driven by one seeded PRNG and a
 * virtual clock (docs/ZAB.md §Simulator; FoundationDB's simulator and
 * TigerBeetle's VOPR are the models).
 *
 * Why it is built this way: the zab state machine does no I/O and reads no
 * clock, so the simulator owns every source of nondeterminism — message
 * delays, link breaks, partitions, crashes, disk latency, client timing —
 * and one seed replays a run exactly.  Faults: peer links are FIFO per
 * connection (as TCP / dpzk's peer channel); a dropped message breaks the
 * connection (everything in flight on it is lost, both ends are told), as
 * do partitions (symmetric or one-way) and crashes.  Election messages go
 * on a lossy path: dropped, duplicated, delayed and reordered one by one.
 * A crash loses all volatile state and every disk write not yet durable;
 * disks can turn slow.  The replicated state machine is a small map
 * (key → value, version) so nothing here depends on tree/.
 *
 * Checked continuously: at most one leader per epoch; same zxid → same txn
 * and same state hash on every replica; a replica applies zxids in order.
 * At the end: every replica's applied sequence is a contiguous run of the
 * global committed sequence (nothing skipped, nothing lost), acknowledged
 * writes are all there, replicas converged, linearizable writes and
 * linearizable reads (Wing & Gong per key), local reads sequentially
 * consistent (each saw exactly the committed prefix at its zxid, never
 * older than what its client had seen).  Liveness: after the faults stop,
 * a write is committed within a bounded virtual time.
 *
 * Usage: sim [--from S] [--seeds N] [--seed S] [--nodes 3|5] [--trace]
 * A failure prints the seed, the tail of the event log and the command
 * that replays it with the full trace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zab/zab.h"
#include "lincheck.h"

#define MAXN	    6
#define NKEYS	    24
#define NCLIENTS    5
#define TICK_US	    10000ULL
#define MS	    1000ULL
#define SEC	    1000000ULL
#define OP_TIMEOUT  (1500 * MS)
#define LIVE_BOUND  (12 * SEC)
#define SNAP_EVERY  40
#define TRACE_LINES 3000
#define TRACE_LEN   176

/* ------------------------------------------------------------------ */
/* PRNG (xoshiro256**) and trace                                       */
/* ------------------------------------------------------------------ */

static uint64_t rs[4];

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

static void
rnd_seed(uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		rs[i] = z ^ (z >> 31);
	}
}

static uint64_t
rnd_range(uint64_t lo, uint64_t hi) /* [lo, hi] */
{
	return lo + rnd() % (hi - lo + 1);
}

static bool
chance(double p)
{
	return (double)(rnd() >> 11) / (double)(1ULL << 53) < p;
}

static char trace_ring[TRACE_LINES][TRACE_LEN];
static size_t trace_n;
static bool trace_live;
static uint64_t now;

static void __attribute__((format(printf, 1, 2))) tracef(const char *fmt, ...)
{
	char *l = trace_ring[trace_n++ % TRACE_LINES];
	int k;
	va_list ap;

	k = snprintf(l, TRACE_LEN, "%10.3f ", (double)now / 1000.0);
	va_start(ap, fmt);
	vsnprintf(l + k, TRACE_LEN - (size_t)k, fmt, ap);
	va_end(ap);
	if (trace_live)
		printf("%s\n", l);
}

/* ------------------------------------------------------------------ */
/* world                                                               */
/* ------------------------------------------------------------------ */

struct kv {
	uint64_t value;
	uint32_t version;
};

struct dent {
	uint64_t zxid;
	uint8_t *p;
	uint32_t len;
};

struct pend {
	uint64_t zxid;
	uint64_t seq;
	uint8_t *p;
	uint32_t len;
};

struct pop {
	uint64_t zxid;
	int client;
	uint32_t opid;
};

struct node {
	uint32_t id;
	bool observer;
	bool up;
	uint32_t inc;
	struct zab *z;
	/* durable */
	uint32_t hs_acc, hs_cur;
	struct dent *log;
	size_t nlog, caplog;
	uint64_t snap_zxid;
	struct kv snap_state[NKEYS];
	/* disk queue (not durable) */
	struct pend *pq;
	size_t pq_head, pq_n, pq_cap;
	uint64_t disk_seq;
	uint64_t disk_free_at;
	bool slow;
	/* volatile */
	struct kv state[NKEYS];
	uint64_t applied;
	uint32_t since_snap;
	struct pop pops[256];
	size_t npops;
	uint8_t role;
	uint64_t tick_phase;
	/* applied sequence, for the final contiguity check */
	uint64_t *seq;
	size_t nseq, capseq;
};

struct link {
	bool up;
	uint64_t conn;
	uint64_t last_t[2]; /* FIFO per direction: [lower→higher, reverse] */
};

enum evk {
	EV_TICK,
	EV_DELIVER,
	EV_LINKDOWN,
	EV_DISK,
	EV_CREQ,
	EV_CREPLY,
	EV_CNEXT,
	EV_CTIMEOUT,
	EV_CHAOS,
	EV_RESTART,
	EV_HEAL,
	EV_UNSLOW,
	EV_UNDROP,
};

struct ev {
	uint64_t t;
	uint64_t seq;
	int kind;
	int node;
	uint32_t inc;
	int a;
	uint64_t b;
	void *ptr;
};

struct wire {
	int from, to;
	uint64_t conn;
	bool vote;
	size_t len;
	uint8_t buf[];
};

enum opk { OP_WRITE = 1, OP_LREAD = 2, OP_READ = 3 };

struct creq {
	int client;
	uint32_t opid;
	int kind;
	int key;
	uint64_t value;
	uint64_t last_seen;
};

enum rstat { R_OK = 0, R_RETRY = 1 };

struct creply {
	int client;
	uint32_t opid;
	int status;
	uint64_t zxid;
	uint64_t value;
};

/* one linearizable op (write or lread) */
struct rec {
	int client;
	uint32_t opid;
	int key;
	int kind;
	uint64_t value;
	uint64_t call, ret;
	uint64_t zxid;
	bool failed; /* definitely had no effect */
};

struct lread {
	int key;
	uint64_t value;
	uint64_t zxid;
};

struct client {
	int server;
	uint32_t opid;
	bool busy;
	int kind;
	int key;
	uint64_t value;
	size_t rec; /* index into recs for write/lread */
	uint64_t last_seen;
	uint64_t call;
};

/* global committed history: zxid → what was applied */
struct gent {
	uint64_t zxid;
	uint64_t phash;
	uint64_t shash;
	uint64_t value;
	uint32_t opid;
	int client;
	int kind;
	int key;
	bool used;
};

static struct {
	uint64_t seed;
	int n;
	struct node nodes[MAXN];
	struct link links[MAXN][MAXN];
	bool can[MAXN][MAXN];
	double p_drop, p_vdrop, p_vdup;
	struct ev *heap;
	size_t nheap, capheap;
	uint64_t evseq;
	struct client clients[NCLIENTS];
	struct rec *recs;
	size_t nrecs, caprecs;
	struct lread *lreads;
	size_t nlreads, caplreads;
	int keyops[NKEYS];
	struct gent *g;
	size_t gcap, gn;
	uint32_t *epoch_leader;
	size_t nepochs;
	uint64_t t_heal, t_stop, t_end;
	uint64_t t_live;
	bool chaos;
	bool failed;
	char why[256];
	/* figures */
	uint64_t n_msgs, n_breaks, n_crashes, n_parts, n_acked;
} W;

static struct zab_config zcfg_base;

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	if (W.failed)
		return;
	W.failed = true;
	va_start(ap, fmt);
	vsnprintf(W.why, sizeof(W.why), fmt, ap);
	va_end(ap);
	tracef("FAIL: %s", W.why);
}

/* ------------------------------------------------------------------ */
/* event heap                                                          */
/* ------------------------------------------------------------------ */

static bool
ev_less(const struct ev *a, const struct ev *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static void
ev_push(struct ev e)
{
	size_t i;

	if (W.nheap == W.capheap) {
		W.capheap = W.capheap ? W.capheap * 2 : 1024;
		W.heap = realloc(W.heap, W.capheap * sizeof(*W.heap));
		if (W.heap == NULL)
			abort();
	}
	e.seq = W.evseq++;
	i = W.nheap++;
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!ev_less(&e, &W.heap[p]))
			break;
		W.heap[i] = W.heap[p];
		i = p;
	}
	W.heap[i] = e;
}

static struct ev
ev_pop(void)
{
	struct ev top = W.heap[0], last = W.heap[--W.nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= W.nheap)
			break;
		if (c + 1 < W.nheap && ev_less(&W.heap[c + 1], &W.heap[c]))
			c++;
		if (!ev_less(&W.heap[c], &last))
			break;
		W.heap[i] = W.heap[c];
		i = c;
	}
	if (W.nheap)
		W.heap[i] = last;
	return top;
}

static void
at(uint64_t t, int kind, int node, int a, uint64_t b, void *ptr)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.t = t;
	e.kind = kind;
	e.node = node;
	e.inc = node >= 0 ? W.nodes[node].inc : 0;
	e.a = a;
	e.b = b;
	e.ptr = ptr;
	ev_push(e);
}

/* ------------------------------------------------------------------ */
/* state machine (the map) and the global history                      */
/* ------------------------------------------------------------------ */

#define TXN_LEN 21

static void
txn_encode(uint8_t *b, int kind, int client, uint32_t opid, int key,
	   uint64_t value)
{
	int i;

	b[0] = (uint8_t)kind;
	for (i = 0; i < 4; i++) {
		b[1 + i] = (uint8_t)((uint32_t)client >> (8 * i));
		b[5 + i] = (uint8_t)(opid >> (8 * i));
		b[9 + i] = (uint8_t)((uint32_t)key >> (8 * i));
	}
	for (i = 0; i < 8; i++)
		b[13 + i] = (uint8_t)(value >> (8 * i));
}

static int
txn_decode(const uint8_t *b, int32_t len, int *kind, int *client,
	   uint32_t *opid, int *key, uint64_t *value)
{
	int i;
	uint32_t c = 0, k = 0;

	if (len != TXN_LEN)
		return -EBADMSG;
	*kind = b[0];
	*opid = 0;
	*value = 0;
	for (i = 0; i < 4; i++) {
		c |= (uint32_t)b[1 + i] << (8 * i);
		*opid |= (uint32_t)b[5 + i] << (8 * i);
		k |= (uint32_t)b[9 + i] << (8 * i);
	}
	for (i = 0; i < 8; i++)
		*value |= (uint64_t)b[13 + i] << (8 * i);
	*client = (int)c;
	*key = (int)k;
	if ((*kind != OP_WRITE && *kind != OP_LREAD) || *key < 0 ||
	    *key >= NKEYS || *client < 0 || *client >= NCLIENTS)
		return -EBADMSG;
	return 0;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
state_hash(const struct kv *s)
{
	return fnv(0xcbf29ce484222325ULL, s, sizeof(struct kv) * NKEYS);
}

static struct gent *
g_find(uint64_t zxid, bool create)
{
	size_t i;

	if (create && (W.gn + 1) * 2 > W.gcap) {
		struct gent *old = W.g;
		size_t oc = W.gcap, j;

		W.gcap = W.gcap ? W.gcap * 2 : 4096;
		W.g = calloc(W.gcap, sizeof(*W.g));
		if (W.g == NULL)
			abort();
		for (j = 0; j < oc; j++)
			if (old[j].used) {
				size_t k =
					(old[j].zxid * 0x9e3779b97f4a7c15ULL) %
					W.gcap;

				while (W.g[k].used)
					k = (k + 1) % W.gcap;
				W.g[k] = old[j];
			}
		free(old);
	}
	if (W.gcap == 0)
		return NULL;
	i = (zxid * 0x9e3779b97f4a7c15ULL) % W.gcap;
	while (W.g[i].used) {
		if (W.g[i].zxid == zxid)
			return &W.g[i];
		i = (i + 1) % W.gcap;
	}
	if (!create)
		return NULL;
	W.g[i].used = true;
	W.g[i].zxid = zxid;
	W.gn++;
	return &W.g[i];
}

static void
seq_push(struct node *n, uint64_t v)
{
	if (n->nseq == n->capseq) {
		n->capseq = n->capseq ? n->capseq * 2 : 1024;
		n->seq = realloc(n->seq, n->capseq * sizeof(*n->seq));
		if (n->seq == NULL)
			abort();
	}
	n->seq[n->nseq++] = v;
}

#define SEQ_BASE (1ULL << 63) /* marker: a new run starts after zxid */

/* ------------------------------------------------------------------ */
/* network                                                             */
/* ------------------------------------------------------------------ */

static struct link *
link_of(int a, int b)
{
	return a < b ? &W.links[a][b] : &W.links[b][a];
}

static uint64_t
net_delay(void)
{
	uint64_t d = rnd_range(50, 800);

	if (chance(0.05))
		d += rnd_range(1 * MS, 20 * MS);
	return d;
}

static void
link_break(int a, int b)
{
	struct link *l = link_of(a, b);
	uint64_t tn;

	if (!l->up)
		return;
	l->up = false;
	l->conn++;
	W.n_breaks++;
	tn = now + rnd_range(100, 5 * MS);
	l->last_t[0] = l->last_t[0] > tn ? l->last_t[0] : tn;
	l->last_t[1] = l->last_t[1] > tn ? l->last_t[1] : tn;
	tracef("link %u-%u breaks", W.nodes[a].id, W.nodes[b].id);
	if (W.nodes[a].up)
		at(now, EV_LINKDOWN, a, b, 0, NULL);
	if (W.nodes[b].up)
		at(tn, EV_LINKDOWN, b, a, 0, NULL);
}

static void
send_wire(int from, int to, const uint8_t *buf, size_t len, bool vote)
{
	struct wire *w;
	uint64_t t;
	int copies = 1, i;

	W.n_msgs++;
	if (vote) {
		if (!W.can[from][to] || chance(W.p_vdrop))
			return;
		if (chance(W.p_vdup))
			copies = 2;
		for (i = 0; i < copies; i++) {
			w = malloc(sizeof(*w) + len);
			if (w == NULL)
				abort();
			w->from = from;
			w->to = to;
			w->vote = true;
			w->len = len;
			w->conn = 0;
			memcpy(w->buf, buf, len);
			t = now + net_delay() +
			    (chance(0.1) ? rnd_range(0, 30 * MS) : 0);
			at(t, EV_DELIVER, to, 0, 0, w);
		}
		return;
	}
	{
		struct link *l = link_of(from, to);
		int dir = from < to ? 0 : 1;

		if (!W.can[from][to] || !W.nodes[to].up || chance(W.p_drop)) {
			link_break(from, to);
			return;
		}
		if (!l->up) {
			l->up = true;
			l->conn++;
		}
		w = malloc(sizeof(*w) + len);
		if (w == NULL)
			abort();
		w->from = from;
		w->to = to;
		w->vote = false;
		w->len = len;
		w->conn = l->conn;
		memcpy(w->buf, buf, len);
		t = now + net_delay();
		if (t <= l->last_t[dir])
			t = l->last_t[dir] + 1;
		l->last_t[dir] = t;
		at(t, EV_DELIVER, to, 0, 0, w);
	}
}

/* ------------------------------------------------------------------ */
/* nodes                                                               */
/* ------------------------------------------------------------------ */

static void node_drain(int i);

static int
idx_of(uint32_t id)
{
	return (int)id - 1;
}

static void
client_reply(int client, uint32_t opid, int status, uint64_t zxid,
	     uint64_t value)
{
	struct creply *r;

	if (chance(W.p_drop))
		return;
	r = malloc(sizeof(*r));
	if (r == NULL)
		abort();
	r->client = client;
	r->opid = opid;
	r->status = status;
	r->zxid = zxid;
	r->value = value;
	at(now + net_delay(), EV_CREPLY, -1, client, 0, r);
}

static void
log_push(struct node *n, uint64_t zxid, uint8_t *p, uint32_t len)
{
	if (n->nlog && n->log[n->nlog - 1].zxid >= zxid) {
		fail("node %u: durable log not increasing at %" PRIx64, n->id,
		     zxid);
		free(p);
		return;
	}
	if (n->nlog == n->caplog) {
		n->caplog = n->caplog ? n->caplog * 2 : 256;
		n->log = realloc(n->log, n->caplog * sizeof(*n->log));
		if (n->log == NULL)
			abort();
	}
	n->log[n->nlog].zxid = zxid;
	n->log[n->nlog].p = p;
	n->log[n->nlog].len = len;
	n->nlog++;
}

static void
log_trim_upto(struct node *n, uint64_t zxid)
{
	size_t i, k = 0;

	for (i = 0; i < n->nlog; i++) {
		if (n->log[i].zxid <= zxid)
			free(n->log[i].p);
		else
			n->log[k++] = n->log[i];
	}
	n->nlog = k;
}

static void
log_truncate_after(struct node *n, uint64_t zxid)
{
	while (n->nlog && n->log[n->nlog - 1].zxid > zxid) {
		n->nlog--;
		free(n->log[n->nlog].p);
	}
}

static void
pq_clear(struct node *n, bool to_log)
{
	while (n->pq_n) {
		struct pend *p = &n->pq[n->pq_head];

		if (to_log)
			log_push(n, p->zxid, p->p, p->len);
		else
			free(p->p);
		n->pq_head = (n->pq_head + 1) % n->pq_cap;
		n->pq_n--;
	}
}

static void
pq_push(struct node *n, uint64_t zxid, const struct proto_view *v)
{
	struct pend *p;
	uint64_t lat;

	if (n->pq_n == n->pq_cap) {
		size_t nc = n->pq_cap ? n->pq_cap * 2 : 256, i;
		struct pend *q = malloc(nc * sizeof(*q));

		if (q == NULL)
			abort();
		for (i = 0; i < n->pq_n; i++)
			q[i] = n->pq[(n->pq_head + i) % n->pq_cap];
		free(n->pq);
		n->pq = q;
		n->pq_cap = nc;
		n->pq_head = 0;
	}
	p = &n->pq[(n->pq_head + n->pq_n) % n->pq_cap];
	n->pq_n++;
	p->zxid = zxid;
	p->seq = ++n->disk_seq;
	p->len = (uint32_t)v->len;
	p->p = malloc(v->len ? (size_t)v->len : 1);
	if (p->p == NULL)
		abort();
	memcpy(p->p, v->p, (size_t)v->len);
	lat = rnd_range(30, 1500);
	if (n->slow)
		lat *= rnd_range(20, 100);
	/* in order, but pipelined (group commit): a write completes after
	 * its own latency and never before the one queued ahead of it */
	if (n->disk_free_at < now + lat)
		n->disk_free_at = now + lat;
	at(n->disk_free_at, EV_DISK, idx_of(n->id), 0, p->seq, NULL);
}

static void
apply_commit(struct node *n, const struct zab_entry *e)
{
	int kind, client, key;
	uint32_t opid;
	uint64_t value, ph, sh;
	struct gent *g;
	size_t i;

	if (e->zxid <= n->applied) {
		fail("node %u applies %" PRIx64 " after %" PRIx64, n->id,
		     e->zxid, n->applied);
		return;
	}
	if (txn_decode(e->payload.p, e->payload.len, &kind, &client, &opid,
		       &key, &value) < 0) {
		fail("node %u: bad txn at %" PRIx64, n->id, e->zxid);
		return;
	}
	if (kind == OP_WRITE) {
		n->state[key].value = value;
		n->state[key].version++;
	}
	n->applied = e->zxid;
	seq_push(n, e->zxid);
	tracef("node %u applies %" PRIx64, n->id, e->zxid);
	ph = fnv(0xcbf29ce484222325ULL, e->payload.p, (size_t)e->payload.len);
	sh = state_hash(n->state);
	g = g_find(e->zxid, false);
	if (g == NULL) {
		g = g_find(e->zxid, true);
		g->phash = ph;
		g->shash = sh;
		g->kind = kind;
		g->key = key;
		g->value = value;
		g->client = client;
		g->opid = opid;
	} else if (g->phash != ph) {
		fail("zxid %" PRIx64 " committed with different txns (node %u)",
		     e->zxid, n->id);
	} else if (g->shash != sh) {
		fail("zxid %" PRIx64 ": state hash differs on node %u", e->zxid,
		     n->id);
	}
	for (i = 0; i < n->npops; i++)
		if (n->pops[i].zxid == e->zxid) {
			if (n->pops[i].client == client &&
			    n->pops[i].opid == opid)
				client_reply(client, opid, R_OK, e->zxid,
					     n->state[key].value);
			else
				fail("node %u: zxid %" PRIx64
				     " proposed for another op",
				     n->id, e->zxid);
			n->pops[i] = n->pops[--n->npops];
			break;
		}
	if (++n->since_snap >= SNAP_EVERY) {
		n->since_snap = 0;
		n->snap_zxid = n->applied;
		memcpy(n->snap_state, n->state, sizeof(n->state));
		log_trim_upto(n, n->snap_zxid);
	}
}

/* SNAP payload: the map, then the zxid it is at */
#define SNAP_LEN (NKEYS * 12 + 8)

static void
snap_encode(const struct node *n, uint8_t *b)
{
	int k, i;

	for (k = 0; k < NKEYS; k++) {
		for (i = 0; i < 8; i++)
			b[k * 12 + i] = (uint8_t)(n->state[k].value >> (8 * i));
		for (i = 0; i < 4; i++)
			b[k * 12 + 8 + i] =
				(uint8_t)(n->state[k].version >> (8 * i));
	}
	for (i = 0; i < 8; i++)
		b[NKEYS * 12 + i] = (uint8_t)(n->applied >> (8 * i));
}

static int
snap_decode(const uint8_t *b, int32_t len, struct kv *st, uint64_t *zxid)
{
	int k, i;

	if (len != SNAP_LEN)
		return -EBADMSG;
	for (k = 0; k < NKEYS; k++) {
		st[k].value = 0;
		st[k].version = 0;
		for (i = 0; i < 8; i++)
			st[k].value |= (uint64_t)b[k * 12 + i] << (8 * i);
		for (i = 0; i < 4; i++)
			st[k].version |= (uint32_t)b[k * 12 + 8 + i] << (8 * i);
	}
	*zxid = 0;
	for (i = 0; i < 8; i++)
		*zxid |= (uint64_t)b[NKEYS * 12 + i] << (8 * i);
	return 0;
}

static void
check_status(struct node *n)
{
	struct zab_status st;

	zab_status(n->z, &st);
	if (st.role == ZAB_LEADING && st.epoch &&
	    st.current_epoch == st.epoch) {
		if (st.epoch >= W.nepochs) {
			size_t nn = st.epoch + 64;

			W.epoch_leader = realloc(W.epoch_leader,
						 nn * sizeof(*W.epoch_leader));
			if (W.epoch_leader == NULL)
				abort();
			memset(W.epoch_leader + W.nepochs, 0,
			       (nn - W.nepochs) * sizeof(*W.epoch_leader));
			W.nepochs = nn;
		}
		if (W.epoch_leader[st.epoch] == 0) {
			W.epoch_leader[st.epoch] = n->id;
			tracef("node %u leads epoch %u", n->id, st.epoch);
		} else if (W.epoch_leader[st.epoch] != n->id) {
			fail("two leaders in epoch %u: %u and %u", st.epoch,
			     W.epoch_leader[st.epoch], n->id);
		}
	}
	if (st.applied_zxid != n->applied)
		fail("node %u: zab applied %" PRIx64 " != state %" PRIx64,
		     n->id, st.applied_zxid, n->applied);
}

static void
node_send(struct node *n, const struct zab_msg *m)
{
	uint8_t hdr[ZAB_MSG_HDR_MAX + SNAP_LEN + 64];
	uint8_t *buf = hdr;
	struct zab_msg c = *m;
	uint8_t snap[SNAP_LEN];
	struct proto_wbuf w;
	size_t need;

	if (m->type == ZAB_M_SNAP) {
		if (n->applied != m->zxid)
			fail("node %u: SNAP at %" PRIx64
			     " but state is at %" PRIx64,
			     n->id, m->zxid, n->applied);
		snap_encode(n, snap);
		c.payload.p = snap;
		c.payload.len = SNAP_LEN;
	}
	need = ZAB_MSG_HDR_MAX +
	       (c.payload.len > 0 ? (size_t)c.payload.len : 0);
	if (need > sizeof(hdr)) {
		buf = malloc(need);
		if (buf == NULL)
			abort();
	}
	proto_wbuf_init(&w, buf, need);
	if (zab_msg_encode(&w, &c) < 0) {
		fail("encode failed for %s", zab_msg_type_name(m->type));
	} else {
		if (m->type != ZAB_M_VOTE && m->type != ZAB_M_PING)
			tracef("%u->%u %s e%u z%" PRIx64, n->id, m->to,
			       zab_msg_type_name(m->type), m->epoch, m->zxid);
		send_wire(idx_of(n->id), idx_of(m->to), buf, w.len,
			  m->type == ZAB_M_VOTE);
	}
	if (buf != hdr)
		free(buf);
}

static void
node_drain(int i)
{
	struct node *n = &W.nodes[i];
	struct zab_ready rd;
	size_t k;
	int guard = 0;

	while (n->up && zab_ready(n->z, &rd)) {
		if (++guard > 100000) {
			fail("node %u: Ready never empties", n->id);
			zab_advance(n->z);
			return;
		}
		if (rd.hard_state) {
			if (rd.accepted_epoch < n->hs_acc ||
			    rd.current_epoch < n->hs_cur)
				fail("node %u: epochs went back", n->id);
			n->hs_acc = rd.accepted_epoch;
			n->hs_cur = rd.current_epoch;
		}
		for (k = 0; k < rd.n_log_ops; k++) {
			const struct zab_logop *o = &rd.log_ops[k];

			if (o->kind == ZAB_LOG_APPEND) {
				pq_push(n, o->zxid, &o->payload);
			} else if (o->kind == ZAB_LOG_TRUNCATE) {
				tracef("node %u truncates to %" PRIx64, n->id,
				       o->zxid);
				pq_clear(n, true);
				if (o->zxid < n->snap_zxid)
					fail("node %u: truncate below snapshot",
					     n->id);
				log_truncate_after(n, o->zxid);
			} else {
				uint64_t sz;

				tracef("node %u installs snapshot %" PRIx64,
				       n->id, o->zxid);
				pq_clear(n, false);
				log_trim_upto(n, UINT64_MAX);
				if (snap_decode(o->payload.p, o->payload.len,
						n->state, &sz) < 0 ||
				    sz != o->zxid)
					fail("node %u: bad snapshot", n->id);
				n->applied = o->zxid;
				n->snap_zxid = o->zxid;
				memcpy(n->snap_state, n->state,
				       sizeof(n->state));
				n->since_snap = 0;
				seq_push(n, SEQ_BASE | o->zxid);
			}
		}
		for (k = 0; k < rd.n_commits && !W.failed; k++)
			apply_commit(n, &rd.commits[k]);
		for (k = 0; k < rd.n_msgs; k++)
			node_send(n, &rd.msgs[k]);
		if (rd.role_changed) {
			tracef("node %u is %s leader %u epoch %u", n->id,
			       zab_role_name(rd.role), rd.leader, rd.epoch);
			n->role = rd.role;
		}
		zab_advance(n->z);
		check_status(n);
	}
}

static void
node_start(int i)
{
	struct node *n = &W.nodes[i];
	struct zab_config cfg = zcfg_base;
	struct zab_persist ps;
	size_t k;
	int j;

	cfg.self = n->id;
	cfg.n_members = (uint32_t)W.n;
	for (j = 0; j < W.n; j++) {
		cfg.members[j].id = W.nodes[j].id;
		cfg.members[j].observer = W.nodes[j].observer;
	}
	ps.accepted_epoch = n->hs_acc;
	ps.current_epoch = n->hs_cur;
	ps.snap_zxid = n->snap_zxid;
	n->z = zab_new(&cfg, &ps);
	if (n->z == NULL) {
		fail("zab_new: %s", strerror(errno));
		return;
	}
	memcpy(n->state, n->snap_state, sizeof(n->state));
	n->applied = n->snap_zxid;
	n->since_snap = 0;
	n->npops = 0;
	n->up = true;
	n->slow = false;
	seq_push(n, SEQ_BASE | n->snap_zxid);
	for (k = 0; k < n->nlog; k++) {
		struct proto_view v = {n->log[k].p, (int32_t)n->log[k].len};

		if (n->log[k].zxid <= n->snap_zxid)
			continue;
		if (zab_load(n->z, n->log[k].zxid, v) < 0) {
			fail("node %u: zab_load failed", n->id);
			return;
		}
	}
	tracef("node %u starts: epochs %u/%u snap %" PRIx64 " log %zu", n->id,
	       n->hs_acc, n->hs_cur, n->snap_zxid, n->nlog);
	n->tick_phase = rnd_range(1, TICK_US);
	at(now + n->tick_phase, EV_TICK, i, 0, 0, NULL);
	node_drain(i);
}

static void
node_crash(int i)
{
	struct node *n = &W.nodes[i];
	int j;

	if (!n->up)
		return;
	tracef("node %u crashes (%zu disk writes lost)", n->id, n->pq_n);
	W.n_crashes++;
	n->up = false;
	n->inc++;
	zab_free(n->z);
	n->z = NULL;
	pq_clear(n, false);
	n->npops = 0;
	for (j = 0; j < W.n; j++)
		if (j != i)
			link_break(i, j);
}

/* ------------------------------------------------------------------ */
/* clients                                                             */
/* ------------------------------------------------------------------ */

static void
client_next(int c, uint64_t delay)
{
	at(now + delay, EV_CNEXT, -1, c, 0, NULL);
}

static void
client_issue(int c)
{
	struct client *cl = &W.clients[c];
	struct creq *q;
	int r = (int)(rnd() % 100), key = -1, tries;

	if (now >= W.t_stop && W.t_live)
		return;
	cl->opid++;
	cl->busy = true;
	cl->call = now;
	cl->kind = r < 45 ? OP_WRITE : r < 65 ? OP_LREAD : OP_READ;
	for (tries = 0; tries < 8 && cl->kind != OP_READ; tries++) {
		key = (int)(rnd() % NKEYS);
		if (W.keyops[key] < LIN_MAX_OPS)
			break;
		key = -1;
	}
	if (key < 0) {
		cl->kind = OP_READ;
		key = (int)(rnd() % NKEYS);
	}
	cl->key = key;
	cl->value = ((uint64_t)(c + 1) << 32) | cl->opid;
	if (cl->kind != OP_READ) {
		struct rec *rc;

		if (W.nrecs == W.caprecs) {
			W.caprecs = W.caprecs ? W.caprecs * 2 : 1024;
			W.recs = realloc(W.recs, W.caprecs * sizeof(*W.recs));
			if (W.recs == NULL)
				abort();
		}
		cl->rec = W.nrecs++;
		rc = &W.recs[cl->rec];
		memset(rc, 0, sizeof(*rc));
		rc->client = c;
		rc->opid = cl->opid;
		rc->key = key;
		rc->kind = cl->kind;
		rc->value = cl->kind == OP_WRITE ? cl->value : 0;
		rc->call = now;
		rc->ret = LIN_PENDING;
		W.keyops[key]++;
	}
	q = malloc(sizeof(*q));
	if (q == NULL)
		abort();
	q->client = c;
	q->opid = cl->opid;
	q->kind = cl->kind;
	q->key = key;
	q->value = cl->value;
	q->last_seen = cl->last_seen;
	if (!chance(W.p_drop))
		at(now + net_delay(), EV_CREQ, cl->server, 0, 0, q);
	else
		free(q);
	at(now + OP_TIMEOUT, EV_CTIMEOUT, -1, c, cl->opid, NULL);
}

static void
client_done(int c, bool switch_server, uint64_t think)
{
	struct client *cl = &W.clients[c];

	cl->busy = false;
	if (switch_server)
		cl->server = (int)(rnd() % (uint64_t)W.n);
	client_next(c, think);
}

static void
on_creply(struct creply *r)
{
	struct client *cl = &W.clients[r->client];

	if (!cl->busy || cl->opid != r->opid)
		return; /* late: the op stays pending in the history */
	if (r->status == R_RETRY) {
		if (cl->kind != OP_READ)
			W.recs[cl->rec].failed = true;
		client_done(r->client, true, rnd_range(1 * MS, 30 * MS));
		return;
	}
	if (cl->kind == OP_READ) {
		struct lread *l;

		if (r->zxid < cl->last_seen)
			fail("client %d read at %" PRIx64
			     " older than seen %" PRIx64,
			     r->client, r->zxid, cl->last_seen);
		if (W.nlreads == W.caplreads) {
			W.caplreads = W.caplreads ? W.caplreads * 2 : 1024;
			W.lreads = realloc(W.lreads,
					   W.caplreads * sizeof(*W.lreads));
			if (W.lreads == NULL)
				abort();
		}
		l = &W.lreads[W.nlreads++];
		l->key = cl->key;
		l->value = r->value;
		l->zxid = r->zxid;
	} else {
		struct rec *rc = &W.recs[cl->rec];

		rc->ret = now;
		rc->zxid = r->zxid;
		if (cl->kind == OP_LREAD)
			rc->value = r->value;
		else
			W.n_acked++;
		if (W.t_live == 0 && rc->call >= W.t_heal && W.t_heal) {
			W.t_live = now;
			if (W.t_stop < now + 2 * SEC)
				W.t_stop = now + 2 * SEC;
			W.t_end = W.t_stop + 3 * SEC;
			tracef("liveness: first write after heal acked");
		}
	}
	if (r->zxid > cl->last_seen)
		cl->last_seen = r->zxid;
	client_done(r->client, false, rnd_range(100, 10 * MS));
}

static void
server_propose(int i, int client, uint32_t opid, int kind, int key,
	       uint64_t value, bool reply_on_fail)
{
	struct node *n = &W.nodes[i];
	uint8_t txn[TXN_LEN];
	struct proto_view v = {txn, TXN_LEN};
	uint64_t zxid;
	int rc;

	txn_encode(txn, kind, client, opid, key, value);
	rc = n->npops < 256 ? zab_propose(n->z, v, &zxid) : -ENOBUFS;
	if (rc == 0) {
		n->pops[n->npops].zxid = zxid;
		n->pops[n->npops].client = client;
		n->pops[n->npops].opid = opid;
		n->npops++;
		node_drain(i);
	} else if (reply_on_fail) {
		client_reply(client, opid, R_RETRY, 0, 0);
	}
}

static void
on_creq(int i, struct creq *q)
{
	struct node *n = &W.nodes[i];

	if (!n->up)
		return;
	if (q->kind == OP_READ) {
		if (n->applied >= q->last_seen && n->role != ZAB_LOOKING)
			client_reply(q->client, q->opid, R_OK, n->applied,
				     n->state[q->key].value);
		else
			client_reply(q->client, q->opid, R_RETRY, 0, 0);
		return;
	}
	if (n->role == ZAB_LEADING) {
		server_propose(i, q->client, q->opid, q->kind, q->key, q->value,
			       true);
	} else if (zab_forward_target(n->z) > 0) {
		struct zab_msg m;
		uint8_t txn[TXN_LEN];

		txn_encode(txn, q->kind, q->client, q->opid, q->key, q->value);
		memset(&m, 0, sizeof(m));
		m.type = ZAB_M_REQUEST;
		m.from = n->id;
		m.to = (uint32_t)zab_forward_target(n->z);
		m.payload.p = txn;
		m.payload.len = TXN_LEN;
		node_send(n, &m);
	} else {
		client_reply(q->client, q->opid, R_RETRY, 0, 0);
	}
}

/* ------------------------------------------------------------------ */
/* chaos                                                               */
/* ------------------------------------------------------------------ */

static void
heal_partitions(void)
{
	int a, b;

	for (a = 0; a < W.n; a++)
		for (b = 0; b < W.n; b++)
			W.can[a][b] = true;
}

static void
chaos_step(void)
{
	int r = (int)(rnd() % 100), i, j;

	if (!W.chaos)
		return;
	if (r < 12) {
		i = (int)(rnd() % (uint64_t)W.n);
		if (W.nodes[i].up) {
			node_crash(i);
			at(now + rnd_range(20 * MS, 1500 * MS), EV_RESTART, i,
			   0, 0, NULL);
		}
	} else if (r < 18) {
		/* correlated failure (a rack's power): a majority at once,
		 * losing whatever their disks had not made durable */
		int k = 0;

		for (i = 0; i < W.n; i++)
			if (W.nodes[i].up && (k < W.n / 2 + 1) && chance(0.7)) {
				node_crash(i);
				k++;
				at(now + rnd_range(20 * MS, 800 * MS),
				   EV_RESTART, i, 0, 0, NULL);
			}
	} else if (r < 26) {
		heal_partitions();
		W.n_parts++;
		if (chance(0.5)) {
			/* symmetric: a random split */
			uint64_t mask = rnd();

			for (i = 0; i < W.n; i++)
				for (j = 0; j < W.n; j++)
					if (((mask >> i) & 1) !=
					    ((mask >> j) & 1))
						W.can[i][j] = false;
			tracef("partition mask %" PRIx64, mask & 0x3f);
		} else {
			/* one-way: some directed links blocked */
			int k, cnt = (int)rnd_range(1, 3);

			for (k = 0; k < cnt; k++) {
				i = (int)(rnd() % (uint64_t)W.n);
				j = (int)(rnd() % (uint64_t)W.n);
				if (i != j) {
					W.can[i][j] = false;
					tracef("one-way block %u->%u",
					       W.nodes[i].id, W.nodes[j].id);
				}
			}
		}
		at(now + rnd_range(50 * MS, 1500 * MS), EV_HEAL, -1, 0, 0,
		   NULL);
	} else if (r < 34) {
		i = (int)(rnd() % (uint64_t)W.n);
		if (W.nodes[i].up && !W.nodes[i].slow) {
			W.nodes[i].slow = true;
			tracef("node %u disk slow", W.nodes[i].id);
			at(now + rnd_range(100 * MS, 1000 * MS), EV_UNSLOW, i,
			   0, 0, NULL);
		}
	} else if (r < 42) {
		W.p_drop = 0.02;
		W.p_vdrop = 0.3;
		W.p_vdup = 0.2;
		tracef("drop burst");
		at(now + rnd_range(50 * MS, 500 * MS), EV_UNDROP, -1, 0, 0,
		   NULL);
	}
	at(now + rnd_range(10 * MS, 150 * MS), EV_CHAOS, -1, 0, 0, NULL);
}

static void
calm(void)
{
	int i;

	W.chaos = false;
	heal_partitions();
	W.p_drop = 0;
	W.p_vdrop = 0;
	W.p_vdup = 0;
	for (i = 0; i < W.n; i++) {
		W.nodes[i].slow = false;
		if (!W.nodes[i].up)
			node_start(i);
	}
	tracef("faults stop");
}

/* ------------------------------------------------------------------ */
/* event dispatch                                                      */
/* ------------------------------------------------------------------ */

static void
on_deliver(struct wire *w)
{
	struct node *n = &W.nodes[w->to];
	struct zab_msg m;

	if (!n->up || !W.can[w->from][w->to]) {
		if (!w->vote && n->up)
			link_break(w->from, w->to);
		return;
	}
	if (!w->vote && link_of(w->from, w->to)->conn != w->conn)
		return; /* lost with its connection */
	if (zab_msg_decode(w->buf, w->len, &m) < 0) {
		fail("decode failed");
		return;
	}
	if (m.type == ZAB_M_REQUEST) {
		int kind, client, key;
		uint32_t opid;
		uint64_t value;

		if (txn_decode(m.payload.p, m.payload.len, &kind, &client,
			       &opid, &key, &value) == 0 &&
		    n->role == ZAB_LEADING)
			server_propose(w->to, client, opid, kind, key, value,
				       false);
		return;
	}
	if (zab_step(n->z, &m) < 0)
		fail("node %u: zab_step rejected %s", n->id,
		     zab_msg_type_name(m.type));
	node_drain(w->to);
}

static void
dispatch(struct ev *e)
{
	struct node *n = e->node >= 0 ? &W.nodes[e->node] : NULL;
	bool stale = n && (!n->up || n->inc != e->inc);

	switch (e->kind) {
	case EV_TICK:
		if (stale)
			break;
		zab_tick(n->z);
		node_drain(e->node);
		at(now + TICK_US, EV_TICK, e->node, 0, 0, NULL);
		break;
	case EV_DELIVER:
		on_deliver(e->ptr);
		free(e->ptr);
		break;
	case EV_LINKDOWN:
		if (stale)
			break;
		zab_link_down(n->z, W.nodes[e->a].id);
		node_drain(e->node);
		break;
	case EV_DISK:
		if (stale || n->pq_n == 0 || n->pq[n->pq_head].seq != e->b)
			break;
		{
			struct pend p = n->pq[n->pq_head];

			n->pq_head = (n->pq_head + 1) % n->pq_cap;
			n->pq_n--;
			log_push(n, p.zxid, p.p, p.len);
			zab_durable(n->z, p.zxid);
			node_drain(e->node);
		}
		break;
	case EV_CREQ:
		on_creq(e->node, e->ptr);
		free(e->ptr);
		break;
	case EV_CREPLY:
		on_creply(e->ptr);
		free(e->ptr);
		break;
	case EV_CNEXT:
		client_issue(e->a);
		break;
	case EV_CTIMEOUT: {
		struct client *cl = &W.clients[e->a];

		if (cl->busy && cl->opid == (uint32_t)e->b)
			client_done(e->a, true, rnd_range(1 * MS, 20 * MS));
		break;
	}
	case EV_CHAOS:
		chaos_step();
		break;
	case EV_RESTART:
		if (W.chaos && !W.nodes[e->node].up)
			node_start(e->node);
		break;
	case EV_HEAL:
		if (W.chaos) {
			heal_partitions();
			tracef("partition heals");
		}
		break;
	case EV_UNSLOW:
		W.nodes[e->node].slow = false;
		break;
	case EV_UNDROP:
		if (W.chaos) {
			W.p_drop = 0.002;
			W.p_vdrop = 0.05;
			W.p_vdup = 0.05;
		}
		break;
	default:
		abort();
	}
}

/* ------------------------------------------------------------------ */
/* final checks                                                        */
/* ------------------------------------------------------------------ */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t
gidx(const uint64_t *gs, size_t gn, uint64_t z) /* index of z, or gn */
{
	size_t lo = 0, hi = gn;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (gs[mid] < z)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < gn && gs[lo] == z ? lo : gn;
}

static int
cmp_rec_call(const void *a, const void *b)
{
	const struct lin_op *x = a, *y = b;

	return x->call < y->call ? -1 : x->call > y->call;
}

static void
final_checks(void)
{
	uint64_t *gs = malloc((W.gn + 1) * sizeof(*gs));
	size_t gn = 0, i, k;
	int j;
	uint64_t ref_hash = 0, ref_applied = 0;
	uint64_t *vals_at; /* per committed index: key's value after it */

	if (gs == NULL)
		abort();
	for (i = 0; i < W.gcap; i++)
		if (W.g[i].used)
			gs[gn++] = W.g[i].zxid;
	qsort(gs, gn, sizeof(*gs), cmp_u64);

	/* 1. every replica applied a contiguous run of the global history */
	for (j = 0; j < W.n && !W.failed; j++) {
		struct node *n = &W.nodes[j];
		uint64_t prev = 0;
		bool in_run = false;

		for (k = 0; k < n->nseq; k++) {
			uint64_t v = n->seq[k];

			if (v & SEQ_BASE) {
				prev = v & ~SEQ_BASE;
				in_run = true;
				continue;
			}
			if (in_run) {
				size_t pi = prev ? gidx(gs, gn, prev) : 0;
				size_t want = prev ? pi + 1 : 0;

				if (prev && pi == gn) {
					fail("node %u: run starts after "
					     "uncommitted %" PRIx64,
					     n->id, prev);
					break;
				}
				if (want >= gn || gs[want] != v) {
					fail("node %u skipped committed txns "
					     "between %" PRIx64 " and %" PRIx64,
					     n->id, prev, v);
					break;
				}
			}
			prev = v;
		}
	}
	/* 2. converged */
	for (j = 0; j < W.n && !W.failed; j++) {
		struct node *n = &W.nodes[j];
		uint64_t h = state_hash(n->state);

		if (!n->up) {
			fail("node %u down at the end", n->id);
			break;
		}
		if (j == 0) {
			ref_hash = h;
			ref_applied = n->applied;
		} else if (n->applied != ref_applied || h != ref_hash) {
			fail("not converged: node %u at %" PRIx64
			     " vs node 1 at %" PRIx64,
			     n->id, n->applied, ref_applied);
		}
	}
	if (!W.failed && gn && ref_applied != gs[gn - 1])
		fail("replicas stopped at %" PRIx64 ", history ends %" PRIx64,
		     ref_applied, gs[gn - 1]);
	/* 3. acknowledged ops are in the history, as themselves */
	vals_at = calloc((gn + 1) * NKEYS, sizeof(*vals_at));
	if (vals_at == NULL)
		abort();
	for (i = 0; i < W.nrecs && !W.failed; i++) {
		struct rec *r = &W.recs[i];
		struct gent *g;

		if (r->ret == LIN_PENDING)
			continue;
		g = g_find(r->zxid, false);
		if (g == NULL || g->client != r->client || g->opid != r->opid)
			fail("acknowledged op (client %d op %u) at %" PRIx64
			     " lost",
			     r->client, r->opid, r->zxid);
	}
	/* 4. writes and linearizable reads: Wing & Gong per key */
	for (j = 0; j < NKEYS && !W.failed; j++) {
		struct lin_op ops[LIN_MAX_OPS];
		size_t no = 0;
		enum lin_result lr;

		for (i = 0; i < W.nrecs && no < LIN_MAX_OPS; i++) {
			struct rec *r = &W.recs[i];

			if (r->key != j || r->failed ||
			    (r->kind == OP_LREAD && r->ret == LIN_PENDING))
				continue;
			ops[no].call = r->call;
			ops[no].ret = r->ret;
			ops[no].is_write = r->kind == OP_WRITE;
			ops[no].value = r->value;
			no++;
		}
		qsort(ops, no, sizeof(ops[0]), cmp_rec_call);
		lr = lin_check_register(ops, no, 0);
		if (lr == LIN_VIOLATION)
			fail("key %d: history not linearizable (%zu ops)", j,
			     no);
		else if (lr == LIN_GAVE_UP)
			tracef("key %d: linearizability check gave up", j);
	}
	/* 5. local reads saw exactly the committed prefix at their zxid */
	for (i = 0; i < gn; i++) {
		struct gent *g = g_find(gs[i], false);

		memcpy(&vals_at[(i + 1) * NKEYS], &vals_at[i * NKEYS],
		       NKEYS * sizeof(*vals_at));
		if (g->kind == OP_WRITE)
			vals_at[(i + 1) * NKEYS + (size_t)g->key] = g->value;
	}
	for (i = 0; i < W.nlreads && !W.failed; i++) {
		struct lread *l = &W.lreads[i];
		size_t gi = l->zxid ? gidx(gs, gn, l->zxid) : 0;

		if (l->zxid && gi == gn) {
			fail("local read at uncommitted %" PRIx64, l->zxid);
			break;
		}
		if (l->zxid)
			gi++;
		if (vals_at[gi * NKEYS + (size_t)l->key] != l->value)
			fail("local read of key %d at %" PRIx64 " saw %" PRIx64
			     ", history says %" PRIx64,
			     l->key, l->zxid, l->value,
			     vals_at[gi * NKEYS + (size_t)l->key]);
	}
	free(vals_at);
	free(gs);
}

/* ------------------------------------------------------------------ */
/* one seed                                                            */
/* ------------------------------------------------------------------ */

static void
world_free(void)
{
	int i;

	while (W.nheap) {
		struct ev e = ev_pop();

		if (e.kind == EV_DELIVER || e.kind == EV_CREQ ||
		    e.kind == EV_CREPLY)
			free(e.ptr);
	}
	free(W.heap);
	for (i = 0; i < W.n; i++) {
		struct node *n = &W.nodes[i];

		zab_free(n->z);
		pq_clear(n, false);
		free(n->pq);
		log_trim_upto(n, UINT64_MAX);
		free(n->log);
		free(n->seq);
	}
	free(W.recs);
	free(W.lreads);
	free(W.g);
	free(W.epoch_leader);
	memset(&W, 0, sizeof(W));
}

static int
run_seed(uint64_t seed, int force_nodes, bool verbose)
{
	int i, nobs = 0;
	uint64_t t_fault;

	memset(&W, 0, sizeof(W));
	trace_n = 0;
	now = 0;
	rnd_seed(seed);
	W.seed = seed;
	W.n = force_nodes ? force_nodes : (seed % 2 ? 3 : 5);
	if (!force_nodes && seed % 3 == 0 && W.n < MAXN) {
		W.n++;
		nobs = 1; /* the last one observes */
	}
	for (i = 0; i < W.n; i++) {
		W.nodes[i].id = (uint32_t)i + 1;
		W.nodes[i].observer = i >= W.n - nobs;
	}
	heal_partitions();
	W.p_drop = 0.002;
	W.p_vdrop = 0.05;
	W.p_vdup = 0.05;
	W.chaos = true;
	t_fault = rnd_range(4, 10) * SEC;
	W.t_heal = t_fault;
	W.t_stop = t_fault + 5 * SEC;
	W.t_end = W.t_stop + 3 * SEC;
	tracef("seed %" PRIu64 ": %d nodes (%d observer), faults until %.1fs",
	       seed, W.n, nobs, (double)t_fault / SEC);
	for (i = 0; i < W.n; i++)
		node_start(i);
	for (i = 0; i < NCLIENTS; i++) {
		W.clients[i].server = (int)(rnd() % (uint64_t)W.n);
		client_next(i, rnd_range(1 * MS, 50 * MS));
	}
	at(rnd_range(100 * MS, 500 * MS), EV_CHAOS, -1, 0, 0, NULL);
	while (W.nheap && !W.failed) {
		struct ev e = W.heap[0];

		if (e.t > W.t_end && W.t_live)
			break;
		if (W.chaos && e.t >= t_fault) {
			now = t_fault;
			calm();
			continue;
		}
		e = ev_pop();
		now = e.t;
		dispatch(&e);
		if (!W.chaos && W.t_live == 0 && now > W.t_heal + LIVE_BOUND)
			fail("liveness: no write committed %.1fs after the "
			     "faults stopped",
			     (double)LIVE_BOUND / SEC);
	}
	if (!W.failed && W.t_live == 0)
		fail("liveness: no write committed after the faults stopped");
	if (!W.failed)
		final_checks();
	if (W.failed) {
		for (i = 0; i < W.n; i++) {
			struct zab_status st;
			struct node *n = &W.nodes[i];

			if (!n->up)
				continue;
			zab_status(n->z, &st);
			tracef("status node %u: %s phase %u leader %u epoch %u "
			       "acc %u cur %u last %" PRIx64 " durable %" PRIx64
			       " commit %" PRIx64 " applied %" PRIx64
			       " diskq %zu vote %u/%u/%" PRIx64 "/r%" PRIu64,
			       n->id, zab_role_name(st.role), st.phase,
			       st.leader, st.epoch, st.accepted_epoch,
			       st.current_epoch, st.last_zxid, st.durable_zxid,
			       st.commit_zxid, st.applied_zxid, n->pq_n,
			       st.vote.leader, st.vote.peer_epoch, st.vote.zxid,
			       st.vote.round);
		}
	}
	if (W.failed) {
		size_t k, first = trace_n > TRACE_LINES ? trace_n - TRACE_LINES
							: 0;

		if (!trace_live) {
			printf("---- last %zu events of seed %" PRIu64
			       " ----\n",
			       trace_n - first, seed);
			for (k = first; k < trace_n; k++)
				printf("%s\n", trace_ring[k % TRACE_LINES]);
		}
		printf("FAIL seed %" PRIu64 ": %s\n", seed, W.why);
		printf("replay: sim --seed %" PRIu64 " --trace\n", seed);
		world_free();
		return 1;
	}
	if (verbose)
		printf("seed %" PRIu64 ": ok  n=%d commits=%zu acked=%" PRIu64
		       " lreads=%zu msgs=%" PRIu64 " breaks=%" PRIu64
		       " crashes=%" PRIu64 " partitions=%" PRIu64
		       " live=%.2fs\n",
		       seed, W.n, W.gn, W.n_acked, W.nlreads, W.n_msgs,
		       W.n_breaks, W.n_crashes, W.n_parts,
		       (double)(W.t_live - W.t_heal) / SEC);
	world_free();
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t from = 1, seeds = 24;
	int nodes = 0, i, failed = 0;
	bool verbose = true;
	clock_t t0 = clock();

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
			seeds = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			from = strtoull(argv[++i], NULL, 0);
			seeds = 1;
		} else if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
			nodes = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--trace"))
			trace_live = true;
		else if (!strcmp(argv[i], "--quiet"))
			verbose = false;
		else {
			fprintf(stderr,
				"usage: sim [--from S] [--seeds N] [--seed S] "
				"[--nodes 3|5] [--trace] [--quiet]\n");
			return 2;
		}
	}
	if (nodes && (nodes < 1 || nodes > MAXN)) {
		fprintf(stderr, "--nodes: 1..%d\n", MAXN);
		return 2;
	}
	zab_config_default(&zcfg_base);
	zcfg_base.election_ticks = 5;
	zcfg_base.election_max_ticks = 40;
	zcfg_base.finalize_ticks = 2;
	zcfg_base.init_limit = 100;
	zcfg_base.sync_limit = 30;
	zcfg_base.ping_ticks = 5;
	zcfg_base.hist_entries = 512;
	zcfg_base.hist_bytes = 512 * 64;
	zcfg_base.max_inflight = 128;
	zcfg_base.max_payload = 4096;
	zcfg_base.ready_msgs = 64;
	zcfg_base.ready_log_ops = 32;
	zcfg_base.ready_commits = 32;
	for (uint64_t s = from; s < from + seeds; s++)
		failed += run_seed(s, nodes, verbose);
	printf("%d of %" PRIu64 " seeds failed (%.1fs cpu)\n", failed, seeds,
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
	return failed ? 1 : 0;
}
