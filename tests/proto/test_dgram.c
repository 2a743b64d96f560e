/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/proto/test_dgram.c — the 48-byte datagram header: golden layout,
 * one test per validation rule, and the MAC (equal to libsodium's
 * crypto_shorthash over the datagram with the mac field zeroed; seal and
 * verify; any flipped bit is caught).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "proto/proto.h"

static const uint8_t key[16] = {0, 1, 2,  3,  4,  5,  6,  7,
				8, 9, 10, 11, 12, 13, 14, 15};

static uint8_t dg[PROTO_DGRAM_HDR_LEN + 0xffff];

static struct proto_dgram_hdr
good_hdr(uint16_t payload_len)
{
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = PROTO_K_REPLY,
		.flags = 0,
		.frag_count = 1,
		.frag_index = 0,
		.payload_len = payload_len,
		.msg_len = payload_len,
		.session_id = 42,
		.seq = 1,
		.ack = 1,
	};

	return h;
}

/* Encodes h into dg with a payload of h->payload_len bytes; returns the
 * datagram length. */
static size_t
build(const struct proto_dgram_hdr *h)
{
	proto_dgram_hdr_encode(dg, h);
	for (size_t i = 0; i < h->payload_len; i++)
		dg[PROTO_DGRAM_HDR_LEN + i] = (uint8_t)(i * 7 + 1);
	return PROTO_DGRAM_HDR_LEN + h->payload_len;
}

static int
decode_hdr(const struct proto_dgram_hdr *h)
{
	struct proto_dgram_hdr d;
	size_t len = build(h);

	return proto_dgram_hdr_decode(dg, len, &d);
}

static void
test_golden_header_layout(void **state)
{
	static const uint8_t want[48] = {
		0xd2, 0x7b,		/* magic */
		0x01,			/* version */
		0x03,			/* kind REQUEST */
		0x03,			/* flags */
		0x00,			/* reserved */
		0x00, 0x02,		/* frag_count */
		0x00, 0x01,		/* frag_index */
		0x05, 0xdc,		/* payload_len 1500 */
		0x00, 0x00, 0x0b, 0xb8, /* msg_len 3000 */
		0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, /* session */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, /* seq */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, /* ack */
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* mac */
	};
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = 1,
		.kind = PROTO_K_REQUEST,
		.flags = PROTO_F_RETRANSMIT | PROTO_F_ACK_REQ,
		.frag_count = 2,
		.frag_index = 1,
		.payload_len = 1500,
		.msg_len = 3000,
		.session_id = (int64_t)0xffeeddccbbaa9988ULL,
		.seq = 0x102,
		.ack = 0xff,
		.mac = 0x0123456789abcdefULL,
	};
	struct proto_dgram_hdr d;
	uint8_t *p = calloc(1, 48 + 1500);

	(void)state;
	assert_int_equal(PROTO_DGRAM_HDR_LEN, 48);
	proto_dgram_hdr_encode(p, &h);
	assert_memory_equal(p, want, 48);
	assert_int_equal(proto_dgram_hdr_decode(p, 48 + 1500, &d), 0);
	assert_int_equal(d.magic, PROTO_DGRAM_MAGIC);
	assert_int_equal(d.kind, PROTO_K_REQUEST);
	assert_int_equal(d.flags, 3);
	assert_int_equal(d.frag_count, 2);
	assert_int_equal(d.frag_index, 1);
	assert_int_equal(d.payload_len, 1500);
	assert_int_equal(d.msg_len, 3000);
	assert_true(d.session_id == h.session_id);
	assert_true(d.seq == 0x102);
	assert_true(d.ack == 0xff);
	assert_true(d.mac == 0x0123456789abcdefULL);
	free(p);
}

static void
test_valid_header_decodes(void **state)
{
	struct proto_dgram_hdr h = good_hdr(0);

	(void)state;
	assert_int_equal(decode_hdr(&h), 0);
	h = good_hdr(0xffff);
	assert_int_equal(decode_hdr(&h), 0);
}

static void
test_short_datagram_is_rejected(void **state)
{
	struct proto_dgram_hdr d, h = good_hdr(0);

	(void)state;
	build(&h);
	for (size_t len = 0; len < PROTO_DGRAM_HDR_LEN; len++)
		assert_int_equal(proto_dgram_hdr_decode(dg, len, &d), -EBADMSG);
	assert_int_equal(proto_dgram_hdr_decode(NULL, 100, &d), -EBADMSG);
}

