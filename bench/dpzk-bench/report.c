/*
 * report.c — what a run prints and keeps.
 *
 * Every report starts with the facts needed to compare it with another one:
 * the machine (CPU model, cores, kernel), the versions (dpzk revision, DPDK,
 * the server's own version, the client library), and the configuration
 * (target, transport, ensemble, durability, idle policy, load model).  Then
 * one row per histogram: count, throughput, mean, p50 … p99.99, max.
 *
 * The same facts go to JSON (with per-second throughput, the percentile
 * curve and the raw buckets), and to CSV files that gnuplot and spreadsheets
 * read.  bench_plot draws percentile curves of several runs on one PNG, on
 * the usual HdrHistogram axis x = 1/(1-q), so the tail is visible.
 */
#include "bench_priv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BENCH_HAVE_ZK
#include <zookeeper/zookeeper_version.h>
#endif
#ifndef DPZK_GIT_REV
#define DPZK_GIT_REV "unknown"
#endif
#ifndef BENCH_DPDK_VERSION
#define BENCH_DPDK_VERSION "n/a"
#endif

static const double pcts[] = {50.0, 90.0, 99.0, 99.9, 99.99};
static const char *const pct_names[] = {"p50", "p90", "p99", "p99.9", "p99.99"};
#define NPCTS ((int)(sizeof(pcts) / sizeof(pcts[0])))

void
bench_env_gather(struct bench_env *e)
{
	struct utsname u;
	char line[256];
	const char *rev = getenv("DPZK_GIT_REV");
	FILE *f;

	memset(e, 0, sizeof(*e));
	bench_msg(e->cpu, sizeof(e->cpu), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *v = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || v == NULL)
			continue;
		v += 1 + strspn(v + 1, " \t");
		v[strcspn(v, "\n")] = '\0';
		bench_msg(e->cpu, sizeof(e->cpu), "%s", v);
		break;
	}
	if (f != NULL)
		fclose(f);
	e->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0)
		bench_msg(e->kernel, sizeof(e->kernel), "%s %s %s", u.sysname,
			  u.release, u.machine);
	bench_msg(e->dpzk_rev, sizeof(e->dpzk_rev), "%s",
		  rev != NULL && rev[0] ? rev : DPZK_GIT_REV);
	bench_msg(e->dpdk, sizeof(e->dpdk), "%s", BENCH_DPDK_VERSION);
#ifdef BENCH_HAVE_ZK
	bench_msg(e->libzk, sizeof(e->libzk), "%s", ZOO_VERSION);
#else
	bench_msg(e->libzk, sizeof(e->libzk), "n/a");
#endif
}

static int
ensemble_of(const struct bench_config *cfg)
{
	const char *p;
	int n = 1;

	if (cfg->ensemble > 0)
		return cfg->ensemble;
	for (p = cfg->hosts; p != NULL && *p; p++)
		n += *p == ',';
	return n;
}

static const char *
transport_of(const struct bench_config *cfg, const struct bench_workload *wl)
{
	const struct bench_target_ops *t;

	if (wl != NULL && (wl->flags & BENCH_WL_NO_TARGET))
		return "raw (no server)";
	t = bench_target_find(cfg->target);
	return t != NULL ? t->transport : "?";
}

static void
load_text(char *buf, size_t len, const struct bench_config *cfg,
	  const struct bench_workload *wl)
{
	if (wl != NULL && !(wl->flags & BENCH_WL_OPEN_LOOP))
		bench_msg(buf, len, "recipe-driven, %d clients", cfg->clients);
	else if (cfg->load == BENCH_LOAD_OPEN)
		bench_msg(
			buf, len,
			"open loop, %.0f ops/s offered (%s arrivals, send times fixed in advance, latency from intended send time), %d clients, at most %d outstanding each, %d threads",
			cfg->rate,
			cfg->arrival == BENCH_ARRIVAL_POISSON ? "Poisson"
							      : "uniform",
			cfg->clients, cfg->depth, cfg->threads);
	else
		bench_msg(
			buf, len,
			"closed loop, %d clients x %d outstanding, %d threads",
			cfg->clients, cfg->depth, cfg->threads);
}

