/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client/dpzk.h — libdpzk, the C client of dpzk, modelled on Apache
 * ZooKeeper's C API (zookeeper.h) with a dpzk_ prefix: same operations,
 * same error codes (DPZK_Z* == ZooKeeper's Z* values), same watch
 * semantics, same create modes.
 *
 * Why it is built this way: any application can link it — the transport
 * is an ordinary non-blocking kernel UDP socket (or, through
 * dpzk_init_transport, any datagram path the application brings, such as
 * a DPDK port) speaking dpzk's session
 * channel (docs/PROTOCOL.md §8: sequence numbers, acks,
 * retransmission, reassembly, MAC; the channel code is proto/'s, shared
 * with the server).  There is no background thread.  Either
 *   - integrate it in your event loop: poll dpzk_fd() for POLLIN, wake at
 *     dpzk_next_deadline(), and call dpzk_process(zh, dpzk_now()); every
 *     callback (completions, watchers) runs from inside dpzk_process; or
 *   - use the blocking calls (dpzk_get, dpzk_create, ...), which run that
 *     loop internally with ppoll() until their own reply arrives (and run
 *     any other callbacks that become due meanwhile).
 *
 * Ordering: replies and watch events come from the server on one channel
 * sequence and are dispatched in that order, so a watcher sees an event
 * before the reply of any later request that observes the change
 * (ZooKeeper's guarantee).  Completions run in request order.
 *
 * Reconnects: when the channel to a server dies (nothing acknowledged of
 * outstanding data for max(8 x RTT, 150 ms); requests taken but
 * unanswered and liveness PINGs unanswered for as long; or no answer at
 * all within 2/3 of the session timeout), the handle reconnects — to the
 * next server
 * of the list — with the same session id and password, resends its auth
 * data, re-arms its watches (setWatches) and resends every request that
 * has no reply yet with the same xid; the server answers a retried write
 * with its original result (it applies each xid once).  Requests fail with
 * DPZK_ZCONNECTIONLOSS only when no server could be reached for a whole
 * session timeout; the watcher sees DPZK_CONNECTING_STATE while
 * disconnected and DPZK_EXPIRED_SESSION_STATE when the server says the
 * session is gone (every later call then returns DPZK_ZINVALIDSTATE).
 *
 * Threads: a handle is used by one thread at a time (no internal locks);
 * different handles are independent.  Callbacks may call any function of
 * this API on the same handle, including blocking ones (which then
 * dispatch later callbacks from inside).  dpzk_close must not be called
 * from a callback.
 *
 * Ownership: every pointer argument is borrowed for the call and copied if
 * kept.  Pointers given to callbacks are valid only during the callback.
 * Vectors returned by blocking calls are the caller's, freed with
 * dpzk_strings_free / dpzk_acls_free / dpzk_client_info_free.
 *
 * Return values: int functions return DPZK_ZOK (0) or a negative DPZK_Z*
 * code (never -errno); dpzk_strerror() names them.
 */
#ifndef DPZK_DPZK_H
#define DPZK_DPZK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Codes (ZooKeeper's values)                                          */
/* ------------------------------------------------------------------ */

enum dpzk_errors {
	DPZK_ZOK = 0,
	DPZK_ZSYSTEMERROR = -1,
	DPZK_ZRUNTIMEINCONSISTENCY = -2,
	DPZK_ZDATAINCONSISTENCY = -3,
	DPZK_ZCONNECTIONLOSS = -4,
	DPZK_ZMARSHALLINGERROR = -5,
	DPZK_ZUNIMPLEMENTED = -6,
	DPZK_ZOPERATIONTIMEOUT = -7,
	DPZK_ZBADARGUMENTS = -8,
	DPZK_ZINVALIDSTATE = -9,
	DPZK_ZNEWCONFIGNOQUORUM = -13,
	DPZK_ZRECONFIGINPROGRESS = -14,
	DPZK_ZSSLCONNECTIONERROR = -15,
	DPZK_ZAPIERROR = -100,
	DPZK_ZNONODE = -101,
	DPZK_ZNOAUTH = -102,
	DPZK_ZBADVERSION = -103,
	DPZK_ZNOCHILDRENFOREPHEMERALS = -108,
	DPZK_ZNODEEXISTS = -110,
	DPZK_ZNOTEMPTY = -111,
	DPZK_ZSESSIONEXPIRED = -112,
	DPZK_ZINVALIDCALLBACK = -113,
	DPZK_ZINVALIDACL = -114,
	DPZK_ZAUTHFAILED = -115,
	DPZK_ZCLOSING = -116,
	DPZK_ZNOTHING = -117,
	DPZK_ZSESSIONMOVED = -118,
	DPZK_ZNOTREADONLY = -119,
	DPZK_ZEPHEMERALONLOCALSESSION = -120,
	DPZK_ZNOWATCHER = -121,
	DPZK_ZRECONFIGDISABLED = -123,
	DPZK_ZSESSIONCLOSEDREQUIRESASLAUTH = -124,
	DPZK_ZTHROTTLEDOP = -127,
};

/* A short English description ("no node"); never NULL. */
const char *dpzk_strerror(int rc);
/* ZooKeeper's exception name ("NoNode"), never NULL. */
const char *dpzk_errname(int rc);

/* Permissions. */
#define DPZK_PERM_READ	 1
#define DPZK_PERM_WRITE	 2
#define DPZK_PERM_CREATE 4
#define DPZK_PERM_DELETE 8
#define DPZK_PERM_ADMIN	 16
#define DPZK_PERM_ALL	 0x1f

/* Create modes (CreateMode flags). */
#define DPZK_PERSISTENT			    0
#define DPZK_EPHEMERAL			    1
#define DPZK_PERSISTENT_SEQUENTIAL	    2
#define DPZK_EPHEMERAL_SEQUENTIAL	    3
#define DPZK_CONTAINER			    4
#define DPZK_PERSISTENT_WITH_TTL	    5
#define DPZK_PERSISTENT_SEQUENTIAL_WITH_TTL 6
#define DPZK_SEQUENCE			    2 /* the sequential bit */

/* Watch event types. */
#define DPZK_CREATED_EVENT     1
#define DPZK_DELETED_EVENT     2
#define DPZK_CHANGED_EVENT     3
#define DPZK_CHILD_EVENT       4
#define DPZK_SESSION_EVENT     (-1)
#define DPZK_NOTWATCHING_EVENT (-2)

/* Session states. */
#define DPZK_EXPIRED_SESSION_STATE (-112)
#define DPZK_AUTH_FAILED_STATE	   (-113)
#define DPZK_CLOSED_STATE	   0
#define DPZK_CONNECTING_STATE	   1
#define DPZK_ASSOCIATING_STATE	   2
#define DPZK_CONNECTED_STATE	   3

/* addWatch modes. */
#define DPZK_ADD_WATCH_PERSISTENT	    0
#define DPZK_ADD_WATCH_PERSISTENT_RECURSIVE 1

/* removeWatches / checkWatches watcher types. */
#define DPZK_WATCHER_CHILDREN		  1
#define DPZK_WATCHER_DATA		  2
#define DPZK_WATCHER_ANY		  3
#define DPZK_WATCHER_PERSISTENT		  4
#define DPZK_WATCHER_PERSISTENT_RECURSIVE 5

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

struct dpzk_stat {
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

struct dpzk_id {
	char *scheme;
	char *id;
};

struct dpzk_acl {
	int32_t perms;
	struct dpzk_id id;
};

struct dpzk_acl_vector {
	int32_t count;
	struct dpzk_acl *data;
};

struct dpzk_strings {
	int32_t count;
	char **data;
};

struct dpzk_client_info {
	char *scheme;
	char *user;
};

/* Session identity, for reattaching a session in a new handle. */
struct dpzk_clientid {
	int64_t session_id;
	char passwd[16];
};

/* world:anyone:cdrwa, world:anyone:r, auth::cdrwa */
extern const struct dpzk_acl_vector dpzk_open_acl_unsafe;
extern const struct dpzk_acl_vector dpzk_read_acl_unsafe;
extern const struct dpzk_acl_vector dpzk_creator_all_acl;

void dpzk_strings_free(struct dpzk_strings *v);
void dpzk_acls_free(struct dpzk_acl_vector *v);
void dpzk_client_info_free(struct dpzk_client_info *v, int count);

/* ------------------------------------------------------------------ */
/* Handles and the event loop                                          */
/* ------------------------------------------------------------------ */

struct dpzk_handle;

/* Watchers get one call per event; path is "" for session events.  For
 * session events type is DPZK_SESSION_EVENT and state the new state. */
typedef void dpzk_watcher_fn(struct dpzk_handle *zh, int type, int state,
			     const char *path, void *watcher_ctx);

/*
 * Creates a handle and starts connecting to one of `hosts`
 * ("host:port,host:port[/chroot]", IPv4/IPv6 literals ("[::1]:2181") or
 * names; port defaults to 2181) without waiting.  With a chroot, every
 * path the application uses is relative to it, as in ZooKeeper. recv_timeout_ms
 * is the session timeout asked for; cid reattaches an existing session (NULL:
 * new session); watcher is the default watcher (may be NULL) and context its
 * watcher_ctx (also dpzk_get_context).  flags: 0.  Returns NULL with errno set
 * (EINVAL for bad hosts, ENOMEM, or a socket error).
 */
struct dpzk_handle *dpzk_init(const char *hosts, dpzk_watcher_fn *watcher,
			      int recv_timeout_ms,
			      const struct dpzk_clientid *cid, void *context,
			      int flags);

/*
 * A datagram transport of one's own, for applications that do not use the
 * kernel's UDP sockets (dpzk-bench's kernel-bypass client runs the session
 * channel over a DPDK port this way).  Everything above the datagram —
 * the session channel, reconnects, failover, retries — is the same code
 * as with the default socket.
 *
 *  send  sends one datagram to the server `to` (one of the hosts given to
 *        dpzk_init_transport, as resolved; tolen bytes).  Returns 0, or
 *        -errno when it was not sent (the channel retransmits, as it does
 *        for a datagram lost on the way).
 *  recv  copies the next datagram received for this handle into buf (at
 *        most cap bytes) and returns its length; -EAGAIN when there is
 *        none now (the handle then stops reading until the next
 *        dpzk_process); another -errno is taken as "none" too.  Which
 *        datagrams belong to which handle is the transport's business
 *        (e.g. one local UDP port per handle).
 *  wait  optional: blocks until input may be there or the CLOCK_MONOTONIC
 *        time deadline_ns, for the blocking calls.  NULL: the blocking
 *        calls spin (call dpzk_process in a loop), which is what a
 *        polled transport wants.
 *  ctx   passed to each.
 * The functions are called from inside dpzk_process and the blocking
 * calls, on the thread using the handle; the struct is copied.
 */
struct sockaddr;
struct dpzk_transport {
	int (*send)(void *ctx, const struct sockaddr *to, size_t tolen,
		    const void *dgram, size_t len);
	long (*recv)(void *ctx, void *buf, size_t cap);
	void (*wait)(void *ctx, uint64_t deadline_ns);
	void *ctx;
};

/* dpzk_init over transport t instead of a kernel socket; dpzk_fd() is
 * then -1.  Same arguments and errors otherwise (EINVAL also when t or
 * its send/recv is NULL). */
struct dpzk_handle *
dpzk_init_transport(const char *hosts, dpzk_watcher_fn *watcher,
		    int recv_timeout_ms, const struct dpzk_clientid *cid,
		    void *context, const struct dpzk_transport *t);

/* Closes the session (closeSession, waiting up to ~1 s for the reply),
 * fails outstanding requests with DPZK_ZCLOSING (their callbacks run) and
 * frees the handle.  Returns DPZK_ZOK or the close error (the handle is
 * freed either way). */
int dpzk_close(struct dpzk_handle *zh);

/* The socket to poll for POLLIN (it can change after a reconnect: ask
 * again after each dpzk_process), or -1 while none is open (always with
 * a transport of one's own). */
int dpzk_fd(const struct dpzk_handle *zh);
/* CLOCK_MONOTONIC in ns: the clock dpzk_process expects. */
uint64_t dpzk_now(void);
/* The latest time (dpzk_now() clock) dpzk_process must be called even if
 * the socket stays silent. */
uint64_t dpzk_next_deadline(const struct dpzk_handle *zh);
/* Reads what the socket has, runs timers (retransmit, ping, reconnect)
 * and dispatches callbacks.  Returns DPZK_ZOK, DPZK_ZSESSIONEXPIRED /
 * DPZK_ZAUTHFAILED once the session is dead, DPZK_ZCLOSING after close. */
int dpzk_process(struct dpzk_handle *zh, uint64_t now);
/* Runs the loop (ppoll) for up to timeout_ms (-1: forever) until the
 * handle is connected.  Returns DPZK_ZOK, DPZK_ZOPERATIONTIMEOUT, or the
 * session's terminal error. */
int dpzk_wait_connected(struct dpzk_handle *zh, int timeout_ms);
/* Runs the loop once: waits up to timeout_ms for input or a deadline. */
int dpzk_poll_once(struct dpzk_handle *zh, int timeout_ms);

int dpzk_state(const struct dpzk_handle *zh);
/* Negotiated session timeout (ms), 0 before the first connect. */
int dpzk_recv_timeout(const struct dpzk_handle *zh);
const struct dpzk_clientid *dpzk_client_id(const struct dpzk_handle *zh);
void *dpzk_get_context(const struct dpzk_handle *zh);
void dpzk_set_context(struct dpzk_handle *zh, void *context);
dpzk_watcher_fn *dpzk_set_watcher(struct dpzk_handle *zh,
				  dpzk_watcher_fn *watcher);
/* "host:port" of the server currently used. */
const char *dpzk_current_server(const struct dpzk_handle *zh);
/* Requests sent or queued that have no reply yet. */
int dpzk_outstanding(const struct dpzk_handle *zh);

/* Channel counters (retransmissions, drops...) of the current
 * connection; see proto/proto_channel.h. */
struct proto_chan_stats;
const struct proto_chan_stats *dpzk_channel_stats(const struct dpzk_handle *zh);

/* ------------------------------------------------------------------ */
/* Asynchronous calls                                                  */
/* ------------------------------------------------------------------ */

/* One result of a multi or multiRead. */
struct dpzk_op_result {
	int err;
	char *value; /* create: the created path; getData: the data (a NUL
			follows it; valuelen -1 when null) */
	int valuelen;
	struct dpzk_stat *stat;	       /* setData / getData: may be NULL */
	struct dpzk_strings *children; /* getChildren (multiRead) */
};

/* What a reply carried; only the fields of the operation are set. */
struct dpzk_result {
	int op;		  /* ZooKeeper opcode */
	const char *path; /* create*: created path; sync: path */
	const char *data; /* getData (not NUL-terminated), NULL if null */
	int32_t data_len; /* -1 when the node's data is null */
	const struct dpzk_stat *stat; /* exists/get/set/create2/children2/acl */
	const struct dpzk_strings *strings; /* children, ephemerals */
	const struct dpzk_acl_vector *acl;
	int32_t number; /* getAllChildrenNumber */
	const struct dpzk_client_info *who;
	int32_t who_count;
	const struct dpzk_op_result *results; /* multi */
	int32_t nresults;
};

/* rc is DPZK_ZOK or the error; res is never NULL (fields zero on error,
 * except multi results, which are set whenever the server sent them). */
typedef void dpzk_completion_fn(int rc, const struct dpzk_result *res,
				const void *data);

/*
 * Each returns DPZK_ZOK when the request was queued (the completion will
 * run exactly once, from dpzk_process or a blocking call), or an error and
 * the completion will not run: DPZK_ZBADARGUMENTS (bad path or args),
 * DPZK_ZINVALIDSTATE (session expired or closed), DPZK_ZSYSTEMERROR (out of
 * memory).  completion may be NULL.  `watch` non-zero arms a watch for the
 * default watcher; the w-variants arm one for (watcher, watcher_ctx).
 * Watches are armed when the reply says OK (and for exists, NONODE too).
 */
int dpzk_acreate(struct dpzk_handle *zh, const char *path, const char *value,
		 int valuelen, const struct dpzk_acl_vector *acl, int mode,
		 int64_t ttl, dpzk_completion_fn *completion, const void *data);
int dpzk_adelete(struct dpzk_handle *zh, const char *path, int version,
		 dpzk_completion_fn *completion, const void *data);
int dpzk_aexists(struct dpzk_handle *zh, const char *path, int watch,
		 dpzk_completion_fn *completion, const void *data);
int dpzk_awexists(struct dpzk_handle *zh, const char *path,
		  dpzk_watcher_fn *watcher, void *watcher_ctx,
		  dpzk_completion_fn *completion, const void *data);
int dpzk_aget(struct dpzk_handle *zh, const char *path, int watch,
	      dpzk_completion_fn *completion, const void *data);
int dpzk_awget(struct dpzk_handle *zh, const char *path,
	       dpzk_watcher_fn *watcher, void *watcher_ctx,
	       dpzk_completion_fn *completion, const void *data);
int dpzk_aset(struct dpzk_handle *zh, const char *path, const char *buffer,
	      int buflen, int version, dpzk_completion_fn *completion,
	      const void *data);
int dpzk_aget_children(struct dpzk_handle *zh, const char *path, int watch,
		       dpzk_completion_fn *completion, const void *data);
int dpzk_aget_children2(struct dpzk_handle *zh, const char *path, int watch,
			dpzk_completion_fn *completion, const void *data);
int dpzk_awget_children2(struct dpzk_handle *zh, const char *path,
			 dpzk_watcher_fn *watcher, void *watcher_ctx,
			 dpzk_completion_fn *completion, const void *data);
int dpzk_aget_ephemerals(struct dpzk_handle *zh, const char *prefix,
			 dpzk_completion_fn *completion, const void *data);
int dpzk_aget_all_children_number(struct dpzk_handle *zh, const char *path,
				  dpzk_completion_fn *completion,
				  const void *data);
int dpzk_aget_acl(struct dpzk_handle *zh, const char *path,
		  dpzk_completion_fn *completion, const void *data);
int dpzk_aset_acl(struct dpzk_handle *zh, const char *path, int version,
		  const struct dpzk_acl_vector *acl,
		  dpzk_completion_fn *completion, const void *data);
/* sync: the server this session talks to catches up with the leader. */
int dpzk_async(struct dpzk_handle *zh, const char *path,
	       dpzk_completion_fn *completion, const void *data);
/* Adds authentication (e.g. scheme "digest", cert "user:password").  It is
 * remembered and sent again after every reconnect.  A rejected auth ends
 * the session (DPZK_AUTH_FAILED_STATE), as in ZooKeeper. */
int dpzk_aadd_auth(struct dpzk_handle *zh, const char *scheme, const char *cert,
		   int certlen, dpzk_completion_fn *completion,
		   const void *data);
/* addWatch: mode DPZK_ADD_WATCH_PERSISTENT(_RECURSIVE); watcher NULL means
 * the default watcher.  Stays armed until removed. */
int dpzk_aadd_watch(struct dpzk_handle *zh, const char *path, int mode,
		    dpzk_watcher_fn *watcher, void *watcher_ctx,
		    dpzk_completion_fn *completion, const void *data);
/* removeWatches: removes this handle's watches of wtype on path (for
 * `watcher`/ctx only, or all when watcher is NULL) and tells the server
 * (unless local).  DPZK_ZNOWATCHER when there was none. */
int dpzk_aremove_watches(struct dpzk_handle *zh, const char *path, int wtype,
			 dpzk_watcher_fn *watcher, void *watcher_ctx, int local,
			 dpzk_completion_fn *completion, const void *data);
/* checkWatches: does the server hold a watch of wtype on path for us? */
int dpzk_acheck_watches(struct dpzk_handle *zh, const char *path, int wtype,
			dpzk_completion_fn *completion, const void *data);
int dpzk_awhoami(struct dpzk_handle *zh, dpzk_completion_fn *completion,
		 const void *data);

/* multi: a transaction of create/delete/setData/check ops. */
struct dpzk_op {
	int type; /* opcode, set by the init helpers */
	const char *path;
	const char *data;
	int datalen;
	const struct dpzk_acl_vector *acl;
	int mode;
	int64_t ttl;
	int version;
	char *buf; /* create: the created path; getData: the data */
	int buflen;
	struct dpzk_stat *stat;	       /* setData, getData: receives the stat */
	struct dpzk_strings *children; /* getChildren: receives the names
					  (caller frees, dpzk_strings_free) */
};

void dpzk_create_op_init(struct dpzk_op *op, const char *path,
			 const char *value, int valuelen,
			 const struct dpzk_acl_vector *acl, int mode,
			 char *path_buffer, int path_buffer_len);
void dpzk_delete_op_init(struct dpzk_op *op, const char *path, int version);
void dpzk_set_op_init(struct dpzk_op *op, const char *path, const char *buffer,
		      int buflen, int version, struct dpzk_stat *stat);
void dpzk_check_op_init(struct dpzk_op *op, const char *path, int version);

/* The result's rc is the first failing op's code (DPZK_ZOK if all
 * succeeded); res->results has one entry per op. */
int dpzk_amulti(struct dpzk_handle *zh, int count, const struct dpzk_op *ops,
		dpzk_completion_fn *completion, const void *data);

/* multiRead: getData / getChildren ops answered together from one
 * snapshot of the server's tree; each op succeeds or fails on its own
 * (results[i].err), the call's rc is DPZK_ZOK once the reply came. */
void dpzk_getdata_op_init(struct dpzk_op *op, const char *path, char *buf,
			  int buflen, struct dpzk_stat *stat);
void dpzk_getchildren_op_init(struct dpzk_op *op, const char *path,
			      struct dpzk_strings *children);
int dpzk_amulti_read(struct dpzk_handle *zh, int count,
		     const struct dpzk_op *ops, dpzk_completion_fn *completion,
		     const void *data);

/* ------------------------------------------------------------------ */
/* Blocking calls                                                      */
/* ------------------------------------------------------------------ */

/*
 * Each queues the request and runs the loop until its reply arrives.
 * Besides the server's code they return the queueing errors above,
 * DPZK_ZCONNECTIONLOSS (no server for a whole session timeout) and
 * DPZK_ZSESSIONEXPIRED.  Output pointers may be NULL when not wanted.
 */
/* path_buffer receives the created path (truncated to path_buffer_len-1
 * bytes and NUL-terminated); ttl is used by the TTL modes only. */
int dpzk_create(struct dpzk_handle *zh, const char *path, const char *value,
		int valuelen, const struct dpzk_acl_vector *acl, int mode,
		int64_t ttl, char *path_buffer, int path_buffer_len,
		struct dpzk_stat *stat);
int dpzk_delete(struct dpzk_handle *zh, const char *path, int version);
int dpzk_exists(struct dpzk_handle *zh, const char *path, int watch,
		struct dpzk_stat *stat);
int dpzk_wexists(struct dpzk_handle *zh, const char *path,
		 dpzk_watcher_fn *watcher, void *watcher_ctx,
		 struct dpzk_stat *stat);
/* buffer gets up to *buffer_len bytes of data; *buffer_len is set to the
 * bytes copied (-1 when the node's data is null). */
int dpzk_get(struct dpzk_handle *zh, const char *path, int watch, char *buffer,
	     int *buffer_len, struct dpzk_stat *stat);
int dpzk_wget(struct dpzk_handle *zh, const char *path,
	      dpzk_watcher_fn *watcher, void *watcher_ctx, char *buffer,
	      int *buffer_len, struct dpzk_stat *stat);
int dpzk_set(struct dpzk_handle *zh, const char *path, const char *buffer,
	     int buflen, int version, struct dpzk_stat *stat);
int dpzk_get_children(struct dpzk_handle *zh, const char *path, int watch,
		      struct dpzk_strings *strings);
int dpzk_get_children2(struct dpzk_handle *zh, const char *path, int watch,
		       struct dpzk_strings *strings, struct dpzk_stat *stat);
int dpzk_wget_children2(struct dpzk_handle *zh, const char *path,
			dpzk_watcher_fn *watcher, void *watcher_ctx,
			struct dpzk_strings *strings, struct dpzk_stat *stat);
int dpzk_get_ephemerals(struct dpzk_handle *zh, const char *prefix,
			struct dpzk_strings *strings);
int dpzk_get_all_children_number(struct dpzk_handle *zh, const char *path,
				 int *number);
int dpzk_get_acl(struct dpzk_handle *zh, const char *path,
		 struct dpzk_acl_vector *acl, struct dpzk_stat *stat);
int dpzk_set_acl(struct dpzk_handle *zh, const char *path, int version,
		 const struct dpzk_acl_vector *acl);
int dpzk_sync(struct dpzk_handle *zh, const char *path);
int dpzk_add_auth(struct dpzk_handle *zh, const char *scheme, const char *cert,
		  int certlen);
int dpzk_add_watch(struct dpzk_handle *zh, const char *path, int mode,
		   dpzk_watcher_fn *watcher, void *watcher_ctx);
int dpzk_remove_watches(struct dpzk_handle *zh, const char *path, int wtype,
			dpzk_watcher_fn *watcher, void *watcher_ctx, int local);
int dpzk_check_watches(struct dpzk_handle *zh, const char *path, int wtype);
/* *who is the caller's (dpzk_client_info_free(*who, *count)). */
int dpzk_whoami(struct dpzk_handle *zh, struct dpzk_client_info **who,
		int *count);
/* results[count] receive each op's outcome (create paths go to the op's
 * buf, setData stats to the op's stat). */
int dpzk_multi(struct dpzk_handle *zh, int count, const struct dpzk_op *ops,
	       struct dpzk_op_result *results);
/* getData ops: data copied to the op's buf (valuelen = bytes copied, -1 for
 * null), stat to its stat; getChildren ops: names into its children. */
int dpzk_multi_read(struct dpzk_handle *zh, int count,
		    const struct dpzk_op *ops, struct dpzk_op_result *results);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Parses a zkCli ACL list ("world:anyone:cdrwa,digest:u:hash:r,
 * ip:10.0.0.1:rw").  Returns DPZK_ZOK (free with dpzk_acls_free) or
 * DPZK_ZBADARGUMENTS. */
int dpzk_parse_acl(const char *text, struct dpzk_acl_vector *acl);
/* Permission letters "cdrwa" of perms into buf (>= 6 bytes). */
const char *dpzk_perms_string(int32_t perms, char *buf);

#ifdef __cplusplus
}
#endif

#endif /* DPZK_DPZK_H */
