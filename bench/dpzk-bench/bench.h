/*
 * bench.h — the one public header of dpzk-bench's internal library.
 *
 * dpzk-bench measures microsecond latencies of ZooKeeper-style services.  It
 * is split into a static library (this header) and a small main, so the unit
 * tests can drive the histogram, the open-loop scheduler and the report code
 * without a server.  The pieces:
 *
 *  - bench_hist: a log-linear latency histogram (HdrHistogram-like, written
 *    here): exact below 256 ns, then 128 sub-buckets per power of two, so
 *    every recorded value is known within 1/128 (< 1 %) of itself, from 1 ns
 *    to 2^34 ns (17 s).  Each client records into its own histograms; they
 *    are merged at the end, never shared while running.
 *  - bench_sched / bench_open_loop: the open-loop load model.  Send times are
 *    fixed in advance by the offered rate, and latency is counted from the
 *    intended send time, so a stall of the server or of the client shows up
 *    in the recorded latencies (no coordinated omission).
 *  - bench_target_ops: the small vtable every target implements (zk, dpzk,
 *    dpzk-dpdk), so the workload code is the same for each.
 *  - bench_run / bench_workload: the run (clients, threads, warm-up,
 *    duration, per-second throughput, progress line) and the workloads.
 *  - bench_report_*: the report (machine, versions, configuration, results)
 *    as text, JSON and CSV, and the percentile plot through gnuplot.
 *
 * Times are uint64_t nanoseconds of CLOCK_MONOTONIC unless said otherwise.
 * Return codes follow the house rule: 0 or -errno.  Operation results passed
 * to completions use ZooKeeper's client-visible codes (BENCH_ZOK, ...), the
 * same numbers in Apache ZooKeeper's C client and in libdpzk.
 */
#ifndef DPZK_BENCH_H
#define DPZK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- clock */

/* CLOCK_MONOTONIC in nanoseconds.  Any thread. */
uint64_t bench_now_ns(void);

/* Sleep until the absolute CLOCK_MONOTONIC time t (returns at once if past). */
void bench_sleep_until(uint64_t t);

/* ------------------------------------------------------------ histogram */

#define BENCH_HIST_SUB_BITS  7	/* 128 sub-buckets per power of two */
#define BENCH_HIST_MAX_SHIFT 34 /* largest tracked value < 2^34 ns (17.1 s) */
#define BENCH_HIST_EXACT     (1u << (BENCH_HIST_SUB_BITS + 1)) /* 256 */
#define BENCH_HIST_BUCKETS                                                     \
	(BENCH_HIST_EXACT + (BENCH_HIST_MAX_SHIFT - BENCH_HIST_SUB_BITS - 1) * \
				    (1u << BENCH_HIST_SUB_BITS))
#define BENCH_HIST_MAX_VALUE ((UINT64_C(1) << BENCH_HIST_MAX_SHIFT) - 1)

/*
 * A latency histogram.  Plain data: zero it with bench_hist_init, copy it
 * with memcpy.  Not thread-safe: one writer at a time (each client has its
 * own), merged afterwards.  min, max and sum are exact; values above
 * BENCH_HIST_MAX_VALUE are counted in the top bucket and in `saturated`
 * (max stays exact).
 */
struct bench_hist {
	uint64_t total;
	uint64_t min;
	uint64_t max;
	uint64_t sum;
	uint64_t saturated;
	uint64_t counts[BENCH_HIST_BUCKETS];
};

void bench_hist_init(struct bench_hist *h);
void bench_hist_record(struct bench_hist *h, uint64_t v);
void bench_hist_record_n(struct bench_hist *h, uint64_t v, uint64_t n);
/* Adds src into dst.  Both must be initialised; src is unchanged. */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/*
 * The value at percentile pct (0..100), nearest-rank: the smallest recorded
 * value v such that at least ceil(pct/100 * total) values are <= v, reported
 * as the middle of its bucket (clamped to the exact min and max), so within
 * 0.4 % (and 1 ns) of the exact answer.  0 when empty.
 */
uint64_t bench_hist_percentile(const struct bench_hist *h, double pct);
double bench_hist_mean(const struct bench_hist *h);
/* Bucket arithmetic, exposed for tests and the CSV writer. */
size_t bench_hist_index(uint64_t v);
uint64_t bench_hist_bucket_low(size_t i);
uint64_t bench_hist_bucket_high(size_t i); /* inclusive */
/*
 * Raw buckets as CSV rows "name,low_ns,high_ns,count" (non-empty buckets
 * only).  Returns 0 or -EIO.
 */
