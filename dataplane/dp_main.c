/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_main.c — the polling loop and the packet path: rx burst → Ethernet →
 * ARP | IPv4 → ICMP echo | UDP → the registered service, and the way back
 * (dp_udp_send → ARP-resolved next hop → tx buffer → tx burst).
 *
 * Why it is built this way: it is DPDK's l2fwd loop (while !force_quit,
 * rx burst of 32, prefetch, process, tx drain on a TSC timer) with grout's
 * discipline that every packet not delivered goes through dp_drop() with a
 * named reason.  Replies produced while handling an rx burst are flushed at
 * the end of that burst (latency); packets produced by hooks wait for a
 * full buffer or the drain timer (batching).  All state of the path is in
 * one cache-aligned struct dp_lcore owned by its core: the neighbour cache,
 * the tx buffer, the counters and the fault dice need no locks.  Fault
 * settings changed at run time arrive through a generation counter and a
 * try-lock, so the lcore never waits.  One polling lcore today; the struct
 * is per-lcore so RSS queues can be added without changing the API.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_spinlock.h>

#include "dataplane/dp_int.h"
#include "dataplane/dp_priv.h"

RTE_LOG_REGISTER(dp_logtype, dpzk.dp, INFO);

#define DP_RX_BURST	  32
#define DP_TX_BUF	  64
#define DP_MAX_SERVICES	  8
#define DP_HOUSEKEEP_US	  10000
#define DP_NEIGH_STALE_US 30000000 /* re-ARP a neighbour silent for 30 s */
#define DP_GARP_COUNT	  4	   /* gratuitous ARPs at 0, 1, 3, 7 s */

struct dp_lcore {
	unsigned int idx;
	uint16_t port, rxq, txq;
	struct rte_mempool *pool;
	uint64_t now_tsc;
	uint64_t now_us;

	uint16_t n_tx;
	uint64_t tx_first_tsc;
	struct rte_mbuf *tx[DP_TX_BUF];

	uint16_t ip_id;
	bool in_burst;

	/* idle policy */
	enum dp_idle idle;
	uint32_t empty_polls;
	uint32_t sleep_us;
	bool intr_ready;

	/* fault injection */
	uint32_t fault_gen;
	bool fault_rx_on, fault_tx_on;
	struct dp_fault_config fault;
	struct dp_rng rng;
	struct dp_hold rx_hold, tx_hold;

	struct dp_stats st;
	struct dp_neigh_table neigh;
} __rte_cache_aligned;

struct dp_service {
	uint16_t port;
	dp_udp_handler_fn fn;
	void *arg;
};

static struct {
	struct dp_config cfg;
	struct dp_port_info port;
	bool eal_up, port_up;
	uint64_t tsc_hz, tsc_per_us, tsc_base;
	struct dp_service svc[DP_MAX_SERVICES];
	unsigned int n_svc;
	struct dp_hooks hooks[DP_MAX_HOOKS];
	unsigned int n_hooks;
	unsigned int n_lcores;
	struct dp_lcore *lcores;
	/* fault settings handed to the lcore */
	rte_spinlock_t fault_lock;
	struct dp_fault_config fault;
	atomic_uint fault_gen;
} g = {.fault_lock = RTE_SPINLOCK_INITIALIZER};

static volatile sig_atomic_t force_quit;
static volatile sig_atomic_t dump_stats;

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero_mac[6];

/* ------------------------------------------------------------------ */
/* small helpers                                                       */
/* ------------------------------------------------------------------ */

uint64_t
dp_now_us(void)
{
	if (g.tsc_per_us == 0)
		return 0;
	return (rte_rdtsc() - g.tsc_base) / g.tsc_per_us;
}

unsigned int
dp_lcore_index(const struct dp_lcore *lc)
{
	return lc->idx;
}

struct rte_mempool *
dp_lcore_pool(struct dp_lcore *lc)
{
	return lc->pool;
}

const struct dp_config *
dp_config_get(void)
{
	return &g.cfg;
}

void
dp_port_mac(uint8_t mac[6])
{
	memcpy(mac, g.port.mac, 6);
}

void
dp_stop(void)
{
	force_quit = 1;
}

bool
dp_stopping(void)
{
	return force_quit != 0;
}

void
dp_drop(struct dp_lcore *lc, struct rte_mbuf *m, enum dp_drop_reason r)
{
	if ((unsigned int)r >= DP_DROP__COUNT)
		r = DP_DROP_NONE;
	lc->st.drops[r]++;
	lc->st.drops_total++;
	if (m != NULL)
		rte_pktmbuf_free(m);
}

static void
evict_pending(void *item, void *arg)
{
	dp_drop(arg, item, DP_DROP_ARP_UNRESOLVED);
}

static inline bool
on_link(uint32_t ip)
{
	return (ip & g.cfg.netmask) == (g.cfg.ip & g.cfg.netmask);
}

static inline bool
is_bcast(uint32_t ip)
{
	return ip == 0xffffffffu ||
	       ip == ((g.cfg.ip & g.cfg.netmask) | ~g.cfg.netmask);
}

/* ------------------------------------------------------------------ */
/* transmit side                                                       */
/* ------------------------------------------------------------------ */

