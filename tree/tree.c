/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/tree.c — znodes and sessions: creating and freeing the tree, the
 * low-level insert/remove of a znode that apply and load share, Stat as the
 * client sees it, the session table, background slices (rehash, container
 * and TTL scan) and the statistics the server reports.
 *
 * Why it is built this way: insert and remove keep every index in step in
 * O(depth) at most — the path table, the parent's sibling list, the
 * session's ephemeral list or the container/TTL list (both through the same
 * two aux links, since a node is only ever one of those), and the
 * descendant counts that make getAllChildrenNumber O(1) — so nothing on the
 * request path ever walks the whole tree.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_priv.h"

void
tree_opts_default(struct tree_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->arena_mode = TREE_ARENA_AUTO;
	o->container_never_used_ms = 300000;
}

static size_t
node_size(size_t plen)
{
	return sizeof(struct tnode) + plen + 1;
}

struct tnode *
node_find(struct tree *t, const char *path, size_t len)
{
	uint32_t h = dict_hash(path, len);
	return (struct tnode *)dict_find(&t->nodes, path, (uint32_t)len, h);
}

void
tree_prefetch(struct tree *t, const void *path, size_t len, int stage)
{
	dict_prefetch(&t->nodes, dict_hash(path, len), stage);
}

struct tsess *
sess_find(struct tree *t, int64_t id)
{
	uint32_t h = dict_hash(&id, sizeof(id));
	return (struct tsess *)dict_find(&t->sessions, &id, sizeof(id), h);
}

struct tsess *
sess_get(struct tree *t, int64_t id)
{
	struct tsess *s = sess_find(t, id);
	if (s != NULL)
		return s;
	s = arena_alloc(&t->arena, sizeof(*s));
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->h.hash = dict_hash(&id, sizeof(id));
	s->h.klen = sizeof(id);
	s->last_xid = 0;
	if (dict_add(&t->sessions, &s->h) != 0) {
		arena_free(&t->arena, s, sizeof(*s));
		return NULL;
	}
	return s;
}

void
sess_remove(struct tree *t, struct tsess *s)
{
	dict_del(&t->sessions, &s->h);
	arena_free(&t->arena, s->reply, s->reply_len);
	arena_free(&t->arena, s, sizeof(*s));
}

static void
aux_unlink(struct tnode **head, struct tnode *n)
{
	if (n->aux_prev != NULL)
		n->aux_prev->aux_next = n->aux_next;
	else
		*head = n->aux_next;
	if (n->aux_next != NULL)
		n->aux_next->aux_prev = n->aux_prev;
	n->aux_next = n->aux_prev = NULL;
}

static void
aux_link(struct tnode **head, struct tnode *n)
{
	n->aux_prev = NULL;
	n->aux_next = *head;
	if (*head != NULL)
		(*head)->aux_prev = n;
	*head = n;
}