int bench_hist_write_csv(const struct bench_hist *h, const char *name, FILE *f);

/* ----------------------------------------------------- open-loop schedule */

enum bench_arrival {
	BENCH_ARRIVAL_UNIFORM, /* one op every 1/rate */
	BENCH_ARRIVAL_POISSON, /* exponential gaps, seeded: fixed in advance */
};

/*
 * Intended send times of an open-loop run.  Op i's time depends only on
 * (start, rate, arrival, seed, i), never on when earlier ops completed.
 */
struct bench_sched {
	uint64_t start_ns;
	double period_ns;
	enum bench_arrival arrival;
	uint64_t rng;
	uint64_t next_i;
	double next_t;
};

/* rate in ops/s (> 0).  Returns 0 or -EINVAL. */
int bench_sched_init(struct bench_sched *s, uint64_t start_ns, double rate,
		     enum bench_arrival arrival, uint64_t seed);
/* Intended time of the next op, without taking it. */
uint64_t bench_sched_peek(const struct bench_sched *s);
/* Takes the next op: returns its intended time. */
uint64_t bench_sched_take(struct bench_sched *s);

/*
 * What the open-loop driver needs from its environment; the real run plugs
 * in a target and the real clock, the tests a simulated server and clock.
 *  now          current time
 *  poll         process events until deadline, or earlier when something
 *               completed (the driver loops; early returns are fine)
 *  issue        send one op whose intended send time is `intended`; its
 *               completion records (completion time - intended).  Returns 0
 *               or -errno (the op is counted as an error and not retried).
 *  outstanding  ops sent and not yet completed
 */
struct bench_ol_port {
	uint64_t (*now)(void *ctx);
	void (*poll)(void *ctx, uint64_t deadline);
	int (*issue)(void *ctx, uint64_t seq, uint64_t intended);
	unsigned (*outstanding)(void *ctx);
	void *ctx;
};

/*
 * Runs an open loop: sends op i at its intended time (or as soon as
 * possible after it when behind), never more than max_outstanding at once,
 * until the schedule reaches end_ns or *stop becomes true; then waits for
 * the outstanding ops until drain_deadline.  Returns the number of ops
 * issued.
 */
uint64_t bench_open_loop(const struct bench_ol_port *p, struct bench_sched *s,
			 uint64_t end_ns, unsigned max_outstanding,
			 const volatile bool *stop, uint64_t drain_deadline);

/* -------------------------------------------------------------- targets */

/* ZooKeeper's client-visible result codes (identical in libdpzk). */
#define BENCH_ZOK		0
#define BENCH_ZSYSTEMERROR	(-1)
#define BENCH_ZCONNECTIONLOSS	(-4)
#define BENCH_ZOPERATIONTIMEOUT (-7)
#define BENCH_ZNONODE		(-101)
#define BENCH_ZNODEEXISTS	(-110)
#define BENCH_ZNOTEMPTY		(-111)
#define BENCH_ZSESSIONEXPIRED	(-112)
#define BENCH_ZCLOSING		(-116)

/* Watch event types (ZooKeeper's numbers). */
#define BENCH_EV_CREATED 1
#define BENCH_EV_DELETED 2
#define BENCH_EV_CHANGED 3
#define BENCH_EV_CHILD	 4
#define BENCH_EV_SESSION (-1)

#define BENCH_CREATE_EPHEMERAL	1
#define BENCH_CREATE_SEQUENTIAL 2

/* What a completion gets besides its code; pointers valid during the call. */
struct bench_reply {
	const char *path; /* create: the created path (sequential name) */
	const char *const *names; /* children */
	int nnames;
	int32_t data_len;     /* get: bytes returned */
	int32_t num_children; /* from the Stat when the op returns one */
	int32_t version;
};

typedef void (*bench_done_fn)(void *arg, int rc, const struct bench_reply *r);
typedef void (*bench_watch_fn)(void *arg, int type, const char *path);

struct bench_conn; /* one session, owned by the target */

#define BENCH_POLL_WAKE 1 /* return as soon as any completion happened */

