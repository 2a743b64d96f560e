/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client/dpzk-cli.c — dpzk's shell, in the manner of ZooKeeper's zkCli:
 * the same commands, options and messages ("Node does not exist: /x"), so
 * people and scripts that know zkCli know this.  Interactive with line
 * editing (libedit) when stdin is a terminal, one-shot when a command is
 * given on the command line, and a small latency loop (--latency N path)
 * until dpzk-bench covers it.
 *
 * Why it is built this way: it is a plain libdpzk application using the
 * blocking calls; watch events are printed by the default watcher, which
 * runs whenever the library's loop runs: during each command, and at the
 * prompt, where libedit runs in callback mode inside a poll() on stdin and
 * the session socket (without libedit, or when stdin is not a terminal,
 * events print between commands).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "client/dpzk.h"

#define MAXARGS	 64
#define HISTORY	 100
#define DATA_MAX (1024 * 1024)

static struct dpzk_handle *zh;
static char server[512] = "127.0.0.1:2181";
static int timeout_ms = 30000;
static bool printwatches = true;
static bool interactive;
static char *hist[HISTORY];
static int nhist, hist_base = 0;
static char *databuf;

/* ------------------------------------------------------------------ */
/* Output helpers                                                      */
/* ------------------------------------------------------------------ */

static const char *
type_name(int type)
{
	switch (type) {
	case DPZK_CREATED_EVENT:
		return "NodeCreated";
	case DPZK_DELETED_EVENT:
		return "NodeDeleted";
	case DPZK_CHANGED_EVENT:
		return "NodeDataChanged";
	case DPZK_CHILD_EVENT:
		return "NodeChildrenChanged";
	default:
		return "None";
	}
}

static const char *
state_name(int state)
{
	switch (state) {
	case DPZK_CONNECTED_STATE:
		return "SyncConnected";
	case DPZK_CONNECTING_STATE:
	case DPZK_ASSOCIATING_STATE:
		return "Disconnected";
	case DPZK_EXPIRED_SESSION_STATE:
		return "Expired";
	case DPZK_AUTH_FAILED_STATE:
		return "AuthFailed";
	case DPZK_CLOSED_STATE:
		return "Closed";
	default:
		return "Unknown";
	}
}

#ifdef HAVE_LIBEDIT
static bool at_prompt; /* the line editor is showing a prompt */
#endif

static void
watcher(struct dpzk_handle *h, int type, int state, const char *path, void *ctx)
{
	(void)h;
	(void)ctx;
	if (!printwatches)
		return;
	printf("\nWATCHER::\n\nWatchedEvent state:%s type:%s path:%s\n",
	       state_name(state), type_name(type),
	       path && *path ? path : "null");
	fflush(stdout);
#ifdef HAVE_LIBEDIT
	if (at_prompt)
		rl_forced_update_display();
#endif
}

/* zkCli's wording for the common errors. */
static int
cli_err(int rc, const char *path)
{
	switch (rc) {
	case DPZK_ZNONODE:
		fprintf(stderr, "Node does not exist: %s\n", path);
		break;
	case DPZK_ZNODEEXISTS:
		fprintf(stderr, "Node already exists: %s\n", path);
		break;
	case DPZK_ZNOTEMPTY:
		fprintf(stderr, "Node not empty: %s\n", path);
		break;
	case DPZK_ZBADVERSION:
		fprintf(stderr, "version No is not valid : %s\n", path);
		break;
	case DPZK_ZNOAUTH:
		fprintf(stderr, "Insufficient permission : %s\n", path);
		break;
	case DPZK_ZNOCHILDRENFOREPHEMERALS:
		fprintf(stderr, "Ephemerals cannot have children: %s\n", path);
		break;
	case DPZK_ZINVALIDACL:
		fprintf(stderr, "Acl is not valid : %s\n", path);
		break;
	case DPZK_ZBADARGUMENTS:
		fprintf(stderr,
			"Path must start with / character or is "
			"otherwise invalid: %s\n",
			path);
		break;
	case DPZK_ZUNIMPLEMENTED:
		fprintf(stderr, "KeeperErrorCode = Unimplemented for %s\n",
			path);
		break;
	default:
		fprintf(stderr, "KeeperErrorCode = %s for %s (%s)\n",
			dpzk_errname(rc), path, dpzk_strerror(rc));
		break;
	}
	return 1;
}