struct tnode *
node_insert(struct tree *t, struct tnode *parent, const char *path, size_t len,
	    const uint8_t *data, int32_t dlen, struct tacl *acl, int64_t owner,
	    int64_t zxid, int64_t time)
{
	struct tsess *s = NULL;
	if (owner_is_ephemeral(owner)) {
		s = sess_get(t, owner);
		if (s == NULL)
			return NULL;
	}
	struct tnode *n = arena_alloc(&t->arena, node_size(len));
	if (n == NULL)
		return NULL;
	memset(n, 0, sizeof(*n));
	if (dlen > 0) {
		n->data = arena_alloc(&t->arena, (size_t)dlen);
		if (n->data == NULL) {
			arena_free(&t->arena, n, node_size(len));
			return NULL;
		}
		memcpy(n->data, data, (size_t)dlen);
	}
	n->data_len = dlen < 0 ? 0 : dlen;
	n->data_null = dlen < 0;
	memcpy(n->path, path, len);
	n->path[len] = 0;
	n->h.klen = (uint32_t)len;
	n->h.hash = dict_hash(path, len);
	if (dict_add(&t->nodes, &n->h) != 0) {
		arena_free(&t->arena, n->data, (size_t)n->data_len);
		arena_free(&t->arena, n, node_size(len));
		return NULL;
	}
	n->acl = acl;
	acl_ref(acl);
	n->czxid = n->mzxid = n->pzxid = n->azxid = zxid;
	n->ctime = n->mtime = time;
	n->owner = owner;
	n->parent = parent;
	if (parent != NULL) {
		n->sib_next = parent->child;
		if (parent->child != NULL)
			parent->child->sib_prev = n;
		parent->child = n;
		parent->num_children++;
		for (struct tnode *a = parent; a != NULL; a = a->parent)
			a->ndesc++;
	}
	if (s != NULL) {
		aux_link(&s->eph, n);
		s->n_eph++;
		t->n_eph++;
	} else if (owner_is_container(owner) || owner_is_ttl(owner)) {
		aux_link(&t->gc_head, n);
		t->n_gc++;
	}
	size_t nl;
	node_name(n, &nl);
	t->n_nodes++;
	t->data_bytes += len + (uint64_t)n->data_len;
	t->name_bytes += nl;
	return n;
}

void
node_remove(struct tree *t, struct tnode *n)
{
	struct tnode *p = n->parent;
	if (p != NULL) {
		if (n->sib_prev != NULL)
			n->sib_prev->sib_next = n->sib_next;
		else
			p->child = n->sib_next;
		if (n->sib_next != NULL)
			n->sib_next->sib_prev = n->sib_prev;
		p->num_children--;
		for (struct tnode *a = p; a != NULL; a = a->parent)
			a->ndesc--;
	}
	if (owner_is_ephemeral(n->owner)) {
		struct tsess *s = sess_find(t, n->owner);
		if (s != NULL) {
			aux_unlink(&s->eph, n);
			s->n_eph--;
			t->n_eph--;
			if (s->n_eph == 0 && !s->real)
				sess_remove(t, s);
		}
	} else if (owner_is_container(n->owner) || owner_is_ttl(n->owner)) {
		if (t->gc_cursor == n)
			t->gc_cursor = n->aux_next;
		aux_unlink(&t->gc_head, n);
		t->n_gc--;
	}
	dict_del(&t->nodes, &n->h);
	size_t nl;
	node_name(n, &nl);
	t->n_nodes--;
	t->data_bytes -= n->h.klen + (uint64_t)n->data_len;
	t->name_bytes -= nl;
	acl_unref(t, n->acl);
	arena_free(&t->arena, n->data, (size_t)n->data_len);
	arena_free(&t->arena, n, node_size(n->h.klen));
}

int
node_set_data(struct tree *t, struct tnode *n, const uint8_t *data,
	      int32_t dlen)
{
	n->data_null = dlen < 0;
	if (dlen < 0)
		dlen = 0;
	uint8_t *nd = NULL;
	if (dlen > 0) {
		nd = arena_alloc(&t->arena, (size_t)dlen);
		if (nd == NULL)
			return -ENOMEM;
		memcpy(nd, data, (size_t)dlen);
	}
	arena_free(&t->arena, n->data, (size_t)n->data_len);
	t->data_bytes += (uint64_t)dlen - (uint64_t)n->data_len;
	n->data = nd;
	n->data_len = dlen;
	return 0;
}

void
node_stat(const struct tnode *n, struct proto_stat *st)
{
	st->czxid = n->czxid;
	st->mzxid = n->mzxid;
	st->ctime = n->ctime;
	st->mtime = n->mtime;
	st->version = n->version;
	st->cversion = (int32_t)((uint32_t)n->cversion * 2u -
				 (uint32_t)n->num_children);
	st->aversion = n->aversion;
	st->ephemeral_owner = owner_is_ephemeral(n->owner) ? n->owner : 0;
	st->data_length = n->data_len;
	st->num_children = n->num_children;
	st->pzxid = n->pzxid;
}