/*
 * A target.  Threading: a conn is driven by one thread of the run (its
 * worker); `poll` is called by that worker for the conns it owns.  With
 * threaded_callbacks, completions and watches arrive on the library's own
 * thread (one per conn, serialised per conn) and poll only waits; without,
 * they run inside poll.  Either way the callbacks of one conn never run
 * concurrently with each other.
 *
 *  available  0, or -ENOSYS/-ENOENT with a reason in why (target not built)
 *  connect    blocks until the session is established (or timeout_ms):
 *             0 and *out, or -errno
 *  close      ends the session (sends the close) and frees the conn
 *  get .. children  asynchronous; 0 when sent (done will be called exactly
 *             once), or -errno when not sent (done is not called).  A watch
 *             callback (wfn non-NULL) fires at most once.
 *  poll       drives the conns until deadline (see BENCH_POLL_WAKE);
 *             NULL entries of cs are skipped
 *  server_version  version of the server at hosts, or -errno
 */
struct bench_target_ops {
	const char *name;
	const char *transport;
	bool threaded_callbacks;
	int (*available)(char *why, size_t len);
	int (*connect)(const char *hosts, int timeout_ms,
		       struct bench_conn **out);
	void (*close)(struct bench_conn *c);
	int (*get)(struct bench_conn *c, const char *path, bench_watch_fn wfn,
		   void *warg, bench_done_fn done, void *arg);
	int (*exists)(struct bench_conn *c, const char *path,
		      bench_watch_fn wfn, void *warg, bench_done_fn done,
		      void *arg);
	int (*set)(struct bench_conn *c, const char *path, const void *data,
		   int len, int version, bench_done_fn done, void *arg);
	int (*create)(struct bench_conn *c, const char *path, const void *data,
		      int len, int flags, bench_done_fn done, void *arg);
	int (*del)(struct bench_conn *c, const char *path, int version,
		   bench_done_fn done, void *arg);
	int (*children)(struct bench_conn *c, const char *path,
			bench_watch_fn wfn, void *warg, bench_done_fn done,
			void *arg);
	void (*poll)(struct bench_conn *const *cs, int n, uint64_t deadline,
		     unsigned flags);
	int (*server_version)(const char *hosts, char *buf, size_t len);
};

/* Targets by name ("zk", "dpzk", "dpzk-dpdk"); NULL if unknown. */
const struct bench_target_ops *bench_target_find(const char *name);
/* Names of all targets, comma separated. */
const char *bench_target_names(void);

extern const struct bench_target_ops bench_target_zk;
extern const struct bench_target_ops bench_target_dpzk;
extern const struct bench_target_ops bench_target_dpzk_dpdk;

/*
 * The dpzk-dpdk target's port, set before the first run (main's --dpdk-*
 * flags); NULL or "" fields take the defaults.  The strings are borrowed
 * until the run ends.
 *  vdev    EAL --vdev (default net_tap0,iface=IFACE)
 *  iface   the tap's kernel side (default dpzkb<pid>)
 *  bridge  bridge to attach the kernel side to (default dpzkbr0, the test
 *          network's; "none": leave it alone)
 *  ip      the bench's IPv4 address on that network (198.18.0.200)
 *  eal     more EAL arguments, space separated
 */
struct bench_dpdk_opts {
	const char *vdev;
	const char *iface;
	const char *bridge;
	const char *ip;
	const char *eal;
};
void bench_dpdk_configure(const struct bench_dpdk_opts *o);

/*
 * Synchronous helpers over a target's async calls, for set-up (preload,
 * parents).  They poll the conn from the calling thread.  Return a
 * ZooKeeper code only (BENCH_ZOK, BENCH_ZNONODE, ...): BENCH_ZSYSTEMERROR
 * when the call could not be sent, BENCH_ZOPERATIONTIMEOUT after
 * timeout_ms (ZooKeeper codes and -errno values overlap).
 */
int bench_sync_create(const struct bench_target_ops *t, struct bench_conn *c,
		      const char *path, const void *data, int len, int flags,
		      int timeout_ms);
int bench_sync_exists(const struct bench_target_ops *t, struct bench_conn *c,
		      const char *path, int32_t *num_children, int timeout_ms);
int bench_sync_set(const struct bench_target_ops *t, struct bench_conn *c,
		   const char *path, const void *data, int len, int timeout_ms);

/* ------------------------------------------------------------------ run */

#define BENCH_MAX_HIST 3

enum bench_load { BENCH_LOAD_CLOSED, BENCH_LOAD_OPEN };