static void
print_time(const char *label, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S UTC %Y", &tm);
	printf("%s = %s\n", label, buf);
}

static void
print_stat(const struct dpzk_stat *s)
{
	printf("cZxid = 0x%" PRIx64 "\n", (uint64_t)s->czxid);
	print_time("ctime", s->ctime);
	printf("mZxid = 0x%" PRIx64 "\n", (uint64_t)s->mzxid);
	print_time("mtime", s->mtime);
	printf("pZxid = 0x%" PRIx64 "\n", (uint64_t)s->pzxid);
	printf("cversion = %d\n", s->cversion);
	printf("dataVersion = %d\n", s->version);
	printf("aclVersion = %d\n", s->aversion);
	printf("ephemeralOwner = 0x%" PRIx64 "\n",
	       (uint64_t)s->ephemeral_owner);
	printf("dataLength = %d\n", s->data_length);
	printf("numChildren = %d\n", s->num_children);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ------------------------------------------------------------------ */
/* Option parsing inside a command                                     */
/* ------------------------------------------------------------------ */

struct opts {
	bool f[128];
	const char *v[128];
	int npos;
	const char *pos[MAXARGS];
};

/* flags: letters without value; valued: letters taking one value. */
static int
parse_opts(int argc, char **argv, const char *flags, const char *valued,
	   struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] && a[2] == '\0' && o->npos == 0) {
			unsigned char c = (unsigned char)a[1];

			if (strchr(flags, c)) {
				o->f[c] = true;
				continue;
			}
			if (strchr(valued, c)) {
				if (i + 1 >= argc) {
					fprintf(stderr,
						"option -%c needs a value\n",
						c);
					return -1;
				}
				o->f[c] = true;
				o->v[c] = argv[++i];
				continue;
			}
			fprintf(stderr, "unknown option %s\n", a);
			return -1;
		}
		if (o->npos < MAXARGS)
			o->pos[o->npos++] = a;
	}
	return 0;
}

static bool
need(const struct opts *o, int min, const char *usage)
{
	if (o->npos < min) {
		fprintf(stderr, "Usage: %s\n", usage);
		return false;
	}
	return true;
}

static int
parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < -2147483648L || v > 2147483647L)
		return -1;
	*out = (int)v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

static int
ls_recursive(const char *path)
{
	struct dpzk_strings ch;
	int rc = dpzk_get_children(zh, path, 0, &ch);

	if (rc != DPZK_ZOK)
		return rc;
	printf("%s\n", path);
	if (ch.count > 0 && ch.data != NULL) /* no children: data NULL */
		qsort(ch.data, (size_t)ch.count, sizeof(char *), cmp_str);
	for (int i = 0; i < ch.count; i++) {
		char sub[4096];

		snprintf(sub, sizeof(sub), "%s/%s",
			 strcmp(path, "/") == 0 ? "" : path, ch.data[i]);
		ls_recursive(sub);
	}
	dpzk_strings_free(&ch);
	return DPZK_ZOK;
}

static int
cmd_ls(int argc, char **argv)
{
	static const char use[] = "ls [-s] [-w] [-R] path";
	struct opts o;
	struct dpzk_strings ch;
	struct dpzk_stat st;
	int rc;

	if (parse_opts(argc, argv, "swR", "", &o) || !need(&o, 1, use))
		return 1;
	if (o.f['R']) {
		rc = ls_recursive(o.pos[0]);
		return rc ? cli_err(rc, o.pos[0]) : 0;
	}
	rc = dpzk_get_children2(zh, o.pos[0], o.f['w'], &ch, &st);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.pos[0]);
	if (ch.count > 0 && ch.data != NULL)
		qsort(ch.data, (size_t)ch.count, sizeof(char *), cmp_str);
	printf("[");
	for (int i = 0; i < ch.count; i++)
		printf("%s%s", i ? ", " : "", ch.data[i]);
	printf("]\n");
	if (o.f['s'])
		print_stat(&st);
	dpzk_strings_free(&ch);
	return 0;
}

