// SPDX-License-Identifier: GPL-2.0
/*
 * under_hammer - disturb the guest's time while clock_warp hammers every
 * clock on every CPU, and require both to come through clean.
 *
 *   under_hammer --switch N      [--duration S]
 *       switch the current clocksource N times, through every one the
 *       kernel offers, tscpage included, every 20 ms; the hammer's rate
 *       threshold is 2000 ppm here (see hammer_start()'s caller)
 *   under_hammer --reload N [--current] [--duration S]
 *       unload and load tscpage.ko N times (tscpage_hvsim stays); the
 *       hammer leaves the page out, since an open /dev/tscpage pins the
 *       module, and tscpage is not current (a current clocksource pins it)
 *       unless --current: then each load is followed by making tscpage
 *       current, and each unload preceded by handing the clocks back to
 *       the clocksource that was current at the start (the soak of
 *       tools/vmtest/debug-kernel/: registration, the switch in and out,
 *       and unregistration, each a thousand times on a debug kernel)
 *   under_hammer --ctl-migrate N [--late K] [--duration S] [--ctl PATH]
 *       N migrations through the operator's tool (tscpage-ctl migrate,
 *       20 ms blackout, which waits for the acknowledgment), with tscpage
 *       current; a poll()er on /dev/tscpage must see N NOTIFIED events, in
 *       order, none lost, each ACKED, and no other event but the watch's
 *       DETECTED of a migration whose notification came late (see
 *       struct poller). Then K more through tscpage_hvsim's notify_late
 *       fault, each told LATE_MS after it: the poll()er must count each
 *       as late over pvclock (the page's GUEST_STOPPED, newly set, is a
 *       change the watch reports before the notification comes) and none
 *       over hvref (the page does not change): the proof that the late
 *       pairs it forgives are these and only these
 *   under_hammer --desync N [--cpu C] [--cycles X] [--duration S]
 *       N times, every 200 ms, move one CPU's TSC (default the last CPU)
 *       by +X, -X, +X, ... cycles (default 1 ms of TSC; the net is undone
 *       at the end) through tscpage_hvsim's DESYNC ioctl, with tscpage
 *       current over whatever provider it has (the point: provider=kvm,
 *       whose page must absorb a guest's TSC write). Needs tscpage_hvsim
 *       allow_tsc_writes=1; SKIP where the CPU ignores TSC writes (TCG:
 *       status TSC_IGNORED, the ioctl EOPNOTSUPP). The hammer reads only
 *       CLOCK_MONOTONIC and _RAW (the raw TSC and the page are desynced
 *       by design, and its TSC-step and rate checks with them); what
 *       counts is its backward and cross_cpu checks on those two.
 *
 * The hammer is clock_warp from the same directory, run as a child for
 * --duration seconds (default 10), or with --stop-when-done until the
 * actions are done if that is sooner (the soak's thousands of actions
 * take a time a debug kernel decides: --duration is then their bound);
 * its KTAP output is kept and shown when it fails (nested whole for
 * --desync). --max-jump-ms MS hands it another jump bound (a gap
 * between two readings of a thread; its own default is 2000): the debug
 * kernel's instruction-counted guest, whose two vCPUs share one TCG
 * thread, has left a hammer thread unrun for 2.7 s of guest time, every
 * clock and the TSC jumping alike. Results: the actions, the
 * hammer's exit status (for --desync its backward and cross_cpu results
 * instead), and for --ctl-migrate the events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <sched.h>
#include <sys/ioctl.h>
#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

#include "kselftest.h"
#include "args.h"
#include "cpus.h"
#include "clocksource_sysfs.h"
#include "hammer.h"
#include "hvsim_util.h"
#include "kmod.h"
#include "sysfs_file.h"

#define AVAILABLE	"/sys/devices/system/clocksource/clocksource0/available_clocksource"
#define MAX_SOURCES	8
#define DEFAULT_CTL	"/opt/tscpage/bin/tscpage-ctl"
/* --late: the notification this long after its migration (watch: 100 ms) */
#define LATE_MS		600

