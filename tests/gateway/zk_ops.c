/* zk_ops.c — every ZooKeeper operation through the real libzookeeper-mt,
 * printed as a canonical transcript.
 *
 * The same binary runs against Apache ZooKeeper and against dpzk through
 * dpzk-gateway (tests/gateway/run.sh), and the two transcripts must be
 * identical.  So everything printed is what a client can observe —
 * return codes by name, Stat fields, data, sorted children, ACLs, multi
 * results, watch events in the order they were delivered — with only what
 * legitimately differs between two correct servers normalized (README.md):
 *   - zxids become labels Z1, Z2, ... in order of first appearance within
 *     a section, and the numeric order of the section's labels is printed
 *     at its end;
 *   - ctime/mtime print as "recent" (within ten minutes of now) or "0";
 *   - session ids print as the handle that owns them (A, B, H) or "other".
 *
 * Ordering is observed, never timed: watcher callbacks and the completions
 * of asynchronous calls run on the client's one completion thread in the
 * order their frames arrived, so both are appended to one queue.  A "sync
 * point" (an asynchronous exists on "/") flushes that queue: every event
 * for a change that completed before it was sent must be in the queue
 * before its completion.  Waits that depend on the server's clocks
 * (session expiry, container and TTL deletion, reconnect) are bounded
 * polls whose outcome, not duration, is printed.
 *
 * Usage: zk_ops HOST:PORT          the transcript on stdout
 *        zk_ops --hold HOST:PORT PATH   (internal) a session that creates
 *                                        the ephemeral PATH and waits
 * Environment: GWT_DIR, a directory for the restart handshake with the
 * runner (restart.req written by us, restart.done by the runner).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

#define ZO_TIMEOUT_MS 20000 /* session timeout of A and B */
#define ZO_HOLD_MS    4000  /* session timeout of the expiring holder */
#define ZO_QMAX	      512
#define ZO_LINE	      512

/* A tag names a watcher (or a handle, for its session events). */
struct zo_tag {
	bool is_handle;
	char name[32];
};

struct zo_conn {
	struct zo_tag tag; /* first: the global watcher's context */
	zhandle_t *zh;
	int state;
	int64_t sid;
	char hist[256]; /* session state changes since last printed */
	int connects;	/* CONNECTED transitions */
};

static pthread_mutex_t zo_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t zo_cv = PTHREAD_COND_INITIALIZER;
/* one queue per handle (A, B, C, H), so that what a handle sees is
 * ordered, and never interleaved with another handle's deliveries */
static char zo_q[26][ZO_QMAX][ZO_LINE];
static int zo_qn[26];
static const char *zo_host;
static struct zo_conn zo_a, zo_b;
static int64_t zo_hold_sid;
static struct zo_tag zo_tags[128];
static int zo_ntags;
static int zo_failures;

/* ------------------------------------------------------------ printing */

static void
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *
rcn(int rc)
{
	static const struct {
		int rc;
		const char *n;
	} t[] = {
		{ZOK, "ZOK"},
		{ZSYSTEMERROR, "ZSYSTEMERROR"},
		{ZRUNTIMEINCONSISTENCY, "ZRUNTIMEINCONSISTENCY"},
		{ZDATAINCONSISTENCY, "ZDATAINCONSISTENCY"},
		{ZCONNECTIONLOSS, "ZCONNECTIONLOSS"},
		{ZMARSHALLINGERROR, "ZMARSHALLINGERROR"},
		{ZUNIMPLEMENTED, "ZUNIMPLEMENTED"},
		{ZOPERATIONTIMEOUT, "ZOPERATIONTIMEOUT"},
		{ZBADARGUMENTS, "ZBADARGUMENTS"},
		{ZINVALIDSTATE, "ZINVALIDSTATE"},
		{ZNEWCONFIGNOQUORUM, "ZNEWCONFIGNOQUORUM"},
		{ZRECONFIGINPROGRESS, "ZRECONFIGINPROGRESS"},
		{ZAPIERROR, "ZAPIERROR"},
		{ZNONODE, "ZNONODE"},
		{ZNOAUTH, "ZNOAUTH"},
		{ZBADVERSION, "ZBADVERSION"},
		{ZNOCHILDRENFOREPHEMERALS, "ZNOCHILDRENFOREPHEMERALS"},
		{ZNODEEXISTS, "ZNODEEXISTS"},
		{ZNOTEMPTY, "ZNOTEMPTY"},
		{ZSESSIONEXPIRED, "ZSESSIONEXPIRED"},
		{ZINVALIDCALLBACK, "ZINVALIDCALLBACK"},
		{ZINVALIDACL, "ZINVALIDACL"},
		{ZAUTHFAILED, "ZAUTHFAILED"},
		{ZCLOSING, "ZCLOSING"},
		{ZNOTHING, "ZNOTHING"},
		{ZSESSIONMOVED, "ZSESSIONMOVED"},
		{ZNOTREADONLY, "ZNOTREADONLY"},
		{ZEPHEMERALONLOCALSESSION, "ZEPHEMERALONLOCALSESSION"},
		{ZNOWATCHER, "ZNOWATCHER"},
		{ZRECONFIGDISABLED, "ZRECONFIGDISABLED"},
		{ZTHROTTLEDOP, "ZTHROTTLEDOP"},
	};
	static char buf[8][24];
	static int k;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].rc == rc)
			return t[i].n;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "rc(%d)", rc);
	return buf[k];
}

static const char *
evn(int type)
{
	if (type == ZOO_CREATED_EVENT)
		return "NodeCreated";
	if (type == ZOO_DELETED_EVENT)
		return "NodeDeleted";
	if (type == ZOO_CHANGED_EVENT)
		return "NodeDataChanged";
	if (type == ZOO_CHILD_EVENT)
		return "NodeChildrenChanged";
	if (type == ZOO_SESSION_EVENT)
		return "Session";
	if (type == ZOO_NOTWATCHING_EVENT)
		return "NotWatching";
	return "Event?";
}

static const char *
stn(int state)
{
	if (state == ZOO_CONNECTED_STATE)
		return "CONNECTED";
	if (state == ZOO_CONNECTING_STATE)
		return "CONNECTING";
	if (state == ZOO_ASSOCIATING_STATE)
		return "ASSOCIATING";
	if (state == ZOO_EXPIRED_SESSION_STATE)
		return "EXPIRED";
	if (state == ZOO_AUTH_FAILED_STATE)
		return "AUTH_FAILED";
	if (state == ZOO_READONLY_STATE)
		return "READONLY";
	if (state == ZOO_NOTCONNECTED_STATE)
		return "NOTCONNECTED";
	if (state == 0)
		return "CLOSED";
	return "STATE?";
}

/* zxid labels: Z<n> in order of first appearance; 0 stays 0. */
static int64_t zo_zx[4096];
static int zo_nzx;

static const char *
zx(int64_t z)
{
	static char buf[16][16];
	static int k;
	int i;

	if (z == 0)
		return "0";
	for (i = 0; i < zo_nzx; i++)
		if (zo_zx[i] == z)
			break;
	if (i == zo_nzx && zo_nzx < 4096)
		zo_zx[zo_nzx++] = z;
	k = (k + 1) % 16;
	snprintf(buf[k], sizeof(buf[k]), "Z%d", i + 1);
	return buf[k];
}

