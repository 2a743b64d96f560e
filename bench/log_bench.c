/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_bench — nvme-log against the raw device and a naive baseline, all in
 * one run on the same filesystem (DESIGN.md §13: figures on small VMs are
 * stated as ratios against the raw device measured in the same run).
 *
 *   raw       one 4 KiB pwrite at a time, O_DIRECT|O_DSYNC, to a
 *             preallocated and zeroed file
 *   baseline  one pwrite + fdatasync per 100-byte txn (preallocated file,
 *             as ZooKeeper preallocates its log)
 *   nlog      K appenders outstanding (1, 8, 64, 512), group commit:
 *             append-to-durable latency p50/p99/p99.9 and txns/s
 *   modes     RWF_DSYNC vs linked fdatasync, SQPOLL off/on (K = 1, 64):
 *             the input for the default durability mode
 *   snapshot  the bounded slice the polling core gives up per call:
 *             nlog_snap_pipe_push of NLOG_SNAP_SLICE bytes while mgmt
 *             drains the pipe into a snapshot file
 *
 * Prints the machine, the filesystem, a table and the target ratios, and
 * appends the rows to log_bench.csv in the working directory.  Set
 * LOG_BENCH_DIR to choose where the files go (default /var/tmp: the real
 * disk; O_DIRECT does not work on tmpfs); LOG_BENCH_QUICK=1 for a short run.
 * A benchmark, never a pass/fail test.
 */
/* Paths and labels are bounded on purpose (bench/meson.build is shared). */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "nvme-log/nlog.h"

#define TXN_BYTES 100

static bool quick;
static FILE *csv;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	char name[64];
	uint64_t n;
	double p50, p99, p999, max; /* microseconds */
	double tps;
};

static void
summarize(struct result *r, uint64_t *lat, uint64_t n, uint64_t elapsed_ns)
{
	r->n = n;
	if (n == 0)
		return;
	qsort(lat, n, sizeof(*lat), cmp_u64);
	r->p50 = lat[n / 2] / 1e3;
	r->p99 = lat[(n * 99) / 100] / 1e3;
	r->p999 = lat[(n * 999) / 1000] / 1e3;
	r->max = lat[n - 1] / 1e3;
	r->tps = elapsed_ns ? n / (elapsed_ns / 1e9) : 0;
}

static void
print_row(const struct result *r)
{
	printf("  %-30s %8" PRIu64 " %9.1f %9.1f %9.1f %9.1f %11.0f\n", r->name,
	       r->n, r->p50, r->p99, r->p999, r->max, r->tps);
	fflush(stdout);
	if (csv != NULL)
		fprintf(csv, "%s,%" PRIu64 ",%.2f,%.2f,%.2f,%.2f,%.0f\n",
			r->name, r->n, r->p50, r->p99, r->p999, r->max, r->tps);
}

static void
header(void)
{
	printf("  %-30s %8s %9s %9s %9s %9s %11s\n", "case", "n", "p50 us",
	       "p99 us", "p99.9 us", "max us", "txns/s");
}

/* Preallocated, zeroed file of size bytes (like an nlog segment). */
static int
prealloc_file(const char *path, uint64_t size, int flags)
{
	static uint8_t zeros[1 << 20] __attribute__((aligned(4096)));
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	if (fallocate(fd, 0, 0, (off_t)size) != 0) {
		/* the zero fill below allocates */
	}
	for (uint64_t off = 0; off < size; off += sizeof(zeros))
		if (pwrite(fd, zeros, sizeof(zeros), (off_t)off) < 0) {
			close(fd);
			return -1;
		}
	fsync(fd);
	close(fd);
	return open(path, O_RDWR | flags);
}

static void
bench_raw(const char *dir, bool linked_sync, struct result *r)
{
	char path[PATH_MAX];
	uint64_t n = quick ? 500 : 3000, size = 32u << 20, *lat;
	void *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/raw.dat", dir);
	fd = prealloc_file(path, size, O_DIRECT | (linked_sync ? 0 : O_DSYNC));
	if (fd < 0 || posix_memalign(&buf, 4096, 4096) != 0) {
		perror("raw");
		exit(1);
	}
	memset(buf, 0x5a, 4096);
	lat = calloc(n, sizeof(*lat));
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = now_ns();
		if (pwrite(fd, buf, 4096, (off_t)((i * 4096) % size)) != 4096 ||
		    (linked_sync && fdatasync(fd) != 0)) {
			perror("raw pwrite");
			exit(1);
		}
		lat[i] = now_ns() - t;
	}
	snprintf(r->name, sizeof(r->name), "%s",
		 linked_sync ? "raw 4K O_DIRECT + fdatasync"
			     : "raw 4K O_DIRECT|O_DSYNC");
	summarize(r, lat, n, now_ns() - t0);
	free(lat);
	free(buf);
	close(fd);
	unlink(path);
}

