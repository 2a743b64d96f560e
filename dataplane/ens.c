/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dataplane/ens.c — peer links and the Zab driver of dpzk-server (see
 * ens.h).
 *
 * Peer links: one proto_chan per peer over UDP on the peer port.  The
 * channel key is proto_chan_derive_key(ensemble secret, my_nonce ^
 * their_nonce), where each side draws a fresh random nonce per link at
 * start and again whenever the link fails.  The nonces travel in HELLO
 * datagrams (kind PROTO_K_PEER + 1, sealed with the secret and nonce 0,
 * resent until the peer echoes ours).  A peer that restarts or resets its
 * link shows a new nonce: we reset the channel (fresh sequence spaces,
 * fresh key) and tell zab the link broke (zab_link_down), so nothing of an
 * earlier incarnation is ever taken for the new one.  Datagrams that fail
 * the MAC are dropped and counted.  Votes travel on the same link (the
 * election port is reserved, not used).
 *
 * Messages on a link (channel kinds): PEER (16) a zab message
 * (zab_msg_encode), 18 a control message of srv.c (error replies, sync
 * answers, session touches), 19 a chunk of a SNAP transfer: the leader
 * serializes its tree (tree_serialize), sends it in chunks of
 * snap_chunk_kb, then the SNAP zab message itself with an empty payload;
 * the learner reassembles the chunks and steps SNAP with them attached.
 *
 * The driver processes every Ready as zab.h's contract says, inline on the
 * lcore; durable progress of the log is reported from the poll hook.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_telemetry.h>

#include <sodium.h>

#include "dataplane/dp.h"
#include "dataplane/ens.h"
#include "dataplane/srv.h"
#include "nvme-log/nlog.h"
#include "proto/proto.h"
#include "tree/tree.h"

#define ENS_LOG(lvl, ...) RTE_LOG(lvl, USER1, "ens: " __VA_ARGS__)
/* Transitions carry the wall clock (seconds.ms), so the logs of several
 * servers and a client can be lined up to see where a failover's time
 * goes (scripts/ens-bench.sh does). */
#define ENS_EVT(lvl, fmt, ...)                                                 \
	RTE_LOG(lvl, USER1, "ens: @%.3f " fmt, wall_s(), ##__VA_ARGS__)

#define K_ZAB	 PROTO_K_PEER
#define K_HELLO	 (PROTO_K_PEER + 1)
#define K_CTL	 (PROTO_K_PEER + 2)
#define K_SNAP	 (PROTO_K_PEER + 3)
#define HELLO_US 50000ull
#define BL_MAX	 (256ull << 20)

struct bl {
	struct bl *next;
	uint8_t kind;
	uint32_t len;
	uint8_t b[];
};

struct peer {
	struct ens_server s;
	bool self;
	struct proto_chan ch;
	void *mem;
	uint64_t link_id;
	uint64_t my_nonce, their_nonce;
	bool confirmed;
	uint64_t hello_next_us;
	uint64_t rx_last_us;
	struct bl *bl_head, *bl_tail;
	uint64_t bl_bytes;
	bool down_pending;
	/* SNAP reassembly (from this peer) */
	uint8_t *snap;
	size_t snap_len, snap_cap;
	uint64_t snap_zxid;
	/* leader's view */
	uint64_t acked;
	uint32_t ack_epoch;
	/* counters */
	uint64_t resets, hello_rx, bad_mac;
};

struct ens_status {
	uint8_t role;
	uint32_t leader, epoch;
	uint64_t last_zxid, commit_zxid, applied_zxid;
	uint32_t followers, synced;
	uint64_t max_lag;
	uint64_t elections, syncs_diff, syncs_trunc, syncs_snap;
	uint64_t drop_bad_mac, drop_unknown, link_resets;
};

static struct {
	bool on;
	struct ens_config c;
	struct dp_config dc;
	struct tree *t;
	struct nlog *l;
	struct zab *z;
	struct dp_lcore *lc;
	uint32_t self;
	uint32_t n;
	struct peer p[ZAB_MAX_PEERS];
	struct proto_chan_cfg ccfg;
	size_t ch_mem_len;
	uint8_t hello_key[16];
	uint8_t *enc;
	size_t enc_cap;
	uint64_t tick_next_us;
	uint64_t durable_reported;
	bool dirty;
	bool in_ready;
	uint8_t *snap_hold; /* a SNAP payload zab refers to */
	uint8_t role;
	uint32_t leader;
	bool established;
	uint8_t phase, phase_role; /* last logged (phase_note) */
	uint64_t publish_next_us;
	struct ens_status st;
	uint64_t drop_bad_mac, drop_unknown, link_resets;
	uint64_t last_poll_us;
	uint32_t max_inflight;
	uint64_t stuck_since_us, stuck_next_log_us;
	/* slow-commit diagnostics: proposal times by zxid counter */
	uint64_t prop_us[256]; /* leader: proposed; learner: received */
	uint64_t durable_us[256];
	uint64_t ack_us[256]; /* leader: first follower ACK covering it */
	uint64_t ack_hi;
	/* where a commit's time goes, summed over a 2 s window (logged) */
	uint64_t path_n, path_durable, path_ack, path_commit;
	uint64_t fpath_n, fpath_ack; /* learner: PROPOSAL in → ACK out */
	uint64_t path_next_us;
	unsigned sent; /* peer messages sent by the last process() */
} E;

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct ens_status pub;
static atomic_uint pub_seq;

/* recovery: records kept for zab_load */
struct rrec {
	uint64_t zxid;
	uint32_t len;
	int32_t type;
	uint8_t *b;
};
static struct {
	struct nlog_recover_ops srv_ops;
	uint64_t snap_zxid;
	struct rrec *v;
	size_t n, cap;
	int err;
} R;

/* ------------------------------------------------------------------ */
/* configuration                                                       */
/* ------------------------------------------------------------------ */

/* Keys a timing profile sets (bits of explicit_keys). */
enum {
	ENS_K_TICK = 1u << 0,
	ENS_K_INIT = 1u << 1,
	ENS_K_SYNC = 1u << 2,
	ENS_K_PING = 1u << 3,
	ENS_K_ELECT = 1u << 4,
	ENS_K_ELECT_MAX = 1u << 5,
	ENS_K_FINALIZE = 1u << 6,
	ENS_K_FWD = 1u << 7,
};

struct timing_profile {
	const char *name;
	uint32_t tick_ms, init_limit, sync_limit, ping_ticks;
	uint32_t election_ticks, election_max_ticks, finalize_ticks;
	uint32_t fwd_timeout_ms;
};

/* default: ZooKeeper-like margins for loaded or shared machines.
 * low-latency: 5 ms ticks; the leader pings every 10 ms and is given up
 * after 60 ms of silence (6 missed pings); votes are resent after 10 ms
 * (doubling up to 100 ms) and a vote quorum is final after 5 ms. */
static const struct timing_profile profiles[] = {
	{"default", 10, 200, 100, 5, 5, 60, 2, 5000},
	{"low-latency", 5, 200, 12, 2, 2, 20, 1, 2000},
};

static void
apply_profile(struct ens_config *c, const struct timing_profile *t)
{
	uint32_t k = c->explicit_keys;

	c->timing = t->name;
	if (!(k & ENS_K_TICK))
		c->tick_ms = t->tick_ms;
	if (!(k & ENS_K_INIT))
		c->init_limit = t->init_limit;
	if (!(k & ENS_K_SYNC))
		c->sync_limit = t->sync_limit;
	if (!(k & ENS_K_PING))
		c->ping_ticks = t->ping_ticks;
	if (!(k & ENS_K_ELECT))
		c->election_ticks = t->election_ticks;
	if (!(k & ENS_K_ELECT_MAX))
		c->election_max_ticks = t->election_max_ticks;
	if (!(k & ENS_K_FINALIZE))
		c->finalize_ticks = t->finalize_ticks;
	if (!(k & ENS_K_FWD))
		c->fwd_timeout_ms = t->fwd_timeout_ms;
}

void
ens_config_defaults(struct ens_config *c)
{
	memset(c, 0, sizeof(*c));
	apply_profile(c, &profiles[0]);
	c->hist_entries = 4096;
	c->hist_mb = 16;
	c->snap_chunk_kb = 512;
}

static bool
key_is(const char *key, const char *name)
{
	for (; *key && *name; key++, name++) {
		char a = *key == '-' ? '_' : *key;

		if (a != *name)
			return false;
	}
	return *key == 0 && *name == 0;
}

static int
parse_ip(const char *s, uint32_t *ip)
{
	unsigned a, b, c, d;
	char tail;

	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 ||
	    b > 255 || c > 255 || d > 255)
		return -EINVAL;
	*ip = a << 24 | b << 16 | c << 8 | d;
	return 0;
}

