/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_config.c — the server's configuration: one table of keys (section,
 * name, type, default, help), read from an INI file with rte_cfgfile and
 * from --key=value flags.
 *
 * Why it is built this way: the table is the single source of truth, so a
 * key added to it is at once an INI key, a flag, a --help line and a line
 * of the dump, and defaults pass through the same parser as user input (a
 * default that does not parse is caught by the unit tests).  Everything
 * but dp_config_load_file() is pure and needs no EAL; rte_cfgfile itself is
 * plain C over malloc and works before rte_eal_init().  Errors name the
 * key, the value and why, because the operator reads them at start.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_cfgfile.h>

#include "dataplane/dp.h"

enum key_type {
	K_U16,
	K_U32,
	K_U64,
	K_STR,
	K_IP,
	K_ENUM,
	K_PROB,
	K_PARTITION,
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t off;
	size_t size; /* strings: buffer size */
	uint64_t min, max;
	const char *const *names; /* enums, NULL-terminated */
	const char *def;
	const char *help;
};

static const char *const durability_names[] = {"dsync", "fdatasync", "none",
					       "auto", NULL};
static const char *const huge_names[] = {"auto", "on", "off", NULL};
static const char *const idle_names[] = {"spin", "adaptive", "interrupt", NULL};

#define OFF(f) offsetof(struct dp_config, f)
#define SZ(f)  sizeof(((struct dp_config *)0)->f)

#define U32(sec, n, f, lo, hi, d, h)                                           \
	{                                                                      \
		sec, n, K_U32, OFF(f), 0, lo, hi, NULL, d, h                   \
	}
#define U16(sec, n, f, lo, hi, d, h)                                           \
	{                                                                      \
		sec, n, K_U16, OFF(f), 0, lo, hi, NULL, d, h                   \
	}
#define STR(sec, n, f, d, h)                                                   \
	{                                                                      \
		sec, n, K_STR, OFF(f), SZ(f), 0, 0, NULL, d, h                 \
	}
#define IP(sec, n, f, d, h)                                                    \
	{                                                                      \
		sec, n, K_IP, OFF(f), 0, 0, 0, NULL, d, h                      \
	}
#define ENUM(sec, n, f, names, d, h)                                           \
	{                                                                      \
		sec, n, K_ENUM, OFF(f), 0, 0, 0, names, d, h                   \
	}
#define PROB(sec, n, f, d, h)                                                  \
	{                                                                      \
		sec, n, K_PROB, OFF(f), 0, 0, 0, NULL, d, h                    \
	}