void
dp_tx_flush(struct dp_lcore *lc)
{
	uint16_t sent = 0, n = lc->n_tx, i;
	unsigned int tries;

	if (n == 0)
		return;
	for (tries = 0; tries < 4 && sent < n; tries++)
		sent += rte_eth_tx_burst(lc->port, lc->txq, lc->tx + sent,
					 (uint16_t)(n - sent));
	for (i = 0; i < sent; i++)
		lc->st.tx_bytes += rte_pktmbuf_pkt_len(lc->tx[i]);
	lc->st.tx_packets += sent;
	for (i = sent; i < n; i++)
		dp_drop(lc, lc->tx[i], DP_DROP_TX_FULL);
	lc->n_tx = 0;
}

/* Put a finished frame in the tx buffer (no faults applied here). */
static void
tx_buffer(struct dp_lcore *lc, struct rte_mbuf *m)
{
	if (lc->n_tx == 0)
		lc->tx_first_tsc = lc->now_tsc;
	lc->tx[lc->n_tx++] = m;
	if (lc->n_tx == DP_TX_BUF)
		dp_tx_flush(lc);
}

static void
tx_release_held(struct dp_lcore *lc, bool force)
{
	struct rte_mbuf *m;

	while ((m = dp_hold_pop(&lc->tx_hold, lc->now_us, force)) != NULL)
		tx_buffer(lc, m);
}

/*
 * Every outgoing frame passes here: partition, then the fault dice, then
 * the tx buffer.  Consumes m.  dst_ip is the IPv4 destination (0 for ARP
 * frames, which are subject to partition by target through arp_send).
 */
static void
tx_enqueue(struct dp_lcore *lc, struct rte_mbuf *m, uint32_t dst_ip)
{
	struct rte_mbuf *c;

	if (unlikely(lc->fault.n_partition > 0) && dst_ip != 0 &&
	    dp_fault_partitioned(&lc->fault, dst_ip)) {
		dp_drop(lc, m, DP_DROP_FAULT_PARTITION);
		return;
	}
	if (likely(!lc->fault_tx_on)) {
		tx_buffer(lc, m);
		return;
	}
	switch (dp_fault_roll(&lc->rng, &lc->fault.tx)) {
	case DP_FAULT_DROP:
		dp_drop(lc, m, DP_DROP_FAULT_DROP);
		return;
	case DP_FAULT_DUP:
		c = rte_pktmbuf_copy(m, lc->pool, 0, UINT32_MAX);
		if (c != NULL) {
			lc->st.fault_dup++;
			tx_buffer(lc, c);
		}
		break;
	case DP_FAULT_HOLD:
		if (dp_hold_push(&lc->tx_hold, m, lc->fault.tx.hold,
				 lc->now_us + lc->fault.tx.delay_us) != 0) {
			dp_drop(lc, m, DP_DROP_FAULT_HOLD_FULL);
		} else {
			lc->st.fault_held++;
		}
		return;
	case DP_FAULT_PASS:
		break;
	}
	dp_hold_tick(&lc->tx_hold);
	tx_buffer(lc, m);
	tx_release_held(lc, false);
}

static void
arp_send(struct dp_lcore *lc, uint16_t op, const uint8_t eth_dst[6],
	 const uint8_t tha[6], uint32_t tpa)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(lc->pool);
	uint8_t *p;

	if (m == NULL) {
		dp_drop(lc, NULL, DP_DROP_NO_MBUF);
		return;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, DP_ETH_MIN_FRAME);
	memset(p, 0, DP_ETH_MIN_FRAME);
	dp_build_arp(p, op, eth_dst, g.port.mac, g.cfg.ip, tha, tpa);
	lc->st.arp_tx++;
	if (op == DP_ARP_OP_REQUEST)
		lc->st.arp_requests_sent++;
	else
		lc->st.arp_replies_sent++;
	tx_enqueue(lc, m, tpa == g.cfg.ip ? 0 : tpa);
}

/* Send the frames that waited for n's MAC. */
static void
neigh_flush(struct dp_lcore *lc, struct dp_neigh *n)
{
	uint8_t i;

	for (i = 0; i < n->n_pending; i++) {
		struct rte_mbuf *m = n->pending[i];

		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t dst;

		memcpy(p, n->mac, 6);
		memcpy(&dst, p + DP_ETH_HLEN + 16, 4);
		tx_enqueue(lc, m, rte_be_to_cpu_32(dst));
	}
	n->n_pending = 0;
}

/* Resolve the next hop for a frame whose Ethernet dst is still empty and
 * send it or queue it.  Consumes m. */