static void
bench_baseline(const char *dir, struct result *r)
{
	char path[PATH_MAX], txn[TXN_BYTES];
	uint64_t n = quick ? 500 : 3000, *lat;
	int fd;

	snprintf(path, sizeof(path), "%s/baseline.dat", dir);
	fd = prealloc_file(path, 8u << 20, 0);
	if (fd < 0) {
		perror("baseline");
		exit(1);
	}
	memset(txn, 0x42, sizeof(txn));
	lat = calloc(n, sizeof(*lat));
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = now_ns();
		if (pwrite(fd, txn, sizeof(txn), (off_t)(i * sizeof(txn))) !=
			    sizeof(txn) ||
		    fdatasync(fd) != 0) {
			perror("baseline write");
			exit(1);
		}
		lat[i] = now_ns() - t;
	}
	snprintf(r->name, sizeof(r->name), "baseline pwrite+fdatasync");
	summarize(r, lat, n, now_ns() - t0);
	free(lat);
	close(fd);
	unlink(path);
}

static int
rm_dir(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* K appends outstanding; n txns or max_ns, whichever comes first. */
static void
bench_nlog(const char *top, enum nlog_durability dur, bool sqpoll, bool wait,
	   unsigned k, uint64_t n, uint64_t max_ns, struct result *r)
{
	char dir[PATH_MAX];
	struct nlog_config c;
	struct nlog_report rep;
	struct nlog_stats st;
	struct nlog *l;
	uint8_t txn[TXN_BYTES];
	uint64_t *t_app = calloc(n + 2, sizeof(uint64_t));
	uint64_t *lat = calloc(n + 2, sizeof(uint64_t));
	uint64_t next = 1, done = 0, t0, tend;

	snprintf(dir, sizeof(dir), "%s/nlog-%s-%d-%u", top,
		 nlog_durability_name(dur), sqpoll, k);
	rm_dir(dir);
	nlog_config_default(&c);
	c.dir = dir;
	c.durability = dur;
	c.sqpoll = sqpoll;
	c.quiet = true;
	l = nlog_open(&c, NULL, &rep);
	if (l == NULL) {
		fprintf(stderr, "nlog_open: %s\n%s", strerror(errno), rep.msg);
		exit(1);
	}
	/* let the segment thread finish zeroing the spare first */
	for (int i = 0; i < 2000; i++) {
		nlog_get_stats(l, &st);
		if (st.spare_ready)
			break;
		usleep(10000);
	}
	memset(txn, 0x42, sizeof(txn));
	t0 = now_ns();
	tend = t0 + max_ns;
	while (done < n) {
		uint64_t d, t;
		int rc;

		while (next - 1 - done < k && next <= n) {
			rc = nlog_append(l, next, 1, txn, sizeof(txn));
			if (rc == -ENOBUFS || rc == -EAGAIN)
				break;
			if (rc != 0) {
				fprintf(stderr, "append: %s\n", strerror(-rc));
				exit(1);
			}
			t_app[next++] = now_ns();
		}
		if (nlog_flush(l) != 0)
			exit(1);
		rc = nlog_poll(l, &d);
		if (rc < 0) {
			fprintf(stderr, "poll: %s\n", strerror(-rc));
			exit(1);
		}
		if (rc == 0 && wait && (next - 1 - done >= k || next > n))
			nlog_wait(l, 1000); /* idle policy "wait" */
		if (rc > 0) {
			t = now_ns();
			for (uint64_t z = done + 1; z <= d; z++)
				lat[z - 1] = t - t_app[z];
			done = d;
			if (t > tend)
				break;
		}
	}
	tend = now_ns();
	nlog_get_stats(l, &st);
	snprintf(r->name, sizeof(r->name), "nlog %s%s %s K=%u",
		 nlog_durability_name(nlog_durability(l)),
		 sqpoll ? "+sqpoll" : "", wait ? "wait" : "spin", k);
	summarize(r, lat, done, tend - t0);
	if (k == 1 && dur != NLOG_DUR_NONE)
		printf("    (%s: hugepage buffers %s, registered buffers %s, "
		       "registered files %s, %.1f txns/write)\n",
		       r->name, st.hugepages ? "yes" : "no",
		       st.fixed_bufs ? "yes" : "no",
		       st.fixed_files ? "yes" : "no",
		       st.writes ? (double)st.appends / st.writes : 0);
	nlog_close(l);
	rm_dir(dir);
	free(t_app);
	free(lat);
}

/* ---- snapshot slice bound ---- */

struct drain_arg {
	struct nlog_snap_pipe *p;
	struct nlog_snap *s;
	atomic_bool stop;
};

static void *
drainer(void *arg)
{
	struct drain_arg *a = arg;

	while (!nlog_snap_pipe_done(a->p)) {
		if (nlog_snap_pipe_drain(a->p, a->s) == 0)
			usleep(50);
	}
	return NULL;
}

static void
bench_snapshot_slice(const char *top, struct result *r)
{
	uint64_t total = quick ? (64u << 20) : (512u << 20), pushed = 0;
	uint64_t n = 0, cap = total / NLOG_SNAP_SLICE * 4 + 16, *lat;
	static uint8_t slice[NLOG_SNAP_SLICE];
	struct drain_arg a;
	pthread_t th;
	uint64_t t0;

	for (size_t i = 0; i < sizeof(slice); i++)
		slice[i] = (uint8_t)(i * 31);
	lat = calloc(cap, sizeof(*lat));
	a.p = nlog_snap_pipe_create(8u << 20);
	a.s = nlog_snap_begin(top, 1);
	if (a.p == NULL || a.s == NULL) {
		perror("snapshot");
		exit(1);
	}
	pthread_create(&th, NULL, drainer, &a);
	t0 = now_ns();
	while (pushed < total && n < cap) {
		uint64_t t = now_ns();
		size_t got = nlog_snap_pipe_push(a.p, slice, sizeof(slice));
		uint64_t dt = now_ns() - t;
		if (got == 0) {
			usleep(20); /* pipe full: the core goes on polling */
			continue;
		}
		lat[n++] = dt;
		pushed += got;
	}
	nlog_snap_pipe_close_write(a.p);
	pthread_join(th, NULL);
	if (nlog_snap_commit(a.s) != 0)
		fprintf(stderr, "snapshot commit failed\n");
	snprintf(r->name, sizeof(r->name), "snap pipe push 64K slice");
	summarize(r, lat, n, now_ns() - t0);
	printf("    (snapshot of %" PRIu64 " MiB written at %.0f MiB/s "
	       "including fsync)\n",
	       total >> 20, (total / 1048576.0) / ((now_ns() - t0) / 1e9));
	nlog_snap_pipe_free(a.p);
	free(lat);
	{
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/snapshot.%016x", top, 1);
		unlink(p);
	}
}

/* ---- environment ---- */

static void
print_env(const char *dir)
{
	struct utsname u;
	struct statfs sf;
	char line[512], cpu[256] = "?";
	FILE *f;

	uname(&u);
	f = fopen("/proc/cpuinfo", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "model name", 10) == 0) {
			snprintf(cpu, sizeof(cpu), "%s", strchr(line, ':') + 2);
			cpu[strcspn(cpu, "\n")] = '\0';
			break;
		}
	if (f != NULL)
		fclose(f);
	printf("log_bench: dpzk %s (%s)\n", DPZK_VERSION, DPZK_GIT_REV);
	printf("machine: %s %s %s, %ld cpus, %s\n", u.nodename, u.sysname,
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), cpu);
	if (statfs(dir, &sf) == 0)
		printf("directory: %s (statfs type 0x%lx%s)\n", dir,
		       (unsigned long)sf.f_type,
		       sf.f_type == 0xEF53	 ? " = ext2/3/4"
		       : sf.f_type == 0x58465342 ? " = xfs"
		       : sf.f_type == 0x01021994 ? " = tmpfs (no O_DIRECT!)"
						 : "");
	/* the mount line of the longest matching mount point */
	f = fopen("/proc/mounts", "r");
	{
		char best[512] = "", dev[256], mp[256], type[64], opts[256];
		size_t bl = 0;
		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "%255s %255s %63s %255s", dev, mp,
				   type, opts) != 4)
				continue;
			size_t ml = strlen(mp);
			if (strncmp(dir, mp, ml) == 0 && ml >= bl &&
			    (dir[ml] == '/' || dir[ml] == '\0' || ml == 1)) {
				bl = ml;
				snprintf(best, sizeof(best),
					 "%s on %s type %s (%s)", dev, mp, type,
					 opts);
			}
		}
		if (f != NULL)
			fclose(f);
		printf("filesystem: %s\n", best);
	}
	f = fopen("/sys/block/vda/queue/fua", "r");
	if (f != NULL) {
		int fua = 0;
		if (fscanf(f, "%d", &fua) == 1)
			printf("device vda: FUA %s", fua ? "yes" : "no");
		fclose(f);
		f = fopen("/sys/block/vda/queue/write_cache", "r");
		if (f != NULL && fgets(line, sizeof(line), f) != NULL)
			printf(", write cache: %s", line);
		else
			printf("\n");
		if (f != NULL)
			fclose(f);
	}
}