static const struct key keys[] = {
	/* [server] */
	U32("server", "server_id", server_id, 1, 255, "1",
	    "this server's id in the ensemble (1..255)"),
	STR("server", "data_dir", data_dir, "/var/lib/dpzk",
	    "directory of the transaction log and snapshots"),
	ENUM("server", "durability", durability, durability_names, "auto",
	     "log durability: auto (RWF_DSYNC where the device has FUA, else "
	     "write + linked fdatasync: docs/OPERATIONS.md), dsync, fdatasync, "
	     "none "
	     "(benchmarks of the network path only)"),
	U32("server", "tick_ms", tick_ms, 1, 60000, "2000",
	    "ZooKeeper tickTime in ms (session timeouts are counted in it)"),
	U32("server", "session_timeout_min_ms", session_timeout_min_ms, 1,
	    86400000, "4000", "smallest session timeout granted (ms)"),
	U32("server", "session_timeout_max_ms", session_timeout_max_ms, 1,
	    86400000, "40000", "largest session timeout granted (ms)"),

	/* [net] */
	IP("net", "ip", ip, "0.0.0.0", "this server's IPv4 address (required)"),
	IP("net", "netmask", netmask, "255.255.255.0", "on-link netmask"),
	IP("net", "gateway", gateway, "0.0.0.0",
	   "next hop for off-link addresses (0.0.0.0: none)"),
	U16("net", "client_port", client_port, 1, 65535, "2181",
	    "UDP port of the client service"),
	U16("net", "mtu", mtu, 576, 9000, "1500", "IP MTU of the port"),

	/* [dataplane] */
	STR("dataplane", "port", port, "",
	    "PCI address of the NIC (bound to vfio-pci), or empty"),
	STR("dataplane", "vdev", vdev, "",
	    "virtual device instead of a NIC: net_tap0,iface=NAME | "
	    "net_memif0,... | net_af_packet0,iface=NAME"),
	STR("dataplane", "lcores", lcores, "0",
	    "EAL lcore list; the first is the polling core"),
	STR("dataplane", "file_prefix", file_prefix, "dpzk",
	    "EAL --file-prefix (one per process on a host)"),
	ENUM("dataplane", "huge", huge, huge_names, "auto",
	     "hugepages: on, off (--no-huge) or auto (on when enough are "
	     "free)"),
	U32("dataplane", "mem_mb", mem_mb, 16, 1048576, "64",
	    "EAL memory (-m) in MiB"),
	U32("dataplane", "mbufs", mbufs, 0, 4194304, "0",
	    "mbuf pool size (0: sized from the rings)"),
	U16("dataplane", "rx_desc", rx_desc, 32, 8192, "512",
	    "Rx ring descriptors"),
	U16("dataplane", "tx_desc", tx_desc, 32, 8192, "512",
	    "Tx ring descriptors"),
	U32("dataplane", "timer_us", timer_us, 10, 10000000, "1000",
	    "period of the timer hook (us)"),
	U32("dataplane", "tx_drain_us", tx_drain_us, 1, 100000, "100",
	    "longest time a buffered packet waits for a tx burst (us)"),
	ENUM("dataplane", "idle", idle, idle_names, "spin",
	     "idle policy: spin (dedicated cores), adaptive (spin, pause, "
	     "then sleep), interrupt (Rx interrupts, else adaptive)"),
	U32("dataplane", "idle_spin_polls", idle_spin_polls, 0, 100000000,
	    "300", "adaptive: empty polls before pausing"),
	U32("dataplane", "idle_pause_polls", idle_pause_polls, 0, 100000000,
	    "300", "adaptive: empty polls with rte_pause() before sleeping"),
	U32("dataplane", "idle_sleep_max_us", idle_sleep_max_us, 1, 100000,
	    "1000", "adaptive: longest sleep (the backoff doubles up to it)"),
	STR("dataplane", "log_level", log_level, "notice",
	    "rte_log level: emerg..debug (8)"),
	STR("dataplane", "eal_extra", eal_extra, "",
	    "more EAL arguments, separated by spaces"),

	/* [fault] */
	{"fault", "fault_seed", K_U64, OFF(fault.seed), 0, 0, UINT64_MAX, NULL,
	 "1", "PRNG seed of the fault dice"},
	PROB("fault", "fault_rx_drop", fault.rx.drop, "0",
	     "probability an Rx packet is dropped"),
	PROB("fault", "fault_rx_dup", fault.rx.dup, "0",
	     "probability an Rx packet is processed twice"),
	PROB("fault", "fault_rx_reorder", fault.rx.reorder, "0",
	     "probability an Rx packet is held back"),
	U32("fault", "fault_rx_hold", fault.rx.hold, 1, 64, "4",
	    "a held Rx packet goes after this many others"),
	U32("fault", "fault_rx_delay_us", fault.rx.delay_us, 0, 10000000,
	    "1000", "...or after this long (us)"),
	PROB("fault", "fault_tx_drop", fault.tx.drop, "0",
	     "probability a Tx packet is dropped"),
	PROB("fault", "fault_tx_dup", fault.tx.dup, "0",
	     "probability a Tx packet is sent twice"),
	PROB("fault", "fault_tx_reorder", fault.tx.reorder, "0",
	     "probability a Tx packet is held back"),
	U32("fault", "fault_tx_hold", fault.tx.hold, 1, 64, "4",
	    "a held Tx packet goes after this many others"),
	U32("fault", "fault_tx_delay_us", fault.tx.delay_us, 0, 10000000,
	    "1000", "...or after this long (us)"),
	{"fault", "fault_partition", K_PARTITION, OFF(fault), 0, 0, 0, NULL, "",
	 "IPv4 addresses cut off both ways, comma-separated"},

	/*
	 * Later modules: add [zab] / [mgmt] keys here (server.N lines go
	 * through struct dp_config_ext because their names vary).
	 */
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static void
whyf(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Compare key names treating '-' and '_' alike. */
static bool
name_eq(const char *a, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < blen; i++) {
		char x = a[i] == '-' ? '_' : a[i];
		char y = b[i] == '-' ? '_' : b[i];

		if (x == '\0' || x != y)
			return false;
	}
	return a[blen] == '\0';
}

static const struct key *
find_key(const char *key)
{
	const char *dot = strchr(key, '.');
	const char *name = dot ? dot + 1 : key;
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		if (dot != NULL &&
		    !name_eq(keys[i].section, key, (size_t)(dot - key)))
			continue;
		if (name_eq(keys[i].name, name, strlen(name)))
			return &keys[i];
	}
	return NULL;
}

