/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/watch.c — watches, as ZooKeeper's WatchManager keeps them: a data
 * table (getData, exists, persistent, persistent-recursive) and a child table
 * (getChildren, persistent), each path -> the sessions watching it, and the
 * reverse index session -> its watches so a closed connection drops them all
 * at once.
 *
 * A (session, path) may hold a standard and a persistent watch at once
 * (ZooKeeper 3.9); a trigger still sends the session one event.
 *
 * Why it is built this way: a watch record is linked in two intrusive lists
 * (the path's and the session's), so arming, firing and dropping are O(1)
 * per record, and one watcher gets at most one event per trigger: a trigger
 * stamps each session it notifies with a fresh mark instead of building a
 * set.  Recursive watches make every write look at the ancestors of the
 * written path, so that walk only happens while at least one recursive watch
 * exists.  Watches are local to a server: not replicated, not serialized.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tree/tree_priv.h"

void
emit_event(struct tree *t, int64_t sid, int32_t type, const char *path,
	   size_t len, int64_t zxid)
{
	if (t->opts.event_fn == NULL)
		return;
	struct proto_watcher_event ev = {
		.type = type,
		.state = PROTO_STATE_SYNC_CONNECTED,
		.path = {(const uint8_t *)path, (int32_t)len}};
	t->opts.event_fn(t->opts.event_arg, sid, &ev, zxid);
}

static struct wpath *
wpath_find(struct tree *t, const char *path, size_t len)
{
	if (dict_count(&t->wpaths) == 0)
		return NULL;
	uint32_t h = dict_hash(path, len);
	return (struct wpath *)dict_find(&t->wpaths, path, (uint32_t)len, h);
}

static struct wsess *
wsess_find(struct tree *t, int64_t sid)
{
	uint32_t h = dict_hash(&sid, sizeof(sid));
	return (struct wsess *)dict_find(&t->wsess, &sid, sizeof(sid), h);
}

static void
wpath_maybe_free(struct tree *t, struct wpath *wp)
{
	if (wp->head[0] != NULL || wp->head[1] != NULL)
		return;
	dict_del(&t->wpaths, &wp->h);
	arena_free(&t->arena, wp, sizeof(*wp) + wp->h.klen + 1);
}

static void
wsess_maybe_free(struct tree *t, struct wsess *ws)
{
	if (ws->head != NULL)
		return;
	dict_del(&t->wsess, &ws->h);
	arena_free(&t->arena, ws, sizeof(*ws));
}

/* Unlinks and frees one watch record (not its path/session holders). */
static void
watch_free(struct tree *t, struct twatch *w)
{
	struct wpath *wp = w->wp;
	struct wsess *ws = w->ws;
	if (w->pprev != NULL)
		w->pprev->pnext = w->pnext;
	else
		wp->head[w->table] = w->pnext;
	if (w->pnext != NULL)
		w->pnext->pprev = w->pprev;
	if (w->sprev != NULL)
		w->sprev->snext = w->snext;
	else
		ws->head = w->snext;
	if (w->snext != NULL)
		w->snext->sprev = w->sprev;
	wp->n[w->table]--;
	ws->n--;
	if (w->mode == WM_RECURSIVE)
		t->n_recursive--;
	t->n_watches--;
	arena_free(&t->arena, w, sizeof(*w));
}

