// SPDX-License-Identifier: GPL-2.0
/*
 * observability - tscpage's debugfs counters and tracepoints say what the
 * readers went through.
 *
 * Checks that every counter file exists and parses, that "reads" grows by
 * at least the clock reads we make with tscpage current, and that the
 * tracepoints are in tracefs. With --expect COUNTER it also hammers the
 * clock from every CPU, with the tscpage_fallback and tscpage_clamp events
 * enabled, and requires COUNTER to move: the plan loads tscpage_hvsim at a
 * high update rate so that readers really meet updates in progress
 * (pvclock: retries; Hyper-V page: sequence 0, so fallbacks and invalid),
 * and for fallbacks the trace must hold tscpage_fallback events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "clock_takeover.h"
#include "cpus.h"
#include "sysfs_file.h"

#define DEBUGFS_DIR	"/sys/kernel/debug/tscpage/"
#define EVENTS_DIR	"/sys/kernel/tracing/events/tscpage/"
#define TRACE_FILE	"/sys/kernel/tracing/trace"
#define RECORD_CMD	"/sys/kernel/tracing/options/record-cmd"

static const char *const counters[] = {
	"reads", "retries", "max_retries", "fallbacks", "invalid", "clamps",
};
#define N_COUNTERS (sizeof(counters) / sizeof(counters[0]))

static const char *const events[] = {
	"tscpage_register", "tscpage_fallback", "tscpage_clamp",
	"tscpage_notify", "tscpage_ack", "tscpage_event",
};
#define N_EVENTS (sizeof(events) / sizeof(events[0]))

static atomic_bool stop;

static int read_counter(const char *name, uint64_t *val)
{
	char path[256], buf[64], *end;
	int err;

	snprintf(path, sizeof(path), DEBUGFS_DIR "%s", name);
	err = sysfs_read_line(path, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	return errno || end == buf || *end ? -EPROTO : 0;
}

static int set_event(const char *event, bool on)
{
	char path[256];

	snprintf(path, sizeof(path), EVENTS_DIR "%s/enable", event);
	return sysfs_write(path, on ? "1" : "0");
}

/*
 * Enabling an event patches its call sites (and, with record-cmd on,
 * the scheduler's sched_switch site, for the command-line cache) through
 * int3 breakpoints. Under TCG, a CPU running a patched site at that moment
 * has been seen to trip over the breakpoint after the patching ended
 * ("Oops: int3" in __schedule, 6.12-rt). So events are switched while
 * tscpage is not current, when nothing runs its read functions, and with
 * record-cmd off, so the scheduler's code is not patched at all.
 */
static void set_events(bool on, char *record_cmd, size_t size)
{
	if (on) {
		if (sysfs_read_line(RECORD_CMD, record_cmd, size))
			record_cmd[0] = '\0';
		sysfs_write(RECORD_CMD, "0");
	}
	set_event("tscpage_fallback", on);
	set_event("tscpage_clamp", on);
	if (!on && record_cmd[0])
		sysfs_write(RECORD_CMD, record_cmd);
}

/* Opening the trace for writing with O_TRUNC empties the ring buffer. */
static void trace_clear(void)
{
	int fd = open(TRACE_FILE, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
}

/* How many lines of the trace buffer name @event. */
static long count_trace(const char *event)
{
	char line[1024];
	long n = 0;
	FILE *f;

	f = fopen(TRACE_FILE, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && strstr(line, event))
			n++;
	fclose(f);
	return n;
}

static void *hammer(void *arg)
{
	int cpu = (int)(intptr_t)arg;
	struct timespec ts;

	cpu_pin(cpu);	/* unpinned, it still reads the clock */
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return NULL;
}

/* Every CPU reads the clock for @seconds. Returns 0 or -errno. */
static int hammer_all(unsigned int seconds)
{
	unsigned int ncpus, n = 0, i;
	int *cpus = cpus_allowed(&ncpus);
	pthread_t threads[CPU_SETSIZE];
	int err = 0;

	for (i = 0; i < ncpus; i++) {
		err = pthread_create(&threads[n], NULL, hammer,
				     (void *)(intptr_t)cpus[i]);
		if (err)
			break;
		n++;
	}
	free(cpus);
	sleep(seconds);
	atomic_store(&stop, true);
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	return n ? 0 : -err;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--expect COUNTER] [--duration SECONDS]\n"
		"  --expect COUNTER    hammer the clock and require COUNTER (retries,\n"
		"                      fallbacks, invalid, clamps) to move\n"
		"  --duration SECONDS  how long to hammer, 1..600 (default 2)\n",
		prog);
}