static int
parse_u64(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (v[0] == '\0' || v[0] == '-' || isspace((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*out = x;
	return 0;
}

static int
parse_ip(const char *v, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, v, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

int
dp_fault_parse_partition(struct dp_fault_config *f, const char *list, char *why,
			 size_t whylen)
{
	char buf[DP_CFG_STR * 2];
	char *save = NULL, *tok;
	unsigned int n = 0;

	if (strlen(list) >= sizeof(buf)) {
		whyf(why, whylen, "list too long");
		return -EINVAL;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		uint32_t ip;

		if (n == DP_FAULT_MAX_PARTITION) {
			whyf(why, whylen, "more than %d addresses",
			     DP_FAULT_MAX_PARTITION);
			return -EINVAL;
		}
		if (parse_ip(tok, &ip) != 0) {
			whyf(why, whylen, "'%s' is not an IPv4 address", tok);
			return -EINVAL;
		}
		f->partition[n++] = ip;
	}
	f->n_partition = n;
	return 0;
}

static int
set_key(struct dp_config *c, const struct key *k, const char *value, char *why,
	size_t whylen)
{
	char *field = (char *)c + k->off;
	char sub[160];
	uint64_t u;
	uint32_t ip;
	double d;
	char *end;
	size_t i;

	sub[0] = '\0';
	switch (k->type) {
	case K_U16:
	case K_U32:
	case K_U64:
		if (parse_u64(value, &u) != 0) {
			snprintf(sub, sizeof(sub), "not a number");
			break;
		}
		if (u < k->min || u > k->max) {
			snprintf(sub, sizeof(sub),
				 "out of range %" PRIu64 "..%" PRIu64, k->min,
				 k->max);
			break;
		}
		if (k->type == K_U16)
			*(uint16_t *)(void *)field = (uint16_t)u;
		else if (k->type == K_U32)
			*(uint32_t *)(void *)field = (uint32_t)u;
		else
			*(uint64_t *)(void *)field = u;
		return 0;
	case K_STR:
		if (strlen(value) >= k->size) {
			snprintf(sub, sizeof(sub), "longer than %zu characters",
				 k->size - 1);
			break;
		}
		strcpy(field, value);
		return 0;
	case K_IP:
		if (parse_ip(value, &ip) != 0) {
			snprintf(sub, sizeof(sub), "not an IPv4 address");
			break;
		}
		*(uint32_t *)(void *)field = ip;
		return 0;
	case K_ENUM:
		for (i = 0; k->names[i] != NULL; i++) {
			if (strcmp(k->names[i], value) == 0) {
				*(int *)(void *)field = (int)i;
				return 0;
			}
		}
		snprintf(sub, sizeof(sub), "expected one of:");
		for (i = 0; k->names[i] != NULL; i++) {
			size_t l = strlen(sub);

			snprintf(sub + l, sizeof(sub) - l, " %s", k->names[i]);
		}
		break;
	case K_PROB:
		errno = 0;
		d = strtod(value, &end);
		if (value[0] == '\0' || *end != '\0' || errno != 0) {
			snprintf(sub, sizeof(sub), "not a number");
			break;
		}
		if (!(d >= 0.0 && d <= 1.0)) {
			snprintf(sub, sizeof(sub),
				 "a probability must be within 0..1");
			break;
		}
		*(double *)(void *)field = d;
		return 0;
	case K_PARTITION:
		if (dp_fault_parse_partition((struct dp_fault_config *)field,
					     value, sub, sizeof(sub)) == 0)
			return 0;
		break;
	}
	whyf(why, whylen, "%s=%.64s%s: %s", k->name, value,
	     strlen(value) > 64 ? "..." : "", sub);
	return -EINVAL;
}

int
dp_config_set(struct dp_config *c, const char *key, const char *value,
	      char *why, size_t whylen)
{
	const struct key *k = find_key(key);

	if (k == NULL) {
		whyf(why, whylen, "%s: unknown key", key);
		return -ENOENT;
	}
	return set_key(c, k, value, why, whylen);
}

void
dp_config_defaults(struct dp_config *c)
{
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < N_KEYS; i++) {
		rc = set_key(c, &keys[i], keys[i].def, NULL, 0);
		(void)rc;
		/* The unit tests check every default parses. */
	}
}

static bool
mask_contiguous(uint32_t m)
{
	uint32_t inv = ~m;

	return (inv & (inv + 1)) == 0;
}

static bool
lcores_ok(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != ',' && *s != '-')
			return false;
	return true;
}

int
dp_config_validate(const struct dp_config *c, char *why, size_t whylen)
{
	uint32_t ip = c->ip;

	if (ip == 0) {
		whyf(why, whylen, "ip: required (this server's IPv4 address)");
		return -EINVAL;
	}
	if ((ip >> 24) == 127 || (ip >> 28) == 0xe || ip == 0xffffffffu) {
		whyf(why, whylen, "ip=%u.%u.%u.%u: not a unicast address",
		     ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
		return -EINVAL;
	}
	if (!mask_contiguous(c->netmask) || c->netmask == 0xffffffffu) {
		whyf(why, whylen, "netmask: not a usable contiguous mask");
		return -EINVAL;
	}
	if ((ip & ~c->netmask) == 0 || (ip | c->netmask) == 0xffffffffu) {
		whyf(why, whylen,
		     "ip: is the network or broadcast address of its subnet");
		return -EINVAL;
	}
	if (c->gateway != 0 &&
	    ((c->gateway & c->netmask) != (ip & c->netmask) ||
	     c->gateway == ip)) {
		whyf(why, whylen, "gateway: not on the subnet of ip/netmask");
		return -EINVAL;
	}
	if (c->session_timeout_min_ms > c->session_timeout_max_ms) {
		whyf(why, whylen,
		     "session_timeout_min_ms=%u: above session_timeout_max_ms=%u",
		     c->session_timeout_min_ms, c->session_timeout_max_ms);
		return -EINVAL;
	}
	if (c->port[0] != '\0' && c->vdev[0] != '\0') {
		whyf(why, whylen, "port and vdev: give one of them, not both");
		return -EINVAL;
	}
	if (c->port[0] == '\0' && c->vdev[0] == '\0') {
		whyf(why, whylen,
		     "port or vdev: one is required (a PCI NIC "
		     "or e.g. vdev=net_tap0,iface=dpzkt0)");
		return -EINVAL;
	}
	if (!lcores_ok(c->lcores)) {
		whyf(why, whylen, "lcores=%s: expected a list like 0 or 1,3-4",
		     c->lcores);
		return -EINVAL;
	}
	if (c->file_prefix[0] == '\0' || strchr(c->file_prefix, '/')) {
		whyf(why, whylen, "file_prefix=%s: must be a plain name",
		     c->file_prefix);
		return -EINVAL;
	}
	if (c->mbufs != 0 && c->mbufs < 2u * (c->rx_desc + c->tx_desc)) {
		whyf(why, whylen,
		     "mbufs=%u: below twice rx_desc + tx_desc (%u)", c->mbufs,
		     2u * (c->rx_desc + c->tx_desc));
		return -EINVAL;
	}
	return 0;
}

static int
ext_set(const struct dp_config_ext *ext, unsigned int n_ext,
	const char *section, const char *key, const char *value, char *why,
	size_t whylen)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n_ext; i++) {
		rc = ext[i].set(ext[i].arg, section, key, value, why, whylen);
		if (rc != -ENOENT)
			return rc;
	}
	return -ENOENT;
}

/* Set from file or flag, extension fallback; why prefixed with origin. */
static int
set_any(struct dp_config *c, const struct dp_config_ext *ext,
	unsigned int n_ext, const char *section, const char *key,
	const char *value, char *why, size_t whylen)
{
	char full[CFG_NAME_LEN * 2 + 2];
	int rc;

	if (section != NULL && section[0] != '\0') {
		snprintf(full, sizeof(full), "%s.%s", section, key);
		rc = dp_config_set(c, full, value, why, whylen);
		if (rc == -ENOENT && find_key(key) != NULL) {
			whyf(why, whylen, "%s: key belongs to another section",
			     full);
			return -EINVAL;
		}
	} else {
		rc = dp_config_set(c, key, value, why, whylen);
	}
	if (rc != -ENOENT)
		return rc;
	rc = ext_set(ext, n_ext, section ? section : "", key, value, why,
		     whylen);
	if (rc == -ENOENT) {
		if (section != NULL && section[0] != '\0')
			whyf(why, whylen, "[%s] %s: unknown key", section, key);
		else
			whyf(why, whylen, "--%s: unknown option", key);
		return -EINVAL;
	}
	return rc;
}

int
dp_config_load_file(struct dp_config *c, const char *path,
		    const struct dp_config_ext *ext, unsigned int n_ext,
		    char *why, size_t whylen)
{
	struct rte_cfgfile *f;
	struct rte_cfgfile_entry *ents = NULL;
	char sec[CFG_NAME_LEN];
	int nsec, i, j, n, rc = 0;
	FILE *probe;

	probe = fopen(path, "r");
	if (probe == NULL) {
		rc = -errno;
		whyf(why, whylen, "config=%s: %s", path, strerror(errno));
		return rc;
	}
	fclose(probe);
	f = rte_cfgfile_load(path, CFG_FLAG_EMPTY_VALUES);
	if (f == NULL) {
		whyf(why, whylen, "config=%s: not a valid INI file", path);
		return -EINVAL;
	}
	nsec = rte_cfgfile_num_sections(f, NULL, 0);
	for (i = 0; i < nsec && rc == 0; i++) {
		n = rte_cfgfile_section_num_entries_by_index(f, sec, i);
		if (n < 0) {
			rc = -EINVAL;
			whyf(why, whylen, "config=%s: unreadable section",
			     path);
			break;
		}
		free(ents);
		ents = calloc((size_t)n + 1, sizeof(*ents));
		if (ents == NULL) {
			rc = -ENOMEM;
			break;
		}
		n = rte_cfgfile_section_entries_by_index(f, i, sec, ents, n);
		for (j = 0; j < n && rc == 0; j++)
			rc = set_any(c, ext, n_ext, sec, ents[j].name,
				     ents[j].value, why, whylen);
	}
	free(ents);
	rte_cfgfile_close(f);
	return rc;
}

/* Split "--key=value" / "--key value"; returns args consumed or -EINVAL. */
static int
split_flag(int argc, char **argv, int i, char *key, size_t keylen,
	   const char **value)
{
	const char *a = argv[i] + 2;
	const char *eq = strchr(a, '=');
	size_t kl = eq ? (size_t)(eq - a) : strlen(a);

	if (kl == 0 || kl >= keylen)
		return -EINVAL;
	memcpy(key, a, kl);
	key[kl] = '\0';
	if (eq != NULL) {
		*value = eq + 1;
		return 1;
	}
	if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
		*value = argv[i + 1];
		return 2;
	}
	*value = NULL;
	return 1;
}

