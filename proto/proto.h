/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/ — the wire: ZooKeeper's jute records exactly as Apache ZooKeeper
 * encodes them (ZK-WIRE.md), the dpzk datagram header (docs/PROTOCOL.md),
 * and the txn record that is both the log payload and the Zab proposal body.
 *
 * Why it is built this way: every byte that arrives from a network or a disk
 * passes through here first, so decoding is done with a bounded reader that
 * checks the remaining length before every read and never allocates.
 * Decoded records are *views* into the caller's buffer (no copy); vectors are
 * carved from a caller-supplied scratch area with a fixed capacity.  A
 * malformed record is an error code (-EBADMSG), never an out-of-bounds read
 * and never an abort.  Encoding writes into a caller buffer and reports
 * -ENOSPC when it does not fit.
 *
 * Thread safety: every function is reentrant; nothing here has global state.
 * This module may use libc and libsodium only (DESIGN.md §2).
 */
#ifndef DPZK_PROTO_H
#define DPZK_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* ZooKeeper constants (ZK-WIRE.md §2–§5)                              */
/* ------------------------------------------------------------------ */

/* Opcodes (S/ZooDefs.java OpCode). */
enum proto_op {
	PROTO_OP_NOTIFICATION = 0,
	PROTO_OP_CREATE = 1,
	PROTO_OP_DELETE = 2,
	PROTO_OP_EXISTS = 3,
	PROTO_OP_GETDATA = 4,
	PROTO_OP_SETDATA = 5,
	PROTO_OP_GETACL = 6,
	PROTO_OP_SETACL = 7,
	PROTO_OP_GETCHILDREN = 8,
	PROTO_OP_SYNC = 9,
	PROTO_OP_PING = 11,
	PROTO_OP_GETCHILDREN2 = 12,
	PROTO_OP_CHECK = 13,
	PROTO_OP_MULTI = 14,
	PROTO_OP_CREATE2 = 15,
	PROTO_OP_RECONFIG = 16,
	PROTO_OP_CHECKWATCHES = 17,
	PROTO_OP_REMOVEWATCHES = 18,
	PROTO_OP_CREATECONTAINER = 19,
	PROTO_OP_DELETECONTAINER = 20,
	PROTO_OP_CREATETTL = 21,
	PROTO_OP_MULTIREAD = 22,
	PROTO_OP_AUTH = 100,
	PROTO_OP_SETWATCHES = 101,
	PROTO_OP_SASL = 102,
	PROTO_OP_GETEPHEMERALS = 103,
	PROTO_OP_GETALLCHILDRENNUMBER = 104,
	PROTO_OP_SETWATCHES2 = 105,
	PROTO_OP_ADDWATCH = 106,
	PROTO_OP_WHOAMI = 107,
	PROTO_OP_CREATESESSION = -10,
	PROTO_OP_CLOSESESSION = -11,
	PROTO_OP_ERROR = -1,
};

/* ZooKeeper's client-visible error codes (S/KeeperException.java).  These
 * are not errno values; they travel in ReplyHeader.err. */
enum proto_zerr {
	PROTO_ZOK = 0,
	PROTO_ZSYSTEMERROR = -1,
	PROTO_ZRUNTIMEINCONSISTENCY = -2,
	PROTO_ZDATAINCONSISTENCY = -3,
	PROTO_ZCONNECTIONLOSS = -4,
	PROTO_ZMARSHALLINGERROR = -5,
	PROTO_ZUNIMPLEMENTED = -6,
	PROTO_ZOPERATIONTIMEOUT = -7,
	PROTO_ZBADARGUMENTS = -8,
	PROTO_ZUNKNOWNSESSION = -12,
	PROTO_ZNEWCONFIGNOQUORUM = -13,
	PROTO_ZRECONFIGINPROGRESS = -14,
	PROTO_ZAPIERROR = -100,
	PROTO_ZNONODE = -101,
	PROTO_ZNOAUTH = -102,
	PROTO_ZBADVERSION = -103,
	PROTO_ZNOCHILDRENFOREPHEMERALS = -108,
	PROTO_ZNODEEXISTS = -110,
	PROTO_ZNOTEMPTY = -111,
	PROTO_ZSESSIONEXPIRED = -112,
	PROTO_ZINVALIDCALLBACK = -113,
	PROTO_ZINVALIDACL = -114,
	PROTO_ZAUTHFAILED = -115,
	PROTO_ZSESSIONMOVED = -118,
	PROTO_ZNOTREADONLY = -119,
	PROTO_ZEPHEMERALONLOCALSESSION = -120,
	PROTO_ZNOWATCHER = -121,
	PROTO_ZREQUESTTIMEOUT = -122,
	PROTO_ZRECONFIGDISABLED = -123,
	PROTO_ZSESSIONCLOSEDREQUIRESASLAUTH = -124,
	PROTO_ZQUOTAEXCEEDED = -125,
	PROTO_ZTHROTTLEDOP = -127,
};

