// SPDX-License-Identifier: GPL-2.0
/*
 * under_hammer - disturb the guest's time while clock_warp hammers every
 * clock on every CPU, and require both to come through clean.
 *
 *   under_hammer --switch N      [--duration S]
 *       switch the current clocksource N times, through every one the
 *       kernel offers, tscpage included, every 20 ms; the hammer's rate
 *       threshold is 2000 ppm here (see hammer_start()'s caller)
 *   under_hammer --reload N      [--duration S]
 *       unload and load tscpage.ko N times (tscpage_hvsim stays); the
 *       hammer leaves the page out, since an open /dev/tscpage pins the
 *       module, and tscpage is not current (a current clocksource pins it)
 *   under_hammer --ctl-migrate N [--duration S] [--ctl PATH]
 *       N migrations through the operator's tool (tscpage-ctl migrate,
 *       20 ms blackout, which waits for the acknowledgment), with tscpage
 *       current; a poll()er on /dev/tscpage must see N NOTIFIED events, in
 *       order, none lost, each ACKED
 *
 * The hammer is clock_warp from the same directory, run as a child for
 * --duration seconds (default 10); its KTAP output is kept and shown
 * when it fails. Results: the actions, the hammer's exit status, and for
 * --ctl-migrate the events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/tscpage.h>

#include "kselftest.h"
#include "args.h"
#include "clocksource_sysfs.h"
#include "kmod.h"
#include "sysfs_file.h"

#define AVAILABLE	"/sys/devices/system/clocksource/clocksource0/available_clocksource"
#define MAX_SOURCES	8
#define DEFAULT_CTL	"/opt/tscpage/bin/tscpage-ctl"

enum action { NONE, SWITCH, RELOAD, CTL_MIGRATE };

static const char *const action_names[] = {
	[SWITCH] = "clocksource switches",
	[RELOAD] = "reloads of tscpage.ko",
	[CTL_MIGRATE] = "tscpage-ctl migrations",
};

struct hammer {
	pid_t pid;
	char log[64];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * clock_warp beside this program, its output into a temporary file.
 * @max_ppm: its rate threshold, NULL for its default.
 */
