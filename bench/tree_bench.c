/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/tree_bench.c — micro-benchmark of tree/: a tree of 1,000,000
 * znodes (/b/<i>/<j>, 1000 x 1000, 64-byte data), then per-operation
 * latency (median, p99, p99.9 in ns, timed one op at a time with the TSC)
 * for getData, exists, setData (prep+apply), create+delete (prep+apply
 * each), getChildren of a 1000-child node, and the memory the tree uses per
 * znode beyond its name and data.  Prints the machine and the figures, and
 * writes the raw percentiles to tree_bench.csv in the working directory.
 *
 * Why it is built this way: the tree sits on the read path of every
 * request, so its cost is reported per call, not as a throughput average;
 * the TSC is calibrated against CLOCK_MONOTONIC once.  It is a meson
 * benchmark(), never a timed pass/fail test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <x86intrin.h>

#include "tree/tree.h"

#define FAN	1000
#define SAMPLES 200000

static double ns_per_tick;
static uint8_t scratch_a[1 << 20], scratch_b[1 << 20];

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
calibrate(void)
{
	uint64_t t0 = now_ns(), c0 = __rdtsc();
	while (now_ns() - t0 < 200000000ull)
		;
	uint64_t t1 = now_ns(), c1 = __rdtsc();
	ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static FILE *csv;

static void
report(const char *name, uint64_t *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_u64);
	double med = (double)t[n / 2] * ns_per_tick;
	double p99 = (double)t[n * 99 / 100] * ns_per_tick;
	double p999 = (double)t[n * 999 / 1000] * ns_per_tick;
	printf("  %-28s median %8.0f ns   p99 %8.0f ns   p99.9 %8.0f ns  "
	       "(n=%zu)\n",
	       name, med, p99, p999, n);
	if (csv != NULL)
		fprintf(csv, "%s,%zu,%.0f,%.0f,%.0f\n", name, n, med, p99,
			p999);
}

static void
machine(void)
{
	char model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) == 0) {
			char *c = strchr(line, ':');
			if (c != NULL) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = 0;
			}
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	struct utsname u;
	uname(&u);
	printf("tree_bench (dpzk %s, git %s)\n", DPZK_VERSION, DPZK_GIT_REV);
	printf("machine: %s; kernel %s %s; TSC %.3f GHz\n", model, u.sysname,
	       u.release, 1.0 / ns_per_tick);
}

static struct proto_acl world = {.perms = PROTO_PERM_ALL,
				 .id = {.scheme = {(const uint8_t *)"world", 5},
					.id = {(const uint8_t *)"anyone", 6}}};

static int64_t zxid;

static int
write_op(struct tree *t, const struct proto_request *q, int32_t *zerr)
{
	struct proto_scratch s, s2;
	struct proto_txn x;
	struct proto_response r;
	proto_scratch_init(&s, scratch_a, sizeof(scratch_a));
	proto_scratch_init(&s2, scratch_b, sizeof(scratch_b));
	struct tree_client c = {.session_id = 1};
	zxid++;
	int rc = tree_prep(t, &c, (int32_t)zxid, q, zxid, 1700000000000LL, &x,
			   zerr, &s);
	if (rc != 0 || *zerr != 0)
		return rc;
	return tree_apply(t, &x, &r, zerr, &s2);
}

static int
count_bytes(void *arg, const void *p, size_t len)
{
	(void)p;
	*(uint64_t *)arg += len;
	return 0;
}

static char *
path_of(char *buf, size_t cap, int i, int j)
{
	if (j < 0)
		snprintf(buf, cap, "/b/%d", i);
	else
		snprintf(buf, cap, "/b/%d/n%06d", i, j);
	return buf;
}