static int
zx_cmp(const void *a, const void *b)
{
	int64_t x = zo_zx[*(const int *)a], y = zo_zx[*(const int *)b];

	return x < y ? -1 : x > y;
}

/* The numeric order of every label seen, e.g. "Z1 < Z2 < Z4 < Z3". */
static void
zx_order(void)
{
	static int idx[4096];
	char line[8192];
	size_t n = 0;

	for (int i = 0; i < zo_nzx; i++)
		idx[i] = i;
	qsort(idx, zo_nzx, sizeof(idx[0]), zx_cmp);
	line[0] = 0;
	for (int i = 0; i < zo_nzx && n < sizeof(line) - 16; i++)
		n += snprintf(line + n, sizeof(line) - n, "%sZ%d",
			      i ? " < " : "", idx[i] + 1);
	out("zxid order: %s", line);
}

/* A new section: the previous one's zxid order, then fresh labels, so a
 * difference in one section does not shift the labels of the next. */
static void
section(const char *name)
{
	if (zo_nzx)
		zx_order();
	zo_nzx = 0;
	out("== %s", name);
}

static const char *
tm(int64_t ms)
{
	struct timeval tv;
	int64_t now;

	if (ms == 0)
		return "0";
	gettimeofday(&tv, NULL);
	now = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if (ms <= now + 600000 && ms >= now - 600000)
		return "recent";
	return "FAR";
}

static const char *
sess(int64_t id)
{
	if (id == 0)
		return "0";
	if (id == zo_a.sid)
		return "A";
	if (id == zo_b.sid)
		return "B";
	if (id == zo_hold_sid)
		return "H";
	return "other";
}

static void
pstat(const char *what, const struct Stat *s)
{
	out("  %s stat: czxid=%s mzxid=%s pzxid=%s ctime=%s mtime=%s "
	    "version=%d cversion=%d aversion=%d owner=%s dlen=%d nkids=%d",
	    what, zx(s->czxid), zx(s->mzxid), zx(s->pzxid), tm(s->ctime),
	    tm(s->mtime), s->version, s->cversion, s->aversion,
	    sess(s->ephemeralOwner), s->dataLength, s->numChildren);
}