/* Returns ZooKeeper's name for a code ("NONODE"), or "UNKNOWN". */
const char *proto_zerr_name(int32_t zerr);
/* Returns the opcode's name ("getData"), or "unknown". */
const char *proto_op_name(int32_t op);

/* Permission bits (ZooDefs.Perms). */
#define PROTO_PERM_READ	  1
#define PROTO_PERM_WRITE  2
#define PROTO_PERM_CREATE 4
#define PROTO_PERM_DELETE 8
#define PROTO_PERM_ADMIN  16
#define PROTO_PERM_ALL	  31

/* CreateMode flags (S/CreateMode.java). */
enum proto_create_mode {
	PROTO_CM_PERSISTENT = 0,
	PROTO_CM_EPHEMERAL = 1,
	PROTO_CM_PERSISTENT_SEQUENTIAL = 2,
	PROTO_CM_EPHEMERAL_SEQUENTIAL = 3,
	PROTO_CM_CONTAINER = 4,
	PROTO_CM_PERSISTENT_WITH_TTL = 5,
	PROTO_CM_PERSISTENT_SEQUENTIAL_WITH_TTL = 6,
};

/* Watcher event types and states (S/Watcher.java). */
enum proto_event_type {
	PROTO_EV_NONE = -1,
	PROTO_EV_NODE_CREATED = 1,
	PROTO_EV_NODE_DELETED = 2,
	PROTO_EV_NODE_DATA_CHANGED = 3,
	PROTO_EV_NODE_CHILDREN_CHANGED = 4,
	PROTO_EV_DATA_WATCH_REMOVED = 5,
	PROTO_EV_CHILD_WATCH_REMOVED = 6,
	PROTO_EV_PERSISTENT_WATCH_REMOVED = 7,
};
#define PROTO_STATE_SYNC_CONNECTED 3
#define PROTO_STATE_EXPIRED	   (-112)

/* addWatch modes and removeWatches/checkWatches watcher types. */
#define PROTO_ADDWATCH_PERSISTENT	    0
#define PROTO_ADDWATCH_PERSISTENT_RECURSIVE 1
#define PROTO_WTYPE_CHILDREN		    1
#define PROTO_WTYPE_DATA		    2
#define PROTO_WTYPE_ANY			    3
#define PROTO_WTYPE_PERSISTENT		    4
#define PROTO_WTYPE_PERSISTENT_RECURSIVE    5

/* Special xids. */
#define PROTO_XID_NOTIFICATION (-1)
#define PROTO_XID_PING	       (-2)
#define PROTO_XID_AUTH	       (-4)
#define PROTO_XID_SETWATCHES   (-8)

#define PROTO_JUTE_MAXBUFFER 0xfffff
#define PROTO_PASSWD_LEN     16
#define PROTO_STAT_LEN	     68

/* ------------------------------------------------------------------ */
/* Jute primitives                                                     */
/* ------------------------------------------------------------------ */

/* A view of bytes inside someone else's buffer.  len == -1 means null
 * (jute's -1 length); a ustring view is NOT NUL-terminated. */
struct proto_view {
	const uint8_t *p;
	int32_t len;
};

/* Bounded reader.  Every get checks the remaining length first; on any
 * failure the reader is poisoned (err = -EBADMSG) and every later get
 * fails too, so a decoder may check once at the end. */
struct proto_rbuf {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};