static struct tacl *
world_acl(struct tree *t, int32_t perms)
{
	struct proto_acl a = {.perms = perms,
			      .id = {.scheme = {(const uint8_t *)"world", 5},
				     .id = {(const uint8_t *)"anyone", 6}}};
	struct proto_acl_vec v = {.n = 1, .v = &a};
	return acl_intern(t, &v);
}

static int
make_system_nodes(struct tree *t)
{
	struct tacl *all = world_acl(t, PROTO_PERM_ALL);
	struct tacl *ro = world_acl(t, PROTO_PERM_READ);
	if (all == NULL || ro == NULL)
		return -ENOMEM;
	t->root = node_insert(t, NULL, "/", 1, NULL, 0, all, 0, 0, 0);
	if (t->root == NULL)
		return -ENOMEM;
	struct tnode *zk = node_insert(t, t->root, "/zookeeper", 10, NULL, 0,
				       all, 0, 0, 0);
	struct tnode *cfg = NULL;
	if (zk == NULL ||
	    node_insert(t, zk, "/zookeeper/quota", 16, NULL, 0, all, 0, 0, 0) ==
		    NULL ||
	    (cfg = node_insert(t, zk, "/zookeeper/config", 17, NULL, 0, ro, 0,
			       0, 0)) == NULL)
		return -ENOMEM;
	/* ZooKeeper makes it with aclVersion -1 (ZooKeeperServer's
	 * config node stat) */
	cfg->aversion = -1;
	acl_unref(t, all);
	acl_unref(t, ro);
	return 0;
}

struct tree *
tree_create(const struct tree_opts *o)
{
	struct tree_opts def;
	if (o == NULL) {
		tree_opts_default(&def);
		o = &def;
	}
	struct tree *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->opts = *o;
	if (o->super_digest != NULL) {
		t->super_digest = strdup(o->super_digest);
		if (t->super_digest == NULL) {
			free(t);
			errno = ENOMEM;
			return NULL;
		}
	}
	t->opts.super_digest = t->super_digest;
	arena_init(&t->arena, o->arena_mode, o->arena_chunk, o->arena_max);
	dict_init(&t->nodes, offsetof(struct tnode, path), &t->hash_bytes);
	t->nodes.presize = o->expected_nodes;
	dict_init(&t->acls, offsetof(struct tacl, key), &t->hash_bytes);
	dict_init(&t->sessions, offsetof(struct tsess, id), &t->hash_bytes);
	dict_init(&t->wpaths, offsetof(struct wpath, path), &t->hash_bytes);
	dict_init(&t->wsess, offsetof(struct wsess, id), &t->hash_bytes);
	if (make_system_nodes(t) != 0) {
		tree_destroy(t);
		errno = ENOMEM;
		return NULL;
	}
	t->loaded_fresh = true;
	return t;
}

void
tree_destroy(struct tree *t)
{
	if (t == NULL)
		return;
	pchg_fini(t);
	watch_fini(t);
	dict_fini(&t->nodes);
	dict_fini(&t->acls);
	dict_fini(&t->sessions);
	dict_fini(&t->wpaths);
	dict_fini(&t->wsess);
	arena_fini(&t->arena);
	free(t->super_digest);
	free(t);
}

void
tree_set_event_fn(struct tree *t, tree_event_fn *fn, void *arg)
{
	t->opts.event_fn = fn;
	t->opts.event_arg = arg;
}

void
tree_get_stats(const struct tree *t, struct tree_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->arena_kind = arena_kind(&t->arena);
	s->arena_mapped = t->arena.mapped;
	s->arena_used = t->arena.used;
	s->hash_bytes = t->hash_bytes;
	s->nodes = t->n_nodes;
	s->watches = t->n_watches;
	s->watched_paths = dict_count(&t->wpaths);
	s->ephemerals = t->n_eph;
	s->sessions = dict_count(&t->sessions);
	s->data_bytes = t->data_bytes;
	s->name_bytes = t->name_bytes;
	s->pending = t->n_pending;
	s->last_zxid = t->last_zxid;
	s->hugepages = t->arena.n_huge;
	s->thp_chunks = t->arena.n_thp;
}