static int
route_and_send(struct dp_lcore *lc, struct rte_mbuf *m, uint32_t dst_ip)
{
	uint32_t nh;
	struct dp_neigh *n;

	if (is_bcast(dst_ip)) {
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), bcast_mac, 6);
		tx_enqueue(lc, m, dst_ip);
		return 0;
	}
	nh = on_link(dst_ip) ? dst_ip : g.cfg.gateway;
	if (nh == 0) {
		dp_drop(lc, m, DP_DROP_NO_ROUTE);
		return -EHOSTUNREACH;
	}
	n = dp_neigh_lookup(&lc->neigh, nh);
	if (likely(n != NULL && n->state == DP_NEIGH_REACHABLE)) {
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), n->mac, 6);
		tx_enqueue(lc, m, dst_ip);
		/* Not heard from for a while (a restarted peer has a new
		 * MAC): ask again, still using the old one meanwhile. */
		if (unlikely(lc->now_us - n->updated_us > DP_NEIGH_STALE_US &&
			     lc->now_us >= n->next_try_us)) {
			n->next_try_us = lc->now_us + DP_ARP_RETRY_US * 5;
			arp_send(lc, DP_ARP_OP_REQUEST, bcast_mac, zero_mac,
				 nh);
		}
		return 0;
	}
	if (n == NULL)
		n = dp_neigh_get(&lc->neigh, nh, lc->now_us, evict_pending, lc);
	if (n->n_pending == DP_NEIGH_PENDING) {
		dp_drop(lc, m, DP_DROP_ARP_QUEUE_FULL);
		return -ENOBUFS;
	}
	n->pending[n->n_pending++] = m;
	if (n->tries == 0) {
		n->tries = 1;
		n->next_try_us = lc->now_us + DP_ARP_RETRY_US;
		arp_send(lc, DP_ARP_OP_REQUEST, bcast_mac, zero_mac, nh);
	}
	return 0;
}

/* Retry or give up unresolved neighbours (housekeeping, every 10 ms). */
static void
neigh_age(struct dp_lcore *lc)
{
	unsigned int i, j;

	for (i = 0; i < DP_NEIGH_SIZE; i++) {
		struct dp_neigh *n = &lc->neigh.e[i];

		if (n->state != DP_NEIGH_INCOMPLETE ||
		    lc->now_us < n->next_try_us)
			continue;
		if (n->tries >= DP_ARP_TRIES) {
			for (j = 0; j < n->n_pending; j++)
				dp_drop(lc, n->pending[j],
					DP_DROP_ARP_UNRESOLVED);
			memset(n, 0, sizeof(*n));
			continue;
		}
		n->tries++;
		n->next_try_us = lc->now_us + DP_ARP_RETRY_US;
		arp_send(lc, DP_ARP_OP_REQUEST, bcast_mac, zero_mac, n->ip);
	}
}

static struct rte_mbuf *
udp_frame(struct dp_lcore *lc, struct rte_mbuf *m, uint32_t dst_ip,
	  uint16_t dst_port, uint16_t src_port, uint16_t payload_len)
{
	struct dp_udp_hdr_args a;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	memset(a.dst_mac, 0, 6);
	memcpy(a.src_mac, g.port.mac, 6);
	a.src_ip = g.cfg.ip;
	a.dst_ip = dst_ip;
	a.src_port = src_port;
	a.dst_port = dst_port;
	a.payload_len = payload_len;
	a.ip_id = lc->ip_id++;
	a.ip_csum = !g.port.tx_csum;
	a.udp_csum = !g.port.tx_csum;
	dp_build_udp_hdrs(p, &a);
	m->l2_len = DP_ETH_HLEN;
	m->l3_len = DP_IPV4_HLEN;
	m->ol_flags = 0;
	if (g.port.tx_csum) {
		/* The NIC fills both sums; the UDP field holds the
		 * pseudo-header sum (DPDK's convention). */
		uint16_t ph = (uint16_t)~dp_csum_fold(
			dp_csum_pseudo(a.src_ip, a.dst_ip, DP_IPPROTO_UDP,
				       (uint16_t)(DP_UDP_HLEN + payload_len)));

		p[DP_ETH_HLEN + DP_IPV4_HLEN + 6] = (uint8_t)(ph >> 8);
		p[DP_ETH_HLEN + DP_IPV4_HLEN + 7] = (uint8_t)ph;
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
			      RTE_MBUF_F_TX_UDP_CKSUM;
	}
	/* Pad runts so every PMD sends a legal frame. */
	if (rte_pktmbuf_pkt_len(m) < DP_ETH_MIN_FRAME) {
		uint16_t pad =
			(uint16_t)(DP_ETH_MIN_FRAME - rte_pktmbuf_pkt_len(m));
		char *z = rte_pktmbuf_append(m, pad);

		if (z != NULL)
			memset(z, 0, pad);
	}
	lc->st.udp_tx++;
	return m;
}

int
dp_udp_send(struct dp_lcore *lc, uint32_t dst_ip, uint16_t dst_port,
	    uint16_t src_port, const struct dp_iov *iov, unsigned int n_iov)
{
	struct rte_mbuf *m;
	uint32_t total = 0;
	unsigned int i;
	uint8_t *p;

	for (i = 0; i < n_iov; i++)
		total += iov[i].len;
	if (total + DP_IPV4_HLEN + DP_UDP_HLEN > g.cfg.mtu)
		return -EMSGSIZE;
	m = rte_pktmbuf_alloc(lc->pool);
	if (unlikely(m == NULL)) {
		dp_drop(lc, NULL, DP_DROP_NO_MBUF);
		return -ENOBUFS;
	}
	p = (uint8_t *)rte_pktmbuf_append(m,
					  (uint16_t)(DP_UDP_HEADROOM + total));
	if (unlikely(p == NULL)) {
		dp_drop(lc, m, DP_DROP_NO_MBUF);
		return -EMSGSIZE;
	}
	p += DP_UDP_HEADROOM;
	for (i = 0; i < n_iov; i++) {
		memcpy(p, iov[i].base, iov[i].len);
		p += iov[i].len;
	}
	udp_frame(lc, m, dst_ip, dst_port, src_port, (uint16_t)total);
	return route_and_send(lc, m, dst_ip);
}

