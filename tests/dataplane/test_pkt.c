/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pkt.c — the dataplane's pure parsers and builders against good and
 * malformed Ethernet, ARP, IPv4, ICMP and UDP frames.
 *
 * Each malformed case maps to exactly one drop reason; a good frame built
 * with the builders must parse back to what was put in.  No EAL needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/dp_priv.h"

static const uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 0x11};
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define OUR_IP	0xc612000bu /* 198.18.0.11 */
#define PEER_IP 0xc6120001u /* 198.18.0.1 */
#define MASK	0xffffff00u

/* A good UDP frame from peer to us with `plen` payload bytes. */
static size_t
udp_frame(uint8_t *buf, uint16_t plen)
{
	struct dp_udp_hdr_args a;
	uint16_t i;

	memset(&a, 0, sizeof(a));
	memcpy(a.src_mac, peer_mac, 6);
	memcpy(a.dst_mac, our_mac, 6);
	a.src_ip = PEER_IP;
	a.dst_ip = OUR_IP;
	a.src_port = 40000;
	a.dst_port = 2181;
	a.payload_len = plen;
	a.ip_id = 7;
	a.ip_csum = true;
	a.udp_csum = true;
	for (i = 0; i < plen; i++)
		buf[42 + i] = (uint8_t)(i + 1);
	dp_build_udp_hdrs(buf, &a);
	return 42u + plen;
}

/* Recompute the IPv4 header checksum after a test edits the header. */
static void
fix_ip_csum(uint8_t *ip)
{
	uint16_t hl = (uint16_t)((ip[0] & 0xf) * 4), c;

	ip[10] = ip[11] = 0;
	c = dp_csum_fold(dp_csum_add(0, ip, hl));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/* Echo request from peer to us. */
static size_t
icmp_frame(uint8_t *buf)
{
	uint8_t *ip = buf + 14, *ic = ip + 20;
	uint16_t c;
	int i;

	memset(buf, 0, 128);
	memcpy(buf, our_mac, 6);
	memcpy(buf + 6, peer_mac, 6);
	buf[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 20 + 16;
	ip[8] = 64;
	ip[9] = DP_IPPROTO_ICMP;
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1;
	ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 11;
	fix_ip_csum(ip);
	ic[0] = DP_ICMP_ECHO_REQUEST;
	ic[4] = 0x12, ic[5] = 0x34, ic[7] = 1;
	for (i = 8; i < 16; i++)
		ic[i] = (uint8_t)i;
	c = dp_csum_fold(dp_csum_add(0, ic, 16));
	ic[2] = (uint8_t)(c >> 8);
	ic[3] = (uint8_t)c;
	return 14 + 36;
}

/* ---------------------------------------------------------------- */

static void
test_csum_matches_rfc1071_example(void **state)
{
	/* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
	const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(dp_csum_fold(dp_csum_add(0, b, sizeof(b))),
			 (uint16_t)~0xddf2);
}

static void
test_eth_short_frame_is_dropped(void **state)
{
	uint8_t b[13] = {0};
	struct dp_eth_view v;

	(void)state;
	assert_int_equal(dp_parse_eth(b, sizeof(b), our_mac, &v),
			 DP_DROP_ETH_SHORT);
}

static void
test_eth_other_unicast_is_not_ours(void **state)
{
	uint8_t b[64];
	struct dp_eth_view v;

	(void)state;
	udp_frame(b, 8);
	b[5] ^= 1;
	assert_int_equal(dp_parse_eth(b, 50, our_mac, &v),
			 DP_DROP_ETH_NOT_OURS);
}

static void
test_eth_unknown_type_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_eth_view v;

	(void)state;
	udp_frame(b, 8);
	b[12] = 0x86, b[13] = 0xdd; /* IPv6 */
	assert_int_equal(dp_parse_eth(b, 50, our_mac, &v), DP_DROP_ETH_TYPE);
	b[12] = 0x81, b[13] = 0x00; /* VLAN */
	assert_int_equal(dp_parse_eth(b, 50, our_mac, &v), DP_DROP_ETH_TYPE);
}

static void
test_eth_broadcast_is_accepted(void **state)
{
	uint8_t b[64];
	struct dp_eth_view v;

	(void)state;
	dp_build_arp(b, DP_ARP_OP_REQUEST, bcast, peer_mac, PEER_IP, bcast,
		     OUR_IP);
	assert_int_equal(dp_parse_eth(b, 42, our_mac, &v), DP_DROP_NONE);
	assert_true(v.broadcast);
	assert_int_equal(v.type, DP_ETH_TYPE_ARP);
}

static void
test_arp_request_round_trips(void **state)
{
	uint8_t b[64];
	struct dp_arp_view a;

	(void)state;
	dp_build_arp(b, DP_ARP_OP_REQUEST, bcast, peer_mac, PEER_IP, bcast,
		     OUR_IP);
	assert_int_equal(dp_parse_arp(b + 14, 28, &a), DP_DROP_NONE);
	assert_int_equal(a.op, DP_ARP_OP_REQUEST);
	assert_int_equal(a.spa, PEER_IP);
	assert_int_equal(a.tpa, OUR_IP);
	assert_memory_equal(a.sha, peer_mac, 6);
}

static void
test_arp_short_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_arp_view a;

	(void)state;
	dp_build_arp(b, DP_ARP_OP_REQUEST, bcast, peer_mac, PEER_IP, bcast,
		     OUR_IP);
	assert_int_equal(dp_parse_arp(b + 14, 27, &a), DP_DROP_ARP_SHORT);
}

static void
test_arp_wrong_hardware_or_lengths_is_bad_format(void **state)
{
	uint8_t b[64];
	struct dp_arp_view a;

	(void)state;
	dp_build_arp(b, DP_ARP_OP_REQUEST, bcast, peer_mac, PEER_IP, bcast,
		     OUR_IP);
	b[14 + 5] = 16; /* plen: IPv6 */
	assert_int_equal(dp_parse_arp(b + 14, 28, &a), DP_DROP_ARP_FORMAT);
	b[14 + 5] = 4;
	b[14 + 1] = 6; /* htype 6 */
	assert_int_equal(dp_parse_arp(b + 14, 28, &a), DP_DROP_ARP_FORMAT);
	b[14 + 1] = 1;
	b[14 + 8] = 0x01; /* multicast sender MAC */
	assert_int_equal(dp_parse_arp(b + 14, 28, &a), DP_DROP_ARP_FORMAT);
}

static void
test_arp_unknown_op_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_arp_view a;

	(void)state;
	dp_build_arp(b, 3 /* RARP */, bcast, peer_mac, PEER_IP, bcast, OUR_IP);
	assert_int_equal(dp_parse_arp(b + 14, 28, &a), DP_DROP_ARP_OP);
}