int
main(int argc, char **argv)
{
	const char *base = getenv("LOG_BENCH_DIR");
	char top[PATH_MAX];
	static const unsigned ks[] = {1, 8, 64, 512};
	struct result raw, raw2, bl, res[4], spin[4], modes[8], snap;
	uint64_t max_ns;
	int nm = 0;

	(void)argc;
	(void)argv;
	quick = getenv("LOG_BENCH_QUICK") != NULL;
	max_ns = (quick ? 1 : 4) * 1000000000ull;
	snprintf(top, sizeof(top), "%s/dpzk-log-bench-XXXXXX",
		 base ? base : "/var/tmp");
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	csv = fopen("log_bench.csv", "a");
	if (csv != NULL)
		fprintf(csv,
			"# log_bench %s %s\ncase,n,p50_us,p99_us,"
			"p999_us,max_us,txns_per_s\n",
			DPZK_GIT_REV, top);
	print_env(top);
	printf("txn payload %d bytes; record = 24-byte header + payload, "
	       "8-byte aligned\n\n",
	       TXN_BYTES);

	header();
	bench_raw(top, false, &raw);
	print_row(&raw);
	bench_raw(top, true, &raw2);
	print_row(&raw2);
	bench_baseline(top, &bl);
	print_row(&bl);

	printf("\ndurability modes (choice of the default):\n");
	header();
	for (int sq = 0; sq < 2; sq++)
		for (int m = 0; m < 2; m++) {
			enum nlog_durability d =
				m == 0 ? NLOG_DUR_DSYNC : NLOG_DUR_FDATASYNC;
			unsigned kk[] = {1, 64};
			for (int i = 0; i < 2; i++) {
				bench_nlog(top, d, sq, true, kk[i],
					   quick ? 500 : 2000 * kk[i] / (i + 1),
					   max_ns / 2, &modes[nm]);
				print_row(&modes[nm]);
				nm++;
			}
		}

	printf("\nnvme-log, default durability, group commit; idle policy "
	       "'wait' (nlog_wait when nothing else to do) and 'spin' (pure "
	       "polling):\n");
	header();
	for (int i = 0; i < 4; i++) {
		uint64_t n = quick ? 500ull * ks[i] : 3000ull * ks[i];
		if (n > 400000)
			n = 400000;
		bench_nlog(top, NLOG_DUR_DEFAULT, false, true, ks[i], n, max_ns,
			   &res[i]);
		print_row(&res[i]);
	}
	for (int i = 0; i < 4; i++) {
		uint64_t n = quick ? 500ull * ks[i] : 3000ull * ks[i];
		if (n > 400000)
			n = 400000;
		bench_nlog(top, NLOG_DUR_DEFAULT, false, false, ks[i], n,
			   max_ns, &spin[i]);
		print_row(&spin[i]);
	}
	{
		struct result none;
		bench_nlog(top, NLOG_DUR_NONE, false, true, 64,
			   quick ? 20000 : 100000, max_ns / 2, &none);
		print_row(&none);
		printf("    (durability 'none' = NOT DURABLE, for the network "
		       "path benchmarks only)\n");
	}

	printf("\nsnapshot slice given up by the polling core:\n");
	header();
	bench_snapshot_slice(top, &snap);
	print_row(&snap);

	printf("\ntargets (ratios measured in this run; wait / spin):\n");
	printf("  K=1  p50 / raw p50            = %5.2f / %5.2f  (target <= "
	       "1.15)\n",
	       res[0].p50 / raw.p50, spin[0].p50 / raw.p50);
	printf("  K=64 txns/s / baseline txns/s = %5.1f / %5.1f  (target >= "
	       "20)\n",
	       res[2].tps / bl.tps, spin[2].tps / bl.tps);
	for (int i = 0; i < 4; i++)
		printf("  K=%-3u p99.9 / raw p99.9       = %5.2f / %5.2f  "
		       "(target <= 3)\n",
		       ks[i], res[i].p999 / raw.p999, spin[i].p999 / raw.p999);
	printf("  (against raw 4K O_DIRECT + fdatasync: K=1 p50 %.2f / %.2f, "
	       "K=64 p99.9 %.2f / %.2f)\n",
	       res[0].p50 / raw2.p50, spin[0].p50 / raw2.p50,
	       res[2].p999 / raw2.p999, spin[2].p999 / raw2.p999);
	printf("  dsync vs fdatasync at K=1 p50: %.1f vs %.1f us; at K=64 "
	       "txns/s: %.0f vs %.0f\n",
	       modes[0].p50, modes[2].p50, modes[1].tps, modes[3].tps);
	printf("  sqpoll on (dsync) at K=1 p50: %.1f us; K=64 txns/s: %.0f\n",
	       modes[4].p50, modes[5].tps);
	if (csv != NULL)
		fclose(csv);
	rm_dir(top);
	return 0;
}