enum action { NONE, SWITCH, RELOAD, CTL_MIGRATE, DESYNC };

static const char *const action_names[] = {
	[SWITCH] = "clocksource switches",
	[RELOAD] = "reloads of tscpage.ko",
	[CTL_MIGRATE] = "tscpage-ctl migrations",
	[DESYNC] = "TSC desyncs of one CPU",
};

/* What --desync hammers, and the checks of the hammer's that count. */
static const char *const desync_judged[] = {
	"monotonic backward", "monotonic cross_cpu",
	"raw backward", "raw cross_cpu",
};
#define N_DESYNC_JUDGED	(sizeof(desync_judged) / sizeof(desync_judged[0]))

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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

/*
 * --reload: tscpage out and in again, N times; with @current (the name
 * of the clocksource to hand back to) made current in between.
 */
static int do_reloads(uint64_t n, const char *current, const struct hammer *h,
		      uint64_t *during)
{
	const char *step;
	uint64_t i;
	int fails = 0, err;

	for (i = 0; i < n; i++) {
		step = "drop";
		err = current ? clocksource_select(current) : 0;
		if (!err) {
			step = "unload";
			err = kmod_unload("tscpage");
		}
		if (!err) {
			step = "load";
			err = kmod_load("tscpage", "");
		}
		if (!err && current) {
			step = "make current";
			err = clocksource_select("tscpage");
		}
		if (err) {
			ksft_print_msg("reload %llu: %s: %s\n",
				       (unsigned long long)i, step,
				       strerror(-err));
			fails++;
			if (!kmod_loaded("tscpage"))
				break;
		}
		*during += hammer_running(h);
	}
	return fails;
}

/*
 * --ctl-migrate: the poll()er's tally. A notification that comes later
 * than a round of tscpage's watch (100 ms) after the migration's page
 * (a vCPU of a TCG guest on a busy host can stand still that long) is
 * reported twice, as reenlighten.c says: DETECTED (CHANGED, no BACKWARD)
 * by the watch, then NOTIFIED without CHANGED, the watch having taken
 * the change already. Such a pair counts as one migration, "late"; any
 * other event is "odd" and fails the test. Every event but a NOTIFIED
 * is printed. Late pairs whose NOTIFIED came at or after late_from
 * (CLOCK_MONOTONIC, set before --late's migrations) are counted apart.
 */
struct poller {
	int fd;
	atomic_bool stop;
	_Atomic uint64_t late_from;	/* 0: --late has not begun */
	bool detected;		/* the last event a watch's DETECTED */
	uint64_t seen, notified, acked, first_seq, last_seq, gaps, late, odd;
	uint64_t late_injected;
};

static void poller_count(struct poller *p, const struct tscpage_event *e)
{
	bool notified = e->type == TSCPAGE_EVENT_NOTIFIED;
	char buf[160];

	if (p->seen && e->seq != p->last_seq + 1)
		p->gaps++;
	if (!p->seen)
		p->first_seq = e->seq;
	p->last_seq = e->seq;
	p->seen++;
	p->notified += notified;
	p->acked += !!(e->flags & TSCPAGE_EVENT_ACKED);
	if (p->detected) {
		p->detected = false;
		if (notified && !(e->flags & TSCPAGE_EVENT_CHANGED)) {
			uint64_t from = atomic_load(&p->late_from);

			p->late++;
			p->late_injected += from && e->guest_ns >= from;
			return;
		}
		p->odd++;
	}
	if (notified)
		return;
	event_str(e, buf, sizeof(buf));
	ksft_print_msg("event %s\n", buf);
	if (e->type == TSCPAGE_EVENT_DETECTED &&
	    (e->flags & TSCPAGE_EVENT_CHANGED) &&
	    !(e->flags & TSCPAGE_EVENT_BACKWARD))
		p->detected = true;
	else
		p->odd++;
}

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
		for (i = 0; got > 0 && i < got / (ssize_t)sizeof(ev[0]); i++)
			poller_count(p, &ev[i]);
	}
	/* A DETECTED no notification followed. */
	p->odd += p->detected;
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

