/*
 * recipes.c — workloads that follow ZooKeeper's recipes rather than single
 * requests: the lock, leader election, watch fan-out and session set-up.
 *
 *  lock      every client loops: create an ephemeral-sequential child of the
 *            lock node, getChildren, and if it is not the lowest set an
 *            exists watch on its predecessor and wait for it to go; then
 *            delete its node.  Records time to acquire (create sent → lowest
 *            seen) and to release (delete sent → done), under contention of
 *            all clients.  No herd: each waiter watches one node.
 *  election  the same recipe for candidates; once every candidate is in
 *            place, the leader's session is closed and the time until its
 *            successor sees itself lowest is recorded; the old leader then
 *            rejoins with a new session at the end of the line.
 *  watch     N watchers set a data watch on one znode; a writer sets it;
 *            time from the setData send to the first and to the last
 *            watcher's event.  Watches are re-armed between rounds.
 *  session   each client thread establishes a session and closes it, again
 *            and again: time to connected, and to closed.
 *
 * Recipe callbacks of different conns may run on different threads (the
 * zk target), so state shared between clients is behind run->lock.
 * election and watch run single-threaded in our worker so that their
 * coordinator may drive every conn (libdpzk conns belong to one thread).
 */
#include "bench_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Lowest child name and the greatest name below `mine` (NULL if none).
 * Sequential names share the prefix and a 10-digit counter, so strcmp
 * orders them. */