/* Everything the flags set.  bench_config_defaults fills a usable run. */
struct bench_config {
	const char *target;   /* zk, dpzk, dpzk-dpdk */
	const char *hosts;    /* host:port[,host:port...] */
	const char *workload; /* see bench_workload_names() */
	enum bench_load load;
	int clients; /* C */
	int depth;   /* D outstanding per client (cap in open loop) */
	int threads; /* worker threads */
	double rate; /* open loop: total offered ops/s */
	enum bench_arrival arrival;
	double warmup_s;
	double duration_s;
	uint64_t ops;	 /* stop after this many recorded ops (0: off) */
	int value_size;	 /* bytes, 16 .. 65536 (and up to 1 MiB) */
	uint64_t znodes; /* preloaded keys */
	int read_pct;	 /* mix: share of reads */
	int children;	 /* children workload: kids of the parent */
	int session_timeout_ms;
	uint64_t seed;
	const char *dir; /* dsync-write: directory to write in */
	bool progress;	 /* progress line on stderr */
	/* informational, printed in the report header */
	const char *durability;
	const char *idle;
	const char *label; /* name of this run in plots (default target) */
	int ensemble;	   /* 0: count of hosts */
};

void bench_config_defaults(struct bench_config *cfg);

#define BENCH_NCODES 160

/* The results of a run, merged across clients. */
struct bench_results {
	const char *workload;
	int nhist;
	const char *hist_names[BENCH_MAX_HIST];
	struct bench_hist hist[BENCH_MAX_HIST];
	uint64_t errors;
	/* errors by ZooKeeper code: err_codes[-rc] for -rc < BENCH_NCODES,
	 * err_codes[0] for the rest (not sent, timed out, lost) */
	uint64_t err_codes[BENCH_NCODES];
	uint64_t ops;	   /* recorded (after warm-up) in hist[0] */
	double measured_s; /* measurement window */
	uint32_t *per_sec; /* completions per second since start */
	int nsec;
	int warmup_secs; /* leading entries of per_sec that are warm-up */
	char note[256];	 /* anything the reader must know */
	char server_version[128];
	char error[256]; /* set when the run could not be done */
};

/*
 * Runs cfg and fills res (free with bench_results_free).  Returns 0, or
 * -errno with res->error saying why (unknown workload, target not built,
 * cannot connect ...).  Prints a progress line on stderr each second when
 * cfg->progress.
 */
int bench_run(const struct bench_config *cfg, struct bench_results *res);
void bench_results_free(struct bench_results *res);
/* Workload names, comma separated. */
const char *bench_workload_names(void);

/* --------------------------------------------------------------- report */

/* The report's header facts, gathered once. */
struct bench_env {
	char cpu[128];
	int cores;
	char kernel[128];
	char dpzk_rev[64];
	char dpdk[64];
	char libzk[64];
};

void bench_env_gather(struct bench_env *e);
/* Human-readable report (header + table) to f. */
void bench_report_text(FILE *f, const struct bench_env *e,
		       const struct bench_config *cfg,
		       const struct bench_results *r);
/* The same as JSON, with per-second throughput and percentile curves. */
void bench_report_json(FILE *f, const struct bench_env *e,
		       const struct bench_config *cfg,
		       const struct bench_results *r);
/*
 * Writes prefix.txt, prefix.json, prefix.hist.csv, prefix.persec.csv and
 * prefix.pct.csv.  Returns 0 or -errno.
 */
int bench_report_files(const char *prefix, const struct bench_env *e,
		       const struct bench_config *cfg,
		       const struct bench_results *r);
/*
 * Percentile curve rows "name,percentile,x,latency_us" where x = 1/(1-q),
 * the axis gnuplot plots on a log scale.  Returns 0 or -EIO.
 */
int bench_report_pct_csv(FILE *f, const char *name, const struct bench_hist *h);
/*
 * Plots the percentile curves of several runs on one PNG with gnuplot:
 * labels[i] names the line, csvs[i] is a prefix.pct.csv and hists[i] the
 * histogram name in it to plot (hist[0] of the run when NULL).  Returns 0,
 * -ENOENT when gnuplot is absent, or -errno.
 */
int bench_plot(const char *png, const char *title, int n,
	       const char *const *labels, const char *const *csvs,
	       const char *const *hists);

#endif /* DPZK_BENCH_H */
