/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_int.h — what the dataplane's DPDK-facing files share: the EAL argument
 * vector, the port description and the log macro.
 *
 * Why it is separate from dp_priv.h: dp_priv.h is the pure part that unit
 * tests include without caring about DPDK types; this one is for the files
 * that talk to EAL and ethdev (and the tests of dp_eal_argv()).
 */
#ifndef DPZK_DP_INT_H
#define DPZK_DP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include "dataplane/dp.h"

extern int dp_logtype;

#define DP_LOG(level, fmt, ...)                                                \
	rte_log(RTE_LOG_##level, dp_logtype, "dpzk.dp: " fmt "\n",             \
		##__VA_ARGS__)

#define DP_EAL_MAX_ARGS 48

struct dp_eal_args {
	int argc;
	char *argv[DP_EAL_MAX_ARGS];
	char store[1024];
	size_t used;
	bool use_huge;
};

/* Free hugepage memory in MiB (0 when none or hugetlbfs not mounted). */
uint64_t dp_huge_free_mb(void);

/* Build the EAL argument vector (pure).  0 or -E2BIG. */
int dp_eal_argv(const struct dp_config *c, uint64_t huge_free_mb,
		struct dp_eal_args *a);

/* mbuf pool size for a configuration (pure). */
unsigned int dp_pool_size(const struct dp_config *c);

struct dp_port_info {
	uint16_t port_id;
	uint8_t mac[6];
	struct rte_mempool *pool;
	bool rx_csum; /* rx IPv4/UDP checksum offload enabled */
	bool tx_csum; /* tx IPv4/UDP checksum offload enabled */
	bool rx_intr; /* rx queue interrupts configured */
};

/* Create the pool, configure and start the first port (after EAL). */
int dp_port_start(const struct dp_config *c, struct dp_port_info *pi);
void dp_port_stop(struct dp_port_info *pi);

#endif /* DPZK_DP_INT_H */