static int
cmd_create(int argc, char **argv)
{
	static const char use[] =
		"create [-s] [-e] [-c] [-t ttl] path [data] [acl]";
	struct opts o;
	struct dpzk_acl_vector acl = {0};
	int mode = DPZK_PERSISTENT, rc;
	int64_t ttl = 0;
	char created[4096];
	const char *data = NULL;

	if (parse_opts(argc, argv, "sec", "t", &o) || !need(&o, 1, use))
		return 1;
	if (o.f['e'] && (o.f['c'] || o.f['t'])) {
		fprintf(stderr, "-e cannot be combined with -c or -t\n");
		return 1;
	}
	if (o.f['c'] && (o.f['s'] || o.f['t'])) {
		fprintf(stderr, "-c cannot be combined with -s or -t\n");
		return 1;
	}
	if (o.f['e'])
		mode = DPZK_EPHEMERAL;
	if (o.f['c'])
		mode = DPZK_CONTAINER;
	if (o.f['t']) {
		char *end;

		ttl = strtoll(o.v['t'], &end, 10);
		if (*end || ttl <= 0) {
			fprintf(stderr, "ttl must be a positive number\n");
			return 1;
		}
		mode = DPZK_PERSISTENT_WITH_TTL;
	}
	if (o.f['s'])
		mode |= DPZK_SEQUENCE;
	if (o.f['t'] && o.f['s'])
		mode = DPZK_PERSISTENT_SEQUENTIAL_WITH_TTL;
	if (o.npos >= 2)
		data = o.pos[1];
	if (o.npos >= 3 && dpzk_parse_acl(o.pos[2], &acl) != DPZK_ZOK) {
		fprintf(stderr, "Acl is not valid : %s\n", o.pos[2]);
		return 1;
	}
	rc = dpzk_create(zh, o.pos[0], data, data ? (int)strlen(data) : -1,
			 acl.count ? &acl : &dpzk_open_acl_unsafe, mode, ttl,
			 created, sizeof(created), NULL);
	dpzk_acls_free(&acl);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.pos[0]);
	printf("Created %s\n", created);
	return 0;
}

static int
cmd_get(int argc, char **argv)
{
	struct opts o;
	struct dpzk_stat st;
	int len = DATA_MAX, rc;

	if (parse_opts(argc, argv, "sw", "", &o) ||
	    !need(&o, 1, "get [-s] [-w] path"))
		return 1;
	rc = dpzk_get(zh, o.pos[0], o.f['w'], databuf, &len, &st);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.pos[0]);
	if (len < 0)
		printf("null\n");
	else
		printf("%.*s\n", len, databuf);
	if (o.f['s'])
		print_stat(&st);
	return 0;
}

static int
cmd_set(int argc, char **argv)
{
	struct opts o;
	struct dpzk_stat st;
	int version = -1, rc;

	if (parse_opts(argc, argv, "s", "v", &o) ||
	    !need(&o, 2, "set [-s] [-v version] path data"))
		return 1;
	if (o.f['v'] && parse_int(o.v['v'], &version)) {
		fprintf(stderr, "version must be a number\n");
		return 1;
	}
	rc = dpzk_set(zh, o.pos[0], o.pos[1], (int)strlen(o.pos[1]), version,
		      &st);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.pos[0]);
	if (o.f['s'])
		print_stat(&st);
	return 0;
}

static int
cmd_stat(int argc, char **argv)
{
	struct opts o;
	struct dpzk_stat st;
	int rc;

	if (parse_opts(argc, argv, "w", "", &o) ||
	    !need(&o, 1, "stat [-w] path"))
		return 1;
	rc = dpzk_exists(zh, o.pos[0], o.f['w'], &st);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.pos[0]);
	print_stat(&st);
	return 0;
}

