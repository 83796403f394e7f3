// SPDX-License-Identifier: GPL-2.0
/*
 * with_clocksource NAME -- PROG [ARGS...] - run PROG with clocksource NAME
 * current, then hand the clock back.
 *
 * For programs that do not pick their clocksource themselves: the
 * kernel's own timers selftests in the peer suite. Makes NAME current,
 * runs PROG with its output left alone (its KTAP is the step's), checks
 * that NAME is still current when PROG ends, and restores the clocksource
 * that was current before (accepting the kernel's own choice when its
 * watchdog refused that one, as the other selftests do). Only diagnostic
 * lines ("# ...") of its own are printed, before and after PROG's output.
 *
 * Exit status: PROG's (0 pass, 4 skip, else fail), or 1 when NAME could
 * not be made current, changed during the run or could not be handed
 * back; 4 when not root or NAME is not registered; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "clock_takeover.h"

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s NAME -- PROG [ARGS...]\n"
		"  runs PROG with clocksource NAME current, then restores the previous one\n",
		prog);
}

/* KTAP for a PROG that did not run: one failed or skipped result. */
static int not_run(bool skip, const char *fmt, const char *a, const char *b)
{
	printf("KTAP version 1\n1..1\n");
	printf(skip ? "ok 1 # SKIP " : "not ok 1 ");
	printf(fmt, a, b);
	printf("\n");
	return skip ? KSFT_SKIP : KSFT_FAIL;
}

int main(int argc, char **argv)
{
	char now[CLOCKSOURCE_NAME_MAX], msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	const char *name;
	bool ok;
	int status, err, rc;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout, argv[0]);
		return 0;
	}
	if (argc < 4 || strcmp(argv[2], "--")) {
		usage(stderr, argv[0]);
		return 2;
	}
	name = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (geteuid())
		return not_run(true, "%s: switching clocksources needs root%s",
			       argv[3], "");
	if (!clocksource_available(name))
		return not_run(true, "%s: clocksource %s is not registered",
			       argv[3], name);
	err = clock_take(&clock, name, msg, sizeof(msg));
	if (err) {
		printf("# with_clocksource: %s\n", msg);
		clock_give(&clock, msg, sizeof(msg));
		printf("# with_clocksource: %s\n", msg);
		return not_run(false, "%s: cannot make the clocksource current: %s",
			       argv[3], strerror(-err));
	}
	printf("# with_clocksource: %s, for %s\n", msg, argv[3]);
	fflush(stdout);

	pid = fork();
	if (pid < 0) {
		perror("fork");
		rc = KSFT_FAIL;
		goto restore;
	}
	if (pid == 0) {
		execv(argv[3], argv + 3);
		fprintf(stderr, "exec %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("waitpid");
			status = 1 << 8;
			break;
		}
	}
	if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
	} else {
		printf("# with_clocksource: %s killed by signal %d\n", argv[3],
		       WTERMSIG(status));
		rc = KSFT_FAIL;
	}

	/* The program ran on NAME throughout only if NAME is still current. */
	err = clocksource_current(now, sizeof(now));
	if (err || strcmp(now, name)) {
		printf("# with_clocksource: %s no longer current after %s: %s\n",
		       name, argv[3], err ? strerror(-err) : now);
		rc = KSFT_FAIL;
	}
restore:
	ok = clock_give(&clock, msg, sizeof(msg));
	printf("# with_clocksource: %s%s\n", msg, ok ? "" : ": FAILED");
	return ok ? rc : KSFT_FAIL;
}
