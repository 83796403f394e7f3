// SPDX-License-Identifier: GPL-2.0
/*
 * perf_events - tscpage's tracepoints as Debian's perf records them.
 *
 * Every notification of a change gives three tracepoints, in this order:
 * tscpage:tscpage_notify (the provider spoke; hvsim: a hard interrupt),
 * tscpage:tscpage_ack (tscpage acknowledged, process context) and
 * tscpage:tscpage_event with type=notified (the event read() returns).
 *
 * Runs `perf record -e 'tscpage:*' -a -o FILE -- <this program>
 * --workload N`: perf starts its workload only once the events are on, so
 * nothing the workload causes is missed. The workload asks tscpage_hvsim
 * for N migrations (TSCPAGE_HVSIM_IOC_MIGRATE, the notification on each
 * CPU in turn) and waits for each one's event on /dev/tscpage. Then
 * `perf script -F time,event,trace --ns` is read back, and:
 *
 *  1. perf record ran the workload to its end (N migrations, each one's
 *     event read);
 *  2. the trace holds N of each of the three tracepoints;
 *  3. it is N runs of notify, ack, event(notified), each at or after the
 *     one before it in perf's time: nothing missing, nothing out of order;
 *  4. the notification-to-acknowledgement latency, from perf's
 *     timestamps: min, median, p90, max, a histogram (log2 buckets) and
 *     every value on one line, which the host draws its plot from;
 *  5. a fallback burst: with tscpage current and a thread reading
 *     CLOCK_MONOTONIC, hvsim holds the page mid-update for BURST_MS
 *     (stuck_odd, or seq_zero on a Hyper-V page); perf's
 *     tscpage:tscpage_fallback events must span about that long (at
 *     least half of it, at most BURST_SLACK_MS more; perf's own clock,
 *     not CLOCK_MONOTONIC, which tscpage would be giving).
 *
 * 6. The control: the same with one more change that hvsim makes without
 *    a notification (its change_nonotify fault; tscpage's watch finds it
 *    and reports it as detected). Check 3 must see that event without
 *    its notify and ack, or it could not tell.
 *
 * Skips when perf is not there (--perf PATH, default /usr/bin/perf).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "clocksource_sysfs.h"
#include "hvsim_util.h"

#define PERF_DATA	"/tmp/tscpage-perf.data"
#define WORKLOAD_OUT	"/tmp/tscpage-perf.workload"
#define EVENT_WAIT_MS	2000
/* How long the fault's change may take to be found by the watch. */
#define DETECT_WAIT_MS	3000
#define MAX_MIGRATIONS	1000
/* The page held mid-update: well inside unusable_ms (default 1000). */
#define BURST_MS	200
#define BURST_SLACK_MS	500

/* The three of a notification, in their order; then the others. */
enum tp { TP_NOTIFY, TP_ACK, TP_EVENT, TP_FALLBACK, TP_OTHER };
#define TP_RUN	TP_FALLBACK	/* the first that is not in the run */

static const char *const tp_names[] = {
	[TP_NOTIFY] = "tscpage:tscpage_notify",
	[TP_ACK] = "tscpage:tscpage_ack",
	[TP_EVENT] = "tscpage:tscpage_event",
	[TP_FALLBACK] = "tscpage:tscpage_fallback",
};

struct trace {
	unsigned int count[TP_OTHER + 1];
	unsigned int runs;		/* complete notify, ack, event runs */
	unsigned int broken;		/* tracepoints out of their run */
	char first_broken[640];
	uint64_t *lat_ns;		/* notify to ack, one per run */
	uint64_t fallback_first, fallback_last;
};

/* What the workload did, for the test (WORKLOAD_OUT). */
struct done {
	unsigned int answered;		/* migrations answered by an event */
	int burst;			/* 0, or -errno: the burst failed */
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--migrations N] [--perf PATH]\n"
		"  tscpage_hvsim and tscpage loaded; runs perf record over N\n"
		"  (default 20, at most %u) simulated migrations and checks\n"
		"  tscpage's tracepoints in perf script's output\n",
		prog, MAX_MIGRATIONS);
}

/* ----------------------------------------------------------- workload */

static atomic_bool reading;

static void *reader(void *arg)
{
	(void)arg;
	while (atomic_load(&reading))
		clock_ns(CLOCK_MONOTONIC);
	return NULL;
}

/*
 * With tscpage current and a thread reading the clock, the page held
 * mid-update for BURST_MS. 0 or -errno; the clock is handed back (the
 * kernel's own choice accepted, as everywhere: clocksource_restore()).
 */
