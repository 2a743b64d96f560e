/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/tree_priv.h — the tree's internal structures, shared by its files:
 * the arena (arena.c), the incremental hash table (dict.c), ACLs (acl.c),
 * path rules (path.c), znodes and sessions (tree.c), pending changes and prep
 * (prep.c), apply (apply.c), watches (watch.c), reads (read.c) and the
 * snapshot stream (ser.c).
 *
 * A znode is one arena block: the struct followed by its full path, which is
 * the hash key (one hash probe per lookup, no per-component walk); children
 * hang off their parent in an intrusive doubly linked sibling list, so
 * adding or removing a child is O(1) and listing is O(children).
 */
#ifndef DPZK_TREE_PRIV_H
#define DPZK_TREE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tree/tree.h"

/* ---------------- arena ---------------- */

#define ARENA_NCLASS	72
#define ARENA_MAX_BLOCK ((size_t)2 << 20)

struct arena_chunk {
	struct arena_chunk *next;
	void *base;
	size_t len;
	bool huge;
};

struct arena {
	enum tree_arena_mode mode;
	size_t chunk;
	size_t max;
	char *cur, *end;
	void *free[ARENA_NCLASS];
	struct arena_chunk *chunks;
	uint64_t mapped, used;
	uint64_t n_huge, n_thp;
	bool huge_failed;
};

int arena_init(struct arena *a, enum tree_arena_mode mode, size_t chunk,
	       size_t max);