int
main(void)
{
	calibrate();
	machine();
	csv = fopen("tree_bench.csv", "w");
	if (csv != NULL)
		fprintf(csv, "op,n,median_ns,p99_ns,p999_ns\n");

	struct tree_opts o;
	tree_opts_default(&o);
	struct tree *t = tree_create(&o);
	if (t == NULL) {
		fprintf(stderr, "tree_create: %s\n", strerror(errno));
		return 1;
	}
	struct tree_stats s0;
	tree_get_stats(t, &s0);

	uint8_t data[64];
	memset(data, 'd', sizeof(data));
	char p[64];
	int32_t zerr;
	struct proto_request q = {.type = PROTO_OP_CREATE,
				  .data = {data, 64},
				  .acl = {.n = 1, .v = &world}};
	q.path.p = (const uint8_t *)"/b";
	q.path.len = 2;
	write_op(t, &q, &zerr);
	uint64_t b0 = now_ns();
	for (int i = 0; i < FAN; i++) {
		path_of(p, sizeof(p), i, -1);
		q.path.p = (const uint8_t *)p;
		q.path.len = (int32_t)strlen(p);
		if (write_op(t, &q, &zerr) != 0 || zerr != 0)
			return 1;
		for (int j = 0; j < FAN; j++) {
			path_of(p, sizeof(p), i, j);
			q.path.len = (int32_t)strlen(p);
			if (write_op(t, &q, &zerr) != 0 || zerr != 0) {
				fprintf(stderr, "create %s failed\n", p);
				return 1;
			}
		}
	}
	uint64_t b1 = now_ns();
	while (tree_tick(t, 1024) != 0)
		;
	struct tree_stats s1;
	tree_get_stats(t, &s1);
	uint64_t n_new = s1.nodes - s0.nodes;
	printf("tree: %llu znodes built by prep+apply in %.2f s (%.0f ns each); "
	       "arena %s (%llu hugepage chunks, %llu ordinary-page chunks), "
	       "%.1f MiB mapped\n",
	       (unsigned long long)s1.nodes, (double)(b1 - b0) / 1e9,
	       (double)(b1 - b0) / (double)n_new,
	       tree_arena_kind_name(s1.arena_kind),
	       (unsigned long long)s1.hugepages,
	       (unsigned long long)s1.thp_chunks,
	       (double)s1.arena_mapped / 1048576.0);
	uint64_t used = (s1.arena_used - s0.arena_used) +
			(s1.hash_bytes - s0.hash_bytes);
	uint64_t names = s1.name_bytes - s0.name_bytes;
	uint64_t paths_data = s1.data_bytes - s0.data_bytes;
	uint64_t datab = (uint64_t)n_new * 64;
	printf("memory: %.1f B/znode in all (arena + hash tables); beyond name "
	       "and data %.1f B/znode; beyond full path and data %.1f "
	       "B/znode\n",
	       (double)used / (double)n_new,
	       (double)(used - names - datab) / (double)n_new,
	       (double)(used - paths_data) / (double)n_new);
	if (csv != NULL)
		fprintf(csv, "overhead_beyond_name_data_B,%llu,%.1f,,\n",
			(unsigned long long)n_new,
			(double)(used - names - datab) / (double)n_new);

	/* pre-generated random leaf paths */
	char(*paths)[24] = malloc(sizeof(*paths) * SAMPLES);
	uint64_t *tm = malloc(sizeof(uint64_t) * SAMPLES);
	if (paths == NULL || tm == NULL)
		return 1;
	for (int k = 0; k < SAMPLES; k++)
		path_of(paths[k], sizeof(paths[k]), (int)rnd(FAN),
			(int)rnd(FAN));

	uint64_t sink = 0;
	/* context: one dependent random DRAM access on this machine */
	{
		size_t n = (size_t)1 << 22; /* 32 MiB of 8-byte slots */
		uint64_t *a = malloc(n * sizeof(uint64_t));
		if (a != NULL) {
			for (size_t i = 0; i < n; i++)
				a[i] = i;
			for (size_t i = n - 1; i > 0; i--) {
				size_t j =
					((size_t)rnd(1u << 30) << 2 ^ rnd(4)) %
					(i + 1);
				uint64_t x = a[i];
				a[i] = a[j];
				a[j] = x;
			}
			uint64_t pos = 0, t0 = __rdtsc();
			for (int i = 0; i < 1000000; i++)
				pos = a[pos];
			uint64_t t1 = __rdtsc();
			sink += pos;
			printf("memory: one dependent random load in 32 MiB "
			       "takes %.0f ns here\n",
			       (double)(t1 - t0) / 1e6 * ns_per_tick);
			free(a);
		}
	}
	printf("latency per call (TSC, one call at a time):\n");
	struct tree_client c = {.session_id = 2};
	struct proto_response r;
	struct proto_scratch sc;
	int32_t types[2] = {PROTO_OP_GETDATA, PROTO_OP_EXISTS};
	const char *names2[2] = {"getData", "exists"};
	for (int w = 0; w < 2; w++) {
		for (int k = 0; k < SAMPLES; k++) {
			struct proto_request rq = {.type = types[w]};
			rq.path.p = (const uint8_t *)paths[k];
			rq.path.len = (int32_t)strlen(paths[k]);
			proto_scratch_init(&sc, scratch_a, sizeof(scratch_a));
			uint64_t a = __rdtsc();
			tree_read(t, &c, &rq, &r, &zerr, &sc);
			uint64_t b = __rdtsc();
			sink += (uint64_t)r.stat.version + (uint64_t)zerr;
			tm[k] = b - a;
		}
		report(names2[w], tm, SAMPLES);
	}

	/* the same getData on a hot set of 1000 paths (in cache): the cost of
	 * the code itself, without DRAM misses */
	for (int k = 0; k < SAMPLES; k++) {
		struct proto_request rq = {.type = PROTO_OP_GETDATA};
		rq.path.p = (const uint8_t *)paths[k % 1000];
		rq.path.len = (int32_t)strlen(paths[k % 1000]);
		proto_scratch_init(&sc, scratch_a, sizeof(scratch_a));
		uint64_t a = __rdtsc();
		tree_read(t, &c, &rq, &r, &zerr, &sc);
		uint64_t b = __rdtsc();
		sink += (uint64_t)r.stat.version;
		tm[k] = b - a;
	}
	report("getData (hot set of 1000)", tm, SAMPLES);

	/* the same reads in bursts of 32 with tree_prefetch, as a dataplane
	 * serving an rx burst does: time per op = burst time / 32 */
	for (int w = 0; w < 2; w++) {
		size_t nb = 0;
		for (int k = 0; k + 32 <= SAMPLES; k += 32) {
			struct proto_request rq[32];
			for (int i = 0; i < 32; i++) {
				memset(&rq[i], 0, sizeof(rq[i]));
				rq[i].type = types[w];
				rq[i].path.p = (const uint8_t *)paths[k + i];
				rq[i].path.len = (int32_t)strlen(paths[k + i]);
			}
			uint64_t a = __rdtsc();
			for (int i = 0; i < 32; i++)
				tree_prefetch(t, rq[i].path.p,
					      (size_t)rq[i].path.len, 0);
			for (int i = 0; i < 32; i++)
				tree_prefetch(t, rq[i].path.p,
					      (size_t)rq[i].path.len, 1);
			for (int i = 0; i < 32; i++) {
				proto_scratch_init(&sc, scratch_a, 4096);
				tree_read(t, &c, &rq[i], &r, &zerr, &sc);
				sink += (uint64_t)r.stat.version;
			}
			uint64_t b = __rdtsc();
			tm[nb++] = (b - a) / 32;
		}
		char nm[64];
		snprintf(nm, sizeof(nm), "%s (bursts of 32)", names2[w]);
		report(nm, tm, nb);
	}

	int nw = SAMPLES / 2;
	for (int k = 0; k < nw; k++) {
		struct proto_request rq = {.type = PROTO_OP_SETDATA,
					   .data = {data, 64},
					   .version = -1};
		rq.path.p = (const uint8_t *)paths[k];
		rq.path.len = (int32_t)strlen(paths[k]);
		uint64_t a = __rdtsc();
		write_op(t, &rq, &zerr);
		uint64_t b = __rdtsc();
		tm[k] = b - a;
	}
	report("setData (prep+apply)", tm, (size_t)nw);

	uint64_t *td = malloc(sizeof(uint64_t) * (size_t)nw);
	uint64_t *tc = malloc(sizeof(uint64_t) * (size_t)nw);
	for (int k = 0; k < nw; k++) {
		snprintf(p, sizeof(p), "/b/%d/tmp%d", (int)rnd(FAN), k);
		struct proto_request cq = q;
		cq.path.p = (const uint8_t *)p;
		cq.path.len = (int32_t)strlen(p);
		uint64_t a = __rdtsc();
		write_op(t, &cq, &zerr);
		uint64_t b = __rdtsc();
		struct proto_request dq = {.type = PROTO_OP_DELETE,
					   .path = cq.path,
					   .version = -1};
		write_op(t, &dq, &zerr);
		uint64_t d = __rdtsc();
		tc[k] = b - a;
		td[k] = d - b;
		tm[k] = d - a;
	}
	report("create (prep+apply)", tc, (size_t)nw);
	report("delete (prep+apply)", td, (size_t)nw);
	report("create+delete", tm, (size_t)nw);

	int ng = 20000;
	for (int k = 0; k < ng; k++) {
		struct proto_request rq = {.type = PROTO_OP_GETCHILDREN};
		path_of(p, sizeof(p), (int)rnd(FAN), -1);
		rq.path.p = (const uint8_t *)p;
		rq.path.len = (int32_t)strlen(p);
		proto_scratch_init(&sc, scratch_a, sizeof(scratch_a));
		uint64_t a = __rdtsc();
		tree_read(t, &c, &rq, &r, &zerr, &sc);
		uint64_t b = __rdtsc();
		sink += (uint64_t)r.children.n;
		tm[k] = b - a;
	}
	report("getChildren (1000 children)", tm, (size_t)ng);

	/* snapshot of the whole tree, in slices of 1024 work units */
	uint64_t bytes = 0, worst = 0;
	uint64_t s_0 = now_ns();
	struct tree_ser *ser = tree_ser_begin(t, NULL);
	int rc;
	do {
		uint64_t a = now_ns();
		rc = tree_ser_step(ser, 1024, count_bytes, &bytes);
		uint64_t b = now_ns();
		if (b - a > worst)
			worst = b - a;
	} while (rc > 0);
	tree_ser_end(ser);
	uint64_t s_1 = now_ns();
	printf("snapshot: %.1f MiB in %.2f s (%.0f MB/s), longest 1024-unit "
	       "slice %.2f ms%s\n",
	       (double)bytes / 1048576.0, (double)(s_1 - s_0) / 1e9,
	       (double)bytes / ((double)(s_1 - s_0) / 1e3), (double)worst / 1e6,
	       rc == 0 ? "" : " (FAILED)");
	printf("(sink %llu)\n", (unsigned long long)(sink & 1));
	if (csv != NULL)
		fclose(csv);
	free(paths);
	free(tm);
	free(td);
	free(tc);
	tree_destroy(t);
	return 0;
}
