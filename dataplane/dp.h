/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dataplane/ — the DPDK fast path of dpzk-server: EAL start-up from a
 * configuration, one port (PCI NIC or a virtual device), and an l2fwd-shaped
 * run-to-completion loop that answers ARP and ICMP echo itself and hands UDP
 * datagrams to services registered by local port (2181 for clients, 2888 and
 * 3888 for peers).  Upper layers (session channel, zab, log) plug in through
 * three things only: a UDP handler per port, dp_udp_send() and the hooks
 * (poll every iteration, timer every tick, shutdown).
 *
 * Why it is built this way: a server's main stays small —
 *
 *	dp_config_defaults(&cfg);
 *	dp_config_from_argv(&cfg, argc, argv, NULL, 0, why, sizeof(why));
 *	dp_init(&cfg);
 *	dp_udp_register(2181, handler, arg);
 *	dp_hooks_register(&hooks);
 *	dp_run();
 *	dp_fini();
 *
 * and everything that touches packets runs on the polling lcore without
 * locks.  Every packet that is not delivered is dropped through one function
 * with a named reason and a counter (dp_drop_name()).  Parsers, the
 * configuration and the fault-injection dice are pure code that the unit
 * tests exercise without EAL.
 *
 * Threads: functions marked "lcore" must be called on the polling lcore
 * (from a handler or a hook); "control" functions are for the main thread
 * before dp_run() or for the mgmt thread; "any" means any thread.
 */
#ifndef DPZK_DP_H
#define DPZK_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;
struct dp_lcore;

/* ------------------------------------------------------------------ */
/* Drop reasons                                                        */
/* ------------------------------------------------------------------ */

/* X-macro: one line per reason, name as shown in stats and telemetry. */
#define DP_DROP_REASONS(X)                                                     \
	X(NONE, "none")                                                        \
	X(ETH_SHORT, "eth_short")                                              \
	X(ETH_NOT_OURS, "eth_not_ours")                                        \
	X(ETH_TYPE, "eth_unknown_type")                                        \
	X(ARP_SHORT, "arp_short")                                              \
	X(ARP_FORMAT, "arp_bad_format")                                        \
	X(ARP_OP, "arp_unknown_op")                                            \
	X(ARP_NOT_OURS, "arp_not_for_us")                                      \
	X(ARP_UNRESOLVED, "arp_unresolved")                                    \
	X(ARP_QUEUE_FULL, "arp_queue_full")                                    \
	X(IPV4_SHORT, "ipv4_short")                                            \
	X(IPV4_VERSION, "ipv4_bad_version")                                    \
	X(IPV4_IHL, "ipv4_bad_ihl")                                            \
	X(IPV4_LEN, "ipv4_bad_length")                                         \
	X(IPV4_CSUM, "ipv4_bad_checksum")                                      \
	X(IPV4_FRAG, "ipv4_fragment")                                          \
	X(IPV4_TTL, "ipv4_ttl_zero")                                           \
	X(IPV4_SRC, "ipv4_bad_source")                                         \
	X(IPV4_NOT_OURS, "ipv4_not_for_us")                                    \
	X(IPV4_PROTO, "ipv4_unknown_proto")                                    \
	X(ICMP_SHORT, "icmp_short")                                            \
	X(ICMP_CSUM, "icmp_bad_checksum")                                      \
	X(ICMP_TYPE, "icmp_unhandled_type")                                    \
	X(UDP_SHORT, "udp_short")                                              \
	X(UDP_LEN, "udp_bad_length")                                           \
	X(UDP_CSUM, "udp_bad_checksum")                                        \
	X(UDP_NO_SERVICE, "udp_no_service")                                    \
	X(NO_ROUTE, "no_route")                                                \
	X(NO_MBUF, "no_mbuf")                                                  \
	X(TX_FULL, "tx_ring_full")                                             \
	X(FAULT_DROP, "fault_drop")                                            \
	X(FAULT_PARTITION, "fault_partition")                                  \
	X(FAULT_HOLD_FULL, "fault_hold_full")                                  \
	X(SHUTDOWN, "shutdown")

#define DP_DROP_ENUM_(id, name) DP_DROP_##id,
enum dp_drop_reason { DP_DROP_REASONS(DP_DROP_ENUM_) DP_DROP__COUNT };
#undef DP_DROP_ENUM_

