/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_pkt.c — Ethernet, ARP, IPv4, ICMP and UDP parsers and builders as pure
 * functions over byte buffers.
 *
 * Why it is built this way: every byte that arrives from the wire is
 * checked here before anything else reads it, and each check maps to one
 * drop reason, so a malformed frame costs a counter increment and nothing
 * else.  Fields are read with explicit big-endian loads from byte offsets
 * (never by casting the buffer to a struct), which keeps the code free of
 * alignment and aliasing assumptions and lets the unit tests hand it any
 * buffer.  No DPDK here: the loop in dp_main.c passes mbuf data pointers.
 */
#include <string.h>

#include "dataplane/dp_priv.h"

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

uint32_t
dp_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	while (len >= 2) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t
dp_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t
dp_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint64_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) +
		     (dst & 0xffff) + proto + len;

	return (uint32_t)((s & 0xffffffffu) + (s >> 32));
}

enum dp_drop_reason
dp_parse_eth(const uint8_t *p, size_t len, const uint8_t our_mac[6],
	     struct dp_eth_view *v)
{
	if (len < DP_ETH_HLEN)
		return DP_DROP_ETH_SHORT;
	memcpy(v->dst, p, 6);
	memcpy(v->src, p + 6, 6);
	v->type = rd16(p + 12);
	v->broadcast = memcmp(v->dst, bcast_mac, 6) == 0;
	if (!v->broadcast && memcmp(v->dst, our_mac, 6) != 0)
		return DP_DROP_ETH_NOT_OURS;
	if (v->type != DP_ETH_TYPE_IPV4 && v->type != DP_ETH_TYPE_ARP)
		return DP_DROP_ETH_TYPE;
	return DP_DROP_NONE;
}

enum dp_drop_reason
dp_parse_arp(const uint8_t *p, size_t len, struct dp_arp_view *v)
{
	if (len < DP_ARP_LEN)
		return DP_DROP_ARP_SHORT;
	if (rd16(p) != 1 || rd16(p + 2) != DP_ETH_TYPE_IPV4 || p[4] != 6 ||
	    p[5] != 4)
		return DP_DROP_ARP_FORMAT;
	v->op = rd16(p + 6);
	if (v->op != DP_ARP_OP_REQUEST && v->op != DP_ARP_OP_REPLY)
		return DP_DROP_ARP_OP;
	memcpy(v->sha, p + 8, 6);
	v->spa = rd32(p + 14);
	memcpy(v->tha, p + 18, 6);
	v->tpa = rd32(p + 24);
	/* A sender claiming a broadcast/multicast MAC is bogus. */
	if (v->sha[0] & 1)
		return DP_DROP_ARP_FORMAT;
	return DP_DROP_NONE;
}

enum dp_drop_reason
dp_parse_ipv4(const uint8_t *p, size_t len, enum dp_csum_state csum,
	      struct dp_ipv4_view *v)
{
	uint16_t frag;

	if (len < DP_IPV4_HLEN)
		return DP_DROP_IPV4_SHORT;
	if ((p[0] >> 4) != 4)
		return DP_DROP_IPV4_VERSION;
	v->hlen = (uint16_t)((p[0] & 0xf) * 4);
	if (v->hlen < DP_IPV4_HLEN)
		return DP_DROP_IPV4_IHL;
	if (v->hlen > len)
		return DP_DROP_IPV4_SHORT;
	v->total_len = rd16(p + 2);
	if (v->total_len < v->hlen || v->total_len > len)
		return DP_DROP_IPV4_LEN;
	if (csum == DP_CSUM_BAD ||
	    (csum == DP_CSUM_UNKNOWN &&
	     dp_csum_fold(dp_csum_add(0, p, v->hlen)) != 0))
		return DP_DROP_IPV4_CSUM;
	frag = rd16(p + 6);
	if (frag & 0x3fff) /* MF or a fragment offset */
		return DP_DROP_IPV4_FRAG;
	v->ttl = p[8];
	if (v->ttl == 0)
		return DP_DROP_IPV4_TTL;
	v->proto = p[9];
	v->src = rd32(p + 12);
	v->dst = rd32(p + 16);
	return DP_DROP_NONE;
}

enum dp_drop_reason
dp_ipv4_accept(const struct dp_ipv4_view *v, uint32_t our_ip, uint32_t netmask)
{
	uint32_t bcast = (our_ip & netmask) | ~netmask;
	uint32_t s = v->src;

	if (v->dst != our_ip && v->dst != 0xffffffffu && v->dst != bcast)
		return DP_DROP_IPV4_NOT_OURS;
	/* Sources we never answer: 0/8, loopback, multicast, class E,
	 * our own address and our subnet's broadcast. */
	if ((s >> 24) == 0 || (s >> 24) == 127 || (s >> 28) >= 0xe ||
	    s == our_ip || s == bcast)
		return DP_DROP_IPV4_SRC;
	return DP_DROP_NONE;
}