static int
set_server(struct ens_config *c, uint32_t id, const char *v, char *why,
	   size_t whylen)
{
	char buf[128], *f[5], *sv;
	int nf = 0;
	struct ens_server s = {.id = id};
	unsigned long pp, ep;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *tok = strtok_r(buf, ":", &sv); tok && nf < 5;
	     tok = strtok_r(NULL, ":", &sv))
		f[nf++] = tok;
	if (nf < 3 || nf > 4 || parse_ip(f[0], &s.ip) != 0)
		goto bad;
	pp = strtoul(f[1], NULL, 10);
	ep = strtoul(f[2], NULL, 10);
	if (pp == 0 || pp > 65535 || ep == 0 || ep > 65535)
		goto bad;
	s.peer_port = (uint16_t)pp;
	s.election_port = (uint16_t)ep;
	if (nf == 4) {
		if (strcmp(f[3], "observer") == 0)
			s.observer = true;
		else if (strcmp(f[3], "participant") != 0)
			goto bad;
	}
	for (uint32_t i = 0; i < c->n_servers; i++)
		if (c->srv[i].id == id) {
			c->srv[i] = s;
			return 0;
		}
	if (c->n_servers >= ZAB_MAX_PEERS) {
		snprintf(why, whylen, "server.%u: more than %d servers", id,
			 ZAB_MAX_PEERS);
		return -EINVAL;
	}
	c->srv[c->n_servers++] = s;
	return 0;
bad:
	snprintf(why, whylen,
		 "server.%u=%s: expected ip:peer_port:election_port"
		 "[:observer]",
		 id, v);
	return -EINVAL;
}

int
ens_config_set(struct ens_config *c, const char *key, const char *value,
	       char *why, size_t whylen)
{
	uint32_t *u = NULL, lo = 1, hi = 1000000, bit = 0;
	char *end;
	unsigned long long x;

	if (strncmp(key, "server.", 7) == 0) {
		x = strtoull(key + 7, &end, 10);
		if (*end || x == 0 || x > 255) {
			snprintf(why, whylen, "%s: server ids are 1..255", key);
			return -EINVAL;
		}
		return set_server(c, (uint32_t)x, value, why, whylen);
	}
	if (key_is(key, "ensemble_secret")) {
		size_t bl = 0;

		if (strlen(value) != 32 ||
		    sodium_hex2bin(c->secret, 16, value, 32, NULL, &bl, NULL) !=
			    0 ||
		    bl != 16) {
			snprintf(why, whylen, "--%s: expected 32 hex digits",
				 key);
			return -EINVAL;
		}
		c->secret_set = true;
		return 0;
	}
	if (key_is(key, "timing")) {
		for (size_t i = 0; i < RTE_DIM(profiles); i++)
			if (strcmp(value, profiles[i].name) == 0) {
				apply_profile(c, &profiles[i]);
				return 0;
			}
		snprintf(why, whylen,
			 "--%s=%s: expected default or low-latency", key,
			 value);
		return -EINVAL;
	}
	if (key_is(key, "init_limit"))
		u = &c->init_limit, bit = ENS_K_INIT;
	else if (key_is(key, "sync_limit"))
		u = &c->sync_limit, bit = ENS_K_SYNC;
	else if (key_is(key, "zab_tick_ms"))
		u = &c->tick_ms, hi = 10000, bit = ENS_K_TICK;
	else if (key_is(key, "zab_ping_ticks"))
		u = &c->ping_ticks, bit = ENS_K_PING;
	else if (key_is(key, "zab_election_ticks"))
		u = &c->election_ticks, bit = ENS_K_ELECT;
	else if (key_is(key, "zab_election_max_ticks"))
		u = &c->election_max_ticks, bit = ENS_K_ELECT_MAX;
	else if (key_is(key, "zab_finalize_ticks"))
		u = &c->finalize_ticks, lo = 0, bit = ENS_K_FINALIZE;
	else if (key_is(key, "forward_timeout_ms"))
		u = &c->fwd_timeout_ms, lo = 10, bit = ENS_K_FWD;
	else if (key_is(key, "zab_window_entries"))
		u = &c->hist_entries, lo = 16;
	else if (key_is(key, "zab_window_mb"))
		u = &c->hist_mb, hi = 65536;
	else if (key_is(key, "zab_snap_chunk_kb"))
		u = &c->snap_chunk_kb, lo = 4, hi = 1000;
	if (u == NULL)
		return -ENOENT;
	errno = 0;
	x = strtoull(value, &end, 10);
	if (errno || !*value || *end || x < lo || x > hi) {
		snprintf(why, whylen, "--%s=%s: not a number in %u..%u", key,
			 value, lo, hi);
		return -EINVAL;
	}
	*u = (uint32_t)x;
	c->explicit_keys |= bit;
	return 0;
}

int
ens_config_check(const struct ens_config *c, uint32_t self, char *why,
		 size_t whylen)
{
	bool found = false;
	uint32_t voters = 0;

	if (c->n_servers == 0)
		return 0;
	for (uint32_t i = 0; i < c->n_servers; i++) {
		if (c->srv[i].id == self)
			found = true;
		if (!c->srv[i].observer)
			voters++;
	}
	if (!found) {
		snprintf(why, whylen,
			 "server_id %u is not among the server.N lines", self);
		return -EINVAL;
	}
	if (voters == 0) {
		snprintf(why, whylen, "no voting server among server.N");
		return -EINVAL;
	}
	if (!c->secret_set) {
		snprintf(why, whylen,
			 "ensemble mode needs ensemble_secret (32 hex digits, "
			 "the same on every server)");
		return -EINVAL;
	}
	return 0;
}

