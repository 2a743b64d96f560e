/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_priv.h — dataplane internals shared by its files and its unit tests:
 * the pure packet parsers and builders (dp_pkt.c), the neighbour cache
 * (dp_arp.c), the fault dice and hold queue (dp_fault.c), and the per-lcore
 * state of the loop (dp_main.c).
 *
 * Why it is built this way: everything that decides what happens to a
 * packet is a pure function over bytes or over plain structs, so the unit
 * tests feed it malformed frames without EAL, mbufs or a NIC; only
 * dp_main.c, dp_eal.c and dp_stats.c touch DPDK objects.
 */
#ifndef DPZK_DP_PRIV_H
#define DPZK_DP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"

/* ------------------------------------------------------------------ */
/* Wire constants                                                      */
/* ------------------------------------------------------------------ */

#define DP_ETH_HLEN	     14
#define DP_ETH_TYPE_IPV4     0x0800
#define DP_ETH_TYPE_ARP	     0x0806
#define DP_ARP_LEN	     28
#define DP_IPV4_HLEN	     20
#define DP_UDP_HLEN	     8
#define DP_ICMP_HLEN	     8
#define DP_IPPROTO_ICMP	     1
#define DP_IPPROTO_UDP	     17
#define DP_ARP_OP_REQUEST    1
#define DP_ARP_OP_REPLY	     2
#define DP_ICMP_ECHO_REQUEST 8
#define DP_ICMP_ECHO_REPLY   0
#define DP_ETH_MIN_FRAME     60 /* without FCS */

/* What the NIC already checked (mbuf offload flags), per checksum. */
enum dp_csum_state {
	DP_CSUM_UNKNOWN, /* verify in software */
	DP_CSUM_GOOD,
	DP_CSUM_BAD,
};

/* ------------------------------------------------------------------ */
/* Pure parsers (dp_pkt.c).  Each returns DP_DROP_NONE or the reason.  */
/* ------------------------------------------------------------------ */

struct dp_eth_view {
	uint8_t dst[6], src[6];
	uint16_t type;
	bool broadcast;
};

/* Ethernet II; dst must be our_mac or broadcast. */
enum dp_drop_reason dp_parse_eth(const uint8_t *p, size_t len,
				 const uint8_t our_mac[6],
				 struct dp_eth_view *v);

struct dp_arp_view {
	uint16_t op;
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa; /* host order */
};

/* ARP for IPv4 over Ethernet, request or reply (p = after Ethernet). */
enum dp_drop_reason dp_parse_arp(const uint8_t *p, size_t len,
				 struct dp_arp_view *v);

struct dp_ipv4_view {
	uint32_t src, dst; /* host order */
	uint8_t proto, ttl;
	uint16_t hlen;	    /* header bytes (IHL * 4) */
	uint16_t total_len; /* from the header; bytes after it are padding */
};

/* IPv4 header (p = after Ethernet, len = bytes available). */
enum dp_drop_reason dp_parse_ipv4(const uint8_t *p, size_t len,
				  enum dp_csum_state csum,
				  struct dp_ipv4_view *v);

/* Is this datagram for us?  dst = our ip, or limited/subnet broadcast;
 * src must be a plausible unicast.  IPV4_NOT_OURS / IPV4_SRC. */
enum dp_drop_reason dp_ipv4_accept(const struct dp_ipv4_view *v,
				   uint32_t our_ip, uint32_t netmask);

/* ICMP (p = IP payload, len = total_len - hlen): echo request only. */
enum dp_drop_reason dp_parse_icmp(const uint8_t *p, size_t len);

struct dp_udp_view {
	uint16_t src_port, dst_port;
	uint16_t len; /* payload bytes */
	uint16_t csum;
};

/* UDP (p = IP payload, len = total_len - hlen); checksum verified when
 * nonzero against the pseudo-header of src/dst (host order). */
enum dp_drop_reason dp_parse_udp(const uint8_t *p, size_t len, uint32_t src,
				 uint32_t dst, enum dp_csum_state csum,
				 struct dp_udp_view *v);

/* Internet checksum pieces (RFC 1071); sum is host-order 32-bit. */
uint32_t dp_csum_add(uint32_t sum, const void *p, size_t len);
/* Fold and complement: the checksum to store (host order; write it
 * big-endian).  Over a block that includes its checksum it is 0 when the
 * block is intact. */
uint16_t dp_csum_fold(uint32_t sum);
uint32_t dp_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
			uint16_t len);

/* ------------------------------------------------------------------ */
/* Pure builders                                                       */
/* ------------------------------------------------------------------ */

