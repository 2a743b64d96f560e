/*
 * run.c — one benchmark run: connect the clients, let the workload set up,
 * start the worker threads, watch the clock (warm-up, duration, progress
 * line), stop, drain, and merge what the clients recorded.
 *
 * The main thread never touches a conn once the workers run; it only reads
 * atomic counters for the progress line and sets `stop`.  Workers drain
 * their outstanding operations (bounded in time) before returning, so every
 * histogram is complete and quiescent when it is merged.
 */
#include "bench_priv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
bench_config_defaults(struct bench_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->target = "zk";
	cfg->hosts = "127.0.0.1:2181";
	cfg->workload = "get";
	cfg->load = BENCH_LOAD_CLOSED;
	cfg->clients = 1;
	cfg->depth = 1;
	cfg->threads = 1;
	cfg->arrival = BENCH_ARRIVAL_UNIFORM;
	cfg->warmup_s = 1.0;
	cfg->duration_s = 10.0;
	cfg->value_size = 16;
	cfg->znodes = 1000;
	cfg->read_pct = 90;
	cfg->children = 10;
	cfg->session_timeout_ms = 10000;
	cfg->seed = 1;
	cfg->dir = ".";
	cfg->progress = true;
	cfg->durability = "n/a";
	cfg->idle = "n/a";
}

uint64_t
bench_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void
bench_stop(struct bench_run *r, uint64_t now)
{
	uint_fast64_t zero = 0;

	atomic_compare_exchange_strong(&r->stop_ns, &zero, now);
	atomic_store(&r->stop, true);
}

static void
count_second(struct bench_run *r, uint32_t *per_sec, uint64_t end)
{
	uint64_t sec;

	if (end < r->start_ns)
		return;
	sec = (end - r->start_ns) / 1000000000u;
	if (sec < (uint64_t)r->nsec)
		per_sec[sec]++;
}

static void
count_recorded(struct bench_run *r, uint64_t end)
{
	uint64_t n = atomic_fetch_add(&r->recorded, 1) + 1;

	if (r->cfg->ops > 0 && n >= r->cfg->ops)
		bench_stop(r, end);
}

void
bench_record(struct bench_client *c, int hist, uint64_t start, uint64_t end)
{
	struct bench_run *r = c->run;

	if (hist == 0) {
		count_second(r, c->per_sec, end);
		atomic_fetch_add_explicit(&c->done, 1, memory_order_relaxed);
	}
	if (start < r->warm_end_ns)
		return; /* warm-up: counted per second, not recorded */
	bench_hist_record(&c->hist[hist], end >= start ? end - start : 0);
	if (hist == 0)
		count_recorded(r, end);
}

void
bench_record_shared(struct bench_run *r, int hist, uint64_t start, uint64_t end)
{
	pthread_mutex_lock(&r->lock);
	if (hist == 0)
		count_second(r, r->shared_per_sec, end);
	if (start >= r->warm_end_ns)
		bench_hist_record(&r->shared[hist],
				  end >= start ? end - start : 0);
	pthread_mutex_unlock(&r->lock);
	if (hist == 0) {
		atomic_fetch_add_explicit(&r->clients[0].done, 1,
					  memory_order_relaxed);
		if (start >= r->warm_end_ns)
			count_recorded(r, end);
	}
}

void
bench_msg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void
bench_count_error(struct bench_client *c)
{
	/* a recipe step that could not be sent because the run is closing
	 * its sessions is not an error of the target */
	if (bench_stopping(c->run))
		return;
	atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->run->err_codes[0], 1,
				  memory_order_relaxed);
}

void
bench_count_rc(struct bench_client *c, int rc)
{
	int k = rc < 0 && -rc < BENCH_NCODES ? -rc : 0;

	/* ops still in flight when the run closes its sessions */
	if (rc == BENCH_ZCLOSING && bench_stopping(c->run))
		return;

	atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->run->err_codes[k], 1,
				  memory_order_relaxed);
}

/* ------------------------------------------------------- sync helpers */

struct sync_wait {
	atomic_int done;
	int rc;
	int32_t num_children;
};

