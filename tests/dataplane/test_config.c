/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c — the dataplane configuration: defaults, every key type,
 * errors that name key/value/why, the INI file, flags over the file,
 * extensions, cross-key validation, and the EAL argument vector built from
 * a configuration.  Pure: no EAL is started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/dp_int.h"
#include "dataplane/dp_priv.h"

static char why[256];

/* A configuration that validates: defaults + ip + vdev. */
static void
good(struct dp_config *c)
{
	dp_config_defaults(c);
	assert_int_equal(
		dp_config_set(c, "ip", "198.18.0.11", why, sizeof(why)), 0);
	assert_int_equal(dp_config_set(c, "vdev", "net_tap0,iface=dpzkt1", why,
				       sizeof(why)),
			 0);
}

static int
argv_parse(struct dp_config *c, const char *const *args, int n)
{
	char *argv[32];
	int i;

	argv[0] = (char *)"dpzk";
	for (i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	return dp_config_from_argv(c, n + 1, argv, NULL, 0, why, sizeof(why));
}

static void
test_defaults_are_documented_values(void **state)
{
	struct dp_config c;

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(c.client_port, 2181);
	assert_int_equal(c.server_id, 1);
	assert_int_equal(c.netmask, 0xffffff00u);
	assert_int_equal(c.idle, DP_IDLE_SPIN);
	assert_int_equal(c.huge, DP_HUGE_AUTO);
	assert_int_equal(c.durability, DP_DURABILITY_AUTO);
	assert_int_equal(c.session_timeout_min_ms, 4000);
	assert_int_equal(c.session_timeout_max_ms, 40000);
	assert_int_equal(c.timer_us, 1000);
	assert_int_equal(c.tx_drain_us, 100);
	assert_string_equal(c.data_dir, "/var/lib/dpzk");
	assert_string_equal(c.lcores, "0");
	assert_int_equal(c.fault.seed, 1);
	assert_true(c.fault.rx.drop == 0.0);
	assert_int_equal(c.fault.rx.hold, 4);
}

static void
test_defaults_need_only_ip_and_port(void **state)
{
	struct dp_config c;

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "ip"));
	good(&c);
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), 0);
}

static void
test_dump_output_parses_back(void **state)
{
	struct dp_config c, d;
	char path[] = "/tmp/dpzk-test-config-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	good(&c);
	assert_int_equal(dp_config_set(&c, "fault_partition",
				       "198.18.0.12,198.18.0.13", why,
				       sizeof(why)),
			 0);
	assert_int_equal(
		dp_config_set(&c, "idle", "adaptive", why, sizeof(why)), 0);
	f = fdopen(fd, "w");
	dp_config_dump(&c, f);
	fclose(f);
	dp_config_defaults(&d);
	assert_int_equal(
		dp_config_load_file(&d, path, NULL, 0, why, sizeof(why)), 0);
	unlink(path);
	assert_int_equal(d.ip, c.ip);
	assert_string_equal(d.vdev, c.vdev);
	assert_int_equal(d.idle, DP_IDLE_ADAPTIVE);
	assert_int_equal(d.fault.n_partition, 2);
	assert_int_equal(d.fault.partition[1], 0xc612000du);
}

static void
test_unknown_key_is_enoent(void **state)
{
	struct dp_config c;

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(
		dp_config_set(&c, "no_such_key", "1", why, sizeof(why)),
		-ENOENT);
	assert_non_null(strstr(why, "no_such_key"));
}

static void
test_dashes_and_sections_name_the_same_key(void **state)
{
	struct dp_config c;

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(
		dp_config_set(&c, "client-port", "3000", why, sizeof(why)), 0);
	assert_int_equal(c.client_port, 3000);
	assert_int_equal(
		dp_config_set(&c, "net.client_port", "3001", why, sizeof(why)),
		0);
	assert_int_equal(c.client_port, 3001);
	assert_int_equal(dp_config_set(&c, "server.client_port", "3002", why,
				       sizeof(why)),
			 -ENOENT);
}

