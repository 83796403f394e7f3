// SPDX-License-Identifier: GPL-2.0
/*
 * clocksource_bench - what an in-kernel read of the time costs over each
 * clocksource the guest has (tscpage, tsc, hpet, acpi_pm, ...), measured by
 * tscpage's debugfs microbenchmark (/sys/kernel/debug/tscpage/bench, see
 * driver/bench.c) with each made current in turn.
 *
 * A measurement, not a test: one KTAP result per clocksource says it was
 * measured (SKIP if the kernel would not make it current); the figures
 * are diagnostics, and the ratios are against tsc measured in the same
 * run. Nothing here asserts a time: machines are noisy, TCG more so.
 *
 *   clocksource_bench [--iterations N]    (1000..1000000, default 100000)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "clocksource_sysfs.h"
#include "sysfs_file.h"

#define BENCH_FILE	"/sys/kernel/debug/tscpage/bench"
#define AVAILABLE	"/sys/devices/system/clocksource/clocksource0/available_clocksource"
#define MAX_SOURCES	8

/* One series of the bench file, in tenths of a ns. */
struct series {
	unsigned long long median, p99, p999, max, mean;
};

struct result {
	char name[CLOCKSOURCE_NAME_MAX];
	bool measured;
	struct series empty, ktime, tscpage;
};

static int bench_parse(FILE *f, struct result *r)
{
	char line[256], name[32];
	struct series s;
	int got = 0;

	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s median_dns %llu p99_dns %llu p999_dns %llu max_dns %llu mean_dns %llu",
			   name, &s.median, &s.p99, &s.p999, &s.max,
			   &s.mean) != 6)
			continue;
		if (!strcmp(name, "empty"))
			r->empty = s, got |= 1;
		else if (!strcmp(name, "ktime"))
			r->ktime = s, got |= 2;
		else if (!strcmp(name, "tscpage"))
			r->tscpage = s, got |= 4;
	}
	return got == 7 ? 0 : -EPROTO;
}

static int bench_run(uint64_t n, struct result *r)
{
	char arg[24];
	FILE *f;
	int err;

	snprintf(arg, sizeof(arg), "%llu", (unsigned long long)n);
	err = sysfs_write(BENCH_FILE, arg);
	if (err)
		return err;
	f = fopen(BENCH_FILE, "r");
	if (!f)
		return -errno;
	err = bench_parse(f, r);
	fclose(f);
	return err;
}

/* A bracketed figure net of the empty bracket's mean, in tenths of ns. */
static long long net(unsigned long long v, const struct result *r)
{
	return (long long)v - (long long)r->empty.mean;
}

static void print_row(const char *what, const struct series *s,
		      const struct result *r)
{
	ksft_print_msg("%-10s %-8s %7.1f %7.1f %8.1f %9.1f\n", r->name, what,
		       net(s->median, r) / 10.0, net(s->p99, r) / 10.0,
		       net(s->p999, r) / 10.0, net(s->max, r) / 10.0);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--iterations N]  (1000..1000000, default 100000)\n",
		prog);
}

int main(int argc, char **argv)
{
	struct result res[MAX_SOURCES] = { 0 };
	char avail[512], prev[CLOCKSOURCE_NAME_MAX], now[CLOCKSOURCE_NAME_MAX];
	uint64_t n = 100000;
	unsigned int nsrc = 0, i;
	const struct result *tsc = NULL;
	bool refused;
	char *tok, *save;
	int c, err;
	const struct arg_spec specs[] = {
		ARG_U64("iterations", 'n', &n, 1000, 1000000),
		ARG_END,
	};

	c = args_parse(argc, argv, specs, usage);
	if (c >= 0)
		return c;

	ksft_print_header();
	if (sysfs_read_line(AVAILABLE, avail, sizeof(avail)) ||
	    clocksource_current(prev, sizeof(prev)))
		ksft_exit_fail_msg("cannot read the clocksources in sysfs\n");
	if (access(BENCH_FILE, W_OK))
		ksft_exit_skip(BENCH_FILE " not writable (tscpage not loaded, or not root)\n");
	for (tok = strtok_r(avail, " ", &save); tok && nsrc < MAX_SOURCES;
	     tok = strtok_r(NULL, " ", &save))
		snprintf(res[nsrc++].name, CLOCKSOURCE_NAME_MAX, "%s", tok);
	ksft_set_plan(nsrc + 1);

	for (i = 0; i < nsrc; i++) {
		err = clocksource_select(res[i].name);
		if (err) {
			ksft_test_result_skip("%s: the kernel would not make it current (%s)\n",
					      res[i].name, strerror(-err));
			continue;
		}
		err = bench_run(n, &res[i]);
		res[i].measured = !err;
		ksft_test_result(!err, "%s: %llu in-kernel reads measured%s%s\n",
				 res[i].name, (unsigned long long)n,
				 err ? ": " : "",
				 err ? strerror(-err) : "");
		if (!err && !strcmp(res[i].name, "tsc"))
			tsc = &res[i];
	}

	ksft_print_msg("ns per call, net of the empty bracket; ktime = ktime_get_ns() over that clocksource, tscpage = tscpage's ->read()\n");
	ksft_print_msg("%-10s %-8s %7s %7s %8s %9s\n", "current", "path",
		       "median", "p99", "p99.9", "max");
	for (i = 0; i < nsrc; i++) {
		if (!res[i].measured)
			continue;
		print_row("ktime", &res[i].ktime, &res[i]);
		print_row("tscpage", &res[i].tscpage, &res[i]);
	}
	for (i = 0; tsc && i < nsrc; i++)
		if (res[i].measured && net(tsc->ktime.median, tsc) > 0)
			ksft_print_msg("ktime over %s: %.2fx ktime over tsc (medians)\n",
				       res[i].name,
				       (double)net(res[i].ktime.median, &res[i]) /
				       net(tsc->ktime.median, tsc));

	err = clocksource_restore(prev, now, sizeof(now), &refused);
	ksft_test_result(!err, "clocksource handed back: %s%s\n", now,
			 refused ? " (the kernel refused the previous one)" : "");
	ksft_finished();
}
