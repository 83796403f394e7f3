// SPDX-License-Identifier: GPL-2.0
/*
 * stable_drop - CLOCK_MONOTONIC stays monotonic on every CPU while the
 * hypervisor takes away the page's promise of a stable TSC, and tscpage
 * reacts as it must.
 *
 * For the nested rows: an L2 guest under an L1 KVM. With tscpage current
 * (--clocksource NAME makes it so and hands the clock back after; without
 * it tscpage must already be current) the hammer (clock_warp as a child,
 * CLOCK_MONOTONIC only, a thread pinned to each CPU and unpinned ones,
 * each checking its own readings and, lock-free, against the largest
 * value the others published) runs throughout. After 2 s this program
 * asks L1 for "# vmtest-l1: clocksource hpet" (a line on stdout; L1 acts
 * on it, there is no reply) and waits up to --wait seconds (default 20)
 * for the page mapped from /dev/tscpage to show the effect:
 *
 *   pvclock: TSC_STABLE clear (KVM off its master clock). The hammer goes
 *     on --after seconds (default 3); tscpage's debugfs "guarded" counter
 *     must grow in that time (every read of a page without TSC_STABLE is
 *     guarded).
 *   hvref (Hyper-V page): sequence 0 (the page withdrawn). Over provider
 *     hyperv tscpage must read the reference counter MSR instead, as the
 *     kernel does (debugfs "ref_counter"), and not be withdrawn. Over
 *     hvsim's page, which has no counter, it must fall back (debugfs
 *     "fallbacks") and, if the page stays invalid longer than its
 *     unusable_ms + 1 s, be withdrawn by then (debugfs "withdrawn",
 *     current_clocksource no longer tscpage); which of the two happened
 *     is reported. The hammer goes on at least unusable_ms + 1 s.
 *
 * Then "# vmtest-l1: clocksource tsc" and up to --wait seconds for the
 * page to come back (a diagnostic if it does not), and the hammer is
 * stopped (SIGUSR1) and its KTAP printed nested. Results: the drop seen
 * (SKIP of the rest, with the reason, when it never comes: not a nested
 * row, or L1 did not act), the hammer's monotonic backward and cross_cpu
 * results (its jump, rate and tsc_step checks are shown but are not this
 * test's: the clocksource may be withdrawn under it), and the counters.
 * --format pvclock|hvref states which page the row must have (a
 * mismatch fails); the page's own format decides otherwise. Exit status
 * KSFT_SKIP when the page never degraded and nothing failed.
 *
 * --hvsim degrades the page through tscpage_hvsim instead of asking L1:
 * its stable_flap fault over pvclock (TSC_STABLE cleared on every other
 * rewrite), seq_zero over a Hyper-V page, for as long as L1's hpet would
 * last, ended (fault none) where L1 would be asked for tsc. The same
 * program, checks and counters, under TCG.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

#include "kselftest.h"
#include "args.h"
#include "clock_takeover.h"
#include "hammer.h"
#include "sysfs_file.h"

#define DEBUGFS		"/sys/kernel/debug/tscpage/"
#define POLL_NS		10000000	/* 10 ms */
#define SETTLE_S	2

enum counter { C_GUARDED, C_FALLBACKS, C_INVALID, C_CLAMPS, C_WITHDRAWN,
	       C_REF_COUNTER, C_N };
static const char *const counter_names[C_N] = {
	"guarded", "fallbacks", "invalid", "clamps", "withdrawn",
	"ref_counter",
};
/* Counters a tscpage without them (before they came) reads as 0. */
#define C_OPTIONAL	(1u << C_REF_COUNTER)

struct counters {
	bool ok;			/* debugfs readable */
	uint64_t v[C_N];
};

static const volatile struct tscpage_pvclock *pv;
static const volatile struct tscpage_hvref *hv;
static int dev_fd;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = POLL_NS }, NULL);
}

static void counters_read(struct counters *c)
{
	char path[128], buf[32];
	unsigned int i;

	c->ok = true;
	for (i = 0; i < C_N; i++) {
		snprintf(path, sizeof(path), DEBUGFS "%s", counter_names[i]);
		if (sysfs_read_line(path, buf, sizeof(buf))) {
			c->ok &= !!(C_OPTIONAL & (1u << i));
			c->v[i] = 0;
		} else {
			c->v[i] = strtoull(buf, NULL, 10);
		}
	}
}

static int hvsim_fd = -1;	/* --hvsim */
static uint32_t hvsim_ms;

/*
 * A request to L1, which watches our stdout; no reply comes. With
 * --hvsim the simulator plays L1: hpet degrades the page, tsc mends it.
 */
