/*
 * target_zk.c — the `zk` target: Apache ZooKeeper through its own C client,
 * libzookeeper-mt (Debian's libzookeeper-mt-dev).
 *
 * The multi-threaded client runs an I/O thread and a completion thread per
 * handle; completions and watches for one handle arrive serialised on its
 * completion thread (threaded_callbacks).  Our poll therefore only waits:
 * either until the deadline, or (BENCH_POLL_WAKE) until any completion was
 * delivered, signalled through one condition variable that completions
 * touch only while someone waits on it.
 *
 * Each async call carries a small heap context (done + arg); watch contexts
 * are kept on a per-conn list so those that never fire are freed at close.
 */
#include "bench_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netdb.h>
#include <unistd.h>

#ifdef BENCH_HAVE_ZK
#include <zookeeper/zookeeper.h>

struct zk_watch {
	struct zk_watch *next, *prev;
	struct bench_conn *c;
	bench_watch_fn fn;
	void *arg;
};

struct bench_conn {
	zhandle_t *zh;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state;
	struct zk_watch watches; /* list head */
};

struct zk_call {
	bench_done_fn done;
	void *arg;
};

static pthread_mutex_t zk_wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t zk_wake_cv;
static pthread_once_t zk_once = PTHREAD_ONCE_INIT;
static atomic_int zk_waiters;
static uint64_t zk_wake_gen;

static void
zk_init_once(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&zk_wake_cv, &a);
	pthread_condattr_destroy(&a);
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
}

static void
zk_wake(void)
{
	if (atomic_load_explicit(&zk_waiters, memory_order_relaxed) == 0)
		return;
	pthread_mutex_lock(&zk_wake_mu);
	zk_wake_gen++;
	pthread_cond_broadcast(&zk_wake_cv);
	pthread_mutex_unlock(&zk_wake_mu);
}

static void
abs_timespec(uint64_t t, struct timespec *ts)
{
	ts->tv_sec = (time_t)(t / 1000000000u);
	ts->tv_nsec = (long)(t % 1000000000u);
}

static int
zk_available(char *why, size_t len)
{
	(void)why;
	(void)len;
	pthread_once(&zk_once, zk_init_once);
	return 0;
}

static void
zk_global_watcher(zhandle_t *zh, int type, int state, const char *path,
		  void *ctx)
{
	struct bench_conn *c = ctx;

	(void)zh;
	(void)path;
	if (type != ZOO_SESSION_EVENT || c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->state = state;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static int
zk_connect(const char *hosts, int timeout_ms, struct bench_conn **out)
{
	struct bench_conn *c = calloc(1, sizeof(*c));
	pthread_condattr_t a;
	struct timespec ts;
	uint64_t deadline;
	int rc = 0;

	if (c == NULL)
		return -ENOMEM;
	pthread_once(&zk_once, zk_init_once);
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &a);
	pthread_condattr_destroy(&a);
	c->watches.next = c->watches.prev = &c->watches;
	deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
	c->zh = zookeeper_init(hosts, zk_global_watcher, timeout_ms, NULL, c,
			       0);
	if (c->zh == NULL) {
		rc = errno ? -errno : -EINVAL;
		goto fail;
	}
	abs_timespec(deadline, &ts);
	pthread_mutex_lock(&c->mu);
	while (c->state != ZOO_CONNECTED_STATE && rc == 0) {
		if (c->state == ZOO_EXPIRED_SESSION_STATE ||
		    c->state == ZOO_AUTH_FAILED_STATE)
			rc = -ECONNREFUSED;
		else if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) ==
			 ETIMEDOUT)
			rc = -ETIMEDOUT;
	}
	pthread_mutex_unlock(&c->mu);
	if (rc != 0) {
		zookeeper_close(c->zh);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	return rc;
}

