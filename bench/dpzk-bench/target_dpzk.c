/*
 * target_dpzk.c — the `dpzk` target: dpzk through libdpzk over kernel UDP
 * (client/dpzk.h).
 *
 * libdpzk has no thread of its own: every completion and watch runs inside
 * dpzk_process, called by the thread that owns the handle.  So this target
 * has threaded_callbacks = false and its poll is the event loop: ppoll on
 * the handles' sockets until the earliest of the caller's deadline and the
 * handles' own deadlines (retransmit, ping), then dpzk_process on each.
 * With BENCH_POLL_WAKE it returns once a completion or watch has run.
 *
 * Completion contexts are small heap records (done + arg), as in the zk
 * target, so both targets cost the harness the same.  Watch contexts that
 * never fire are kept on a per-conn list and freed at close.
 *
 * The operations are exported (bench_dz_*, bench_priv.h) for the
 * kernel-bypass target (target_dpdk.c), which is this same target over a
 * DPDK datagram transport: only connect and poll differ.
 */
#include "bench_priv.h"

#include <client/dpzk.h>
#include <proto/proto.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct dz_watch {
	struct dz_watch *next, *prev;
	bench_watch_fn fn;
	void *arg;
};

struct bench_conn {
	struct dpzk_handle *zh;
	struct dz_watch watches; /* list head */
	void *tp;		 /* dpzk-dpdk: the transport's per-conn state */
	void (*tp_free)(void *tp);
};

struct dz_call {
	bench_done_fn done;
	void *arg;
};

/* completions and watches run by this thread (for BENCH_POLL_WAKE) */
__thread uint64_t bench_dz_events;
#define dz_events bench_dz_events

static int
dz_available(char *why, size_t len)
{
	(void)why;
	(void)len;
	return 0;
}

static int
dz_errno(int zrc)
{
	switch (zrc) {
	case DPZK_ZOK:
		return 0;
	case DPZK_ZOPERATIONTIMEOUT:
		return -ETIMEDOUT;
	case DPZK_ZBADARGUMENTS:
		return -EINVAL;
	case DPZK_ZSYSTEMERROR:
		return -ENOMEM;
	case DPZK_ZINVALIDSTATE:
	case DPZK_ZCLOSING:
		return -ENOTCONN;
	default:
		return -ECONNREFUSED;
	}
}

int
bench_dz_connect_tp(const char *hosts, int timeout_ms,
		    const struct dpzk_transport *tp, void *tp_state,
		    void (*tp_free)(void *), struct bench_conn **out)
{
	struct bench_conn *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return -ENOMEM;
	c->watches.next = c->watches.prev = &c->watches;
	c->tp = tp_state;
	c->tp_free = tp_free;
	errno = 0;
	if (tp != NULL)
		c->zh = dpzk_init_transport(hosts, NULL, timeout_ms, NULL, c,
					    tp);
	else
		c->zh = dpzk_init(hosts, NULL, timeout_ms, NULL, c, 0);
	if (c->zh == NULL) {
		rc = errno ? -errno : -EINVAL;
		free(c);
		return rc;
	}
	rc = dpzk_wait_connected(c->zh, timeout_ms);
	if (rc != DPZK_ZOK) {
		dpzk_close(c->zh);
		free(c);
		return dz_errno(rc);
	}
	*out = c;
	return 0;
}

static int
dz_connect(const char *hosts, int timeout_ms, struct bench_conn **out)
{
	return bench_dz_connect_tp(hosts, timeout_ms, NULL, NULL, NULL, out);
}

struct dpzk_handle *
bench_dz_handle(const struct bench_conn *c)
{
	return c->zh;
}

void *
bench_dz_tp(const struct bench_conn *c)
{
	return c->tp;
}

/* DPZK_BENCH_CHSTATS=1: the channel's counters of each session at close
 * (retransmissions, RTOs, drops), for finding where time goes. */
