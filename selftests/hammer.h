/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock_warp as a child: the hammer the disturbing tests (under_hammer,
 * stable_drop) run while they disturb the guest's time. Its output goes to
 * a temporary file; at the end it is shown and its KTAP results are kept,
 * so the caller can judge the checks that apply to what it did.
 */
#ifndef _TSCPAGE_SELFTESTS_HAMMER_H
#define _TSCPAGE_SELFTESTS_HAMMER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define HAMMER_RESULTS	64
#define HAMMER_TEXT	240

struct hammer {
	pid_t pid;
	char log[64];
	unsigned int nres;
	struct {
		int verdict;		/* 1 ok, 0 not ok, -1 skip */
		char text[HAMMER_TEXT];	/* "monotonic backward: ..." */
	} res[HAMMER_RESULTS];
};

/*
 * Starts clock_warp from this program's directory for @duration seconds
 * with "--events 3" and the further arguments @args (NULL-terminated, may
 * be NULL), and says so. Exits the test (ksft_exit_fail) when it cannot.
 */
void hammer_start(struct hammer *h, uint64_t duration,
		  const char *const *args);

/* Still running? Asks without reaping it: hammer_finish() does that. */
bool hammer_running(const struct hammer *h);

/* Ends its hammering now (SIGUSR1): it reports on the shorter run. */
void hammer_stop(const struct hammer *h);

enum hammer_show {
	HAMMER_SHOW_FAILED,	/* its output as "# warp| " lines if it failed,
				   else only its Totals line */
	HAMMER_SHOW_NESTED,	/* its whole KTAP nested by four spaces */
	HAMMER_SHOW_DIGEST,	/* its output if it failed, else one line
				   per clock: readings, each check's count
				   and largest value seen */
};

/*
 * Waits for it, shows its output, keeps its results; its exit status
 * (128 + signal when killed), -1 when it cannot be waited for.
 */
int hammer_finish(struct hammer *h, enum hammer_show show);

/*
 * Its result for "<clock> <check>" (e.g. "monotonic cross_cpu"): 1 ok,
 * 0 not ok, -1 skipped, -2 no such result (it died, or never got there);
 * its description into @buf.
 */
int hammer_verdict(const struct hammer *h, const char *clock_check,
		   char *buf, size_t size);

#endif /* _TSCPAGE_SELFTESTS_HAMMER_H */