int
dp_udp_send1(struct dp_lcore *lc, uint32_t dst_ip, uint16_t dst_port,
	     uint16_t src_port, const void *payload, uint16_t len)
{
	struct dp_iov v = {payload, len};

	return dp_udp_send(lc, dst_ip, dst_port, src_port, &v, 1);
}

int
dp_udp_send_mbuf(struct dp_lcore *lc, uint32_t dst_ip, uint16_t dst_port,
		 uint16_t src_port, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (len + DP_IPV4_HLEN + DP_UDP_HLEN > g.cfg.mtu) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) != 0) {
		dp_drop(lc, m, DP_DROP_NO_MBUF);
		return -ENOBUFS;
	}
	if (rte_pktmbuf_prepend(m, DP_UDP_HEADROOM) == NULL) {
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	udp_frame(lc, m, dst_ip, dst_port, src_port, (uint16_t)len);
	return route_and_send(lc, m, dst_ip);
}

/* ------------------------------------------------------------------ */
/* receive side                                                        */
/* ------------------------------------------------------------------ */

static void
arp_input(struct dp_lcore *lc, struct rte_mbuf *m, const uint8_t *p, size_t len)
{
	struct dp_arp_view a;
	enum dp_drop_reason r;
	struct dp_neigh *n;

	lc->st.arp_rx++;
	r = dp_parse_arp(p, len, &a);
	if (r != DP_DROP_NONE) {
		dp_drop(lc, m, r);
		return;
	}
	if (unlikely(lc->fault.n_partition > 0) &&
	    dp_fault_partitioned(&lc->fault, a.spa)) {
		dp_drop(lc, m, DP_DROP_FAULT_PARTITION);
		return;
	}
	if (a.tpa != g.cfg.ip) {
		/* Not for us; still refresh a neighbour we already know
		 * (gratuitous ARP after a MAC change). */
		n = dp_neigh_lookup(&lc->neigh, a.spa);
		if (n != NULL && a.spa != 0 && on_link(a.spa)) {
			dp_neigh_learn(&lc->neigh, a.spa, a.sha, lc->now_us,
				       evict_pending, lc);
			neigh_flush(lc, n);
		}
		dp_drop(lc, m, DP_DROP_ARP_NOT_OURS);
		return;
	}
	if (a.spa != 0 && on_link(a.spa) && a.spa != g.cfg.ip) {
		n = dp_neigh_learn(&lc->neigh, a.spa, a.sha, lc->now_us,
				   evict_pending, lc);
		neigh_flush(lc, n);
	}
	if (a.op == DP_ARP_OP_REQUEST)
		arp_send(lc, DP_ARP_OP_REPLY, a.sha, a.sha, a.spa);
	rte_pktmbuf_free(m);
}

static void
icmp_input(struct dp_lcore *lc, struct rte_mbuf *m, uint8_t *frame,
	   const struct dp_ipv4_view *ip)
{
	enum dp_drop_reason r;
	uint32_t flen;

	r = dp_parse_icmp(frame + DP_ETH_HLEN + ip->hlen,
			  (size_t)ip->total_len - ip->hlen);
	if (r == DP_DROP_NONE && ip->dst != g.cfg.ip)
		r = DP_DROP_IPV4_NOT_OURS; /* no replies to broadcast pings */
	if (r != DP_DROP_NONE) {
		dp_drop(lc, m, r);
		return;
	}
	lc->st.icmp_echo++;
	dp_icmp_echo_reply_inplace(frame, DP_ETH_HLEN, ip);
	/* Trim Ethernet padding beyond the IP datagram, but keep 60. */
	flen = DP_ETH_HLEN + (uint32_t)ip->total_len;
	if (rte_pktmbuf_pkt_len(m) > flen && flen >= DP_ETH_MIN_FRAME)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - flen));
	m->ol_flags = 0;
	tx_enqueue(lc, m, ip->src);
}

static void
udp_input(struct dp_lcore *lc, struct rte_mbuf *m, uint8_t *frame,
	  const struct dp_eth_view *eth, const struct dp_ipv4_view *ip)
{
	enum dp_csum_state cs = DP_CSUM_UNKNOWN;
	struct dp_udp_view u;
	struct dp_udp_meta meta;
	enum dp_drop_reason r;
	const uint8_t *udp = frame + DP_ETH_HLEN + ip->hlen;
	unsigned int i;

	if (g.port.rx_csum) {
		uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			cs = DP_CSUM_GOOD;
		else if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
			cs = DP_CSUM_BAD;
	}
	r = dp_parse_udp(udp, (size_t)ip->total_len - ip->hlen, ip->src,
			 ip->dst, cs, &u);
	if (r != DP_DROP_NONE) {
		dp_drop(lc, m, r);
		return;
	}
	for (i = 0; i < g.n_svc; i++)
		if (g.svc[i].port == u.dst_port)
			break;
	if (i == g.n_svc) {
		dp_drop(lc, m, DP_DROP_UDP_NO_SERVICE);
		return;
	}
	lc->st.udp_rx++;
	meta.src_ip = ip->src;
	meta.dst_ip = ip->dst;
	meta.src_port = u.src_port;
	meta.dst_port = u.dst_port;
	memcpy(meta.src_mac, eth->src, 6);
	meta.rx_tsc = lc->now_tsc;
	g.svc[i].fn(lc, g.svc[i].arg, &meta, udp + DP_UDP_HLEN, u.len, m);
	rte_pktmbuf_free(m);
}

