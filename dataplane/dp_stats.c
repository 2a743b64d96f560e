/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_stats.c — names of the drop reasons, the text form of the counters,
 * and the DPDK telemetry commands /dpzk/stats, /dpzk/drops, /dpzk/fault.
 *
 * Why it is built this way: counters are plain per-lcore integers written
 * only by their lcore; readers (telemetry thread, SIGUSR1 dump, mgmt) sum
 * them with torn-free 64-bit loads and accept being a few packets behind.
 * Telemetry gives operators `dpdk-telemetry.py -f PREFIX` with no extra
 * code in the server; the text form is for logs and the test scripts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "dataplane/dp_priv.h"

#define DP_DROP_NAME_(id, name) name,
static const char *const drop_names[] = {DP_DROP_REASONS(DP_DROP_NAME_)};
#undef DP_DROP_NAME_

const char *
dp_drop_name(enum dp_drop_reason r)
{
	if ((unsigned int)r >= DP_DROP__COUNT)
		return "?";
	return drop_names[r];
}

#define DP_STAT_FIELDS(X)                                                      \
	X(rx_packets)                                                          \
	X(rx_bytes)                                                            \
	X(tx_packets)                                                          \
	X(tx_bytes)                                                            \
	X(arp_rx)                                                              \
	X(arp_tx)                                                              \
	X(arp_replies_sent)                                                    \
	X(arp_requests_sent)                                                   \
	X(icmp_echo)                                                           \
	X(udp_rx)                                                              \
	X(udp_tx)                                                              \
	X(fault_dup)                                                           \
	X(fault_held)                                                          \
	X(loops)                                                               \
	X(idle_sleeps)                                                         \
	X(drops_total)

int
dp_stats_format(const struct dp_stats *s, char *buf, size_t len)
{
	size_t off = 0;
	int n;
	unsigned int r;

#define ADD(...)                                                               \
	do {                                                                   \
		n = snprintf(buf + (off < len ? off : len),                    \
			     off < len ? len - off : 0, __VA_ARGS__);          \
		if (n > 0)                                                     \
			off += (size_t)n;                                      \
	} while (0)
#define FIELD(f) ADD("%s %" PRIu64 "\n", #f, s->f);
	if (len > 0)
		buf[0] = '\0';
	DP_STAT_FIELDS(FIELD)
	for (r = 1; r < DP_DROP__COUNT; r++)
		if (s->drops[r] != 0)
			ADD("drop.%s %" PRIu64 "\n", drop_names[r],
			    s->drops[r]);
#undef FIELD
#undef ADD
	return (int)off;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_stats s;

	(void)cmd;
	(void)params;
	dp_stats_get(&s);
	rte_tel_data_start_dict(d);
#define FIELD(f) rte_tel_data_add_dict_u64(d, #f, s.f);
	DP_STAT_FIELDS(FIELD)
#undef FIELD
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_stats s;
	unsigned int r;

	(void)cmd;
	(void)params;
	dp_stats_get(&s);
	rte_tel_data_start_dict(d);
	for (r = 1; r < DP_DROP__COUNT; r++)
		rte_tel_data_add_dict_u64(d, drop_names[r], s.drops[r]);
	return 0;
}

static int
tel_fault(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_fault_config f;
	char buf[64];
	unsigned int i;

	(void)cmd;
	(void)params;
	dp_fault_get(&f);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "seed", f.seed);
#define DIR(pfx, dir)                                                          \
	do {                                                                   \
		snprintf(buf, sizeof(buf), "%g", dir.drop);                    \
		rte_tel_data_add_dict_string(d, pfx "_drop", buf);             \
		snprintf(buf, sizeof(buf), "%g", dir.dup);                     \
		rte_tel_data_add_dict_string(d, pfx "_dup", buf);              \
		snprintf(buf, sizeof(buf), "%g", dir.reorder);                 \
		rte_tel_data_add_dict_string(d, pfx "_reorder", buf);          \
		rte_tel_data_add_dict_u64(d, pfx "_hold", dir.hold);           \
		rte_tel_data_add_dict_u64(d, pfx "_delay_us", dir.delay_us);   \
	} while (0)
	DIR("rx", f.rx);
	DIR("tx", f.tx);
#undef DIR
	for (i = 0; i < f.n_partition; i++) {
		char key[32];
		uint32_t ip = f.partition[i];

		snprintf(key, sizeof(key), "partition_%u", i);
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", ip >> 24,
			 (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
		rte_tel_data_add_dict_string(d, key, buf);
	}
	return 0;
}

/*
 * /dpzk/fault_set,KEY=VALUE;KEY=VALUE — change fault injection at run time
 * with the configuration's fault_* keys (e.g.
 * "/dpzk/fault_set,fault_rx_drop=0.1;fault_partition=198.18.0.12").
 * Keys not given keep their value.  For tests and operators until the
 * admin channel exists; the telemetry socket is root-only.
 */
static int
tel_fault_set(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_config c;
	char buf[512], why[160] = "invalid fault settings";
	char *save = NULL, *tok, *eq;
	int rc = 0;

	(void)cmd;
	if (params == NULL || strlen(params) >= sizeof(buf)) {
		rte_tel_data_string(d,
				    "error: give KEY=VALUE;... (fault_* keys)");
		return 0;
	}
	memset(&c, 0, sizeof(c));
	dp_fault_get(&c.fault);
	strcpy(buf, params);
	for (tok = strtok_r(buf, "; ", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, "; ", &save)) {
		eq = strchr(tok, '=');
		if (eq == NULL || strncmp(tok, "fault", 5) != 0) {
			snprintf(why, sizeof(why),
				 "%s: expected fault_KEY=VALUE", tok);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		rc = dp_config_set(&c, tok, eq + 1, why, sizeof(why));
	}
	if (rc == 0)
		rc = dp_fault_set(&c.fault);
	if (rc != 0) {
		char msg[200];

		snprintf(msg, sizeof(msg), "error: %s", why);
		rte_tel_data_string(d, msg);
		return 0;
	}
	return tel_fault(cmd, NULL, d);
}

int
dp_telemetry_register(void)
{
	int rc = 0;

	rc |= rte_telemetry_register_cmd("/dpzk/stats", tel_stats,
					 "dpzk dataplane counters");
	rc |= rte_telemetry_register_cmd("/dpzk/drops", tel_drops,
					 "dpzk dataplane drops by reason");
	rc |= rte_telemetry_register_cmd(
		"/dpzk/fault", tel_fault,
		"dpzk dataplane fault injection settings");
	rc |= rte_telemetry_register_cmd(
		"/dpzk/fault_set", tel_fault_set,
		"set faults: fault_KEY=VALUE;... (see --help)");
	return rc ? -EINVAL : 0;
}
