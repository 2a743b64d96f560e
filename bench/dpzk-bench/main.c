/*
 * main.c — dpzk-bench's command line.
 *
 *   dpzk-bench [flags]                 one run, report on stdout
 *   dpzk-bench plot OUT.png TITLE LABEL=PREFIX.pct.csv[:HIST] ...
 *                                      percentile curves of several runs
 *
 * Exit status: 0 done, 1 the run failed, 2 bad usage, 3 the target is not
 * built or not available (scripts print that instead of numbers).
 */
#include "bench_priv.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: dpzk-bench [flags]\n"
		"       dpzk-bench plot OUT.png TITLE LABEL=PREFIX.pct.csv[:HIST] ...\n"
		"\n"
		"  -t, --target NAME       %s (default zk)\n"
		"  -c, --connect HOSTS     host:port[,host:port...] (default 127.0.0.1:2181;\n"
		"                          udp-echo: 'self' = in-process echo)\n"
		"  -w, --workload NAME     %s\n"
		"  -C, --clients N         clients (sessions); watchers for 'watch' (1)\n"
		"  -D, --depth N           outstanding ops per client; the cap per client\n"
		"                          in open loop (1)\n"
		"  -T, --threads N         worker threads (1)\n"
		"  -r, --rate OPS          open loop at OPS/s offered in total (default:\n"
		"                          closed loop)\n"
		"      --poisson           open loop: Poisson arrivals (seeded) instead of\n"
		"                          uniform\n"
		"      --warmup S          seconds excluded at the start (1)\n"
		"  -d, --duration S        seconds measured (10)\n"
		"  -n, --ops N             stop after N recorded ops (duration is then a cap)\n"
		"  -s, --value-size B      value bytes, 16 .. 65536 (16)\n"
		"  -z, --znodes N          preloaded znodes, up to 1000000 (1000)\n"
		"      --read-pct P        mix: percent reads (90)\n"
		"      --children N        children workload: kids of the parent (10)\n"
		"      --session-timeout MS (10000)\n"
		"      --seed N            random seed (1)\n"
		"      --dir DIR           dsync-write: directory (.)\n"
		"      --durability TEXT   report: durability mode of the server\n"
		"      --idle TEXT         report: idle policy of the server\n"
		"      --ensemble N        report: ensemble size (default: hosts given)\n"
		"      --label TEXT        name of this run in plots (default: target)\n"
		"  -o, --out PREFIX        also write PREFIX.{txt,json,hist.csv,pct.csv,persec.csv}\n"
		"      --png FILE          percentile plot of this run (gnuplot)\n"
		"      --json              JSON report on stdout instead of text\n"
		"      --check             only say whether --target is built (exit 0 or 3)\n"
		"      --dpdk-ip IP        dpzk-dpdk: the bench's address (198.18.0.200)\n"
		"      --dpdk-iface NAME   dpzk-dpdk: kernel side of its tap (dpzkb<pid>)\n"
		"      --dpdk-bridge BR    dpzk-dpdk: bridge for that side (dpzkbr0; none)\n"
		"      --dpdk-vdev ARGS    dpzk-dpdk: EAL --vdev (net_tap0,iface=NAME)\n"
		"      --dpdk-eal ARGS     dpzk-dpdk: more EAL arguments\n"
		"  -q, --quiet             no progress line\n"
		"  -h, --help\n",
		bench_target_names(), bench_workload_names());
}

static int
plot_main(int argc, char **argv)
{
	const char **labels, **csvs, **hists;
	int i, n = argc - 3, rc;

	if (n < 1) {
		usage(stderr);
		return 2;
	}
	labels = calloc((size_t)n, sizeof(*labels));
	csvs = calloc((size_t)n, sizeof(*csvs));
	hists = calloc((size_t)n, sizeof(*hists));
	if (labels == NULL || csvs == NULL || hists == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		char *a = argv[3 + i], *eq = strchr(a, '='), *colon;

		if (eq == NULL) {
			fprintf(stderr,
				"dpzk-bench plot: '%s' is not LABEL=CSV\n", a);
			return 2;
		}
		*eq = '\0';
		labels[i] = a;
		csvs[i] = eq + 1;
		colon = strrchr(eq + 1, ':');
		if (colon != NULL) {
			*colon = '\0';
			hists[i] = colon + 1;
		}
	}
	rc = bench_plot(argv[1], argv[2], n, labels, csvs, hists);
	free(labels);
	free(csvs);
	free(hists);
	if (rc != 0) {
		fprintf(stderr, "dpzk-bench plot: %s\n",
			rc == -ENOENT
				? "gnuplot not found (apt-get install gnuplot-nox)"
				: strerror(-rc));
		return 1;
	}
	printf("%s\n", argv[1]);
	return 0;
}