static void
ipv4_input(struct dp_lcore *lc, struct rte_mbuf *m, uint8_t *frame, size_t len,
	   const struct dp_eth_view *eth)
{
	enum dp_csum_state cs = DP_CSUM_UNKNOWN;
	struct dp_ipv4_view ip;
	enum dp_drop_reason r;
	struct dp_neigh *n;

	if (g.port.rx_csum) {
		uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

		if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
			cs = DP_CSUM_GOOD;
		else if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD)
			cs = DP_CSUM_BAD;
	}
	r = dp_parse_ipv4(frame + DP_ETH_HLEN, len - DP_ETH_HLEN, cs, &ip);
	if (r == DP_DROP_NONE)
		r = dp_ipv4_accept(&ip, g.cfg.ip, g.cfg.netmask);
	if (r != DP_DROP_NONE) {
		dp_drop(lc, m, r);
		return;
	}
	if (unlikely(lc->fault.n_partition > 0) &&
	    dp_fault_partitioned(&lc->fault, ip.src)) {
		dp_drop(lc, m, DP_DROP_FAULT_PARTITION);
		return;
	}
	/* Glean the sender's MAC: replies then need no ARP round trip. */
	if (on_link(ip.src) && !(eth->src[0] & 1)) {
		n = dp_neigh_lookup(&lc->neigh, ip.src);
		if (n == NULL || n->state != DP_NEIGH_REACHABLE ||
		    memcmp(n->mac, eth->src, 6) != 0) {
			n = dp_neigh_learn(&lc->neigh, ip.src, eth->src,
					   lc->now_us, evict_pending, lc);
			neigh_flush(lc, n);
		} else {
			n->updated_us = lc->now_us; /* heard from: fresh */
		}
	}
	switch (ip.proto) {
	case DP_IPPROTO_UDP:
		udp_input(lc, m, frame, eth, &ip);
		break;
	case DP_IPPROTO_ICMP:
		icmp_input(lc, m, frame, &ip);
		break;
	default:
		dp_drop(lc, m, DP_DROP_IPV4_PROTO);
		break;
	}
}

static void
rx_process(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct dp_eth_view eth;
	enum dp_drop_reason r;
	uint8_t *frame;
	size_t len;

	if (unlikely(!rte_pktmbuf_is_contiguous(m)) &&
	    rte_pktmbuf_linearize(m) != 0) {
		dp_drop(lc, m, DP_DROP_NO_MBUF);
		return;
	}
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	len = rte_pktmbuf_data_len(m);
	r = dp_parse_eth(frame, len, g.port.mac, &eth);
	if (r != DP_DROP_NONE) {
		dp_drop(lc, m, r);
		return;
	}
	if (eth.type == DP_ETH_TYPE_ARP)
		arp_input(lc, m, frame + DP_ETH_HLEN, len - DP_ETH_HLEN);
	else
		ipv4_input(lc, m, frame, len, &eth);
}

static void
rx_release_held(struct dp_lcore *lc, bool force)
{
	struct rte_mbuf *m;

	while ((m = dp_hold_pop(&lc->rx_hold, lc->now_us, force)) != NULL) {
		if (force)
			dp_drop(lc, m, DP_DROP_SHUTDOWN);
		else
			rx_process(lc, m);
	}
}

/* Rx faults: drop, duplicate or hold back before anything is parsed. */
static void
rx_fault(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	switch (dp_fault_roll(&lc->rng, &lc->fault.rx)) {
	case DP_FAULT_DROP:
		dp_drop(lc, m, DP_DROP_FAULT_DROP);
		return;
	case DP_FAULT_HOLD:
		if (dp_hold_push(&lc->rx_hold, m, lc->fault.rx.hold,
				 lc->now_us + lc->fault.rx.delay_us) != 0)
			dp_drop(lc, m, DP_DROP_FAULT_HOLD_FULL);
		else
			lc->st.fault_held++;
		return;
	case DP_FAULT_DUP:
		c = rte_pktmbuf_copy(m, lc->pool, 0, UINT32_MAX);
		if (c != NULL) {
			lc->st.fault_dup++;
			rx_process(lc, c);
		}
		break;
	case DP_FAULT_PASS:
		break;
	}
	dp_hold_tick(&lc->rx_hold);
	rx_process(lc, m);
	rx_release_held(lc, false);
}

/* ------------------------------------------------------------------ */
/* fault settings                                                      */
/* ------------------------------------------------------------------ */

int
dp_fault_set(const struct dp_fault_config *f)
{
	if (dp_fault_check(f) != 0)
		return -EINVAL;
	rte_spinlock_lock(&g.fault_lock);
	g.fault = *f;
	rte_spinlock_unlock(&g.fault_lock);
	atomic_fetch_add_explicit(&g.fault_gen, 1, memory_order_release);
	return 0;
}