static int
cmd_delete(int argc, char **argv)
{
	struct opts o;
	int version = -1, rc;

	if (parse_opts(argc, argv, "", "v", &o) ||
	    !need(&o, 1, "delete [-v version] path"))
		return 1;
	if (o.f['v'] && parse_int(o.v['v'], &version)) {
		fprintf(stderr, "version must be a number\n");
		return 1;
	}
	rc = dpzk_delete(zh, o.pos[0], version);
	return rc ? cli_err(rc, o.pos[0]) : 0;
}

static int
delete_all(const char *path, int depth)
{
	struct dpzk_strings ch;
	int rc;

	if (depth > 1000)
		return DPZK_ZBADARGUMENTS;
	rc = dpzk_get_children(zh, path, 0, &ch);
	if (rc != DPZK_ZOK)
		return rc;
	for (int i = 0; i < ch.count && rc == DPZK_ZOK; i++) {
		char sub[4096];

		snprintf(sub, sizeof(sub), "%s/%s",
			 strcmp(path, "/") == 0 ? "" : path, ch.data[i]);
		rc = delete_all(sub, depth + 1);
		if (rc == DPZK_ZNONODE)
			rc = DPZK_ZOK;
	}
	dpzk_strings_free(&ch);
	if (rc != DPZK_ZOK)
		return rc;
	if (strcmp(path, "/") == 0)
		return DPZK_ZOK;
	return dpzk_delete(zh, path, -1);
}

static int
cmd_deleteall(int argc, char **argv)
{
	struct opts o;
	int rc;

	if (parse_opts(argc, argv, "", "b", &o) ||
	    !need(&o, 1, "deleteall path"))
		return 1;
	rc = delete_all(o.pos[0], 0);
	return rc ? cli_err(rc, o.pos[0]) : 0;
}

static int
cmd_getacl(int argc, char **argv)
{
	struct opts o;
	struct dpzk_acl_vector acl;
	struct dpzk_stat st;
	char p[8];
	int rc;

	if (parse_opts(argc, argv, "s", "", &o) ||
	    !need(&o, 1, "getAcl [-s] path"))
		return 1;
	rc = dpzk_get_acl(zh, o.pos[0], &acl, &st);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.pos[0]);
	for (int i = 0; i < acl.count; i++)
		printf("'%s,'%s\n: %s\n", acl.data[i].id.scheme,
		       acl.data[i].id.id,
		       dpzk_perms_string(acl.data[i].perms, p));
	if (o.f['s'])
		print_stat(&st);
	dpzk_acls_free(&acl);
	return 0;
}

static int
cmd_setacl(int argc, char **argv)
{
	struct opts o;
	struct dpzk_acl_vector acl;
	struct dpzk_stat st;
	int version = -1, rc;

	if (parse_opts(argc, argv, "s", "v", &o) ||
	    !need(&o, 2, "setAcl [-s] [-v version] path acl"))
		return 1;
	if (o.f['v'] && parse_int(o.v['v'], &version)) {
		fprintf(stderr, "version must be a number\n");
		return 1;
	}
	if (dpzk_parse_acl(o.pos[1], &acl) != DPZK_ZOK) {
		fprintf(stderr, "Acl is not valid : %s\n", o.pos[1]);
		return 1;
	}
	rc = dpzk_set_acl(zh, o.pos[0], version, &acl);
	dpzk_acls_free(&acl);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.pos[0]);
	if (o.f['s'] && dpzk_exists(zh, o.pos[0], 0, &st) == DPZK_ZOK)
		print_stat(&st);
	return 0;
}

static int
cmd_addauth(int argc, char **argv)
{
	struct opts o;
	int rc;

	if (parse_opts(argc, argv, "", "", &o) ||
	    !need(&o, 2, "addauth scheme auth"))
		return 1;
	rc = dpzk_add_auth(zh, o.pos[0], o.pos[1], (int)strlen(o.pos[1]));
	if (rc != DPZK_ZOK) {
		fprintf(stderr, "addauth failed: %s\n", dpzk_strerror(rc));
		return 1;
	}
	return 0;
}