static const char *
code_name(int k)
{
	switch (-k) {
	case BENCH_ZCONNECTIONLOSS:
		return "ZCONNECTIONLOSS";
	case BENCH_ZOPERATIONTIMEOUT:
		return "ZOPERATIONTIMEOUT";
	case BENCH_ZNONODE:
		return "ZNONODE";
	case BENCH_ZNODEEXISTS:
		return "ZNODEEXISTS";
	case BENCH_ZNOTEMPTY:
		return "ZNOTEMPTY";
	case BENCH_ZSESSIONEXPIRED:
		return "ZSESSIONEXPIRED";
	case BENCH_ZCLOSING:
		return "ZCLOSING";
	default:
		return NULL;
	}
}

/* " (ZNONODE 3, not sent/timed out 1)" when there were errors */
static void
err_breakdown(FILE *f, const struct bench_results *r)
{
	int k, n = 0;

	for (k = 1; k < BENCH_NCODES; k++) {
		const char *name = code_name(k);

		if (r->err_codes[k] == 0)
			continue;
		fprintf(f, "%s", n++ ? ", " : " (");
		if (name != NULL)
			fprintf(f, "%s %llu", name,
				(unsigned long long)r->err_codes[k]);
		else
			fprintf(f, "code %d: %llu", -k,
				(unsigned long long)r->err_codes[k]);
	}
	if (r->err_codes[0] != 0)
		fprintf(f, "%snot sent, timed out or lost %llu",
			n++ ? ", " : " (", (unsigned long long)r->err_codes[0]);
	if (n > 0)
		fprintf(f, ")");
}

static double
us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

