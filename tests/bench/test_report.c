/*
 * test_report.c — the report's shape: every report opens with machine,
 * versions and configuration, has one row per histogram with the agreed
 * percentiles, and its percentile curve is monotonic.  (The JSON is parsed
 * for real by the ZooKeeper smoke test.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void
fill(struct bench_results *r)
{
	uint64_t i;

	memset(r, 0, sizeof(*r));
	r->workload = "mix";
	r->nhist = 2;
	r->hist_names[0] = "all";
	r->hist_names[1] = "read";
	bench_hist_init(&r->hist[0]);
	bench_hist_init(&r->hist[1]);
	for (i = 1; i <= 10000; i++) {
		bench_hist_record(&r->hist[0], i * 1000);
		bench_hist_record(&r->hist[1], i * 500);
	}
	r->ops = r->hist[0].total;
	r->measured_s = 2.0;
	r->nsec = 4;
	r->per_sec = calloc(4, sizeof(uint32_t));
	r->per_sec[0] = 10;
	r->per_sec[1] = 20;
	r->warmup_secs = 1;
	snprintf(r->server_version, sizeof(r->server_version), "test 1.0");
}

static char *
render(bool json)
{
	struct bench_config cfg;
	struct bench_results r;
	struct bench_env e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	bench_config_defaults(&cfg);
	cfg.workload = "mix";
	fill(&r);
	bench_env_gather(&e);
	if (json)
		bench_report_json(f, &e, &cfg, &r);
	else
		bench_report_text(f, &e, &cfg, &r);
	fclose(f);
	bench_results_free(&r);
	return buf;
}

static void
text_report_opens_with_machine_versions_config(void **state)
{
	char *t = render(false);

	(void)state;
	assert_ptr_equal(strstr(t, "dpzk-bench report\nmachine"), t);
	assert_non_null(strstr(t, "\nversions   : dpzk "));
	assert_non_null(strstr(t, "DPDK "));
	assert_non_null(strstr(t, "server test 1.0"));
	assert_non_null(strstr(t, "\nconfig     : target zk"));
	assert_non_null(strstr(t, "ensemble 1"));
	assert_non_null(strstr(t, "durability"));
	assert_non_null(strstr(t, "idle"));
	assert_non_null(strstr(t, "p99.99"));
	assert_non_null(strstr(t, "\n  all "));
	assert_non_null(strstr(t, "\n  read "));
	free(t);
}

static void
json_report_has_every_section_and_balances(void **state)
{
	char *t = render(true), *p;
	int depth = 0, sq = 0;

	(void)state;
	assert_non_null(strstr(t, "\"machine\""));
	assert_non_null(strstr(t, "\"versions\""));
	assert_non_null(strstr(t, "\"config\""));
	assert_non_null(strstr(t, "\"p99.99_us\""));
	assert_non_null(strstr(t, "\"per_second\": [10, 20]"));
	for (p = t; *p; p++) {
		depth += *p == '{';
		depth -= *p == '}';
		sq += *p == '[';
		sq -= *p == ']';
		assert_true(depth >= 0 && sq >= 0);
	}
	assert_int_equal(depth, 0);
	assert_int_equal(sq, 0);
	free(t);
}

static void
percentile_curve_is_monotonic(void **state)
{
	struct bench_hist *h = malloc(sizeof(*h));
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	double last_x = 0, last_v = 0;
	int rows = 0;
	uint64_t i;

	(void)state;
	bench_hist_init(h);
	for (i = 1; i <= 100000; i++)
		bench_hist_record(h, (i * 7919) % 1000000 + 1);
	assert_int_equal(bench_report_pct_csv(f, "x", h), 0);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		double q, x, v;

		assert_int_equal(sscanf(line, "x,%lf,%lf,%lf", &q, &x, &v), 3);
		assert_true(x >= last_x && v >= last_v);
		last_x = x;
		last_v = v;
		rows++;
	}
	assert_true(rows >= 90); /* down to 99.999 % with 1e5 samples */
	assert_true(last_v >= 999.0);
	free(buf);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			text_report_opens_with_machine_versions_config),
		cmocka_unit_test(json_report_has_every_section_and_balances),
		cmocka_unit_test(percentile_curve_is_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
