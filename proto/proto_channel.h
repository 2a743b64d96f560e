/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/proto_channel.h — the reliable, ordered, authenticated channel that
 * carries dpzk messages over datagrams (DESIGN.md §4.2/§4.3,
 * docs/PROTOCOL.md §8).  Included from proto/proto.h; do not include
 * directly.
 *
 * Why it is built this way: the same code runs on a DPDK lcore (one channel
 * per session, thousands of them), inside libdpzk over a kernel UDP socket,
 * and between replicas.  So, like etcd's raft, it is a pure state machine:
 * no I/O, no clock, no allocation after init.  Inputs are received
 * datagrams, "send this message" calls and `now` (ns, any monotonic clock);
 * outputs go through callbacks: datagrams to transmit (emit), in-order
 * reassembled messages (deliver), authenticated control datagrams such as
 * CLOSE (control), plus a next deadline the caller must honour by calling
 * proto_chan_timer().
 *
 * Memory: all state lives in a block the caller provides (sized by
 * proto_chan_mem_size()), so a hostile peer can never make a channel grow:
 *   - tx: at most cfg.tx_window unacknowledged messages and cfg.tx_bytes
 *     bytes of them; proto_chan_send() returns -EAGAIN beyond (backpressure);
 *     messages larger than the ring go by proto_chan_send_ext (the
 *     caller's buffer, released when acknowledged);
 *   - rx: messages are accepted only with seq in [rcv_next, rcv_next +
 *     rx_window) and reassembled in an arena of cfg.rx_bytes; a message
 *     larger than the arena gets a buffer from ops.rx_alloc (the owner's
 *     bounded pool); a datagram that does not fit is dropped and counted,
 *     and the sender retransmits it;
 *   - at most cfg.frag_window datagrams are in flight (unacknowledged).
 *
 * Threads: a channel is owned by one thread; nothing here is shared.
 */
#ifndef DPZK_PROTO_CHANNEL_H
#define DPZK_PROTO_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct proto_dgram_hdr;
struct proto_connect_req;
struct proto_connect_resp;

/* Default payload per datagram: 1500-byte Ethernet MTU minus IPv4 (20),
 * UDP (8) and the dpzk header (48). */
#define PROTO_CHAN_MTU_PAYLOAD 1424
/* Default largest message: jute.maxbuffer plus room for headers, paths and
 * the stat (a 1 MiB getData reply).  783 fragments at the default MTU. */
#define PROTO_CHAN_MAX_MSG (1024u * 1024u + 64u * 1024u)
/* Bytes of a SACK bitmap for PROTO_MAX_FRAGS fragments. */
#define PROTO_CHAN_SACK_BYTES 128

struct proto_chan_cfg {
	uint32_t mtu_payload; /* payload bytes per datagram (>= 64) */
	uint32_t max_msg;     /* largest message either way */
	uint32_t tx_window;   /* unacked messages we may have (<= peer's rx) */
	uint32_t rx_window;   /* messages beyond rcv_next we buffer */
	uint32_t tx_bytes;    /* tx ring (bigger messages: send_ext) */
	uint32_t rx_bytes;    /* reassembly arena (< max_msg: ops.rx_alloc) */
	uint32_t frag_window; /* datagrams in flight, unacknowledged */
	uint32_t max_retries; /* consecutive RTOs without progress → dead */
	uint64_t rto_init_ns; /* before the first RTT sample */
	uint64_t rto_min_ns;
	uint64_t rto_max_ns;
	uint64_t ack_delay_ns; /* delayed ack when nothing to piggyback on */
	uint64_t dead_ns; /* no progress on outstanding data → dead (0: off) */
};

/* Why a datagram was dropped; one counter each. */
enum proto_chan_drop {
	PROTO_CHAN_DROP_MALFORMED = 0, /* header does not decode */
	PROTO_CHAN_DROP_BAD_SESSION,   /* session id is not this channel's */
	PROTO_CHAN_DROP_BAD_MAC,
	PROTO_CHAN_DROP_BAD_KIND,  /* CONNECT/CONNECTED: not for a channel */
	PROTO_CHAN_DROP_BAD_ACK,   /* acks a message never sent */
	PROTO_CHAN_DROP_DUPLICATE, /* message or fragment already had */
	PROTO_CHAN_DROP_OUT_OF_WINDOW, /* seq beyond rcv_next + rx_window */
	PROTO_CHAN_DROP_BAD_FRAGMENT,  /* geometry inconsistent */
	PROTO_CHAN_DROP_TOO_BIG,       /* msg_len > max_msg */
	PROTO_CHAN_DROP_NO_BUFFER,     /* reassembly arena full */
	PROTO_CHAN_DROP_DEAD,	       /* channel already dead */
	PROTO_CHAN_DROP_MAX,
};

struct proto_chan_stats {
	uint64_t tx_msgs;	 /* messages accepted by send */
	uint64_t tx_dgrams;	 /* data datagrams emitted (incl. rexmit) */
	uint64_t tx_retransmits; /* data datagrams emitted again */
	uint64_t tx_acks;	 /* ACK datagrams emitted */
	uint64_t tx_pings;
	uint64_t tx_emit_fail; /* emit returned < 0 (treated as lost) */
	uint64_t rto_fired;
	uint64_t rtt_samples;
	uint64_t rx_dgrams;  /* datagrams that passed MAC */
	uint64_t rx_msgs;    /* messages delivered */
	uint64_t rx_bytes;   /* message bytes delivered */
	uint64_t rx_evicted; /* out-of-order messages evicted for the head */
	uint64_t drop[PROTO_CHAN_DROP_MAX];
};

/* Callbacks; ctx is the pointer given to proto_chan_init. */
struct proto_chan_ops {
	/* Transmit one datagram (header included, sealed).  The bytes are
	 * only borrowed for the call: copy them (into an mbuf, or sendto).
	 * Return 0, or < 0 when it could not be sent (counted; the channel
	 * treats it as lost). */
	int (*emit)(void *ctx, const void *dgram, size_t len);
	/* One complete message, in order, exactly once.  msg is borrowed
	 * for the call.  May call proto_chan_send/ping, must not call
	 * proto_chan_input or proto_chan_reset. */
	void (*deliver)(void *ctx, uint8_t kind, const void *msg, size_t len);
	/* Optional: an authenticated unsequenced datagram (seq 0) of a kind
	 * the channel does not handle itself (CLOSE, ADMIN, ...). */
	void (*control)(void *ctx, const struct proto_dgram_hdr *h,
			const void *payload, size_t len);
	/* Optional big buffers, so per-channel arenas can be smaller than
	 * max_msg (a server with many sessions shares a pool instead):
	 * rx_alloc gives len bytes for a message larger than rx_bytes, or
	 * NULL (the fragment is dropped as no_buffer and the peer resends
	 * it); rx_free takes it back after delivery, eviction or reset.
	 * Required when rx_bytes < max_msg. */
	void *(*rx_alloc)(void *ctx, size_t len);
	void (*rx_free)(void *ctx, void *buf);
	/* proto_chan_send_ext: the caller's message is no longer needed
	 * (acknowledged, or the channel was reset/finished). */
	void (*tx_release)(void *ctx, const void *msg);
};

struct proto_chan_txm; /* private, in the caller's block */
struct proto_chan_rxm;

/* The channel.  Embed it where you like; its fields are private to
 * proto/channel.c (read them only through the functions below). */
struct proto_chan {
	struct proto_chan_cfg cfg;
	struct proto_chan_ops ops;
	void *ctx;
	int64_t session_id;
	uint8_t key[16];
	bool dead;

	/* tx */
	uint64_t snd_una; /* oldest unacknowledged seq */
	uint64_t snd_nxt; /* next seq to assign */
	struct proto_chan_txm *txm;
	uint8_t *tx_ring;
	uint32_t tx_head;
	uint32_t tx_arena_live; /* queued messages stored in the tx ring */
	uint32_t inflight;	/* datagrams sent and not acknowledged */
	uint64_t rto_deadline;	/* 0: not armed */
	uint64_t srtt, rttvar, rto;
	uint32_t retries;
	uint64_t last_progress;

	/* rx */
	uint64_t rcv_next;
	struct proto_chan_rxm *rxm;
	uint8_t *rx_arena;
	uint32_t rx_head;
	uint64_t rx_alloc_order;
	uint32_t rx_live;
	uint32_t rx_since_ack; /* data datagrams since our last ack */
	uint64_t ack_deadline; /* 0: none pending */

	uint32_t resv_off; /* proto_chan_reserve → commit */
	uint32_t resv_len;
	bool resv;

	uint8_t *dgram; /* scratch for one outgoing datagram */
	struct proto_chan_stats st;
};

/* The channel key of one connection of a session: SipHash-2-4 keyed by the
 * 16-byte session password (or ensemble secret) over ("dpzk-ch0" | nonce)
 * and ("dpzk-ch1" | nonce), nonce big-endian.  Every connection (CONNECT)
 * carries a fresh nonce, so datagrams of an earlier connection of the same
 * session fail the MAC instead of being taken for new sequence numbers. */
void proto_chan_derive_key(const uint8_t passwd[16], uint64_t nonce,
			   uint8_t key[16]);

/*
 * The datagrams outside any channel (docs/PROTOCOL.md §8 §2.1, §2.4),
 * built here so both ends agree byte for byte.  Each writes one sealed
 * datagram into buf (cap bytes) and returns its length, or -ENOSPC /
 * -EINVAL.
 *   CONNECT: seq = nonce, ack 0, session_id = req->session_id, zero-key MAC.
 *   CONNECTED: seq 0, ack = nonce, session_id = resp->session_id, MAC with
 *     proto_chan_derive_key(resp->passwd, nonce) (16 zero bytes when the
 *     passwd is not 16 bytes long: the refusal form).
 *   CLOSE without state: seq 0, ack 0, the given session id, zero-key MAC,
 *     no payload.
 */
int proto_chan_connect_dgram(void *buf, size_t cap,
			     const struct proto_connect_req *req,
			     uint64_t nonce);
int proto_chan_connected_dgram(void *buf, size_t cap,
			       const struct proto_connect_resp *resp,
			       uint64_t nonce);
int proto_chan_stateless_close_dgram(void *buf, size_t cap, int64_t session_id);
/* Checks a received CONNECTED (already decoded into h, payload decoded
 * into resp) against our nonce: 0 if h->ack == nonce and the MAC verifies
 * under derive(resp->passwd, nonce), and then key holds the connection
 * key; -EBADMSG otherwise. */
int proto_chan_connected_check(const void *dgram, size_t len,
			       const struct proto_dgram_hdr *h,
			       const struct proto_connect_resp *resp,
			       uint64_t nonce, uint8_t key[16]);

/* Fills cfg with the defaults above (windows of 64 messages, 64 datagrams
 * in flight, 2.2 MB arenas, RTO 10 ms initial, 2 ms..1 s, 12 retries, ack
 * delay 500 us, dead_ns off). */
void proto_chan_cfg_default(struct proto_chan_cfg *cfg);

/* Bytes of caller memory a channel with this configuration needs, or 0
 * when the configuration is invalid. */
size_t proto_chan_mem_size(const struct proto_chan_cfg *cfg);

/* Prepares ch over mem (mem_len >= proto_chan_mem_size(cfg), 8-byte
 * aligned, owned by the caller and borrowed until the channel is no longer
 * used).  session_id and key are put in every datagram and checked on
 * every received one.  Both sequence spaces start at 1.  Returns 0,
 * -EINVAL (bad cfg or ops) or -ENOSPC (mem too small). */
int proto_chan_init(struct proto_chan *ch, const struct proto_chan_cfg *cfg,
		    void *mem, size_t mem_len, const struct proto_chan_ops *ops,
		    void *ctx, int64_t session_id, const uint8_t key[16],
		    uint64_t now);

/* Releases every external buffer (tx_release / rx_free) and marks the
 * channel dead; call before freeing its memory. */
void proto_chan_fini(struct proto_chan *ch);

/* Forgets everything in flight both ways and starts fresh sequence spaces
 * (a new connection of the same session, or a new session), with a new
 * session id and key.  Clears the dead state; keeps the counters. */
void proto_chan_reset(struct proto_chan *ch, int64_t session_id,
		      const uint8_t key[16], uint64_t now);

/* Queues one message of `kind` (REQUEST, REPLY, EVENT, CLOSE, PEER...,
 * never CONNECT/CONNECTED/ACK/PING) and transmits what the windows allow.
 * The bytes are copied into the tx ring.  Returns 0, -EMSGSIZE (len >
 * max_msg, or > tx_bytes: use proto_chan_send_ext), -EAGAIN
 * (window or arena full: retry after acks arrive), -EINVAL (kind),
 * -ETIMEDOUT (channel dead). */
int proto_chan_send(struct proto_chan *ch, uint8_t kind, const void *msg,
		    size_t len, uint64_t now);

/* Queues a message that stays in the caller's memory (no copy; e.g. a
 * large reply built in a pooled buffer) until ops.tx_release(ctx, msg).
 * Same errors as send, plus -EINVAL without ops.tx_release. */
int proto_chan_send_ext(struct proto_chan *ch, uint8_t kind, const void *msg,
			size_t len, uint64_t now);

/* Zero-copy send: reserve room for a len-byte message inside the channel,
 * write it, then commit.  reserve returns NULL and sets errno like send's
 * errors; nothing else may be sent between reserve and commit. */
void *proto_chan_reserve(struct proto_chan *ch, size_t len);
int proto_chan_commit(struct proto_chan *ch, uint8_t kind, size_t len,
		      uint64_t now);

/* Would a message of len bytes be accepted now? */
bool proto_chan_can_send(const struct proto_chan *ch, size_t len);

/* One received datagram (len bytes, header included).  Decodes, checks
 * session and MAC, processes the ack, reassembles, delivers, acks.
 * Returns 0 (accepted or a counted duplicate), -EBADMSG (dropped; see the
 * counters) or -ETIMEDOUT (dead). */
int proto_chan_input(struct proto_chan *ch, const void *dgram, size_t len,
		     uint64_t now);

/* Runs the timers that are due: delayed ack, retransmission, give-up.
 * Returns 0 or -ETIMEDOUT when the channel is (now) dead. */
int proto_chan_timer(struct proto_chan *ch, uint64_t now);

/* The earliest time proto_chan_timer must be called, UINT64_MAX if none. */
uint64_t proto_chan_next_deadline(const struct proto_chan *ch);

/* Emits a PING (unsequenced, piggybacks our ack); the peer's channel
 * answers with an ACK at once.  Returns 0 or the emit error. */
int proto_chan_ping(struct proto_chan *ch, uint64_t now);

/* Emits an ACK now (e.g. before going idle). */
int proto_chan_ack_now(struct proto_chan *ch, uint64_t now);

/* Emits an authenticated unsequenced datagram (seq 0) of `kind`, e.g.
 * CLOSE, with a payload of at most mtu_payload bytes. */
int proto_chan_send_control(struct proto_chan *ch, uint8_t kind,
			    const void *payload, size_t len, uint64_t now);

/* True when every message sent has been acknowledged. */
bool proto_chan_idle(const struct proto_chan *ch);
bool proto_chan_is_dead(const struct proto_chan *ch);
/* Messages queued and not yet acknowledged. */
uint32_t proto_chan_outstanding(const struct proto_chan *ch);
/* Current retransmission timeout and smoothed RTT (ns, 0 if no sample). */
uint64_t proto_chan_rto(const struct proto_chan *ch);
uint64_t proto_chan_srtt(const struct proto_chan *ch);
const struct proto_chan_stats *proto_chan_stats(const struct proto_chan *ch);
const char *proto_chan_drop_name(int reason);

/*
 * Liveness of the server at the other end of a client-side channel
 * (libdpzk, dpzk-gateway): a server whose channel acknowledges nothing of
 * what is outstanding, or that owes replies and answers no PING, for one
 * period is taken for dead, long before the 2/3-of-the-session-timeout
 * rule.  A live server's channel acknowledges every datagram and PING at
 * once however long the requests take, so that silence means it is gone
 * (what a TCP client learns from the peer's reset).  docs/PROTOCOL.md §8
 * §2.3.  The owner keeps a struct proto_liveness per connection (zeroed at
 * connect), calls track after each processing pass (it sends the probe
 * PINGs), asks dead from its timer, and wakes at deadline.  owed: requests
 * sent and not yet answered; last_rx: the last authenticated datagram from
 * the server; all times in ns.
 */
struct proto_liveness {
	uint64_t unacked_since; /* data outstanding and nothing acked since */
	uint64_t probe_since;	/* probing: the server owes and is silent */
	uint64_t probe_last;	/* the last probe PING */
};

#define PROTO_LIVENESS_MIN_NS (150ull * 1000 * 1000)

/* The period: max(8 x srtt, 150 ms), at most cap_ns. */
uint64_t proto_liveness_period(const struct proto_chan *ch, uint64_t cap_ns);
void proto_liveness_track(struct proto_liveness *lv, struct proto_chan *ch,
			  bool owed, uint64_t last_rx, uint64_t now,
			  uint64_t period);
bool proto_liveness_dead(const struct proto_liveness *lv, uint64_t last_rx,
			 uint64_t now, uint64_t period);
/* When track/dead must run next; UINT64_MAX when nothing is watched. */
uint64_t proto_liveness_deadline(const struct proto_liveness *lv,
				 const struct proto_chan *ch, bool owed,
				 uint64_t last_rx, uint64_t period);

#ifdef __cplusplus
}
#endif

#endif /* DPZK_PROTO_CHANNEL_H */