static int burst(int hv)
{
	struct tscpage_hvsim_status st;
	struct tscpage_hvsim_fault_req req = { .for_ms = BURST_MS };
	struct timespec hold = { 0, (BURST_MS + 200) * 1000000L };
	char msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	pthread_t t;
	int err;

	if (hvsim_status(hv, &st))
		return -EIO;
	req.fault = st.format == TSCPAGE_FORMAT_PVCLOCK ?
		    TSCPAGE_HVSIM_FAULT_STUCK_ODD :
		    TSCPAGE_HVSIM_FAULT_SEQ_ZERO;
	err = clock_take(&clock, "tscpage", msg, sizeof(msg));
	if (err) {
		ksft_print_msg("%s\n", msg);
		clock_give(&clock, msg, sizeof(msg));
		return err;
	}
	atomic_store(&reading, true);
	err = -pthread_create(&t, NULL, reader, NULL);
	if (!err) {
		if (ioctl(hv, TSCPAGE_HVSIM_IOC_FAULT, &req))
			err = -errno;
		nanosleep(&hold, NULL);
		atomic_store(&reading, false);
		pthread_join(t, NULL);
	}
	if (!clock_give(&clock, msg, sizeof(msg)))
		ksft_print_msg("%s\n", msg);
	return err;
}

/*
 * Under perf record: @n migrations, each waited for, then the fallback
 * burst; with @fault, then one change without a notification, waited for
 * as a detected event. Writes struct done to WORKLOAD_OUT; exit 0 iff
 * every migration (and the fault's change) was answered.
 */
