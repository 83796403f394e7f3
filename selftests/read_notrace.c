// SPDX-License-Identifier: GPL-2.0
/*
 * read_notrace - tscpage's clocksource read calls no function a tracer
 * can hook.
 *
 * The read runs in any context, NMI included, and inside the tracers
 * themselves (a trace clock over the timekeeping core): every function it
 * calls must be inline or notrace, as the kernel's own pvclock read is.
 * With tscpage loaded, the function tracer is set on every traceable
 * function of the tscpage module (the kernel functions the read calls,
 * touch_softlockup_watchdog() and reset_hung_task_detector() on a pause,
 * are the kernel's own pvclock read's), then debugfs's tscpage/bench
 * makes --reads in-kernel reads of the clocksource while the simulator
 * rewrites the page (so reads meet new parameters too). Results:
 *  1. the tracer saw the bench's own functions (not those it calls per
 *     read or per sample, which would fill the buffer): it works, and it
 *     would have seen calls from the read;
 *  2. no traced call has tscpage_read_pvclock or tscpage_read_hvref as
 *     its caller (the first few are printed).
 * The tracer is left as it was found: nop, no filter, an empty buffer,
 * tracing_on as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "sysfs_file.h"

#define TRACING	"/sys/kernel/tracing/"
#define BENCH	"/sys/kernel/debug/tscpage/bench"

/*
 * The module's functions called per read or per sample by the bench
 * itself (its sort's compare runs millions of times): left out, or they
 * would fill the trace buffer and push the read's calls out of it.
 */
static const char *const bench_per_read[] = {
	"tscpage_bench_cmp\n", "tscpage_bench_batch\n",
	"tscpage_clocksource_read\n",
};

/* Writes @s to tracefs file @name, truncating or appending; 0 or -errno. */
static int tracefs_write(const char *name, const char *s, bool append)
{
	char path[128];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), TRACING "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Appends each of @names to tracefs file @file, one write each: a name
 * the tracer does not know (inlined, or notrace already) fails alone and
 * is said (each ends in a newline, so the tracer parses it at the write,
 * not silently at the close).
 */
static void tracefs_add_each(const char *file, const char *const *names,
			     size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = tracefs_write(file, names[i], true);
		if (err)
			ksft_print_msg("%s: %.*s not taken: %s\n", file,
				       (int)strcspn(names[i], "\n"), names[i],
				       strerror(-err));
	}
}

/* tracing_on as found ("1" after boot), put back by tracer_off(). */
static char tracing_was[8] = "1";

/*
 * The tracer as it was found: nop, no filters, an empty buffer, and
 * tracing_on as it was (other tests read the buffer of their events).
 */
static void tracer_off(void)
{
	tracefs_write("tracing_on", "0", false);
	tracefs_write("current_tracer", "nop", false);
	tracefs_write("set_ftrace_filter", "", false);
	tracefs_write("set_ftrace_notrace", "", false);
	tracefs_write("trace", "", false);
	tracefs_write("tracing_on", tracing_was, false);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--reads N]\n"
		"  --reads N   in-kernel reads of the clocksource through debugfs's\n"
		"              tscpage/bench, 1000..1000000 (default 200000)\n",
		prog);
}

int main(int argc, char **argv)
{
	uint64_t reads = 200000;
	unsigned int bench_lines = 0, bad = 0, others = 0, bench_shown = 0;
	char line[512], num[32];
	FILE *trace;
	size_t i;
	int err;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--reads") && i + 1 < (size_t)argc) {
			if (!arg_u64(argv[0], "reads", argv[++i], 1000, 1000000,
				     &reads))
				return KSFT_FAIL;
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout, argv[0]);
			return KSFT_PASS;
		} else {
			usage(stderr, argv[0]);
			return KSFT_FAIL;
		}
	}

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (access(BENCH, W_OK))
		ksft_exit_skip("no %s: tscpage not loaded, or debugfs not mounted\n",
			       BENCH);
	if (access(TRACING "set_ftrace_filter", W_OK))
		ksft_exit_skip("no function tracer (%sset_ftrace_filter)\n",
			       TRACING);
	ksft_set_plan(2);

	if (sysfs_read_line(TRACING "tracing_on", line, sizeof(line)))
		ksft_print_msg("cannot read tracing_on: it is left at 1\n");
	else
		snprintf(tracing_was, sizeof(tracing_was), "%.1s", line);
	tracer_off();
	err = tracefs_write("set_ftrace_filter", ":mod:tscpage\n", false);
	if (!err) {
		tracefs_add_each("set_ftrace_notrace", bench_per_read,
				 ARRAY_SIZE(bench_per_read));
	}
	if (!err)
		err = tracefs_write("current_tracer", "function", false);
	if (!err)
		err = tracefs_write("tracing_on", "1", false);
	if (err) {
		tracer_off();
		ksft_exit_fail_msg("cannot set up the function tracer: %s\n",
				   strerror(-err));
	}

	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)reads);
	err = sysfs_write(BENCH, num);
	tracefs_write("tracing_on", "0", false);
	if (err) {
		tracer_off();
		ksft_exit_fail_msg("write %s to %s: %s\n", num, BENCH,
				   strerror(-err));
	}

	trace = fopen(TRACING "trace", "re");
	if (!trace) {
		tracer_off();
		ksft_exit_fail_msg("open %strace: %s\n", TRACING,
				   strerror(errno));
	}
	while (fgets(line, sizeof(line), trace)) {
		if (line[0] == '#')
			continue;
		if (strstr(line, "tscpage_bench_"))
			bench_lines++;
		if (strstr(line, "tscpage_bench_") ? bench_shown++ < 2 :
		    others++ < 3)
			ksft_print_msg("  traced: %s", line);
		if (strstr(line, "<-tscpage_read_")) {
			if (bad++ < 5)
				ksft_print_msg("  called from the read: %s",
					       line);
		}
	}
	fclose(trace);
	tracer_off();

	ksft_test_result(bench_lines > 0,
			 "the function tracer saw the bench's own functions: %u calls\n",
			 bench_lines);
	ksft_test_result(bench_lines > 0 && !bad,
			 "%llu reads of the clocksource called no traceable function: %u calls\n",
			 (unsigned long long)reads, bad);
	ksft_finished();
	return 0;
}