enum dp_drop_reason
dp_parse_icmp(const uint8_t *p, size_t len)
{
	if (len < DP_ICMP_HLEN)
		return DP_DROP_ICMP_SHORT;
	if (dp_csum_fold(dp_csum_add(0, p, len)) != 0)
		return DP_DROP_ICMP_CSUM;
	if (p[0] != DP_ICMP_ECHO_REQUEST || p[1] != 0)
		return DP_DROP_ICMP_TYPE;
	return DP_DROP_NONE;
}

enum dp_drop_reason
dp_parse_udp(const uint8_t *p, size_t len, uint32_t src, uint32_t dst,
	     enum dp_csum_state csum, struct dp_udp_view *v)
{
	uint16_t ulen;

	if (len < DP_UDP_HLEN)
		return DP_DROP_UDP_SHORT;
	ulen = rd16(p + 4);
	if (ulen < DP_UDP_HLEN || ulen > len)
		return DP_DROP_UDP_LEN;
	v->src_port = rd16(p);
	v->dst_port = rd16(p + 2);
	v->csum = rd16(p + 6);
	v->len = (uint16_t)(ulen - DP_UDP_HLEN);
	if (v->csum != 0) {
		if (csum == DP_CSUM_BAD)
			return DP_DROP_UDP_CSUM;
		if (csum == DP_CSUM_UNKNOWN) {
			uint32_t s =
				dp_csum_pseudo(src, dst, DP_IPPROTO_UDP, ulen);

			if (dp_csum_fold(dp_csum_add(s, p, ulen)) != 0)
				return DP_DROP_UDP_CSUM;
		}
	}
	return DP_DROP_NONE;
}

void
dp_build_udp_hdrs(uint8_t *buf, const struct dp_udp_hdr_args *a)
{
	uint8_t *ip = buf + DP_ETH_HLEN;
	uint8_t *udp = ip + DP_IPV4_HLEN;
	uint16_t ulen = (uint16_t)(DP_UDP_HLEN + a->payload_len);

	memcpy(buf, a->dst_mac, 6);
	memcpy(buf + 6, a->src_mac, 6);
	wr16(buf + 12, DP_ETH_TYPE_IPV4);

	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)(DP_IPV4_HLEN + ulen));
	wr16(ip + 4, a->ip_id);
	wr16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = DP_IPPROTO_UDP;
	wr16(ip + 10, 0);
	wr32(ip + 12, a->src_ip);
	wr32(ip + 16, a->dst_ip);
	if (a->ip_csum)
		wr16(ip + 10, dp_csum_fold(dp_csum_add(0, ip, DP_IPV4_HLEN)));

	wr16(udp, a->src_port);
	wr16(udp + 2, a->dst_port);
	wr16(udp + 4, ulen);
	wr16(udp + 6, 0);
	if (a->udp_csum) {
		uint32_t s = dp_csum_pseudo(a->src_ip, a->dst_ip,
					    DP_IPPROTO_UDP, ulen);
		uint16_t c = dp_csum_fold(dp_csum_add(s, udp, ulen));

		wr16(udp + 6, c == 0 ? 0xffff : c);
	}
}

void
dp_build_arp(uint8_t *buf, uint16_t op, const uint8_t eth_dst[6],
	     const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
	     uint32_t tpa)
{
	uint8_t *a = buf + DP_ETH_HLEN;

	memcpy(buf, eth_dst, 6);
	memcpy(buf + 6, sha, 6);
	wr16(buf + 12, DP_ETH_TYPE_ARP);
	wr16(a, 1);
	wr16(a + 2, DP_ETH_TYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, sha, 6);
	wr32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	wr32(a + 24, tpa);
}

void
dp_icmp_echo_reply_inplace(uint8_t *frame, size_t ip_off,
			   const struct dp_ipv4_view *v)
{
	uint8_t tmp[6];
	uint8_t *ip = frame + ip_off;
	uint8_t *icmp = ip + v->hlen;
	size_t ilen = (size_t)v->total_len - v->hlen;

	memcpy(tmp, frame, 6);
	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, tmp, 6);

	wr32(ip + 12, v->dst);
	wr32(ip + 16, v->src);
	ip[8] = 64;
	wr16(ip + 10, 0);
	wr16(ip + 10, dp_csum_fold(dp_csum_add(0, ip, v->hlen)));

	icmp[0] = DP_ICMP_ECHO_REPLY;
	wr16(icmp + 2, 0);
	wr16(icmp + 2, dp_csum_fold(dp_csum_add(0, icmp, ilen)));
}
