/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_eal.c — from a struct dp_config to a running EAL, an mbuf pool and a
 * started port.
 *
 * Why it is built this way: the EAL argument vector is built by a pure
 * function (dp_eal_argv) so the unit tests see exactly what a given
 * configuration asks of DPDK (hugepages or --no-huge, -m, lcores, prefix,
 * vdev or PCI allow-list); the decision "hugepages or not" is made here
 * once and logged once, because it is the first thing an operator asks
 * when a server will not start.  The pool is sized from the rings with a
 * floor that fits small machines (a few MiB), and the port takes the
 * checksum offloads it offers and nothing it does not.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "dataplane/dp_priv.h"
#include "dataplane/dp_int.h"

/* Free hugepage memory in MiB (default page size) and whether hugetlbfs
 * is mounted; 0 when none. */
uint64_t
dp_huge_free_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	uint64_t free_pages = 0, page_kb = 0;
	bool mounted = false;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v;

		if (sscanf(line, "HugePages_Free: %llu", &v) == 1)
			free_pages = v;
		else if (sscanf(line, "Hugepagesize: %llu kB", &v) == 1)
			page_kb = v;
	}
	fclose(f);
	f = fopen("/proc/mounts", "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, " hugetlbfs ") != NULL)
			mounted = true;
	fclose(f);
	return mounted ? free_pages * page_kb / 1024 : 0;
}