static void
test_ipv4_good_udp_frame_parses(void **state)
{
	uint8_t b[256];
	size_t n = udp_frame(b, 100);
	struct dp_ipv4_view ip;
	struct dp_udp_view u;

	(void)state;
	assert_int_equal(dp_parse_ipv4(b + 14, n - 14, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_NONE);
	assert_int_equal(ip.src, PEER_IP);
	assert_int_equal(ip.dst, OUR_IP);
	assert_int_equal(ip.proto, DP_IPPROTO_UDP);
	assert_int_equal(ip.hlen, 20);
	assert_int_equal(ip.total_len, 128);
	assert_int_equal(dp_ipv4_accept(&ip, OUR_IP, MASK), DP_DROP_NONE);
	assert_int_equal(dp_parse_udp(b + 34, ip.total_len - ip.hlen, ip.src,
				      ip.dst, DP_CSUM_UNKNOWN, &u),
			 DP_DROP_NONE);
	assert_int_equal(u.src_port, 40000);
	assert_int_equal(u.dst_port, 2181);
	assert_int_equal(u.len, 100);
	assert_int_equal(b[42], 1);
}

static void
test_ipv4_short_header_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	assert_int_equal(dp_parse_ipv4(b + 14, 19, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_SHORT);
}

static void
test_ipv4_version_6_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	b[14] = 0x65;
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_VERSION);
}

static void
test_ipv4_ihl_below_five_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	b[14] = 0x44;
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_IHL);
}

static void
test_ipv4_ihl_beyond_frame_is_short(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	b[14] = 0x4f; /* 60-byte header in a 36-byte datagram */
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_SHORT);
}

static void
test_ipv4_total_length_beyond_frame_is_bad_length(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	b[14 + 3] = 200;
	fix_ip_csum(b + 14);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_LEN);
	b[14 + 2] = 0, b[14 + 3] = 12; /* below the header */
	fix_ip_csum(b + 14);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_LEN);
}

static void
test_ipv4_ethernet_padding_is_ignored(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 2); /* 44 bytes, padded to 60 on the wire */
	memset(b + 44, 0xee, 16);
	assert_int_equal(dp_parse_ipv4(b + 14, 46, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_NONE);
	assert_int_equal(ip.total_len, 30);
}

