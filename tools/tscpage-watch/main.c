// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-watch - decode a hypervisor time page live, for watching a real
 * migration (issue #7 item 3).
 *
 * The page is polled every WATCH_POLL_MS (or every interval, if shorter)
 * so events are seen near when they happen; a line is printed every
 * interval, on a fixed CLOCK_MONOTONIC schedule that a late wakeup (the
 * guest paused for a migration) does not shift.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "options.h"
#include "output.h"
#include "sample.h"
#include "source.h"
#include "track.h"

#define WATCH_POLL_MS	10

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the sleep returns EINTR and the loop ends. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -1;
	return 0;
}

static __s64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__s64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(__s64 ns)
{
	struct timespec ts = {
		.tv_sec = ns / 1000000000,
		.tv_nsec = ns % 1000000000,
	};

	/* EINTR: the caller looks at stop_signal. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void on_event(const struct watch_event *ev, void *ctx)
{
	const struct watch_options *o = ctx;

	watch_print_event(o->json, ev);
}

int main(int argc, char **argv)
{
	struct watch_options o;
	struct watch_source src;
	struct watch_track t;
	struct watch_sample s;
	unsigned long lines = 0;
	__s64 interval, poll, next_line, next_poll, now;
	bool gen_valid;
	int ret;

	ret = watch_parse_options(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (watch_source_open(o.source, &src))
		return 2;
	if (watch_sample_init() || install_stop_handlers()) {
		perror("tscpage-watch: sigaction");
		return 2;
	}

	interval = (__s64)o.interval_ms * 1000000;
	poll = o.interval_ms < WATCH_POLL_MS ? interval :
					       (__s64)WATCH_POLL_MS * 1000000;
	watch_track_init(&t, o.step_ns, on_event, &o);
	watch_print_header(o.json, &src, o.interval_ms, o.step_ns);

	next_line = mono_now();
	while (!stop_signal) {
		now = mono_now();
		watch_sample_take(&src, &s);
		watch_track_feed(&t, &s);
		if (now >= next_line) {
			gen_valid = watch_source_refresh_info(&src);
			if (gen_valid)
				watch_track_generation(&t, s.raw_ns,
						       src.info.generation);
			watch_print_line(o.json, &src, gen_valid, &t, &s);
			t.changes_line = 0;
			if (++lines >= o.count && o.count)
				break;
			while (next_line <= now)
				next_line += interval;
		}
		next_poll = now + poll;
		sleep_until(next_poll < next_line ? next_poll : next_line);
	}

	if (!o.count || lines < o.count)
		watch_print_summary(o.json, &t, lines,
				    stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
	else
		watch_print_summary(o.json, &t, lines, "count");
	return 0;
}