static void
pdata(const char *what, const char *buf, int len)
{
	char esc[80];
	size_t n = 0;
	uint32_t h = 2166136261u;

	if (len < 0) {
		out("  %s data=null", what);
		return;
	}
	for (int i = 0; i < len; i++) {
		h = (h ^ (uint8_t)buf[i]) * 16777619u;
		if (n < 40) {
			unsigned char c = (unsigned char)buf[i];
			if (c >= 32 && c < 127 && c != '\\')
				esc[n++] = (char)c;
			else
				n += snprintf(esc + n, sizeof(esc) - n,
					      "\\x%02x", c);
		}
	}
	esc[n < sizeof(esc) ? n : sizeof(esc) - 1] = 0;
	out("  %s data[%d]='%s'%s fnv=%08x", what, len, esc,
	    len > 40 ? "..." : "", h);
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
pkids(const char *what, struct String_vector *v)
{
	char line[4096];
	size_t n = 0;

	qsort(v->data, v->count, sizeof(char *), strp_cmp);
	line[0] = 0;
	for (int i = 0; i < v->count && n < sizeof(line) - 256; i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%s", i ? "," : "",
			      v->data[i]);
	out("  %s children(%d)=[%s]", what, v->count, line);
}

static void
pacl(const char *what, const struct ACL_vector *v)
{
	out("  %s acl count=%d", what, v->count);
	for (int i = 0; i < v->count; i++)
		out("    perms=%d %s:%s", v->data[i].perms,
		    v->data[i].id.scheme, v->data[i].id.id);
}

static void
fail(const char *what)
{
	out("!! %s", what);
	zo_failures++;
}

/* ------------------------------------------------------- events, queue */

static int
qi(char h)
{
	return h >= 'A' && h <= 'Z' ? h - 'A' : 25;
}

/* Append to handle h's queue (h: the first letter of a tag or of a
 * completion's data string). */
static void
qpush(char h, const char *fmt, ...)
{
	va_list ap;
	int q = qi(h);

	pthread_mutex_lock(&zo_mu);
	if (zo_qn[q] < ZO_QMAX) {
		va_start(ap, fmt);
		vsnprintf(zo_q[q][zo_qn[q]], ZO_LINE, fmt, ap);
		va_end(ap);
		zo_qn[q]++;
	}
	pthread_cond_broadcast(&zo_cv);
	pthread_mutex_unlock(&zo_mu);
}

/* Print and clear the queue of the handle why starts with. */
static void
drain(const char *why)
{
	int q = qi(why[0]);

	pthread_mutex_lock(&zo_mu);
	out("  %s: %d queued", why, zo_qn[q]);
	for (int i = 0; i < zo_qn[q]; i++)
		out("    %s", zo_q[q][i]);
	zo_qn[q] = 0;
	pthread_mutex_unlock(&zo_mu);
}

static struct zo_tag *
tag(const char *name)
{
	struct zo_tag *t;

	for (int i = 0; i < zo_ntags; i++)
		if (strcmp(zo_tags[i].name, name) == 0)
			return &zo_tags[i];
	if (zo_ntags == 128)
		abort();
	t = &zo_tags[zo_ntags++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

static void
watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zo_tag *t = ctx;

	(void)zh;
	if (t == NULL)
		return;
	if (type == ZOO_SESSION_EVENT) {
		struct zo_conn *c = (struct zo_conn *)t;
		size_t n;

		if (!t->is_handle)
			return; /* session events also reach every watcher */
		pthread_mutex_lock(&zo_mu);
		if (state != c->state) {
			n = strlen(c->hist);
			snprintf(c->hist + n, sizeof(c->hist) - n, "%s%s",
				 n ? "," : "", stn(state));
			if (state == ZOO_CONNECTED_STATE)
				c->connects++;
		}
		c->state = state;
		pthread_cond_broadcast(&zo_cv);
		pthread_mutex_unlock(&zo_mu);
		return;
	}
	qpush(t->name[0], "event %s %s %s (%s)", t->name, evn(type),
	      path ? path : "-", stn(state));
}

/* Wait (bounded) until pred(arg) holds; true if it did. */
static bool
wait_for(bool (*pred)(void *), void *arg, int secs)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	pthread_mutex_lock(&zo_mu);
	while (!(ok = pred(arg)))
		if (pthread_cond_timedwait(&zo_cv, &zo_mu, &ts) == ETIMEDOUT) {
			ok = pred(arg);
			break;
		}
	pthread_mutex_unlock(&zo_mu);
	return ok;
}

static bool
is_connected(void *arg)
{
	return ((struct zo_conn *)arg)->state == ZOO_CONNECTED_STATE;
}

static bool
is_flag(void *arg)
{
	return *(int *)arg != 0;
}

static int zo_qwant, zo_qwhich;

static bool
q_has(void *arg)
{
	(void)arg;
	return zo_qn[zo_qwhich] >= zo_qwant;
}

/* Wait (bounded) until handle h's queue holds n entries. */
static bool
wait_events(char h, int n, int secs)
{
	zo_qwant = n;
	zo_qwhich = qi(h);
	return wait_for(q_has, NULL, secs);
}

static void
sp_done(int rc, const struct Stat *st, const void *data)
{
	(void)rc;
	(void)st;
	pthread_mutex_lock(&zo_mu);
	*(int *)data = 1;
	pthread_cond_broadcast(&zo_cv);
	pthread_mutex_unlock(&zo_mu);
}

/* Sync point: a round trip on c after which every event for a change
 * completed before it is in the queue. */
static void
sp(struct zo_conn *c)
{
	int done = 0;

	if (zoo_aexists(c->zh, "/", 0, sp_done, &done) != ZOK ||
	    !wait_for(is_flag, &done, 30))
		fail("sync point round trip");
}

static char *
sess_hist(struct zo_conn *c)
{
	static char h[256];

	pthread_mutex_lock(&zo_mu);
	snprintf(h, sizeof(h), "%s", c->hist);
	c->hist[0] = 0;
	pthread_mutex_unlock(&zo_mu);
	return h;
}

static int
zopen(struct zo_conn *c, const char *name, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->tag.is_handle = true;
	snprintf(c->tag.name, sizeof(c->tag.name), "%s", name);
	c->zh = zookeeper_init(zo_host, watcher, timeout_ms, NULL, c, 0);
	if (c->zh == NULL || !wait_for(is_connected, c, 30)) {
		fprintf(stderr, "zk_ops: %s cannot connect to %s\n", name,
			zo_host);
		return -1;
	}
	c->sid = zoo_client_id(c->zh)->client_id;
	sess_hist(c);
	return 0;
}

/* --------------------------------------------------------- operations */

static int
create(struct zo_conn *c, const char *path, const char *data, int len,
       const struct ACL_vector *acl, int mode, int64_t ttl)
{
	char buf[512];
	int rc;

	if (acl == NULL)
		acl = &ZOO_OPEN_ACL_UNSAFE;
	if (ttl)
		rc = zoo_create_ttl(c->zh, path, data, len, acl, mode, ttl, buf,
				    sizeof(buf));
	else
		rc = zoo_create(c->zh, path, data, len, acl, mode, buf,
				sizeof(buf));
	out("%s create %s mode=%d ttl=%" PRId64 " -> %s%s%s", c->tag.name, path,
	    mode, ttl, rcn(rc), rc == ZOK ? " " : "", rc == ZOK ? buf : "");
	return rc;
}

static int
create2(struct zo_conn *c, const char *path, const char *data, int len,
	int mode, int64_t ttl)
{
	char buf[512];
	struct Stat st;
	int rc;

	if (ttl)
		rc = zoo_create2_ttl(c->zh, path, data, len,
				     &ZOO_OPEN_ACL_UNSAFE, mode, ttl, buf,
				     sizeof(buf), &st);
	else
		rc = zoo_create2(c->zh, path, data, len, &ZOO_OPEN_ACL_UNSAFE,
				 mode, buf, sizeof(buf), &st);
	out("%s create2 %s mode=%d ttl=%" PRId64 " -> %s%s%s", c->tag.name,
	    path, mode, ttl, rcn(rc), rc == ZOK ? " " : "",
	    rc == ZOK ? buf : "");
	if (rc == ZOK)
		pstat("create2", &st);
	return rc;
}

static int
del(struct zo_conn *c, const char *path, int version)
{
	int rc = zoo_delete(c->zh, path, version);

	out("%s delete %s v=%d -> %s", c->tag.name, path, version, rcn(rc));
	return rc;
}

static int
exists(struct zo_conn *c, const char *path, const char *wtag)
{
	struct Stat st;
	int rc;

	if (wtag)
		rc = zoo_wexists(c->zh, path, watcher, tag(wtag), &st);
	else
		rc = zoo_exists(c->zh, path, 0, &st);
	out("%s exists %s%s%s -> %s", c->tag.name, path, wtag ? " watch=" : "",
	    wtag ? wtag : "", rcn(rc));
	if (rc == ZOK)
		pstat("exists", &st);
	return rc;
}

static char zo_big[1 << 20];

static int
get(struct zo_conn *c, const char *path, const char *wtag)
{
	struct Stat st;
	int len = sizeof(zo_big);
	int rc;

	if (wtag)
		rc = zoo_wget(c->zh, path, watcher, tag(wtag), zo_big, &len,
			      &st);
	else
		rc = zoo_get(c->zh, path, 0, zo_big, &len, &st);
	out("%s get %s%s%s -> %s", c->tag.name, path, wtag ? " watch=" : "",
	    wtag ? wtag : "", rcn(rc));
	if (rc == ZOK) {
		pdata("get", zo_big, len);
		pstat("get", &st);
	}
	return rc;
}

static int
set(struct zo_conn *c, const char *path, const char *data, int len, int version)
{
	struct Stat st;
	int rc = zoo_set2(c->zh, path, data, len, version, &st);

	out("%s set %s len=%d v=%d -> %s", c->tag.name, path, len, version,
	    rcn(rc));
	if (rc == ZOK)
		pstat("set", &st);
	return rc;
}

static int
kids(struct zo_conn *c, const char *path, const char *wtag, bool two)
{
	struct String_vector v = {0, NULL};
	struct Stat st;
	int rc;

	if (two)
		rc = wtag ? zoo_wget_children2(c->zh, path, watcher, tag(wtag),
					       &v, &st)
			  : zoo_get_children2(c->zh, path, 0, &v, &st);
	else
		rc = wtag ? zoo_wget_children(c->zh, path, watcher, tag(wtag),
					      &v)
			  : zoo_get_children(c->zh, path, 0, &v);
	out("%s %s %s%s%s -> %s", c->tag.name,
	    two ? "getChildren2" : "getChildren", path, wtag ? " watch=" : "",
	    wtag ? wtag : "", rcn(rc));
	if (rc == ZOK) {
		pkids("kids", &v);
		if (two)
			pstat("kids", &st);
	}
	deallocate_String_vector(&v);
	return rc;
}

static int
getacl(struct zo_conn *c, const char *path, struct ACL_vector *keep)
{
	struct ACL_vector v = {0, NULL};
	struct Stat st;
	int rc = zoo_get_acl(c->zh, path, &v, &st);

	out("%s getACL %s -> %s", c->tag.name, path, rcn(rc));
	if (rc == ZOK) {
		pacl("getACL", &v);
		pstat("getACL", &st);
	}
	if (keep && rc == ZOK)
		*keep = v;
	else
		deallocate_ACL_vector(&v);
	return rc;
}

static int
setacl(struct zo_conn *c, const char *path, int version, struct ACL_vector *acl,
       const char *desc)
{
	int rc = zoo_set_acl(c->zh, path, version, acl);

	out("%s setACL %s v=%d %s -> %s", c->tag.name, path, version, desc,
	    rcn(rc));
	return rc;
}

static void
auth_done(int rc, const void *data)
{
	qpush(*(const char *)data, "auth completion %s -> %s",
	      (const char *)data, rcn(rc));
}

static void
addauth(struct zo_conn *c, const char *scheme, const char *cred)
{
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "%s %s", c->tag.name, cred);
	rc = zoo_add_auth(c->zh, scheme, cred, (int)strlen(cred), auth_done,
			  tag(what)->name);
	out("%s addauth %s %s -> %s", c->tag.name, scheme, cred, rcn(rc));
	if (rc == ZOK && !wait_events(c->tag.name[0], 1, 30))
		fail("no auth completion");
	snprintf(what, sizeof(what), "%s after addauth", c->tag.name);
	drain(what);
}

