/*
 * workload.c — the request/response workloads (getData, exists, setData,
 * create+delete, getChildren, read:write mixes) and their two load models.
 *
 * Closed loop: each client keeps `depth` operations outstanding; a
 * completion records its latency and sends the next one from the callback,
 * so the load adapts to the server (that is what closed loop means: report
 * it as such).  Open loop: each worker sends its share of the offered rate at
 * times fixed in advance (bench_open_loop), round-robin over its clients,
 * and latency runs from the intended send time.  The same per-op code
 * (op_issue / op_done) serves both.
 */
#include "bench_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum op_kind { OP_GET, OP_EXISTS, OP_SET, OP_CD, OP_CHILDREN, OP_MIX };

struct op_state {
	enum op_kind kind;
	bool open;
	struct bench_worker *w; /* open loop: for the outstanding count */
};

static enum op_kind
op_kind_of(const struct bench_workload *wl)
{
	static const struct {
		const char *name;
		enum op_kind kind;
	} map[] = {
		{"get", OP_GET},	   {"exists", OP_EXISTS},
		{"set", OP_SET},	   {"create-delete", OP_CD},
		{"children", OP_CHILDREN}, {"mix", OP_MIX},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, wl->name) == 0)
			return map[i].kind;
	return OP_GET;
}

/* A random key's path.  The slot's own generator: in a closed loop the
 * slots of one client are reissued from completions while the worker may
 * still be starting others. */
static void
key_path(struct bench_run *r, struct bench_slot *s, char *buf, size_t len)
{
	uint64_t k =
		bench_rand(&s->rng) % (r->cfg->znodes ? r->cfg->znodes : 1);

	bench_msg(buf, len, "%s/d%d/k%llu", r->base, r->cfg->value_size,
		  (unsigned long long)k);
}

static void op_done(void *arg, int rc, const struct bench_reply *rep);
static int op_issue(struct bench_slot *s, uint64_t start);

static void
op_done(void *arg, int rc, const struct bench_reply *rep)
{
	struct bench_slot *s = arg;
	struct bench_client *c = s->c;
	struct bench_run *r = c->run;
	struct op_state *st = r->wl_state;
	uint64_t now = bench_now_ns();
	bool ok = rc == BENCH_ZOK;

	(void)rep;
	if (st->kind == OP_CD) {
		if (s->phase == 0 && ok)
			s->phase = 1; /* created */
		else if (s->phase == 1 && (ok || rc == BENCH_ZNONODE))
			s->phase = 0;
	}
	if (ok) {
		bench_record(c, 0, s->start, now);
		if (s->hist > 0)
			bench_record(c, s->hist, s->start, now);
	} else {
		bench_count_rc(c, rc);
	}
	if (st->open) {
		struct bench_worker *w = &r->workers[c->id % r->nworkers];

		atomic_store(&s->busy, 0);
		atomic_fetch_sub(&w->outstanding, 1);
		return;
	}
	/* API errors (<= -100) leave the session usable; system errors
	 * (connection loss, closing) end this slot */
	if (bench_stopping(r) || (!ok && rc > -100)) {
		struct bench_worker *w = &r->workers[c->id % r->nworkers];

		atomic_fetch_sub(&w->outstanding, 1);
		return;
	}
	if (op_issue(s, bench_now_ns()) != 0) {
		struct bench_worker *w = &r->workers[c->id % r->nworkers];

		bench_count_error(c);
		atomic_fetch_sub(&w->outstanding, 1);
	}
}

