/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hvsim selftests share: the simulator's control device
 * (/dev/tscpage_hvsim), tscpage's events (/dev/tscpage), its debugfs
 * counters, errno names, and taking the clock as one result.
 */
#ifndef _TSCPAGE_SELFTESTS_HVSIM_UTIL_H
#define _TSCPAGE_SELFTESTS_HVSIM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

#include "kselftest.h"
#include "clock_takeover.h"

#define HVSIM_DEV	"/dev/tscpage_hvsim"
#define TSCPAGE_DEV	"/dev/tscpage"
#define TSCPAGE_DEBUGFS	"/sys/kernel/debug/tscpage/"

/* The symbolic name of @err ("EINVAL"), or strerror() for the rarer ones. */
const char *errname(int err);

/* "pvclock", "hvref" or "unknown". */
const char *format_name(uint32_t format);

/* The catalogue's name of @fault ("stuck_odd"), or "fault<N>". */
const char *fault_name(uint32_t fault);

/* @clock now, in ns. */
uint64_t clock_ns(clockid_t clock);

/*
 * The time the mapped tscpage @page of @format gives now, in ns, by the
 * shared reader. Attempts that meet the page mid-update (-EAGAIN, or a
 * reference page's sequence 0, -ENODATA) are repeated, @tries in all.
 * 0, or the reader's -errno of the last attempt.
 */
int page_now_ns(const void *page, uint32_t format, unsigned int tries,
		uint64_t *ns);

/* TSCPAGE_HVSIM_IOC_STATUS into @st (poisoned first); 0 or an errno. */
int hvsim_status(int fd, struct tscpage_hvsim_status *st);

/*
 * Waits up to @ms (polling every 10 ms) until the simulator has no fault
 * active; whether it got there. *@fault: the one still active, or 0 (also
 * when STATUS failed).
 */
bool hvsim_wait_idle(int fd, unsigned int ms, uint32_t *fault);

/* One line with every field of @st, for the evidence. */
void hvsim_status_print(const char *what, const struct tscpage_hvsim_status *st);

/*
 * The fields in which @a and @b differ, as "name a->b" separated by
 * spaces, into @buf; returns how many. page_ns and fault_ms_left are
 * never compared: they move with time alone.
 */
int hvsim_status_diff(const struct tscpage_hvsim_status *a,
		      const struct tscpage_hvsim_status *b,
		      char *buf, size_t size);

/* "seq 4 NOTIFIED CHANGED|ACKED cpu 1 khz 2000000->2000000 step 0 gen 4". */
void event_str(const struct tscpage_event *ev, char *buf, size_t size);

/*
 * One event from @fd (opened O_NONBLOCK): 1 with *@ev, 0 when there is
 * none, or -errno (-EPROTO: a short read).
 */
int event_read(int fd, struct tscpage_event *ev);

/* event_read() after waiting (poll()) up to @ms for one to come. */
int event_wait(int fd, int ms, struct tscpage_event *ev);

/*
 * /sys/kernel/debug/tscpage/@name as a number; 0 or -errno. Mounts debugfs
 * first if /sys/kernel/debug is empty.
 */
int debugfs_counter(const char *name, uint64_t *val);

/*
 * The start of every hvsim test, after ksft_print_header(): skips unless
 * root and the devices are there, opens /dev/tscpage_hvsim (returned) and,
 * when @tp is not NULL, /dev/tscpage with O_NONBLOCK into *@tp, and reads
 * STATUS into @st; fails the test on any error.
 */
int hvsim_open(int *tp, struct tscpage_hvsim_status *st);

/*
 * kselftest.h keeps its counters per source file, so the two helpers that
 * give KTAP results are static inline: they count in the test's own file.
 */

/*
 * Makes tscpage current (clock_takeover.h), as one result; the test cannot
 * go on otherwise (the clock is handed back, and it bails out).
 */
static inline void take_clock(struct clock_takeover *t)
{
	char msg[CLOCK_TAKEOVER_MSG];
	bool ok = !clock_take(t, "tscpage", msg, sizeof(msg));

	ksft_test_result(ok, "%s\n", msg);
	if (!ok) {
		ksft_test_result(clock_give(t, msg, sizeof(msg)), "%s\n", msg);
		ksft_exit_fail_msg("cannot go on without tscpage current\n");
	}
}

/* Hands the clock back, as one result. */
static inline void give_clock(const struct clock_takeover *t)
{
	char msg[CLOCK_TAKEOVER_MSG];

	ksft_test_result(clock_give(t, msg, sizeof(msg)), "%s\n", msg);
}

#endif /* _TSCPAGE_SELFTESTS_HVSIM_UTIL_H */