static void
test_bad_magic_is_rejected(void **state)
{
	struct proto_dgram_hdr h = good_hdr(4);

	(void)state;
	h.magic = 0x7bd2;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.magic = 0;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
}

static void
test_other_version_is_rejected(void **state)
{
	struct proto_dgram_hdr h = good_hdr(4);

	(void)state;
	h.version = 0;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.version = 2;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
}

static void
test_unknown_kind_is_rejected(void **state)
{
	struct proto_dgram_hdr h = good_hdr(4);

	(void)state;
	for (unsigned k = 0; k < 256; k++) {
		bool known = (k >= 1 && k <= 9) || (k >= 16 && k <= 31);

		h.kind = (uint8_t)k;
		assert_int_equal(decode_hdr(&h), known ? 0 : -EBADMSG);
	}
}

static void
test_nonzero_reserved_is_rejected(void **state)
{
	struct proto_dgram_hdr h = good_hdr(4);

	(void)state;
	h.reserved = 1;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
}

static void
test_any_flags_are_accepted(void **state)
{
	struct proto_dgram_hdr h = good_hdr(4);

	(void)state;
	h.flags = 0xff;
	assert_int_equal(decode_hdr(&h), 0);
}

static void
test_frag_count_outside_1_to_max_is_rejected(void **state)
{
	struct proto_dgram_hdr h = good_hdr(4);

	(void)state;
	h.frag_count = 0;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.frag_count = PROTO_MAX_FRAGS + 1;
	h.msg_len = 100000;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.frag_count = PROTO_MAX_FRAGS;
	h.frag_index = PROTO_MAX_FRAGS - 1;
	assert_int_equal(decode_hdr(&h), 0);
}

static void
test_frag_index_beyond_count_is_rejected(void **state)
{
	struct proto_dgram_hdr h = good_hdr(4);

	(void)state;
	h.frag_index = 1;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.frag_count = 3;
	h.msg_len = 12;
	h.frag_index = 3;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.frag_index = 2;
	assert_int_equal(decode_hdr(&h), 0);
}

static void
test_payload_len_must_match_datagram(void **state)
{
	struct proto_dgram_hdr d, h = good_hdr(10);
	size_t len = build(&h);

	(void)state;
	assert_int_equal(proto_dgram_hdr_decode(dg, len, &d), 0);
	assert_int_equal(proto_dgram_hdr_decode(dg, len - 1, &d), -EBADMSG);
	assert_int_equal(proto_dgram_hdr_decode(dg, len + 1, &d), -EBADMSG);
}

static void
test_msg_len_of_single_fragment_equals_payload(void **state)
{
	struct proto_dgram_hdr h = good_hdr(10);

	(void)state;
	h.msg_len = 11;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.msg_len = 9;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
}

static void
test_msg_len_of_fragments_is_bounded(void **state)
{
	struct proto_dgram_hdr h = good_hdr(1000);

	(void)state;
	h.frag_count = 2;
	h.msg_len = 999; /* smaller than this fragment */
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.msg_len = 2 * 0xffff + 1; /* more than two fragments can carry */
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.msg_len = 2 * 0xffff;
	assert_int_equal(decode_hdr(&h), 0);
	h.frag_count = PROTO_MAX_FRAGS;
	h.msg_len = PROTO_DGRAM_MAX_MSG + 1;
	assert_int_equal(decode_hdr(&h), -EBADMSG);
	h.msg_len = PROTO_DGRAM_MAX_MSG;
	assert_int_equal(decode_hdr(&h), 0);
}

/* crypto_shorthash over a copy with the mac field zeroed: the definition */
static uint64_t
reference_mac(const uint8_t *p, size_t len, const uint8_t k[16])
{
	uint8_t *c = malloc(len ? len : 1), out[8];
	uint64_t v = 0;

	memcpy(c, p, len);
	if (len >= PROTO_DGRAM_HDR_LEN)
		memset(c + 40, 0, 8);
	crypto_shorthash(out, c, len, k);
	free(c);
	for (int i = 0; i < 8; i++)
		v = v << 8 | out[i];
	return v;
}

static void
test_mac_equals_crypto_shorthash(void **state)
{
	uint8_t k[16];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	assert_true(sodium_init() >= 0);
	for (size_t i = 0; i < sizeof(dg); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		dg[i] = (uint8_t)x;
	}
	for (size_t len = 0; len <= 600; len++) {
		memcpy(k, &x, 8);
		memcpy(k + 8, &len, 8);
		x = x * 6364136223846793005ULL + 1;
		assert_true(proto_dgram_mac(dg, len, k) ==
			    reference_mac(dg, len, k));
	}
	assert_true(proto_dgram_mac(dg, sizeof(dg), key) ==
		    reference_mac(dg, sizeof(dg), key));
}

