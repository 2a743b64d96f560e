/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway/config.c — dpzk-gateway's command line.
 *
 * Why it is built this way: the CLI is a contract (tests/gateway/ and the
 * deployment docs start the binary with exactly these flags), so it is
 * parsed in one place, every flag accepts both "--flag value" and
 * "--flag=value", and every mistake is a one-line message naming the flag,
 * never a silent default.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_priv.h"

static const char usage[] =
	"usage: dpzk-gateway --servers IP:PORT[,IP:PORT...] [--port 2181]\n"
	"                    [--bind ADDR] [--4lw_whitelist LIST]\n"
	"                    [--max_conns N] [--max_frame BYTES]\n"
	"                    [--max_conn_buf BYTES] [--verbose] [--help]\n"
	"\n"
	"Apache ZooKeeper's client protocol (TCP) bridged to dpzk's UDP\n"
	"session channel.  docs/GATEWAY.md tells how to deploy it.\n"
	"\n"
	"  --servers LIST       dpzk servers' client addresses, tried in order\n"
	"                       (port 2181 by default; IPv6 as [addr]:port)\n"
	"  --port N             TCP port to listen on (2181)\n"
	"  --bind ADDR          listen address (default [::], IPv4 and IPv6)\n"
	"  --4lw_whitelist L    four-letter words answered: \"*\" or a comma\n"
	"                       list (default srvr, as ZooKeeper)\n"
	"  --max_conns N        open client connections (10000)\n"
	"  --max_frame BYTES    largest frame, jute.maxbuffer (1048575)\n"
	"  --max_conn_buf BYTES outbound bytes queued per connection before\n"
	"                       a client that does not read is closed (4 MiB)\n"
	"  --verbose            log connections and sessions to stderr\n"
	"Signals: SIGUSR1 prints the counters; SIGTERM/SIGINT exit and leave\n"
	"the sessions alive.\n";

void
gw_config_default(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 2181;
	snprintf(cfg->wl, sizeof(cfg->wl), "srvr");
	cfg->max_conns = 10000;
	cfg->max_frame = PROTO_JUTE_MAXBUFFER;
	cfg->max_conn_buf = 4u << 20;
}

static int
bad(const char *flag, const char *val, const char *why)
{
	if (val)
		fprintf(stderr, "dpzk-gateway: %s %s: %s (see --help)\n", flag,
			val, why);
	else
		fprintf(stderr, "dpzk-gateway: %s: %s (see --help)\n", flag,
			why);
	return -EINVAL;
}

static int
parse_u32(const char *flag, const char *v, uint32_t lo, uint32_t hi,
	  uint32_t *out)
{
	char *end;
	unsigned long long x;

	if (v == NULL || *v == '\0' || *v == '-')
		return bad(flag, v, "expects a number");
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end != '\0')
		return bad(flag, v, "expects a number");
	if (x < lo || x > hi) {
		char why[64];

		snprintf(why, sizeof(why), "out of range %u..%u", lo, hi);
		return bad(flag, v, why);
	}
	*out = (uint32_t)x;
	return 0;
}

static int
parse_servers(struct gw_config *cfg, const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;

	if (copy == NULL)
		return -ENOMEM;
	cfg->nservers = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char host[96];
		const char *port = "2181";
		struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
					 .ai_flags = AI_NUMERICSERV},
				*ai = NULL;
		struct gw_server *s;

		while (*tok == ' ')
			tok++;
		if (*tok == '\0')
			continue;
		if (strlen(tok) >= sizeof(host) ||
		    cfg->nservers == GW_MAX_SERVERS)
			goto bad;
		if (tok[0] == '[') {
			char *end = strchr(tok, ']');

			if (end == NULL || (end[1] != 0 && end[1] != ':'))
				goto bad;
			*end = '\0';
			snprintf(host, sizeof(host), "%s", tok + 1);
			if (end[1] == ':')
				port = end + 2;
		} else {
			char *colon;

			snprintf(host, sizeof(host), "%s", tok);
			colon = strrchr(host, ':');
			if (colon && strchr(host, ':') == colon) {
				*colon = '\0';
				port = tok + (colon - host) + 1;
			}
		}
		if (*port == '\0' ||
		    strspn(port, "0123456789") != strlen(port) ||
		    atoi(port) < 1 || atoi(port) > 65535)
			goto bad;
		if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
			goto bad;
		s = &cfg->servers[cfg->nservers++];
		memcpy(&s->sa, ai->ai_addr, ai->ai_addrlen);
		s->salen = ai->ai_addrlen;
		snprintf(s->name, sizeof(s->name),
			 strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
		freeaddrinfo(ai);
	}
	free(copy);
	if (cfg->nservers == 0)
		return bad("--servers", list, "no server");
	return 0;