void
ens_config_usage(FILE *out)
{
	fprintf(out,
		"\n[zab]  (ensemble mode: any server.N line)\n"
		"  --server.N=ip:peer_port:election_port[:observer]\n"
		"                             ensemble member N (server_id N "
		"is this server)\n"
		"  --ensemble_secret=HEX32    peer link and session password "
		"secret (same on all)\n"
		"  --timing=PROFILE           default | low-latency: sets "
		"the keys below\n"
		"                             (those given explicitly win)\n"
		"  --init_limit=TICKS         discovery+sync limit (default: "
		"200)\n"
		"  --sync_limit=TICKS         peer silence limit (default: "
		"100; low-latency 12)\n"
		"  --zab_tick_ms=MS           zab tick (default: 10; "
		"low-latency 5)\n"
		"  --zab_ping_ticks=TICKS     heartbeat period (default: 5; "
		"low-latency 2)\n"
		"  --zab_election_ticks=TICKS first vote resend (default: 5; "
		"low-latency 2)\n"
		"  --zab_election_max_ticks=T vote resend cap (default: 60; "
		"low-latency 20)\n"
		"  --zab_finalize_ticks=TICKS FLE finalize wait (default: 2; "
		"low-latency 1)\n"
		"  --forward_timeout_ms=MS    a write forwarded to the leader "
		"fails after\n"
		"                             (default: 5000; low-latency "
		"2000)\n"
		"  --zab_window_entries=N     DIFF history window (default: "
		"4096)\n"
		"  --zab_window_mb=MB         ... payload bytes (default: 16)\n"
		"  --zab_snap_chunk_kb=KB     SNAP transfer chunk (default: "
		"512)\n");
}

/* ------------------------------------------------------------------ */
/* recovery                                                            */
/* ------------------------------------------------------------------ */

static int
r_snap_begin(void *arg, uint64_t zxid, uint64_t body_len)
{
	R.snap_zxid = zxid;
	return R.srv_ops.snap_begin ? R.srv_ops.snap_begin(arg, zxid, body_len)
				    : 0;
}

static int
r_record(void *arg, uint64_t zxid, int32_t type, const void *payload,
	 uint32_t len)
{
	struct rrec *r;

	(void)arg;
	if (R.n == R.cap) {
		size_t cap = R.cap ? R.cap * 2 : 1024;
		struct rrec *v = realloc(R.v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		R.v = v;
		R.cap = cap;
	}
	r = &R.v[R.n];
	r->b = malloc(len ? len : 1);
	if (r->b == NULL)
		return -ENOMEM;
	memcpy(r->b, payload, len);
	r->zxid = zxid;
	r->len = len;
	r->type = type;
	R.n++;
	return 0;
}

void
ens_recover_ops(struct tree *t, struct nlog_recover_ops *ops)
{
	srv_recover_ops(t, &R.srv_ops);
	*ops = R.srv_ops;
	ops->snap_begin = r_snap_begin;
	ops->record = r_record;
}

/* ------------------------------------------------------------------ */
/* status                                                              */
/* ------------------------------------------------------------------ */

static struct peer *
peer_by_id(uint32_t id)
{
	for (uint32_t i = 0; i < E.n; i++)
		if (E.p[i].s.id == id)
			return &E.p[i];
	return NULL;
}

static void
publish(void)
{
	struct zab_status zs;
	struct zab_stats zt;
	uint64_t now = dp_now_us();

	zab_status(E.z, &zs);
	zab_stats(E.z, &zt);
	E.st.role = zs.role;
	E.st.leader = zs.leader;
	E.st.epoch = zs.epoch;
	E.st.last_zxid = zs.last_zxid;
	E.st.commit_zxid = zs.commit_zxid;
	E.st.applied_zxid = zs.applied_zxid;
	E.st.elections = zt.elections;
	E.st.syncs_diff = zt.syncs_diff;
	E.st.syncs_trunc = zt.syncs_trunc;
	E.st.syncs_snap = zt.syncs_snap;
	E.st.followers = E.st.synced = 0;
	E.st.max_lag = 0;
	if (zs.role == ZAB_LEADING) {
		for (uint32_t i = 0; i < E.n; i++) {
			struct peer *p = &E.p[i];
			uint64_t lag;

			if (p->self || !p->confirmed)
				continue;
			if (now - p->rx_last_us >
			    (uint64_t)E.c.sync_limit * E.c.tick_ms * 1000)
				continue;
			E.st.followers++;
			if (p->ack_epoch == zs.epoch && zs.established) {
				E.st.synced++;
				lag = zs.last_zxid > p->acked
					      ? zs.last_zxid - p->acked
					      : 0;
				if (lag > E.st.max_lag)
					E.st.max_lag = lag;
			}
		}
	}
	E.st.drop_bad_mac = E.drop_bad_mac;
	E.st.drop_unknown = E.drop_unknown;
	E.st.link_resets = E.link_resets;
	atomic_fetch_add_explicit(&pub_seq, 1, memory_order_release);
	memcpy(&pub, &E.st, sizeof(pub));
	atomic_fetch_add_explicit(&pub_seq, 1, memory_order_release);
}

static void
status_get(struct ens_status *s)
{
	unsigned a, b;

	for (int i = 0; i < 1000; i++) {
		a = atomic_load_explicit(&pub_seq, memory_order_acquire);
		memcpy(s, &pub, sizeof(*s));
		atomic_thread_fence(memory_order_acquire);
		b = atomic_load_explicit(&pub_seq, memory_order_acquire);
		if (a == b && (a & 1) == 0)
			return;
	}
}

static const char *
state_name(uint8_t role)
{
	switch (role) {
	case ZAB_LEADING:
		return "leader";
	case ZAB_FOLLOWING:
		return "follower";
	case ZAB_OBSERVING:
		return "observer";
	default:
		return "looking";
	}
}

static const char *
phase_name(uint8_t phase)
{
	switch (phase) {
	case ZAB_PH_DISCOVERY:
		return "discovery";
	case ZAB_PH_SYNC:
		return "sync";
	case ZAB_PH_BROADCAST:
		return "broadcast";
	default:
		return "election";
	}
}

static int
tel_ens(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ens_status s;

	(void)cmd;
	(void)params;
	status_get(&s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "state", state_name(s.role));
	rte_tel_data_add_dict_u64(d, "leader", s.leader);
	rte_tel_data_add_dict_u64(d, "epoch", s.epoch);
	rte_tel_data_add_dict_u64(d, "last_zxid", s.last_zxid);
	rte_tel_data_add_dict_u64(d, "commit_zxid", s.commit_zxid);
	rte_tel_data_add_dict_u64(d, "applied_zxid", s.applied_zxid);
	rte_tel_data_add_dict_u64(d, "followers", s.followers);
	rte_tel_data_add_dict_u64(d, "synced_followers", s.synced);
	rte_tel_data_add_dict_u64(d, "max_follower_lag", s.max_lag);
	rte_tel_data_add_dict_u64(d, "elections", s.elections);
	rte_tel_data_add_dict_u64(d, "syncs_diff", s.syncs_diff);
	rte_tel_data_add_dict_u64(d, "syncs_trunc", s.syncs_trunc);
	rte_tel_data_add_dict_u64(d, "syncs_snap", s.syncs_snap);
	rte_tel_data_add_dict_u64(d, "peer_drop_bad_mac", s.drop_bad_mac);
	rte_tel_data_add_dict_u64(d, "peer_drop_unknown", s.drop_unknown);
	rte_tel_data_add_dict_u64(d, "peer_link_resets", s.link_resets);
	return 0;
}

/* Per-link channel counters (read racily: diagnostics only). */
static int
tel_links(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; i < E.n; i++) {
		const struct peer *p = &E.p[i];
		const struct proto_chan_stats *cs;
		char k[64];

		if (p->self)
			continue;
		cs = proto_chan_stats(&p->ch);
#define L(name, v)                                                             \
	do {                                                                   \
		snprintf(k, sizeof(k), "s%u_%s", p->s.id, name);               \
		rte_tel_data_add_dict_u64(d, k, (uint64_t)(v));                \
	} while (0)
		L("confirmed", p->confirmed);
		L("resets", p->resets);
		L("backlog_bytes", p->bl_bytes);
		L("tx_msgs", cs->tx_msgs);
		L("tx_retransmits", cs->tx_retransmits);
		L("rto_fired", cs->rto_fired);
		L("rx_msgs", cs->rx_msgs);
		L("rto_us", proto_chan_rto(&p->ch) / 1000);
		L("srtt_us", proto_chan_srtt(&p->ch) / 1000);
		L("outstanding", proto_chan_outstanding(&p->ch));
		L("drop_bad_mac", cs->drop[PROTO_CHAN_DROP_BAD_MAC]);
		L("drop_no_buffer", cs->drop[PROTO_CHAN_DROP_NO_BUFFER]);
		L("drop_window", cs->drop[PROTO_CHAN_DROP_OUT_OF_WINDOW]);
		L("drop_dup", cs->drop[PROTO_CHAN_DROP_DUPLICATE]);
#undef L
	}
	return 0;
}