struct dp_udp_hdr_args {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	uint16_t payload_len;
	uint16_t ip_id;
	bool ip_csum;  /* fill the IPv4 checksum (false: offloaded) */
	bool udp_csum; /* fill the UDP checksum over the payload that follows
			  the headers (false: 0 or offloaded) */
};

/* Write 42 bytes of Ethernet/IPv4/UDP into buf; the payload must already
 * follow at buf + 42 when udp_csum is set. */
void dp_build_udp_hdrs(uint8_t *buf, const struct dp_udp_hdr_args *a);

/* Write a 42-byte ARP frame (caller pads to 60 if it wants). */
void dp_build_arp(uint8_t *buf, uint16_t op, const uint8_t eth_dst[6],
		  const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
		  uint32_t tpa);

/* Turn a parsed echo request frame into its reply in place: swap MACs and
 * addresses, TTL 64, ICMP type 0, both checksums updated. */
void dp_icmp_echo_reply_inplace(uint8_t *frame, size_t ip_off,
				const struct dp_ipv4_view *v);

/* ------------------------------------------------------------------ */
/* Neighbour cache (dp_arp.c; pure: pending items are opaque)          */
/* ------------------------------------------------------------------ */

#define DP_NEIGH_SIZE	 256 /* power of two */
#define DP_NEIGH_PROBE	 8
#define DP_NEIGH_PENDING 8 /* packets waiting for one neighbour */
#define DP_ARP_RETRY_US	 200000
#define DP_ARP_TRIES	 5

enum dp_neigh_state { DP_NEIGH_FREE, DP_NEIGH_INCOMPLETE, DP_NEIGH_REACHABLE };

struct dp_neigh {
	uint32_t ip;
	uint8_t mac[6];
	uint8_t state;
	uint8_t tries;
	uint8_t n_pending;
	uint64_t updated_us;
	uint64_t next_try_us;
	void *pending[DP_NEIGH_PENDING];
};

struct dp_neigh_table {
	struct dp_neigh e[DP_NEIGH_SIZE];
};

void dp_neigh_init(struct dp_neigh_table *t);
/* Entry for ip or NULL. */
struct dp_neigh *dp_neigh_lookup(struct dp_neigh_table *t, uint32_t ip);
/*
 * Find or make the entry for ip.  When the probe window is full the least
 * recently updated entry is reused: its pending items are handed to
 * evict(item, arg) first.
 */
struct dp_neigh *dp_neigh_get(struct dp_neigh_table *t, uint32_t ip,
			      uint64_t now_us, void (*evict)(void *, void *),
			      void *arg);
/* Learn ip → mac (ARP or gleaned).  Returns the entry (now reachable). */
struct dp_neigh *dp_neigh_learn(struct dp_neigh_table *t, uint32_t ip,
				const uint8_t mac[6], uint64_t now_us,
				void (*evict)(void *, void *), void *arg);

/* ------------------------------------------------------------------ */
/* Fault dice and hold queue (dp_fault.c; pure)                         */
/* ------------------------------------------------------------------ */

struct dp_rng {
	uint64_t s[4];
};

void dp_rng_seed(struct dp_rng *r, uint64_t seed);
uint64_t dp_rng_next(struct dp_rng *r);
double dp_rng_unit(struct dp_rng *r); /* [0, 1) */

enum dp_fault_verdict {
	DP_FAULT_PASS,
	DP_FAULT_DROP,
	DP_FAULT_DUP,
	DP_FAULT_HOLD,
};

enum dp_fault_verdict dp_fault_roll(struct dp_rng *r,
				    const struct dp_fault_dir *d);
bool dp_fault_dir_active(const struct dp_fault_dir *d);
bool dp_fault_partitioned(const struct dp_fault_config *f, uint32_t ip);
int dp_fault_check(const struct dp_fault_config *f);

#define DP_HOLD_MAX 64

struct dp_hold_slot {
	void *item;
	uint32_t after;
	uint64_t deadline_us;
};

struct dp_hold {
	struct dp_hold_slot s[DP_HOLD_MAX];
	unsigned int n;
};

/* Hold an item; -ENOSPC when full. */
int dp_hold_push(struct dp_hold *h, void *item, uint32_t after,
		 uint64_t deadline_us);
/* One more packet went by: every held item's countdown decreases. */
void dp_hold_tick(struct dp_hold *h);
/* Remove and return one item that is due (countdown 0 or deadline
 * passed), oldest first; NULL when none.  force: any item (draining). */
void *dp_hold_pop(struct dp_hold *h, uint64_t now_us, bool force);

/* ------------------------------------------------------------------ */
/* Stats                                                               */
/* ------------------------------------------------------------------ */

/* Register /dpzk/stats, /dpzk/drops, /dpzk/fault with telemetry. */
int dp_telemetry_register(void);

#endif /* DPZK_DP_PRIV_H */