bool
tree_session_exists(const struct tree *t, int64_t session_id)
{
	struct tsess *s = sess_find((struct tree *)t, session_id);
	return s != NULL && s->real;
}

int
tree_session_get(const struct tree *t, int64_t session_id, int32_t *timeout_ms,
		 uint8_t passwd[PROTO_PASSWD_LEN])
{
	struct tsess *s = sess_find((struct tree *)t, session_id);
	if (s == NULL || !s->real)
		return -ENOENT;
	if (timeout_ms != NULL)
		*timeout_ms = s->timeout;
	if (passwd != NULL)
		memcpy(passwd, s->passwd, PROTO_PASSWD_LEN);
	return 0;
}

struct sess_walk {
	tree_session_fn *fn;
	void *arg;
};

static void
sess_walk_one(void *arg, struct hlink *l)
{
	struct sess_walk *w = arg;
	struct tsess *s = (struct tsess *)l;
	if (s->real)
		w->fn(w->arg, s->id, s->timeout, s->n_eph);
}

void
tree_session_foreach(const struct tree *t, tree_session_fn *fn, void *arg)
{
	struct sess_walk w = {fn, arg};
	dict_foreach((struct dict *)&t->sessions, sess_walk_one, &w);
}

int64_t
tree_last_zxid(const struct tree *t)
{
	return t->last_zxid;
}

int32_t
tree_session_last_xid(const struct tree *t, int64_t session_id)
{
	struct tsess *s = sess_find((struct tree *)t, session_id);

	return s ? s->last_xid : 0;
}

int
tree_session_last_reply(const struct tree *t, int64_t session_id, int32_t xid,
			int64_t *zxid, int32_t *zerr, const uint8_t **body,
			size_t *body_len)
{
	struct tsess *s = sess_find((struct tree *)t, session_id);
	if (s == NULL || s->last_zxid == 0)
		return -ENOENT;
	if (xid == s->last_xid) {
		*zxid = s->last_zxid;
		*zerr = s->last_err;
		*body = s->reply;
		*body_len = s->reply_len;
		return 0;
	}
	if (xid > 0 && xid < s->last_xid)
		return -ESTALE;
	return -ENOENT;
}

int
tree_tick(struct tree *t, unsigned budget)
{
	int busy = 0;
	struct dict *ds[] = {&t->nodes, &t->acls, &t->sessions, &t->wpaths,
			     &t->wsess};
	for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++)
		busy |= dict_step(ds[i], budget);
	return busy;
}

int
tree_gc_scan(struct tree *t, unsigned budget, int64_t now_ms, tree_gc_fn *fn,
	     void *arg)
{
	int found = 0;
	if (t->n_gc == 0)
		return 0;
	unsigned todo = budget;
	if (todo > t->n_gc)
		todo = (unsigned)t->n_gc;
	while (todo-- > 0) {
		struct tnode *n = t->gc_cursor;
		if (n == NULL)
			n = t->gc_head;
		if (n == NULL)
			break;
		t->gc_cursor = n->aux_next;
		if (n->num_children != 0)
			continue;
		bool due = false;
		int64_t elapsed = now_ms - n->mtime;
		if (owner_is_container(n->owner)) {
			if (n->cversion > 0)
				due = true;
			else if (t->opts.container_never_used_ms != 0 &&
				 elapsed > t->opts.container_never_used_ms)
				due = true;
		} else {
			int64_t ttl = n->owner & ~OWNER_TTL_MASK;
			if (ttl != 0 && elapsed > ttl)
				due = true;
		}
		if (due) {
			fn(arg, n->path, n->h.klen);
			found++;
		}
	}
	return found;
}