static void
seq_neighbours(const struct bench_reply *rep, const char *mine,
	       const char **lowest, const char **pred)
{
	int i;

	*lowest = NULL;
	*pred = NULL;
	for (i = 0; rep != NULL && i < rep->nnames; i++) {
		const char *n = rep->names[i];

		if (*lowest == NULL || strcmp(n, *lowest) < 0)
			*lowest = n;
		if (strcmp(n, mine) < 0 &&
		    (*pred == NULL || strcmp(n, *pred) > 0))
			*pred = n;
	}
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* ---------------------------------------------------------------- lock */

struct lock_client {
	struct bench_client *c;
	struct bench_worker *w;
	uint64_t t_attempt, t_release;
	char mine[64];
	char path[128];
};

static void lock_attempt(struct lock_client *l);
static void lock_check(struct lock_client *l);

static void
lock_fail_rc(struct lock_client *l, int rc)
{
	bench_count_rc(l->c, rc);
	atomic_fetch_sub(&l->w->active, 1); /* this client stops */
}

static void
lock_fail(struct lock_client *l)
{
	bench_count_error(l->c);
	atomic_fetch_sub(&l->w->active, 1); /* this client stops */
}

static void
lock_released(void *arg, int rc, const struct bench_reply *rep)
{
	struct lock_client *l = arg;

	(void)rep;
	if (rc != BENCH_ZOK)
		return lock_fail_rc(l, rc);
	bench_record(l->c, 1, l->t_release, bench_now_ns());
	lock_attempt(l);
}

static void
lock_watch(void *arg, int type, const char *path)
{
	(void)path;
	if (type == BENCH_EV_DELETED)
		lock_check(arg);
}

static void
lock_exists(void *arg, int rc, const struct bench_reply *rep)
{
	(void)rep;
	if (rc == BENCH_ZNONODE)
		lock_check(arg); /* predecessor went before the watch */
	else if (rc != BENCH_ZOK)
		lock_fail_rc(arg, rc);
	/* else: wait for the watch */
}

static void
lock_children(void *arg, int rc, const struct bench_reply *rep)
{
	struct lock_client *l = arg;
	struct bench_run *r = l->c->run;
	const char *lowest, *pred;
	char path[128];

	if (rc != BENCH_ZOK)
		return lock_fail_rc(l, rc);
	seq_neighbours(rep, l->mine, &lowest, &pred);
	if (pred == NULL) {
		uint64_t now = bench_now_ns();

		bench_record(l->c, 0, l->t_attempt, now); /* acquired */
		l->t_release = bench_now_ns();
		if (r->t->del(l->c->conn, l->path, -1, lock_released, l) != 0)
			lock_fail(l);
		return;
	}
	bench_msg(path, sizeof(path), "%s/lock/%s", r->base, pred);
	if (r->t->exists(l->c->conn, path, lock_watch, l, lock_exists, l) != 0)
		lock_fail(l);
}

static void
lock_check(struct lock_client *l)
{
	struct bench_run *r = l->c->run;
	char path[128];

	bench_msg(path, sizeof(path), "%s/lock", r->base);
	if (r->t->children(l->c->conn, path, NULL, NULL, lock_children, l) != 0)
		lock_fail(l);
}

static void
lock_created(void *arg, int rc, const struct bench_reply *rep)
{
	struct lock_client *l = arg;

	if (rc != BENCH_ZOK || rep == NULL || rep->path == NULL)
		return lock_fail_rc(l, rc);
	bench_msg(l->path, sizeof(l->path), "%s", rep->path);
	bench_msg(l->mine, sizeof(l->mine), "%s", base_name(rep->path));
	lock_check(l);
}

static void
lock_attempt(struct lock_client *l)
{
	struct bench_run *r = l->c->run;
	char path[128];

	if (bench_stopping(r)) {
		atomic_fetch_sub(&l->w->active, 1);
		return;
	}
	l->t_attempt = bench_now_ns();
	bench_msg(path, sizeof(path), "%s/lock/n-", r->base);
	if (r->t->create(l->c->conn, path, NULL, 0,
			 BENCH_CREATE_EPHEMERAL | BENCH_CREATE_SEQUENTIAL,
			 lock_created, l) != 0)
		lock_fail(l);
}

static int
lock_setup(struct bench_run *r)
{
	char path[128];
	int i;

	for (i = 0; i < r->nclients; i++) {
		struct lock_client *l = calloc(1, sizeof(*l));

		if (l == NULL)
			return -ENOMEM;
		l->c = &r->clients[i];
		l->w = &r->workers[i % r->nworkers];
		r->clients[i].wl = l;
	}
	bench_msg(path, sizeof(path), "%s/lock", r->base);
	return bench_ensure_path(r, path);
}

static void
recipe_wait(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	uint64_t deadline;

	while (!bench_stopping(r) && bench_now_ns() < r->end_ns)
		r->t->poll(w->conns, w->n,
			   bench_now_ns() + 50000000 < r->end_ns
				   ? bench_now_ns() + 50000000
				   : r->end_ns,
			   0);
	deadline = bench_now_ns() + 10000000000ull;
	while (atomic_load(&w->active) > 0 && bench_now_ns() < deadline)
		r->t->poll(w->conns, w->n, bench_now_ns() + 1000000,
			   BENCH_POLL_WAKE);
}

static void
lock_worker(struct bench_worker *w)
{
	int i;

	atomic_store(&w->active, w->n);
	for (i = 0; i < w->n; i++)
		lock_attempt(w->clients[i]->wl);
	recipe_wait(w);
}

/* ------------------------------------------------------------ election */

enum el_role { EL_NONE, EL_JOINING, EL_WATCHING, EL_LEADER };

struct el_cand {
	struct bench_client *c;
	enum el_role role;
	char mine[64];
};

struct el_state {
	struct el_cand *cands;
	int n;
	bool pending;
	uint64_t t0;
	uint64_t rounds;
};

static void el_check(struct el_cand *k);

static struct el_state *
el_of(struct el_cand *k)
{
	return k->c->run->wl_state;
}

static void
el_error(struct el_cand *k)
{
	bench_count_error(k->c);
	bench_stop(k->c->run, bench_now_ns());
}

static void
el_error_rc(struct el_cand *k, int rc)
{
	bench_count_rc(k->c, rc);
	bench_stop(k->c->run, bench_now_ns());
}

static void
el_watch(void *arg, int type, const char *path)
{
	struct el_cand *k = arg;

	(void)path;
	if (type != BENCH_EV_DELETED)
		return;
	pthread_mutex_lock(&k->c->run->lock);
	k->role = EL_JOINING;
	pthread_mutex_unlock(&k->c->run->lock);
	el_check(k);
}

static void
el_exists(void *arg, int rc, const struct bench_reply *rep)
{
	struct el_cand *k = arg;

	(void)rep;
	if (rc == BENCH_ZNONODE) {
		el_check(k);
	} else if (rc == BENCH_ZOK) {
		pthread_mutex_lock(&k->c->run->lock);
		if (k->role == EL_JOINING)
			k->role = EL_WATCHING;
		pthread_mutex_unlock(&k->c->run->lock);
	} else {
		el_error_rc(k, rc);
	}
}

static void
el_children(void *arg, int rc, const struct bench_reply *rep)
{
	struct el_cand *k = arg;
	struct bench_run *r = k->c->run;
	struct el_state *e = el_of(k);
	const char *lowest, *pred;
	char path[128];
	uint64_t now = bench_now_ns();

	if (rc != BENCH_ZOK)
		return el_error_rc(k, rc);
	seq_neighbours(rep, k->mine, &lowest, &pred);
	if (pred == NULL) {
		uint64_t t0 = 0;

		pthread_mutex_lock(&r->lock);
		k->role = EL_LEADER;
		if (e->pending) {
			e->pending = false;
			t0 = e->t0;
		}
		pthread_mutex_unlock(&r->lock);
		if (t0 != 0)
			bench_record_shared(r, 0, t0, now);
		return;
	}
	bench_msg(path, sizeof(path), "%s/el/%s", r->base, pred);
	if (r->t->exists(k->c->conn, path, el_watch, k, el_exists, k) != 0)
		el_error(k);
}

static void
el_check(struct el_cand *k)
{
	struct bench_run *r = k->c->run;
	char path[128];

	bench_msg(path, sizeof(path), "%s/el", r->base);
	if (r->t->children(k->c->conn, path, NULL, NULL, el_children, k) != 0)
		el_error(k);
}

static void
el_created(void *arg, int rc, const struct bench_reply *rep)
{
	struct el_cand *k = arg;

	if (rc != BENCH_ZOK || rep == NULL || rep->path == NULL)
		return el_error_rc(k, rc);
	bench_msg(k->mine, sizeof(k->mine), "%s", base_name(rep->path));
	el_check(k);
}

static void
el_join(struct el_cand *k)
{
	struct bench_run *r = k->c->run;
	char path[128];

	k->role = EL_JOINING;
	bench_msg(path, sizeof(path), "%s/el/n-", r->base);
	if (r->t->create(k->c->conn, path, NULL, 0,
			 BENCH_CREATE_EPHEMERAL | BENCH_CREATE_SEQUENTIAL,
			 el_created, k) != 0)
		el_error(k);
}

static int
el_setup(struct bench_run *r)
{
	struct el_state *e = calloc(1, sizeof(*e));
	char path[128];
	int i;

	if (e == NULL)
		return -ENOMEM;
	r->wl_state = e;
	if (r->nclients < 2) {
		bench_msg(r->error, sizeof(r->error),
			  "election needs --clients >= 2 (candidates)");
		return -EINVAL;
	}
	e->n = r->nclients;
	e->cands = calloc((size_t)e->n, sizeof(*e->cands));
	if (e->cands == NULL)
		return -ENOMEM;
	for (i = 0; i < e->n; i++) {
		e->cands[i].c = &r->clients[i];
		r->clients[i].wl = NULL;
	}
	bench_msg(path, sizeof(path), "%s/el", r->base);
	return bench_ensure_path(r, path);
}

static void
el_worker(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	struct el_state *e = r->wl_state;
	struct el_cand *leader = NULL;
	uint64_t now, wait_start = 0;
	int i, leaders, watching;
	bool waiting = false;

	for (i = 0; i < e->n; i++)
		el_join(&e->cands[i]);
	while (!bench_stopping(r)) {
		now = bench_now_ns();
		if (now >= r->end_ns)
			break;
		r->t->poll(w->conns, w->n, now + 1000000, BENCH_POLL_WAKE);
		pthread_mutex_lock(&r->lock);
		if (waiting) {
			bool done = !e->pending;

			pthread_mutex_unlock(&r->lock);
			if (!done &&
			    bench_now_ns() - wait_start < 10000000000ull)
				continue;
			if (!done) {
				bench_count_error(leader->c);
				pthread_mutex_lock(&r->lock);
				e->pending = false;
				pthread_mutex_unlock(&r->lock);
			}
			/* the old leader rejoins with a new session */
			if (r->t->connect(r->cfg->hosts,
					  r->cfg->session_timeout_ms,
					  &leader->c->conn) != 0) {
				leader->c->conn = NULL;
				el_error(leader);
				break;
			}
			for (i = 0; i < w->n; i++)
				w->conns[i] = w->clients[i]->conn;
			waiting = false;
			el_join(leader);
			continue;
		}
		leaders = watching = 0;
		leader = NULL;
		for (i = 0; i < e->n; i++) {
			if (e->cands[i].role == EL_LEADER) {
				leaders++;
				leader = &e->cands[i];
			}
			watching += e->cands[i].role == EL_WATCHING;
		}
		if (leaders != 1 || watching != e->n - 1) {
			pthread_mutex_unlock(&r->lock);
			continue;
		}
		/* everyone in place: close the leader's session */
		e->pending = true;
		leader->role = EL_NONE;
		e->t0 = bench_now_ns();
		pthread_mutex_unlock(&r->lock);
		r->t->close(leader->c->conn);
		leader->c->conn = NULL;
		for (i = 0; i < w->n; i++)
			w->conns[i] = w->clients[i]->conn;
		waiting = true;
		wait_start = bench_now_ns();
	}
	for (i = 0; i < w->n; i++)
		w->conns[i] = w->clients[i]->conn;
}

static void
el_teardown(struct bench_run *r)
{
	struct el_state *e = r->wl_state;

	if (e != NULL)
		free(e->cands);
}

/* ---------------------------------------------------------------- watch */

struct watch_state {
	atomic_int armed;
	int fired;
	uint64_t t0, first, last;
	uint64_t round;
};

static void
watch_fired(void *arg, int type, const char *path)
{
	struct bench_client *c = arg;
	struct bench_run *r = c->run;
	struct watch_state *s = r->wl_state;
	uint64_t now = bench_now_ns();

	(void)path;
	if (type != BENCH_EV_CHANGED)
		return;
	pthread_mutex_lock(&r->lock);
	if (s->fired == 0 || now < s->first)
		s->first = now;
	if (now > s->last)
		s->last = now;
	s->fired++;
	pthread_mutex_unlock(&r->lock);
}

static void
watch_armed(void *arg, int rc, const struct bench_reply *rep)
{
	struct bench_client *c = arg;
	struct watch_state *s = c->run->wl_state;

	(void)rep;
	if (rc != BENCH_ZOK) {
		bench_count_rc(c, rc);
		bench_stop(c->run, bench_now_ns());
		return;
	}
	atomic_fetch_add(&s->armed, 1);
}

static void
watch_set_done(void *arg, int rc, const struct bench_reply *rep)
{
	(void)rep;
	if (rc != BENCH_ZOK)
		bench_count_rc(arg, rc);
}

static int
watch_setup(struct bench_run *r)
{
	struct watch_state *s = calloc(1, sizeof(*s));
	char path[128];
	int rc;

	if (s == NULL)
		return -ENOMEM;
	r->wl_state = s;
	bench_msg(path, sizeof(path), "%s/w", r->base);
	rc = bench_ensure_path(r, path);
	if (rc != 0)
		return rc;
	rc = bench_sync_set(r->t, r->clients[0].conn, path, r->value,
			    r->cfg->value_size, r->cfg->session_timeout_ms);
	if (rc != BENCH_ZOK) {
		bench_msg(r->error, sizeof(r->error),
			  "setData %s: ZooKeeper code %d", path, rc);
		return -EIO;
	}
	return 0;
}

static void
watch_arm_all(struct bench_run *r, const char *path)
{
	int i, nw = r->nclients - 1; /* the last client is the writer */

	for (i = 0; i < nw; i++) {
		struct bench_client *c = &r->clients[i];

		if (r->t->get(c->conn, path, watch_fired, c, watch_armed, c) !=
		    0) {
			bench_count_error(c);
			bench_stop(r, bench_now_ns());
		}
	}
}

static void
watch_worker(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	struct watch_state *s = r->wl_state;
	struct bench_client *writer = &r->clients[r->nclients - 1];
	int nw = r->nclients - 1, fired;
	uint64_t now, round_start, t0 = 0, first = 0, last = 0;
	char path[128];
	bool set_sent = false;

	bench_msg(path, sizeof(path), "%s/w", r->base);
	watch_arm_all(r, path);
	round_start = bench_now_ns();
	while (!bench_stopping(r)) {
		now = bench_now_ns();
		if (now >= r->end_ns)
			break;
		r->t->poll(w->conns, w->n, now + 1000000, BENCH_POLL_WAKE);
		now = bench_now_ns();
		if (now - round_start > 5000000000ull) {
			bench_msg(r->error, sizeof(r->error),
				  "watch round timed out (%d of %d armed)",
				  atomic_load(&s->armed), nw);
			bench_count_error(writer);
			bench_stop(r, now);
			break;
		}
		if (!set_sent) {
			if (atomic_load(&s->armed) < nw)
				continue;
			pthread_mutex_lock(&r->lock);
			s->fired = 0;
			s->first = s->last = 0;
			pthread_mutex_unlock(&r->lock);
			t0 = bench_now_ns();
			if (r->t->set(writer->conn, path, r->value,
				      r->cfg->value_size, -1, watch_set_done,
				      writer) != 0) {
				bench_count_error(writer);
				bench_stop(r, t0);
				break;
			}
			set_sent = true;
			continue;
		}
		pthread_mutex_lock(&r->lock);
		fired = s->fired;
		first = s->first;
		last = s->last;
		pthread_mutex_unlock(&r->lock);
		if (fired < nw)
			continue;
		bench_record_shared(r, 0, t0, first);
		bench_record_shared(r, 1, t0, last);
		atomic_store(&s->armed, 0);
		set_sent = false;
		watch_arm_all(r, path);
		round_start = bench_now_ns();
	}
	/* let arming completions land before the conns close */
	now = bench_now_ns();
	while (bench_now_ns() - now < 100000000ull)
		r->t->poll(w->conns, w->n, bench_now_ns() + 10000000,
			   BENCH_POLL_WAKE);
}

/* -------------------------------------------------------------- session */

static void
session_worker(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	struct bench_client *c = w->clients[0];
	struct bench_conn *conn;
	uint64_t t0, t1, t2;
	int rc;

	while (!bench_stopping(r) && bench_now_ns() < r->end_ns) {
		t0 = bench_now_ns();
		rc = r->t->connect(r->cfg->hosts, r->cfg->session_timeout_ms,
				   &conn);
		t1 = bench_now_ns();
		if (rc != 0) {
			bench_count_error(c);
			bench_sleep_until(t1 + 100000000ull);
			continue;
		}
		bench_record(c, 0, t0, t1);
		r->t->close(conn);
		t2 = bench_now_ns();
		bench_record(c, 1, t1, t2);
	}
}

const struct bench_workload bench_wl_recipes[] = {
	{"lock",
	 "lock recipe (ephemeral-sequential + watch on predecessor) under contention of all clients",
	 2,
	 {"acquire", "release"},
	 0,
	 lock_setup,
	 lock_worker,
	 NULL},
	{"election",
	 "leader election recipe: leader's session closes, successor takes over",
	 1,
	 {"takeover"},
	 BENCH_WL_SINGLE_THREAD,
	 el_setup,
	 el_worker,
	 el_teardown},
	{"watch",
	 "one setData, data watches at --clients watchers: first and last event",
	 2,
	 {"first", "last"},
	 BENCH_WL_SINGLE_THREAD | BENCH_WL_EXTRA_CONN,
	 watch_setup,
	 watch_worker,
	 NULL},
	{"session",
	 "session establishment (connect until connected) and close",
	 2,
	 {"connect", "close"},
	 BENCH_WL_NO_CONNS | BENCH_WL_THREAD_PER_CLIENT,
	 NULL,
	 session_worker,
	 NULL},
};
const int bench_wl_nrecipes =
	sizeof(bench_wl_recipes) / sizeof(bench_wl_recipes[0]);