/* Writer into a caller buffer; sticky err = -ENOSPC on overflow.  With
 * p == NULL it only counts (len grows, nothing is written): the size of an
 * encoding without a buffer. */
struct proto_wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err;
};

/* Scratch area vectors are decoded into (fixed capacity, caller-owned,
 * reset by the caller).  Running out is -ENOBUFS. */
struct proto_scratch {
	uint8_t *base;
	size_t cap;
	size_t used;
};

void proto_rbuf_init(struct proto_rbuf *r, const void *p, size_t len);
void proto_wbuf_init(struct proto_wbuf *w, void *p, size_t cap);
void proto_scratch_init(struct proto_scratch *s, void *base, size_t cap);
/* Aligned allocation from the scratch area, NULL when it is exhausted. */
void *proto_scratch_alloc(struct proto_scratch *s, size_t n);
/* Scratch bytes that always suffice to decode any record of len input
 * bytes (request, reply or txn body): with at least this much free, no
 * decoder returns -ENOBUFS.  A worst case (about 24 bytes per input byte on
 * 64-bit; real records need far less), for sizing scratch from the largest
 * message a caller accepts. */
size_t proto_scratch_bound(size_t len);

int32_t proto_get_int(struct proto_rbuf *r);
int64_t proto_get_long(struct proto_rbuf *r);
bool proto_get_bool(struct proto_rbuf *r); /* only 0 or 1 are accepted */
/* buffer/ustring: length -1 = null, otherwise 0..remaining and at most
 * PROTO_JUTE_MAXBUFFER. */
struct proto_view proto_get_buffer(struct proto_rbuf *r);
struct proto_view proto_get_ustring(struct proto_rbuf *r);

void proto_put_int(struct proto_wbuf *w, int32_t v);
void proto_put_long(struct proto_wbuf *w, int64_t v);
void proto_put_bool(struct proto_wbuf *w, bool v);
void proto_put_buffer(struct proto_wbuf *w, const void *p, int32_t len);
void proto_put_view(struct proto_wbuf *w, struct proto_view v);
/* NUL-terminated string (NULL encodes as -1). */
void proto_put_cstr(struct proto_wbuf *w, const char *s);

/* ------------------------------------------------------------------ */
/* ZooKeeper records                                                   */
/* ------------------------------------------------------------------ */

struct proto_stat {
	int64_t czxid;
	int64_t mzxid;
	int64_t ctime;
	int64_t mtime;
	int32_t version;
	int32_t cversion;
	int32_t aversion;
	int64_t ephemeral_owner;
	int32_t data_length;
	int32_t num_children;
	int64_t pzxid;
};

struct proto_id {
	struct proto_view scheme;
	struct proto_view id;
};

struct proto_acl {
	int32_t perms;
	struct proto_id id;
};

/* n == -1: null vector. */
struct proto_acl_vec {
	int32_t n;
	struct proto_acl *v;
};

struct proto_str_vec {
	int32_t n;
	struct proto_view *v;
};

struct proto_req_hdr {
	int32_t xid;
	int32_t type;
};

struct proto_reply_hdr {
	int32_t xid;
	int64_t zxid;
	int32_t err;
};

struct proto_connect_req {
	int32_t protocol_version;
	int64_t last_zxid_seen;
	int32_t timeout;
	int64_t session_id;
	struct proto_view passwd;
	int8_t read_only; /* 0/1, or -1 when the optional byte is absent */
};

struct proto_connect_resp {
	int32_t protocol_version;
	int32_t timeout;
	int64_t session_id;
	struct proto_view passwd;
	int8_t read_only; /* -1: do not encode the optional byte */
	/* dpzk extension, after readOnly (so only when read_only >= 0),
	 * encoded only when > 0: the xid of the session's last applied
	 * write, so a client reattaching a session from another handle or
	 * gateway continues above it (docs/PROTOCOL.md §8 §2.1). */
	int32_t last_xid;
};

struct proto_watcher_event {
	int32_t type;
	int32_t state;
	struct proto_view path;
};

struct proto_client_info {
	struct proto_view auth_scheme;
	struct proto_view user;
};