void
ens_fill_stats(struct srv_stats *st)
{
	struct ens_status s;

	status_get(&s);
	snprintf(st->server_state, sizeof(st->server_state), "%s",
		 state_name(s.role));
	st->ensemble = true;
	st->zab_leader = s.leader;
	st->zab_epoch = s.epoch;
	st->zab_last_zxid = s.last_zxid;
	st->zab_commit_zxid = s.commit_zxid;
	st->zab_followers = s.role == ZAB_LEADING ? s.followers : 0;
	st->zab_synced_followers = s.role == ZAB_LEADING ? s.synced : 0;
	st->zab_max_follower_lag = s.role == ZAB_LEADING ? s.max_lag : 0;
}

/* ------------------------------------------------------------------ */
/* peer links                                                          */
/* ------------------------------------------------------------------ */

static uint64_t
now_ns(void)
{
	return dp_now_us() * 1000ull;
}

static uint64_t
rand64(void)
{
	uint64_t r;

	do
		randombytes_buf(&r, sizeof(r));
	while (r == 0);
	return r;
}

static void
put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static void
put64(uint8_t *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static uint64_t
get64(const uint8_t *b)
{
	return (uint64_t)get32(b) << 32 | get32(b + 4);
}

static uint16_t my_port;

static int
chan_emit_p(void *ctx, const void *dgram, size_t len)
{
	struct peer *p = ctx;

	if (E.lc == NULL || len > UINT16_MAX)
		return -EINVAL;
	return dp_udp_send1(E.lc, p->s.ip, p->s.peer_port, my_port, dgram,
			    (uint16_t)len);
}

static void chan_deliver(void *ctx, uint8_t kind, const void *msg, size_t len);

static const struct proto_chan_ops chan_ops = {
	.emit = chan_emit_p,
	.deliver = chan_deliver,
};

static void
bl_free(struct peer *p)
{
	struct bl *b = p->bl_head, *n;

	for (; b; b = n) {
		n = b->next;
		free(b);
	}
	p->bl_head = p->bl_tail = NULL;
	p->bl_bytes = 0;
}

static void
link_down_now(struct peer *p)
{
	if (E.in_ready)
		p->down_pending = true;
	else
		zab_link_down(E.z, p->s.id);
}

static void
rekey(struct peer *p)
{
	uint8_t key[16];

	proto_chan_derive_key(E.c.secret, p->my_nonce ^ p->their_nonce, key);
	proto_chan_reset(&p->ch, (int64_t)p->link_id, key, now_ns());
	sodium_memzero(key, sizeof(key));
}

static void
send_hello(struct peer *p)
{
	uint8_t d[PROTO_DGRAM_HDR_LEN + 24];
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = K_HELLO,
		.frag_count = 1,
		.payload_len = 24,
		.msg_len = 24,
		.session_id = (int64_t)p->link_id,
	};
	uint8_t *b = d + PROTO_DGRAM_HDR_LEN;

	put32(b, E.self);
	put32(b + 4, p->s.id);
	put64(b + 8, p->my_nonce);
	put64(b + 16, p->their_nonce);
	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, sizeof(d), E.hello_key);
	if (E.lc)
		dp_udp_send1(E.lc, p->s.ip, p->s.peer_port, my_port, d,
			     sizeof(d));
	p->hello_next_us = dp_now_us() + HELLO_US;
}

/* The link failed on our side: new nonce, fresh channel, tell zab. */
static void
link_fail(struct peer *p, const char *why)
{
	ENS_EVT(NOTICE, "link to server %u reset (%s)\n", p->s.id, why);
	p->my_nonce = rand64();
	p->confirmed = false;
	bl_free(p);
	rekey(p);
	p->resets++;
	E.link_resets++;
	link_down_now(p);
	send_hello(p);
}

static void
on_hello(struct peer *p, const uint8_t *b)
{
	uint32_t from = get32(b), to = get32(b + 4);
	uint64_t n = get64(b + 8), echo = get64(b + 16);

	if (from != p->s.id || to != E.self || n == 0) {
		E.drop_unknown++;
		return;
	}
	p->hello_rx++;
	p->rx_last_us = dp_now_us();
	if (n != p->their_nonce) {
		bool was = p->their_nonce != 0;

		p->their_nonce = n;
		p->confirmed = false;
		rekey(p);
		if (was) {
			ENS_LOG(INFO,
				"server %u has a new link incarnation: "
				"channel reset\n",
				p->s.id);
			bl_free(p);
			p->resets++;
			E.link_resets++;
			link_down_now(p);
		}
	}
	if (echo == p->my_nonce) {
		if (!p->confirmed)
			ENS_EVT(NOTICE, "link to server %u up\n", p->s.id);
		p->confirmed = true;
	} else {
		send_hello(p);
	}
}

/* Send one message on the link, in order behind its backlog. */
static int
peer_send(struct peer *p, uint8_t kind, const void *msg, size_t len)
{
	struct bl *b;
	int rc;

	if (p->bl_head == NULL && p->their_nonce != 0) {
		rc = proto_chan_send(&p->ch, kind, msg, len, now_ns());
		if (rc == 0)
			return 0;
		if (rc != -EAGAIN) {
			if (rc == -ETIMEDOUT)
				link_fail(p, "channel dead");
			return rc;
		}
	}
	if (p->bl_bytes + len > BL_MAX) {
		link_fail(p, "backlog full");
		return -ENOBUFS;
	}
	b = malloc(sizeof(*b) + len);
	if (b == NULL) {
		link_fail(p, "out of memory");
		return -ENOMEM;
	}
	b->next = NULL;
	b->kind = kind;
	b->len = (uint32_t)len;
	memcpy(b->b, msg, len);
	if (p->bl_tail)
		p->bl_tail->next = b;
	else
		p->bl_head = b;
	p->bl_tail = b;
	p->bl_bytes += len;
	return 0;
}