void arena_fini(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
void arena_free(struct arena *a, void *p, size_t n);
int arena_kind(const struct arena *a);

/* ---------------- incremental hash table ---------------- */

struct hlink {
	struct hlink *next;
	uint32_t hash;
	uint32_t klen;
};

struct dict {
	struct hlink **tab[2];
	size_t size[2]; /* power of two, or 0 */
	size_t used[2];
	long rehash;	 /* next bucket of tab[0] to move; -1 = not rehashing */
	size_t key_off;	 /* key bytes at (char *)link + key_off */
	size_t presize;	 /* first table size (expected entries) */
	uint64_t *bytes; /* accounting */
};

uint32_t dict_hash(const void *key, size_t len);
void dict_init(struct dict *d, size_t key_off, uint64_t *bytes);
void dict_fini(struct dict *d);
struct hlink *dict_find(struct dict *d, const void *key, uint32_t klen,
			uint32_t hash);
/* link->hash and link->klen must be set; the key must not be present. */
int dict_add(struct dict *d, struct hlink *link);
void dict_del(struct dict *d, struct hlink *link);
int dict_step(struct dict *d, unsigned n);
void dict_prefetch(const struct dict *d, uint32_t hash, int stage);
size_t dict_count(const struct dict *d);
/* Calls fn for every entry (no changes to d during the walk). */
void dict_foreach(struct dict *d, void (*fn)(void *arg, struct hlink *l),
		  void *arg);

/* ---------------- ACLs ---------------- */

/* An interned ACL list: the key is its jute encoding (int count, then
 * {int perms; ustring scheme; ustring id} each), shared by every node that
 * has the same list, reference counted. */
struct tacl {
	struct hlink h;
	uint32_t refs;
	int32_t n;
	int32_t world_perms; /* OR of perms of world:anyone entries */
	uint8_t key[];
};

struct tacl *acl_intern(struct tree *t, const struct proto_acl_vec *v);
struct tacl *acl_intern_raw(struct tree *t, const uint8_t *enc, size_t len);
void acl_ref(struct tacl *a);
void acl_unref(struct tree *t, struct tacl *a);
/* 0 when allowed, PROTO_ZNOAUTH when not. */
int32_t acl_check(const struct tree *t, const struct tacl *a, int32_t perm,
		  const struct tree_client *c);
/* ZooKeeper's fixupACL: validates, expands "auth", drops duplicates into
 * scratch.  Returns 0 with *zerr (INVALIDACL) or -ENOBUFS. */
int acl_fixup(const struct tree_client *c, const struct proto_acl_vec *in,
	      struct proto_acl_vec *out, struct proto_scratch *s,
	      int32_t *zerr);
/* Decodes an interned list into views (scratch). */
int acl_to_vec(const struct tacl *a, struct proto_acl_vec *out,
	       struct proto_scratch *s);
void sha1(const void *p, size_t len, uint8_t out[20]);

/* ---------------- paths ---------------- */

/* PathUtils.validatePath on bytes (UTF-8 decoded as Java would). */
bool path_valid(const char *p, size_t len);
/* Length of the parent's path ("/" for a top-level node); len > 1. */
size_t path_parent_len(const char *p, size_t len);
bool path_is_reserved(const char *p, size_t len);

/* ---------------- znodes ---------------- */

/* Stored ephemeralOwner values (EphemeralType). */
#define OWNER_CONTAINER INT64_MIN
#define OWNER_TTL_MASK	((int64_t)0xff00000000000000ULL)
#define TTL_MAX		(((int64_t)1 << 40) - 1)

static inline bool
owner_is_ttl(int64_t o)
{
	return o != OWNER_CONTAINER && (o & OWNER_TTL_MASK) == OWNER_TTL_MASK;
}
static inline bool
owner_is_container(int64_t o)
{
	return o == OWNER_CONTAINER;
}
/* A real session's ephemeral (EphemeralType.NORMAL). */
static inline bool
owner_is_ephemeral(int64_t o)
{
	return o != 0 && !owner_is_container(o) && !owner_is_ttl(o);
}

struct tnode {
	struct hlink h; /* key: path, h.klen its length */
	struct tnode *parent;
	struct tnode *child; /* first child */
	struct tnode *sib_next, *sib_prev;
	struct tnode *aux_next, *aux_prev; /* session ephemerals / gc list */
	struct tacl *acl;
	uint8_t *data;
	int32_t data_len;
	int32_t num_children;
	int64_t czxid, mzxid, ctime, mtime, pzxid;
	int64_t azxid; /* zxid of the last setACL (idempotency) */
	int64_t owner; /* stored ephemeralOwner */
	int32_t version, cversion, aversion;
	uint32_t ndesc; /* descendants, for getAllChildrenNumber */
	bool data_null; /* data is null (jute -1), not empty */
	char path[];
};

static inline const char *
node_name(const struct tnode *n, size_t *len)
{
	size_t i = n->h.klen;
	while (i > 0 && n->path[i - 1] != '/')
		i--;
	*len = n->h.klen - i;
	return n->path + i;
}

/* The replicated session table entry. */
struct tsess {
	struct hlink h; /* key: id (8 bytes) */
	int64_t id;
	int32_t timeout;
	bool closing; /* local: closeSession prepped */
	bool real;    /* created by a createSession txn (not only an owner) */
	uint8_t passwd[PROTO_PASSWD_LEN];
	struct tnode *eph; /* ephemerals, via aux links */
	uint64_t n_eph;
	int64_t last_zxid; /* last applied txn of this session */
	int32_t last_xid;
	int32_t last_err;
	uint8_t *reply;
	uint32_t reply_len;
};

/* ---------------- watches ---------------- */

enum { WT_DATA = 0, WT_CHILD = 1 };
enum { WM_STANDARD = 0, WM_PERSISTENT = 1, WM_RECURSIVE = 2 };

struct wsess;
struct wpath;

struct twatch {
	struct twatch *pnext, *pprev; /* in the path's list */
	struct twatch *snext, *sprev; /* in the session's list */
	struct wpath *wp;
	struct wsess *ws;
	uint8_t table, mode;
};

struct wpath {
	struct hlink h;
	struct twatch *head[2];
	uint32_t n[2];
	char path[];
};

struct wsess {
	struct hlink h;
	int64_t id;
	uint64_t mark;
	struct twatch *head;
	uint64_t n;
};

/* ---------------- pending changes (prep) ---------------- */

struct pchg {
	struct pchg *fnext, *fprev; /* FIFO by zxid */
	struct pchg *hnext;	    /* overlay bucket chain */
	struct pchg *shadow;	    /* record this one hides (same path) */
	uint64_t seq;
	int64_t zxid;
	bool exists;
	int32_t version, cversion, aversion, num_children;
	int64_t owner;
	struct tacl *acl;
	uint32_t hash;
	uint32_t plen;
	char path[];
};

#define PCHG_BUCKETS 4096

/* ---------------- the tree ---------------- */

struct tree {
	struct arena arena;
	struct tree_opts opts;
	char *super_digest;
	struct dict nodes;
	struct dict acls;
	struct dict sessions;
	struct dict wpaths;
	struct dict wsess;
	uint64_t hash_bytes;
	struct tnode *root;
	struct tnode *gc_head; /* containers and TTL nodes */
	struct tnode *gc_cursor;
	uint64_t n_nodes, n_eph, n_watches, n_recursive, n_gc;
	uint64_t data_bytes, name_bytes;
	int64_t last_zxid;
	uint64_t wmark;
	/* pending changes */
	struct pchg *pbucket[PCHG_BUCKETS];
	struct pchg *phead, *ptail;
	uint64_t pseq, n_pending;
	bool loaded_fresh;
};

/* tree.c */
struct tnode *node_find(struct tree *t, const char *path, size_t len);
struct tnode *node_insert(struct tree *t, struct tnode *parent,
			  const char *path, size_t len, const uint8_t *data,
			  int32_t dlen, struct tacl *acl, int64_t owner,
			  int64_t zxid, int64_t time);
void node_remove(struct tree *t, struct tnode *n);
int node_set_data(struct tree *t, struct tnode *n, const uint8_t *data,
		  int32_t dlen);
void node_stat(const struct tnode *n, struct proto_stat *st);
struct tsess *sess_find(struct tree *t, int64_t id);
struct tsess *sess_get(struct tree *t, int64_t id); /* find or add */
void sess_remove(struct tree *t, struct tsess *s);

/* watch.c */
/* Fires table `tbl` watches for an event of `type` on path; recursive
 * watches of ancestors too when tbl is WT_DATA.  mark: watchers already
 * marked with it are skipped (delete's suppression); 0 = new mark. */
uint64_t watch_trigger(struct tree *t, int tbl, const char *path, size_t len,
		       int32_t type, int64_t zxid, uint64_t mark);
int watch_add(struct tree *t, int64_t sid, int tbl, int mode, const char *path,
	      size_t len);
/* Removes the session's watches on path of tbl and mode (mode -1: any
 * standard); returns how many. */
int watch_remove(struct tree *t, int64_t sid, int tbl, int mode,
		 const char *path, size_t len, bool dry);
void watch_fini(struct tree *t);
void emit_event(struct tree *t, int64_t sid, int32_t type, const char *path,
		size_t len, int64_t zxid);

/* prep.c */
void pchg_applied(struct tree *t, int64_t zxid);
void pchg_fini(struct tree *t);

#endif /* DPZK_TREE_PRIV_H */
