// SPDX-License-Identifier: GPL-2.0
/*
 * kmemleak_scan - what kmemleak holds against the run, on a kernel built
 * with CONFIG_DEBUG_KMEMLEAK (vmtest's debug kernel); SKIP elsewhere.
 *
 *   kmemleak_scan --clear
 *       forget every object reported or allocated so far (the boot's own
 *       false positives are not ours): run before the modules are first
 *       loaded
 *   kmemleak_scan
 *       wait out kmemleak's minimum age (an object younger than 5 s is
 *       never reported), scan twice (a pointer only in another CPU's
 *       registers during one scan hides an object from it, not from
 *       both) and fail if anything is reported, printing each report
 *       (the object, its allocation backtrace) as a KTAP diagnostic
 *
 * The kernel logs "N new suspected memory leaks" after a scan that found
 * some, which the verdict's kernel-log check also fails on; this result
 * names the objects where the log does not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "kselftest.h"
#include "sysfs_file.h"

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
/* kmemleak.c's MSECS_MIN_AGE is 5000, plus a margin. */
#define MIN_AGE_S	6
#define SCANS		2

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--clear]\n", prog);
}

/* Prints the report as diagnostics; returns the number of objects. */
static unsigned int show_report(void)
{
	unsigned int objects = 0;
	char line[512];
	FILE *f;

	f = fopen(KMEMLEAK, "r");
	if (!f)
		ksft_exit_fail_msg("open %s: %s\n", KMEMLEAK, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19))
			objects++;
		ksft_print_msg("%s", line);
	}
	fclose(f);
	return objects;
}

int main(int argc, char **argv)
{
	unsigned int objects, i;
	bool clear = false;
	int c, err;
	const struct arg_spec specs[] = {
		ARG_FLAG("clear", 0, &clear),
		ARG_END,
	};

	c = args_parse(argc, argv, specs, usage);
	if (c >= 0)
		return c;

	ksft_print_header();
	if (access(KMEMLEAK, F_OK))
		ksft_exit_skip("no %s: the kernel has no kmemleak (CONFIG_DEBUG_KMEMLEAK)\n",
			       KMEMLEAK);
	ksft_set_plan(1);

	if (clear) {
		err = sysfs_write(KMEMLEAK, "clear");
		ksft_test_result(!err, "kmemleak forgot the boot's objects%s%s\n",
				 err ? ": " : "", err ? strerror(-err) : "");
		ksft_finished();
	}

	sleep(MIN_AGE_S);
	for (i = 0; i < SCANS; i++) {
		err = sysfs_write(KMEMLEAK, "scan");
		if (err)
			ksft_exit_fail_msg("scan %u: write %s: %s\n", i + 1,
					   KMEMLEAK, strerror(-err));
	}
	objects = show_report();
	ksft_test_result(!objects,
			 "kmemleak: %u unreferenced objects after %u scans\n",
			 objects, SCANS);
	ksft_finished();
}