static int push(struct dp_eal_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
push(struct dp_eal_args *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room = sizeof(a->store) - a->used;

	if (a->argc >= DP_EAL_MAX_ARGS - 1)
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(a->store + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -E2BIG;
	a->argv[a->argc++] = a->store + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

int
dp_eal_argv(const struct dp_config *c, uint64_t huge_free_mb,
	    struct dp_eal_args *a)
{
	char extra[DP_CFG_STR];
	char *save = NULL, *tok;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	switch (c->huge) {
	case DP_HUGE_ON:
		a->use_huge = true;
		break;
	case DP_HUGE_OFF:
		a->use_huge = false;
		break;
	case DP_HUGE_AUTO:
		a->use_huge = huge_free_mb >= c->mem_mb;
		break;
	}
	rc |= push(a, "dpzk");
	rc |= push(a, "-l");
	rc |= push(a, "%s", c->lcores);
	rc |= push(a, "--file-prefix=%s", c->file_prefix);
	rc |= push(a, "--log-level=%s", c->log_level);
	if (a->use_huge) {
		rc |= push(a, "-m");
		rc |= push(a, "%u", c->mem_mb);
		/* No files left in hugetlbfs after a kill -9. */
		rc |= push(a, "--huge-unlink");
	} else {
		rc |= push(a, "--no-huge");
		rc |= push(a, "-m");
		rc |= push(a, "%u", c->mem_mb);
	}
	if (c->vdev[0] != '\0') {
		rc |= push(a, "--vdev=%s", c->vdev);
		rc |= push(a, "--no-pci");
	} else {
		rc |= push(a, "-a");
		rc |= push(a, "%s", c->port);
	}
	snprintf(extra, sizeof(extra), "%s", c->eal_extra);
	for (tok = strtok_r(extra, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save))
		rc |= push(a, "%s", tok);
	return rc ? -E2BIG : 0;
}

unsigned int
dp_pool_size(const struct dp_config *c)
{
	unsigned int want, n = 2048;

	if (c->mbufs != 0)
		return c->mbufs;
	/* Rings, one burst in flight, the per-lcore cache, ARP queues and
	 * fault holds; then twice that for what handlers keep. */
	want = 2u * ((unsigned int)c->rx_desc + c->tx_desc + 64 + 256 +
		     DP_NEIGH_PENDING * 16 + 2 * DP_HOLD_MAX);
	while (n - 1 < want)
		n *= 2;
	return n - 1; /* 2^k - 1 is the mempool's best size */
}

int
dp_port_start(const struct dp_config *c, struct dp_port_info *pi)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	struct rte_ether_addr mac;
	uint16_t nb_rxd = c->rx_desc, nb_txd = c->tx_desc;
	uint16_t port;
	unsigned int tries;
	int rc, socket;

	if (rte_eth_dev_count_avail() == 0) {
		DP_LOG(ERR, "no ethdev port: check port=%s / vdev=%s", c->port,
		       c->vdev);
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(port)
	{
		break;
	}
	if (rte_eth_dev_count_avail() > 1)
		DP_LOG(WARNING, "%u ports found; using port %u only",
		       rte_eth_dev_count_avail(), port);
	pi->port_id = port;
	socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = (int)rte_socket_id();

	pi->pool = rte_pktmbuf_pool_create("dp_pool", dp_pool_size(c), 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (pi->pool == NULL) {
		DP_LOG(ERR, "mbuf pool of %u: %s (raise mem_mb?)",
		       dp_pool_size(c), rte_strerror(rte_errno));
		return -ENOMEM;
	}

	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	memset(&conf, 0, sizeof(conf));
	if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) &&
	    (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM)) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
					RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
		pi->rx_csum = true;
	}
	if ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) &&
	    (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
					RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		pi->tx_csum = true;
	}
	pi->rx_intr = false;
	if (c->idle == DP_IDLE_INTERRUPT)
		conf.intr_conf.rxq = 1;
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc != 0 && conf.intr_conf.rxq) {
		DP_LOG(NOTICE,
		       "idle=interrupt: %s has no Rx interrupts (%s); "
		       "falling back to adaptive",
		       info.driver_name, rte_strerror(-rc));
		conf.intr_conf.rxq = 0;
		rc = rte_eth_dev_configure(port, 1, 1, &conf);
	} else if (rc == 0 && conf.intr_conf.rxq) {
		pi->rx_intr = true;
	}
	if (rc != 0) {
		DP_LOG(ERR, "configure port %u: %s", port, rte_strerror(-rc));
		return rc;
	}
	if (c->mtu != RTE_ETHER_MTU) {
		rc = rte_eth_dev_set_mtu(port, c->mtu);
		if (rc != 0)
			DP_LOG(WARNING, "mtu=%u refused by %s (%s)", c->mtu,
			       info.driver_name, rte_strerror(-rc));
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc != 0)
		return rc;
	rc = rte_eth_rx_queue_setup(port, 0, nb_rxd, (unsigned int)socket, NULL,
				    pi->pool);
	if (rc != 0) {
		DP_LOG(ERR, "rx queue: %s", rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_tx_queue_setup(port, 0, nb_txd, (unsigned int)socket,
				    NULL);
	if (rc != 0) {
		DP_LOG(ERR, "tx queue: %s", rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		DP_LOG(ERR, "start port %u: %s", port, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_macaddr_get(port, &mac);
	if (rc != 0)
		return rc;
	memcpy(pi->mac, mac.addr_bytes, 6);
	/* Bounded wait for the link (a NIC takes a few seconds). */
	for (tries = 0; tries < 50; tries++) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			break;
		usleep(100 * 1000);
	}
	DP_LOG(NOTICE,
	       "port %u (%s) %02x:%02x:%02x:%02x:%02x:%02x link %s %u Mbps, "
	       "rx %u / tx %u descriptors, checksum offload rx %s tx %s, pool %u "
	       "mbufs",
	       port, info.driver_name, pi->mac[0], pi->mac[1], pi->mac[2],
	       pi->mac[3], pi->mac[4], pi->mac[5],
	       link.link_status ? "up" : "DOWN", link.link_speed, nb_rxd,
	       nb_txd, pi->rx_csum ? "on" : "off", pi->tx_csum ? "on" : "off",
	       dp_pool_size(c));
	return 0;
}

void
dp_port_stop(struct dp_port_info *pi)
{
	rte_eth_dev_stop(pi->port_id);
	rte_eth_dev_close(pi->port_id);
	rte_mempool_free(pi->pool);
	pi->pool = NULL;
}