/* Name of a reason ("ipv4_bad_checksum"), "?" when out of range.  Any. */
const char *dp_drop_name(enum dp_drop_reason r);

/* ------------------------------------------------------------------ */
/* Configuration (dp_config.c; pure, no EAL)                           */
/* ------------------------------------------------------------------ */

enum dp_idle {
	DP_IDLE_SPIN,	  /* poll flat out: dedicated cores */
	DP_IDLE_ADAPTIVE, /* spin, then rte_pause, then backed-off sleeps */
	DP_IDLE_INTERRUPT /* Rx interrupts; falls back to adaptive */
};

enum dp_huge { DP_HUGE_AUTO, DP_HUGE_ON, DP_HUGE_OFF };

enum dp_durability {
	DP_DURABILITY_DSYNC,	 /* O_DSYNC / RWF_DSYNC writes (FUA) */
	DP_DURABILITY_FDATASYNC, /* writes followed by linked fdatasync */
	DP_DURABILITY_NONE,	 /* benchmarks of the network path only */
	DP_DURABILITY_AUTO	 /* whichever nvme-log measured faster here */
};

/* Fault injection for one direction.  Probabilities are 0..1. */
struct dp_fault_dir {
	double drop;	   /* drop the packet */
	double dup;	   /* deliver/send it twice */
	double reorder;	   /* hold it back (reorder/delay) */
	uint32_t hold;	   /* a held packet goes after this many others... */
	uint32_t delay_us; /* ...or after this long, whichever comes first */
};

#define DP_FAULT_MAX_PARTITION 16

struct dp_fault_config {
	uint64_t seed;
	struct dp_fault_dir rx, tx;
	/* IPv4 addresses (host order) cut off in both directions. */
	uint32_t partition[DP_FAULT_MAX_PARTITION];
	unsigned int n_partition;
};

#define DP_CFG_STR 128

/*
 * Everything the server reads at start.  Keys are listed in the table in
 * dp_config.c (section, name, type, default, help); a key added there is
 * at once an INI key, a --flag and a line of --help.
 */
struct dp_config {
	/* [server] */
	uint32_t server_id;
	char data_dir[DP_CFG_STR];
	enum dp_durability durability;
	uint32_t session_timeout_min_ms;
	uint32_t session_timeout_max_ms;
	uint32_t tick_ms; /* ZooKeeper tickTime (session timeouts) */

	/* [net] (addresses in host byte order) */
	uint32_t ip, netmask, gateway;
	uint16_t client_port;
	uint16_t mtu;

	/* [dataplane] */
	char port[DP_CFG_STR]; /* PCI address, or empty */
	char vdev[DP_CFG_STR]; /* e.g. net_tap0,iface=dpzkt0, or empty */
	char lcores[32];       /* EAL -l list; the first is the polling core */
	char file_prefix[64];  /* EAL --file-prefix (unique per process) */
	enum dp_huge huge;
	uint32_t mem_mb;
	uint32_t mbufs; /* mbuf pool size; 0 = sized from the rings */
	uint16_t rx_desc, tx_desc;
	uint32_t timer_us; /* timer hook period */
	uint32_t tx_drain_us;
	enum dp_idle idle;
	uint32_t idle_spin_polls;  /* empty polls spent spinning */
	uint32_t idle_pause_polls; /* then this many with rte_pause() */
	uint32_t idle_sleep_max_us;
	char log_level[16];
	char eal_extra[DP_CFG_STR]; /* more EAL arguments, space-separated */

	/* [fault] */
	struct dp_fault_config fault;

	/*
	 * Modules that come later (zab: server.N lines, ensemble secret,
	 * init/sync limits; mgmt: admin port, snapshot policy) add their
	 * fields HERE and their keys to the table in dp_config.c — or keep
	 * their own struct and pass a struct dp_config_ext to
	 * dp_config_from_argv(), which offers them every key this table
	 * does not know.
	 */

	/* Set by dp_config_from_argv(). */
	bool help;
	char config_file[DP_CFG_STR];
};

/*
 * Keys a later module owns: called for every key of the file and every
 * --flag that the dataplane's table does not know.  Returns 0 when taken,
 * -ENOENT when not one of its keys (the next extension is asked), another
 * -errno with why filled when the value is bad.  usage() prints its keys
 * for --help.
 */
struct dp_config_ext {
	int (*set)(void *arg, const char *section, const char *key,
		   const char *value, char *why, size_t whylen);
	void (*usage)(void *arg, FILE *out);
	void *arg;
};

