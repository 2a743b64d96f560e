/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/dgram.c — the fixed 48-byte dpzk datagram header (docs/PROTOCOL.md
 * §"Datagram header"): encode, decode with validation, and the 64-bit MAC.
 *
 * Why it is built this way: this is the first code that touches a datagram
 * from the network, so decode checks every field whose value later code
 * would trust (lengths, fragment numbers, kind) before anything else reads
 * the payload.  The MAC is SipHash-2-4 with a 16-byte key, byte for byte
 * what libsodium's crypto_shorthash returns over the whole datagram with
 * the mac field zeroed.  libsodium has no incremental SipHash and verify
 * must not write to (or copy) the received datagram, so the hash is run
 * here in two segments: the 48-byte header from a local copy with the mac
 * zeroed, then the payload in place.  48 is a multiple of SipHash's 8-byte
 * block, so the two segments compress exactly as one message would; the
 * unit tests hold the result equal to crypto_shorthash.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "proto/proto.h"

#define OFF_MAGIC	0
#define OFF_VERSION	2
#define OFF_KIND	3
#define OFF_FLAGS	4
#define OFF_RESERVED	5
#define OFF_FRAG_COUNT	6
#define OFF_FRAG_INDEX	8
#define OFF_PAYLOAD_LEN 10
#define OFF_MSG_LEN	12
#define OFF_SESSION_ID	16
#define OFF_SEQ		24
#define OFF_ACK		32
#define OFF_MAC		40

_Static_assert(OFF_MAC + 8 == PROTO_DGRAM_HDR_LEN, "header layout");
_Static_assert(PROTO_DGRAM_HDR_LEN % 8 == 0, "header is whole SipHash blocks");

static uint16_t
rd16(const uint8_t *q)
{
	return (uint16_t)(q[0] << 8 | q[1]);
}

static uint32_t
rd32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	       (uint32_t)q[2] << 8 | q[3];
}

static uint64_t
rd64(const uint8_t *q)
{
	return (uint64_t)rd32(q) << 32 | rd32(q + 4);
}

static void
wr16(uint8_t *q, uint16_t v)
{
	q[0] = v >> 8;
	q[1] = v;
}

static void
wr32(uint8_t *q, uint32_t v)
{
	wr16(q, v >> 16);
	wr16(q + 2, v);
}

static void
wr64(uint8_t *q, uint64_t v)
{
	wr32(q, v >> 32);
	wr32(q + 4, v);
}

static bool
kind_known(uint8_t kind)
{
	return (kind >= PROTO_K_CONNECT && kind <= PROTO_K_ADMIN) ||
	       (kind >= PROTO_K_PEER && kind < PROTO_K_PEER + 16);
}

int
proto_dgram_hdr_decode(const void *p, size_t len, struct proto_dgram_hdr *h)
{
	const uint8_t *q = p;

	if (q == NULL || len < PROTO_DGRAM_HDR_LEN)
		return -EBADMSG;
	h->magic = rd16(q + OFF_MAGIC);
	h->version = q[OFF_VERSION];
	h->kind = q[OFF_KIND];
	h->flags = q[OFF_FLAGS];
	h->reserved = q[OFF_RESERVED];
	h->frag_count = rd16(q + OFF_FRAG_COUNT);
	h->frag_index = rd16(q + OFF_FRAG_INDEX);
	h->payload_len = rd16(q + OFF_PAYLOAD_LEN);
	h->msg_len = rd32(q + OFF_MSG_LEN);
	h->session_id = (int64_t)rd64(q + OFF_SESSION_ID);
	h->seq = rd64(q + OFF_SEQ);
	h->ack = rd64(q + OFF_ACK);
	h->mac = rd64(q + OFF_MAC);

	if (h->magic != PROTO_DGRAM_MAGIC || h->version != PROTO_DGRAM_VERSION)
		return -EBADMSG;
	if (!kind_known(h->kind) || h->reserved != 0)
		return -EBADMSG;
	if (h->frag_count < 1 || h->frag_count > PROTO_MAX_FRAGS ||
	    h->frag_index >= h->frag_count)
		return -EBADMSG;
	if ((size_t)h->payload_len != len - PROTO_DGRAM_HDR_LEN)
		return -EBADMSG;
	/* One fragment carries the whole message; several carry at most
	 * 0xffff bytes each and the message is at least this fragment. */
	if (h->frag_count == 1
		    ? h->msg_len != h->payload_len
		    : (h->msg_len < h->payload_len ||
		       h->msg_len > PROTO_DGRAM_MAX_MSG ||
		       h->msg_len > (uint32_t)h->frag_count * 0xffffu))
		return -EBADMSG;
	return 0;
}