void
bench_report_text(FILE *f, const struct bench_env *e,
		  const struct bench_config *cfg, const struct bench_results *r)
{
	const struct bench_workload *wl = bench_workload_find(cfg->workload);
	char load[512];
	int i, j;

	load_text(load, sizeof(load), cfg, wl);
	fprintf(f, "dpzk-bench report\n");
	fprintf(f, "machine    : %s, %d cores, %s\n", e->cpu, e->cores,
		e->kernel);
	fprintf(f,
		"versions   : dpzk %s, DPDK %s, server %s, libzookeeper-mt %s\n",
		e->dpzk_rev, e->dpdk,
		r->server_version[0] ? r->server_version : "n/a", e->libzk);
	fprintf(f,
		"config     : target %s (%s), hosts %s, ensemble %d, durability %s, idle %s\n",
		wl != NULL && (wl->flags & BENCH_WL_NO_TARGET) ? "raw"
							       : cfg->target,
		transport_of(cfg, wl), cfg->hosts ? cfg->hosts : "-",
		ensemble_of(cfg), cfg->durability, cfg->idle);
	fprintf(f, "workload   : %s (%s); value %d B, znodes %llu",
		cfg->workload, wl != NULL ? wl->what : "?", cfg->value_size,
		(unsigned long long)cfg->znodes);
	if (wl != NULL && strcmp(wl->name, "mix") == 0)
		fprintf(f, ", %d:%d read:write", cfg->read_pct,
			100 - cfg->read_pct);
	if (wl != NULL && strcmp(wl->name, "children") == 0)
		fprintf(f, ", %d children", cfg->children);
	fprintf(f,
		"\nload       : %s; warm-up %.1f s excluded, measured %.2f s\n",
		load, cfg->warmup_s, r->measured_s);
	if (r->note[0] != '\0')
		fprintf(f, "note       : %s\n", r->note);
	if (r->error[0] != '\0')
		fprintf(f, "error      : %s\n", r->error);
	fprintf(f, "results (latency in us):\n");
	fprintf(f, "  %-14s %10s %10s %9s", "histogram", "count", "ops/s",
		"mean");
	for (j = 0; j < NPCTS; j++)
		fprintf(f, " %9s", pct_names[j]);
	fprintf(f, " %9s\n", "max");
	for (i = 0; i < r->nhist; i++) {
		const struct bench_hist *h = &r->hist[i];

		fprintf(f, "  %-14s %10llu %10.1f %9.1f", r->hist_names[i],
			(unsigned long long)h->total,
			r->measured_s > 0 ? (double)h->total / r->measured_s
					  : 0.0,
			bench_hist_mean(h) / 1000.0);
		for (j = 0; j < NPCTS; j++)
			fprintf(f, " %9.1f",
				us(bench_hist_percentile(h, pcts[j])));
		fprintf(f, " %9.1f\n", us(h->total ? h->max : 0));
	}
	fprintf(f, "errors     : %llu", (unsigned long long)r->errors);
	err_breakdown(f, r);
	fprintf(f, "\n");
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* Points of the percentile curve: q = 1 - 10^(-j/20) while resolvable. */
static int
curve_points(const struct bench_hist *h, double *q, int max)
{
	int n = 0, j;

	if (h->total == 0)
		return 0;
	for (j = 0; j <= 120 && n < max - 1; j++) {
		double qq = 1.0 - pow(10.0, -(double)j / 20.0);

		if ((1.0 - qq) * (double)h->total < 1.0)
			break;
		q[n++] = qq;
	}
	q[n++] = h->total > 1 ? 1.0 - 1.0 / (double)h->total : 0.0;
	return n;
}

int
bench_report_pct_csv(FILE *f, const char *name, const struct bench_hist *h)
{
	double q[128];
	int n = curve_points(h, q, 128), i;

	for (i = 0; i < n; i++) {
		uint64_t v = i == n - 1
				     ? h->max
				     : bench_hist_percentile(h, q[i] * 100.0);

		if (fprintf(f, "%s,%.6f,%.3f,%.3f\n", name, q[i] * 100.0,
			    1.0 / (1.0 - q[i]), us(v)) < 0)
			return -EIO;
	}
	return 0;
}

void
bench_report_json(FILE *f, const struct bench_env *e,
		  const struct bench_config *cfg, const struct bench_results *r)
{
	const struct bench_workload *wl = bench_workload_find(cfg->workload);
	char load[512];
	double q[128];
	int i, j, n;
	size_t b;

	load_text(load, sizeof(load), cfg, wl);
	fprintf(f, "{\n  \"machine\": {\"cpu\": ");
	json_str(f, e->cpu);
	fprintf(f, ", \"cores\": %d, \"kernel\": ", e->cores);
	json_str(f, e->kernel);
	fprintf(f, "},\n  \"versions\": {\"dpzk\": ");
	json_str(f, e->dpzk_rev);
	fprintf(f, ", \"dpdk\": ");
	json_str(f, e->dpdk);
	fprintf(f, ", \"server\": ");
	json_str(f, r->server_version[0] ? r->server_version : "n/a");
	fprintf(f, ", \"libzookeeper_mt\": ");
	json_str(f, e->libzk);
	fprintf(f, "},\n  \"config\": {\"target\": ");
	json_str(f, wl != NULL && (wl->flags & BENCH_WL_NO_TARGET)
			    ? "raw"
			    : cfg->target);
	fprintf(f, ", \"label\": ");
	json_str(f, cfg->label ? cfg->label : cfg->target);
	fprintf(f, ", \"transport\": ");
	json_str(f, transport_of(cfg, wl));
	fprintf(f, ", \"hosts\": ");
	json_str(f, cfg->hosts);
	fprintf(f, ", \"ensemble\": %d, \"durability\": ", ensemble_of(cfg));
	json_str(f, cfg->durability);
	fprintf(f, ", \"idle\": ");
	json_str(f, cfg->idle);
	fprintf(f, ", \"workload\": ");
	json_str(f, cfg->workload);
	fprintf(f, ", \"load\": ");
	json_str(f, cfg->load == BENCH_LOAD_OPEN ? "open" : "closed");
	fprintf(f, ", \"load_text\": ");
	json_str(f, load);
	fprintf(f,
		", \"clients\": %d, \"depth\": %d, \"threads\": %d, \"rate\": %.1f, \"warmup_s\": %.3f, \"duration_s\": %.3f, \"ops_limit\": %llu, \"value_size\": %d, \"znodes\": %llu, \"read_pct\": %d, \"children\": %d},\n",
		cfg->clients, cfg->depth, cfg->threads, cfg->rate,
		cfg->warmup_s, cfg->duration_s, (unsigned long long)cfg->ops,
		cfg->value_size, (unsigned long long)cfg->znodes, cfg->read_pct,
		cfg->children);
	fprintf(f, "  \"note\": ");
	json_str(f, r->note);
	fprintf(f, ",\n  \"error\": ");
	json_str(f, r->error);
	fprintf(f, ",\n  \"error_codes\": {");
	for (i = 0, n = 0; i < BENCH_NCODES; i++)
		if (r->err_codes[i] != 0)
			fprintf(f, "%s\"%d\": %llu", n++ ? ", " : "",
				i == 0 ? 0 : -i,
				(unsigned long long)r->err_codes[i]);
	fprintf(f, "}");
	fprintf(f,
		",\n  \"results\": {\"measured_s\": %.6f, \"errors\": %llu, \"ops\": %llu, \"histograms\": [",
		r->measured_s, (unsigned long long)r->errors,
		(unsigned long long)r->ops);
	for (i = 0; i < r->nhist; i++) {
		const struct bench_hist *h = &r->hist[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, r->hist_names[i]);
		fprintf(f,
			", \"count\": %llu, \"throughput\": %.3f, \"mean_us\": %.3f",
			(unsigned long long)h->total,
			r->measured_s > 0 ? (double)h->total / r->measured_s
					  : 0.0,
			bench_hist_mean(h) / 1000.0);
		for (j = 0; j < NPCTS; j++)
			fprintf(f, ", \"%s_us\": %.3f", pct_names[j],
				us(bench_hist_percentile(h, pcts[j])));
		fprintf(f,
			", \"max_us\": %.3f, \"min_us\": %.3f, \"saturated\": %llu,\n     \"curve\": [",
			us(h->total ? h->max : 0), us(h->total ? h->min : 0),
			(unsigned long long)h->saturated);
		n = curve_points(h, q, 128);
		for (j = 0; j < n; j++)
			fprintf(f, "%s[%.6f, %.3f]", j ? ", " : "",
				q[j] * 100.0,
				us(j == n - 1 ? h->max
					      : bench_hist_percentile(
							h, q[j] * 100.0)));
		fprintf(f, "],\n     \"buckets\": [");
		n = 0;
		for (b = 0; b < BENCH_HIST_BUCKETS; b++) {
			if (h->counts[b] == 0)
				continue;
			fprintf(f, "%s[%llu, %llu, %llu]", n++ ? ", " : "",
				(unsigned long long)bench_hist_bucket_low(b),
				(unsigned long long)bench_hist_bucket_high(b),
				(unsigned long long)h->counts[b]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]},\n  \"warmup_secs\": %d,\n  \"per_second\": [",
		r->warmup_secs);
	/* trailing empty seconds are not part of the run */
	n = r->nsec;
	while (n > 0 && r->per_sec != NULL && r->per_sec[n - 1] == 0)
		n--;
	for (i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? ", " : "", r->per_sec[i]);
	fprintf(f, "]\n}\n");
}

static FILE *
open_out(const char *prefix, const char *ext, char *path, size_t len)
{
	bench_msg(path, len, "%s%s", prefix, ext);
	return fopen(path, "w");
}

int
bench_report_files(const char *prefix, const struct bench_env *e,
		   const struct bench_config *cfg,
		   const struct bench_results *r)
{
	char path[1024];
	FILE *f;
	int i, n, rc = 0;

	if ((f = open_out(prefix, ".txt", path, sizeof(path))) == NULL)
		return -errno;
	bench_report_text(f, e, cfg, r);
	rc |= fclose(f);
	if ((f = open_out(prefix, ".json", path, sizeof(path))) == NULL)
		return -errno;
	bench_report_json(f, e, cfg, r);
	rc |= fclose(f);
	if ((f = open_out(prefix, ".hist.csv", path, sizeof(path))) == NULL)
		return -errno;
	fprintf(f, "hist,low_ns,high_ns,count\n");
	for (i = 0; i < r->nhist; i++)
		rc |= bench_hist_write_csv(&r->hist[i], r->hist_names[i], f);
	rc |= fclose(f);
	if ((f = open_out(prefix, ".pct.csv", path, sizeof(path))) == NULL)
		return -errno;
	fprintf(f, "hist,percentile,x,latency_us\n");
	for (i = 0; i < r->nhist; i++)
		rc |= bench_report_pct_csv(f, r->hist_names[i], &r->hist[i]);
	rc |= fclose(f);
	if ((f = open_out(prefix, ".persec.csv", path, sizeof(path))) == NULL)
		return -errno;
	fprintf(f, "second,completions,phase\n");
	n = r->nsec;
	while (n > 0 && r->per_sec != NULL && r->per_sec[n - 1] == 0)
		n--;
	for (i = 0; i < n; i++)
		fprintf(f, "%d,%u,%s\n", i, r->per_sec[i],
			i < r->warmup_secs ? "warm-up" : "measure");
	rc |= fclose(f);
	return rc != 0 ? -EIO : 0;
}

/* The first histogram name in a pct.csv (its first data row). */
static int
first_hist(const char *csv, char *name, size_t len)
{
	char line[512];
	FILE *f = fopen(csv, "r");
	int rc = -ENODATA;

	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "hist,", 5) == 0)
			continue;
		line[strcspn(line, ",")] = '\0';
		bench_msg(name, len, "%s", line);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