static void
test_ipv4_bad_checksum_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	b[14 + 11] ^= 0x5a;
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_CSUM);
}

static void
test_ipv4_offload_verdicts_are_trusted(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_BAD, &ip),
			 DP_DROP_IPV4_CSUM);
	b[14 + 11] ^= 0x5a; /* the NIC said good: not recomputed */
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_GOOD, &ip),
			 DP_DROP_NONE);
}

static void
test_ipv4_fragments_are_dropped(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	b[14 + 6] = 0x20, b[14 + 7] = 0; /* MF */
	fix_ip_csum(b + 14);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_FRAG);
	b[14 + 6] = 0x00, b[14 + 7] = 0x10; /* offset 128 */
	fix_ip_csum(b + 14);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_FRAG);
	b[14 + 6] = 0x40, b[14 + 7] = 0; /* DF alone is fine */
	fix_ip_csum(b + 14);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_NONE);
}

static void
test_ipv4_ttl_zero_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_ipv4_view ip;

	(void)state;
	udp_frame(b, 8);
	b[14 + 8] = 0;
	fix_ip_csum(b + 14);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_IPV4_TTL);
}

static void
test_ipv4_options_are_skipped(void **state)
{
	uint8_t b[128], o[128];
	size_t n = udp_frame(o, 8);
	struct dp_ipv4_view ip;
	struct dp_udp_view u;

	(void)state;
	/* Insert 4 bytes of options (NOPs) after the 20-byte header. */
	memcpy(b, o, 34);
	memset(b + 34, 1, 4);
	memcpy(b + 38, o + 34, n - 34);
	b[14] = 0x46;
	b[14 + 3] = (uint8_t)(b[14 + 3] + 4);
	fix_ip_csum(b + 14);
	assert_int_equal(
		dp_parse_ipv4(b + 14, n + 4 - 14, DP_CSUM_UNKNOWN, &ip),
		DP_DROP_NONE);
	assert_int_equal(ip.hlen, 24);
	assert_int_equal(dp_parse_udp(b + 14 + 24, ip.total_len - ip.hlen,
				      ip.src, ip.dst, DP_CSUM_UNKNOWN, &u),
			 DP_DROP_NONE);
}

static void
test_ipv4_other_destination_is_not_ours(void **state)
{
	struct dp_ipv4_view ip = {.src = PEER_IP, .dst = OUR_IP + 1};

	(void)state;
	assert_int_equal(dp_ipv4_accept(&ip, OUR_IP, MASK),
			 DP_DROP_IPV4_NOT_OURS);
	ip.dst = 0xc61200ffu; /* subnet broadcast */
	assert_int_equal(dp_ipv4_accept(&ip, OUR_IP, MASK), DP_DROP_NONE);
	ip.dst = 0xffffffffu;
	assert_int_equal(dp_ipv4_accept(&ip, OUR_IP, MASK), DP_DROP_NONE);
}

static void
test_ipv4_bogus_sources_are_dropped(void **state)
{
	const uint32_t bad[] = {0,	     0x7f000001u, 0xe0000001u,
				0xffffffffu, OUR_IP,	  0xc61200ffu};
	struct dp_ipv4_view ip = {.dst = OUR_IP};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ip.src = bad[i];
		assert_int_equal(dp_ipv4_accept(&ip, OUR_IP, MASK),
				 DP_DROP_IPV4_SRC);
	}
}

static void
test_icmp_echo_request_is_accepted(void **state)
{
	uint8_t b[128];

	(void)state;
	icmp_frame(b);
	assert_int_equal(dp_parse_icmp(b + 34, 16), DP_DROP_NONE);
}

static void
test_icmp_short_is_dropped(void **state)
{
	uint8_t b[128];

	(void)state;
	icmp_frame(b);
	assert_int_equal(dp_parse_icmp(b + 34, 7), DP_DROP_ICMP_SHORT);
}

static void
test_icmp_bad_checksum_is_dropped(void **state)
{
	uint8_t b[128];

	(void)state;
	icmp_frame(b);
	b[34 + 9] ^= 0xff;
	assert_int_equal(dp_parse_icmp(b + 34, 16), DP_DROP_ICMP_CSUM);
}