static void
test_numbers_out_of_range_name_key_value_and_range(void **state)
{
	struct dp_config c;

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(
		dp_config_set(&c, "client_port", "70000", why, sizeof(why)),
		-EINVAL);
	assert_non_null(strstr(why, "client_port=70000"));
	assert_non_null(strstr(why, "1..65535"));
	assert_int_equal(dp_config_set(&c, "server_id", "0", why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(dp_config_set(&c, "server_id", "-1", why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(
		dp_config_set(&c, "server_id", "12abc", why, sizeof(why)),
		-EINVAL);
	assert_non_null(strstr(why, "not a number"));
	assert_int_equal(dp_config_set(&c, "server_id", "", why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(c.server_id, 1);
}

static void
test_bad_address_is_rejected(void **state)
{
	struct dp_config c;

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(dp_config_set(&c, "ip", "300.1.1.1", why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "ip=300.1.1.1: not an IPv4 address");
	assert_int_equal(
		dp_config_set(&c, "gateway", "10.0.0", why, sizeof(why)),
		-EINVAL);
}

static void
test_enum_lists_its_choices(void **state)
{
	struct dp_config c;

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(dp_config_set(&c, "idle", "sleepy", why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "spin adaptive interrupt"));
	assert_int_equal(
		dp_config_set(&c, "durability", "none", why, sizeof(why)), 0);
	assert_int_equal(c.durability, DP_DURABILITY_NONE);
}

static void
test_probability_must_be_within_0_and_1(void **state)
{
	struct dp_config c;

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(
		dp_config_set(&c, "fault_rx_drop", "1.5", why, sizeof(why)),
		-EINVAL);
	assert_int_equal(
		dp_config_set(&c, "fault_tx_dup", "nan", why, sizeof(why)),
		-EINVAL);
	assert_int_equal(
		dp_config_set(&c, "fault_tx_dup", "0.25", why, sizeof(why)), 0);
	assert_true(c.fault.tx.dup == 0.25);
}

static void
test_long_string_is_rejected(void **state)
{
	struct dp_config c;
	char big[400];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dp_config_defaults(&c);
	assert_int_equal(dp_config_set(&c, "data_dir", big, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "longer than"));
}

static void
test_partition_list_parses_and_rejects_garbage(void **state)
{
	struct dp_fault_config f;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(dp_fault_parse_partition(&f,
						  "198.18.0.12, 198.18.0.13",
						  why, sizeof(why)),
			 0);
	assert_int_equal(f.n_partition, 2);
	assert_int_equal(f.partition[0], 0xc612000cu);
	assert_int_equal(dp_fault_parse_partition(&f, "", why, sizeof(why)), 0);
	assert_int_equal(f.n_partition, 0);
	assert_int_equal(
		dp_fault_parse_partition(&f, "198.18.0.12,x", why, sizeof(why)),
		-EINVAL);
	assert_non_null(strstr(why, "'x'"));
}

static void
test_validate_rejects_inconsistent_keys(void **state)
{
	struct dp_config c;

	(void)state;
	good(&c);
	c.session_timeout_min_ms = 50000;
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "session_timeout_min_ms=50000"));

	good(&c);
	strcpy(c.port, "0000:03:00.0");
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not both"));

	good(&c);
	c.vdev[0] = '\0';
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);

	good(&c);
	c.gateway = 0x0a000001u;
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "gateway"));

	good(&c);
	c.netmask = 0xff00ff00u;
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);

	good(&c);
	c.ip = 0xc61200ffu; /* subnet broadcast */
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);

	good(&c);
	strcpy(c.lcores, "0;rm");
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);

	good(&c);
	c.mbufs = 100;
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), -EINVAL);
}