/* Sends the slot's next op; start is its intended (or actual) send time. */
static int
op_issue(struct bench_slot *s, uint64_t start)
{
	struct bench_client *c = s->c;
	struct bench_run *r = c->run;
	const struct bench_target_ops *t = r->t;
	struct op_state *st = r->wl_state;
	enum op_kind k = st->kind;

	s->start = start;
	s->hist = 0;
	if (k == OP_MIX) {
		bool read = (int)(bench_rand(&s->rng) % 100) < r->cfg->read_pct;

		k = read ? OP_GET : OP_SET;
		s->hist = read ? 1 : 2;
	}
	switch (k) {
	case OP_GET:
		key_path(r, s, s->path, sizeof(s->path));
		return t->get(c->conn, s->path, NULL, NULL, op_done, s);
	case OP_EXISTS:
		key_path(r, s, s->path, sizeof(s->path));
		return t->exists(c->conn, s->path, NULL, NULL, op_done, s);
	case OP_SET:
		key_path(r, s, s->path, sizeof(s->path));
		return t->set(c->conn, s->path, r->value, r->cfg->value_size,
			      -1, op_done, s);
	case OP_CD:
		if (s->phase == 0)
			return t->create(c->conn, s->path, r->value,
					 r->cfg->value_size, 0, op_done, s);
		return t->del(c->conn, s->path, -1, op_done, s);
	case OP_CHILDREN:
		return t->children(c->conn, s->path, NULL, NULL, op_done, s);
	default:
		return -EINVAL;
	}
}

static int
op_setup(struct bench_run *r)
{
	const struct bench_config *cfg = r->cfg;
	struct op_state *st = calloc(1, sizeof(*st));
	char path[128];
	int i, j, rc;

	if (st == NULL)
		return -ENOMEM;
	r->wl_state = st;
	st->kind = op_kind_of(r->wl);
	st->open = cfg->load == BENCH_LOAD_OPEN;
	for (i = 0; i < r->nclients; i++) {
		struct bench_client *c = &r->clients[i];

		c->nslots = cfg->depth;
		c->slots = calloc((size_t)c->nslots, sizeof(*c->slots));
		if (c->slots == NULL)
			return -ENOMEM;
		for (j = 0; j < c->nslots; j++) {
			struct bench_slot *s = &c->slots[j];

			s->c = c;
			s->rng = c->rng + (uint64_t)j * 104729u;
			if (st->kind == OP_CD)
				bench_msg(s->path, sizeof(s->path),
					  "%s/cd/r%llx-c%d-s%d", r->base,
					  (unsigned long long)r->nonce, i, j);
			else if (st->kind == OP_CHILDREN)
				bench_msg(s->path, sizeof(s->path), "%s/ch%d",
					  r->base, cfg->children);
		}
	}
	switch (st->kind) {
	case OP_CD:
		bench_msg(path, sizeof(path), "%s/cd", r->base);
		return bench_ensure_path(r, path);
	case OP_CHILDREN:
		bench_msg(path, sizeof(path), "%s/ch%d", r->base,
			  cfg->children);
		rc = bench_ensure_path(r, path);
		for (i = 0; rc == 0 && i < cfg->children; i++) {
			bench_msg(path, sizeof(path), "%s/ch%d/c%d", r->base,
				  cfg->children, i);
			rc = bench_sync_create(r->t, r->clients[0].conn, path,
					       r->value, cfg->value_size, 0,
					       cfg->session_timeout_ms);
			if (rc != BENCH_ZOK && rc != BENCH_ZNODEEXISTS) {
				bench_msg(r->error, sizeof(r->error),
					  "cannot create %s: ZooKeeper code %d",
					  path, rc);
				return -EIO;
			}
			rc = 0;
		}
		return rc;
	default:
		bench_msg(path, sizeof(path), "%s/d%d", r->base,
			  cfg->value_size);
		rc = bench_ensure_path(r, path);
		if (rc != 0)
			return rc;
		return bench_preload(r, path);
	}
}

/* ------------------------------------------------------------ preload */

struct preload {
	atomic_uint outstanding;
	atomic_uint_fast64_t errors;
};

static void
preload_done(void *arg, int rc, const struct bench_reply *rep)
{
	struct preload *p = arg;

	(void)rep;
	if (rc != BENCH_ZOK && rc != BENCH_ZNODEEXISTS)
		atomic_fetch_add(&p->errors, 1);
	atomic_fetch_sub(&p->outstanding, 1);
}