int
watch_add(struct tree *t, int64_t sid, int tbl, int mode, const char *path,
	  size_t len)
{
	struct wpath *wp = wpath_find(t, path, len);
	if (wp == NULL) {
		wp = arena_alloc(&t->arena, sizeof(*wp) + len + 1);
		if (wp == NULL)
			return -ENOMEM;
		memset(wp, 0, sizeof(*wp));
		memcpy(wp->path, path, len);
		wp->path[len] = 0;
		wp->h.klen = (uint32_t)len;
		wp->h.hash = dict_hash(path, len);
		if (dict_add(&t->wpaths, &wp->h) != 0) {
			arena_free(&t->arena, wp, sizeof(*wp) + len + 1);
			return -ENOMEM;
		}
	}
	struct wsess *ws = wsess_find(t, sid);
	if (ws == NULL) {
		ws = arena_alloc(&t->arena, sizeof(*ws));
		if (ws == NULL) {
			wpath_maybe_free(t, wp);
			return -ENOMEM;
		}
		memset(ws, 0, sizeof(*ws));
		ws->id = sid;
		ws->h.klen = sizeof(sid);
		ws->h.hash = dict_hash(&sid, sizeof(sid));
		if (dict_add(&t->wsess, &ws->h) != 0) {
			arena_free(&t->arena, ws, sizeof(*ws));
			wpath_maybe_free(t, wp);
			return -ENOMEM;
		}
	}
	/* one record per (session, path, table, mode): a standard watch and
	 * a persistent one on the same path coexist, as in ZooKeeper 3.9
	 * (ZOOKEEPER-4466): removing or firing one leaves the other.  Look
	 * for it in the shorter of the path's list and the session's list,
	 * so a herd of sessions on one path and a session watching many
	 * paths both stay cheap */
	bool by_path = wp->n[tbl] <= ws->n;
	struct twatch *w0 = by_path ? wp->head[tbl] : ws->head;
	for (struct twatch *w = w0; w != NULL;
	     w = by_path ? w->pnext : w->snext) {
		if (w->ws == ws && w->wp == wp && w->table == tbl &&
		    w->mode == mode)
			return 0;
	}
	struct twatch *w = arena_alloc(&t->arena, sizeof(*w));
	if (w == NULL) {
		wpath_maybe_free(t, wp);
		wsess_maybe_free(t, ws);
		return -ENOMEM;
	}
	w->wp = wp;
	w->ws = ws;
	w->table = (uint8_t)tbl;
	w->mode = (uint8_t)mode;
	w->pprev = NULL;
	w->pnext = wp->head[tbl];
	if (w->pnext != NULL)
		w->pnext->pprev = w;
	wp->head[tbl] = w;
	w->sprev = NULL;
	w->snext = ws->head;
	if (w->snext != NULL)
		w->snext->sprev = w;
	ws->head = w;
	wp->n[tbl]++;
	ws->n++;
	t->n_watches++;
	if (mode == WM_RECURSIVE)
		t->n_recursive++;
	return 0;
}

int
watch_remove(struct tree *t, int64_t sid, int tbl, int mode, const char *path,
	     size_t len, bool dry)
{
	struct wpath *wp = wpath_find(t, path, len);
	if (wp == NULL)
		return 0;
	struct wsess *ws = wsess_find(t, sid);
	if (ws == NULL)
		return 0;
	int n = 0;
	bool by_path = wp->n[tbl] <= ws->n;
	struct twatch *w = by_path ? wp->head[tbl] : ws->head, *nx;
	for (; w != NULL; w = nx) {
		nx = by_path ? w->pnext : w->snext;
		if (w->ws != ws || w->wp != wp || w->table != tbl ||
		    w->mode != mode)
			continue;
		n++;
		if (!dry)
			watch_free(t, w);
	}
	if (!dry) {
		wpath_maybe_free(t, wp);
		wsess_maybe_free(t, ws);
	}
	return n;
}

static void
fire(struct tree *t, struct twatch *w, int32_t type, const char *path,
     size_t len, int64_t zxid, uint64_t mark)
{
	if (w->ws->mark == mark)
		return;
	w->ws->mark = mark;
	emit_event(t, w->ws->id, type, path, len, zxid);
}

uint64_t
watch_trigger(struct tree *t, int tbl, const char *path, size_t len,
	      int32_t type, int64_t zxid, uint64_t mark)
{
	if (mark == 0)
		mark = ++t->wmark;
	if (t->n_watches == 0)
		return mark;
	struct wpath *wp = wpath_find(t, path, len);
	if (wp != NULL) {
		struct twatch *w = wp->head[tbl], *nx;
		for (; w != NULL; w = nx) {
			nx = w->pnext;
			if (w->mode == WM_RECURSIVE &&
			    type == PROTO_EV_NODE_CHILDREN_CHANGED)
				continue;
			fire(t, w, type, path, len, zxid, mark);
			if (w->mode == WM_STANDARD) {
				struct wsess *ws = w->ws;
				watch_free(t, w);
				wsess_maybe_free(t, ws);
			}
		}
		wpath_maybe_free(t, wp);
	}
	if (tbl != WT_DATA || t->n_recursive == 0 ||
	    type == PROTO_EV_NODE_CHILDREN_CHANGED)
		return mark;
	size_t l = len;
	while (l > 1) {
		l = path_parent_len(path, l);
		wp = wpath_find(t, path, l);
		if (wp == NULL)
			continue;
		for (struct twatch *w = wp->head[WT_DATA]; w != NULL;
		     w = w->pnext) {
			if (w->mode == WM_RECURSIVE)
				fire(t, w, type, path, len, zxid, mark);
		}
	}
	return mark;
}

size_t
tree_watch_drop_session(struct tree *t, int64_t session_id)
{
	struct wsess *ws = wsess_find(t, session_id);
	size_t n = 0;
	if (ws == NULL)
		return 0;
	while (ws->head != NULL) {
		struct twatch *w = ws->head;
		struct wpath *wp = w->wp;
		watch_free(t, w);
		wpath_maybe_free(t, wp);
		n++;
	}
	wsess_maybe_free(t, ws);
	return n;
}

void
watch_fini(struct tree *t)
{
	/* everything lives in the arena, which goes away whole */
	(void)t;
}