/*
 * --late: @k migrations through the notify_late fault, one at a time,
 * each waited for until the simulator counted its acknowledgment. Adds
 * to *@late_want the late pairs the poll()er must count from them. The
 * last tscpage-ctl migration's event is recorded just after its
 * acknowledgment: 100 ms for it before p->late_from. Returns the number
 * that failed.
 */
static int do_late(uint64_t k, uint64_t *late_want, struct poller *p)
{
	struct tscpage_hvsim_fault_req req = {
		.fault = TSCPAGE_HVSIM_FAULT_NOTIFY_LATE, .for_ms = LATE_MS,
	};
	struct tscpage_hvsim_status st0, st;
	uint32_t fault;
	uint64_t i;
	int fd, fails = 0, waited, err;

	if (!k)
		return 0;
	fd = open("/dev/tscpage_hvsim", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ksft_print_msg("--late: /dev/tscpage_hvsim: %s\n", strerror(errno));
		return (int)k;
	}
	usleep(100000);
	atomic_store(&p->late_from, (uint64_t)(now_s() * 1e9));
	for (i = 0; i < k; i++) {
		err = hvsim_status(fd, &st0);
		if (err || ioctl(fd, TSCPAGE_HVSIM_IOC_FAULT, &req)) {
			ksft_print_msg("--late %llu: STATUS or FAULT notify_late: %s\n",
				       (unsigned long long)i,
				       errname(err ? err : errno));
			fails++;
			continue;
		}
		/* The fault's time, then up to 2 s for the acknowledgment. */
		hvsim_wait_idle(fd, LATE_MS + 2000, &fault);
		for (waited = 0; waited < 2000; waited += 10) {
			if (!hvsim_status(fd, &st) && st.acks > st0.acks)
				break;
			usleep(10000);
		}
		if (waited >= 2000 || fault) {
			ksft_print_msg("--late %llu: fault %s, acks %llu -> %llu\n",
				       (unsigned long long)i, fault_name(fault),
				       (unsigned long long)st0.acks,
				       (unsigned long long)st.acks);
			fails++;
			continue;
		}
		*late_want += st0.format == TSCPAGE_FORMAT_PVCLOCK;
	}
	close(fd);
	return fails;
}

/* --desync: the simulator's control device, and what it allows. */
struct desync {
	int fd;
	int cpu;
	int64_t cycles;
	int64_t net;			/* cycles added so far */
};

static int desync_once(struct desync *d, int64_t cycles)
{
	struct tscpage_hvsim_desync req = { .cpu = d->cpu, .cycles = cycles };

	if (ioctl(d->fd, TSCPAGE_HVSIM_IOC_DESYNC, &req))
		return -errno;
	d->net += cycles;
	return 0;
}

/*
 * Skips the test where it cannot apply: no simulator, TSC writes not
 * allowed, or a CPU that ignores them. @cpu, @cycles: from the options,
 * -1 for the defaults (the last CPU, 1 ms of TSC).
 */
