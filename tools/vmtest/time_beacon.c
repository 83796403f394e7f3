// SPDX-License-Identifier: GPL-2.0
/*
 * time_beacon - the guest's side of vmtest's migration mode.
 *
 * usage: time_beacon [--port DEV] [--interval-ms N] [--tag NAME]
 *                    [--clocksource NAME | --away] [--events] [--hang-s S]
 *                    -- PROG [ARGS...]
 *
 * Makes NAME the current clocksource (if given; the one it found is made
 * current again at the end), runs PROG (the hammer:
 * /opt/tscpage/selftests/PROG unless PROG has a '/') with its output on
 * our stdout, and while it runs writes a beacon line every N ms (default
 * 10) on DEV (default /dev/ttyS3), which the host timestamps as it
 * arrives:
 *
 *   S TAG CLOCKSOURCE INTERVAL_MS        once, before PROG starts
 *   K TAG CLOCKSOURCE                     the one current 1 s into the run
 *   B TAG SEQ MONO REAL BOOT TSC          every N ms: CLOCK_MONOTONIC,
 *                                         CLOCK_REALTIME, CLOCK_BOOTTIME in
 *                                         ns, the raw TSC in cycles
 *   C ID RC OUTPUT...                     a command the host sent, done
 *   E TAG STATUS                          PROG's exit status, last
 *
 * The host may send lines "X ID ARGS..." on DEV: ARGS are run as
 * /opt/tscpage/bin/tscpage-ctl ARGS (to inject a fault at the moment of a
 * migration); the answer is a C line. The word "{cs}" in PROG's ARGS is
 * replaced by the clocksource current when we start, so that a hammer
 * which wants a name can be given the kernel's own choice. With --away we
 * first make another clocksource current (and put the kernel's back at
 * the end), so that a hammer that switches to {cs} and hands the clock
 * back really switches.
 *
 * --events also reads tscpage's migration events (/dev/tscpage, opened
 * before PROG starts) at the end and prints each; one that says the page
 * stepped back (TSCPAGE_EVENT_BACKWARD), or tscpage's debugfs distrust
 * set, makes the exit status 1: on a real hypervisor a pause or a
 * migration must not read as time going back.
 *
 * Each sample reads the TSC before and after the three clocks and keeps
 * the tightest of three tries, so that the clocks and the TSC in one line
 * are of one instant to within a few microseconds. The loop runs SCHED_FIFO
 * so that the hammer on every CPU does not delay it.
 *
 * --hang-s S: a PROG still running S seconds (CLOCK_MONOTONIC) after it
 * started is hung: what each of its threads is doing is printed
 * (hang_report.c), then it is killed and the exit status is 1. Without
 * it, only the plan step's timeout ends a hung PROG, and says nothing.
 *
 * At the end prints, as KTAP diagnostics on stdout, the largest and
 * smallest step of each clock between two beacons and any backward step.
 * Exits with PROG's status (0 pass, 4 skip, else fail); the judging of
 * the beacons against the host's events is the host's job.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <linux/tscpage.h>

#include "hang_report.h"

#define TEST_DIR	"/opt/tscpage/selftests"
#define CTL_PATH	"/opt/tscpage/bin/tscpage-ctl"
#define CS_FILE		"/sys/devices/system/clocksource/clocksource0/current_clocksource"
#define DEBUGFS_DIR	"/sys/kernel/debug/tscpage/"
#define MAX_ARGS	64
#define NCLK		4	/* mono, real, boot, tsc */

static const char *const clk_name[NCLK] = { "monotonic", "realtime",
					    "boottime", "tsc(cycles)" };

struct sample {
	uint64_t v[NCLK];
};

struct track {
	int64_t max, min;
	uint64_t max_seq, min_seq, backward;
};

static int port = -1;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void take(struct sample *s)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 3; i++) {
		uint64_t t0 = rdtsc(), m = ts_ns(CLOCK_MONOTONIC),
			 r = ts_ns(CLOCK_REALTIME), b = ts_ns(CLOCK_BOOTTIME),
			 t1 = rdtsc();

		if (t1 - t0 < best) {
			best = t1 - t0;
			s->v[0] = m;
			s->v[1] = r;
			s->v[2] = b;
			s->v[3] = t0 + (t1 - t0) / 2;
		}
	}
}