static void
sync_done(void *arg, int rc, const struct bench_reply *rep)
{
	struct sync_wait *w = arg;

	w->rc = rc;
	w->num_children = rep != NULL ? rep->num_children : 0;
	atomic_store(&w->done, 1);
}

/* Polls until w is done: true, or false after timeout_ms (w must then
 * outlive the op, and is leaked on purpose). */
static bool
sync_wait(const struct bench_target_ops *t, struct bench_conn *c,
	  struct sync_wait *w, int timeout_ms)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
	uint64_t now;

	while (!atomic_load(&w->done)) {
		now = bench_now_ns();
		if (now >= deadline)
			return false;
		t->poll(&c, 1,
			now + 1000000 < deadline ? now + 1000000 : deadline,
			BENCH_POLL_WAKE);
	}
	return true;
}

static struct sync_wait *
sync_new(void)
{
	return calloc(1, sizeof(struct sync_wait));
}

/* ZooKeeper codes and -errno overlap (ZNODEEXISTS == -ETIMEDOUT on
 * Linux), so these helpers return ZooKeeper codes only. */
static int
sync_finish(const struct bench_target_ops *t, struct bench_conn *c,
	    struct sync_wait *w, int rc, int timeout_ms, int32_t *nc)
{
	if (rc != 0) {
		free(w);
		return BENCH_ZSYSTEMERROR; /* could not be sent */
	}
	if (!sync_wait(t, c, w, timeout_ms))
		return BENCH_ZOPERATIONTIMEOUT; /* late completion writes w */
	rc = w->rc;
	if (nc != NULL)
		*nc = w->num_children;
	free(w);
	return rc;
}

int
bench_sync_create(const struct bench_target_ops *t, struct bench_conn *c,
		  const char *path, const void *data, int len, int flags,
		  int timeout_ms)
{
	struct sync_wait *w = sync_new();

	if (w == NULL)
		return -ENOMEM;
	return sync_finish(t, c, w,
			   t->create(c, path, data, len, flags, sync_done, w),
			   timeout_ms, NULL);
}

int
bench_sync_exists(const struct bench_target_ops *t, struct bench_conn *c,
		  const char *path, int32_t *num_children, int timeout_ms)
{
	struct sync_wait *w = sync_new();

	if (w == NULL)
		return -ENOMEM;
	return sync_finish(t, c, w,
			   t->exists(c, path, NULL, NULL, sync_done, w),
			   timeout_ms, num_children);
}

int
bench_sync_set(const struct bench_target_ops *t, struct bench_conn *c,
	       const char *path, const void *data, int len, int timeout_ms)
{
	struct sync_wait *w = sync_new();

	if (w == NULL)
		return -ENOMEM;
	return sync_finish(t, c, w,
			   t->set(c, path, data, len, -1, sync_done, w),
			   timeout_ms, NULL);
}