static void
test_flags_set_keys_in_both_forms(void **state)
{
	struct dp_config c;
	const char *args[] = {"--ip=198.18.0.11", "--vdev", "net_tap0,iface=x",
			      "--idle=adaptive", "--fault-rx-drop=0.5"};

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(argv_parse(&c, args, 5), 0);
	assert_int_equal(c.ip, 0xc612000bu);
	assert_string_equal(c.vdev, "net_tap0,iface=x");
	assert_int_equal(c.idle, DP_IDLE_ADAPTIVE);
	assert_true(c.fault.rx.drop == 0.5);
}

static void
test_bad_flag_reports_the_flag(void **state)
{
	struct dp_config c;
	const char *a1[] = {"--ip=198.18.0.11", "--vdev=x", "--mtu=9"};
	const char *a2[] = {"--ip=198.18.0.11", "--vdev=x", "--bogus=1"};
	const char *a3[] = {"--ip=198.18.0.11", "--vdev=x", "stray"};
	const char *a4[] = {"--ip=198.18.0.11", "--vdev=x", "--mtu"};

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(argv_parse(&c, a1, 3), -EINVAL);
	assert_string_equal(why, "--mtu=9: out of range 576..9000");
	dp_config_defaults(&c);
	assert_int_equal(argv_parse(&c, a2, 3), -EINVAL);
	assert_string_equal(why, "--bogus: unknown option");
	dp_config_defaults(&c);
	assert_int_equal(argv_parse(&c, a3, 3), -EINVAL);
	assert_non_null(strstr(why, "stray"));
	dp_config_defaults(&c);
	assert_int_equal(argv_parse(&c, a4, 3), -EINVAL);
	assert_non_null(strstr(why, "needs a value"));
}

static void
test_help_flag_stops_parsing(void **state)
{
	struct dp_config c;
	const char *args[] = {"--bogus", "--help"};

	(void)state;
	dp_config_defaults(&c);
	assert_int_equal(argv_parse(&c, args, 2), 0);
	assert_true(c.help);
}

static void
test_usage_lists_every_section_and_default(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	dp_config_usage(f, "dpzk-test", NULL, 0);
	fclose(f);
	assert_non_null(strstr(buf, "[server]"));
	assert_non_null(strstr(buf, "[net]"));
	assert_non_null(strstr(buf, "[dataplane]"));
	assert_non_null(strstr(buf, "[fault]"));
	assert_non_null(strstr(buf, "--client_port"));
	assert_non_null(strstr(buf, "(default: 2181)"));
	free(buf);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_file_is_read_and_flags_win(void **state)
{
	struct dp_config c;
	char path[] = "/tmp/dpzk-test-ini-XXXXXX";
	char flag[64];
	int fd = mkstemp(path);
	const char *args[3];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "; sample\n[server]\nserver_id = 3\n"
			 "[net]\nip = 198.18.0.13\nclient_port = 2182\n"
			 "[dataplane]\nvdev = net_tap0,iface=dpzkt3\n"
			 "idle = adaptive\n");
	snprintf(flag, sizeof(flag), "--config=%s", path);
	args[0] = "--client_port=2183"; /* before --config: still wins */
	args[1] = flag;
	args[2] = "--server_id=4";
	dp_config_defaults(&c);
	assert_int_equal(argv_parse(&c, args, 3), 0);
	unlink(path);
	assert_int_equal(c.ip, 0xc612000du);
	assert_int_equal(c.client_port, 2183);
	assert_int_equal(c.server_id, 4);
	assert_int_equal(c.idle, DP_IDLE_ADAPTIVE);
	assert_string_equal(c.config_file, path);
}