/* AuthPacket{int type; ustring scheme; buffer auth}. */
struct proto_auth {
	int32_t type;
	struct proto_view scheme;
	struct proto_view auth;
};

/*
 * Any request body, decoded according to its opcode.  Only the fields the
 * opcode has are set (the rest are zero):
 *   create/create2/createContainer: path data acl flags
 *   createTTL: + ttl
 *   delete, check: path version            setData: path data version
 *   exists/getData/getChildren/getChildren2: path watch
 *   getACL, sync, getAllChildrenNumber: path      getEphemerals: path (prefix)
 *   setACL: path acl version               addWatch: path mode
 *   checkWatches/removeWatches: path mode (watcher type)
 *   setWatches/setWatches2: rel_zxid watches[0..2] (+[3..4] for 2)
 *   auth: auth                              multi/multiRead: multi
 *   ping, whoAmI, closeSession: nothing
 */
enum proto_watch_list {
	PROTO_WL_DATA = 0,
	PROTO_WL_EXIST = 1,
	PROTO_WL_CHILD = 2,
	PROTO_WL_PERSISTENT = 3,
	PROTO_WL_PERSISTENT_RECURSIVE = 4,
	PROTO_WL_MAX = 5,
};

struct proto_request {
	int32_t type;
	struct proto_view path;
	struct proto_view data;
	struct proto_acl_vec acl;
	int32_t flags;
	int32_t version;
	int32_t mode;
	bool watch;
	int64_t ttl;
	int64_t rel_zxid;
	struct proto_str_vec watches[PROTO_WL_MAX];
	struct proto_auth auth;
	struct {
		int32_t n;
		struct proto_request *ops;
	} multi;
};

/* One result of a multi or multiRead.  type is the echoed op type, or -1
 * (PROTO_OP_ERROR) with err set. */
struct proto_multi_result {
	int32_t type;
	int32_t err;
	struct proto_view path;
	struct proto_view data;
	struct proto_stat stat;
	struct proto_str_vec children;
};

/*
 * Any reply body, according to the opcode of the request it answers (only
 * when ReplyHeader.err == 0; otherwise there is no body):
 *   create: path        create2/createContainer/createTTL: path stat
 *   exists, setData, setACL: stat       getData: data stat
 *   getChildren: children               getChildren2: children stat
 *   getACL: acl stat    sync: path      getEphemerals: children
 *   getAllChildrenNumber: number        addWatch: number (always 0)
 *   whoAmI: who         multi/multiRead: multi
 *   delete, checkWatches, removeWatches, setWatches(2), ping, auth,
 *   closeSession: nothing
 */
struct proto_response {
	int32_t type;
	struct proto_view path;
	struct proto_view data;
	struct proto_stat stat;
	struct proto_str_vec children;
	struct proto_acl_vec acl;
	int32_t number;
	struct {
		int32_t n;
		struct proto_client_info *v;
	} who;
	struct {
		int32_t n;
		struct proto_multi_result *r;
	} multi;
};

/* Record codecs.  Decoders return 0, -EBADMSG (malformed or trailing
 * bytes where the record must end the buffer), or -ENOBUFS (scratch too
 * small; a NULL scratch is one of size 0, fine for records without
 * vectors).  proto_request_decode/proto_response_decode also return
 * -EOPNOTSUPP for an opcode that has no body codec (reconfig, sasl,
 * notification, createSession, error, unknown values): ZooKeeper answers
 * those with ZUNIMPLEMENTED.  Decoded views point into r's buffer; vectors
 * and multi op/result arrays into s.  Encoders return 0 or -ENOSPC; on
 * -ENOSPC w->len is the size the encoding needed; -EINVAL means the record
 * cannot be encoded (unknown opcode, an op not allowed in the multi, n > 0
 * with a NULL array).  proto_event_decode requires the event to end r;
 * the header and sub-record decoders (stat, acl_vec) do not. */
void proto_put_stat(struct proto_wbuf *w, const struct proto_stat *s);
int proto_get_stat(struct proto_rbuf *r, struct proto_stat *s);
void proto_put_acl_vec(struct proto_wbuf *w, const struct proto_acl_vec *v);
int proto_get_acl_vec(struct proto_rbuf *r, struct proto_acl_vec *v,
		      struct proto_scratch *s);