static unsigned
peer_drain(struct peer *p)
{
	unsigned n = 0;

	while (p->bl_head && p->their_nonce != 0) {
		struct bl *b = p->bl_head;

		if (proto_chan_send(&p->ch, b->kind, b->b, b->len, now_ns()) !=
		    0)
			break;
		p->bl_head = b->next;
		if (p->bl_head == NULL)
			p->bl_tail = NULL;
		p->bl_bytes -= b->len;
		free(b);
		n++;
	}
	return n;
}

static void
on_snap_chunk(struct peer *p, const uint8_t *b, size_t len)
{
	uint64_t zxid, total, off;

	if (len < 24)
		return;
	zxid = get64(b);
	total = get64(b + 8);
	off = get64(b + 16);
	b += 24;
	len -= 24;
	if (off == 0) {
		free(p->snap);
		p->snap = malloc(total ? total : 1);
		p->snap_cap = p->snap ? total : 0;
		p->snap_len = 0;
		p->snap_zxid = zxid;
	}
	if (p->snap == NULL || zxid != p->snap_zxid || off != p->snap_len ||
	    off + len > p->snap_cap)
		return;
	memcpy(p->snap + off, b, len);
	p->snap_len += len;
}

static void
chan_deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	struct peer *p = ctx;
	struct zab_msg m;

	p->rx_last_us = dp_now_us();
	if (kind == K_CTL) {
		srv_ens_ctl(p->s.id, msg, len);
		return;
	}
	if (kind == K_SNAP) {
		on_snap_chunk(p, msg, len);
		return;
	}
	if (kind != K_ZAB || zab_msg_decode(msg, len, &m) != 0 ||
	    m.from != p->s.id) {
		E.drop_unknown++;
		return;
	}
	if (m.type == ZAB_M_REQUEST) {
		srv_ens_request(p->s.id, m.payload.p, (size_t)m.payload.len);
		return;
	}
	if (m.type == ZAB_M_ACK) {
		uint64_t now = dp_now_us(), z = m.zxid > E.ack_hi + 255
							? m.zxid - 255
							: E.ack_hi + 1;

		p->acked = m.zxid;
		p->ack_epoch = m.epoch;
		for (; z <= m.zxid && E.ack_hi < m.zxid; z++)
			if (E.prop_us[z & 255] && !E.ack_us[z & 255])
				E.ack_us[z & 255] = now;
		if (m.zxid > E.ack_hi)
			E.ack_hi = m.zxid;
	}
	if (m.type == ZAB_M_PROPOSAL && E.role != ZAB_LEADING)
		E.prop_us[m.zxid & 255] = dp_now_us();
	if (m.type == ZAB_M_SNAP) {
		if (p->snap == NULL || p->snap_zxid != m.zxid ||
		    p->snap_len != p->snap_cap) {
			ENS_LOG(ERR,
				"SNAP 0x%" PRIx64
				" from %u without its state: link reset\n",
				m.zxid, p->s.id);
			link_fail(p, "incomplete snapshot");
			return;
		}
		free(E.snap_hold);
		E.snap_hold = p->snap;
		p->snap = NULL;
		m.payload.p = E.snap_hold;
		m.payload.len = (int32_t)p->snap_len;
		ENS_LOG(INFO, "SNAP 0x%" PRIx64 " received (%zu bytes)\n",
			m.zxid, p->snap_len);
	}
	zab_step(E.z, &m);
}

static void
on_peer_udp(struct dp_lcore *lc, void *arg, const struct dp_udp_meta *m,
	    const uint8_t *payload, uint16_t len, struct rte_mbuf *mb)
{
	struct proto_dgram_hdr h;
	struct peer *p = NULL;

	(void)arg;
	(void)mb;
	E.lc = lc;
	for (uint32_t i = 0; i < E.n; i++)
		if (!E.p[i].self && E.p[i].s.ip == m->src_ip &&
		    E.p[i].s.peer_port == m->src_port)
			p = &E.p[i];
	if (p == NULL || proto_dgram_hdr_decode(payload, len, &h) != 0 ||
	    h.session_id != (int64_t)p->link_id) {
		E.drop_unknown++;
		return;
	}
	if (h.kind == K_HELLO) {
		if (proto_dgram_verify(payload, len, E.hello_key) != 0 ||
		    h.payload_len != 24) {
			E.drop_bad_mac++;
			p->bad_mac++;
			return;
		}
		on_hello(p, payload + PROTO_DGRAM_HDR_LEN);
		return;
	}
	if (p->their_nonce == 0) {
		E.drop_unknown++;
		return;
	}
	if (proto_chan_input(&p->ch, payload, len, now_ns()) != 0) {
		if (proto_chan_is_dead(&p->ch))
			link_fail(p, "channel dead");
		else
			E.drop_bad_mac++;
		return;
	}
	peer_drain(p);
}

/* ------------------------------------------------------------------ */
/* the Ready driver                                                    */
/* ------------------------------------------------------------------ */

static int32_t
txn_type(const uint8_t *p, size_t len)
{
	/* TxnHeader: long clientId, int cxid, long zxid, long time, int
	 * type */
	return len >= 32 ? (int32_t)get32(p + 28) : 0;
}

static void
log_fatal(const char *what, int rc)
{
	ENS_LOG(ERR, "%s failed: %s; stopping (the ensemble goes on)\n", what,
		strerror(-rc));
	dp_stop();
}

static void
do_append(uint64_t zxid, const struct proto_view *pl)
{
	int rc;

	for (int i = 0; i < 100000; i++) {
		rc = nlog_append(E.l, zxid, txn_type(pl->p, (size_t)pl->len),
				 pl->p, (uint32_t)pl->len);
		if (rc != -ENOBUFS && rc != -EAGAIN)
			break;
		nlog_flush(E.l);
		nlog_poll(E.l, NULL);
	}
	if (rc < 0) {
		log_fatal("log append", rc);
		return;
	}
	E.dirty = true;
}

struct ser_buf {
	uint8_t *b;
	size_t len, cap;
};

static int
ser_write(void *arg, const void *p, size_t len)
{
	struct ser_buf *s = arg;

	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : (1u << 20);
		uint8_t *n;

		while (cap < s->len + len)
			cap *= 2;
		n = realloc(s->b, cap);
		if (n == NULL)
			return -ENOMEM;
		s->b = n;
		s->cap = cap;
	}
	memcpy(s->b + s->len, p, len);
	s->len += len;
	return 0;
}

static int
snap_save_fn(void *arg, nlog_write_fn *write, void *ctx)
{
	(void)arg;
	return tree_serialize(E.t, write, ctx);
}

/* SNAPSHOT barrier: the leader's state at zxid replaces ours. */
static void
do_install(uint64_t zxid, const struct proto_view *pl)
{
	struct tree *nt, *old = E.t;
	struct tree_load *ld;
	int rc;

	nlog_sync(E.l);
	nt = tree_create(E.c.tree_opts);
	if (nt == NULL) {
		log_fatal("tree for SNAP", -ENOMEM);
		return;
	}
	ld = tree_load_begin(nt);
	rc = ld ? tree_load_feed(ld, pl->p, (size_t)pl->len) : -ENOMEM;
	if (ld) {
		int r2 = tree_load_end(ld);

		if (rc == 0)
			rc = r2;
	}
	if (rc != 0) {
		tree_destroy(nt);
		log_fatal("SNAP load", rc);
		return;
	}
	E.t = nt;
	srv_ens_tree(nt);
	tree_destroy(old);
	rc = nlog_truncate(E.l, zxid);
	if (rc == 0)
		rc = nlog_snap_save(E.dc.data_dir, zxid, snap_save_fn, NULL);
	if (rc != 0)
		log_fatal("SNAP persist", rc);
	E.durable_reported = 0;
	ENS_LOG(NOTICE, "installed SNAP 0x%" PRIx64 " (%d bytes)\n", zxid,
		pl->len);
}