static int
cmd_sync(int argc, char **argv)
{
	struct opts o;
	int rc;

	if (parse_opts(argc, argv, "", "", &o) || !need(&o, 1, "sync path"))
		return 1;
	rc = dpzk_sync(zh, o.pos[0]);
	if (rc != DPZK_ZOK) {
		fprintf(stderr, "Sync returned %s\n", dpzk_errname(rc));
		return 1;
	}
	printf("Sync is OK\n");
	return 0;
}

static int
cmd_addwatch(int argc, char **argv)
{
	struct opts o;
	int mode = DPZK_ADD_WATCH_PERSISTENT_RECURSIVE, rc;

	if (parse_opts(argc, argv, "", "m", &o) ||
	    !need(&o, 1,
		  "addWatch [-m mode] path # mode is PERSISTENT or "
		  "PERSISTENT_RECURSIVE (default)"))
		return 1;
	if (o.f['m']) {
		if (strcasecmp(o.v['m'], "PERSISTENT") == 0)
			mode = DPZK_ADD_WATCH_PERSISTENT;
		else if (strcasecmp(o.v['m'], "PERSISTENT_RECURSIVE") == 0)
			mode = DPZK_ADD_WATCH_PERSISTENT_RECURSIVE;
		else {
			fprintf(stderr, "mode must be PERSISTENT or "
					"PERSISTENT_RECURSIVE\n");
			return 1;
		}
	}
	rc = dpzk_add_watch(zh, o.pos[0], mode, NULL, NULL);
	return rc ? cli_err(rc, o.pos[0]) : 0;
}

static int
cmd_removewatches(int argc, char **argv)
{
	struct opts o;
	int wtype = DPZK_WATCHER_ANY, rc;

	if (parse_opts(argc, argv, "cdapRl", "", &o) ||
	    !need(&o, 1, "removewatches path [-c|-d|-a|-p|-R] [-l]"))
		return 1;
	if (o.f['c'])
		wtype = DPZK_WATCHER_CHILDREN;
	if (o.f['d'])
		wtype = DPZK_WATCHER_DATA;
	if (o.f['p'])
		wtype = DPZK_WATCHER_PERSISTENT;
	if (o.f['R'])
		wtype = DPZK_WATCHER_PERSISTENT_RECURSIVE;
	rc = dpzk_remove_watches(zh, o.pos[0], wtype, NULL, NULL, o.f['l']);
	return rc ? cli_err(rc, o.pos[0]) : 0;
}

static int
cmd_whoami(int argc, char **argv)
{
	struct dpzk_client_info *who;
	int n, rc;

	(void)argc;
	(void)argv;
	rc = dpzk_whoami(zh, &who, &n);
	if (rc != DPZK_ZOK) {
		fprintf(stderr, "whoami failed: %s\n", dpzk_strerror(rc));
		return 1;
	}
	printf("Auth scheme: User\n");
	for (int i = 0; i < n; i++)
		printf("%s: %s\n", who[i].scheme, who[i].user);
	dpzk_client_info_free(who, n);
	return 0;
}

static int
cmd_ephemerals(int argc, char **argv)
{
	struct opts o;
	struct dpzk_strings v;
	int rc;

	if (parse_opts(argc, argv, "", "", &o))
		return 1;
	rc = dpzk_get_ephemerals(zh, o.npos ? o.pos[0] : "/", &v);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.npos ? o.pos[0] : "/");
	if (v.count > 0 && v.data != NULL)
		qsort(v.data, (size_t)v.count, sizeof(char *), cmp_str);
	printf("[");
	for (int i = 0; i < v.count; i++)
		printf("%s%s", i ? ", " : "", v.data[i]);
	printf("]\n");
	dpzk_strings_free(&v);
	return 0;
}

static int
cmd_allchildren(int argc, char **argv)
{
	struct opts o;
	int n, rc;

	if (parse_opts(argc, argv, "", "", &o) ||
	    !need(&o, 1, "getAllChildrenNumber path"))
		return 1;
	rc = dpzk_get_all_children_number(zh, o.pos[0], &n);
	if (rc != DPZK_ZOK)
		return cli_err(rc, o.pos[0]);
	printf("%d\n", n);
	return 0;
}