int
dp_config_from_argv(struct dp_config *c, int argc, char **argv,
		    const struct dp_config_ext *ext, unsigned int n_ext,
		    char *why, size_t whylen)
{
	char key[CFG_NAME_LEN * 2];
	const char *value;
	int i, n, rc;

	/* Pass 1: --help and --config. */
	for (i = 1; i < argc; i += n) {
		n = 1;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			c->help = true;
			return 0;
		}
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		n = split_flag(argc, argv, i, key, sizeof(key), &value);
		if (n < 0) {
			n = 1;
			continue;
		}
		if (strcmp(key, "config") == 0) {
			if (value == NULL || value[0] == '\0') {
				whyf(why, whylen, "--config: needs a file");
				return -EINVAL;
			}
			if (strlen(value) >= sizeof(c->config_file)) {
				whyf(why, whylen, "--config: path too long");
				return -EINVAL;
			}
			strcpy(c->config_file, value);
		}
	}
	if (c->config_file[0] != '\0') {
		rc = dp_config_load_file(c, c->config_file, ext, n_ext, why,
					 whylen);
		if (rc != 0)
			return -EINVAL;
	}
	/* Pass 2: flags in order. */
	for (i = 1; i < argc; i += n) {
		if (strncmp(argv[i], "--", 2) != 0) {
			whyf(why, whylen,
			     "%s: unexpected argument (flags are "
			     "--key=value)",
			     argv[i]);
			return -EINVAL;
		}
		n = split_flag(argc, argv, i, key, sizeof(key), &value);
		if (n < 0) {
			whyf(why, whylen, "%s: malformed option", argv[i]);
			return -EINVAL;
		}
		if (strcmp(key, "config") == 0)
			continue;
		if (value == NULL) {
			whyf(why, whylen, "--%s: needs a value (--%s=VALUE)",
			     key, key);
			return -EINVAL;
		}
		rc = set_any(c, ext, n_ext, NULL, key, value, why, whylen);
		if (rc != 0) {
			/* Prefix the flag form for the operator. */
			char tmp[256];

			if (why != NULL && whylen > 0) {
				snprintf(tmp, sizeof(tmp), "%s", why);
				if (strncmp(tmp, "--", 2) == 0)
					whyf(why, whylen, "%s", tmp);
				else
					whyf(why, whylen, "--%s", tmp);
			}
			return -EINVAL;
		}
	}
	return dp_config_validate(c, why, whylen);
}