static void
void_done(int rc, const void *data)
{
	qpush(*(const char *)data, "completion %s -> %s", (const char *)data,
	      rcn(rc));
}

static void
str_done(int rc, const char *value, const void *data)
{
	qpush(*(const char *)data, "completion %s -> %s %s", (const char *)data,
	      rcn(rc), rc == ZOK && value ? value : "");
}

static void
stat_done(int rc, const struct Stat *st, const void *data)
{
	qpush(*(const char *)data, "completion %s -> %s%s", (const char *)data,
	      rcn(rc),
	      rc == ZOK && st ? (st->version >= 0 ? " stat" : "") : "");
}

static void
data_done(int rc, const char *value, int len, const struct Stat *st,
	  const void *data)
{
	(void)st;
	qpush(*(const char *)data, "completion %s -> %s data '%.*s'",
	      (const char *)data, rcn(rc), rc == ZOK && len > 0 ? len : 0,
	      rc == ZOK && value ? value : "");
}

static void
pmulti(int rc, int n, const zoo_op_t *ops, zoo_op_result_t *res)
{
	out("  multi -> %s", rcn(rc));
	for (int i = 0; i < n; i++) {
		out("  result[%d] type=%d err=%s", i, ops[i].type,
		    rcn(res[i].err));
		if (res[i].err != ZOK)
			continue;
		if (ops[i].type == ZOO_CREATE_OP && res[i].value)
			out("    path=%.*s", res[i].valuelen, res[i].value);
		if (ops[i].type == ZOO_SETDATA_OP && res[i].stat)
			pstat("multi set", res[i].stat);
	}
}

/* ---------------------------------------------------------- sections */