static int workload(unsigned int n, bool fault)
{
	struct done d = { .burst = -ENOEXEC };
	struct tscpage_event ev;
	unsigned int i, answered = 0;
	int hv, tp, cpus;
	FILE *out;

	hv = open(HVSIM_DEV, O_RDWR | O_CLOEXEC);
	tp = open(TSCPAGE_DEV, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (hv < 0 || tp < 0 || cpus < 1)
		return 1;
	while (event_read(tp, &ev) == 1)
		;	/* earlier events are not ours */
	for (i = 0; i < n; i++) {
		struct tscpage_hvsim_migrate m = { .cpu = (int)(i % cpus) };

		if (ioctl(hv, TSCPAGE_HVSIM_IOC_MIGRATE, &m) ||
		    event_wait(tp, EVENT_WAIT_MS, &ev) != 1 ||
		    ev.type != TSCPAGE_EVENT_NOTIFIED)
			break;
		answered++;
	}
	if (!fault && answered == n)
		d.burst = burst(hv);
	if (fault && answered == n) {
		struct tscpage_hvsim_fault_req req = {
			.fault = TSCPAGE_HVSIM_FAULT_CHANGE_NONOTIFY,
			.for_ms = 100,
		};

		if (!ioctl(hv, TSCPAGE_HVSIM_IOC_FAULT, &req) &&
		    event_wait(tp, DETECT_WAIT_MS, &ev) == 1 &&
		    ev.type == TSCPAGE_EVENT_DETECTED)
			answered++;
	}
	d.answered = answered;
	out = fopen(WORKLOAD_OUT, "w");
	if (out) {
		fprintf(out, "%u %d\n", d.answered, d.burst);
		fclose(out);
	}
	close(tp);
	close(hv);
	return answered == n + fault ? 0 : 1;
}

/* -------------------------------------------------------------- perf */

/* Runs @argv, its output to /dev/null; the wait status, or -1. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static enum tp tp_of(const char *name)
{
	for (int i = 0; i < TP_OTHER; i++)
		if (!strcmp(name, tp_names[i]))
			return i;
	return TP_OTHER;
}

/*
 * tscpage_event's type: perf prints the symbol ("type=notified") where its
 * libtraceevent reads __print_symbolic(), the number ("type=0x1") where
 * it does not (Debian 12's perf 6.1 over a 6.12 kernel).
 */
static bool is_notified(const char *line)
{
	const char *type = strstr(line, " type=");

	if (!type)
		return false;
	type += strlen(" type=");
	if (!strncmp(type, "notified", strlen("notified")))
		return true;
	return strtoul(type, NULL, 0) == TSCPAGE_EVENT_NOTIFIED &&
	       (type[0] >= '0' && type[0] <= '9');
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * perf script's lines, "SECONDS.NANOS: EVENT: FIELDS", into @t: each
 * notify must be followed by its ack and then by an event of
 * type=notified, each no earlier than the one before.
 */
static bool read_trace(const char *perf, unsigned int n, struct trace *t)
{
	char cmd[512], line[512], name[128];
	enum tp want = TP_NOTIFY;
	uint64_t t_notify = 0, prev = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->lat_ns = calloc(n + 2, sizeof(*t->lat_ns));
	snprintf(cmd, sizeof(cmd),
		 "%s script -i %s -F time,event,trace --ns 2>/dev/null",
		 perf, PERF_DATA);
	f = popen(cmd, "r");
	if (!f || !t->lat_ns)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, ns;
		uint64_t at;
		enum tp k;
		size_t len;

		if (sscanf(line, " %llu.%llu: %127s", &s, &ns, name) != 3)
			continue;
		len = strlen(name);
		if (len && name[len - 1] == ':')
			name[len - 1] = '\0';
		k = tp_of(name);
		t->count[k]++;
		at = s * 1000000000ULL + ns;
		if (k == TP_FALLBACK) {
			if (!t->fallback_first)
				t->fallback_first = at;
			t->fallback_last = at;
		}
		if (k >= TP_RUN)
			continue;
		if (k == want && at >= prev &&
		    (k != TP_EVENT || is_notified(line))) {
			if (k == TP_NOTIFY)
				t_notify = at;
			if (k == TP_ACK && t->runs <= n + 1)
				t->lat_ns[t->runs] = at - t_notify;
			if (k == TP_EVENT)
				t->runs++;
			want = (want + 1) % TP_RUN;
		} else {
			line[strcspn(line, "\n")] = '\0';
			if (!t->broken++)
				snprintf(t->first_broken,
					 sizeof(t->first_broken),
					 "%.500s where %s was due", line,
					 tp_names[want]);
			want = TP_NOTIFY;
		}
		prev = at;
	}
	return pclose(f) == 0;
}

/*
 * One perf record of the workload, read back into @t. 0, or what failed
 * (said with ksft_print_msg()).
 */
static int record(const char *self, const char *perf, unsigned int n,
		  bool fault, struct trace *t, struct done *d)
{
	char count[16];
	char *const argv[] = {
		(char *)perf, "record", "-q", "-a", "-e", "tscpage:*",
		"-o", PERF_DATA, "--", (char *)self, "--workload", count,
		fault ? "--fault" : NULL, NULL,
	};
	FILE *f;
	int st;

	snprintf(count, sizeof(count), "%u", n);
	unlink(PERF_DATA);
	unlink(WORKLOAD_OUT);
	st = run(argv);
	memset(d, 0, sizeof(*d));
	d->burst = -ENOEXEC;
	f = fopen(WORKLOAD_OUT, "r");
	if (f) {
		if (fscanf(f, "%u %d", &d->answered, &d->burst) != 2) {
			d->answered = 0;
			d->burst = -ENOEXEC;
		}
		fclose(f);
	}
	if (st == -1 || !WIFEXITED(st)) {
		ksft_print_msg("perf record did not end normally (status %#x)\n",
			       st);
		return -1;
	}
	if (!read_trace(perf, n, t)) {
		ksft_print_msg("perf script -i %s failed\n", PERF_DATA);
		return -1;
	}
	return 0;
}

/* log2 buckets of microseconds, in one diagnostic line. */
static void histogram(const uint64_t *lat, unsigned int n)
{
	unsigned int bucket[24] = { 0 };
	char line[512];
	size_t len = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t us = lat[i] / 1000;
		unsigned int b = 0;

		while (us > 1 && b < 23) {
			us >>= 1;
			b++;
		}
		bucket[b]++;
	}
	for (unsigned int b = 0; b < 24 && len < sizeof(line); b++)
		if (bucket[b])
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						" [%u us,%u us) %u", b ? 1u << b : 0,
						1u << (b + 1), bucket[b]);
	ksft_print_msg("notify to ack, histogram:%s\n", line);
}

/*
 * Every latency, in one diagnostic line: what a host draws its plot from
 * (the guest has no other way out than its KTAP).
 */
static void each(const uint64_t *lat, unsigned int n)
{
	char line[8192];
	size_t len = 0;

	for (unsigned int i = 0; i < n && len < sizeof(line) - 16; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					" %.1f", lat[i] / 1e3);
	ksft_print_msg("notify to ack, each (us):%s\n", line);
}