static void
dz_chstats(struct bench_conn *c)
{
	const struct proto_chan_stats *st;
	static const char *const drops[PROTO_CHAN_DROP_MAX] = {
		"malformed", "session", "mac",	   "kind",	"ack",	"dup",
		"window",    "frag",	"too_big", "no_buffer", "dead",
	};
	const char *e = getenv("DPZK_BENCH_CHSTATS");
	int i;

	if (e == NULL || *e == '\0' || *e == '0')
		return;
	st = dpzk_channel_stats(c->zh);
	if (st == NULL)
		return;
	fprintf(stderr,
		"chstats: tx_msgs %llu tx_dgrams %llu rexmit %llu acks %llu "
		"pings %llu emit_fail %llu rto %llu rtt_samples %llu "
		"rx_dgrams %llu rx_msgs %llu rx_bytes %llu evicted %llu",
		(unsigned long long)st->tx_msgs,
		(unsigned long long)st->tx_dgrams,
		(unsigned long long)st->tx_retransmits,
		(unsigned long long)st->tx_acks,
		(unsigned long long)st->tx_pings,
		(unsigned long long)st->tx_emit_fail,
		(unsigned long long)st->rto_fired,
		(unsigned long long)st->rtt_samples,
		(unsigned long long)st->rx_dgrams,
		(unsigned long long)st->rx_msgs,
		(unsigned long long)st->rx_bytes,
		(unsigned long long)st->rx_evicted);
	for (i = 0; i < PROTO_CHAN_DROP_MAX; i++)
		if (st->drop[i] != 0)
			fprintf(stderr, " drop_%s %llu", drops[i],
				(unsigned long long)st->drop[i]);
	fprintf(stderr, "\n");
}

void
bench_dz_close(struct bench_conn *c)
{
	struct dz_watch *w, *n;

	dz_chstats(c);
	dpzk_close(c->zh);
	for (w = c->watches.next; w != &c->watches; w = n) {
		n = w->next;
		free(w);
	}
	if (c->tp_free != NULL)
		c->tp_free(c->tp);
	free(c);
}

static void
dz_completion(int rc, const struct dpzk_result *res, const void *data)
{
	struct dz_call *k = (struct dz_call *)data;
	struct bench_reply rep;

	memset(&rep, 0, sizeof(rep));
	if (res != NULL) {
		rep.path = res->path;
		rep.data_len = res->data_len;
		if (res->stat != NULL) {
			rep.num_children = res->stat->num_children;
			rep.version = res->stat->version;
		}
		if (res->strings != NULL) {
			rep.names = (const char *const *)res->strings->data;
			rep.nnames = res->strings->count;
			rep.num_children = res->strings->count;
		}
	}
	dz_events++;
	k->done(k->arg, rc, &rep);
	free(k);
}

static void
dz_watcher(struct dpzk_handle *zh, int type, int state, const char *path,
	   void *ctx)
{
	struct dz_watch *w = ctx;

	(void)zh;
	(void)state;
	if (type == DPZK_SESSION_EVENT)
		return; /* stays on the list, freed at close */
	dz_events++;
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->fn(w->arg, type, path);
	free(w);
}

static struct dz_call *
call_new(bench_done_fn done, void *arg)
{
	struct dz_call *k = malloc(sizeof(*k));

	if (k != NULL) {
		k->done = done;
		k->arg = arg;
	}
	return k;
}

static int
call_sent(struct dz_call *k, int zrc)
{
	if (zrc == DPZK_ZOK)
		return 0;
	free(k);
	return dz_errno(zrc);
}

static struct dz_watch *
watch_new(struct bench_conn *c, bench_watch_fn fn, void *arg)
{
	struct dz_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->fn = fn;
	w->arg = arg;
	w->next = c->watches.next;
	w->prev = &c->watches;
	c->watches.next->prev = w;
	c->watches.next = w;
	return w;
}

static void
watch_drop(struct dz_watch *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	free(w);
}

typedef int dz_watched_fn(struct dpzk_handle *zh, const char *path,
			  dpzk_watcher_fn *watcher, void *watcher_ctx,
			  dpzk_completion_fn *completion, const void *data);
typedef int dz_plain_fn(struct dpzk_handle *zh, const char *path, int watch,
			dpzk_completion_fn *completion, const void *data);

static int
dz_read(struct bench_conn *c, const char *path, bench_watch_fn wfn, void *warg,
	bench_done_fn done, void *arg, dz_plain_fn *plain,
	dz_watched_fn *watched)
{
	struct dz_call *k = call_new(done, arg);
	struct dz_watch *w;
	int rc;

	if (k == NULL)
		return -ENOMEM;
	if (wfn == NULL)
		return call_sent(k, plain(c->zh, path, 0, dz_completion, k));
	w = watch_new(c, wfn, warg);
	if (w == NULL) {
		free(k);
		return -ENOMEM;
	}
	rc = call_sent(k,
		       watched(c->zh, path, dz_watcher, w, dz_completion, k));
	if (rc != 0)
		watch_drop(w);
	return rc;
}

int
bench_dz_get(struct bench_conn *c, const char *path, bench_watch_fn wfn,
	     void *warg, bench_done_fn done, void *arg)
{
	return dz_read(c, path, wfn, warg, done, arg, dpzk_aget, dpzk_awget);
}