static void
gp_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int
bench_plot(const char *png, const char *title, int n, const char *const *labels,
	   const char *const *csvs, const char *const *hists)
{
	char gp[1024], name[128];
	FILE *f;
	pid_t pid;
	int i, st;

	bench_msg(gp, sizeof(gp), "%s.gp", png);
	f = fopen(gp, "w");
	if (f == NULL)
		return -errno;
	fprintf(f,
		"set terminal pngcairo size 1100,650 noenhanced\nset output ");
	gp_str(f, png);
	fprintf(f, "\nset title ");
	gp_str(f, title);
	fprintf(f,
		"\nset datafile separator ','\n"
		"set logscale x\nset logscale y\n"
		"set xrange [1:*]\n"
		"set xtics (\"0%%%%\" 1, \"50%%%%\" 2, \"90%%%%\" 10, \"99%%%%\" 100, \"99.9%%%%\" 1000, \"99.99%%%%\" 10000, \"99.999%%%%\" 100000, \"99.9999%%%%\" 1000000)\n"
		"set xlabel 'percentile'\nset ylabel 'latency (us)'\n"
		"set grid\nset key top left\n");
	fprintf(f, "plot ");
	for (i = 0; i < n; i++) {
		const char *h = hists != NULL ? hists[i] : NULL;

		if (h == NULL || h[0] == '\0') {
			if (first_hist(csvs[i], name, sizeof(name)) != 0)
				bench_msg(name, sizeof(name), "?");
			h = name;
		}
		fprintf(f, "%s", i ? ", \\\n     " : "");
		gp_str(f, csvs[i]);
		fprintf(f, " skip 1 using (strcol(1) eq ");
		gp_str(f, h);
		fprintf(f,
			" ? $3 : NaN):4 with linespoints pointsize 0.5 title ");
		gp_str(f, labels[i]);
	}
	fprintf(f, "\n");
	if (fclose(f) != 0)
		return -EIO;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("gnuplot", "gnuplot", gp, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (!WIFEXITED(st))
		return -EIO;
	return WEXITSTATUS(st) == 0	? 0
	       : WEXITSTATUS(st) == 127 ? -ENOENT
					: -EIO;
}