/* The results, in the order main() gives them. */
enum { R_ANSWERED, R_COUNTS, R_IN_ORDER, R_LATENCY, R_BURST, R_CONTROL,
       N_RESULTS };

int main(int argc, char **argv)
{
	const char *perf = "/usr/bin/perf";
	char self[4096];
	ssize_t len;
	uint64_t n = 20, w = 0;
	struct trace t, c;
	struct done d;
	bool fault = false, ok;
	int opt;
	const struct arg_spec specs[] = {
		ARG_U64("migrations", 0, &n, 1, MAX_MIGRATIONS),
		ARG_STR("perf", 0, &perf),
		ARG_U64("workload", 0, &w, 1, MAX_MIGRATIONS),
		ARG_FLAG("fault", 0, &fault),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	if (w)
		return workload((unsigned int)w, fault);

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("perf record -a and the hvsim device need root\n");
	if (access(perf, X_OK))
		ksft_exit_skip("no perf at %s (apt-get install linux-perf, or --perf PATH)\n",
			       perf);
	if (access(HVSIM_DEV, R_OK | W_OK) || access(TSCPAGE_DEV, R_OK))
		ksft_exit_skip("%s or %s not there: load tscpage_hvsim and tscpage\n",
			       HVSIM_DEV, TSCPAGE_DEV);
	/* perf runs the workload: this program by its path, not /proc/self. */
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		ksft_exit_fail_msg("readlink /proc/self/exe: %s\n", strerror(errno));
	self[len] = '\0';
	ksft_set_plan(N_RESULTS);

	if (record(self, perf, (unsigned int)n, false, &t, &d))
		ksft_exit_fail_msg("no trace to check\n");
	ksft_test_result(d.answered == n,
			 "perf record ran the workload: %u of %" PRIu64 " migrations answered by their event\n",
			 d.answered, n);
	ksft_test_result(t.count[TP_NOTIFY] == n && t.count[TP_ACK] == n &&
			 t.count[TP_EVENT] == n,
			 "perf script: %u notify, %u ack, %u event (want %" PRIu64 " each; %u fallback, %u other)\n",
			 t.count[TP_NOTIFY], t.count[TP_ACK],
			 t.count[TP_EVENT], n, t.count[TP_FALLBACK],
			 t.count[TP_OTHER]);
	if (t.broken)
		ksft_print_msg("first out of order: %s\n", t.first_broken);
	ksft_test_result(t.runs == n && !t.broken,
			 "every migration: notify, ack, event(notified), in order (%u runs, %u out of order)\n",
			 t.runs, t.broken);

	ok = t.runs > 0;
	if (ok) {
		unsigned int m = t.runs;

		qsort(t.lat_ns, m, sizeof(*t.lat_ns), cmp_u64);
		ksft_print_msg("notify to ack over %u migrations: min %.1f us, median %.1f us, p90 %.1f us, max %.1f us\n",
			       m, t.lat_ns[0] / 1e3, t.lat_ns[m / 2] / 1e3,
			       t.lat_ns[m * 9 / 10] / 1e3,
			       t.lat_ns[m - 1] / 1e3);
		histogram(t.lat_ns, m);
		each(t.lat_ns, m);
	}
	ksft_test_result(ok, "notification-to-acknowledgement latency from perf's timestamps\n");

	{
		uint64_t span = t.fallback_last - t.fallback_first;

		if (d.burst)
			ksft_print_msg("the burst did not run: %s\n",
				       errname(-d.burst));
		ksft_test_result(!d.burst && t.count[TP_FALLBACK] &&
				 span >= BURST_MS * 1000000ULL / 2 &&
				 span <= (BURST_MS + BURST_SLACK_MS) * 1000000ULL,
				 "fallback burst: %u tscpage_fallback over %.1f ms of perf's time, the page stuck %u ms\n",
				 t.count[TP_FALLBACK], span / 1e6, BURST_MS);
	}

	/* The control: a change without its notification. */
	if (record(self, perf, 2, true, &c, &d))
		ksft_exit_fail_msg("no trace for the control\n");
	if (c.broken)
		ksft_print_msg("control: %s\n", c.first_broken);
	ksft_test_result(d.answered == 3 && c.runs == 2 && c.broken == 1,
			 "control: a change hvsim made without notifying is seen out of order (%u answered, %u runs, %u out of order)\n",
			 d.answered, c.runs, c.broken);
	free(t.lat_ns);
	free(c.lat_ns);
	unlink(PERF_DATA);
	unlink(WORKLOAD_OUT);
	ksft_finished();
}
