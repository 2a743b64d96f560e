/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/proto_priv.h — helpers shared by the codec files of proto/ (jute.c,
 * records.c, txn.c).  Not part of the module's API.
 */
#ifndef DPZK_PROTO_PRIV_H
#define DPZK_PROTO_PRIV_H

#include "proto/proto.h"

/* Poison the reader/writer with err unless it already failed. */
void proto_rbuf_fail(struct proto_rbuf *r, int err);
void proto_wbuf_fail(struct proto_wbuf *w, int err);
/* Next n bytes (advancing), or NULL with the reader poisoned. */
const uint8_t *proto_rbuf_take(struct proto_rbuf *r, size_t n);
/* A vector count: -1 (null) or 0..remaining/min_elem; anything else poisons
 * the reader.  min_elem is the fewest bytes one element can take. */
int32_t proto_get_count(struct proto_rbuf *r, size_t min_elem);
/* n elements of elem bytes from s; NULL and -ENOBUFS when s is too small
 * (s == NULL is a scratch of size 0).  s == PROTO_SCRATCH_PROBE is the
 * validate-only mode of the two-pass decoders: NULL without failing. */
void *proto_vec_alloc(struct proto_rbuf *r, struct proto_scratch *s, int32_t n,
		      size_t elem);
extern const uint8_t proto_scratch_probe_tag;
#define PROTO_SCRATCH_PROBE ((struct proto_scratch *)&proto_scratch_probe_tag)

/* The record must end the buffer: -EBADMSG on trailing bytes; returns
 * r->err. */
int proto_rbuf_end(struct proto_rbuf *r);

/* Fewest bytes an element can take on the wire (for vector bounds). */
#define PROTO_MIN_USTRING     4
#define PROTO_MIN_ACL	      12 /* perms + two empty ustrings */
#define PROTO_MIN_CLIENT_INFO 8
#define PROTO_MULTI_HDR_LEN   9
/* Fewest bytes of one multi op (header + getData{path, watch}), one multi
 * result (header, delete/check: no body), one sub-txn (type + error's
 * int or delete's empty path). */
#define PROTO_MIN_MULTI_OP     14
#define PROTO_MIN_MULTI_RESULT 9
#define PROTO_MIN_SUBTXN       8

#endif /* DPZK_PROTO_PRIV_H */