int
bench_dz_exists(struct bench_conn *c, const char *path, bench_watch_fn wfn,
		void *warg, bench_done_fn done, void *arg)
{
	return dz_read(c, path, wfn, warg, done, arg, dpzk_aexists,
		       dpzk_awexists);
}

int
bench_dz_children(struct bench_conn *c, const char *path, bench_watch_fn wfn,
		  void *warg, bench_done_fn done, void *arg)
{
	return dz_read(c, path, wfn, warg, done, arg, dpzk_aget_children2,
		       dpzk_awget_children2);
}

int
bench_dz_set(struct bench_conn *c, const char *path, const void *data, int len,
	     int version, bench_done_fn done, void *arg)
{
	struct dz_call *k = call_new(done, arg);

	if (k == NULL)
		return -ENOMEM;
	return call_sent(k, dpzk_aset(c->zh, path, data, len, version,
				      dz_completion, k));
}

int
bench_dz_create(struct bench_conn *c, const char *path, const void *data,
		int len, int flags, bench_done_fn done, void *arg)
{
	struct dz_call *k = call_new(done, arg);
	int mode = 0;

	if (k == NULL)
		return -ENOMEM;
	if (flags & BENCH_CREATE_EPHEMERAL)
		mode |= DPZK_EPHEMERAL;
	if (flags & BENCH_CREATE_SEQUENTIAL)
		mode |= DPZK_SEQUENCE;
	return call_sent(k, dpzk_acreate(c->zh, path, data, data ? len : -1,
					 &dpzk_open_acl_unsafe, mode, 0,
					 dz_completion, k));
}

int
bench_dz_del(struct bench_conn *c, const char *path, int version,
	     bench_done_fn done, void *arg)
{
	struct dz_call *k = call_new(done, arg);

	if (k == NULL)
		return -ENOMEM;
	return call_sent(k,
			 dpzk_adelete(c->zh, path, version, dz_completion, k));
}

static int
dz_server_version(const char *hosts, char *buf, size_t len)
{
	(void)hosts;
	bench_msg(
		buf, len,
		"dpzk-server (version not asked: libdpzk has no four-letter-word call yet)");
	return 0;
}

#define DZ_STACK_POLL 64

/* One ppoll over every conn until wake, then dpzk_process where due. */
static int
dz_poll_once(struct bench_conn *const *cs, int n, uint64_t wake,
	     struct pollfd *pfd, struct bench_conn **who)
{
	struct timespec ts;
	uint64_t now = dpzk_now(), d;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (cs[i] == NULL)
			continue;
		d = dpzk_next_deadline(cs[i]->zh);
		if (d < wake)
			wake = d;
		pfd[k].fd = dpzk_fd(cs[i]->zh);
		pfd[k].events = POLLIN;
		pfd[k].revents = 0;
		who[k++] = cs[i];
	}
	if (wake > now) {
		ts.tv_sec = (time_t)((wake - now) / 1000000000u);
		ts.tv_nsec = (long)((wake - now) % 1000000000u);
		if (ppoll(pfd, (nfds_t)k, &ts, NULL) < 0 && errno != EINTR)
			return -errno;
	}
	now = dpzk_now();
	for (i = 0; i < k; i++)
		if (pfd[i].revents != 0 ||
		    dpzk_next_deadline(who[i]->zh) <= now)
			dpzk_process(who[i]->zh, now);
	return 0;
}

static void
dz_poll(struct bench_conn *const *cs, int n, uint64_t deadline, unsigned flags)
{
	struct pollfd spfd[DZ_STACK_POLL], *pfd = spfd;
	struct bench_conn *swho[DZ_STACK_POLL], **who = swho;
	uint64_t start_events = dz_events;

	if (n > DZ_STACK_POLL) {
		pfd = calloc((size_t)n, sizeof(*pfd));
		who = calloc((size_t)n, sizeof(*who));
		if (pfd == NULL || who == NULL)
			goto out;
	}
	do {
		if (dz_poll_once(cs, n, deadline, pfd, who) != 0)
			break;
		if ((flags & BENCH_POLL_WAKE) && dz_events != start_events)
			break;
	} while (dpzk_now() < deadline);
out:
	if (pfd != spfd)
		free(pfd);
	if (who != swho)
		free(who);
}

const struct bench_target_ops bench_target_dpzk = {
	.name = "dpzk",
	.transport = "UDP (kernel), libdpzk",
	.threaded_callbacks = false,
	.available = dz_available,
	.connect = dz_connect,
	.close = bench_dz_close,
	.get = bench_dz_get,
	.exists = bench_dz_exists,
	.set = bench_dz_set,
	.create = bench_dz_create,
	.del = bench_dz_del,
	.children = bench_dz_children,
	.poll = dz_poll,
	.server_version = dz_server_version,
};