void
dp_fault_get(struct dp_fault_config *f)
{
	rte_spinlock_lock(&g.fault_lock);
	*f = g.fault;
	rte_spinlock_unlock(&g.fault_lock);
}

static void
fault_refresh(struct dp_lcore *lc)
{
	unsigned int gen =
		atomic_load_explicit(&g.fault_gen, memory_order_acquire);

	if (likely(gen == lc->fault_gen))
		return;
	if (!rte_spinlock_trylock(&g.fault_lock))
		return; /* next iteration */
	lc->fault = g.fault;
	rte_spinlock_unlock(&g.fault_lock);
	lc->fault_gen = gen;
	dp_rng_seed(&lc->rng, lc->fault.seed + lc->idx);
	lc->fault_rx_on = dp_fault_dir_active(&lc->fault.rx);
	lc->fault_tx_on = dp_fault_dir_active(&lc->fault.tx);
	if (lc->fault_rx_on || lc->fault_tx_on || lc->fault.n_partition)
		DP_LOG(NOTICE,
		       "fault injection ON: seed %" PRIu64
		       " rx drop %g dup %g reorder %g, tx drop %g dup %g "
		       "reorder %g, %u partitioned",
		       lc->fault.seed, lc->fault.rx.drop, lc->fault.rx.dup,
		       lc->fault.rx.reorder, lc->fault.tx.drop,
		       lc->fault.tx.dup, lc->fault.tx.reorder,
		       lc->fault.n_partition);
	else
		DP_LOG(INFO, "fault injection off");
}

/* ------------------------------------------------------------------ */
/* counters                                                            */
/* ------------------------------------------------------------------ */

void
dp_stats_get(struct dp_stats *s)
{
	unsigned int i, r;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < g.n_lcores; i++) {
		const volatile struct dp_stats *l = &g.lcores[i].st;

		s->rx_packets += l->rx_packets;
		s->rx_bytes += l->rx_bytes;
		s->tx_packets += l->tx_packets;
		s->tx_bytes += l->tx_bytes;
		s->arp_rx += l->arp_rx;
		s->arp_tx += l->arp_tx;
		s->arp_replies_sent += l->arp_replies_sent;
		s->arp_requests_sent += l->arp_requests_sent;
		s->icmp_echo += l->icmp_echo;
		s->udp_rx += l->udp_rx;
		s->udp_tx += l->udp_tx;
		s->fault_dup += l->fault_dup;
		s->fault_held += l->fault_held;
		s->loops += l->loops;
		s->idle_sleeps += l->idle_sleeps;
		s->drops_total += l->drops_total;
		for (r = 0; r < DP_DROP__COUNT; r++)
			s->drops[r] += l->drops[r];
	}
}

static void
print_stats(const char *why)
{
	struct dp_stats s;
	char buf[4096];

	dp_stats_get(&s);
	dp_stats_format(&s, buf, sizeof(buf));
	printf("dpzk.dp: stats (%s)\n%s", why, buf);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* idle policy                                                         */
/* ------------------------------------------------------------------ */

static void
intr_setup(struct dp_lcore *lc)
{
	int rc;

	if (lc->idle != DP_IDLE_INTERRUPT)
		return;
	if (!g.port.rx_intr) {
		lc->idle = DP_IDLE_ADAPTIVE;
		return;
	}
	rc = rte_eth_dev_rx_intr_ctl_q(lc->port, lc->rxq, RTE_EPOLL_PER_THREAD,
				       RTE_INTR_EVENT_ADD, NULL);
	if (rc != 0) {
		DP_LOG(NOTICE,
		       "idle=interrupt: Rx interrupt setup failed (%s); "
		       "falling back to adaptive",
		       rte_strerror(-rc));
		lc->idle = DP_IDLE_ADAPTIVE;
		return;
	}
	lc->intr_ready = true;
	DP_LOG(NOTICE, "idle=interrupt: sleeping on Rx interrupts");
}

static void
idle_sleep(struct dp_lcore *lc)
{
	const struct dp_config *c = &g.cfg;
	struct timespec ts;

	if (lc->n_tx > 0) {
		dp_tx_flush(lc);
		return;
	}
	lc->st.idle_sleeps++;
	if (lc->intr_ready) {
		struct rte_epoll_event ev;
		int timeout_ms = (int)((c->timer_us + 999) / 1000);

		if (rte_eth_dev_rx_intr_enable(lc->port, lc->rxq) == 0) {
			/* A packet may have come before the arm. */
			if (rte_eth_rx_queue_count(lc->port, lc->rxq) <= 0)
				rte_epoll_wait(RTE_EPOLL_PER_THREAD, &ev, 1,
					       timeout_ms);
			rte_eth_dev_rx_intr_disable(lc->port, lc->rxq);
			return;
		}
	}
	lc->sleep_us = lc->sleep_us == 0 ? 1 : lc->sleep_us * 2;
	if (lc->sleep_us > c->idle_sleep_max_us)
		lc->sleep_us = c->idle_sleep_max_us;
	if (lc->sleep_us > c->timer_us)
		lc->sleep_us = c->timer_us;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)lc->sleep_us * 1000;
	nanosleep(&ts, NULL);
}