int proto_req_hdr_decode(struct proto_rbuf *r, struct proto_req_hdr *h);
int proto_req_hdr_encode(struct proto_wbuf *w, const struct proto_req_hdr *h);
int proto_reply_hdr_decode(struct proto_rbuf *r, struct proto_reply_hdr *h);
int proto_reply_hdr_encode(struct proto_wbuf *w,
			   const struct proto_reply_hdr *h);

int proto_connect_req_decode(const void *p, size_t len,
			     struct proto_connect_req *c);
int proto_connect_req_encode(struct proto_wbuf *w,
			     const struct proto_connect_req *c);
int proto_connect_resp_decode(const void *p, size_t len,
			      struct proto_connect_resp *c);
int proto_connect_resp_encode(struct proto_wbuf *w,
			      const struct proto_connect_resp *c);

int proto_event_decode(struct proto_rbuf *r, struct proto_watcher_event *e);
int proto_event_encode(struct proto_wbuf *w,
		       const struct proto_watcher_event *e);

/* Request body of opcode `type` (the header has been read already).  The
 * whole rest of r must be the body. */
int proto_request_decode(struct proto_rbuf *r, int32_t type,
			 struct proto_request *q, struct proto_scratch *s);
int proto_request_encode(struct proto_wbuf *w, const struct proto_request *q);

/* Reply body for a request of opcode `type` (only when err == 0). */
int proto_response_decode(struct proto_rbuf *r, int32_t type,
			  struct proto_response *a, struct proto_scratch *s);
int proto_response_encode(struct proto_wbuf *w, const struct proto_response *a);

/* ------------------------------------------------------------------ */
/* Txn records: the log payload and the Zab proposal body               */
/* ------------------------------------------------------------------ */

/*
 * A txn is self-describing: replaying it needs no original request.
 * Encoding: TxnHeader{long session_id; int xid; long zxid; long time;
 * int type} then the body for `type`, all jute.  docs/PROTOCOL.md §txn.
 *
 * Bodies (fields of struct proto_txn used):
 *   CREATE / CREATE2 / CREATECONTAINER / CREATETTL:
 *       path (final, with sequence suffix) data acl
 *       ephemeral_owner (session id, or 0) create_mode ttl
 *       parent_cversion (the parent's stored cversion after this create)
 *   DELETE / DELETECONTAINER: path
 *   SETDATA: path data version (the node's new version)
 *   SETACL: path acl version (new aversion)
 *   CHECK: path version
 *   CREATESESSION: timeout passwd(16)
 *   CLOSESESSION: nothing (the tree knows the session's ephemerals)
 *   ERROR: err
 *   MULTI: multi.n sub-txns, each with its own type and body (sub-txn
 *       headers are not encoded: they share the outer header); a failed
 *       multi is encoded as a MULTI whose sub-txns are ERROR records
 *       carrying each op's result code, as ZooKeeper does.
 */
struct proto_txn_hdr {
	int64_t session_id;
	int32_t xid;
	int64_t zxid;
	int64_t time; /* ms since the epoch, chosen by the leader */
	int32_t type; /* enum proto_op */
};

struct proto_txn {
	struct proto_txn_hdr hdr;
	struct proto_view path;
	struct proto_view data;
	struct proto_acl_vec acl;
	int64_t ephemeral_owner;
	int32_t create_mode;
	int64_t ttl;
	int32_t parent_cversion;
	int32_t version;
	int32_t timeout;
	struct proto_view passwd;
	int32_t err;
	struct {
		int32_t n;
		struct proto_txn *ops;
	} multi;
};

/* Decode fills each multi sub-txn's hdr from the outer header (with its
 * own type).  Decode errors: -EBADMSG (unknown or misplaced type, a
 * CREATESESSION passwd that is not 16 bytes, trailing bytes), -ENOBUFS.
 * Encode errors: -ENOSPC, -EINVAL (same rules). */
int proto_txn_encode(struct proto_wbuf *w, const struct proto_txn *t);
int proto_txn_decode(const void *p, size_t len, struct proto_txn *t,
		     struct proto_scratch *s);

