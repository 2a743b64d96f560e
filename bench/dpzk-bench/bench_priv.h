/*
 * bench_priv.h — what the files of dpzk-bench share and nobody else needs:
 * the run, its clients and workers, and the workload table.
 *
 * Ownership: a run owns its clients; each client owns its conn, its
 * histograms and its per-second counters.  A client's histograms are written
 * only from that client's callbacks (serialised per conn, see bench.h), so
 * they need no lock; recipes whose latencies span clients (election, watch)
 * record into run->shared under run->lock.
 */
#ifndef DPZK_BENCH_PRIV_H
#define DPZK_BENCH_PRIV_H

#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>

struct bench_run;

/* One outstanding operation of a request/response workload. */
struct bench_slot {
	struct bench_client *c;
	uint64_t start;	 /* intended (open loop) or actual send time */
	int hist;	 /* histogram it records into besides hist[0] */
	int phase;	 /* create-delete: 1 while our node exists */
	atomic_int busy; /* open loop: taken by an op in flight */
	uint64_t rng;	 /* keys and read/write draws of this slot */
	char path[96];
};

struct bench_client {
	struct bench_run *run;
	int id;
	struct bench_conn *conn;
	struct bench_hist hist[BENCH_MAX_HIST];
	uint32_t *per_sec;
	atomic_uint_fast64_t done; /* completions, for the progress line */
	atomic_uint_fast64_t errors;
	uint64_t rng;
	struct bench_slot *slots;
	int nslots;
	void *wl; /* workload's per-client state */
};

struct bench_worker {
	struct bench_run *run;
	int id;
	pthread_t th;
	struct bench_client **clients;
	struct bench_conn **conns;
	int n;
	atomic_uint outstanding;
	atomic_int active; /* recipe state machines still running */
};

struct bench_workload {
	const char *name;
	const char *what; /* one line for --help and the report */
	int nhist;
	const char *hist_names[BENCH_MAX_HIST];
	unsigned flags;
	/* main thread, after connect; client 0's conn is free to use */
	int (*setup)(struct bench_run *r);
	/* the worker thread's whole loop; returns when the run stops */
	void (*worker)(struct bench_worker *w);
	/* main thread, after the workers joined (may be NULL) */
	void (*teardown)(struct bench_run *r);
};

#define BENCH_WL_SINGLE_THREAD	   1  /* one worker owns every conn */
#define BENCH_WL_OPEN_LOOP	   2  /* --rate allowed */
#define BENCH_WL_EXTRA_CONN	   4  /* one more conn than --clients */
#define BENCH_WL_NO_CONNS	   8  /* the worker connects by itself */
#define BENCH_WL_NO_TARGET	   16 /* raw floor measurement, no server */
#define BENCH_WL_THREAD_PER_CLIENT 32

struct bench_run {
	const struct bench_config *cfg;
	const struct bench_target_ops *t;
	const struct bench_workload *wl;
	struct bench_client *clients;
	int nclients;
	/* every client's conn, for set-up polls: a libdpzk session that is
	 * not polled sends no pings and expires during a long preload */
	struct bench_conn **all_conns;
	struct bench_worker *workers;
	int nworkers;
	uint64_t start_ns, warm_end_ns, end_ns;
	atomic_bool stop;
	atomic_uint_fast64_t stop_ns;  /* when stop was decided */
	atomic_uint_fast64_t recorded; /* hist[0] records after warm-up */
	atomic_uint_fast64_t err_codes[BENCH_NCODES];
	int nsec;
	char *value; /* value_size bytes */
	char base[32];
	uint64_t nonce;
	pthread_mutex_t lock;
	struct bench_hist shared[BENCH_MAX_HIST];
	uint32_t *shared_per_sec;
	void *wl_state;
	char note[256];
	char error[256];
};

/* Record one latency of client c (its callbacks only). */
void bench_record(struct bench_client *c, int hist, uint64_t start,
		  uint64_t end);