int main(int argc, char **argv)
{
	uint64_t before[N_COUNTERS], after[N_COUNTERS];
	char msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	char record_cmd[8];
	const char *expect = NULL;
	int expect_idx = -1;
	uint64_t duration = 2;
	long trace_lines;
	struct timespec ts;
	struct stat st;
	bool ok;
	unsigned int i;
	int opt, err;
	const struct arg_spec specs[] = {
		ARG_STR("expect", 'e', &expect),
		ARG_U64("duration", 'd', &duration, 1, 600),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	if (expect) {
		for (i = 1; i < N_COUNTERS; i++)
			if (!strcmp(expect, counters[i]) && strcmp(expect, "max_retries"))
				expect_idx = i;
		if (expect_idx < 0) {
			fprintf(stderr, "%s: --expect: '%s' is not one of retries, fallbacks, invalid, clamps\n",
				argv[0], expect);
			return KSFT_FAIL;
		}
	}

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("debugfs and clocksource switching need root\n");
	if (stat(DEBUGFS_DIR, &st))
		ksft_exit_skip(DEBUGFS_DIR " not there (tscpage not loaded, or debugfs not mounted)\n");
	/*
	 * Each counter, each tracepoint; the reads grew, the clock given
	 * back; with --expect, the counter moved and the trace holds it.
	 */
	ksft_set_plan(N_COUNTERS + N_EVENTS + 2 + (expect ? 2 : 0));

	for (i = 0; i < N_COUNTERS; i++) {
		err = read_counter(counters[i], &before[i]);
		ksft_test_result(!err, "counter %s reads%s%s (%" PRIu64 ")\n",
				 counters[i], err ? ": " : "",
				 err ? strerror(-err) : "", err ? 0 : before[i]);
	}
	for (i = 0; i < N_EVENTS; i++) {
		char path[256];

		snprintf(path, sizeof(path), EVENTS_DIR "%s", events[i]);
		ksft_test_result(!stat(path, &st), "tracepoint tscpage:%s in tracefs\n",
				 events[i]);
	}

	if (expect) {
		trace_clear();
		set_events(true, record_cmd, sizeof(record_cmd));
	}
	err = clock_take(&clock, "tscpage", msg, sizeof(msg));
	if (err) {
		ksft_print_msg("%s\n", msg);
		clock_give(&clock, msg, sizeof(msg));
		ksft_exit_fail_msg("%s; cannot go on without tscpage current\n",
				   msg);
	}

	/* 1000 syscalls, each at least one read of the clocksource. */
	read_counter("reads", &before[0]);
	for (i = 0; i < 1000; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	read_counter("reads", &after[0]);
	ksft_test_result(after[0] - before[0] >= 1000,
			 "reads grew by %" PRIu64 " over 1000 clock_gettime() calls\n",
			 after[0] - before[0]);

	if (expect) {
		for (i = 0; i < N_COUNTERS; i++)
			read_counter(counters[i], &before[i]);
		err = hammer_all(duration);
		for (i = 0; i < N_COUNTERS; i++)
			read_counter(counters[i], &after[i]);
		for (i = 0; i < N_COUNTERS; i++)
			ksft_print_msg("%-11s %" PRIu64 " -> %" PRIu64 "\n",
				       counters[i], before[i], after[i]);
		ksft_test_result(!err && after[expect_idx] > before[expect_idx],
				 "%s moved under %" PRIu64 " s of reads on every CPU (+%" PRIu64 ")\n",
				 expect, duration,
				 after[expect_idx] - before[expect_idx]);
		trace_lines = count_trace(strcmp(expect, "clamps") ?
					  "tscpage_fallback" : "tscpage_clamp");
		if (!strcmp(expect, "fallbacks") || !strcmp(expect, "invalid") ||
		    !strcmp(expect, "clamps"))
			ksft_test_result(trace_lines > 0,
					 "the trace holds %ld matching events\n",
					 trace_lines);
		else
			ksft_test_result(trace_lines >= 0,
					 "the trace is readable (%ld fallback events)\n",
					 trace_lines);
	}

	ok = clock_give(&clock, msg, sizeof(msg));
	if (expect)
		set_events(false, record_cmd, sizeof(record_cmd));
	ksft_test_result(ok, "%s\n", msg);
	ksft_finished();
}