static int
cmd_printwatches(int argc, char **argv)
{
	if (argc < 2) {
		printf("printwatches is %s\n", printwatches ? "on" : "off");
		return 0;
	}
	printwatches = strcmp(argv[1], "on") == 0;
	return 0;
}

static int
cmd_history(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (int i = 0; i < nhist; i++)
		printf("%d - %s\n", hist_base + i, hist[i]);
	return 0;
}

static int cmd_help(int argc, char **argv);

static int
cmd_quit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return -1;
}

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	bool needs_session;
};

static const struct cmd cmds[] = {
	{"ls", cmd_ls, "ls [-s] [-w] [-R] path", true},
	{"create", cmd_create,
	 "create [-s] [-e] [-c] [-t ttl] path [data] [acl]", true},
	{"get", cmd_get, "get [-s] [-w] path", true},
	{"set", cmd_set, "set [-s] [-v version] path data", true},
	{"stat", cmd_stat, "stat [-w] path", true},
	{"delete", cmd_delete, "delete [-v version] path", true},
	{"deleteall", cmd_deleteall, "deleteall path", true},
	{"getAcl", cmd_getacl, "getAcl [-s] path", true},
	{"setAcl", cmd_setacl, "setAcl [-s] [-v version] path acl", true},
	{"addauth", cmd_addauth, "addauth scheme auth", true},
	{"sync", cmd_sync, "sync path", true},
	{"addWatch", cmd_addwatch, "addWatch [-m mode] path", true},
	{"removewatches", cmd_removewatches,
	 "removewatches path [-c|-d|-a|-p|-R] [-l]", true},
	{"whoami", cmd_whoami, "whoami", true},
	{"getEphemerals", cmd_ephemerals, "getEphemerals [path]", true},
	{"getAllChildrenNumber", cmd_allchildren, "getAllChildrenNumber path",
	 true},
	{"printwatches", cmd_printwatches, "printwatches on|off", false},
	{"history", cmd_history, "history", false},
	{"help", cmd_help, "help", false},
	{"quit", cmd_quit, "quit", false},
	{"exit", cmd_quit, NULL, false},
};

static int
cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("dpzk-cli -s host:port[,host:port] [-t timeout_ms] cmd args\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].usage)
			printf("\t%s\n", cmds[i].usage);
	printf("ACLs: scheme:id:perms[,...], e.g. world:anyone:cdrwa,"
	       "digest:user:base64hash:r,ip:10.0.0.1:rw\n");
	return 0;
}

/* Splits a line into words; "double" and 'single' quotes group words. */
static int
tokenize(char *line, char **argv)
{
	int argc = 0;
	char *p = line, *out;

	while (*p && argc < MAXARGS) {
		char q = 0;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		argv[argc++] = out = p;
		while (*p) {
			if (q) {
				if (*p == q) {
					q = 0;
					p++;
					continue;
				}
			} else if (*p == '"' || *p == '\'') {
				q = *p++;
				continue;
			} else if (*p == ' ' || *p == '\t' || *p == '\n' ||
				   *p == '\r') {
				break;
			}
			*out++ = *p++;
		}
		if (*p)
			p++;
		*out = '\0';
	}
	return argc;
}

static void
hist_add(const char *line)
{
	if (nhist == HISTORY) {
		free(hist[0]);
		memmove(hist, hist + 1, (HISTORY - 1) * sizeof(char *));
		nhist--;
		hist_base++;
	}
	hist[nhist++] = strdup(line);
}

static int
ensure_connected(void)
{
	int rc;

	if (zh == NULL) {
		zh = dpzk_init(server, watcher, timeout_ms, NULL, NULL, 0);
		if (zh == NULL) {
			fprintf(stderr, "cannot use server list '%s': %s\n",
				server, strerror(errno));
			return -1;
		}
	}
	rc = dpzk_wait_connected(zh, timeout_ms);
	if (rc != DPZK_ZOK) {
		fprintf(stderr, "Cannot connect to %s: %s\n", server,
			rc == DPZK_ZOPERATIONTIMEOUT ? "timed out"
						     : dpzk_strerror(rc));
		return -1;
	}
	return 0;
}

