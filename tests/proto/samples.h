/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/proto/samples.h — a corpus of valid encodings of every record proto/
 * decodes (every request and reply opcode, every txn type, the handshake,
 * events, headers), built through the encoders, and one generic decode entry
 * per record kind.  Shared by the round-trip, truncation and mutation tests
 * so that a new opcode added here is covered by all three at once.
 */
#ifndef DPZK_TESTS_PROTO_SAMPLES_H
#define DPZK_TESTS_PROTO_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

enum sample_kind {
	SK_REQUEST,	/* request body of `type` */
	SK_RESPONSE,	/* reply body for `type` */
	SK_TXN,		/* txn record */
	SK_CONNECT_REQ, /* ConnectRequest */
	SK_CONNECT_RESP,
	SK_EVENT,     /* WatcherEvent (ends the buffer) */
	SK_REQ_HDR,   /* RequestHeader (exactly) */
	SK_REPLY_HDR, /* ReplyHeader (exactly) */
	SK_STAT,      /* Stat (exactly) */
	SK_ACL_VEC,   /* vector<ACL> (exactly) */
	SK_DGRAM,     /* datagram: header + payload, sealed */
	SK_COUNT,
};

struct sample {
	char name[48];
	enum sample_kind kind;
	int32_t type;
	/* A valid prefix shorter than len (the optional readOnly byte), or 0
	 * when every proper prefix must be rejected. */
	size_t ok_prefix;
	size_t len;
	uint8_t *buf; /* malloc'd, exactly len bytes */
};

#define SAMPLES_MAX 160

/* The key samples of kind SK_DGRAM are sealed with. */
extern const uint8_t sample_dgram_key[16];

/* Builds the corpus into out[]; returns the count.  samples_free releases
 * the buffers. */
size_t samples_build(struct sample *out, size_t max);
void samples_free(struct sample *s, size_t n);

/*
 * Decodes p/len as `kind` (type: the opcode for requests and replies),
 * with a scratch area of scap bytes (0: a NULL scratch).  When the decode
 * succeeds and re != NULL, the decoded record is encoded again into re.
 * Returns the decoder's result (0 or -errno); a re-encode failure is
 * returned as -EPROTO.
 */
int sample_decode(enum sample_kind kind, int32_t type, const uint8_t *p,
		  size_t len, size_t scap, struct proto_wbuf *re);

const char *sample_kind_name(enum sample_kind k);

#endif