/* Fill every field with its default.  Any. */
void dp_config_defaults(struct dp_config *c);

/*
 * Set one key from its text.  key is "name" or "section.name"; dashes and
 * underscores are the same.  Returns 0, -ENOENT for an unknown key, -EINVAL
 * for a bad value (why says which key, the value and why).  Any (pure).
 */
int dp_config_set(struct dp_config *c, const char *key, const char *value,
		  char *why, size_t whylen);

/* Cross-key checks (min <= max, gateway on link, one port source...).
 * 0 or -EINVAL with why.  Any (pure). */
int dp_config_validate(const struct dp_config *c, char *why, size_t whylen);

/*
 * Load an INI file (rte_cfgfile; no EAL needed).  Sections are as in
 * --help; keys this table does not know go to the extensions.  0,
 * -ENOENT/-EIO when the file cannot be read, -EINVAL with why.
 */
int dp_config_load_file(struct dp_config *c, const char *path,
			const struct dp_config_ext *ext, unsigned int n_ext,
			char *why, size_t whylen);

/*
 * Parse the command line: --config=FILE is read first (whatever its
 * place), then every --key=value (or --key value) in order, so flags win
 * over the file; --help sets c->help.  Then dp_config_validate().
 * 0, or -EINVAL with why ("--ip=300.1.1.1: not an IPv4 address").
 * Servers exit with status 2 on -EINVAL.  Any (pure but for the file).
 */
int dp_config_from_argv(struct dp_config *c, int argc, char **argv,
			const struct dp_config_ext *ext, unsigned int n_ext,
			char *why, size_t whylen);

/* Print every key with section, default and help (for --help). */
void dp_config_usage(FILE *out, const char *prog,
		     const struct dp_config_ext *ext, unsigned int n_ext);

/* Print the effective configuration as an INI file. */
void dp_config_dump(const struct dp_config *c, FILE *out);

/* Parse a fault partition list "198.18.0.12,198.18.0.13" (pure). */
int dp_fault_parse_partition(struct dp_fault_config *f, const char *list,
			     char *why, size_t whylen);

/* ------------------------------------------------------------------ */
/* Life cycle (control thread)                                         */
/* ------------------------------------------------------------------ */

/*
 * Start EAL from the configuration (argument vector built here: lcores,
 * file prefix, hugepages or --no-huge, vdev or PCI allow-list), create the
 * mbuf pool, configure and start the port, register telemetry commands and
 * the SIGINT/SIGTERM/SIGUSR1 handlers.  The configuration is copied.
 * 0 or -errno (logged with the reason).  Once per process.
 */
int dp_init(const struct dp_config *c);

/*
 * Run the polling loop on the first lcore of the configuration (the main
 * lcore) until dp_stop() or a signal; then call every shutdown hook, drain
 * and free what is held.  Returns 0.  Control (blocks).
 */
int dp_run(void);

/* Ask the loop to end.  Any, async-signal-safe. */
void dp_stop(void);

/* True once dp_stop() was called or a stop signal arrived.  Any. */
bool dp_stopping(void);

/* Stop the port, release the pool, EAL cleanup.  Control, after dp_run(). */
void dp_fini(void);

/* The configuration in force (a copy made by dp_init()).  Any. */
const struct dp_config *dp_config_get(void);

/* The port's MAC address (zeros before dp_init()).  Any. */
void dp_port_mac(uint8_t mac[6]);

/* ------------------------------------------------------------------ */
/* Services and hooks (register before dp_run(); control)              */
/* ------------------------------------------------------------------ */

/* What the packet path learned about a datagram.  Host byte order. */
struct dp_udp_meta {
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	uint8_t src_mac[6];
	uint64_t rx_tsc; /* rte_rdtsc() when the burst was received */
};

/*
 * A UDP service.  The payload points into the mbuf, which is BORROWED for
 * the call: the packet path frees it afterwards.  A handler that wants to
 * keep the bytes (zero copy) takes a reference with
 * rte_mbuf_refcnt_update(m, 1) and later rte_pktmbuf_free()s it.  Runs on
 * the lcore; may call dp_udp_send().  No return value: a handler counts
 * its own errors.
 */
typedef void (*dp_udp_handler_fn)(struct dp_lcore *lc, void *arg,
				  const struct dp_udp_meta *m,
				  const uint8_t *payload, uint16_t len,
				  struct rte_mbuf *m_borrowed);