void
proto_dgram_hdr_encode(void *p, const struct proto_dgram_hdr *h)
{
	uint8_t *q = p;

	wr16(q + OFF_MAGIC, h->magic);
	q[OFF_VERSION] = h->version;
	q[OFF_KIND] = h->kind;
	q[OFF_FLAGS] = h->flags;
	q[OFF_RESERVED] = h->reserved;
	wr16(q + OFF_FRAG_COUNT, h->frag_count);
	wr16(q + OFF_FRAG_INDEX, h->frag_index);
	wr16(q + OFF_PAYLOAD_LEN, h->payload_len);
	wr32(q + OFF_MSG_LEN, h->msg_len);
	wr64(q + OFF_SESSION_ID, (uint64_t)h->session_id);
	wr64(q + OFF_SEQ, h->seq);
	wr64(q + OFF_ACK, h->ack);
	wr64(q + OFF_MAC, h->mac);
}

/* ---------------------------------------------------------------- */
/* SipHash-2-4 in two segments (see the comment on top)              */
/* ---------------------------------------------------------------- */

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t
rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static inline uint64_t
le64(const uint8_t *q)
{
	uint64_t v;

	memcpy(&v, q, 8); /* one unaligned load */
	return le64toh(v);
}

static inline void
sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl(s->v2, 32);
}

static inline void
sip_block(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

uint64_t
proto_dgram_mac(const void *p, size_t len, const uint8_t key[16])
{
	const uint8_t *q = p;
	uint8_t hdr[PROTO_DGRAM_HDR_LEN] = {0};
	uint8_t out[8], tail[8] = {0};
	uint64_t k0 = le64(key), k1 = le64(key + 8), b;
	struct sip s = {
		k0 ^ 0x736f6d6570736575ULL,
		k1 ^ 0x646f72616e646f6dULL,
		k0 ^ 0x6c7967656e657261ULL,
		k1 ^ 0x7465646279746573ULL,
	};
	size_t i, hl = len < PROTO_DGRAM_HDR_LEN ? len : PROTO_DGRAM_HDR_LEN;

	/* Segment 1: the header with the mac field zeroed.  A datagram
	 * shorter than a header (never valid) is hashed as it is. */
	if (hl > 0)
		memcpy(hdr, q, hl);
	if (hl == PROTO_DGRAM_HDR_LEN) {
		memset(hdr + OFF_MAC, 0, 8);
		for (i = 0; i < PROTO_DGRAM_HDR_LEN; i += 8)
			sip_block(&s, le64(hdr + i));
		q += PROTO_DGRAM_HDR_LEN;
		i = len - PROTO_DGRAM_HDR_LEN;
	} else {
		q = hdr;
		i = hl;
	}
	/* Segment 2: the payload in place, then SipHash's final block. */
	for (; i >= 8; i -= 8, q += 8)
		sip_block(&s, le64(q));
	memcpy(tail, q, i);
	b = (uint64_t)len << 56 | le64(tail);
	sip_block(&s, b);
	s.v2 ^= 0xff;
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	b = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
	/* crypto_shorthash's output bytes are b little-endian; the header
	 * carries those bytes verbatim, and reads them big-endian. */
	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(b >> (8 * i));
	return rd64(out);
}

void
proto_dgram_seal(void *p, size_t len, const uint8_t key[16])
{
	if (len < PROTO_DGRAM_HDR_LEN)
		return;
	wr64((uint8_t *)p + OFF_MAC, proto_dgram_mac(p, len, key));
}

int
proto_dgram_verify(const void *p, size_t len, const uint8_t key[16])
{
	uint8_t want[8];

	if (p == NULL || len < PROTO_DGRAM_HDR_LEN)
		return -EBADMSG;
	wr64(want, proto_dgram_mac(p, len, key));
	if (sodium_memcmp(want, (const uint8_t *)p + OFF_MAC, 8) != 0)
		return -EBADMSG;
	return 0;
}

bool
proto_4lw_allowed(const char *wl, const char *word)
{
	size_t n = strlen(word);
	const char *p = wl;

	while (*p) {
		while (*p == ',' || *p == ' ')
			p++;
		if (p[0] == '*' && (p[1] == 0 || p[1] == ',' || p[1] == ' '))
			return true;
		if (strncmp(p, word, n) == 0 &&
		    (p[n] == 0 || p[n] == ',' || p[n] == ' '))
			return true;
		while (*p && *p != ',' && *p != ' ')
			p++;
	}
	return false;
}