static inline void
idle(struct dp_lcore *lc, unsigned int work)
{
	const struct dp_config *c = &g.cfg;

	if (work != 0) {
		lc->empty_polls = 0;
		lc->sleep_us = 0;
		return;
	}
	if (lc->idle == DP_IDLE_SPIN)
		return;
	lc->empty_polls++;
	if (lc->empty_polls <= c->idle_spin_polls)
		return;
	if (lc->empty_polls <= c->idle_spin_polls + c->idle_pause_polls) {
		rte_pause();
		return;
	}
	idle_sleep(lc);
}

/* ------------------------------------------------------------------ */
/* the loop                                                            */
/* ------------------------------------------------------------------ */

static void
lcore_loop(struct dp_lcore *lc)
{
	struct rte_mbuf *pkts[DP_RX_BURST];
	const uint64_t drain_tsc = g.tsc_per_us * g.cfg.tx_drain_us;
	const uint64_t timer_tsc = g.tsc_per_us * g.cfg.timer_us;
	const uint64_t hk_tsc = g.tsc_per_us * DP_HOUSEKEEP_US;
	uint64_t next_timer, next_hk, garp_next_us;
	unsigned int i, work, garp_sent;
	uint16_t nb, k;

	lc->now_tsc = rte_rdtsc();
	lc->now_us = (lc->now_tsc - g.tsc_base) / g.tsc_per_us;
	next_timer = lc->now_tsc + timer_tsc;
	next_hk = lc->now_tsc + hk_tsc;
	intr_setup(lc);
	fault_refresh(lc);
	/* Gratuitous ARP: tell the segment where our address lives (a few
	 * times: the port may join its bridge or switch a moment later, and
	 * peers must replace the MAC of our previous life). */
	arp_send(lc, DP_ARP_OP_REQUEST, bcast_mac, zero_mac, g.cfg.ip);
	dp_tx_flush(lc);
	garp_sent = 1;
	garp_next_us = lc->now_us + 1000000;

	while (!force_quit) {
		lc->now_tsc = rte_rdtsc();
		lc->now_us = (lc->now_tsc - g.tsc_base) / g.tsc_per_us;
		lc->st.loops++;
		fault_refresh(lc);

		if (lc->n_tx > 0 && lc->now_tsc - lc->tx_first_tsc > drain_tsc)
			dp_tx_flush(lc);

		nb = rte_eth_rx_burst(lc->port, lc->rxq, pkts, DP_RX_BURST);
		work = nb;
		if (nb > 0) {
			lc->st.rx_packets += nb;
			for (k = 0; k < nb && k < 4; k++)
				rte_prefetch0(
					rte_pktmbuf_mtod(pkts[k], void *));
			for (k = 0; k < nb; k++) {
				if (k + 4 < nb)
					rte_prefetch0(rte_pktmbuf_mtod(
						pkts[k + 4], void *));
				lc->st.rx_bytes += rte_pktmbuf_pkt_len(pkts[k]);
				if (unlikely(lc->fault_rx_on))
					rx_fault(lc, pkts[k]);
				else
					rx_process(lc, pkts[k]);
			}
		}
		if (unlikely(lc->rx_hold.n > 0)) {
			rx_release_held(lc, false);
			work++;
		}
		if (unlikely(lc->tx_hold.n > 0)) {
			tx_release_held(lc, false);
			work++;
		}
		for (i = 0; i < g.n_hooks; i++)
			if (g.hooks[i].poll != NULL)
				work += g.hooks[i].poll(lc, g.hooks[i].arg);
		/* Replies to this burst go now; hook output may wait. */
		if (nb > 0)
			dp_tx_flush(lc);

		if (lc->now_tsc >= next_timer) {
			next_timer += timer_tsc;
			if (next_timer < lc->now_tsc)
				next_timer = lc->now_tsc + timer_tsc;
			for (i = 0; i < g.n_hooks; i++)
				if (g.hooks[i].timer != NULL)
					g.hooks[i].timer(lc, g.hooks[i].arg,
							 lc->now_us);
		}
		if (lc->now_tsc >= next_hk) {
			next_hk = lc->now_tsc + hk_tsc;
			neigh_age(lc);
			if (garp_sent < DP_GARP_COUNT &&
			    lc->now_us >= garp_next_us) {
				arp_send(lc, DP_ARP_OP_REQUEST, bcast_mac,
					 zero_mac, g.cfg.ip);
				garp_next_us =
					lc->now_us + (1000000ull << garp_sent);
				garp_sent++;
			}
			if (dump_stats) {
				dump_stats = 0;
				print_stats("SIGUSR1");
			}
		}
		idle(lc, work);
	}

	for (i = 0; i < g.n_hooks; i++)
		if (g.hooks[i].shutdown != NULL)
			g.hooks[i].shutdown(lc, g.hooks[i].arg);
	rx_release_held(lc, true);
	tx_release_held(lc, true);
	dp_tx_flush(lc);
	for (i = 0; i < DP_NEIGH_SIZE; i++) {
		struct dp_neigh *n = &lc->neigh.e[i];

		for (k = 0; k < n->n_pending; k++)
			dp_drop(lc, n->pending[k], DP_DROP_SHUTDOWN);
		n->n_pending = 0;
	}
}