static void
test_mac_matches_siphash_reference_vectors(void **state)
{
	/* SipHash-2-4 paper, key 00..0f, message 00..(n-1): n = 0 and 15 */
	static const uint8_t v0[8] = {0x31, 0x0e, 0x0e, 0xdd,
				      0x47, 0xdb, 0x6f, 0x72};
	static const uint8_t v15[8] = {0xe5, 0x45, 0xbe, 0x49,
				       0x61, 0xca, 0x29, 0xa1};
	uint8_t msg[15];
	uint64_t m;

	(void)state;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	m = proto_dgram_mac(msg, 0, key);
	for (int i = 0; i < 8; i++)
		assert_int_equal((uint8_t)(m >> (56 - 8 * i)), v0[i]);
	m = proto_dgram_mac(msg, 15, key);
	for (int i = 0; i < 8; i++)
		assert_int_equal((uint8_t)(m >> (56 - 8 * i)), v15[i]);
}

static void
test_seal_then_verify_succeeds_and_ignores_old_mac(void **state)
{
	struct proto_dgram_hdr h = good_hdr(100), d;
	size_t len;

	(void)state;
	h.mac = 0xdeadbeef;
	len = build(&h);
	proto_dgram_seal(dg, len, key);
	assert_int_equal(proto_dgram_verify(dg, len, key), 0);
	assert_int_equal(proto_dgram_hdr_decode(dg, len, &d), 0);
	assert_true(d.mac == proto_dgram_mac(dg, len, key));
	assert_true(d.mac == reference_mac(dg, len, key));
	/* sealing again gives the same bytes */
	proto_dgram_seal(dg, len, key);
	assert_int_equal(proto_dgram_verify(dg, len, key), 0);
}

static void
test_any_flipped_bit_fails_verify(void **state)
{
	struct proto_dgram_hdr h = good_hdr(64);
	size_t len;

	(void)state;
	len = build(&h);
	proto_dgram_seal(dg, len, key);
	for (size_t i = 0; i < len; i++) {
		for (int b = 0; b < 8; b++) {
			dg[i] ^= (uint8_t)(1u << b);
			assert_int_equal(proto_dgram_verify(dg, len, key),
					 -EBADMSG);
			dg[i] ^= (uint8_t)(1u << b);
		}
	}
	assert_int_equal(proto_dgram_verify(dg, len, key), 0);
}

static void
test_wrong_key_or_length_fails_verify(void **state)
{
	struct proto_dgram_hdr h = good_hdr(64);
	uint8_t k2[16];
	size_t len;

	(void)state;
	len = build(&h);
	proto_dgram_seal(dg, len, key);
	memcpy(k2, key, 16);
	k2[15] ^= 0x80;
	assert_int_equal(proto_dgram_verify(dg, len, k2), -EBADMSG);
	assert_int_equal(proto_dgram_verify(dg, len - 1, key), -EBADMSG);
	assert_int_equal(proto_dgram_verify(dg, 47, key), -EBADMSG);
	assert_int_equal(proto_dgram_verify(NULL, 0, key), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_header_layout),
		cmocka_unit_test(test_valid_header_decodes),
		cmocka_unit_test(test_short_datagram_is_rejected),
		cmocka_unit_test(test_bad_magic_is_rejected),
		cmocka_unit_test(test_other_version_is_rejected),
		cmocka_unit_test(test_unknown_kind_is_rejected),
		cmocka_unit_test(test_nonzero_reserved_is_rejected),
		cmocka_unit_test(test_any_flags_are_accepted),
		cmocka_unit_test(test_frag_count_outside_1_to_max_is_rejected),
		cmocka_unit_test(test_frag_index_beyond_count_is_rejected),
		cmocka_unit_test(test_payload_len_must_match_datagram),
		cmocka_unit_test(
			test_msg_len_of_single_fragment_equals_payload),
		cmocka_unit_test(test_msg_len_of_fragments_is_bounded),
		cmocka_unit_test(test_mac_equals_crypto_shorthash),
		cmocka_unit_test(test_mac_matches_siphash_reference_vectors),
		cmocka_unit_test(
			test_seal_then_verify_succeeds_and_ignores_old_mac),
		cmocka_unit_test(test_any_flipped_bit_fails_verify),
		cmocka_unit_test(test_wrong_key_or_length_fails_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