static void
s_create(void)
{
	struct ACL_vector empty = {0, NULL};
	struct Stat st;

	section("create");
	create(&zo_a, "/gwt", "root", 4, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt", "again", 5, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/missing/x", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt//x", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/nul", NULL, -1, NULL, ZOO_PERSISTENT, 0);
	get(&zo_a, "/gwt/nul", NULL);
	create(&zo_a, "/gwt/empty", "", 0, NULL, ZOO_PERSISTENT, 0);
	get(&zo_a, "/gwt/empty", NULL);
	create2(&zo_a, "/gwt/c2", "c2data", 6, ZOO_PERSISTENT, 0);
	create2(&zo_a, "/gwt/c2", "c2data", 6, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/eph", "e", 1, NULL, ZOO_EPHEMERAL, 0);
	exists(&zo_a, "/gwt/eph", NULL);
	create(&zo_a, "/gwt/eph/child", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/eph/child", "", 0, NULL, ZOO_EPHEMERAL, 0);
	create(&zo_a, "/gwt/inv", "", 0, &empty, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/creator", "", 0, &ZOO_CREATOR_ALL_ACL,
	       ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/badmode", "", 0, NULL, 7, 0);
	create(&zo_a, "/zookeeper/x", "", 0, NULL, ZOO_PERSISTENT, 0);

	out("-- sequential");
	create(&zo_a, "/gwt/seq", "", 0, NULL, ZOO_PERSISTENT, 0);
	for (int i = 0; i < 3; i++)
		create(&zo_a, "/gwt/seq/s-", "", 0, NULL,
		       ZOO_PERSISTENT_SEQUENTIAL, 0);
	del(&zo_a, "/gwt/seq/s-0000000001", -1);
	create(&zo_a, "/gwt/seq/s-", "", 0, NULL, ZOO_PERSISTENT_SEQUENTIAL, 0);
	create(&zo_a, "/gwt/seq/plain", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/seq/e-", "", 0, NULL, ZOO_EPHEMERAL_SEQUENTIAL, 0);
	create(&zo_a, "/gwt/seq/", "", 0, NULL, ZOO_PERSISTENT_SEQUENTIAL, 0);
	create2(&zo_a, "/gwt/seq/c2-", "x", 1, ZOO_PERSISTENT_SEQUENTIAL, 0);
	kids(&zo_a, "/gwt/seq", NULL, true);

	out("-- container and ttl");
	create2(&zo_a, "/gwt/cont", "", 0, ZOO_CONTAINER, 0);
	create(&zo_a, "/gwt/cont", "", 0, NULL, ZOO_CONTAINER, 0);
	create2(&zo_a, "/gwt/ttl", "t", 1, ZOO_PERSISTENT_WITH_TTL, 600000);
	create2(&zo_a, "/gwt/ttlseq-", "t", 1,
		ZOO_PERSISTENT_SEQUENTIAL_WITH_TTL, 600000);
	create(&zo_a, "/gwt/ttl0", "", 0, NULL, ZOO_PERSISTENT_WITH_TTL, 0);
	create(&zo_a, "/gwt/ttlneg", "", 0, NULL, ZOO_PERSISTENT_WITH_TTL, -5);
	create(&zo_a, "/gwt/ttlbig", "", 0, NULL, ZOO_PERSISTENT_WITH_TTL,
	       (int64_t)1 << 41);
	create(&zo_a, "/gwt/ttleph", "", 0, NULL, ZOO_EPHEMERAL, 1000);
	create2(&zo_a, "/gwt/cont/kid", "", 0, ZOO_PERSISTENT, 0);
	if (zoo_exists(zo_a.zh, "/gwt/cont", 0, &st) == ZOK)
		pstat("container", &st);
}

static void
s_data(void)
{
	static char big[300000];

	section("data");
	get(&zo_a, "/gwt", NULL);
	get(&zo_a, "/gwt/nope", NULL);
	exists(&zo_a, "/gwt/nope", NULL);
	set(&zo_a, "/gwt", "v1", 2, 0);
	set(&zo_a, "/gwt", "v2", 2, 0);
	set(&zo_a, "/gwt", "v2", 2, 5);
	set(&zo_a, "/gwt", "v2", 2, 1);
	set(&zo_a, "/gwt", "any", 3, -1);
	set(&zo_a, "/gwt/nope", "x", 1, -1);
	get(&zo_a, "/gwt", NULL);
	set(&zo_a, "/gwt/empty", NULL, -1, -1);
	get(&zo_a, "/gwt/empty", NULL);
	set(&zo_a, "/gwt/nul", "", 0, -1);
	get(&zo_a, "/gwt/nul", NULL);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 251);
	create(&zo_a, "/gwt/big", big, sizeof(big), NULL, ZOO_PERSISTENT, 0);
	get(&zo_a, "/gwt/big", NULL);
	set(&zo_a, "/gwt/big", big, 1000, -1);
	get(&zo_a, "/gwt/big", NULL);
	get(&zo_a, "/", NULL);
	get(&zo_a, "/zookeeper", NULL);
	get(&zo_a, "/zookeeper/quota", NULL);
}

static void
s_delete(void)
{
	section("delete");
	create(&zo_a, "/gwt/d", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/d/k", "", 0, NULL, ZOO_PERSISTENT, 0);
	del(&zo_a, "/gwt/d", -1);
	del(&zo_a, "/gwt/d/k", 3);
	del(&zo_a, "/gwt/d/k", 0);
	del(&zo_a, "/gwt/d/k", 0);
	exists(&zo_a, "/gwt/d", NULL);
	set(&zo_a, "/gwt/d", "x", 1, -1);
	del(&zo_a, "/gwt/d", 0);
	del(&zo_a, "/gwt/d", 1);
	del(&zo_a, "/gwt/d", -1);
	del(&zo_a, "/gwt/nope/deeper", -1);
	del(&zo_a, "/zookeeper", -1);
	del(&zo_a, "/zookeeper/quota", -1);
	del(&zo_a, "/", -1);
}

static void
s_children(void)
{
	char p[64];

	section("children");
	create(&zo_a, "/gwt/k", "", 0, NULL, ZOO_PERSISTENT, 0);
	for (int i = 4; i >= 0; i--) {
		snprintf(p, sizeof(p), "/gwt/k/n%d", i);
		create(&zo_a, p, "", 0, NULL, ZOO_PERSISTENT, 0);
	}
	del(&zo_a, "/gwt/k/n2", -1);
	kids(&zo_a, "/gwt/k", NULL, false);
	kids(&zo_a, "/gwt/k", NULL, true);
	kids(&zo_a, "/gwt/k/n0", NULL, true);
	kids(&zo_a, "/gwt/nope", NULL, false);
	kids(&zo_a, "/gwt/nope", NULL, true);
	kids(&zo_a, "/", NULL, false);
	kids(&zo_a, "/zookeeper", NULL, true);
	kids(&zo_a, "/gwt", NULL, true);
}

static void
s_watch(void)
{
	section("watches");
	create(&zo_a, "/gwt/w", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/w/d", "d", 1, NULL, ZOO_PERSISTENT, 0);

	out("-- data watch fires once, on another session's change");
	get(&zo_a, "/gwt/w/d", "A.get1");
	set(&zo_b, "/gwt/w/d", "d2", 2, -1);
	set(&zo_b, "/gwt/w/d", "d3", 2, -1);
	sp(&zo_a);
	drain("A after two sets by B");

	out("-- exists watch on a missing node");
	exists(&zo_a, "/gwt/w/new", "A.ex1");
	get(&zo_a, "/gwt/w/new2", "A.get-missing");
	kids(&zo_a, "/gwt/w/new2", "A.kids-missing", false);
	create(&zo_b, "/gwt/w/new", "n", 1, NULL, ZOO_PERSISTENT, 0);
	create(&zo_b, "/gwt/w/new2", "n", 1, NULL, ZOO_PERSISTENT, 0);
	sp(&zo_a);
	drain("A after creates by B");

	out("-- child watch, grandchild create, setACL fire nothing");
	kids(&zo_a, "/gwt/w", "A.kids1", true);
	create(&zo_b, "/gwt/w/new/grand", "", 0, NULL, ZOO_PERSISTENT, 0);
	setacl(&zo_b, "/gwt/w", -1, &ZOO_OPEN_ACL_UNSAFE, "open");
	set(&zo_b, "/gwt/w", "x", 1, -1);
	sp(&zo_a);
	drain("A after grandchild, setACL, setData of parent");
	del(&zo_b, "/gwt/w/new/grand", -1);
	sp(&zo_a);
	drain("A after delete of a child");

	out("-- delete fires data, exists and child watches");
	get(&zo_a, "/gwt/w/new", "A.get2");
	exists(&zo_a, "/gwt/w/new", "A.ex2");
	kids(&zo_a, "/gwt/w/new", "A.kids2", false);
	kids(&zo_a, "/gwt/w", "A.kids3", false);
	get(&zo_b, "/gwt/w/new", "B.get1");
	del(&zo_b, "/gwt/w/new", -1);
	sp(&zo_a);
	drain("A after delete by B");
	sp(&zo_b);
	drain("B after its own delete");

	out("-- same watcher for data and exists fires once");
	get(&zo_a, "/gwt/w/d", "A.same");
	exists(&zo_a, "/gwt/w/d", "A.same");
	set(&zo_b, "/gwt/w/d", "d4", 2, -1);
	sp(&zo_a);
	drain("A after set");

	out("-- own write: the event comes before the reply");
	get(&zo_a, "/gwt/w/d", "A.own");
	kids(&zo_a, "/gwt/w", "A.ownkids", false);
	if (zoo_aset(zo_a.zh, "/gwt/w/d", "own", 3, -1, stat_done, "A aset") !=
	    ZOK)
		fail("aset");
	wait_events('A', 2, 30);
	if (zoo_acreate(zo_a.zh, "/gwt/w/own", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
			str_done, "A acreate") != ZOK)
		fail("acreate");
	wait_events('A', 4, 30);
	drain("A, in delivery order");

	out("-- another session's write: the event before the new data");
	get(&zo_a, "/gwt/w/d", "A.cross");
	set(&zo_b, "/gwt/w/d", "cross", 5, -1);
	if (zoo_aget(zo_a.zh, "/gwt/w/d", 0, data_done, "A aget") != ZOK)
		fail("aget");
	wait_events('A', 2, 30);
	drain("A, in delivery order");

	out("-- pipelined async writes: completions in order");
	zoo_acreate(zo_a.zh, "/gwt/w/p1", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
		    str_done, "A p1");
	zoo_aset(zo_a.zh, "/gwt/w/p1", "x", 1, 5, stat_done, "A p1-badver");
	zoo_adelete(zo_a.zh, "/gwt/w/p1", -1, void_done, "A p1-del");
	zoo_adelete(zo_a.zh, "/gwt/w/p1", -1, void_done, "A p1-del2");
	zoo_async(zo_a.zh, "/gwt/w", str_done, "A sync");
	wait_events('A', 5, 30);
	drain("A completions");
}

static void
s_acl(void)
{
	struct ACL ro_one = {ZOO_PERM_READ, {"world", "anyone"}};
	struct ACL_vector ro = {1, &ro_one};
	struct ACL_vector empty = {0, NULL};
	struct ACL auth_one = {ZOO_PERM_ALL, {"auth", ""}};
	struct ACL_vector authv = {1, &auth_one};
	struct ACL bad_one = {ZOO_PERM_ALL, {"nosuch", "x"}};
	struct ACL_vector badv = {1, &bad_one};
	struct ACL ip_one = {ZOO_PERM_ALL, {"ip", "127.0.0.1"}};
	struct ACL_vector ipv = {1, &ip_one};
	struct ACL_vector got = {0, NULL};
	struct ACL dig[2];
	struct ACL_vector digv = {2, dig};
	struct zo_conn c;

	section("acl");
	create(&zo_a, "/gwt/acl", "", 0, NULL, ZOO_PERSISTENT, 0);
	getacl(&zo_a, "/gwt/acl", NULL);
	getacl(&zo_a, "/gwt/nope", NULL);
	setacl(&zo_a, "/gwt/acl", 3, &ro, "read-only");
	setacl(&zo_a, "/gwt/acl", 0, &ro, "read-only");
	setacl(&zo_a, "/gwt/acl", 0, &ro, "read-only");
	getacl(&zo_a, "/gwt/acl", NULL);
	set(&zo_a, "/gwt/acl", "x", 1, -1);
	get(&zo_a, "/gwt/acl", NULL);
	create(&zo_a, "/gwt/acl/k", "", 0, NULL, ZOO_PERSISTENT, 0);
	setacl(&zo_a, "/gwt/acl", -1, &ZOO_OPEN_ACL_UNSAFE, "open");
	setacl(&zo_a, "/gwt/acl", -1, &empty, "empty");
	setacl(&zo_a, "/gwt/acl", -1, &authv, "auth-without-auth");
	setacl(&zo_a, "/gwt/acl", -1, &badv, "unknown-scheme");
	setacl(&zo_a, "/gwt/nope", -1, &ro, "read-only");

	section("acl: digest");
	create(&zo_a, "/gwt/acl2", "", 0, NULL, ZOO_PERSISTENT, 0);
	addauth(&zo_a, "digest", "user:pw");
	create(&zo_a, "/gwt/acl2/d", "secret", 6, &ZOO_CREATOR_ALL_ACL,
	       ZOO_PERSISTENT, 0);
	getacl(&zo_a, "/gwt/acl2/d", &got);
	get(&zo_a, "/gwt/acl2/d", NULL);
	get(&zo_b, "/gwt/acl2/d", NULL);
	exists(&zo_b, "/gwt/acl2/d", NULL);
	getacl(&zo_b, "/gwt/acl2/d", NULL);
	set(&zo_b, "/gwt/acl2/d", "x", 1, -1);
	del(&zo_b, "/gwt/acl2/d", -1);
	addauth(&zo_b, "digest", "user:wrong");
	get(&zo_b, "/gwt/acl2/d", NULL);
	addauth(&zo_b, "digest", "user:pw");
	get(&zo_b, "/gwt/acl2/d", NULL);
	create(&zo_b, "/gwt/acl2/d/kb", "", 0, NULL, ZOO_PERSISTENT, 0);
	if (got.count == 1) {
		dig[0].perms = ZOO_PERM_READ | ZOO_PERM_ADMIN;
		dig[0].id = got.data[0].id;
		dig[1] = ro_one;
		dig[1].perms = ZOO_PERM_CREATE;
		setacl(&zo_a, "/gwt/acl2/d", -1, &digv,
		       "digest-read-admin+"
		       "world-create");
		getacl(&zo_a, "/gwt/acl2/d", NULL);
		set(&zo_a, "/gwt/acl2/d", "x", 1, -1);
		create(&zo_a, "/gwt/acl2/d/k2", "", 0, NULL, ZOO_PERSISTENT, 0);
		del(&zo_a, "/gwt/acl2/d/k2", -1);
	} else {
		fail("digest ACL not as expected");
	}
	deallocate_ACL_vector(&got);
	setacl(&zo_a, "/gwt/acl2", -1, &authv, "auth-with-auth");
	getacl(&zo_a, "/gwt/acl2", NULL);
	get(&zo_b, "/gwt/acl2", NULL);

	section("acl: the ip scheme (the client address seen by the server)");
	create(&zo_a, "/gwt/acl2/ip", "ip", 2, &ipv, ZOO_PERSISTENT, 0);
	getacl(&zo_a, "/gwt/acl2/ip", NULL);
	get(&zo_a, "/gwt/acl2/ip", NULL);

	section("acl: unknown auth scheme");
	if (zopen(&c, "C", ZO_TIMEOUT_MS) == 0) {
		int rc = zoo_add_auth(c.zh, "nosuch", "x", 1, auth_done,
				      "C nosuch");

		out("C addauth nosuch -> %s", rcn(rc));
		wait_events('C', 1, 30);
		drain("C after addauth");
		out("C state %s", stn(zoo_state(c.zh)));
		zookeeper_close(c.zh);
	}
}

static void
s_multi(void)
{
	zoo_op_t ops[8];
	zoo_op_result_t res[8];
	char b1[128], b2[128], b3[128];
	int rc;

	section("multi");
	create(&zo_a, "/gwt/m", "", 0, NULL, ZOO_PERSISTENT, 0);
	exists(&zo_a, "/gwt/m/a", "A.m-a");
	kids(&zo_a, "/gwt/m", "A.m-kids", false);
	zoo_create_op_init(&ops[0], "/gwt/m/a", "a", 1, &ZOO_OPEN_ACL_UNSAFE, 0,
			   b1, sizeof(b1));
	zoo_create_op_init(&ops[1], "/gwt/m/s-", "", 0, &ZOO_OPEN_ACL_UNSAFE,
			   ZOO_PERSISTENT_SEQUENTIAL, b2, sizeof(b2));
	zoo_set_op_init(&ops[2], "/gwt/m/a", "a2", 2, 0, NULL);
	zoo_check_op_init(&ops[3], "/gwt/m/a", 1);
	zoo_create_op_init(&ops[4], "/gwt/m/tmp", "", 0, &ZOO_OPEN_ACL_UNSAFE,
			   ZOO_EPHEMERAL, b3, sizeof(b3));
	zoo_delete_op_init(&ops[5], "/gwt/m/tmp", 0);
	{
		struct Stat st;

		ops[2].set_op.stat = &st;
		memset(res, 0, sizeof(res));
		rc = zoo_multi(zo_a.zh, 6, ops, res);
		out("A multi create,create-seq,set,check,create-eph,delete");
		pmulti(rc, 6, ops, res);
	}
	sp(&zo_a);
	drain("A after multi");
	get(&zo_a, "/gwt/m/a", NULL);

	out("-- failing multi");
	exists(&zo_a, "/gwt/m/c", "A.m-c");
	zoo_create_op_init(&ops[0], "/gwt/m/c", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
			   b1, sizeof(b1));
	zoo_set_op_init(&ops[1], "/gwt/m/a", "zz", 2, -1, NULL);
	zoo_check_op_init(&ops[2], "/gwt/m/a", 7);
	zoo_delete_op_init(&ops[3], "/gwt/m/a", -1);
	memset(res, 0, sizeof(res));
	rc = zoo_multi(zo_a.zh, 4, ops, res);
	out("A multi create,set,check(bad version),delete");
	pmulti(rc, 4, ops, res);
	exists(&zo_a, "/gwt/m/c", NULL);
	get(&zo_a, "/gwt/m/a", NULL);

	zoo_create_op_init(&ops[0], "/gwt/m/d", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
			   b1, sizeof(b1));
	zoo_create_op_init(&ops[1], "/gwt/m/d", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
			   b2, sizeof(b2));
	memset(res, 0, sizeof(res));
	rc = zoo_multi(zo_a.zh, 2, ops, res);
	out("A multi create,create(same path)");
	pmulti(rc, 2, ops, res);

	zoo_delete_op_init(&ops[0], "/gwt/m/nope", -1);
	zoo_create_op_init(&ops[1], "/gwt/m/e", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
			   b2, sizeof(b2));
	memset(res, 0, sizeof(res));
	rc = zoo_multi(zo_a.zh, 2, ops, res);
	out("A multi delete(missing),create");
	pmulti(rc, 2, ops, res);

	zoo_check_op_init(&ops[0], "/gwt/m/a", -1);
	zoo_delete_op_init(&ops[1], "/gwt/m", -1);
	memset(res, 0, sizeof(res));
	rc = zoo_multi(zo_a.zh, 2, ops, res);
	out("A multi check,delete(not empty)");
	pmulti(rc, 2, ops, res);

	memset(res, 0, sizeof(res));
	rc = zoo_multi(zo_a.zh, 0, ops, res);
	out("A multi (empty)");
	pmulti(rc, 0, ops, res);
	sp(&zo_a);
	drain("A after failing multis (no event)");
	kids(&zo_a, "/gwt/m", NULL, true);
}

static void
s_sync(void)
{
	section("sync");
	zoo_async(zo_a.zh, "/gwt", str_done, "A sync /gwt");
	zoo_async(zo_a.zh, "/gwt/nope", str_done, "A sync /gwt/nope");
	wait_events('A', 2, 30);
	drain("A sync completions");
}

static void
s_remove_watches(void)
{
	int rc;

	section("removeWatches");
	create(&zo_a, "/gwt/rw", "", 0, NULL, ZOO_PERSISTENT, 0);
	get(&zo_a, "/gwt/rw", "A.rw-data");
	kids(&zo_a, "/gwt/rw", "A.rw-kids", false);
	rc = zoo_remove_watches(zo_a.zh, "/gwt/rw", ZWATCHTYPE_DATA, watcher,
				tag("A.rw-data"), 0);
	out("A removeWatches data A.rw-data -> %s", rcn(rc));
	rc = zoo_remove_watches(zo_a.zh, "/gwt/rw", ZWATCHTYPE_DATA, watcher,
				tag("A.rw-data"), 0);
	out("A removeWatches data A.rw-data again -> %s", rcn(rc));
	rc = zoo_remove_watches(zo_a.zh, "/gwt/nope", ZWATCHTYPE_ANY, NULL,
				NULL, 0);
	out("A removeWatches any /gwt/nope -> %s", rcn(rc));
	set(&zo_b, "/gwt/rw", "x", 1, -1);
	create(&zo_b, "/gwt/rw/k", "", 0, NULL, ZOO_PERSISTENT, 0);
	sp(&zo_a);
	drain("A after set and create (only the child watch fires)");
	kids(&zo_a, "/gwt/rw", "A.rw-kids2", false);
	get(&zo_a, "/gwt/rw", "A.rw-data2");
	rc = zoo_remove_all_watches(zo_a.zh, "/gwt/rw", ZWATCHTYPE_ANY, 0);
	out("A removeAllWatches any /gwt/rw -> %s", rcn(rc));
	del(&zo_b, "/gwt/rw/k", -1);
	set(&zo_b, "/gwt/rw", "y", 1, -1);
	sp(&zo_a);
	drain("A after delete and set (nothing fires)");
	rc = zoo_remove_all_watches(zo_a.zh, "/gwt/rw", ZWATCHTYPE_CHILD, 0);
	out("A removeAllWatches child /gwt/rw (none left) -> %s", rcn(rc));
	exists(&zo_a, "/gwt/rw/gone", "A.rw-ex");
	rc = zoo_remove_watches(zo_a.zh, "/gwt/rw/gone", ZWATCHTYPE_DATA,
				watcher, tag("A.rw-ex"), 0);
	out("A removeWatches data exists-watch on missing node -> %s", rcn(rc));
	create(&zo_b, "/gwt/rw/gone", "", 0, NULL, ZOO_PERSISTENT, 0);
	sp(&zo_a);
	drain("A after create (nothing fires)");
}

static bool
connected_again(void *arg)
{
	struct zo_conn *c = arg;

	return c->connects >= 2 && c->state == ZOO_CONNECTED_STATE;
}

static void
s_reconnect(void)
{
	const char *dir = getenv("GWT_DIR");
	char req[512], done[512];
	FILE *f;
	int i;

	section("reconnect (server side restarted while watches are set)");
	create(&zo_a, "/gwt/rc", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/rc/d", "d", 1, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/rc/gone", "g", 1, NULL, ZOO_PERSISTENT, 0);
	create(&zo_a, "/gwt/rc/eph", "e", 1, NULL, ZOO_EPHEMERAL, 0);
	/* A's digest auth must be replayed on the new connection */
	create(&zo_a, "/gwt/rc-sec", "s", 1, &ZOO_CREATOR_ALL_ACL,
	       ZOO_PERSISTENT, 0);
	get(&zo_a, "/gwt/rc/d", "A.rc-data");
	kids(&zo_a, "/gwt/rc", "A.rc-kids", false);
	exists(&zo_a, "/gwt/rc/new", "A.rc-new");
	exists(&zo_a, "/gwt/rc/gone", "A.rc-gone");
	kids(&zo_a, "/gwt/rc/gone", "A.rc-gonekids", false);
	if (dir == NULL) {
		fail("GWT_DIR is not set: no restart");
		return;
	}
	zo_a.connects = zo_b.connects = 1;
	snprintf(req, sizeof(req), "%s/restart.req", dir);
	snprintf(done, sizeof(done), "%s/restart.done", dir);
	f = fopen(req, "w");
	if (f == NULL) {
		fail("cannot write restart.req");
		return;
	}
	fclose(f);
	for (i = 0; i < 900 && access(done, F_OK) != 0; i++)
		usleep(100000);
	if (i == 900) {
		fail("the runner did not restart the server in 90 s");
		return;
	}
	unlink(done);
	out("restarted");
	if (!wait_for(connected_again, &zo_a, 60))
		fail("A did not reconnect");
	if (!wait_for(connected_again, &zo_b, 60))
		fail("B did not reconnect");
	out("A session %s, same id: %s", sess_hist(&zo_a),
	    zoo_client_id(zo_a.zh)->client_id == zo_a.sid ? "yes" : "no");
	out("B session %s, same id: %s", sess_hist(&zo_b),
	    zoo_client_id(zo_b.zh)->client_id == zo_b.sid ? "yes" : "no");
	sp(&zo_a);
	drain("A right after reconnect");
	set(&zo_b, "/gwt/rc/d", "d2", 2, -1);
	create(&zo_b, "/gwt/rc/new", "", 0, NULL, ZOO_PERSISTENT, 0);
	del(&zo_b, "/gwt/rc/gone", -1);
	sp(&zo_a);
	drain("A after changes by B");
	exists(&zo_b, "/gwt/rc/eph", NULL);
	get(&zo_a, "/gwt/rc-sec", NULL);
	getacl(&zo_a, "/gwt/rc-sec", NULL);
}

static void
s_ephemeral(void)
{
	struct zo_conn c;

	section("ephemerals end with their session");
	if (zopen(&c, "C", ZO_TIMEOUT_MS) != 0) {
		fail("C cannot connect");
		return;
	}
	create(&zo_a, "/gwt/e", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&c, "/gwt/e/c1", "", 0, NULL, ZOO_EPHEMERAL, 0);
	/* the session's other ephemeral lives under another parent: the
	 * order in which a closing session's ephemerals are deleted is
	 * unspecified (a hash set's order in ZooKeeper) */
	create(&zo_a, "/gwt/e2", "", 0, NULL, ZOO_PERSISTENT, 0);
	create(&c, "/gwt/e2/c-", "", 0, NULL, ZOO_EPHEMERAL_SEQUENTIAL, 0);
	{
		struct Stat st;

		if (zoo_exists(zo_a.zh, "/gwt/e/c1", 0, &st) == ZOK)
			out("  owner of /gwt/e/c1 is C: %s",
			    st.ephemeralOwner == c.sid ? "yes" : "no");
	}
	exists(&zo_a, "/gwt/e/c1", "A.e-c1");
	kids(&zo_a, "/gwt/e", "A.e-kids", true);
	out("C close -> %s", rcn(zookeeper_close(c.zh)));
	sp(&zo_a);
	drain("A after C closed");
	kids(&zo_a, "/gwt/e", NULL, true);
	kids(&zo_a, "/gwt/e2", NULL, true);
}

static bool
has_hold_event(void *arg)
{
	(void)arg;
	return zo_qn[qi('A')] >= 1;
}

static void
s_expiry(const char *self)
{
	int pfd[2];
	pid_t pid;
	FILE *f;
	char line[128] = "";
	unsigned long long sid = 0;
	int st;

	section("session expiry (holder stopped beyond its timeout)");
	if (pipe(pfd) != 0) {
		fail("pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl(self, self, "--hold", zo_host, "/gwt/x/h", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	create(&zo_a, "/gwt/x", "", 0, NULL, ZOO_PERSISTENT, 0);
	f = fdopen(pfd[0], "r");
	if (pid < 0 || f == NULL || fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "ready %llx", &sid) != 1) {
		fail("holder did not start");
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
		if (f)
			fclose(f);
		return;
	}
	zo_hold_sid = (int64_t)sid;
	line[strcspn(line, "\n")] = 0;
	out("holder ready, negotiated %s", strstr(line, "timeout=") ?: "?");
	exists(&zo_a, "/gwt/x/h", "A.x-h");
	kill(pid, SIGSTOP);
	if (!wait_for(has_hold_event, NULL, 40))
		fail("the holder's ephemeral outlived its session by 40 s");
	kill(pid, SIGCONT);
	if (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = 0;
		out("holder %s", line);
	} else {
		out("holder said nothing after it was resumed");
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	fclose(f);
	sp(&zo_a);
	drain("A after the holder's session expired");
	exists(&zo_a, "/gwt/x/h", NULL);
}

static int
hold(const char *path)
{
	struct zo_conn c;
	char buf[256];

	if (zopen(&c, "H", ZO_HOLD_MS) != 0)
		return 1;
	if (zoo_create(c.zh, path, "h", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
		       buf, sizeof(buf)) != ZOK)
		return 1;
	printf("ready %016llx timeout=%d\n", (unsigned long long)c.sid,
	       zoo_recv_timeout(c.zh));
	fflush(stdout);
	/* stopped here; once resumed, the client must learn its session
	 * expired (a reconnect answered with timeOut 0) */
	for (int i = 0; i < 1200; i++) {
		int st = zoo_state(c.zh);

		if (st == ZOO_EXPIRED_SESSION_STATE ||
		    st == ZOO_AUTH_FAILED_STATE) {
			printf("resumed: %s\n", stn(st));
			fflush(stdout);
			return 0;
		}
		usleep(50000);
	}
	printf("resumed: still %s after 60 s\n", stn(zoo_state(c.zh)));
	fflush(stdout);
	return 0;
}

/* Poll (bounded) until path is gone; prints the outcome only. */
static void
wait_gone(const char *path, int secs)
{
	struct Stat st;
	int rc = ZOK;

	for (int i = 0; i < secs * 5; i++) {
		rc = zoo_exists(zo_a.zh, path, 0, &st);
		if (rc != ZOK)
			break;
		usleep(200000);
	}
	out("A wait for %s to go -> %s", path,
	    rc == ZNONODE ? "gone" : rcn(rc));
}

static void
s_gc(void)
{
	section("containers and TTL nodes are collected");
	exists(&zo_a, "/gwt/cont", "A.cont");
	create2(&zo_a, "/gwt/ttlshort", "", 0, ZOO_PERSISTENT_WITH_TTL, 1500);
	create2(&zo_a, "/gwt/ttlkid", "", 0, ZOO_PERSISTENT_WITH_TTL, 1500);
	create(&zo_a, "/gwt/ttlkid/k", "", 0, NULL, ZOO_PERSISTENT, 0);
	create2(&zo_a, "/gwt/contnever", "", 0, ZOO_CONTAINER, 0);
	del(&zo_a, "/gwt/cont/kid", -1);
	wait_gone("/gwt/cont", 40);
	wait_gone("/gwt/ttlshort", 40);
	sp(&zo_a);
	drain("A after the container went");
	exists(&zo_a, "/gwt/contnever", NULL);
	exists(&zo_a, "/gwt/ttlkid", NULL);
	exists(&zo_a, "/gwt/ttl", NULL);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--hold") == 0) {
		zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
		zo_host = argv[2];
		return hold(argv[3]);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: zk_ops HOST:PORT\n");
		return 2;
	}
	zo_host = argv[1];
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	zoo_deterministic_conn_order(1);
	if (zopen(&zo_a, "A", ZO_TIMEOUT_MS) != 0 ||
	    zopen(&zo_b, "B", ZO_TIMEOUT_MS) != 0)
		return 1;
	out("A connected, timeout %d, B connected, timeout %d, ids differ: %s",
	    zoo_recv_timeout(zo_a.zh), zoo_recv_timeout(zo_b.zh),
	    zo_a.sid != zo_b.sid ? "yes" : "no");
	s_create();
	s_data();
	s_delete();
	s_children();
	s_watch();
	s_acl();
	s_multi();
	s_sync();
	s_remove_watches();
	s_reconnect();
	s_ephemeral();
	s_expiry("/proc/self/exe");
	s_gc();
	sp(&zo_a);
	drain("A at the end");
	section("end");
	out("A close -> %s", rcn(zookeeper_close(zo_a.zh)));
	out("B close -> %s", rcn(zookeeper_close(zo_b.zh)));
	out("failures: %d", zo_failures);
	return zo_failures ? 1 : 0;
}