int
bench_preload(struct bench_run *r, const char *parent)
{
	const struct bench_config *cfg = r->cfg;
	struct bench_conn *c = r->clients[0].conn;
	struct preload p;
	int32_t have = 0;
	uint64_t i, t0 = bench_now_ns(), deadline;
	char path[128];
	int rc;

	rc = bench_sync_exists(r->t, c, parent, &have, cfg->session_timeout_ms);
	if (rc != BENCH_ZOK) {
		bench_msg(r->error, sizeof(r->error),
			  "exists %s: ZooKeeper code %d", parent, rc);
		return -EIO;
	}
	if ((uint64_t)have >= cfg->znodes)
		return 0;
	atomic_init(&p.outstanding, 0);
	atomic_init(&p.errors, 0);
	/* creates are idempotent: ZNODEEXISTS is fine */
	for (i = 0; i < cfg->znodes; i++) {
		while (atomic_load(&p.outstanding) >= 512)
			r->t->poll(r->all_conns, r->nclients,
				   bench_now_ns() + 1000000, BENCH_POLL_WAKE);
		bench_msg(path, sizeof(path), "%s/k%llu", parent,
			  (unsigned long long)i);
		atomic_fetch_add(&p.outstanding, 1);
		rc = r->t->create(c, path, r->value, cfg->value_size, 0,
				  preload_done, &p);
		if (rc != 0) {
			atomic_fetch_sub(&p.outstanding, 1);
			break;
		}
		if (cfg->progress && i % 100000 == 99999)
			fprintf(stderr, "preload: %llu/%llu znodes\n",
				(unsigned long long)i + 1,
				(unsigned long long)cfg->znodes);
	}
	deadline = bench_now_ns() + 60000000000ull;
	while (atomic_load(&p.outstanding) > 0 && bench_now_ns() < deadline)
		r->t->poll(r->all_conns, r->nclients, bench_now_ns() + 1000000,
			   BENCH_POLL_WAKE);
	if (rc != 0 || atomic_load(&p.outstanding) > 0 ||
	    atomic_load(&p.errors) > 0) {
		bench_msg(
			r->error, sizeof(r->error),
			"preload of %llu znodes under %s failed (%llu errors)",
			(unsigned long long)cfg->znodes, parent,
			(unsigned long long)atomic_load(&p.errors));
		return rc != 0 ? rc : -EIO;
	}
	bench_msg(r->note, sizeof(r->note), "preloaded %llu znodes in %.1f s",
		  (unsigned long long)cfg->znodes,
		  (double)(bench_now_ns() - t0) / 1e9);
	return 0;
}

/* ------------------------------------------------------- closed loop */

static void
closed_worker(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	uint64_t now, deadline;
	int i, j;

	for (i = 0; i < w->n; i++) {
		struct bench_client *c = w->clients[i];

		for (j = 0; j < c->nslots; j++) {
			atomic_fetch_add(&w->outstanding, 1);
			if (op_issue(&c->slots[j], bench_now_ns()) != 0) {
				atomic_fetch_sub(&w->outstanding, 1);
				bench_count_error(c);
			}
		}
	}
	while (!bench_stopping(r)) {
		now = bench_now_ns();
		w->run->t->poll(w->conns, w->n,
				now + 50000000 < r->end_ns ? now + 50000000
							   : r->end_ns,
				0);
		if (bench_now_ns() >= r->end_ns)
			break;
	}
	deadline = bench_now_ns() + 10000000000ull;
	while (atomic_load(&w->outstanding) > 0 && bench_now_ns() < deadline)
		r->t->poll(w->conns, w->n, bench_now_ns() + 1000000,
			   BENCH_POLL_WAKE);
}

/* --------------------------------------------------------- open loop */