/* Runs one command; returns 0 ok, 1 error, -1 quit. */
static int
run_words(int argc, char **argv)
{
	if (argc == 0)
		return 0;
	if (strcmp(argv[0], "connect") == 0) {
		if (argc > 1)
			snprintf(server, sizeof(server), "%s", argv[1]);
		if (zh)
			dpzk_close(zh);
		zh = NULL;
		return ensure_connected() ? 1 : 0;
	}
	if (strcmp(argv[0], "close") == 0) {
		if (zh)
			dpzk_close(zh);
		zh = NULL;
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name) != 0)
			continue;
		if (cmds[i].needs_session && ensure_connected())
			return 1;
		return cmds[i].fn(argc, argv);
	}
	fprintf(stderr, "Command not found: Command not found %s\n", argv[0]);
	cmd_help(0, NULL);
	return 1;
}

static int
run_line(char *line)
{
	char *argv[MAXARGS];
	char *copy = strdup(line);
	int argc, rc;

	if (copy == NULL)
		return 1;
	argc = tokenize(copy, argv);
	if (argc > 0)
		hist_add(line);
	rc = run_words(argc, argv);
	free(copy);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Latency loop                                                        */
/* ------------------------------------------------------------------ */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, uint64_t *v, int n)
{
	double p[] = {0.5, 0.99, 0.999};

	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	printf("%-8s n=%d", what, n);
	for (int i = 0; i < 3; i++) {
		int k = (int)(p[i] * (n - 1) + 0.5);

		printf("  p%g=%.1fus", p[i] * 100, (double)v[k] / 1000.0);
	}
	printf("  min=%.1fus max=%.1fus\n", (double)v[0] / 1000.0,
	       (double)v[n - 1] / 1000.0);
}

static int
latency(int n, const char *path)
{
	char data[100];
	uint64_t *g, *s;
	int rc, len;

	if (n <= 0 || ensure_connected())
		return 1;
	memset(data, 'x', sizeof(data));
	rc = dpzk_create(zh, path, data, sizeof(data), NULL, DPZK_PERSISTENT, 0,
			 NULL, 0, NULL);
	if (rc != DPZK_ZOK && rc != DPZK_ZNODEEXISTS)
		return cli_err(rc, path);
	g = calloc((size_t)n, sizeof(*g));
	s = calloc((size_t)n, sizeof(*s));
	if (g == NULL || s == NULL)
		return 1;
	printf("dpzk-cli latency: server %s, %d getData + %d setData of %zu "
	       "bytes on %s, one at a time\n",
	       dpzk_current_server(zh), n, n, sizeof(data), path);
	for (int i = 0; i < n; i++) {
		uint64_t t0 = dpzk_now();

		len = DATA_MAX;
		rc = dpzk_get(zh, path, 0, databuf, &len, NULL);
		g[i] = dpzk_now() - t0;
		if (rc != DPZK_ZOK)
			return cli_err(rc, path);
	}
	for (int i = 0; i < n; i++) {
		uint64_t t0 = dpzk_now();

		rc = dpzk_set(zh, path, data, sizeof(data), -1, NULL);
		s[i] = dpzk_now() - t0;
		if (rc != DPZK_ZOK)
			return cli_err(rc, path);
	}
	report("getData", g, n);
	report("setData", s, n);
	free(g);
	free(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: dpzk-cli [-s|-server host:port[,host:port...]] "
			"[-t|-timeout ms] [--latency N path] [cmd args...]\n");
}

#ifdef HAVE_LIBEDIT
static char *cb_line;
static bool cb_done;

static void
on_line(char *line)
{
	cb_line = line;
	cb_done = true;
	rl_callback_handler_remove();
}

/* The line editor in callback mode, so watch events print while the
 * prompt waits (as zkCli's do): poll stdin and the session's socket. */
