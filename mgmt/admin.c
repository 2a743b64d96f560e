/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mgmt/admin.c — ZooKeeper's four-letter words (ruok, srvr, stat, mntr,
 * conf, envi, wchs, cons, dump, isro) formatted as ZooKeeper formats them
 * (ZooKeeper's server/command classes and dumpMonitorValues), from the
 * counters the polling core publishes.  Pure functions: the mgmt thread
 * calls them, the unit tests call them without EAL.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "mgmt/mgmt.h"
#include "proto/proto.h"

struct out {
	char *p;
	size_t cap, len;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n
						      : o->cap - o->len - 1;
}

bool
mgmt_4lw_allowed(const char *wl, const char *word)
{
	return proto_4lw_allowed(wl, word);
}

/* The role comes from the published counters (srv.c fills it, from
 * dataplane/ens.c in an ensemble): one place for srvr, stat and mntr. */
/* Open descriptors of this process (ZooKeeper's
 * zk_open_file_descriptor_count, from the JVM's UnixOperatingSystemMXBean);
 * -1 when /proc is not there. */
static long
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static const char *
state(const struct srv_stats *s)
{
	return s->server_state[0] ? s->server_state : "standalone";
}

/* mntr's ensemble lines (ZooKeeper's names where it has them). */
static void
ensemble_lines(struct out *o, const struct srv_stats *s)
{
	put(o, "zk_dpzk_zab_leader\t%u\n", s->zab_leader);
	put(o, "zk_dpzk_zab_epoch\t%u\n", s->zab_epoch);
	put(o, "zk_dpzk_zab_last_zxid\t0x%" PRIx64 "\n", s->zab_last_zxid);
	put(o, "zk_dpzk_zab_commit_zxid\t0x%" PRIx64 "\n", s->zab_commit_zxid);
	if (strcmp(state(s), "leader") == 0) {
		put(o, "zk_followers\t%u\n", s->zab_followers);
		put(o, "zk_synced_followers\t%u\n", s->zab_synced_followers);
		put(o, "zk_dpzk_max_follower_lag\t%" PRIu64 "\n",
		    s->zab_max_follower_lag);
	}
	put(o, "zk_dpzk_forward_timeouts\t%" PRIu64 "\n", s->ens_fwd_timeouts);
	put(o, "zk_dpzk_parked_writes\t%" PRIu64 "\n", s->ens_parked);
}

static void
latency(struct out *o, const struct srv_stats *s)
{
	uint64_t avg = s->lat_count ? s->lat_sum_ns / s->lat_count : 0;

	/* ZooKeeper prints milliseconds; dpzk's are microseconds, so print
	 * ms with three decimals. */
	put(o, "Latency min/avg/max: %.3f/%.3f/%.3f\n", s->lat_min_ns / 1e6,
	    avg / 1e6, s->lat_max_ns / 1e6);
}

/* srvr's lines; stat is the same with its Clients section after the
 * version line, as ZooKeeper prints them. */
static void
srvr(struct out *o, const struct srv_stats *s, bool clients)
{
	put(o, "Zookeeper version: 3.9.0-dpzk-%s (dpzk %s)\n", DPZK_GIT_REV,
	    DPZK_VERSION);
	if (clients) {
		put(o, "Clients:\n");
		put(o, " (%" PRIu64 " sessions)\n\n", s->sessions_live);
	}
	latency(o, s);
	put(o, "Received: %" PRIu64 "\n", s->packets_received);
	put(o, "Sent: %" PRIu64 "\n", s->packets_sent);
	put(o, "Connections: %" PRIu64 "\n", s->sessions_live);
	put(o, "Outstanding: %" PRIu64 "\n", s->outstanding);
	put(o, "Zxid: 0x%" PRIx64 "\n", (uint64_t)s->last_zxid);
	put(o, "Mode: %s\n", state(s));
	put(o, "Node count: %" PRIu64 "\n", s->znodes);
}

int
mgmt_format_4lw(const char *word, const struct srv_stats *s,
		const struct dp_config *dc, const struct srv_config *sc,
		char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};

	if (cap == 0)
		return -1;
	buf[0] = 0;
	if (!mgmt_4lw_allowed(sc->fourlw_whitelist, word)) {
		put(&o,
		    "%s is not executed because it is not in the "
		    "whitelist.\n",
		    word);
		return (int)o.len;
	}
	if (strcmp(word, "ruok") == 0) {
		put(&o, "imok");
	} else if (strcmp(word, "isro") == 0) {
		put(&o, "rw");
	} else if (strcmp(word, "srvr") == 0 || strcmp(word, "stat") == 0) {
		srvr(&o, s, word[1] == 't');
	} else if (strcmp(word, "mntr") == 0) {
		uint64_t avg = s->lat_count ? s->lat_sum_ns / s->lat_count : 0;

		put(&o, "zk_version\t3.9.0-dpzk-%s\n", DPZK_GIT_REV);
		put(&o, "zk_server_state\t%s\n", state(s));
		if (s->ensemble)
			ensemble_lines(&o, s);
		put(&o, "zk_avg_latency\t%.3f\n", avg / 1e6);
		put(&o, "zk_max_latency\t%.3f\n", s->lat_max_ns / 1e6);
		put(&o, "zk_min_latency\t%.3f\n", s->lat_min_ns / 1e6);
		put(&o, "zk_packets_received\t%" PRIu64 "\n",
		    s->packets_received);
		put(&o, "zk_packets_sent\t%" PRIu64 "\n", s->packets_sent);
		put(&o, "zk_num_alive_connections\t%" PRIu64 "\n",
		    s->sessions_live);
		put(&o, "zk_outstanding_requests\t%" PRIu64 "\n",
		    s->outstanding);
		put(&o, "zk_uptime\t%" PRIu64 "\n", s->uptime_ms);
		put(&o, "zk_znode_count\t%" PRIu64 "\n", s->znodes);
		put(&o, "zk_watch_count\t%" PRIu64 "\n", s->watches);
		put(&o, "zk_ephemerals_count\t%" PRIu64 "\n", s->ephemerals);
		put(&o, "zk_approximate_data_size\t%" PRIu64 "\n",
		    s->data_bytes);
		put(&o, "zk_global_sessions\t%" PRIu64 "\n", s->tree_sessions);
		{
			struct rlimit rl;
			long fds = open_fds();

			if (fds >= 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
				put(&o, "zk_open_file_descriptor_count\t%ld\n",
				    fds);
				put(&o,
				    "zk_max_file_descriptor_count\t%" PRIu64
				    "\n",
				    (uint64_t)rl.rlim_cur);
			}
		}
		put(&o, "zk_dpzk_latency_p50_ns\t%" PRIu64 "\n", s->lat_p50_ns);
		put(&o, "zk_dpzk_latency_p99_ns\t%" PRIu64 "\n", s->lat_p99_ns);
		put(&o, "zk_dpzk_latency_p999_ns\t%" PRIu64 "\n",
		    s->lat_p999_ns);
		put(&o, "zk_dpzk_requests\t%" PRIu64 "\n", s->requests);
		put(&o, "zk_dpzk_writes\t%" PRIu64 "\n", s->writes);
		put(&o, "zk_dpzk_retried_writes\t%" PRIu64 "\n",
		    s->retried_writes);
		put(&o, "zk_dpzk_drop_bad_datagram\t%" PRIu64 "\n",
		    s->drop_bad_dgram);
		put(&o, "zk_dpzk_drop_bad_mac\t%" PRIu64 "\n", s->drop_bad_mac);
		put(&o, "zk_dpzk_drop_unknown_session\t%" PRIu64 "\n",
		    s->drop_unknown_session);
		put(&o, "zk_dpzk_drop_session_limit\t%" PRIu64 "\n",
		    s->drop_session_limit);
		for (int i = 0; i < PROTO_CHAN_DROP_MAX && i < 16; i++)
			put(&o, "zk_dpzk_chan_drop_%s\t%" PRIu64 "\n",
			    proto_chan_drop_name(i), s->chan_drop[i]);
		put(&o, "zk_dpzk_snapshots\t%" PRIu64 "\n", s->snapshots);
		put(&o, "zk_dpzk_log_errors\t%" PRIu64 "\n", s->log_errors);
		put(&o, "zk_dpzk_durability\t%s\n", s->durability);
		put(&o, "zk_dpzk_arena\t%s\n", s->arena);
	} else if (strcmp(word, "conf") == 0) {
		put(&o, "clientPort=%u\n", dc->client_port);
		put(&o, "dataDir=%s\n", dc->data_dir);
		put(&o, "dataLogDir=%s\n", dc->data_dir);
		put(&o, "tickTime=%u\n", dc->tick_ms);
		put(&o, "maxClientCnxns=%u\n", sc->max_sessions);
		put(&o, "minSessionTimeout=%u\n", dc->session_timeout_min_ms);
		put(&o, "maxSessionTimeout=%u\n", dc->session_timeout_max_ms);
		put(&o, "serverId=%u\n", dc->server_id);
	} else if (strcmp(word, "envi") == 0) {
		struct utsname u;
		char host[128] = "";

		uname(&u);
		gethostname(host, sizeof(host) - 1);
		put(&o, "Environment:\n");
		put(&o, "zookeeper.version=3.9.0-dpzk-%s, built for dpzk %s\n",
		    DPZK_GIT_REV, DPZK_VERSION);
		put(&o, "host.name=%s\n", host);
		put(&o, "os.name=%s\n", u.sysname);
		put(&o, "os.arch=%s\n", u.machine);
		put(&o, "os.version=%s\n", u.release);
		put(&o, "user.dir=%s\n", dc->data_dir);
	} else if (strcmp(word, "wchs") == 0) {
		put(&o, "%" PRIu64 " connections watching %" PRIu64 " paths\n",
		    s->sessions_live, s->watches);
		put(&o, "Total watches:%" PRIu64 "\n", s->watches);
	} else if (strcmp(word, "cons") == 0) {
		put(&o, " %" PRIu64 " sessions connected over UDP\n",
		    s->sessions_live);
	} else if (strcmp(word, "dump") == 0) {
		put(&o, "SessionTracker dump:\n");
		put(&o, "Global Sessions(%" PRIu64 ")\n", s->tree_sessions);
		put(&o, "ephemeral nodes dump:\n");
		put(&o, "Sessions with Ephemerals (%" PRIu64 " ephemerals)\n",
		    s->ephemerals);
	} else {
		return -1;
	}
	return (int)o.len;
}