static void
test_file_errors_name_section_and_key(void **state)
{
	struct dp_config c;
	char path[] = "/tmp/dpzk-test-ini-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "[net]\nserver_id = 3\n");
	dp_config_defaults(&c);
	assert_int_equal(
		dp_config_load_file(&c, path, NULL, 0, why, sizeof(why)),
		-EINVAL);
	assert_non_null(strstr(why, "another section"));
	write_file(path, "[net]\nfrobnicate = 3\n");
	assert_int_equal(
		dp_config_load_file(&c, path, NULL, 0, why, sizeof(why)),
		-EINVAL);
	assert_string_equal(why, "[net] frobnicate: unknown key");
	write_file(path, "[net]\nclient_port = x\n");
	assert_int_equal(
		dp_config_load_file(&c, path, NULL, 0, why, sizeof(why)),
		-EINVAL);
	assert_non_null(strstr(why, "client_port=x"));
	unlink(path);
	assert_int_equal(
		dp_config_load_file(&c, path, NULL, 0, why, sizeof(why)),
		-ENOENT);
	assert_non_null(strstr(why, path));
}

struct ext_state {
	int servers;
	char last[64];
};

static int
ext_set(void *arg, const char *section, const char *key, const char *value,
	char *w, size_t wl)
{
	struct ext_state *s = arg;

	(void)section;
	if (strncmp(key, "server.", 7) != 0)
		return -ENOENT;
	if (value[0] == '\0') {
		snprintf(w, wl, "%s: empty", key);
		return -EINVAL;
	}
	s->servers++;
	snprintf(s->last, sizeof(s->last), "%s", value);
	return 0;
}

static void
test_extensions_get_unknown_keys(void **state)
{
	struct dp_config c;
	struct ext_state es = {0};
	struct dp_config_ext ext = {ext_set, NULL, &es};
	char path[] = "/tmp/dpzk-test-ini-XXXXXX";
	int fd = mkstemp(path);
	char *argv[] = {(char *)"dpzk",
			(char *)"--ip=198.18.0.11",
			(char *)"--vdev=x",
			(char *)"--server.2=198.18.0.12:2888",
			NULL,
			NULL};
	char flag[64];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "[zab]\nserver.1 = 198.18.0.11:2888:3888\n");
	snprintf(flag, sizeof(flag), "--config=%s", path);
	argv[4] = flag;
	dp_config_defaults(&c);
	assert_int_equal(
		dp_config_from_argv(&c, 5, argv, &ext, 1, why, sizeof(why)), 0);
	unlink(path);
	assert_int_equal(es.servers, 2);
	assert_string_equal(es.last, "198.18.0.12:2888");
}

static void
test_eal_argv_uses_hugepages_when_enough_are_free(void **state)
{
	struct dp_config c;
	struct dp_eal_args a;
	int i;
	bool no_huge = false, vdev = false, no_pci = false;

	(void)state;
	good(&c);
	assert_int_equal(dp_eal_argv(&c, 1024, &a), 0);
	assert_true(a.use_huge);
	for (i = 0; i < a.argc; i++) {
		no_huge |= strcmp(a.argv[i], "--no-huge") == 0;
		vdev |= strcmp(a.argv[i], "--vdev=net_tap0,iface=dpzkt1") == 0;
		no_pci |= strcmp(a.argv[i], "--no-pci") == 0;
	}
	assert_false(no_huge);
	assert_true(vdev);
	assert_true(no_pci);
	assert_null(a.argv[a.argc]);
}

static void
test_eal_argv_falls_back_to_no_huge(void **state)
{
	struct dp_config c;
	struct dp_eal_args a;
	int i;
	bool no_huge = false, prefix = false;

	(void)state;
	good(&c);
	strcpy(c.file_prefix, "dpzk-x-s1");
	strcpy(c.eal_extra, "--iova-mode=va  --no-telemetry");
	assert_int_equal(dp_eal_argv(&c, 10, &a), 0); /* 10 MiB < 64 */
	assert_false(a.use_huge);
	for (i = 0; i < a.argc; i++) {
		no_huge |= strcmp(a.argv[i], "--no-huge") == 0;
		prefix |= strcmp(a.argv[i], "--file-prefix=dpzk-x-s1") == 0;
	}
	assert_true(no_huge);
	assert_true(prefix);
	assert_string_equal(a.argv[a.argc - 1], "--no-telemetry");
	assert_string_equal(a.argv[a.argc - 2], "--iova-mode=va");
	c.huge = DP_HUGE_OFF;
	assert_int_equal(dp_eal_argv(&c, 4096, &a), 0);
	assert_false(a.use_huge);
}