static void
zk_close(struct bench_conn *c)
{
	struct zk_watch *w, *n;

	zookeeper_close(c->zh); /* joins the client's threads */
	for (w = c->watches.next; w != &c->watches; w = n) {
		n = w->next;
		free(w);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

static struct zk_call *
call_new(bench_done_fn done, void *arg)
{
	struct zk_call *k = malloc(sizeof(*k));

	if (k != NULL) {
		k->done = done;
		k->arg = arg;
	}
	return k;
}

static int
call_sent(struct zk_call *k, int zrc)
{
	if (zrc == ZOK)
		return 0;
	free(k);
	return zrc == ZBADARGUMENTS ? -EINVAL : -ENOTCONN;
}

static void
call_finish(const void *data, int rc, const struct bench_reply *rep)
{
	struct zk_call *k = (struct zk_call *)data;

	k->done(k->arg, rc, rep);
	free(k);
	zk_wake();
}

static void
stat_reply(struct bench_reply *rep, const struct Stat *st)
{
	memset(rep, 0, sizeof(*rep));
	if (st != NULL) {
		rep->num_children = st->numChildren;
		rep->version = st->version;
		rep->data_len = st->dataLength;
	}
}

static void
zk_data_cb(int rc, const char *value, int len, const struct Stat *st,
	   const void *data)
{
	struct bench_reply rep;

	(void)value;
	stat_reply(&rep, st);
	rep.data_len = len;
	call_finish(data, rc, &rep);
}

static void
zk_stat_cb(int rc, const struct Stat *st, const void *data)
{
	struct bench_reply rep;

	stat_reply(&rep, st);
	call_finish(data, rc, &rep);
}

static void
zk_string_cb(int rc, const char *name, const void *data)
{
	struct bench_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.path = name;
	call_finish(data, rc, &rep);
}

static void
zk_void_cb(int rc, const void *data)
{
	call_finish(data, rc, NULL);
}

static void
zk_strings_cb(int rc, const struct String_vector *sv, const void *data)
{
	struct bench_reply rep;

	memset(&rep, 0, sizeof(rep));
	if (rc == ZOK && sv != NULL) {
		rep.names = (const char *const *)sv->data;
		rep.nnames = sv->count;
		rep.num_children = sv->count;
	}
	call_finish(data, rc, &rep);
}

static void
zk_watch_cb(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zk_watch *w = ctx;
	struct bench_conn *c = w->c;

	(void)zh;
	(void)state;
	if (type == ZOO_SESSION_EVENT)
		return; /* the watch stays registered; freed at close */
	w->fn(w->arg, type, path);
	pthread_mutex_lock(&c->mu);
	w->prev->next = w->next;
	w->next->prev = w->prev;
	pthread_mutex_unlock(&c->mu);
	free(w);
	zk_wake();
}

static struct zk_watch *
watch_new(struct bench_conn *c, bench_watch_fn fn, void *arg)
{
	struct zk_watch *w;

	if (fn == NULL)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->c = c;
	w->fn = fn;
	w->arg = arg;
	pthread_mutex_lock(&c->mu);
	w->next = c->watches.next;
	w->prev = &c->watches;
	c->watches.next->prev = w;
	c->watches.next = w;
	pthread_mutex_unlock(&c->mu);
	return w;
}

static void
watch_drop(struct bench_conn *c, struct zk_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	w->prev->next = w->next;
	w->next->prev = w->prev;
	pthread_mutex_unlock(&c->mu);
	free(w);
}

static int
zk_get(struct bench_conn *c, const char *path, bench_watch_fn wfn, void *warg,
       bench_done_fn done, void *arg)
{
	struct zk_call *k = call_new(done, arg);
	struct zk_watch *w;
	int rc;

	if (k == NULL)
		return -ENOMEM;
	if (wfn == NULL)
		return call_sent(k, zoo_aget(c->zh, path, 0, zk_data_cb, k));
	w = watch_new(c, wfn, warg);
	if (w == NULL) {
		free(k);
		return -ENOMEM;
	}
	rc = call_sent(k,
		       zoo_awget(c->zh, path, zk_watch_cb, w, zk_data_cb, k));
	if (rc != 0)
		watch_drop(c, w);
	return rc;
}

static int
zk_exists(struct bench_conn *c, const char *path, bench_watch_fn wfn,
	  void *warg, bench_done_fn done, void *arg)
{
	struct zk_call *k = call_new(done, arg);
	struct zk_watch *w;
	int rc;

	if (k == NULL)
		return -ENOMEM;
	if (wfn == NULL)
		return call_sent(k, zoo_aexists(c->zh, path, 0, zk_stat_cb, k));
	w = watch_new(c, wfn, warg);
	if (w == NULL) {
		free(k);
		return -ENOMEM;
	}
	rc = call_sent(
		k, zoo_awexists(c->zh, path, zk_watch_cb, w, zk_stat_cb, k));
	if (rc != 0)
		watch_drop(c, w);
	return rc;
}

static int
zk_set(struct bench_conn *c, const char *path, const void *data, int len,
       int version, bench_done_fn done, void *arg)
{
	struct zk_call *k = call_new(done, arg);

	if (k == NULL)
		return -ENOMEM;
	return call_sent(
		k, zoo_aset(c->zh, path, data, len, version, zk_stat_cb, k));
}

static int
zk_create(struct bench_conn *c, const char *path, const void *data, int len,
	  int flags, bench_done_fn done, void *arg)
{
	struct zk_call *k = call_new(done, arg);
	int mode;

	if (k == NULL)
		return -ENOMEM;
	switch (flags & (BENCH_CREATE_EPHEMERAL | BENCH_CREATE_SEQUENTIAL)) {
	case BENCH_CREATE_EPHEMERAL:
		mode = ZOO_EPHEMERAL;
		break;
	case BENCH_CREATE_SEQUENTIAL:
		mode = ZOO_PERSISTENT_SEQUENTIAL;
		break;
	case BENCH_CREATE_EPHEMERAL | BENCH_CREATE_SEQUENTIAL:
		mode = ZOO_EPHEMERAL_SEQUENTIAL;
		break;
	default:
		mode = ZOO_PERSISTENT;
	}
	return call_sent(k, zoo_acreate(c->zh, path, data, data ? len : -1,
					&ZOO_OPEN_ACL_UNSAFE, mode,
					zk_string_cb, k));
}

static int
zk_del(struct bench_conn *c, const char *path, int version, bench_done_fn done,
       void *arg)
{
	struct zk_call *k = call_new(done, arg);

	if (k == NULL)
		return -ENOMEM;
	return call_sent(k, zoo_adelete(c->zh, path, version, zk_void_cb, k));
}

static int
zk_children(struct bench_conn *c, const char *path, bench_watch_fn wfn,
	    void *warg, bench_done_fn done, void *arg)
{
	struct zk_call *k = call_new(done, arg);
	struct zk_watch *w;
	int rc;

	if (k == NULL)
		return -ENOMEM;
	if (wfn == NULL)
		return call_sent(
			k, zoo_aget_children(c->zh, path, 0, zk_strings_cb, k));
	w = watch_new(c, wfn, warg);
	if (w == NULL) {
		free(k);
		return -ENOMEM;
	}
	rc = call_sent(k, zoo_awget_children(c->zh, path, zk_watch_cb, w,
					     zk_strings_cb, k));
	if (rc != 0)
		watch_drop(c, w);
	return rc;
}

static void
zk_poll(struct bench_conn *const *cs, int n, uint64_t deadline, unsigned flags)
{
	struct timespec ts;
	uint64_t gen;

	(void)cs;
	(void)n;
	if (!(flags & BENCH_POLL_WAKE)) {
		bench_sleep_until(deadline);
		return;
	}
	abs_timespec(deadline, &ts);
	pthread_mutex_lock(&zk_wake_mu);
	atomic_fetch_add(&zk_waiters, 1);
	gen = zk_wake_gen;
	while (gen == zk_wake_gen)
		if (pthread_cond_timedwait(&zk_wake_cv, &zk_wake_mu, &ts) ==
		    ETIMEDOUT)
			break;
	atomic_fetch_sub(&zk_waiters, 1);
	pthread_mutex_unlock(&zk_wake_mu);
}
#endif /* BENCH_HAVE_ZK */

/*
 * A four-letter word to the first host of a connection string; the answer
 * (up to len-1 bytes) in buf.  Returns 0 or -errno.
 */
static int
four_letter(const char *hosts, const char *word, char *buf, size_t len)
{
	char host[256], *colon, *comma;
	struct addrinfo hints, *ai = NULL;
	struct timeval tv = {.tv_sec = 2};
	size_t got = 0;
	ssize_t k;
	int fd, rc;

	bench_msg(host, sizeof(host), "%s", hosts);
	comma = strchr(host, ',');
	if (comma != NULL)
		*comma = '\0';
	colon = strrchr(host, ':');
	if (colon == NULL)
		return -EINVAL;
	*colon = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
		return -EHOSTUNREACH;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		freeaddrinfo(ai);
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : -errno;
	freeaddrinfo(ai);
	if (rc == 0 && write(fd, word, 4) != 4)
		rc = -EIO;
	while (rc == 0 && got + 1 < len &&
	       (k = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)k;
	close(fd);
	buf[got] = '\0';
	return rc != 0 ? rc : got > 0 ? 0 : -ENODATA;
}

/* "3.8.0" from envi's zookeeper.version=3.8.0-<commit>, built on ... */
static int
zk_server_version(const char *hosts, char *buf, size_t len)
{
	char envi[4096], pkg[64] = "", *v, *e;
	FILE *p;
	int rc;

	rc = four_letter(hosts, "envi", envi, sizeof(envi));
	p = popen("dpkg-query -W -f '${Version}' zookeeper 2>/dev/null", "r");
	if (p != NULL) {
		if (fgets(pkg, sizeof(pkg), p) == NULL)
			pkg[0] = '\0';
		pclose(p);
	}
	if (rc == 0 && (v = strstr(envi, "zookeeper.version=")) != NULL) {
		v += strlen("zookeeper.version=");
		e = v + strcspn(v, "-,\n");
		*e = '\0';
		bench_msg(buf, len, "%s (envi)%s%s", v,
			  pkg[0] ? ", Debian package " : "", pkg);
		return 0;
	}
	if (pkg[0] != '\0') {
		bench_msg(buf, len, "Debian package %s (envi: %s)", pkg,
			  rc == 0 ? "not whitelisted" : strerror(-rc));
		return 0;
	}
	return rc != 0 ? rc : -ENODATA;
}

#ifndef BENCH_HAVE_ZK
static int
zk_available(char *why, size_t len)
{
	bench_msg(
		why, len,
		"zk target not built: libzookeeper-mt-dev was absent at configure time (apt-get install libzookeeper-mt-dev, then reconfigure)");
	return -ENOSYS;
}
#endif

const struct bench_target_ops bench_target_zk = {
	.name = "zk",
	.transport = "TCP (kernel), libzookeeper-mt",
	.threaded_callbacks = true,
	.available = zk_available,
#ifdef BENCH_HAVE_ZK
	.connect = zk_connect,
	.close = zk_close,
	.get = zk_get,
	.exists = zk_exists,
	.set = zk_set,
	.create = zk_create,
	.del = zk_del,
	.children = zk_children,
	.poll = zk_poll,
#endif
	.server_version = zk_server_version,
};