static void ask_l1(const char *clocksource)
{
	struct tscpage_hvsim_fault_req req = { 0 };

	if (hvsim_fd < 0) {
		printf("# vmtest-l1: clocksource %s\n", clocksource);
		fflush(stdout);
		return;
	}
	if (!strcmp(clocksource, "hpet")) {
		req.fault = pv ? TSCPAGE_HVSIM_FAULT_STABLE_FLAP :
			    TSCPAGE_HVSIM_FAULT_SEQ_ZERO;
		req.for_ms = hvsim_ms;
	}
	if (ioctl(hvsim_fd, TSCPAGE_HVSIM_IOC_FAULT, &req))
		ksft_print_msg("--hvsim: fault %s for %u ms: %s\n",
			       req.fault ? pv ? "stable_flap" : "seq_zero" : "none",
			       req.for_ms, strerror(errno));
	else
		ksft_print_msg("--hvsim: fault %s%s (for L1's clocksource %s)\n",
			       req.fault ? pv ? "stable_flap" : "seq_zero" : "none",
			       req.fault ? " started" : ": the fault ended",
			       clocksource);
}

static uint32_t info_flags(void)
{
	struct tscpage_info info;

	return ioctl(dev_fd, TSCPAGE_IOC_INFO, &info) ? 0 : info.flags;
}

/* The page's promise as it stands: TSC_STABLE, or a valid sequence. */
static bool page_good(uint32_t *raw)
{
	if (pv) {
		*raw = pv->flags;
		return *raw & TSCPAGE_PVCLOCK_TSC_STABLE;
	}
	*raw = hv->tsc_sequence;
	return *raw != 0;
}

/* Polls until the page is @good (or not) again; seconds it took, or -1. */
static double wait_page(bool good, double limit, const struct hammer *h)
{
	double t0 = now_s();
	uint32_t raw;

	while (now_s() - t0 < limit) {
		if (page_good(&raw) == good)
			return now_s() - t0;
		if (!hammer_running(h))
			return -1;
		nap();
	}
	return -1;
}

static bool tscpage_current(void)
{
	char now[CLOCKSOURCE_NAME_MAX];

	return !clocksource_current(now, sizeof(now)) && !strcmp(now, "tscpage");
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--clocksource NAME] [--format pvclock|hvref] [--wait S] [--after S]\n"
		"  --clocksource NAME  make NAME (tscpage) current first, hand the clock back after\n"
		"  --format F          the page this row must have (a mismatch fails)\n"
		"  --wait S            for L1's effect each way, 1..120 (default 20)\n"
		"  --after S           hammering with the page degraded, 1..600 (default 3)\n"
		"  --hvsim             tscpage_hvsim's faults degrade the page instead of L1\n",
		prog);
}

/* --format: "pvclock" or "hvref". */
static bool parse_format(const char *prog, const char *name,
			 const char *value, void *out)
{
	if (strcmp(value, "pvclock") && strcmp(value, "hvref")) {
		fprintf(stderr, "%s: --%s: '%s' is neither pvclock nor hvref\n",
			prog, name, value);
		return false;
	}
	*(const char **)out = value;
	return true;
}