/* ------------------------------------------------------------------ */
/* life cycle                                                          */
/* ------------------------------------------------------------------ */

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump_stats = 1;
	else
		force_quit = 1;
}

int
dp_udp_register(uint16_t port, dp_udp_handler_fn fn, void *arg)
{
	unsigned int i;

	if (fn == NULL || port == 0)
		return -EINVAL;
	for (i = 0; i < g.n_svc; i++)
		if (g.svc[i].port == port)
			return -EEXIST;
	if (g.n_svc == DP_MAX_SERVICES)
		return -ENOSPC;
	g.svc[g.n_svc].port = port;
	g.svc[g.n_svc].fn = fn;
	g.svc[g.n_svc].arg = arg;
	g.n_svc++;
	return 0;
}

int
dp_hooks_register(const struct dp_hooks *h)
{
	if (g.n_hooks == DP_MAX_HOOKS)
		return -ENOSPC;
	g.hooks[g.n_hooks++] = *h;
	return 0;
}

int
dp_init(const struct dp_config *c)
{
	struct dp_eal_args a;
	struct sigaction sa;
	char why[256];
	uint64_t huge_mb;
	int rc, i;

	if (g.eal_up)
		return -EALREADY;
	if (dp_config_validate(c, why, sizeof(why)) != 0) {
		fprintf(stderr, "dpzk.dp: %s\n", why);
		return -EINVAL;
	}
	g.cfg = *c;
	huge_mb = dp_huge_free_mb();
	rc = dp_eal_argv(c, huge_mb, &a);
	if (rc != 0) {
		fprintf(stderr, "dpzk.dp: EAL arguments too long\n");
		return rc;
	}
	rc = rte_eal_init(a.argc, a.argv);
	if (rc < 0) {
		rc = -rte_errno;
		fprintf(stderr, "dpzk.dp: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		return rc ? rc : -EIO;
	}
	g.eal_up = true;
	if (a.use_huge)
		DP_LOG(NOTICE,
		       "memory: hugepages, %u MiB (%" PRIu64
		       " MiB of hugepages were free)",
		       c->mem_mb, huge_mb);
	else
		DP_LOG(NOTICE,
		       "memory: --no-huge, %u MiB of ordinary pages (%s)",
		       c->mem_mb,
		       c->huge == DP_HUGE_OFF ? "huge=off"
					      : "not enough hugepages free");
	for (i = 0; i < a.argc; i++)
		DP_LOG(DEBUG, "EAL arg %d: %s", i, a.argv[i]);

	g.tsc_hz = rte_get_tsc_hz();
	g.tsc_per_us = g.tsc_hz / 1000000;
	if (g.tsc_per_us == 0)
		g.tsc_per_us = 1;
	g.tsc_base = rte_rdtsc();

	rc = dp_port_start(c, &g.port);
	if (rc != 0)
		return rc;
	g.port_up = true;

	g.n_lcores = 1;
	g.lcores =
		rte_zmalloc("dp_lcores", sizeof(struct dp_lcore) * g.n_lcores,
			    RTE_CACHE_LINE_SIZE);
	if (g.lcores == NULL)
		return -ENOMEM;
	for (i = 0; i < (int)g.n_lcores; i++) {
		struct dp_lcore *lc = &g.lcores[i];

		lc->idx = (unsigned int)i;
		lc->port = g.port.port_id;
		lc->rxq = (uint16_t)i;
		lc->txq = (uint16_t)i;
		lc->pool = g.port.pool;
		lc->idle = c->idle;
		lc->ip_id = (uint16_t)(rte_rdtsc() & 0xffff);
		dp_neigh_init(&lc->neigh);
		lc->fault_gen = UINT32_MAX;
	}
	dp_fault_set(&c->fault);

	/* Adaptive sleeps must be short: trim the kernel's timer slack. */
	if (c->idle != DP_IDLE_SPIN)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	rc = dp_telemetry_register();
	if (rc != 0)
		DP_LOG(WARNING, "telemetry commands not registered (%d)", rc);
	DP_LOG(NOTICE, "ip %u.%u.%u.%u/%u lcore %u idle %s timer %u us",
	       c->ip >> 24, (c->ip >> 16) & 255, (c->ip >> 8) & 255,
	       c->ip & 255, (unsigned int)__builtin_popcount(c->netmask),
	       rte_lcore_id(),
	       c->idle == DP_IDLE_SPIN	     ? "spin"
	       : c->idle == DP_IDLE_ADAPTIVE ? "adaptive"
					     : "interrupt",
	       c->timer_us);
	return 0;
}

int
dp_run(void)
{
	if (!g.port_up)
		return -ENODEV;
	DP_LOG(INFO, "polling (%u UDP services, %u hooks)", g.n_svc, g.n_hooks);
	lcore_loop(&g.lcores[0]);
	DP_LOG(INFO, "loop stopped");
	print_stats("exit");
	return 0;
}

void
dp_fini(void)
{
	if (g.port_up) {
		dp_port_stop(&g.port);
		g.port_up = false;
	}
	if (g.lcores != NULL) {
		/* Keep the counters readable until EAL goes away. */
		g.n_lcores = 0;
		rte_free(g.lcores);
		g.lcores = NULL;
	}
	if (g.eal_up) {
		rte_eal_cleanup();
		g.eal_up = false;
	}
}
