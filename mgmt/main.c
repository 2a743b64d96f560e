/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mgmt/main.c — dpzk-server: configuration, recovery, and the three
 * pieces started in order: the dataplane (EAL, port), the ZooKeeper
 * service on the polling lcore (dataplane/srv.c), the mgmt thread.
 *
 * Start-up order matters: EAL first (rings and hashes need it), then the
 * tree and the log — nlog_open recovers the tree from the newest valid
 * snapshot plus the log, on this thread, which then becomes the polling
 * lcore (dp_run) and so owns the log handle as nlog.h requires.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>

#include <sodium.h>

#include "dataplane/dp.h"
#include "dataplane/ens.h"
#include "dataplane/srv.h"
#include "mgmt/mgmt.h"
#include "nvme-log/nlog.h"
#include "tree/tree.h"

static struct srv_config sc;
static char secret_hex[40];
static char arena_mode[16] = "auto";
static uint32_t log_segment_mb = 64;
static struct ens_config ec;
static bool snap_every_set;

struct xkey {
	const char *name;
	const char *def;
	const char *help;
};

static const struct xkey xkeys[] = {
	{"max_sessions", "1024",
	 "most sessions held at once (each may use ~2.5 MiB of channel "
	 "buffers while busy)"},
	{"pending_max", "65536",
	 "most requests in flight (writes and reads "
	 "queued behind them)"},
	{"pending_mb", "64", "MiB of encoded txns in flight"},
	{"snap_every_txns", "100000",
	 "take a fuzzy snapshot after this many txns"},
	{"snap_every_mb", "64", "...or after this many MiB of log"},
	{"snap_retain", "3", "snapshots kept, with the log they need"},
	{"snap_budget", "256", "znodes serialized per loop iteration"},
	{"log_segment_mb", "64", "size of a preallocated log segment (MiB)"},
	{"ttl_enabled", "true",
	 "allow TTL nodes (zookeeper.extendedTypesEnabled)"},
	{"super_digest", "", "super user digest \"super:<base64 sha1>\""},
	{"4lw_whitelist", "*", "four-letter words answered (\"*\" or a list)"},
	{"secret", "",
	 "32 hex chars: session password secret (default: "
	 "generated once and kept in data_dir/secret)"},
	{"tree_arena", "auto", "znode memory: auto | huge | pages"},
	{"fault_drop_replies", "0",
	 "fault injection: swallow the next N write replies (tests of "
	 "exactly-once retries)"},
};

static int
parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *v == 0 || *end || x < lo || x > hi)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int
x_set(void *arg, const char *section, const char *key, const char *value,
      char *why, size_t whylen)
{
	uint32_t *u = NULL, lo = 0, hi = UINT32_MAX;

	(void)arg;
	(void)section;
	{
		int erc = ens_config_set(&ec, key, value, why, whylen);

		if (erc != -ENOENT)
			return erc;
	}
#define IS(n) (strcmp(key, n) == 0)
	if (IS("max_sessions"))
		u = &sc.max_sessions, lo = 1, hi = 1000000;
	else if (IS("pending_max"))
		u = &sc.pending_max, lo = 64, hi = 4000000;
	else if (IS("pending_mb"))
		u = &sc.pending_mb, lo = 8, hi = 65536;
	else if (IS("snap_every_txns"))
		u = &sc.snap_every_txns, lo = 1, snap_every_set = true;
	else if (IS("snap_every_mb"))
		u = &sc.snap_every_mb, lo = 1;
	else if (IS("snap_retain"))
		u = &sc.snap_retain, lo = 1, hi = 1000;
	else if (IS("snap_budget"))
		u = &sc.snap_budget, lo = 1, hi = 1000000;
	else if (IS("log_segment_mb"))
		u = &log_segment_mb, lo = 1, hi = 65536;
	else if (IS("fault_drop_replies"))
		u = &sc.drop_replies;
	if (u) {
		if (parse_u32(value, lo, hi, u) != 0) {
			snprintf(why, whylen, "--%s=%s: not a number in %u..%u",
				 key, value, lo, hi);
			return -EINVAL;
		}
		return 0;
	}
	if (IS("ttl_enabled")) {
		if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
			sc.ttl_enabled = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
			sc.ttl_enabled = false;
		else {
			snprintf(why, whylen, "--%s=%s: not true/false", key,
				 value);
			return -EINVAL;
		}
		return 0;
	}
	if (IS("super_digest")) {
		if (strlen(value) >= sizeof(sc.super_digest) ||
		    (value[0] && strchr(value, ':') == NULL)) {
			snprintf(why, whylen,
				 "--%s=%s: expected user:base64(sha1)", key,
				 value);
			return -EINVAL;
		}
		snprintf(sc.super_digest, sizeof(sc.super_digest), "%s", value);
		return 0;
	}
	if (IS("4lw_whitelist")) {
		snprintf(sc.fourlw_whitelist, sizeof(sc.fourlw_whitelist), "%s",
			 value);
		return 0;
	}
	if (IS("secret")) {
		size_t bl = 0;

		if (strlen(value) != 32 ||
		    sodium_hex2bin(sc.secret, 16, value, 32, NULL, &bl, NULL) !=
			    0 ||
		    bl != 16) {
			snprintf(why, whylen, "--%s: expected 32 hex digits",
				 key);
			return -EINVAL;
		}
		snprintf(secret_hex, sizeof(secret_hex), "%s", value);
		return 0;
	}
	if (IS("tree_arena")) {
		if (strcmp(value, "auto") && strcmp(value, "huge") &&
		    strcmp(value, "pages")) {
			snprintf(why, whylen,
				 "--%s=%s: expected auto, huge or pages", key,
				 value);
			return -EINVAL;
		}
		snprintf(arena_mode, sizeof(arena_mode), "%s", value);
		return 0;
	}
#undef IS
	return -ENOENT;
}