static void port_line(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void port_line(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t off = 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	while (off < (size_t)n) {
		ssize_t w = write(port, buf + off, (size_t)n - off);

		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				poll(&(struct pollfd){ .fd = port,
						       .events = POLLOUT }, 1, 10);
				continue;
			}
			return;
		}
		off += (size_t)w;
	}
}

static int read_cs(char *buf, size_t len)
{
	FILE *f = fopen(CS_FILE, "r");

	if (!f || !fgets(buf, (int)len, f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int select_cs(const char *name)
{
	char now[64];
	FILE *f = fopen(CS_FILE, "w");

	if (!f)
		return -1;
	fputs(name, f);
	if (fclose(f))
		return -1;
	return read_cs(now, sizeof(now)) || strcmp(now, name) ? -1 : 0;
}

/* Makes some clocksource other than @cur (and tscpage) current. */
static int go_away(const char *cur)
{
	char list[512], *save, *w;
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/available_clocksource",
			"r");

	if (!f || !fgets(list, sizeof(list), f)) {
		if (f)
			fclose(f);
		printf("# time_beacon: --away: no available_clocksource\n");
		return -1;
	}
	fclose(f);
	for (w = strtok_r(list, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
		if (!strcmp(w, cur) || !strcmp(w, "tscpage") || select_cs(w))
			continue;
		printf("# time_beacon: --away: %s current until the hammer switches to %s\n",
		       w, cur);
		return 0;
	}
	printf("# time_beacon: --away: no clocksource but %s to move to\n", cur);
	return -1;
}

/* Runs tscpage-ctl with the words of @args; answers with a C line. */
static void run_command(char *line)
{
	char *argv[MAX_ARGS + 2], *save, *w, *id;
	char out[512] = "";
	int argc = 0, pfd[2], status = 0;
	ssize_t n, len = 0;
	pid_t pid;

	id = strtok_r(line, " \t", &save);
	if (!id)
		return;
	argv[argc++] = "tscpage-ctl";
	while ((w = strtok_r(NULL, " \t", &save)) && argc < MAX_ARGS)
		argv[argc++] = w;
	argv[argc] = NULL;
	if (pipe(pfd)) {
		port_line("C %s 127 pipe: %s", id, strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct sched_param sp = { 0 };

		sched_setscheduler(0, SCHED_OTHER, &sp);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execv(CTL_PATH, argv);
		dprintf(2, "exec %s: %s", CTL_PATH, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while (pid > 0 && (n = read(pfd[0], out + len,
				    sizeof(out) - 1 - (size_t)len)) > 0)
		len += n;
	close(pfd[0]);
	out[len] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (pid > 0)
		waitpid(pid, &status, 0);
	port_line("C %s %d %s", id,
		  pid < 0 ? 127 : WIFEXITED(status) ? WEXITSTATUS(status) : 128,
		  out);
	printf("# time_beacon: command %s: tscpage-ctl", id);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf(": %s\n", out);
	fflush(stdout);
}

/* Host input: lines "X ID ARGS...". */
static void read_commands(void)
{
	static char buf[1024];
	static size_t len;
	ssize_t n;
	char *nl;

	n = read(port, buf + len, sizeof(buf) - 1 - len);
	if (n <= 0)
		return;
	len += (size_t)n;
	buf[len] = '\0';
	while ((nl = memchr(buf, '\n', len))) {
		*nl = '\0';
		if (buf[0] == 'X' && buf[1] == ' ')
			run_command(buf + 2);
		len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, len);
	}
	if (len == sizeof(buf) - 1)
		len = 0;	/* an overlong line: drop it */
}

/*
 * Prints the events waiting on @fd (/dev/tscpage, non-blocking); returns
 * how many said BACKWARD.
 */
static int print_events(int fd, const char *tag)
{
	static const char *const type[] = { "?", "NOTIFIED", "DETECTED",
					    "WITHDRAWN" };
	struct tscpage_event e;
	int n = 0, back = 0;

	while (read(fd, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		n++;
		if (e.flags & TSCPAGE_EVENT_BACKWARD)
			back++;
		printf("# time_beacon: %s: tscpage event %" PRIu64 ": %s%s%s%s%s, %u -> %u kHz, step %+" PRId64 " ns, generation %" PRIu64 "\n",
		       tag, (uint64_t)e.seq, type[e.type < 4 ? e.type : 0],
		       e.flags & TSCPAGE_EVENT_CHANGED ? " CHANGED" : "",
		       e.flags & TSCPAGE_EVENT_GUEST_STOPPED ? " GUEST_STOPPED" : "",
		       e.flags & TSCPAGE_EVENT_ACKED ? " ACKED" : "",
		       e.flags & TSCPAGE_EVENT_BACKWARD ? " BACKWARD" : "",
		       e.old_tsc_khz, e.new_tsc_khz, (int64_t)e.step_ns,
		       (uint64_t)e.generation);
	}
	printf("# time_beacon: %s: %d tscpage events, %d BACKWARD\n", tag, n,
	       back);
	return back;
}

/*
 * A number in tscpage's debugfs, or -1: distrust (1 once it saw its page
 * step back), cpu0_withheld (pauses after which CPU 0's page was kept from
 * the vDSO).
 */
static long long read_debugfs(const char *name)
{
	char path[128], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), DEBUGFS_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return atoll(buf);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--port DEV] [--interval-ms N] [--tag NAME]\n"
		"          [--clocksource NAME | --away] [--events] [--hang-s S]\n"
		"          -- PROG [ARGS...]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "tag", required_argument, NULL, 't' },
		{ "clocksource", required_argument, NULL, 'c' },
		{ "away", no_argument, NULL, 'a' },
		{ "events", no_argument, NULL, 'e' },
		{ "hang-s", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = "/dev/ttyS3", *tag = "run", *cs = NULL;
	char *hargv[MAX_ARGS + 1], path[512], cur[64] = "?", before[64] = "";
	struct track tr[NCLK];
	struct sample prev, s;
	struct timespec next, start;
	struct termios t;
	long interval_ms = 10, hang_s = 0;
	uint64_t seq = 0;
	int opt, status = 0, hargc = 0, away = 0, events = 0, evfd = -1;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': dev = optarg; break;
		case 'i':
			interval_ms = strtol(optarg, NULL, 10);
			if (interval_ms < 1 || interval_ms > 10000)
				usage(argv[0]);
			break;
		case 't': tag = optarg; break;
		case 'c': cs = optarg; break;
		case 'a': away = 1; break;
		case 'e': events = 1; break;
		case 'H':
			hang_s = strtol(optarg, NULL, 10);
			if (hang_s < 1 || hang_s > 100000)
				usage(argv[0]);
			break;
		default: usage(argv[0]);
		}
	}
	if (optind >= argc || argc - optind > MAX_ARGS)
		usage(argv[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	port = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (port < 0) {
		printf("# time_beacon: open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (!tcgetattr(port, &t)) {
		cfmakeraw(&t);
		cfsetspeed(&t, B115200);
		tcsetattr(port, TCSANOW, &t);
	}
	tcflush(port, TCIFLUSH);
	if (cs && read_cs(before, sizeof(before)))
		before[0] = '\0';
	if (cs && select_cs(cs)) {
		read_cs(cur, sizeof(cur));
		printf("# time_beacon: cannot make %s current (current: %s)\n",
		       cs, cur);
		port_line("E %s 1", tag);
		return 1;
	}
	read_cs(cur, sizeof(cur));
	if (away && go_away(cur))
		away = 0;
	printf("# time_beacon: %s: clocksource %s, a beacon every %ld ms on %s\n",
	       tag, cur, interval_ms, dev);

	for (int i = optind; i < argc; i++)
		hargv[hargc++] = strcmp(argv[i], "{cs}") ? argv[i] : cur;
	hargv[hargc] = NULL;
	if (strchr(hargv[0], '/'))
		snprintf(path, sizeof(path), "%s", hargv[0]);
	else
		snprintf(path, sizeof(path), TEST_DIR "/%s", hargv[0]);

	if (events) {
		evfd = open("/dev/tscpage", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (evfd < 0)
			printf("# time_beacon: /dev/tscpage: %s: no events\n",
			       strerror(errno));
	}
	port_line("S %s %s %ld", tag, cur, interval_ms);
	take(&prev);
	pid = fork();
	if (pid < 0) {
		printf("# time_beacon: fork: %s\n", strerror(errno));
		port_line("E %s 1", tag);
		return 1;
	}
	if (pid == 0) {
		execv(path, hargv);
		printf("# time_beacon: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	{
		struct sched_param sp = { .sched_priority = 50 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			printf("# time_beacon: SCHED_FIFO: %s\n",
			       strerror(errno));
	}

	memset(tr, 0, sizeof(tr));
	for (int c = 0; c < NCLK; c++)
		tr[c].min = INT64_MAX;
	clock_gettime(CLOCK_MONOTONIC, &next);
	start = next;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (hang_s && next.tv_sec - start.tv_sec >= hang_s) {
			printf("# time_beacon: %s still running %ld s after it started: hung\n",
			       hargv[0], hang_s);
			hang_report(stdout, pid);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) != pid && errno == EINTR)
				;
			status = 1 << 8;	/* exit status 1 */
			break;
		}
		take(&s);
		port_line("B %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			  " %" PRIu64, tag, seq, s.v[0], s.v[1], s.v[2], s.v[3]);
		if (seq) {
			for (int c = 0; c < NCLK; c++) {
				int64_t d = (int64_t)(s.v[c] - prev.v[c]);

				if (d < 0)
					tr[c].backward++;
				if (d > tr[c].max) {
					tr[c].max = d;
					tr[c].max_seq = seq;
				}
				if (d < tr[c].min) {
					tr[c].min = d;
					tr[c].min_seq = seq;
				}
			}
		}
		prev = s;
		if (++seq == (uint64_t)(1000 / interval_ms)) {
			char now[64] = "?";

			read_cs(now, sizeof(now));
			port_line("K %s %s", tag, now);
			printf("# time_beacon: %s: clocksource %s 1 s into the run\n",
			       tag, now);
		}
		read_commands();
		next.tv_nsec += interval_ms * 1000000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		{
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			/* Behind by more than a period (a clock jump, a
			 * long preemption): no burst to catch up. */
			if (now.tv_sec > next.tv_sec + 1 ||
			    (now.tv_sec - next.tv_sec) * 1000000000L +
			    now.tv_nsec - next.tv_nsec > interval_ms * 1000000L)
				next = now;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
	}
	for (int c = 0; c < NCLK && seq > 1; c++)
		printf("# time_beacon: %s: %" PRIu64 " beacons, steps %+.3f .. %+.3f %s (seq %" PRIu64
		       " .. %" PRIu64 "), %" PRIu64 " backward\n",
		       clk_name[c], seq, tr[c].min / (c == 3 ? 1e3 : 1e6),
		       tr[c].max / (c == 3 ? 1e3 : 1e6),
		       c == 3 ? "kcycles" : "ms", tr[c].min_seq, tr[c].max_seq,
		       tr[c].backward);
	if (away && select_cs(cur))
		printf("# time_beacon: cannot make %s current again\n", cur);
	/* Hand the clock back, so that the module under test can unload. */
	if (before[0] && strcmp(before, cs) && select_cs(before))
		printf("# time_beacon: cannot make %s current again\n", before);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (evfd >= 0) {
		int back = print_events(evfd, tag);
		long long distrust = read_debugfs("distrust");

		printf("# time_beacon: %s: tscpage distrust %lld, cpu0_withheld %lld\n",
		       tag, distrust, read_debugfs("cpu0_withheld"));
		if ((back || distrust > 0) && !status)
			status = 1;
		close(evfd);
	}
	port_line("E %s %d", tag, status);
	tcdrain(port);
	return status;
}