static void
test_eal_argv_allows_the_pci_port(void **state)
{
	struct dp_config c;
	struct dp_eal_args a;
	int i, at = -1;

	(void)state;
	good(&c);
	c.vdev[0] = '\0';
	strcpy(c.port, "0000:03:00.0");
	assert_int_equal(dp_eal_argv(&c, 0, &a), 0);
	for (i = 0; i < a.argc; i++)
		if (strcmp(a.argv[i], "-a") == 0)
			at = i;
	assert_true(at > 0);
	assert_string_equal(a.argv[at + 1], "0000:03:00.0");
}

static void
test_pool_size_fits_rings_and_is_two_power_minus_one(void **state)
{
	struct dp_config c;
	unsigned int n;

	(void)state;
	good(&c);
	n = dp_pool_size(&c);
	assert_true(n >= 2u * (c.rx_desc + c.tx_desc));
	assert_int_equal((n + 1) & n, 0);
	assert_true(n <= 8191); /* small machines */
	c.mbufs = 3000;
	assert_int_equal(dp_pool_size(&c), 3000);
}

static void
test_sample_config_parses_with_its_documented_values(void **state)
{
	const char *path = getenv("DP_SAMPLE_INI");
	struct dp_config c;

	(void)state;
	if (path == NULL)
		skip();
	dp_config_defaults(&c);
	assert_int_equal(
		dp_config_load_file(&c, path, NULL, 0, why, sizeof(why)), 0);
	assert_int_equal(dp_config_validate(&c, why, sizeof(why)), 0);
	assert_int_equal(c.ip, 0xc612000bu);
	assert_string_equal(c.vdev, "net_tap0,iface=dpzkt1");
	assert_string_equal(c.port, "");
	assert_int_equal(c.client_port, 2181);
	assert_int_equal(c.fault.n_partition, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_documented_values),
		cmocka_unit_test(test_defaults_need_only_ip_and_port),
		cmocka_unit_test(test_dump_output_parses_back),
		cmocka_unit_test(test_unknown_key_is_enoent),
		cmocka_unit_test(test_dashes_and_sections_name_the_same_key),
		cmocka_unit_test(
			test_numbers_out_of_range_name_key_value_and_range),
		cmocka_unit_test(test_bad_address_is_rejected),
		cmocka_unit_test(test_enum_lists_its_choices),
		cmocka_unit_test(test_probability_must_be_within_0_and_1),
		cmocka_unit_test(test_long_string_is_rejected),
		cmocka_unit_test(
			test_partition_list_parses_and_rejects_garbage),
		cmocka_unit_test(test_validate_rejects_inconsistent_keys),
		cmocka_unit_test(test_flags_set_keys_in_both_forms),
		cmocka_unit_test(test_bad_flag_reports_the_flag),
		cmocka_unit_test(test_help_flag_stops_parsing),
		cmocka_unit_test(test_usage_lists_every_section_and_default),
		cmocka_unit_test(test_file_is_read_and_flags_win),
		cmocka_unit_test(test_file_errors_name_section_and_key),
		cmocka_unit_test(test_extensions_get_unknown_keys),
		cmocka_unit_test(
			test_eal_argv_uses_hugepages_when_enough_are_free),
		cmocka_unit_test(test_eal_argv_falls_back_to_no_huge),
		cmocka_unit_test(test_eal_argv_allows_the_pci_port),
		cmocka_unit_test(
			test_pool_size_fits_rings_and_is_two_power_minus_one),
		cmocka_unit_test(
			test_sample_config_parses_with_its_documented_values),
	};

	return cmocka_run_group_tests_name("dataplane_config", tests, NULL,
					   NULL);
}