static void desync_setup(struct desync *d, int cpu, int64_t cycles)
{
	struct tscpage_hvsim_status st;
	struct tscpage_info info;
	unsigned int n, i;
	int fd, err, *cpus = cpus_allowed(&n);

	for (i = 0; i < n; i++)
		if (cpu < 0 || cpu == cpus[i])
			d->cpu = cpus[i];
	free(cpus);
	if (n < 2)
		ksft_exit_skip("one CPU: no other to desync it against\n");
	if (cpu >= 0 && d->cpu != cpu)
		ksft_exit_fail_msg("--cpu %d: not a CPU this test may run on\n",
				   cpu);
	fd = open("/dev/tscpage", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ksft_exit_skip("/dev/tscpage: %s (tscpage not loaded)\n",
			       strerror(errno));
	if (ioctl(fd, TSCPAGE_IOC_INFO, &info))
		ksft_exit_fail_perror("TSCPAGE_IOC_INFO");
	close(fd);
	d->fd = open("/dev/tscpage_hvsim", O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		ksft_exit_skip("/dev/tscpage_hvsim: %s (tscpage_hvsim allow_tsc_writes=1 not loaded)\n",
			       strerror(errno));
	if (ioctl(d->fd, TSCPAGE_HVSIM_IOC_STATUS, &st))
		ksft_exit_fail_perror("TSCPAGE_HVSIM_IOC_STATUS");
	if (!(st.flags & TSCPAGE_HVSIM_TSC_WRITES))
		ksft_exit_skip("tscpage_hvsim was loaded without allow_tsc_writes=1: DESYNC is EPERM\n");
	d->cycles = cycles > 0 ? cycles : (int64_t)info.tsc_khz;
	ksft_print_msg("tscpage over provider %.*s (%u kHz, flags 0x%x); CPU %d's TSC moves by +-%lld cycles\n",
		       (int)sizeof(info.provider), info.provider, info.tsc_khz,
		       info.flags, d->cpu, (long long)d->cycles);
	/* The simulator found out at load; the ioctl must agree. */
	err = desync_once(d, d->cycles);
	if (err == -EOPNOTSUPP && (st.flags & TSCPAGE_HVSIM_TSC_IGNORED))
		ksft_exit_skip("this CPU ignores writes to its TSC (tscpage_hvsim status TSC_IGNORED, as under TCG): DESYNC refused with EOPNOTSUPP\n");
	if (err)
		ksft_exit_fail_msg("DESYNC cpu %d by %lld cycles: %s (status flags 0x%x)\n",
				   d->cpu, (long long)d->cycles, strerror(-err),
				   st.flags);
	if (st.flags & TSCPAGE_HVSIM_TSC_IGNORED)
		ksft_print_msg("status says TSC_IGNORED, yet DESYNC worked\n");
	/* Probed: undone before the hammer starts. */
	err = desync_once(d, -d->cycles);
	if (err)
		ksft_exit_fail_msg("undoing the probe DESYNC: %s\n",
				   strerror(-err));
}

static int do_desyncs(uint64_t n, struct desync *d, const struct hammer *h,
		      uint64_t *during)
{
	uint64_t i;
	int fails = 0, err;

	for (i = 0; i < n; i++) {
		err = desync_once(d, i & 1 ? -d->cycles : d->cycles);
		if (err) {
			ksft_print_msg("desync %llu: %s\n",
				       (unsigned long long)i, strerror(-err));
			fails++;
		}
		*during += hammer_running(h);
		usleep(200000);
	}
	if (d->net && (err = desync_once(d, -d->net))) {
		ksft_print_msg("CPU %d's TSC left %lld cycles off: %s\n",
			       d->cpu, (long long)d->net, strerror(-err));
		fails++;
	}
	return fails;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--stop-when-done] --switch N | --reload N [--current]\n"
		"       | --ctl-migrate N [--late K] [--ctl PATH]\n"
		"       | --desync N [--cpu C] [--cycles X]   [--duration S]\n"
		"       [--max-jump-ms MS]  the hammer's jump bound (its default:\n"
		"                           2000)\n",
		prog);
}

/* The one action of a run, and how many times. */
struct action_arg {
	enum action what;
	uint64_t n;
};