bad:
	free(copy);
	return bad("--servers", list,
		   "expects ip:port[,ip:port...] (at most 32)");
}

int
gw_config_parse(struct gw_config *cfg, int argc, char **argv)
{
	bool have_servers = false;
	int rc;

	gw_config_default(cfg);
	for (int i = 1; i < argc; i++) {
		char name[64];
		const char *a = argv[i], *v = NULL, *eq;
		size_t nl;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (strncmp(a, "--", 2) != 0)
			return bad(a, NULL, "unexpected argument");
		eq = strchr(a, '=');
		nl = eq ? (size_t)(eq - a) : strlen(a);
		if (nl >= sizeof(name))
			return bad(a, NULL, "unknown flag");
		memcpy(name, a, nl);
		name[nl] = '\0';
		if (strcmp(name, "--verbose") == 0) {
			if (eq)
				return bad(name, eq + 1, "takes no value");
			cfg->verbose = true;
			continue;
		}
		if (strcmp(name, "--servers") && strcmp(name, "--port") &&
		    strcmp(name, "--bind") && strcmp(name, "--4lw_whitelist") &&
		    strcmp(name, "--max_conns") &&
		    strcmp(name, "--max_frame") &&
		    strcmp(name, "--max_conn_buf"))
			return bad(name, NULL, "unknown flag");
		if (eq)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return bad(name, NULL, "needs a value");
		if (strcmp(name, "--servers") == 0) {
			if ((rc = parse_servers(cfg, v)) < 0)
				return rc;
			have_servers = true;
		} else if (strcmp(name, "--port") == 0) {
			uint32_t p;

			if ((rc = parse_u32(name, v, 1, 65535, &p)) < 0)
				return rc;
			cfg->port = (uint16_t)p;
		} else if (strcmp(name, "--bind") == 0) {
			size_t l = strlen(v);

			if (l == 0 || l >= sizeof(cfg->bind))
				return bad(name, v, "expects an address");
			/* accept "[::1]" as well as "::1" */
			if (v[0] == '[' && v[l - 1] == ']')
				snprintf(cfg->bind, sizeof(cfg->bind), "%.*s",
					 (int)(l - 2), v + 1);
			else
				snprintf(cfg->bind, sizeof(cfg->bind), "%s", v);
		} else if (strcmp(name, "--4lw_whitelist") == 0) {
			if (strlen(v) >= sizeof(cfg->wl))
				return bad(name, v, "too long");
			snprintf(cfg->wl, sizeof(cfg->wl), "%s", v);
		} else if (strcmp(name, "--max_conns") == 0) {
			if ((rc = parse_u32(name, v, 1, 1000000,
					    &cfg->max_conns)) < 0)
				return rc;
		} else if (strcmp(name, "--max_frame") == 0) {
			/* a frame travels as one dpzk message */
			if ((rc = parse_u32(name, v, 64,
					    PROTO_CHAN_MAX_MSG - 4096,
					    &cfg->max_frame)) < 0)
				return rc;
		} else if (strcmp(name, "--max_conn_buf") == 0) {
			if ((rc = parse_u32(name, v, 4096, 1u << 30,
					    &cfg->max_conn_buf)) < 0)
				return rc;
		}
	}
	if (!have_servers)
		return bad("--servers", NULL, "is required");
	if (cfg->max_conn_buf < cfg->max_frame + 4096u) {
		char why[96];

		snprintf(why, sizeof(why),
			 "must hold one largest frame: at least %u",
			 cfg->max_frame + 4096u);
		return bad("--max_conn_buf", NULL, why);
	}
	return 0;
}
