/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zab/zab_msg.c — struct zab_msg to bytes and back, with proto's jute
 * primitives, for the peer channel between replicas.
 *
 * Why it is built this way: a peer message is read from a datagram that a
 * broken or hostile sender may have produced, so decoding uses proto's
 * bounded reader (a short or garbled message poisons the reader and comes
 * back as -EBADMSG, never as an out-of-bounds read), checks every enum, and
 * insists that the message ends exactly where the buffer does.  The layout
 * is fixed per type (no optional fields) so encode/decode round-trip
 * exactly and a fuzzer can compare bytes.
 */
#include <errno.h>
#include <string.h>

#include "zab/zab.h"

static bool
type_has_payload(int t)
{
	return t == ZAB_M_PROPOSAL || t == ZAB_M_INFORM || t == ZAB_M_SNAP ||
	       t == ZAB_M_REQUEST;
}

int
zab_msg_encode(struct proto_wbuf *w, const struct zab_msg *m)
{
	if (m->type == 0 || m->type > ZAB_M_MAX)
		return -EINVAL;
	proto_put_int(w, ZAB_MSG_VERSION);
	proto_put_int(w, m->type);
	proto_put_int(w, (int32_t)m->from);
	proto_put_int(w, (int32_t)m->to);
	proto_put_int(w, (int32_t)m->epoch);
	proto_put_long(w, (int64_t)m->zxid);
	proto_put_long(w, (int64_t)m->arg);
	if (m->type == ZAB_M_VOTE || m->type == ZAB_M_NEWEPOCH) {
		proto_put_int(w, (int32_t)m->vote.leader);
		proto_put_int(w, (int32_t)m->vote.peer_epoch);
		proto_put_long(w, (int64_t)m->vote.zxid);
		proto_put_long(w, (int64_t)m->vote.round);
		proto_put_int(w, m->vote.state);
	}
	if (type_has_payload(m->type)) {
		if (m->payload.len < 0 || m->payload.len > INT32_MAX - 64)
			return -EINVAL;
		proto_put_buffer(w, m->payload.p, m->payload.len);
	}
	return w->err;
}

/* Payloads may exceed jute.maxbuffer (a SNAP is a whole state), so the
 * buffer is read with its own bound: the rest of the message. */
static struct proto_view
get_big_buffer(struct proto_rbuf *r)
{
	struct proto_view v = {NULL, 0};
	int32_t len = proto_get_int(r);

	if (r->err)
		return v;
	if (len < 0 || (size_t)len > r->len - r->off) {
		r->err = -EBADMSG;
		return v;
	}
	v.p = r->p + r->off;
	v.len = len;
	r->off += (size_t)len;
	return v;
}

int
zab_msg_decode(const void *p, size_t len, struct zab_msg *m)
{
	struct proto_rbuf r;
	int32_t ver, type, state;

	memset(m, 0, sizeof(*m));
	proto_rbuf_init(&r, p, len);
	ver = proto_get_int(&r);
	type = proto_get_int(&r);
	if (r.err || ver != ZAB_MSG_VERSION || type <= 0 || type > ZAB_M_MAX)
		return -EBADMSG;
	m->type = (uint8_t)type;
	m->from = (uint32_t)proto_get_int(&r);
	m->to = (uint32_t)proto_get_int(&r);
	m->epoch = (uint32_t)proto_get_int(&r);
	m->zxid = (uint64_t)proto_get_long(&r);
	m->arg = (uint64_t)proto_get_long(&r);
	if (type == ZAB_M_VOTE || type == ZAB_M_NEWEPOCH) {
		m->vote.leader = (uint32_t)proto_get_int(&r);
		m->vote.peer_epoch = (uint32_t)proto_get_int(&r);
		m->vote.zxid = (uint64_t)proto_get_long(&r);
		m->vote.round = (uint64_t)proto_get_long(&r);
		state = proto_get_int(&r);
		if (state < ZAB_LOOKING || state > ZAB_OBSERVING)
			return -EBADMSG;
		m->vote.state = (uint8_t)state;
	}
	if (type_has_payload(type))
		m->payload = get_big_buffer(&r);
	if (r.err || r.off != r.len)
		return -EBADMSG;
	if (m->from == 0 || m->to == 0)
		return -EBADMSG;
	return 0;
}

const char *
zab_msg_type_name(int type)
{
	static const char *const names[] = {
		[ZAB_M_VOTE] = "VOTE",	       [ZAB_M_CEPOCH] = "CEPOCH",
		[ZAB_M_NEWEPOCH] = "NEWEPOCH", [ZAB_M_ACKEPOCH] = "ACKEPOCH",
		[ZAB_M_DIFF] = "DIFF",	       [ZAB_M_TRUNC] = "TRUNC",
		[ZAB_M_SNAP] = "SNAP",	       [ZAB_M_PROPOSAL] = "PROPOSAL",
		[ZAB_M_COMMIT] = "COMMIT",     [ZAB_M_NEWLEADER] = "NEWLEADER",
		[ZAB_M_ACK] = "ACK",	       [ZAB_M_UPTODATE] = "UPTODATE",
		[ZAB_M_INFORM] = "INFORM",     [ZAB_M_PING] = "PING",
		[ZAB_M_REQUEST] = "REQUEST",
	};

	if (type <= 0 || type > ZAB_M_MAX)
		return "UNKNOWN";
	return names[type];
}

const char *
zab_role_name(int role)
{
	switch (role) {
	case ZAB_LOOKING:
		return "LOOKING";
	case ZAB_FOLLOWING:
		return "FOLLOWING";
	case ZAB_LEADING:
		return "LEADING";
	case ZAB_OBSERVING:
		return "OBSERVING";
	default:
		return "UNKNOWN";
	}
}