/* --switch, --reload, --ctl-migrate, --desync: one of them, once. */
static bool parse_action(const char *prog, const char *name,
			 const char *value, void *out)
{
	static const char *const flags[] = {
		[SWITCH] = "switch", [RELOAD] = "reload",
		[CTL_MIGRATE] = "ctl-migrate", [DESYNC] = "desync",
	};
	struct action_arg *a = out;
	enum action w;

	if (a->what != NONE) {
		fprintf(stderr, "%s: one of --switch, --reload, --ctl-migrate, --desync\n",
			prog);
		return false;
	}
	for (w = SWITCH; w <= DESYNC; w++)
		if (!strcmp(name, flags[w]))
			a->what = w;
	return arg_u64(prog, name, value, 1, 10000, &a->n);
}

int main(int argc, char **argv)
{
	char prev[CLOCKSOURCE_NAME_MAX], now[CLOCKSOURCE_NAME_MAX];
	const char *ctl = DEFAULT_CTL;
	struct poller p = { .fd = -1 };
	struct desync d = { .fd = -1 };
	const char *args[10];
	char jump_arg[24];
	uint64_t n, duration = 10, during = 0, late = 0, late_want = 0;
	uint64_t cpu_u = UINT64_MAX, cycles_u = 0, max_jump_ms = 0;
	struct action_arg act = { .what = NONE };
	int cpu, k = 0;
	int64_t cycles;
	char buf[HAMMER_TEXT + 64];
	unsigned int j;
	enum action what = NONE;
	struct hammer h;
	pthread_t poll_thread;
	int opt, fails, warp;
	bool refused, current = false, stop_when_done = false;
	double t0;
	const struct arg_spec specs[] = {
		ARG_FN("switch", 0, parse_action, &act),
		ARG_FN("reload", 0, parse_action, &act),
		ARG_FN("ctl-migrate", 0, parse_action, &act),
		ARG_FN("desync", 0, parse_action, &act),
		ARG_U64("duration", 0, &duration, 1, 3600),
		ARG_U64("cpu", 0, &cpu_u, 0, CPU_SETSIZE - 1),
		ARG_U64("cycles", 0, &cycles_u, 1, TSCPAGE_HVSIM_TSC_OFFSET_MAX),
		ARG_STR("ctl", 0, &ctl),
		ARG_U64("late", 0, &late, 0, 100),
		ARG_FLAG("current", 0, &current),
		ARG_FLAG("stop-when-done", 0, &stop_when_done),
		ARG_U64("max-jump-ms", 0, &max_jump_ms, 50, 60000),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	if (act.what == NONE) {
		fprintf(stderr, "%s: one of --switch, --reload, --ctl-migrate, --desync is required\n",
			argv[0]);
		usage(stderr, argv[0]);
		return KSFT_FAIL;
	}
	what = act.what;
	n = act.n;
	cpu = cpu_u == UINT64_MAX ? -1 : (int)cpu_u;
	cycles = cycles_u ? (int64_t)cycles_u : -1;
	if (current && what != RELOAD) {
		fprintf(stderr, "%s: --current goes with --reload\n", argv[0]);
		return KSFT_FAIL;
	}
	if (late && what != CTL_MIGRATE) {
		fprintf(stderr, "%s: --late goes with --ctl-migrate\n", argv[0]);
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
	/*
	 * The actions, the hammer (one verdict, or desync's judged checks
	 * each), the poll()er (ctl-migrate), the clocksource handed back.
	 */
	ksft_set_plan(1 + (what == DESYNC ? N_DESYNC_JUDGED : 1) +
		      (what == CTL_MIGRATE) + 1);
	if (what == DESYNC)
		desync_setup(&d, cpu, cycles);

	/*
	 * Every clocksource switch leaves the clocks up to ~100 us behind
	 * the TSC under TCG (seen: 99 us, each clock, every kernel's own
	 * clocksources alike); tsc_step still bounds each at 500 us, but 20
	 * switches a second read as about -265 ppm, so the rate check gets
	 * room for them.
	 */
	args[k++] = "--clock";
	args[k++] = what == RELOAD ? "monotonic,raw,coarse,boottime,realtime,tsc" :
		    what == DESYNC ? "monotonic,raw" : "all";
	if (what == CTL_MIGRATE || what == DESYNC) {
		args[k++] = "--clocksource";
		args[k++] = "tscpage";
	}
	if (what == SWITCH || current) {
		args[k++] = "--max-ppm";
		args[k++] = "2000";
	}
	if (max_jump_ms) {
		snprintf(jump_arg, sizeof(jump_arg), "%llu",
			 (unsigned long long)max_jump_ms);
		args[k++] = "--max-jump-ms";
		args[k++] = jump_arg;
	}
	args[k] = NULL;
	hammer_start(&h, duration, args);
	/* Let the hammer settle and take its bare-rate baseline. */
	sleep(2);
	t0 = now_s();
	if (what == SWITCH)
		fails = do_switches(n, &h, &during);
	else if (what == RELOAD)
		fails = do_reloads(n, current ? prev : NULL, &h, &during);
	else if (what == CTL_MIGRATE)
		fails = do_ctl_migrations(n, ctl, &h, &during) +
			do_late(late, &late_want, &p);
	else
		fails = do_desyncs(n, &d, &h, &during);
	ksft_test_result(!fails, "%llu %s in %.1f s, %d failed, %llu while the hammer ran\n",
			 (unsigned long long)n, action_names[what], now_s() - t0,
			 fails, (unsigned long long)during);
	if (during < n)
		ksft_print_msg("the hammer ended before the last %llu: raise --duration\n",
			       (unsigned long long)(n - during));
	if (stop_when_done)
		hammer_stop(&h);

	if (what == DESYNC) {
		warp = hammer_finish(&h, HAMMER_SHOW_NESTED);
		for (j = 0; j < N_DESYNC_JUDGED; j++) {
			int v = hammer_verdict(&h, desync_judged[j], buf,
					       sizeof(buf));

			if (v == -2)
				ksft_test_result_fail("hammer: %s (clock_warp exit %d)\n",
						      buf, warp);
			else
				ksft_test_result(v > 0, "hammer: %s\n", buf);
		}
		if (warp)
			ksft_print_msg("clock_warp exit %d: its other checks (jump, rate, tsc_step) are not this test's\n",
				       warp);
	} else {
		/* The migrations are the story the main job tells: its figures. */
		warp = hammer_finish(&h, what == CTL_MIGRATE ?
					 HAMMER_SHOW_DIGEST : HAMMER_SHOW_FAILED);
		ksft_test_result(!warp, "hammer (clock_warp) through it all: exit %d\n",
				 warp);
	}

	if (what == CTL_MIGRATE) {
		usleep(300000);
		atomic_store(&p.stop, true);
		pthread_join(poll_thread, NULL);
		ksft_test_result(p.notified == n + late &&
				 p.acked == n + late && !p.gaps && !p.odd &&
				 p.seen == n + late + p.late &&
				 p.late_injected == late_want,
				 "poll()er on /dev/tscpage: %llu events (seq %llu..%llu), %llu NOTIFIED, %llu ACKED, %llu late (%llu of --late's), %llu odd, %llu gaps; wanted %llu NOTIFIED and ACKED, %llu of --late's late, none odd, no gap\n",
				 (unsigned long long)p.seen,
				 (unsigned long long)p.first_seq,
				 (unsigned long long)p.last_seq,
				 (unsigned long long)p.notified,
				 (unsigned long long)p.acked,
				 (unsigned long long)p.late,
				 (unsigned long long)p.late_injected,
				 (unsigned long long)p.odd,
				 (unsigned long long)p.gaps,
				 (unsigned long long)(n + late),
				 (unsigned long long)late_want);
	}
	if (clocksource_restore(prev, now, sizeof(now), &refused))
		ksft_test_result_fail("clocksource not handed back to %s\n", prev);
	else
		ksft_test_result_pass("clocksource handed back: %s%s\n", now,
				      refused ? " (the kernel refused the previous one)" : "");
	ksft_finished();
}