/* Record into run->shared; takes run->lock. */
void bench_record_shared(struct bench_run *r, int hist, uint64_t start,
			 uint64_t end);
void bench_count_error(struct bench_client *c);
/* An error with a ZooKeeper code (kept per code for the report). */
void bench_count_rc(struct bench_client *c, int rc);
/* snprintf that may truncate (messages). */
void bench_msg(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets stop (once) and remembers when. */
void bench_stop(struct bench_run *r, uint64_t now);
static inline bool
bench_stopping(struct bench_run *r)
{
	return atomic_load_explicit(&r->stop, memory_order_relaxed);
}
uint64_t bench_rand(uint64_t *state);

/* Workload tables (workload.c, recipes.c, floor.c). */
extern const struct bench_workload bench_wl_ops[];
extern const int bench_wl_nops;
extern const struct bench_workload bench_wl_recipes[];
extern const int bench_wl_nrecipes;
extern const struct bench_workload bench_wl_floor[];
extern const int bench_wl_nfloor;
const struct bench_workload *bench_workload_find(const char *name);

/* Preload cfg->znodes children k0..kN-1 of parent (value_size bytes each)
 * unless it already has that many.  Pipelined creates from client 0. */
int bench_preload(struct bench_run *r, const char *parent);
/* Create path and its missing parents (persistent, empty). */
int bench_ensure_path(struct bench_run *r, const char *path);

/*
 * target_dpzk.c's libdpzk target, shared with target_dpdk.c (the same
 * target over libdpzk's transport hook).  bench_dz_connect_tp connects
 * through tp (NULL: the kernel socket); tp_state is the transport's
 * per-conn state, freed with tp_free after the session is closed.
 * bench_dz_events counts the completions and watches this thread ran.
 */
struct dpzk_transport;
struct dpzk_handle;
int bench_dz_connect_tp(const char *hosts, int timeout_ms,
			const struct dpzk_transport *tp, void *tp_state,
			void (*tp_free)(void *), struct bench_conn **out);
struct dpzk_handle *bench_dz_handle(const struct bench_conn *c);
void *bench_dz_tp(const struct bench_conn *c);
void bench_dz_close(struct bench_conn *c);
int bench_dz_get(struct bench_conn *c, const char *path, bench_watch_fn wfn,
		 void *warg, bench_done_fn done, void *arg);
int bench_dz_exists(struct bench_conn *c, const char *path, bench_watch_fn wfn,
		    void *warg, bench_done_fn done, void *arg);
int bench_dz_children(struct bench_conn *c, const char *path,
		      bench_watch_fn wfn, void *warg, bench_done_fn done,
		      void *arg);
int bench_dz_set(struct bench_conn *c, const char *path, const void *data,
		 int len, int version, bench_done_fn done, void *arg);
int bench_dz_create(struct bench_conn *c, const char *path, const void *data,
		    int len, int flags, bench_done_fn done, void *arg);
int bench_dz_del(struct bench_conn *c, const char *path, int version,
		 bench_done_fn done, void *arg);
extern __thread uint64_t bench_dz_events;

/*
 * target_dpdk.c's port as a raw datagram pipe to one host:port, for the
 * kernel-bypass UDP floor (floor.c): open starts EAL if needed (why says
 * what failed), resolves the host's MAC and takes a local UDP port; send
 * and recv are the transport's (recv: -EAGAIN when nothing is there).
 * One thread per pipe.  Only with BENCH_HAVE_DPDK.
 */
struct bench_dpdk_pipe;
int bench_dpdk_pipe_open(const char *hostport, struct bench_dpdk_pipe **out,
			 char *why, size_t len);
int bench_dpdk_pipe_send(struct bench_dpdk_pipe *p, const void *buf,
			 size_t len);
long bench_dpdk_pipe_recv(struct bench_dpdk_pipe *p, void *buf, size_t cap);
void bench_dpdk_pipe_close(struct bench_dpdk_pipe *p);

#endif /* DPZK_BENCH_PRIV_H */