void
dp_config_usage(FILE *out, const char *prog, const struct dp_config_ext *ext,
		unsigned int n_ext)
{
	const char *sec = "";
	size_t i;
	unsigned int e;

	fprintf(out,
		"usage: %s [--config=FILE] [--KEY=VALUE ...]\n"
		"Every key can be set in the INI file under its [section] or "
		"as --KEY=VALUE\n(flags win over the file; '-' and '_' are "
		"the same in names).\n",
		prog);
	for (i = 0; i < N_KEYS; i++) {
		if (strcmp(sec, keys[i].section) != 0) {
			sec = keys[i].section;
			fprintf(out, "\n[%s]\n", sec);
		}
		fprintf(out, "  --%-24s %s (default: %s)\n", keys[i].name,
			keys[i].help, keys[i].def[0] ? keys[i].def : "empty");
	}
	for (e = 0; e < n_ext; e++)
		if (ext[e].usage != NULL)
			ext[e].usage(ext[e].arg, out);
	fprintf(out, "\n  --config=FILE              INI file read before "
		     "the flags\n  --help                     this text\n");
}

static void
print_ip(FILE *out, uint32_t ip)
{
	fprintf(out, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
		ip & 255);
}

void
dp_config_dump(const struct dp_config *c, FILE *out)
{
	const char *sec = "";
	size_t i;
	unsigned int j;

	for (i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];
		const char *field = (const char *)c + k->off;

		if (strcmp(sec, k->section) != 0) {
			sec = k->section;
			fprintf(out, "[%s]\n", sec);
		}
		fprintf(out, "%s = ", k->name);
		switch (k->type) {
		case K_U16:
			fprintf(out, "%u",
				*(const uint16_t *)(const void *)field);
			break;
		case K_U32:
			fprintf(out, "%u",
				*(const uint32_t *)(const void *)field);
			break;
		case K_U64:
			fprintf(out, "%" PRIu64,
				*(const uint64_t *)(const void *)field);
			break;
		case K_STR:
			fprintf(out, "%s", field);
			break;
		case K_IP:
			print_ip(out, *(const uint32_t *)(const void *)field);
			break;
		case K_ENUM:
			fprintf(out, "%s",
				k->names[*(const int *)(const void *)field]);
			break;
		case K_PROB:
			fprintf(out, "%g",
				*(const double *)(const void *)field);
			break;
		case K_PARTITION:
			for (j = 0; j < c->fault.n_partition; j++) {
				if (j > 0)
					fputc(',', out);
				print_ip(out, c->fault.partition[j]);
			}
			break;
		}
		fputc('\n', out);
	}
}