int
bench_ensure_path(struct bench_run *r, const char *path)
{
	char buf[256];
	size_t i, n = strlen(path);
	int rc;

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(buf, path, i);
		buf[i] = '\0';
		rc = bench_sync_create(r->t, r->clients[0].conn, buf, NULL, 0,
				       0, r->cfg->session_timeout_ms);
		if (rc != BENCH_ZOK && rc != BENCH_ZNODEEXISTS) {
			bench_msg(r->error, sizeof(r->error),
				  "cannot create %s: %d", buf, rc);
			return rc < 0 ? rc : -EIO;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- run */

const char *
bench_workload_names(void)
{
	static char names[512];
	size_t off = 0;
	int i;

	if (names[0] != '\0')
		return names;
	for (i = 0; i < bench_wl_nops; i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off,
					"%s%s", off ? "," : "",
					bench_wl_ops[i].name);
	for (i = 0; i < bench_wl_nrecipes; i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, ",%s",
					bench_wl_recipes[i].name);
	for (i = 0; i < bench_wl_nfloor; i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, ",%s",
					bench_wl_floor[i].name);
	return names;
}

const struct bench_workload *
bench_workload_find(const char *name)
{
	int i;

	for (i = 0; i < bench_wl_nops; i++)
		if (strcmp(bench_wl_ops[i].name, name) == 0)
			return &bench_wl_ops[i];
	for (i = 0; i < bench_wl_nrecipes; i++)
		if (strcmp(bench_wl_recipes[i].name, name) == 0)
			return &bench_wl_recipes[i];
	for (i = 0; i < bench_wl_nfloor; i++)
		if (strcmp(bench_wl_floor[i].name, name) == 0)
			return &bench_wl_floor[i];
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct bench_worker *w = arg;

	w->run->wl->worker(w);
	return NULL;
}

static int
run_fail(struct bench_results *res, int rc, const char *fmt, const char *a)
{
	bench_msg(res->error, sizeof(res->error), fmt, a);
	return rc;
}

static void
progress(struct bench_run *r, uint64_t now, uint64_t *last_done,
	 uint64_t *last_t, bool final)
{
	uint64_t done = 0, errs = 0;
	double el = (double)(now - r->start_ns) / 1e9, rate;
	double total = (double)(r->end_ns - r->start_ns) / 1e9;
	int i;

	for (i = 0; i < r->nclients; i++) {
		done += atomic_load_explicit(&r->clients[i].done,
					     memory_order_relaxed);
		errs += atomic_load_explicit(&r->clients[i].errors,
					     memory_order_relaxed);
	}
	rate = now > *last_t ? (double)(done - *last_done) * 1e9 /
				       (double)(now - *last_t)
			     : 0.0;
	fprintf(stderr,
		"%s[%s %s] %5.1f/%.1f s %s %10llu ops %9.0f op/s %llu errors%s",
		isatty(2) ? "\r" : "", r->cfg->target, r->wl->name, el, total,
		now < r->warm_end_ns ? "warm-up" : "measure",
		(unsigned long long)done, rate, (unsigned long long)errs,
		final || !isatty(2) ? "\n" : "");
	*last_done = done;
	*last_t = now;
}

static void
run_free(struct bench_run *r)
{
	int i;

	for (i = 0; i < r->nclients; i++) {
		struct bench_client *c = &r->clients[i];

		if (c->conn != NULL)
			r->t->close(c->conn);
		free(c->per_sec);
		free(c->slots);
		free(c->wl);
	}
	for (i = 0; i < r->nworkers; i++) {
		free(r->workers[i].clients);
		free(r->workers[i].conns);
	}
	free(r->clients);
	free(r->all_conns);
	free(r->workers);
	free(r->value);
	free(r->shared_per_sec);
	free(r->wl_state);
	pthread_mutex_destroy(&r->lock);
}

static int
run_alloc(struct bench_run *r, struct bench_results *res)
{
	const struct bench_config *cfg = r->cfg;
	int i, nw;

	r->nclients =
		cfg->clients + (r->wl->flags & BENCH_WL_EXTRA_CONN ? 1 : 0);
	if (r->wl->flags & BENCH_WL_SINGLE_THREAD)
		nw = 1;
	else if (r->wl->flags & BENCH_WL_THREAD_PER_CLIENT)
		nw = r->nclients;
	else
		nw = cfg->threads < r->nclients ? cfg->threads : r->nclients;
	r->nworkers = nw;
	r->nsec = (int)ceil(cfg->warmup_s + cfg->duration_s) + 30;
	r->clients = calloc((size_t)r->nclients, sizeof(*r->clients));
	r->all_conns = calloc((size_t)r->nclients, sizeof(*r->all_conns));
	r->workers = calloc((size_t)nw, sizeof(*r->workers));
	r->value = malloc((size_t)cfg->value_size + 1);
	r->shared_per_sec = calloc((size_t)r->nsec, sizeof(uint32_t));
	if (r->clients == NULL || r->all_conns == NULL || r->workers == NULL ||
	    r->value == NULL || r->shared_per_sec == NULL)
		return run_fail(res, -ENOMEM, "%s", "out of memory");
	for (i = 0; i < cfg->value_size; i++)
		r->value[i] = (char)('a' + i % 26);
	r->value[cfg->value_size] = '\0';
	for (i = 0; i < BENCH_MAX_HIST; i++)
		bench_hist_init(&r->shared[i]);
	for (i = 0; i < r->nclients; i++) {
		struct bench_client *c = &r->clients[i];
		int h;

		c->run = r;
		c->id = i;
		c->rng = cfg->seed * 1000003u + (uint64_t)i * 7919u + 1;
		for (h = 0; h < BENCH_MAX_HIST; h++)
			bench_hist_init(&c->hist[h]);
		c->per_sec = calloc((size_t)r->nsec, sizeof(uint32_t));
		if (c->per_sec == NULL)
			return run_fail(res, -ENOMEM, "%s", "out of memory");
	}
	for (i = 0; i < nw; i++) {
		struct bench_worker *w = &r->workers[i];
		int n = r->nclients / nw + (i < r->nclients % nw ? 1 : 0);
		int j, k = 0;

		w->run = r;
		w->id = i;
		w->clients = calloc((size_t)n + 1, sizeof(*w->clients));
		w->conns = calloc((size_t)n + 1, sizeof(*w->conns));
		if (w->clients == NULL || w->conns == NULL)
			return run_fail(res, -ENOMEM, "%s", "out of memory");
		for (j = i; j < r->nclients; j += nw)
			w->clients[k++] = &r->clients[j];
		w->n = k;
	}
	return 0;
}

static void
run_merge(struct bench_run *r, struct bench_results *res)
{
	int i, h, s;

	res->nsec = r->nsec;
	res->per_sec = calloc((size_t)r->nsec, sizeof(uint32_t));
	for (h = 0; h < BENCH_MAX_HIST; h++) {
		bench_hist_init(&res->hist[h]);
		bench_hist_merge(&res->hist[h], &r->shared[h]);
	}
	for (i = 0; i < r->nclients; i++) {
		struct bench_client *c = &r->clients[i];

		for (h = 0; h < BENCH_MAX_HIST; h++)
			bench_hist_merge(&res->hist[h], &c->hist[h]);
		res->errors += atomic_load(&c->errors);
		for (s = 0; s < r->nsec && res->per_sec != NULL; s++)
			res->per_sec[s] += c->per_sec[s];
	}
	for (s = 0; s < r->nsec && res->per_sec != NULL; s++)
		res->per_sec[s] += r->shared_per_sec[s];
	for (i = 0; i < BENCH_NCODES; i++)
		res->err_codes[i] = atomic_load(&r->err_codes[i]);
	res->ops = res->hist[0].total;
	res->warmup_secs = (int)ceil(r->cfg->warmup_s);
}

int
bench_run(const struct bench_config *cfg, struct bench_results *res)
{
	struct bench_run run, *r = &run;
	uint64_t now, last_done = 0, last_t, next_progress, stop_ns;
	char why[256];
	int i, rc;

	memset(res, 0, sizeof(*res));
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->cfg = cfg;
	r->wl = bench_workload_find(cfg->workload);
	if (r->wl == NULL)
		return run_fail(res, -EINVAL, "unknown workload '%s'",
				cfg->workload);
	res->workload = r->wl->name;
	res->nhist = r->wl->nhist;
	for (i = 0; i < r->wl->nhist; i++)
		res->hist_names[i] = r->wl->hist_names[i];
	if (cfg->load == BENCH_LOAD_OPEN &&
	    !(r->wl->flags & BENCH_WL_OPEN_LOOP))
		return run_fail(
			res, -EINVAL,
			"workload '%s' has no open-loop model (drop --rate)",
			r->wl->name);
	if (cfg->clients < 1 || cfg->depth < 1 || cfg->threads < 1 ||
	    cfg->value_size < 0 || cfg->value_size > (1 << 20))
		return run_fail(res, -EINVAL, "%s",
				"bad clients/depth/threads/value size");
	if (!(r->wl->flags & BENCH_WL_NO_TARGET)) {
		r->t = bench_target_find(cfg->target);
		if (r->t == NULL)
			return run_fail(res, -EINVAL, "unknown target '%s'",
					cfg->target);
		why[0] = '\0';
		rc = r->t->available(why, sizeof(why));
		if (rc != 0)
			return run_fail(res, rc, "%s", why);
	}
	r->nonce = (uint64_t)getpid() * 1000003u ^ bench_now_ns();
	snprintf(r->base, sizeof(r->base), "/dpzk-bench");
	rc = run_alloc(r, res);
	if (rc != 0)
		goto out;
	if (r->t != NULL && r->t->server_version != NULL &&
	    r->t->server_version(cfg->hosts, res->server_version,
				 sizeof(res->server_version)) != 0)
		snprintf(res->server_version, sizeof(res->server_version),
			 "unknown");
	if (r->t != NULL && !(r->wl->flags & BENCH_WL_NO_CONNS)) {
		for (i = 0; i < r->nclients; i++) {
			rc = r->t->connect(cfg->hosts, cfg->session_timeout_ms,
					   &r->clients[i].conn);
			if (rc != 0) {
				bench_msg(
					res->error, sizeof(res->error),
					"cannot connect client %d to %s (%s): %s",
					i, cfg->hosts, r->t->name,
					strerror(-rc));
				goto out;
			}
		}
		for (i = 0; i < r->nworkers; i++) {
			struct bench_worker *w = &r->workers[i];
			int j;

			for (j = 0; j < w->n; j++)
				w->conns[j] = w->clients[j]->conn;
		}
		for (i = 0; i < r->nclients; i++)
			r->all_conns[i] = r->clients[i].conn;
	}
	if (r->wl->setup != NULL) {
		rc = r->wl->setup(r);
		if (rc != 0 && r->wl->teardown != NULL)
			r->wl->teardown(r);
		if (rc != 0) {
			bench_msg(res->error, sizeof(res->error),
				  "set-up of %s failed: %s", r->wl->name,
				  r->error[0] ? r->error : strerror(-rc));
			goto out;
		}
	}
	r->start_ns = bench_now_ns();
	r->warm_end_ns = r->start_ns + (uint64_t)(cfg->warmup_s * 1e9);
	r->end_ns = r->warm_end_ns + (uint64_t)(cfg->duration_s * 1e9);
	for (i = 0; i < r->nworkers; i++) {
		rc = -pthread_create(&r->workers[i].th, NULL, worker_main,
				     &r->workers[i]);
		if (rc != 0) {
			bench_stop(r, bench_now_ns());
			while (--i >= 0)
				pthread_join(r->workers[i].th, NULL);
			bench_msg(res->error, sizeof(res->error),
				  "cannot start worker threads");
			goto out;
		}
	}
	last_t = r->start_ns;
	next_progress = r->start_ns + 1000000000u;
	while (!bench_stopping(r)) {
		now = bench_now_ns();
		if (now >= r->end_ns) {
			bench_stop(r, r->end_ns);
			break;
		}
		if (cfg->progress && now >= next_progress) {
			progress(r, now, &last_done, &last_t, false);
			next_progress += 1000000000u;
		}
		bench_sleep_until(now + 20000000 < r->end_ns ? now + 20000000
							     : r->end_ns);
	}
	for (i = 0; i < r->nworkers; i++)
		pthread_join(r->workers[i].th, NULL);
	/* sessions end before workload state goes: a library thread may
	 * still be running a callback into it until its conn is closed */
	for (i = 0; i < r->nclients; i++) {
		if (r->clients[i].conn != NULL)
			r->t->close(r->clients[i].conn);
		r->clients[i].conn = NULL;
	}
	if (r->wl->teardown != NULL)
		r->wl->teardown(r);
	if (cfg->progress)
		progress(r, bench_now_ns(), &last_done, &last_t, true);
	stop_ns = atomic_load(&r->stop_ns);
	if (stop_ns > r->end_ns)
		stop_ns = r->end_ns;
	res->measured_s = stop_ns > r->warm_end_ns
				  ? (double)(stop_ns - r->warm_end_ns) / 1e9
				  : 0.0;
	run_merge(r, res);
	bench_msg(res->note, sizeof(res->note), "%s", r->note);
	if (r->error[0] != '\0')
		bench_msg(res->error, sizeof(res->error), "%s", r->error);
	rc = 0;
out:
	run_free(r);
	return rc;
}

void
bench_results_free(struct bench_results *res)
{
	free(res->per_sec);
	res->per_sec = NULL;
}