static char *
edit_line(const char *prompt)
{
	cb_line = NULL;
	cb_done = false;
	rl_callback_handler_install(prompt, on_line);
	at_prompt = true;
	while (!cb_done) {
		struct pollfd p[2] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = zh ? dpzk_fd(zh) : -1, .events = POLLIN},
		};
		int ms = 1000;

		if (zh) {
			uint64_t now = dpzk_now(), d = dpzk_next_deadline(zh);

			if (d <= now)
				ms = 0;
			else if (d - now < 1000000000ull)
				ms = (int)((d - now) / 1000000) + 1;
		}
		if (poll(p, 2, ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			rl_callback_read_char();
		if (zh && !cb_done)
			dpzk_process(zh, dpzk_now());
	}
	at_prompt = false;
	if (!cb_done)
		rl_callback_handler_remove();
	if (cb_line && *cb_line)
		add_history(cb_line);
	return cb_line;
}
#endif

static char *
read_line(const char *prompt)
{
#ifdef HAVE_LIBEDIT
	if (isatty(STDIN_FILENO))
		return edit_line(prompt);
#endif
	{
		char buf[8192];

		if (interactive && isatty(STDIN_FILENO)) {
			fputs(prompt, stdout);
			fflush(stdout);
			/* keep the session alive (pings) and print events
			 * until a line is typed */
			for (;;) {
				struct pollfd p[2] = {
					{.fd = STDIN_FILENO, .events = POLLIN},
					{.fd = zh ? dpzk_fd(zh) : -1,
					 .events = POLLIN},
				};

				if (poll(p, 2, 100) < 0 && errno != EINTR)
					break;
				if (zh)
					dpzk_process(zh, dpzk_now());
				if (p[0].revents)
					break;
			}
		}
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			return NULL;
		buf[strcspn(buf, "\n")] = '\0';
		return strdup(buf);
	}
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"server", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'},
		{"latency", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int lat_n = 0, c, rc = 0;

	/* zkCli spells them -server / -timeout */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-server") == 0)
			argv[i] = (char *)"-s";
		else if (strcmp(argv[i], "-timeout") == 0)
			argv[i] = (char *)"-t";
	}
	while ((c = getopt_long(argc, argv, "+s:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			snprintf(server, sizeof(server), "%s", optarg);
			break;
		case 't':
			timeout_ms = atoi(optarg);
			if (timeout_ms <= 0) {
				usage();
				return 2;
			}
			break;
		case 'L':
			lat_n = atoi(optarg);
			break;
		case 'h':
			usage();
			cmd_help(0, NULL);
			return 0;
		default:
			usage();
			return 2;
		}
	}
	databuf = malloc(DATA_MAX);
	if (databuf == NULL)
		return 1;
	if (lat_n) {
		if (optind >= argc) {
			usage();
			return 2;
		}
		printwatches = false;
		rc = latency(lat_n, argv[optind]);
	} else if (optind < argc) {
		/* one-shot */
		printwatches = false;
		rc = run_words(argc - optind, argv + optind);
		if (rc < 0)
			rc = 0;
	} else {
		char *line, prompt[700];
		int n = 0;

		interactive = true;
		if (isatty(STDIN_FILENO))
			printf("Connecting to %s\n", server);
		if (ensure_connected() == 0 && isatty(STDIN_FILENO))
			printf("Connected, session 0x%" PRIx64 "\n",
			       (uint64_t)dpzk_client_id(zh)->session_id);
		for (;;) {
			if (zh)
				dpzk_poll_once(zh, 0);
			snprintf(prompt, sizeof(prompt), "[dpzk: %s(%s) %d] ",
				 zh ? dpzk_current_server(zh) : server,
				 zh ? (dpzk_state(zh) == DPZK_CONNECTED_STATE
					       ? "CONNECTED"
					       : state_name(dpzk_state(zh)))
				    : "CLOSED",
				 n);
			line = read_line(prompt);
			if (line == NULL)
				break;
			rc = run_line(line);
			free(line);
			fflush(stdout);
			if (rc < 0) {
				rc = 0;
				break;
			}
			n++;
		}
		rc = 0;
	}
	if (zh)
		dpzk_close(zh);
	for (int i = 0; i < nhist; i++)
		free(hist[i]);
	free(databuf);
	return rc;
}