static void
x_usage(void *arg, FILE *out)
{
	(void)arg;
	fprintf(out, "\n[zookeeper]\n");
	for (size_t i = 0; i < sizeof(xkeys) / sizeof(xkeys[0]); i++)
		fprintf(out, "  --%-24s %s (default: %s)\n", xkeys[i].name,
			xkeys[i].help,
			xkeys[i].def[0] ? xkeys[i].def : "empty");
	ens_config_usage(out);
}

/* The session password secret: from the config, else data_dir/secret
 * (created once, 0600). */
static int
load_secret(const char *dir)
{
	char path[512], hex[33];
	int fd;
	ssize_t n;
	size_t bl;

	if (secret_hex[0])
		return 0;
	snprintf(path, sizeof(path), "%s/secret", dir);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, hex, 32);
		close(fd);
		hex[n > 0 ? n : 0] = 0;
		if (n == 32 &&
		    sodium_hex2bin(sc.secret, 16, hex, 32, NULL, &bl, NULL) ==
			    0 &&
		    bl == 16)
			return 0;
		fprintf(stderr, "dpzk-server: %s is not 32 hex digits\n", path);
		return -EINVAL;
	}
	randombytes_buf(sc.secret, 16);
	sodium_bin2hex(hex, sizeof(hex), sc.secret, 16);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, hex, 32) != 32 || fsync(fd) != 0) {
		fprintf(stderr, "dpzk-server: cannot write %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

static int
mkdir_p(const char *dir)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0755);
			*p = '/';
		}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