struct ol_ctx {
	struct bench_worker *w;
	int next_client;
};

static uint64_t
ol_now(void *ctx)
{
	(void)ctx;
	return bench_now_ns();
}

static void
ol_poll(void *ctx, uint64_t deadline)
{
	struct ol_ctx *o = ctx;

	o->w->run->t->poll(o->w->conns, o->w->n, deadline, BENCH_POLL_WAKE);
}

static unsigned
ol_outstanding(void *ctx)
{
	struct ol_ctx *o = ctx;

	return atomic_load(&o->w->outstanding);
}

static int
ol_issue(void *ctx, uint64_t seq, uint64_t intended)
{
	struct ol_ctx *o = ctx;
	struct bench_worker *w = o->w;
	int i, j, rc;

	(void)seq;
	for (i = 0; i < w->n; i++) {
		struct bench_client *c = w->clients[o->next_client];

		o->next_client = (o->next_client + 1) % w->n;
		for (j = 0; j < c->nslots; j++) {
			struct bench_slot *s = &c->slots[j];
			int zero = 0;

			if (!atomic_compare_exchange_strong(&s->busy, &zero, 1))
				continue;
			atomic_fetch_add(&w->outstanding, 1);
			rc = op_issue(s, intended);
			if (rc != 0) {
				atomic_store(&s->busy, 0);
				atomic_fetch_sub(&w->outstanding, 1);
				bench_count_error(c);
			}
			return rc;
		}
	}
	return -EBUSY; /* every slot busy: cannot happen under the cap */
}

static void
open_worker(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	struct ol_ctx o = {.w = w, .next_client = 0};
	struct bench_ol_port port = {
		.now = ol_now,
		.poll = ol_poll,
		.issue = ol_issue,
		.outstanding = ol_outstanding,
		.ctx = &o,
	};
	struct bench_sched s;
	unsigned cap = 0;
	int i;

	for (i = 0; i < w->n; i++)
		cap += (unsigned)w->clients[i]->nslots;
	if (bench_sched_init(&s, r->start_ns, r->cfg->rate / r->nworkers,
			     r->cfg->arrival,
			     r->cfg->seed * 31u + (uint64_t)w->id) != 0)
		return;
	bench_open_loop(&port, &s, r->end_ns, cap,
			(const volatile bool *)&r->stop,
			r->end_ns + 10000000000ull);
}

static void
op_worker(struct bench_worker *w)
{
	struct op_state *st = w->run->wl_state;

	if (st->open)
		open_worker(w);
	else
		closed_worker(w);
}

#define OPS_FLAGS BENCH_WL_OPEN_LOOP

const struct bench_workload bench_wl_ops[] = {
	{"get",
	 "getData of a random preloaded znode",
	 1,
	 {"getData"},
	 OPS_FLAGS,
	 op_setup,
	 op_worker,
	 NULL},
	{"exists",
	 "exists of a random preloaded znode",
	 1,
	 {"exists"},
	 OPS_FLAGS,
	 op_setup,
	 op_worker,
	 NULL},
	{"set",
	 "setData of a random preloaded znode",
	 1,
	 {"setData"},
	 OPS_FLAGS,
	 op_setup,
	 op_worker,
	 NULL},
	{"create-delete",
	 "create a znode, then delete it (each op recorded)",
	 1,
	 {"create/delete"},
	 OPS_FLAGS,
	 op_setup,
	 op_worker,
	 NULL},
	{"children",
	 "getChildren of a parent with --children kids",
	 1,
	 {"getChildren"},
	 OPS_FLAGS,
	 op_setup,
	 op_worker,
	 NULL},
	{"mix",
	 "getData:setData at --read-pct reads",
	 3,
	 {"all", "read", "write"},
	 OPS_FLAGS,
	 op_setup,
	 op_worker,
	 NULL},
};
const int bench_wl_nops = sizeof(bench_wl_ops) / sizeof(bench_wl_ops[0]);