static void
test_icmp_other_types_are_not_handled(void **state)
{
	uint8_t b[128];
	uint16_t c;

	(void)state;
	icmp_frame(b);
	b[34] = 13; /* timestamp */
	b[36] = b[37] = 0;
	c = dp_csum_fold(dp_csum_add(0, b + 34, 16));
	b[36] = (uint8_t)(c >> 8), b[37] = (uint8_t)c;
	assert_int_equal(dp_parse_icmp(b + 34, 16), DP_DROP_ICMP_TYPE);
}

static void
test_icmp_reply_in_place_is_valid(void **state)
{
	uint8_t b[128];
	struct dp_ipv4_view ip;
	struct dp_eth_view e;

	(void)state;
	icmp_frame(b);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_NONE);
	dp_icmp_echo_reply_inplace(b, 14, &ip);
	assert_int_equal(dp_parse_eth(b, 50, peer_mac, &e), DP_DROP_NONE);
	assert_memory_equal(e.src, our_mac, 6);
	assert_int_equal(dp_parse_ipv4(b + 14, 36, DP_CSUM_UNKNOWN, &ip),
			 DP_DROP_NONE);
	assert_int_equal(ip.src, OUR_IP);
	assert_int_equal(ip.dst, PEER_IP);
	assert_int_equal(b[34], DP_ICMP_ECHO_REPLY);
	assert_int_equal(dp_csum_fold(dp_csum_add(0, b + 34, 16)), 0);
	assert_int_equal(b[34 + 4], 0x12); /* identifier kept */
}

static void
test_udp_short_header_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_udp_view u;

	(void)state;
	udp_frame(b, 8);
	assert_int_equal(
		dp_parse_udp(b + 34, 7, PEER_IP, OUR_IP, DP_CSUM_UNKNOWN, &u),
		DP_DROP_UDP_SHORT);
}

static void
test_udp_length_field_out_of_bounds_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_udp_view u;

	(void)state;
	udp_frame(b, 8);
	b[34 + 4] = 0, b[34 + 5] = 17; /* beyond the IP payload of 16 */
	assert_int_equal(
		dp_parse_udp(b + 34, 16, PEER_IP, OUR_IP, DP_CSUM_UNKNOWN, &u),
		DP_DROP_UDP_LEN);
	b[34 + 5] = 7; /* below the header */
	assert_int_equal(
		dp_parse_udp(b + 34, 16, PEER_IP, OUR_IP, DP_CSUM_UNKNOWN, &u),
		DP_DROP_UDP_LEN);
}

static void
test_udp_bad_checksum_is_dropped(void **state)
{
	uint8_t b[64];
	struct dp_udp_view u;

	(void)state;
	udp_frame(b, 8);
	b[45] ^= 0x40; /* payload byte */
	assert_int_equal(
		dp_parse_udp(b + 34, 16, PEER_IP, OUR_IP, DP_CSUM_UNKNOWN, &u),
		DP_DROP_UDP_CSUM);
	/* The same bytes pass when the pseudo-header differs?  No: a wrong
	 * destination address also breaks the sum. */
	b[45] ^= 0x40;
	assert_int_equal(dp_parse_udp(b + 34, 16, PEER_IP, OUR_IP + 1,
				      DP_CSUM_UNKNOWN, &u),
			 DP_DROP_UDP_CSUM);
	assert_int_equal(
		dp_parse_udp(b + 34, 16, PEER_IP, OUR_IP, DP_CSUM_BAD, &u),
		DP_DROP_UDP_CSUM);
}

static void
test_udp_zero_checksum_is_not_verified(void **state)
{
	uint8_t b[64];
	struct dp_udp_view u;

	(void)state;
	udp_frame(b, 8);
	b[34 + 6] = b[34 + 7] = 0;
	b[45] ^= 0x40;
	assert_int_equal(
		dp_parse_udp(b + 34, 16, PEER_IP, OUR_IP, DP_CSUM_BAD, &u),
		DP_DROP_NONE);
}

static void
test_udp_trailing_bytes_beyond_udp_length_are_ignored(void **state)
{
	uint8_t b[64];
	struct dp_udp_view u;

	(void)state;
	udp_frame(b, 8);
	assert_int_equal(
		dp_parse_udp(b + 34, 20, PEER_IP, OUR_IP, DP_CSUM_UNKNOWN, &u),
		DP_DROP_NONE);
	assert_int_equal(u.len, 8);
}