static void hammer_start(struct hammer *h, uint64_t duration,
			 const char *clocks, const char *clocksource,
			 const char *max_ppm)
{
	char self[PATH_MAX], warp[PATH_MAX + 16], dur[24];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd;

	if (n < 0)
		ksft_exit_fail_perror("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(warp, sizeof(warp), "%s/clock_warp", dirname(self));
	snprintf(dur, sizeof(dur), "%llu", (unsigned long long)duration);
	snprintf(h->log, sizeof(h->log), "/tmp/under_hammer.%d", getpid());
	fd = open(h->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		ksft_exit_fail_perror("open the hammer's log");
	h->pid = fork();
	if (h->pid < 0)
		ksft_exit_fail_perror("fork");
	if (!h->pid) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (clocksource)
			execl(warp, "clock_warp", "--duration", dur, "--clock",
			      clocks, "--events", "3", "--clocksource",
			      clocksource, (char *)NULL);
		else if (max_ppm)
			execl(warp, "clock_warp", "--duration", dur, "--clock",
			      clocks, "--events", "3", "--max-ppm", max_ppm,
			      (char *)NULL);
		else
			execl(warp, "clock_warp", "--duration", dur, "--clock",
			      clocks, "--events", "3", (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", warp, strerror(errno));
		_exit(127);
	}
	close(fd);
	ksft_print_msg("hammer: %s --duration %s --clock %s%s%s (pid %d)\n",
		       warp, dur, clocks, clocksource ? " --clocksource " : "",
		       clocksource ? clocksource : "", h->pid);
}

/* Still running? Asks without reaping it: hammer_finish() does that. */
static bool hammer_running(const struct hammer *h)
{
	siginfo_t info = { 0 };

	if (waitid(P_PID, h->pid, &info, WEXITED | WNOHANG | WNOWAIT))
		return false;
	return info.si_pid == 0;
}

/* Waits for the hammer; its status, its output shown if it failed. */
static int hammer_finish(struct hammer *h)
{
	char line[512];
	int status;
	bool show;
	FILE *f;

	if (waitpid(h->pid, &status, 0) < 0)
		return -1;
	show = !WIFEXITED(status) || WEXITSTATUS(status);
	f = fopen(h->log, "r");
	while (f && fgets(line, sizeof(line), f))
		if (show || strstr(line, "Totals"))
			ksft_print_msg("  warp| %s", line);
	if (f)
		fclose(f);
	unlink(h->log);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* --switch: the clocksources the kernel takes, in turn. */
static int do_switches(uint64_t n, const struct hammer *h, uint64_t *during)
{
	char avail[512], names[MAX_SOURCES][CLOCKSOURCE_NAME_MAX];
	unsigned int k = 0, count = 0;
	char *tok, *save;
	uint64_t i;
	int fails = 0, err;

	if (sysfs_read_line(AVAILABLE, avail, sizeof(avail)))
		ksft_exit_fail_msg("cannot read %s\n", AVAILABLE);
	for (tok = strtok_r(avail, " ", &save); tok && count < MAX_SOURCES;
	     tok = strtok_r(NULL, " ", &save))
		snprintf(names[count++], CLOCKSOURCE_NAME_MAX, "%s", tok);
	ksft_print_msg("switching through %u clocksources: %s%s%s%s\n", count,
		       names[0], count > 1 ? ", ..." : "", count > 1 ? " " : "",
		       count > 1 ? names[count - 1] : "");
	for (i = 0; i < n; i++, k = (k + 1) % count) {
		err = clocksource_select(names[k]);
		if (err) {
			ksft_print_msg("switch %llu to %s: %s\n",
				       (unsigned long long)i, names[k],
				       strerror(-err));
			fails++;
		}
		*during += hammer_running(h);
		usleep(20000);
	}
	return fails;
}

/* --reload: tscpage out and in again, N times. */
static int do_reloads(uint64_t n, const struct hammer *h, uint64_t *during)
{
	uint64_t i;
	int fails = 0, err;

	for (i = 0; i < n; i++) {
		err = kmod_unload("tscpage");
		if (!err)
			err = kmod_load("tscpage", "");
		if (err) {
			ksft_print_msg("reload %llu: %s\n", (unsigned long long)i,
				       strerror(-err));
			fails++;
			if (!kmod_loaded("tscpage"))
				break;
		}
		*during += hammer_running(h);
	}
	return fails;
}

/* --ctl-migrate: the poll()er's tally. */
struct poller {
	int fd;
	atomic_bool stop;
	uint64_t seen, notified, acked, first_seq, last_seq, gaps;
};

static void *poller_fn(void *arg)
{
	struct poller *p = arg;
	struct tscpage_event ev[16];
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	ssize_t got;
	int i;

	while (!atomic_load(&p->stop)) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		got = read(p->fd, ev, sizeof(ev));
		for (i = 0; got > 0 && i < got / (ssize_t)sizeof(ev[0]); i++) {
			if (p->seen && ev[i].seq != p->last_seq + 1)
				p->gaps++;
			if (!p->seen)
				p->first_seq = ev[i].seq;
			p->last_seq = ev[i].seq;
			p->seen++;
			p->notified += ev[i].type == TSCPAGE_EVENT_NOTIFIED;
			p->acked += !!(ev[i].flags & TSCPAGE_EVENT_ACKED);
		}
	}
	return NULL;
}

static int run_ctl(const char *ctl)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execl(ctl, "tscpage-ctl", "migrate", "--blackout-ms", "20",
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int do_ctl_migrations(uint64_t n, const char *ctl,
			     const struct hammer *h, uint64_t *during)
{
	uint64_t i;
	int fails = 0, st;

	for (i = 0; i < n; i++) {
		st = run_ctl(ctl);
		if (st) {
			ksft_print_msg("migration %llu: %s exited %d\n",
				       (unsigned long long)i, ctl, st);
			fails++;
		}
		*during += hammer_running(h);
	}
	return fails;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "switch", required_argument, NULL, 's' },
		{ "reload", required_argument, NULL, 'r' },
		{ "ctl-migrate", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char prev[CLOCKSOURCE_NAME_MAX], now[CLOCKSOURCE_NAME_MAX];
	const char *ctl = DEFAULT_CTL;
	struct poller p = { .fd = -1 };
	uint64_t n = 0, duration = 10, during = 0;
	enum action what = NONE;
	struct hammer h;
	pthread_t poll_thread;
	int opt, fails, warp;
	bool refused;
	double t0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
		case 'r':
		case 'm':
			if (what != NONE) {
				fprintf(stderr, "%s: one of --switch, --reload, --ctl-migrate\n",
					argv[0]);
				return KSFT_FAIL;
			}
			what = opt == 's' ? SWITCH : opt == 'r' ? RELOAD :
			       CTL_MIGRATE;
			if (!arg_u64(argv[0], opts[what - 1].name, optarg, 1,
				     10000, &n))
				return KSFT_FAIL;
			break;
		case 'd':
			if (!arg_u64(argv[0], "duration", optarg, 1, 3600,
				     &duration))
				return KSFT_FAIL;
			break;
		case 'c':
			ctl = optarg;
			break;
		case 'h':
			printf("usage: %s --switch N | --reload N | --ctl-migrate N [--duration S] [--ctl PATH]\n",
			       argv[0]);
			return KSFT_PASS;
		default:
			return KSFT_FAIL;
		}
	}
	if (what == NONE || optind != argc) {
		fprintf(stderr, "usage: %s --switch N | --reload N | --ctl-migrate N [--duration S] [--ctl PATH]\n",
			argv[0]);
		return KSFT_FAIL;
	}

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (clocksource_current(prev, sizeof(prev)))
		ksft_exit_fail_msg("cannot read the current clocksource\n");
	if (what == RELOAD && !strcmp(prev, "tscpage"))
		ksft_exit_fail_msg("tscpage is current: it cannot be unloaded\n");
	if (what == CTL_MIGRATE) {
		if (access(ctl, X_OK))
			ksft_exit_skip("%s not there\n", ctl);
		p.fd = open("/dev/tscpage", O_RDONLY | O_NONBLOCK);
		if (p.fd < 0)
			ksft_exit_skip("/dev/tscpage: %s\n", strerror(errno));
		if (pthread_create(&poll_thread, NULL, poller_fn, &p))
			ksft_exit_fail_msg("pthread_create\n");
	}
	ksft_set_plan(what == CTL_MIGRATE ? 4 : 3);

	/*
	 * Every clocksource switch leaves the clocks up to ~100 us behind
	 * the TSC under TCG (seen: 99 us, each clock, every kernel's own
	 * clocksources alike); tsc_step still bounds each at 500 us, but 20
	 * switches a second read as about -265 ppm, so the rate check gets
	 * room for them.
	 */
	hammer_start(&h, duration,
		     what == RELOAD ? "monotonic,raw,coarse,boottime,realtime,tsc" :
		     "all", what == CTL_MIGRATE ? "tscpage" : NULL,
		     what == SWITCH ? "2000" : NULL);
	/* Let the hammer settle and take its bare-rate baseline. */
	sleep(2);
	t0 = now_s();
	if (what == SWITCH)
		fails = do_switches(n, &h, &during);
	else if (what == RELOAD)
		fails = do_reloads(n, &h, &during);
	else
		fails = do_ctl_migrations(n, ctl, &h, &during);
	ksft_test_result(!fails, "%llu %s in %.1f s, %d failed, %llu while the hammer ran\n",
			 (unsigned long long)n, action_names[what], now_s() - t0,
			 fails, (unsigned long long)during);
	if (during < n)
		ksft_print_msg("the hammer ended before the last %llu: raise --duration\n",
			       (unsigned long long)(n - during));

	warp = hammer_finish(&h);
	ksft_test_result(!warp, "hammer (clock_warp) through it all: exit %d\n",
			 warp);

	if (what == CTL_MIGRATE) {
		usleep(300000);
		atomic_store(&p.stop, true);
		pthread_join(poll_thread, NULL);
		ksft_test_result(p.notified == n && p.acked == n && !p.gaps &&
				 p.seen == n,
				 "poll()er on /dev/tscpage: %llu events (seq %llu..%llu), %llu NOTIFIED, %llu ACKED, %llu gaps; wanted %llu of each, no gap\n",
				 (unsigned long long)p.seen,
				 (unsigned long long)p.first_seq,
				 (unsigned long long)p.last_seq,
				 (unsigned long long)p.notified,
				 (unsigned long long)p.acked,
				 (unsigned long long)p.gaps,
				 (unsigned long long)n);
	}
	if (clocksource_restore(prev, now, sizeof(now), &refused))
		ksft_test_result_fail("clocksource not handed back to %s\n", prev);
	else
		ksft_test_result_pass("clocksource handed back: %s%s\n", now,
				      refused ? " (the kernel refused the previous one)" : "");
	ksft_finished();
}