static void
send_snap(struct peer *p, const struct zab_msg *m)
{
	struct ser_buf s = {0};
	size_t chunk = (size_t)E.c.snap_chunk_kb << 10;
	uint8_t *c = malloc(chunk + 24);
	int rc;

	rc = c ? tree_serialize(E.t, ser_write, &s) : -ENOMEM;
	if (rc != 0) {
		free(c);
		free(s.b);
		link_fail(p, "snapshot serialization failed");
		return;
	}
	for (size_t off = 0; off < s.len || off == 0; off += chunk) {
		size_t n = s.len - off < chunk ? s.len - off : chunk;

		put64(c, m->zxid);
		put64(c + 8, s.len);
		put64(c + 16, off);
		memcpy(c + 24, s.b + off, n);
		if (peer_send(p, K_SNAP, c, n + 24) != 0)
			break;
		if (s.len == 0)
			break;
	}
	ENS_LOG(INFO, "SNAP 0x%" PRIx64 " to server %u: %zu bytes\n", m->zxid,
		p->s.id, s.len);
	free(c);
	free(s.b);
}

static void
send_msg(const struct zab_msg *m)
{
	struct peer *p = peer_by_id(m->to);
	struct proto_wbuf w;
	struct zab_msg mm = *m;

	if (p == NULL || p->self)
		return;
	if (m->type == ZAB_M_SNAP) {
		send_snap(p, m);
		mm.payload.p = NULL;
		mm.payload.len = 0;
	}
	if (m->type == ZAB_M_ACK && E.prop_us[m->zxid & 255]) {
		E.fpath_n++;
		E.fpath_ack += dp_now_us() - E.prop_us[m->zxid & 255];
		E.prop_us[m->zxid & 255] = 0;
	}
	proto_wbuf_init(&w, E.enc, E.enc_cap);
	if (zab_msg_encode(&w, &mm) != 0) {
		ENS_LOG(ERR, "cannot encode %s (%zu bytes)\n",
			zab_msg_type_name(m->type), w.len);
		return;
	}
	peer_send(p, K_ZAB, w.p, w.len);
}

/* Log each phase a node reaches (election, discovery, sync, broadcast):
 * with the wall clock, these lines time a failover's stages. */
static void
phase_note(void)
{
	struct zab_status zs;

	zab_status(E.z, &zs);
	if (zs.phase == E.phase && zs.role == E.phase_role)
		return;
	E.phase = zs.phase;
	E.phase_role = zs.role;
	ENS_EVT(NOTICE, "%s: %s (epoch %u, last zxid 0x%" PRIx64 ")\n",
		state_name(zs.role), phase_name(zs.phase), zs.epoch,
		zs.last_zxid);
}

static unsigned
process(void)
{
	struct zab_ready rd;
	unsigned work = 0;

	for (int guard = 0; guard < 64 && zab_ready(E.z, &rd); guard++) {
		bool installed = false;
		int rc;

		E.in_ready = true;
		work++;
		if (rd.hard_state) {
			uint64_t t0 = dp_now_us();

			rc = nlog_epoch_set(E.dc.data_dir, NLOG_ACCEPTED_EPOCH,
					    rd.accepted_epoch);
			if (rc == 0)
				rc = nlog_epoch_set(E.dc.data_dir,
						    NLOG_CURRENT_EPOCH,
						    rd.current_epoch);
			if (rc != 0)
				log_fatal("epoch file", rc);
			ENS_EVT(INFO,
				"epochs %u/%u persisted in %" PRIu64 " us\n",
				rd.accepted_epoch, rd.current_epoch,
				dp_now_us() - t0);
		}
		for (size_t i = 0; i < rd.n_log_ops; i++) {
			const struct zab_logop *o = &rd.log_ops[i];

			if (o->kind == ZAB_LOG_APPEND) {
				do_append(o->zxid, &o->payload);
			} else if (o->kind == ZAB_LOG_TRUNCATE) {
				nlog_sync(E.l);
				rc = nlog_truncate(E.l, o->zxid);
				if (rc != 0)
					log_fatal("log truncate", rc);
				E.durable_reported = 0;
				ENS_LOG(NOTICE,
					"log truncated to 0x%" PRIx64 "\n",
					o->zxid);
			} else if (o->kind == ZAB_LOG_SNAPSHOT) {
				do_install(o->zxid, &o->payload);
				installed = true;
			}
		}
		for (size_t i = 0; i < rd.n_commits; i++) {
			uint64_t z = rd.commits[i].zxid, t = E.prop_us[z & 255];

			if (t && dp_now_us() - t > 500000)
				ENS_LOG(WARNING,
					"commit 0x%" PRIx64 " %" PRIu64
					" ms after its proposal (durable here "
					"after %" PRId64 " ms)\n",
					z, (dp_now_us() - t) / 1000,
					(int64_t)(E.durable_us[z & 255] - t) /
						1000);
			if (t && E.role == ZAB_LEADING) {
				uint64_t now = dp_now_us(),
					 du = E.durable_us[z & 255],
					 au = E.ack_us[z & 255];

				E.path_n++;
				E.path_commit += now - t;
				E.path_durable += du >= t ? du - t : 0;
				E.path_ack += au >= t ? au - t : now - t;
			}
			E.prop_us[z & 255] = 0;
			E.ack_us[z & 255] = 0;
		}
		E.sent += (unsigned)rd.n_msgs;
		for (size_t i = 0; i < rd.n_commits; i++)
			srv_ens_apply(rd.commits[i].zxid,
				      rd.commits[i].payload.p,
				      (size_t)rd.commits[i].payload.len);
		for (size_t i = 0; i < rd.n_msgs; i++)
			send_msg(&rd.msgs[i]);
		if (rd.role_changed) {
			struct zab_status zs;

			zab_status(E.z, &zs);
			E.role = rd.role;
			E.leader = rd.leader;
			ENS_EVT(NOTICE, "%s, leader %u, epoch %u\n",
				state_name(rd.role), rd.leader, rd.epoch);
			srv_ens_role(rd.role, rd.leader,
				     rd.role == ZAB_LEADING);
		}
		zab_advance(E.z);
		E.in_ready = false;
		phase_note();
		if (installed) {
			free(E.snap_hold);
			E.snap_hold = NULL;
		}
		for (uint32_t i = 0; i < E.n; i++)
			if (E.p[i].down_pending) {
				E.p[i].down_pending = false;
				zab_link_down(E.z, E.p[i].s.id);
			}
	}
	if (work)
		srv_ens_kick();
	return work;
}

/* ------------------------------------------------------------------ */
/* hooks                                                               */
/* ------------------------------------------------------------------ */