int main(int argc, char **argv)
{
	char msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	char buf[HAMMER_TEXT + 64], unusable[32] = "";
	/* The hammer's checks this test judges, a result each. */
	static const char *const judged[] = {
		"monotonic backward", "monotonic cross_cpu",
	};
	const unsigned int njudged = sizeof(judged) / sizeof(judged[0]);
	const char *args[] = { "--clock", "monotonic", NULL };
	const char *name = NULL, *want_format = NULL, *fmt;
	uint64_t wait_s = 20, after_s = 3, unusable_ms = 0, duration;
	struct counters c0, c1, c2;
	struct tscpage_info info;
	double t_drop, t_back, t_withdrawn = -1, t0, limit, settle;
	bool dropped, came_back = false, use_hvsim = false;
	bool ref_counter;
	struct hammer h;
	unsigned int i;
	uint32_t raw, f_drop;
	int opt, err, warp;
	void *page;
	const struct arg_spec specs[] = {
		ARG_STR("clocksource", 0, &name),
		ARG_FN("format", 0, parse_format, &want_format),
		ARG_U64("wait", 0, &wait_s, 1, 120),
		ARG_U64("after", 0, &after_s, 1, 600),
		ARG_FLAG("hvsim", 0, &use_hvsim),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	setvbuf(stdout, NULL, _IOLBF, 0);

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root (clocksources, debugfs)\n");
	dev_fd = open("/dev/tscpage", O_RDONLY | O_CLOEXEC);
	if (dev_fd < 0)
		ksft_exit_skip("/dev/tscpage: %s (tscpage not loaded)\n",
			       strerror(errno));
	if (ioctl(dev_fd, TSCPAGE_IOC_INFO, &info))
		ksft_exit_fail_perror("TSCPAGE_IOC_INFO");
	fmt = info.format == TSCPAGE_FORMAT_PVCLOCK ? "pvclock" :
	      info.format == TSCPAGE_FORMAT_HVREF ? "hvref" : "?";
	if (want_format && strcmp(want_format, fmt))
		ksft_exit_fail_msg("--format %s, but tscpage's page (provider %.*s) is %s\n",
				   want_format, (int)sizeof(info.provider),
				   info.provider, fmt);
	page = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, dev_fd, 0);
	if (page == MAP_FAILED)
		ksft_exit_fail_perror("mmap /dev/tscpage");
	if (info.format == TSCPAGE_FORMAT_PVCLOCK)
		pv = page;
	else
		hv = page;
	if (name && !clocksource_available(name))
		ksft_exit_skip("clocksource %s is not registered\n", name);
	if (!name && !(info.flags & TSCPAGE_INFO_CURRENT))
		ksft_exit_skip("tscpage is not current (--clocksource tscpage makes it so)\n");
	if (!page_good(&raw))
		ksft_exit_skip("the %s page is already %s (%s %#x): nothing to take away\n",
			       fmt, pv ? "without TSC_STABLE" : "invalid",
			       pv ? "flags" : "sequence", raw);
	/*
	 * Over Hyper-V's own page the kernel, and tscpage, read the
	 * reference counter MSR while the page is at sequence 0 (KVM offers
	 * it with hv-time); hvsim's page has no such counter.
	 */
	ref_counter = hv && !strcmp(info.provider, "hyperv");
	if (hv && !sysfs_read_line("/sys/module/tscpage/parameters/unusable_ms",
				   unusable, sizeof(unusable)))
		unusable_ms = strtoull(unusable, NULL, 10);
	if (use_hvsim) {
		hvsim_fd = open("/dev/tscpage_hvsim", O_RDWR | O_CLOEXEC);
		if (hvsim_fd < 0)
			ksft_exit_skip("--hvsim: /dev/tscpage_hvsim: %s\n",
				       strerror(errno));
	}
	ksft_print_msg("tscpage over %.*s, a %s page (%s %#x), INFO flags %#x%s%s\n",
		       (int)sizeof(info.provider), info.provider, fmt,
		       pv ? "flags" : "sequence", raw, info.flags,
		       hv ? ", unusable_ms " : "", hv ? unusable : "");

	/* The drop, the hammer's, the counters', the takeover's. */
	ksft_set_plan(1 + njudged + 1 + (name ? CLOCK_TAKEOVER_RESULTS : 0));
	if (name) {
		err = clock_take(&clock, name, msg, sizeof(msg));
		ksft_test_result(!err, "%s\n", msg);
		if (err) {
			ksft_test_result(clock_give(&clock, msg, sizeof(msg)),
					 "%s\n", msg);
			ksft_exit_fail_msg("cannot go on without %s current\n",
					   name);
		}
	}

	/* After the drop: --after s, for hvref at least unusable_ms + 1 s. */
	limit = after_s;
	if (hv && unusable_ms && unusable_ms / 1000.0 + 1 > limit)
		limit = unusable_ms / 1000.0 + 1;
	duration = SETTLE_S + 2 * wait_s + (uint64_t)limit + 10;
	/* L1's hpet lasts until we ask for tsc: the fault as long. */
	hvsim_ms = (uint32_t)((wait_s + limit + 2) * 1000);
	if (hvsim_ms > TSCPAGE_HVSIM_FOR_MS_MAX)
		hvsim_ms = TSCPAGE_HVSIM_FOR_MS_MAX;
	counters_read(&c0);
	hammer_start(&h, duration, args);
	settle = now_s();
	sleep(SETTLE_S);
	counters_read(&c1);
	settle = now_s() - settle;

	ask_l1("hpet");
	t_drop = wait_page(false, wait_s, &h);
	dropped = t_drop >= 0;
	f_drop = info_flags();
	if (dropped) {
		page_good(&raw);
		ksft_print_msg("%s %.3f s after asking L1 for hpet (%s %#x, INFO flags %#x)\n",
			       pv ? "TSC_STABLE dropped" : "sequence 0",
			       t_drop, pv ? "flags" : "sequence", raw, f_drop);
		counters_read(&c1);
		/* Hammer on with the page degraded; watch for withdrawal. */
		t0 = now_s();
		while (now_s() - t0 < limit && hammer_running(&h)) {
			if (hv && t_withdrawn < 0) {
				counters_read(&c2);
				if (c2.v[C_WITHDRAWN] || !tscpage_current())
					t_withdrawn = now_s() - t0;
			}
			if (!came_back && page_good(&raw) && (came_back = true))
				ksft_print_msg("the page came good again by itself after %.3f s (%s %#x)\n",
					       now_s() - t0, pv ? "flags" : "sequence",
					       raw);
			nap();
		}
		counters_read(&c2);
		limit = now_s() - t0;
	}
	ask_l1("tsc");
	t_back = wait_page(true, wait_s, &h);
	if (t_back >= 0)
		ksft_print_msg("%s %.3f s after asking L1 for tsc (INFO flags %#x)\n",
			       pv ? "TSC_STABLE back" : "sequence valid again",
			       t_back, info_flags());
	else
		ksft_print_msg("the page did not come back within %" PRIu64 " s of asking L1 for tsc (%s %#x)\n",
			       wait_s, pv ? "flags" : "sequence",
			       (page_good(&raw), raw));
	hammer_stop(&h);
	warp = hammer_finish(&h, HAMMER_SHOW_NESTED);

	if (!dropped) {
		ksft_test_result_skip("%s: never dropped within %" PRIu64 " s of asking L1 for hpet (not a nested row, or L1 did not act)\n",
				      pv ? "TSC_STABLE" : "sequence 0", wait_s);
		for (i = 0; i <= njudged; i++)
			ksft_test_result_skip("%s: the page never degraded\n",
					      i < njudged ? judged[i] : "counters");
		goto restore;
	}
	ksft_test_result_pass("%s %.3f s after asking L1 for hpet\n",
			      pv ? "TSC_STABLE dropped" : "the page went to sequence 0",
			      t_drop);
	for (i = 0; i < njudged; i++) {
		int v = hammer_verdict(&h, judged[i], buf, sizeof(buf));

		if (v == -2)
			ksft_test_result_fail("hammer: %s (clock_warp exit %d)\n",
					      buf, warp);
		else
			ksft_test_result(v > 0, "hammer: %s\n", buf);
	}
	if (warp)
		ksft_print_msg("clock_warp exit %d: its other checks are not this test's\n",
			       warp);

	if (!c1.ok || !c2.ok) {
		ksft_test_result_skip("counters: %s unreadable (debugfs not mounted?)\n",
				      DEBUGFS);
	} else if (pv) {
		uint64_t before = c1.v[C_GUARDED] - c0.v[C_GUARDED];
		uint64_t during = c2.v[C_GUARDED] - c1.v[C_GUARDED];

		ksft_test_result(during > 0, "guarded reads +%" PRIu64 " in the %.1f s with TSC_STABLE clear (+%" PRIu64 " before it, in %.1f s with it set; clamps +%" PRIu64 ")\n",
				 during, limit, before, settle,
				 c2.v[C_CLAMPS] - c1.v[C_CLAMPS]);
	} else if (ref_counter) {
		uint64_t rc = c2.v[C_REF_COUNTER] - c1.v[C_REF_COUNTER];

		ksft_test_result(rc > 0 && t_withdrawn < 0,
				 "read the reference counter, %s, in %.1f s of sequence 0 (unusable_ms %" PRIu64 "): ref_counter +%" PRIu64 ", fallbacks +%" PRIu64 ", invalid +%" PRIu64 "\n",
				 t_withdrawn < 0 ? "not withdrawn" : "but withdrawn",
				 limit, unusable_ms, rc,
				 c2.v[C_FALLBACKS] - c1.v[C_FALLBACKS],
				 c2.v[C_INVALID] - c1.v[C_INVALID]);
	} else {
		uint64_t fb = c2.v[C_FALLBACKS] - c1.v[C_FALLBACKS];
		double bound = unusable_ms / 1000.0 + 1;

		if (t_withdrawn >= 0)
			ksft_test_result(!unusable_ms || t_withdrawn <= bound,
					 "withdrawn %.3f s after sequence 0 (unusable_ms %" PRIu64 ": bound %.1f s); fallbacks +%" PRIu64 ", invalid +%" PRIu64 "\n",
					 t_withdrawn, unusable_ms, bound, fb,
					 c2.v[C_INVALID] - c1.v[C_INVALID]);
		else
			ksft_test_result(fb > 0 && (!unusable_ms || limit < bound),
					 "fell back, not withdrawn in %.1f s of sequence 0 (unusable_ms %" PRIu64 "%s): fallbacks +%" PRIu64 ", invalid +%" PRIu64 ", guarded +%" PRIu64 "\n",
					 limit, unusable_ms,
					 unusable_ms && limit >= bound ?
					 ": it should have been" : "", fb,
					 c2.v[C_INVALID] - c1.v[C_INVALID],
					 c2.v[C_GUARDED] - c1.v[C_GUARDED]);
	}
restore:
	if (name)
		ksft_test_result(clock_give(&clock, msg, sizeof(msg)), "%s\n",
				 msg);
	/* Nothing was tested when the page never degraded: the step SKIPs. */
	if (!dropped && !ksft_get_fail_cnt()) {
		ksft_print_cnts();
		exit(KSFT_SKIP);
	}
	ksft_finished();
}