/* --check: is the target built and available?  0 yes, 3 no, 2 unknown. */
static int
check_target(const char *name)
{
	const struct bench_target_ops *t = bench_target_find(name);
	char why[256] = "";

	if (t == NULL) {
		fprintf(stderr, "dpzk-bench: unknown target '%s'\n", name);
		return 2;
	}
	if (t->available(why, sizeof(why)) != 0) {
		printf("%s\n", why);
		return 3;
	}
	printf("%s: available (%s)\n", t->name, t->transport);
	return 0;
}

static int
num(const char *s, double lo, double hi, double *out, const char *flag)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr,
			"dpzk-bench: %s wants a number in [%g, %g], not '%s'\n",
			flag, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

enum {
	OPT_WARMUP = 256,
	OPT_READ_PCT,
	OPT_CHILDREN,
	OPT_SESSION_TIMEOUT,
	OPT_SEED,
	OPT_DIR,
	OPT_DURABILITY,
	OPT_IDLE,
	OPT_ENSEMBLE,
	OPT_LABEL,
	OPT_PNG,
	OPT_JSON,
	OPT_POISSON,
	OPT_CHECK,
	OPT_DPDK_IP,
	OPT_DPDK_IFACE,
	OPT_DPDK_BRIDGE,
	OPT_DPDK_VDEV,
	OPT_DPDK_EAL,
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"target", required_argument, NULL, 't'},
		{"connect", required_argument, NULL, 'c'},
		{"workload", required_argument, NULL, 'w'},
		{"clients", required_argument, NULL, 'C'},
		{"depth", required_argument, NULL, 'D'},
		{"threads", required_argument, NULL, 'T'},
		{"rate", required_argument, NULL, 'r'},
		{"poisson", no_argument, NULL, OPT_POISSON},
		{"warmup", required_argument, NULL, OPT_WARMUP},
		{"duration", required_argument, NULL, 'd'},
		{"ops", required_argument, NULL, 'n'},
		{"value-size", required_argument, NULL, 's'},
		{"znodes", required_argument, NULL, 'z'},
		{"read-pct", required_argument, NULL, OPT_READ_PCT},
		{"children", required_argument, NULL, OPT_CHILDREN},
		{"session-timeout", required_argument, NULL,
		 OPT_SESSION_TIMEOUT},
		{"seed", required_argument, NULL, OPT_SEED},
		{"dir", required_argument, NULL, OPT_DIR},
		{"durability", required_argument, NULL, OPT_DURABILITY},
		{"idle", required_argument, NULL, OPT_IDLE},
		{"ensemble", required_argument, NULL, OPT_ENSEMBLE},
		{"label", required_argument, NULL, OPT_LABEL},
		{"out", required_argument, NULL, 'o'},
		{"png", required_argument, NULL, OPT_PNG},
		{"json", no_argument, NULL, OPT_JSON},
		{"check", no_argument, NULL, OPT_CHECK},
		{"dpdk-ip", required_argument, NULL, OPT_DPDK_IP},
		{"dpdk-iface", required_argument, NULL, OPT_DPDK_IFACE},
		{"dpdk-bridge", required_argument, NULL, OPT_DPDK_BRIDGE},
		{"dpdk-vdev", required_argument, NULL, OPT_DPDK_VDEV},
		{"dpdk-eal", required_argument, NULL, OPT_DPDK_EAL},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bench_config cfg;
	struct bench_results res;
	struct bench_env env;
	struct bench_dpdk_opts dpdk = {NULL, NULL, NULL, NULL, NULL};
	const char *out = NULL, *png = NULL;
	bool json = false, duration_set = false, vs_set = false;
	bool hosts_set = false, check = false;
	double v;
	int o, rc;

	if (argc >= 2 && strcmp(argv[1], "plot") == 0)
		return plot_main(argc - 1, argv + 1);
	bench_config_defaults(&cfg);
	while ((o = getopt_long(argc, argv, "t:c:w:C:D:T:r:d:n:s:z:o:qh", opts,
				NULL)) != -1) {
		switch (o) {
		case 't':
			cfg.target = optarg;
			break;
		case 'c':
			cfg.hosts = optarg;
			hosts_set = true;
			break;
		case 'w':
			cfg.workload = optarg;
			break;
		case 'C':
			if (num(optarg, 1, 10000, &v, "--clients"))
				return 2;
			cfg.clients = (int)v;
			break;
		case 'D':
			if (num(optarg, 1, 4096, &v, "--depth"))
				return 2;
			cfg.depth = (int)v;
			break;
		case 'T':
			if (num(optarg, 1, 256, &v, "--threads"))
				return 2;
			cfg.threads = (int)v;
			break;
		case 'r':
			if (num(optarg, 0.001, 1e8, &v, "--rate"))
				return 2;
			cfg.rate = v;
			cfg.load = BENCH_LOAD_OPEN;
			break;
		case OPT_POISSON:
			cfg.arrival = BENCH_ARRIVAL_POISSON;
			break;
		case OPT_WARMUP:
			if (num(optarg, 0, 3600, &cfg.warmup_s, "--warmup"))
				return 2;
			break;
		case 'd':
			if (num(optarg, 0.01, 86400, &cfg.duration_s,
				"--duration"))
				return 2;
			duration_set = true;
			break;
		case 'n':
			if (num(optarg, 1, 1e12, &v, "--ops"))
				return 2;
			cfg.ops = (uint64_t)v;
			break;
		case 's':
			if (num(optarg, 0, 1 << 20, &v, "--value-size"))
				return 2;
			cfg.value_size = (int)v;
			vs_set = true;
			break;
		case 'z':
			if (num(optarg, 1, 10000000, &v, "--znodes"))
				return 2;
			cfg.znodes = (uint64_t)v;
			break;
		case OPT_READ_PCT:
			if (num(optarg, 0, 100, &v, "--read-pct"))
				return 2;
			cfg.read_pct = (int)v;
			break;
		case OPT_CHILDREN:
			if (num(optarg, 0, 100000, &v, "--children"))
				return 2;
			cfg.children = (int)v;
			break;
		case OPT_SESSION_TIMEOUT:
			if (num(optarg, 100, 600000, &v, "--session-timeout"))
				return 2;
			cfg.session_timeout_ms = (int)v;
			break;
		case OPT_SEED:
			if (num(optarg, 0, 1e18, &v, "--seed"))
				return 2;
			cfg.seed = (uint64_t)v;
			break;
		case OPT_DIR:
			cfg.dir = optarg;
			break;
		case OPT_DURABILITY:
			cfg.durability = optarg;
			break;
		case OPT_IDLE:
			cfg.idle = optarg;
			break;
		case OPT_ENSEMBLE:
			if (num(optarg, 1, 99, &v, "--ensemble"))
				return 2;
			cfg.ensemble = (int)v;
			break;
		case OPT_LABEL:
			cfg.label = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_PNG:
			png = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_DPDK_IP:
			dpdk.ip = optarg;
			break;
		case OPT_DPDK_IFACE:
			dpdk.iface = optarg;
			break;
		case OPT_DPDK_BRIDGE:
			dpdk.bridge = optarg;
			break;
		case OPT_DPDK_VDEV:
			dpdk.vdev = optarg;
			break;
		case OPT_DPDK_EAL:
			dpdk.eal = optarg;
			break;
		case 'q':
			cfg.progress = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "dpzk-bench: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (cfg.ops > 0 && !duration_set)
		cfg.duration_s = 600; /* --ops alone: duration is a cap */
	if (!vs_set && strcmp(cfg.workload, "dsync-write") == 0)
		cfg.value_size = 4096;
	if (!vs_set && strncmp(cfg.workload, "udp-echo", 8) == 0)
		cfg.value_size = 64;
	if (!hosts_set && strcmp(cfg.workload, "udp-echo") == 0)
		cfg.hosts = "self";
	if (cfg.label == NULL)
		cfg.label = cfg.target;
	bench_dpdk_configure(&dpdk);
	if (check)
		return check_target(cfg.target);

	rc = bench_run(&cfg, &res);
	if (rc != 0) {
		fprintf(stderr, "dpzk-bench: %s\n", res.error);
		bench_results_free(&res);
		return rc == -ENOSYS ? 3 : rc == -EINVAL ? 2 : 1;
	}
	bench_env_gather(&env);
	if (json)
		bench_report_json(stdout, &env, &cfg, &res);
	else
		bench_report_text(stdout, &env, &cfg, &res);
	fflush(stdout);
	if (out != NULL) {
		rc = bench_report_files(out, &env, &cfg, &res);
		if (rc != 0)
			fprintf(stderr, "dpzk-bench: writing %s.*: %s\n", out,
				strerror(-rc));
	}
	if (png != NULL) {
		char csv[1024];
		const char *label = cfg.label, *csvp = csv;

		if (out == NULL) {
			fprintf(stderr,
				"dpzk-bench: --png needs --out (the plot reads PREFIX.pct.csv)\n");
		} else {
			bench_msg(csv, sizeof(csv), "%s.pct.csv", out);
			rc = bench_plot(png, cfg.workload, 1, &label, &csvp,
					NULL);
			if (rc != 0)
				fprintf(stderr, "dpzk-bench: plot: %s\n",
					rc == -ENOENT ? "gnuplot not found"
						      : strerror(-rc));
		}
	}
	rc = res.error[0] != '\0' ? 1 : 0;
	if (rc != 0)
		fprintf(stderr, "dpzk-bench: %s\n", res.error);
	bench_results_free(&res);
	return rc;
}