static unsigned
hook_poll(struct dp_lcore *lc, void *arg)
{
	unsigned work = 0;
	uint64_t d;

	(void)arg;
	E.lc = lc;
	d = nlog_durable_zxid(E.l);
	if (d != E.durable_reported && d != 0) {
		for (uint64_t z = E.durable_reported + 1;
		     z <= d && z > E.durable_reported &&
		     z - E.durable_reported < 256;
		     z++)
			E.durable_us[z & 255] = dp_now_us();
		E.durable_reported = d;
		zab_durable(E.z, d);
		work++;
	}
	for (uint32_t i = 0; i < E.n; i++)
		if (E.p[i].bl_head)
			work += peer_drain(&E.p[i]);
	{
		uint64_t t0 = dp_now_us(), dt;

		E.sent = 0;
		work += process();
		dt = dp_now_us() - t0;
		if (dt > 50000)
			ENS_EVT(WARNING, "a Ready batch took %" PRIu64 " ms\n",
				dt / 1000);
	}
	/* Zab messages go out now, not at the next Tx drain: each hop of
	 * a commit (PROPOSAL, ACK, COMMIT) would otherwise wait up to
	 * tx_drain_us in the buffer — an ACK sent after a log completion
	 * has no Rx burst behind it to flush it.  And before the log write
	 * is submitted: the PROPOSAL starts the followers' writes, and the
	 * submission wakes an io_uring worker that may take this core for a
	 * while. */
	if (E.sent)
		dp_tx_flush(lc);
	if (E.dirty) {
		nlog_flush(E.l);
		E.dirty = false;
		work++;
	}
	{
		uint64_t now = dp_now_us();

		if (E.last_poll_us && now - E.last_poll_us > 200000)
			ENS_EVT(WARNING,
				"the lcore did not poll for %" PRIu64 " ms\n",
				(now - E.last_poll_us) / 1000);
		E.last_poll_us = now;
	}
	return work;
}

/* Where the time of a replicated write goes (averages over the last
 * window): on the leader propose → own log durable, → first follower ACK
 * (the quorum of 3), → commit; on a follower PROPOSAL received → ACK sent
 * (its log write plus its loop).  The difference between the leader's
 * ACK and a follower's figure is the network and the two loops' wakeups. */
static void
path_log(void)
{
	if (E.path_n)
		ENS_LOG(NOTICE,
			"commit path (%" PRIu64 " commits, avg us): "
			"propose->durable %" PRIu64 ", ->first ack %" PRIu64
			", ->commit %" PRIu64 "\n",
			E.path_n, E.path_durable / E.path_n,
			E.path_ack / E.path_n, E.path_commit / E.path_n);
	if (E.fpath_n)
		ENS_LOG(NOTICE,
			"follower path (%" PRIu64 " proposals, avg us): "
			"proposal->ack %" PRIu64 "\n",
			E.fpath_n, E.fpath_ack / E.fpath_n);
	E.path_n = E.path_durable = E.path_ack = E.path_commit = 0;
	E.fpath_n = E.fpath_ack = 0;
}

static void
hook_timer(struct dp_lcore *lc, void *arg, uint64_t now_us)
{
	(void)arg;
	E.lc = lc;
	now_us = dp_now_us();
	for (uint32_t i = 0; i < E.n; i++) {
		struct peer *p = &E.p[i];

		if (p->self)
			continue;
		if (!p->confirmed && now_us >= p->hello_next_us)
			send_hello(p);
		else if (p->confirmed && now_us >= p->hello_next_us + 1000000)
			send_hello(p); /* keep-alive of the nonces, 1 Hz */
		if (p->their_nonce == 0)
			continue;
		if (proto_chan_next_deadline(&p->ch) <= now_us * 1000)
			proto_chan_timer(&p->ch, now_us * 1000);
		if (proto_chan_is_dead(&p->ch))
			link_fail(p, "no acknowledgement");
	}
	if (now_us >= E.tick_next_us) {
		E.tick_next_us = now_us + E.c.tick_ms * 1000ull;
		zab_tick(E.z);
	}
	if (now_us >= E.publish_next_us) {
		E.publish_next_us = now_us + 100000;
		publish();
	}
	if (now_us >= E.path_next_us) {
		E.path_next_us = now_us + 2000000;
		path_log();
	}
	/* watchdog: a log write that does not become durable */
	if (nlog_last_zxid(E.l) > nlog_durable_zxid(E.l)) {
		if (E.stuck_since_us == 0) {
			E.stuck_since_us = now_us;
		} else if (now_us - E.stuck_since_us > 1000000 &&
			   now_us >= E.stuck_next_log_us) {
			struct nlog_stats ns;

			nlog_get_stats(E.l, &ns);
			E.stuck_next_log_us = now_us + 1000000;
			ENS_LOG(WARNING,
				"log not durable for %" PRIu64
				" ms: last 0x%" PRIx64 " durable 0x%" PRIx64
				" idle %d appends %" PRIu64 " flushes %" PRIu64
				" writes %" PRIu64 " rolls %" PRIu64
				" spare_ready %d\n",
				(now_us - E.stuck_since_us) / 1000,
				nlog_last_zxid(E.l), nlog_durable_zxid(E.l),
				nlog_idle(E.l), ns.appends, ns.flushes,
				ns.writes, ns.rolls, ns.spare_ready);
		}
	} else {
		E.stuck_since_us = 0;
	}
}

static void
hook_shutdown(struct dp_lcore *lc, void *arg)
{
	(void)arg;
	E.lc = lc;
	for (uint32_t i = 0; i < E.n; i++)
		if (!E.p[i].self && E.p[i].their_nonce)
			proto_chan_ack_now(&E.p[i].ch, now_ns());
	publish();
}

/* ------------------------------------------------------------------ */
/* API for srv.c                                                       */
/* ------------------------------------------------------------------ */

bool
ens_active(void)
{
	return E.on;
}

uint64_t
ens_next_zxid(void)
{
	struct zab_status zs;

	if (!E.on || E.role != ZAB_LEADING)
		return 0;
	/* Refuse before prep, not at propose: a prep whose proposal is
	 * refused would leave a pending change behind (and aborting every
	 * pending change would forget the proposals in flight). */
	zab_status(E.z, &zs);
	if (zs.last_zxid - zs.commit_zxid + 2 >= E.max_inflight)
		return 0;
	return zab_next_zxid(E.z);
}

int
ens_propose(const void *txn, size_t len, uint64_t *zxid)
{
	struct proto_view v = {.p = txn, .len = (int32_t)len};

	int rc = zab_propose(E.z, v, zxid);

	if (rc == 0)
		E.prop_us[*zxid & 255] = dp_now_us();
	return rc;
}

uint32_t
ens_forward_target(void)
{
	int t = zab_forward_target(E.z);

	return t > 0 ? (uint32_t)t : 0;
}

bool
ens_leading(void)
{
	return E.on && E.role == ZAB_LEADING;
}

bool
ens_throttled(void)
{
	struct zab_status zs;

	if (!ens_leading())
		return false;
	zab_status(E.z, &zs);
	return zs.established && zs.role == ZAB_LEADING;
}

uint32_t
ens_forward_timeout_ms(void)
{
	return E.c.fwd_timeout_ms ? E.c.fwd_timeout_ms : 5000;
}

int
ens_send_request(uint32_t to, const void *pl, size_t len)
{
	struct peer *p = peer_by_id(to);
	struct proto_wbuf w;
	struct zab_msg m = {
		.type = ZAB_M_REQUEST,
		.from = E.self,
		.to = to,
		.payload = {.p = pl, .len = (int32_t)len},
	};
	struct zab_status zs;

	if (p == NULL || p->self)
		return -EINVAL;
	zab_status(E.z, &zs);
	m.epoch = zs.epoch;
	proto_wbuf_init(&w, E.enc, E.enc_cap);
	if (zab_msg_encode(&w, &m) != 0)
		return -EMSGSIZE;
	return peer_send(p, K_ZAB, w.p, w.len);
}