main(int argc, char **argv)
{
	struct dp_config dc;
	struct dp_config_ext ext = {.set = x_set, .usage = x_usage};
	struct tree_opts to;
	struct tree *t;
	struct nlog_config lc;
	struct nlog_recover_ops ops;
	struct nlog_report rep;
	struct nlog *l;
	char why[512] = "";
	int rc;

	if (sodium_init() < 0) {
		fprintf(stderr, "dpzk-server: libsodium failed to start\n");
		return 1;
	}
	srv_config_defaults(&sc);
	dp_config_defaults(&dc);
	ens_config_defaults(&ec);
	rc = dp_config_from_argv(&dc, argc, argv, &ext, 1, why, sizeof(why));
	if (dc.help) {
		dp_config_usage(stdout, "dpzk-server", &ext, 1);
		return 0;
	}
	if (rc == 0)
		rc = ens_config_check(&ec, dc.server_id, why, sizeof(why));
	if (rc != 0) {
		fprintf(stderr, "dpzk-server: %s\n", why);
		return 2;
	}
	if (ec.n_servers) {
		/* ensemble: every server verifies every session's password,
		 * and the log since the last snapshot must fit zab's window */
		memcpy(sc.secret, ec.secret, sizeof(sc.secret));
		snprintf(secret_hex, sizeof(secret_hex), "ensemble");
		if (!snap_every_set || sc.snap_every_txns > ec.hist_entries / 2)
			sc.snap_every_txns = ec.hist_entries / 2;
		ec.tree_opts = &to;
		sc.ens = &ec;
	}
	if (mkdir_p(dc.data_dir) != 0) {
		fprintf(stderr, "dpzk-server: data_dir %s: %s\n", dc.data_dir,
			strerror(errno));
		return 2;
	}
	if (load_secret(dc.data_dir) != 0)
		return 2;
	if (sodium_init() < 0)
		return 1;

	rc = dp_init(&dc);
	if (rc != 0) {
		fprintf(stderr, "dpzk-server: dataplane start failed: %s\n",
			strerror(-rc));
		return 1;
	}

	tree_opts_default(&to);
	to.ttl_enabled = sc.ttl_enabled;
	to.super_digest = sc.super_digest[0] ? sc.super_digest : NULL;
	to.arena_mode = strcmp(arena_mode, "huge") == 0 ? TREE_ARENA_HUGE_ONLY
			: strcmp(arena_mode, "pages") == 0
				? TREE_ARENA_PAGES_ONLY
				: TREE_ARENA_AUTO;
	t = tree_create(&to);
	if (t == NULL) {
		fprintf(stderr, "dpzk-server: tree arena: %s\n",
			strerror(errno));
		return 1;
	}

	nlog_config_default(&lc);
	lc.dir = dc.data_dir;
	lc.segment_size = (uint64_t)log_segment_mb << 20;
	lc.retain = sc.snap_retain;
	lc.durability =
		dc.durability == DP_DURABILITY_NONE	   ? NLOG_DUR_NONE
		: dc.durability == DP_DURABILITY_FDATASYNC ? NLOG_DUR_FDATASYNC
		: dc.durability == DP_DURABILITY_DSYNC	   ? NLOG_DUR_DSYNC
							   : NLOG_DUR_DEFAULT;
	if (ec.n_servers)
		ens_recover_ops(t, &ops);
	else
		srv_recover_ops(t, &ops);
	memset(&rep, 0, sizeof(rep));
	l = nlog_open(&lc, &ops, &rep);
	if (l == NULL) {
		fprintf(stderr,
			"dpzk-server: cannot open the log in %s: %s\n%s\n"
			"Inspect it with: dpzk-log verify %s\n",
			dc.data_dir, strerror(errno), rep.msg, dc.data_dir);
		return 1;
	}
	{
		struct tree_stats ts;

		tree_get_stats(t, &ts);
		printf("dpzk-server: recovered %" PRIu64 " znodes, %" PRIu64
		       " sessions, last zxid 0x%" PRIx64 " (snapshot 0x%" PRIx64
		       " + %" PRIu64
		       " log records%s); tree arena: %s; log durability: %s\n",
		       ts.nodes, ts.sessions, (uint64_t)ts.last_zxid,
		       rep.snap_zxid, rep.records,
		       rep.torn ? ", torn tail truncated" : "",
		       tree_arena_kind_name(ts.arena_kind),
		       nlog_durability_name(nlog_durability(l)));
		if (nlog_durability(l) == NLOG_DUR_NONE)
			printf("dpzk-server: *** DURABILITY NONE: acknowledged "
			       "writes are NOT on disk; for network-path "
			       "benchmarks only ***\n");
		fflush(stdout);
	}

	rc = srv_init(&dc, &sc, t, l);
	if (rc != 0) {
		fprintf(stderr, "dpzk-server: service start failed: %s\n",
			strerror(-rc));
		return 1;
	}
	rc = mgmt_start(&dc, &sc, l);
	if (rc != 0) {
		fprintf(stderr, "dpzk-server: mgmt thread: %s\n",
			strerror(-rc));
		return 1;
	}
	printf("dpzk-server: ready\n");
	fflush(stdout);
	dp_run();
	mgmt_stop();
	nlog_close(l);
	tree_destroy(ens_active() ? ens_tree() : t);
	dp_fini();
	printf("dpzk-server: stopped\n");
	return 0;
}