/* Register a service on a local UDP port.  0, -EEXIST, -EINVAL. */
int dp_udp_register(uint16_t port, dp_udp_handler_fn fn, void *arg);

struct dp_hooks {
	/* Every loop iteration (log completions, rings from mgmt).  Returns
	 * how much work it did: nonzero keeps the idle policy awake. */
	unsigned int (*poll)(struct dp_lcore *lc, void *arg);
	/* Every timer_us (session expiry, retransmission).  now_us is
	 * dp_now_us(). */
	void (*timer)(struct dp_lcore *lc, void *arg, uint64_t now_us);
	/* Once, on the lcore, when the loop ends (before the port stops). */
	void (*shutdown)(struct dp_lcore *lc, void *arg);
	void *arg;
};

#define DP_MAX_HOOKS 8

/* Register hooks (copied).  0 or -ENOSPC.  Control, before dp_run(). */
int dp_hooks_register(const struct dp_hooks *h);

/* ------------------------------------------------------------------ */
/* Sending (lcore)                                                     */
/* ------------------------------------------------------------------ */

struct dp_iov {
	const void *base;
	uint16_t len;
};

/*
 * Build Ethernet/IPv4/UDP around the payload pieces (copied into one new
 * mbuf) and buffer it for the next tx burst.  The next hop (dst on link,
 * else the gateway) is resolved through the ARP cache; an unresolved
 * packet waits in a bounded per-neighbour queue while ARP requests go out.
 * Returns 0 when buffered or queued; -EMSGSIZE (payload above MTU - 28),
 * -EHOSTUNREACH (off link and no gateway), -ENOBUFS (no mbuf or ARP queue
 * full; counted as a drop).  Lcore.
 */
int dp_udp_send(struct dp_lcore *lc, uint32_t dst_ip, uint16_t dst_port,
		uint16_t src_port, const struct dp_iov *iov,
		unsigned int n_iov);

/* Same for one contiguous payload. */
int dp_udp_send1(struct dp_lcore *lc, uint32_t dst_ip, uint16_t dst_port,
		 uint16_t src_port, const void *payload, uint16_t len);

/*
 * Zero-copy form: m holds the payload only and has at least
 * DP_UDP_HEADROOM bytes of headroom; headers are prepended.  m is CONSUMED
 * whatever the result.  Lcore.
 */
#define DP_UDP_HEADROOM 42
int dp_udp_send_mbuf(struct dp_lcore *lc, uint32_t dst_ip, uint16_t dst_port,
		     uint16_t src_port, struct rte_mbuf *m);

/* Flush buffered packets now (normally done by the loop).  Lcore. */
void dp_tx_flush(struct dp_lcore *lc);

/* Microseconds from a monotonic TSC base.  Any. */
uint64_t dp_now_us(void);

/* Index of this polling lcore (0..n-1) and its mbuf pool.  Lcore. */
unsigned int dp_lcore_index(const struct dp_lcore *lc);
struct rte_mempool *dp_lcore_pool(struct dp_lcore *lc);

/* Count a drop for a packet the caller owns and free it (NULL allowed:
 * count only).  Lcore. */
void dp_drop(struct dp_lcore *lc, struct rte_mbuf *m, enum dp_drop_reason r);

/* ------------------------------------------------------------------ */
/* Fault injection (run time; any thread)                              */
/* ------------------------------------------------------------------ */

/* Replace the fault settings; the lcore picks them up at its next loop
 * iteration (the PRNG is reseeded).  0 or -EINVAL (probability out of
 * 0..1).  Any. */
int dp_fault_set(const struct dp_fault_config *f);

/* The settings in force.  Any. */
void dp_fault_get(struct dp_fault_config *f);

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

struct dp_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t arp_rx, arp_tx, arp_replies_sent, arp_requests_sent;
	uint64_t icmp_echo;
	uint64_t udp_rx, udp_tx;
	uint64_t fault_dup, fault_held;
	uint64_t loops, idle_sleeps;
	uint64_t drops_total;
	uint64_t drops[DP_DROP__COUNT];
};

/* Sum of all lcores' counters (racy but torn-free reads).  Any. */
void dp_stats_get(struct dp_stats *s);

/* Format as "key value" lines; returns bytes written (snprintf rules). */
int dp_stats_format(const struct dp_stats *s, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* DPZK_DP_H */