/* ------------------------------------------------------------------ */
/* The dpzk datagram header (DESIGN.md §4.1, docs/PROTOCOL.md)          */
/* ------------------------------------------------------------------ */

#define PROTO_DGRAM_MAGIC   0xD27Bu /* "dpzk" on the wire: 0xD2 0x7B */
#define PROTO_DGRAM_VERSION 1
#define PROTO_DGRAM_HDR_LEN 48

enum proto_dgram_kind {
	PROTO_K_CONNECT = 1,   /* client → server: ConnectRequest */
	PROTO_K_CONNECTED = 2, /* server → client: ConnectResponse */
	PROTO_K_REQUEST = 3,   /* RequestHeader + body */
	PROTO_K_REPLY = 4,     /* ReplyHeader + body */
	PROTO_K_EVENT = 5,     /* ReplyHeader(xid -1) + WatcherEvent */
	PROTO_K_ACK = 6,       /* cumulative ack only, no payload */
	PROTO_K_PING = 7,      /* keep-alive, no payload */
	PROTO_K_CLOSE = 8,     /* session closed / refused */
	PROTO_K_ADMIN = 9,     /* four-letter word request / text reply */
	PROTO_K_PEER = 16,     /* peer channel (zab/election), 16..31 */
};

#define PROTO_F_RETRANSMIT 0x01 /* this datagram is a retransmission */
#define PROTO_F_ACK_REQ	   0x02 /* please ack at once */

struct proto_dgram_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t kind;
	uint8_t flags;
	uint8_t reserved;
	uint16_t frag_count; /* fragments in this message, 1..PROTO_MAX_FRAGS */
	uint16_t frag_index; /* 0..frag_count-1 */
	uint16_t payload_len; /* bytes after the header in this datagram */
	uint32_t msg_len;     /* total reassembled message length */
	int64_t session_id;
	uint64_t seq; /* message sequence number (per direction) */
	uint64_t ack; /* cumulative: all messages < ack were received */
	uint64_t mac; /* SipHash-2-4 over header (mac = 0) + payload */
};

#define PROTO_MAX_FRAGS 1024
/* Largest reassembled message a header may announce (msg_len): a full
 * jute.maxbuffer frame with room to spare for headers and paths. */
#define PROTO_DGRAM_MAX_MSG (2u * 1024 * 1024)

/* Decode/encode the fixed 48-byte header; decode checks magic, version,
 * kind (1..9, 16..31), reserved == 0, fragment fields, payload_len against
 * len and msg_len (== payload_len for one fragment; otherwise
 * payload_len..min(PROTO_DGRAM_MAX_MSG, frag_count * 0xffff)); -EBADMSG
 * for any violation.  The MAC is not checked here (proto_dgram_verify). */
int proto_dgram_hdr_decode(const void *p, size_t len,
			   struct proto_dgram_hdr *h);
void proto_dgram_hdr_encode(void *p, const struct proto_dgram_hdr *h);
/* MAC over the datagram at p (len bytes, header included, mac field taken
 * as zero) with a 16-byte key; seal writes it in, verify returns 0 or
 * -EBADMSG.  The value equals crypto_shorthash's 8 output bytes read
 * big-endian (so the header carries those bytes verbatim); neither call
 * copies or modifies the payload (verify modifies nothing). */
uint64_t proto_dgram_mac(const void *p, size_t len, const uint8_t key[16]);
void proto_dgram_seal(void *p, size_t len, const uint8_t key[16]);
int proto_dgram_verify(const void *p, size_t len, const uint8_t key[16]);

/* Is the four-letter word allowed by a whitelist ("*", or words separated
 * by commas and/or spaces, as ZooKeeper's 4lw.commands.whitelist)?  Shared
 * by the server's ADMIN answers and dpzk-gateway. */
bool proto_4lw_allowed(const char *whitelist, const char *word);

#ifdef __cplusplus
}
#endif

/* The reliable session/peer channel state machine (seq, ack, retransmit,
 * reassembly, MAC): its own section of this module's API. */
#include "proto/proto_channel.h"

#endif /* DPZK_PROTO_H */