int
ens_send_ctl(uint32_t to, const void *pl, size_t len)
{
	struct peer *p = peer_by_id(to);

	if (p == NULL || p->self)
		return -EINVAL;
	return peer_send(p, K_CTL, pl, len);
}

struct tree *
ens_tree(void)
{
	return E.t;
}

/* ------------------------------------------------------------------ */
/* start                                                               */
/* ------------------------------------------------------------------ */

int
ens_start(const struct ens_config *c, const struct dp_config *dc,
	  struct tree *t, struct nlog *l)
{
	struct zab_config zc;
	struct zab_persist zp = {0};
	struct dp_hooks hooks = {
		.poll = hook_poll,
		.timer = hook_timer,
		.shutdown = hook_shutdown,
	};
	uint64_t v;
	size_t keep, from, bytes = 0;
	int rc;

	memset(&E, 0, sizeof(E));
	E.c = *c;
	E.dc = *dc;
	E.t = t;
	E.l = l;
	E.self = dc->server_id;
	zab_config_default(&zc);
	zc.self = E.self;
	zc.init_limit = c->init_limit;
	zc.sync_limit = c->sync_limit;
	zc.ping_ticks = c->ping_ticks;
	zc.election_ticks = c->election_ticks;
	zc.election_max_ticks = c->election_max_ticks;
	zc.finalize_ticks = c->finalize_ticks;
	zc.hist_entries = c->hist_entries;
	zc.hist_bytes = c->hist_mb << 20;
	if (zc.hist_bytes < (2u << 20))
		zc.hist_bytes = 2u << 20;
	if (zc.max_inflight > zc.hist_entries / 2)
		zc.max_inflight = zc.hist_entries / 2;
	zc.n_members = c->n_servers;
	for (uint32_t i = 0; i < c->n_servers; i++) {
		zc.members[i].id = c->srv[i].id;
		zc.members[i].observer = c->srv[i].observer;
		E.p[i].s = c->srv[i];
		E.p[i].self = c->srv[i].id == E.self;
		if (E.p[i].self)
			my_port = c->srv[i].peer_port;
	}
	E.n = c->n_servers;
	if (nlog_epoch_get(dc->data_dir, NLOG_ACCEPTED_EPOCH, &v) == 0)
		zp.accepted_epoch = (uint32_t)v;
	if (nlog_epoch_get(dc->data_dir, NLOG_CURRENT_EPOCH, &v) == 0)
		zp.current_epoch = (uint32_t)v;
	if (zp.accepted_epoch < zp.current_epoch)
		zp.accepted_epoch = zp.current_epoch;
	/* The recovered log: keep the tail that fits half the window for
	 * zab_load (it may hold uncommitted proposals); apply what is
	 * older (committed: a leader keeps at most max_inflight open). */
	keep = R.n < zc.hist_entries / 2 ? R.n : zc.hist_entries / 2;
	from = R.n - keep;
	for (size_t i = R.n; i > from; i--) {
		bytes += R.v[i - 1].len;
		if (bytes > zc.hist_bytes / 2) {
			from = i;
			break;
		}
	}
	zp.snap_zxid = R.snap_zxid;
	for (size_t i = 0; i < from; i++) {
		rc = R.srv_ops.record(R.srv_ops.arg, R.v[i].zxid, R.v[i].type,
				      R.v[i].b, R.v[i].len);
		if (rc != 0)
			return rc;
		zp.snap_zxid = R.v[i].zxid;
	}
	E.max_inflight = zc.max_inflight;
	E.z = zab_new(&zc, &zp);
	if (E.z == NULL)
		return -errno;
	for (size_t i = from; i < R.n; i++) {
		struct proto_view pv = {.p = R.v[i].b,
					.len = (int32_t)R.v[i].len};

		rc = zab_load(E.z, R.v[i].zxid, pv);
		if (rc != 0) {
			ENS_LOG(ERR, "zab_load 0x%" PRIx64 ": %s\n",
				R.v[i].zxid, strerror(-rc));
			return rc;
		}
	}
	ENS_LOG(INFO,
		"server %u of %u: epochs %u/%u, state 0x%" PRIx64
		", %zu log records to zab\n",
		E.self, E.n, zp.accepted_epoch, zp.current_epoch, zp.snap_zxid,
		R.n - from);
	ENS_LOG(NOTICE,
		"timing %s: tick %u ms, sync_limit %u, init_limit %u, ping "
		"%u, election %u..%u, finalize %u ticks; forwarded writes "
		"time out after %u ms\n",
		c->timing ? c->timing : "custom", c->tick_ms, c->sync_limit,
		c->init_limit, c->ping_ticks, c->election_ticks,
		c->election_max_ticks, c->finalize_ticks, c->fwd_timeout_ms);
	for (size_t i = 0; i < R.n; i++)
		free(R.v[i].b);
	free(R.v);
	memset(&R, 0, sizeof(R));

	proto_chan_cfg_default(&E.ccfg);
	E.ccfg.mtu_payload = (uint32_t)dc->mtu - 20 - 8 - PROTO_DGRAM_HDR_LEN;
	if (E.ccfg.mtu_payload > PROTO_CHAN_MTU_PAYLOAD)
		E.ccfg.mtu_payload = PROTO_CHAN_MTU_PAYLOAD;
	E.ccfg.tx_bytes = 4u << 20;
	E.ccfg.rx_bytes = 4u << 20;
	E.ccfg.rto_max_ns = 200000000ull;
	E.ccfg.max_retries = 15;
	E.ch_mem_len = proto_chan_mem_size(&E.ccfg);
	if (E.ch_mem_len == 0)
		return -EINVAL;
	proto_chan_derive_key(c->secret, 0, E.hello_key);
	E.enc_cap = PROTO_CHAN_MAX_MSG;
	E.enc = malloc(E.enc_cap);
	if (E.enc == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < E.n; i++) {
		struct peer *p = &E.p[i];
		uint32_t lo = p->s.id < E.self ? p->s.id : E.self;
		uint32_t hi = p->s.id < E.self ? E.self : p->s.id;

		if (p->self)
			continue;
		p->link_id = (uint64_t)lo << 16 | hi;
		p->my_nonce = rand64();
		p->mem = aligned_alloc(64, RTE_ALIGN_CEIL(E.ch_mem_len, 64));
		if (p->mem == NULL)
			return -ENOMEM;
		rc = proto_chan_init(&p->ch, &E.ccfg, p->mem, E.ch_mem_len,
				     &chan_ops, p, (int64_t)p->link_id,
				     E.hello_key, now_ns());
		if (rc != 0)
			return rc;
	}
	E.on = true;
	rc = dp_udp_register(my_port, on_peer_udp, NULL);
	if (rc != 0)
		return rc;
	rc = dp_hooks_register(&hooks);
	if (rc != 0)
		return rc;
	rte_telemetry_register_cmd("/dpzk/ensemble", tel_ens,
				   "dpzk ensemble: role, leader, epoch, zxids, "
				   "followers and lag, link counters");
	rte_telemetry_register_cmd("/dpzk/ensemble_links", tel_links,
				   "dpzk ensemble: peer channel counters");
	publish();
	return 0;
}