static void
test_udp_builder_never_writes_zero_checksum(void **state)
{
	uint8_t b[64];
	struct dp_udp_view u;
	uint16_t x;
	int found = 0;

	(void)state;
	/* Search a 2-byte payload whose checksum folds to 0: the builder
	 * must write 0xffff instead (RFC 768). */
	for (x = 0; x < 0xffff && !found; x++) {
		b[42] = (uint8_t)(x >> 8);
		b[43] = (uint8_t)x;
		{
			struct dp_udp_hdr_args a;

			memset(&a, 0, sizeof(a));
			memcpy(a.src_mac, peer_mac, 6);
			memcpy(a.dst_mac, our_mac, 6);
			a.src_ip = PEER_IP;
			a.dst_ip = OUR_IP;
			a.src_port = 40000;
			a.dst_port = 2181;
			a.payload_len = 2;
			a.ip_csum = a.udp_csum = true;
			dp_build_udp_hdrs(b, &a);
		}
		if (b[40] == 0xff && b[41] == 0xff)
			found = 1;
		assert_false(b[40] == 0 && b[41] == 0);
	}
	assert_true(found);
	assert_int_equal(
		dp_parse_udp(b + 34, 10, PEER_IP, OUR_IP, DP_CSUM_UNKNOWN, &u),
		DP_DROP_NONE);
}

static void
test_drop_names_are_unique_and_named(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < DP_DROP__COUNT; i++) {
		assert_non_null(dp_drop_name(i));
		assert_string_not_equal(dp_drop_name(i), "?");
		for (j = 0; j < i; j++)
			assert_string_not_equal(dp_drop_name(i),
						dp_drop_name(j));
	}
	assert_string_equal(dp_drop_name(DP_DROP__COUNT), "?");
	assert_string_equal(dp_drop_name(DP_DROP_IPV4_CSUM),
			    "ipv4_bad_checksum");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_matches_rfc1071_example),
		cmocka_unit_test(test_eth_short_frame_is_dropped),
		cmocka_unit_test(test_eth_other_unicast_is_not_ours),
		cmocka_unit_test(test_eth_unknown_type_is_dropped),
		cmocka_unit_test(test_eth_broadcast_is_accepted),
		cmocka_unit_test(test_arp_request_round_trips),
		cmocka_unit_test(test_arp_short_is_dropped),
		cmocka_unit_test(
			test_arp_wrong_hardware_or_lengths_is_bad_format),
		cmocka_unit_test(test_arp_unknown_op_is_dropped),
		cmocka_unit_test(test_ipv4_good_udp_frame_parses),
		cmocka_unit_test(test_ipv4_short_header_is_dropped),
		cmocka_unit_test(test_ipv4_version_6_is_dropped),
		cmocka_unit_test(test_ipv4_ihl_below_five_is_dropped),
		cmocka_unit_test(test_ipv4_ihl_beyond_frame_is_short),
		cmocka_unit_test(
			test_ipv4_total_length_beyond_frame_is_bad_length),
		cmocka_unit_test(test_ipv4_ethernet_padding_is_ignored),
		cmocka_unit_test(test_ipv4_bad_checksum_is_dropped),
		cmocka_unit_test(test_ipv4_offload_verdicts_are_trusted),
		cmocka_unit_test(test_ipv4_fragments_are_dropped),
		cmocka_unit_test(test_ipv4_ttl_zero_is_dropped),
		cmocka_unit_test(test_ipv4_options_are_skipped),
		cmocka_unit_test(test_ipv4_other_destination_is_not_ours),
		cmocka_unit_test(test_ipv4_bogus_sources_are_dropped),
		cmocka_unit_test(test_icmp_echo_request_is_accepted),
		cmocka_unit_test(test_icmp_short_is_dropped),
		cmocka_unit_test(test_icmp_bad_checksum_is_dropped),
		cmocka_unit_test(test_icmp_other_types_are_not_handled),
		cmocka_unit_test(test_icmp_reply_in_place_is_valid),
		cmocka_unit_test(test_udp_short_header_is_dropped),
		cmocka_unit_test(
			test_udp_length_field_out_of_bounds_is_dropped),
		cmocka_unit_test(test_udp_bad_checksum_is_dropped),
		cmocka_unit_test(test_udp_zero_checksum_is_not_verified),
		cmocka_unit_test(
			test_udp_trailing_bytes_beyond_udp_length_are_ignored),
		cmocka_unit_test(test_udp_builder_never_writes_zero_checksum),
		cmocka_unit_test(test_drop_names_are_unique_and_named),
	};

	return cmocka_run_group_tests_name("dataplane_pkt", tests, NULL, NULL);
}
