// SPDX-License-Identifier: GPL-2.0
/*
 * What clock_warp says: the collector thread that prints the hot threads'
 * events as they come (liburcu's wait-free queue: enqueueing never waits,
 * only the collector dequeues), the verdict of each check on each clock,
 * the report (counts, worst cases, CPUs, sampling density, histogram) and
 * the same as JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "kselftest.h"
#include "warp_int.h"

void warp_event_push(struct warp_run *r, struct warp_event *e)
{
	cds_wfcq_node_init(&e->node);
	cds_wfcq_enqueue(&r->qhead, &r->qtail, &e->node);
}

static void event_print(struct warp_run *r, const struct warp_event *e)
{
	FILE *f = r->o.events_out;
	char who[48] = "";

	r->events++;
	if (!f || r->events_printed[e->clock][e->check]++ >=
		  (uint64_t)r->o.print_events)
		return;
	if (e->thread >= 0)
		snprintf(who, sizeof(who), " thread %d cpu %d", e->thread,
			 e->cpu);
	fprintf(f, "# event %.3f s %s %s%s: ", e->at,
		warp_clock_name(e->clock), warp_check_name(e->check), who);
	switch (e->check) {
	case WK_BACKWARD:
		fprintf(f, "%.0f ns back (%" PRIu64 " then %" PRIu64 ")\n",
			-e->size, e->a, e->b);
		break;
	case WK_CROSS:
		fprintf(f, "%.0f ns below the reading cpu %d published before (%" PRIu64 " then %" PRIu64 ")\n",
			-e->size, e->other, e->a, e->b);
		break;
	case WK_JUMP:
		fprintf(f, "%.3f ms between two readings\n", e->size / 1e6);
		break;
	case WK_STEP:
		fprintf(f, "stepped %+.0f ns against the TSC (TSC advanced %.0f ns)\n",
			e->size, e->c);
		break;
	case WK_RATE:
		fprintf(f, "%+.1f ppm against the TSC over the window, expected %+.1f ppm\n",
			e->size, e->c);
		break;
	}
	fflush(f);
}

static void drain(struct warp_run *r)
{
	struct cds_wfcq_node *n;

	while ((n = __cds_wfcq_dequeue_blocking(&r->qhead, &r->qtail)))
		event_print(r, caa_container_of(n, struct warp_event, node));
}

/* A timerfd that is cancelled when someone sets CLOCK_REALTIME. */
static int realtime_watch(void)
{
	struct itimerspec its = { .it_value = { .tv_sec = INT32_MAX } };
	int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			    &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *collector_fn(void *arg)
{
	struct warp_run *r = arg;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	uint64_t exp;

	for (;;) {
		bool last = atomic_load(&r->collector_stop);

		drain(r);
		if (r->timerfd >= 0 && !atomic_load(&r->realtime_set) &&
		    read(r->timerfd, &exp, sizeof(exp)) < 0 &&
		    errno == ECANCELED) {
			r->realtime_set_at = warp_now(r);
			atomic_store(&r->realtime_set, true);
		}
		if (last)
			break;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int warp_collector_start(struct warp_run *r)
{
	cds_wfcq_init(&r->qhead, &r->qtail);
	r->timerfd = realtime_watch();
	return pthread_create(&r->collector, NULL, collector_fn, r) ? -1 : 0;
}

void warp_collector_stop(struct warp_run *r)
{
	atomic_store(&r->collector_stop, true);
	pthread_join(r->collector, NULL);
	drain(r);
	if (r->timerfd >= 0)
		close(r->timerfd);
	cds_wfcq_destroy(&r->qhead, &r->qtail);
}

/* "0-3,5" */
static void cpus_str(uint64_t mask, char *buf, size_t size)
{
	size_t len = 0;
	int i, j;

	buf[0] = '\0';
	for (i = 0; i < 64 && len < size; i++) {
		if (!(mask & (1ull << i)))
			continue;
		for (j = i; j + 1 < 64 && (mask & (1ull << (j + 1))); j++)
			;
		len += snprintf(buf + len, size - len, "%s%d", len ? "," : "", i);
		if (j > i && len < size)
			len += snprintf(buf + len, size - len, "-%d", j);
		i = j;
	}
	if (!buf[0])
		snprintf(buf, size, "-");
}

/* A size in ns as the most readable unit. */
static void ns_str(double ns, char *buf, size_t size)
{
	double a = fabs(ns);

	if (a >= 1e9)
		snprintf(buf, size, "%.3f s", ns / 1e9);
	else if (a >= 1e6)
		snprintf(buf, size, "%.3f ms", ns / 1e6);
	else if (a >= 1e3)
		snprintf(buf, size, "%.3f us", ns / 1e3);
	else
		snprintf(buf, size, "%.0f ns", ns);
}

static void size_str(enum warp_check k, double v, char *buf, size_t size)
{
	if (k == WK_RATE)
		snprintf(buf, size, "%+.2f ppm", v);
	else
		ns_str(v, buf, size);
}

static const char *threshold_str(const struct warp_opts *o, enum warp_check k,
				 char *buf, size_t size)
{
	switch (k) {
	case WK_JUMP:
		snprintf(buf, size, "above %g ms", o->max_jump_ms);
		break;
	case WK_RATE:
		snprintf(buf, size, "beyond %g ppm net of NTP", o->max_ppm);
		break;
	case WK_STEP:
		snprintf(buf, size, "beyond %g us", o->max_step_us);
		break;
	default:
		snprintf(buf, size, "any");
		break;
	}
	return buf;
}

int warp_verdict(const struct warp_result *res, const struct warp_opts *o,
		 enum warp_clock c, enum warp_check k, char *buf, size_t size)
{
	const struct warp_stat *s = &res->st[c][k];
	char thr[48], worst[32], peak[32], cpus[64];
	const char *name = warp_clock_name(c), *check = warp_check_name(k);

	if (!(res->clocks & (1u << c))) {
		snprintf(buf, size, "%s %s: %s", name, check,
			 res->skip_why[c] ? res->skip_why[c] : "not read");
		return -1;
	}
	if (c == WC_TSC && (k == WK_RATE || k == WK_STEP)) {
		snprintf(buf, size, "%s %s: the TSC is the reference", name,
			 check);
		return -1;
	}
	if (c == WC_COARSE && k == WK_RATE) {
		snprintf(buf, size, "%s %s: a tick's resolution and latency are too coarse for a ppm window; monotonic's rate stands for it",
			 name, check);
		return -1;
	}
	if (k == WK_RATE && !s->evaluated) {
		snprintf(buf, size, "%s %s: no window could be judged (%" PRIu64 " too noisy or too few; run longer than two windows)",
			 name, check, s->unevaluated);
		return -1;
	}
	threshold_str(o, k, thr, sizeof(thr));
	size_str(k, s->peak, peak, sizeof(peak));
	if (!s->count) {
		if (k == WK_BACKWARD || k == WK_CROSS)
			snprintf(buf, size, "%s %s: none in %" PRIu64 " readings",
				 name, check, s->evaluated);
		else
			snprintf(buf, size, "%s %s: none %s in %" PRIu64 " %s (largest %s%s)",
				 name, check, thr, s->evaluated,
				 k == WK_RATE ? "windows" : "readings",
				 k == WK_JUMP ? "gap " : "", peak);
		return 1;
	}
	size_str(k, s->worst, worst, sizeof(worst));
	cpus_str(s->cpus, cpus, sizeof(cpus));
	if (c == WC_REAL && res->realtime_set) {
		snprintf(buf, size, "%s %s: %" PRIu64 " (worst %s), but CLOCK_REALTIME was set at %.3f s",
			 name, check, s->count, worst, res->realtime_set_at);
		return -1;
	}
	if (s->worst_cpu < 0)	/* the rate: no CPU */
		snprintf(buf, size, "%s %s: %" PRIu64 " windows %s, worst %s at %.3f s, first at %.3f s",
			 name, check, s->count, thr, worst, s->worst_at,
			 s->first_at);
	else
		snprintf(buf, size, "%s %s: %" PRIu64 " %s, worst %s on cpu %d at %.3f s, first at %.3f s, cpus %s",
			 name, check, s->count, thr, worst, s->worst_cpu,
			 s->worst_at, s->first_at, cpus);
	return 0;
}

static void hist_print(const struct warp_result *res)
{
	char line[512], a[16], b[16];
	size_t len = 0;
	int i;

	for (i = 0; i < WARP_HIST_BUCKETS; i++) {
		if (!res->hist[i])
			continue;
		ns_str(i ? (double)(1ull << i) : 0, a, sizeof(a));
		ns_str((double)(1ull << (i + 1)), b, sizeof(b));
		len += snprintf(line + len, sizeof(line) - len,
				"%s[%s,%s) %" PRIu64, len ? ", " : "", a, b,
				res->hist[i]);
		if (len >= 200) {
			ksft_print_msg("  %s\n", line);
			len = 0;
		}
	}
	if (len)
		ksft_print_msg("  %s\n", line);
}

void warp_report(const struct warp_result *res, const struct warp_opts *o)
{
	char cpus[64], worst[32], peak[32];
	double agg;
	int c, k;

	ksft_print_msg("%d threads (%d pinned, one per CPU; %d unpinned) on %d CPUs for %.2f s; TSC %.6f GHz%s; rate calibration +-%.2f ppm; page %s\n",
		       res->nthreads, res->npinned,
		       res->nthreads - res->npinned, res->ncpus,
		       res->duration_s, res->tsc_ghz,
		       res->rdtscp ? " (RDTSCP)" : " (LFENCE;RDTSC)",
		       res->cal_unc_ppm,
		       res->page_format ? res->page_format : "absent");
	ksft_print_msg("thresholds: jump %g ms, rate %g ppm net of NTP over %g ms windows, tsc_step %g us\n",
		       o->max_jump_ms, o->max_ppm, o->window_ms, o->max_step_us);
	ksft_print_msg("bare single-thread reads/s:");
	for (c = 0; c < WC_N; c++)
		if (res->clocks & (1u << c))
			printf(" %s %.0f", warp_clock_name(c), res->bare_rate[c]);
	printf("; one round of all: %.0f/s\n", res->bare_mix_rate);
	agg = res->duration_s > 0 ?
	      res->iterations / res->duration_s /
	      (res->ncpus * res->bare_mix_rate) : 0;
	ksft_print_msg("sampling density: checked rounds/s per thread %.0f avg (%.1f%% of bare), %.0f min; per CPU-second of a thread %.0f (%.1f%% of bare); all threads %.0f/s (%.1f%% of %d CPUs x bare); %.0f CPU changes of unpinned threads\n",
		       res->thread_rate_avg,
		       100 * res->thread_rate_avg / res->bare_mix_rate,
		       res->thread_rate_min, res->thread_cpu_rate_avg,
		       100 * res->thread_cpu_rate_avg / res->bare_mix_rate,
		       res->iterations / res->duration_s, 100 * agg,
		       res->ncpus, res->migrations);
	ksft_print_msg("per clock: readings; check: count, worst, cpus (largest seen, fired or not)\n");
	for (c = 0; c < WC_N; c++) {
		if (!(res->clocks & (1u << c)))
			continue;
		ksft_print_msg("  %-9s %" PRIu64 " readings%s\n",
			       warp_clock_name(c), res->reads[c],
			       c == WC_PAGE && res->page_failures ?
			       " (and page reads that gave up)" : "");
		for (k = 0; k < WK_N; k++) {
			const struct warp_stat *s = &res->st[c][k];

			if ((c == WC_TSC && (k == WK_RATE || k == WK_STEP)) ||
			    (c == WC_COARSE && k == WK_RATE))
				continue;
			size_str(k, s->worst, worst, sizeof(worst));
			size_str(k, k == WK_BACKWARD || k == WK_CROSS ?
				 -s->peak : s->peak, peak, sizeof(peak));
			cpus_str(s->cpus, cpus, sizeof(cpus));
			ksft_print_msg("    %-9s %" PRIu64 ", worst %s, cpus %s (largest %s%s)\n",
				       warp_check_name(k), s->count,
				       s->count ? worst : "-", cpus,
				       k == WK_BACKWARD || k == WK_CROSS ?
				       "-" : peak,
				       k == WK_RATE && s->unevaluated ?
				       ", some windows too noisy" : "");
		}
	}
	if (res->unrun.count) {
		ns_str(res->unrun.worst, worst, sizeof(worst));
		cpus_str(res->unrun.cpus, cpus, sizeof(cpus));
		ksft_print_msg("threads not run: %" PRIu64 " gaps above the jump bound by the TSC over which another thread read the same clock throughout (no jump counted), longest %s on cpu %d at %.3f s, cpus %s\n",
			       res->unrun.count, worst, res->unrun.worst_cpu,
			       res->unrun.worst_at, cpus);
	}
	if (res->page_failures)
		ksft_print_msg("page reads that gave up (page mid-update, invalid, or a kvm page without TSC_STABLE): %" PRIu64 "\n",
			       res->page_failures);
	ksft_print_msg("events: %" PRIu64 " handed to the collector, %" PRIu64 " counted only (pool full)\n",
		       res->events, res->events_dropped);
	if (res->realtime_set)
		ksft_print_msg("CLOCK_REALTIME was set at %.3f s\n",
			       res->realtime_set_at);
	ksft_print_msg("histogram of round durations (one reading of every clock):\n");
	hist_print(res);
}

static void json_stat(FILE *f, const struct warp_stat *s)
{
	fprintf(f, "{\"count\": %" PRIu64 ", \"worst\": %.3f, \"worst_cpu\": %d, \"worst_other_cpu\": %d, \"worst_at_s\": %.6f, \"first_at_s\": %.6f, \"cpus_mask\": %" PRIu64 ", \"largest\": %.3f, \"evaluated\": %" PRIu64 ", \"unevaluated\": %" PRIu64 "}",
		s->count, s->worst, s->worst_cpu, s->worst_other, s->worst_at,
		s->first_at, s->cpus, s->peak, s->evaluated, s->unevaluated);
}

void warp_json(FILE *f, const struct warp_result *res,
	       const struct warp_opts *o)
{
	char buf[512];
	int c, k, i, v;

	fprintf(f, "{\n  \"duration_s\": %.3f, \"threads\": %d, \"pinned\": %d, \"cpus\": %d,\n",
		res->duration_s, res->nthreads, res->npinned, res->ncpus);
	fprintf(f, "  \"thresholds\": {\"max_jump_ms\": %g, \"max_ppm\": %g, \"max_tsc_step_us\": %g, \"rate_window_ms\": %g},\n",
		o->max_jump_ms, o->max_ppm, o->max_step_us, o->window_ms);
	fprintf(f, "  \"tsc_ghz\": %.9f, \"rdtscp\": %s, \"rate_calibration_ppm\": %.3f, \"page_format\": \"%s\",\n",
		res->tsc_ghz, res->rdtscp ? "true" : "false", res->cal_unc_ppm,
		res->page_format ? res->page_format : "");
	fprintf(f, "  \"density\": {\"bare_round_per_s\": %.1f, \"thread_round_per_s_avg\": %.1f, \"thread_round_per_s_min\": %.1f, \"thread_round_per_cpu_s\": %.1f, \"all_round_per_s\": %.1f},\n",
		res->bare_mix_rate, res->thread_rate_avg, res->thread_rate_min,
		res->thread_cpu_rate_avg, res->iterations / res->duration_s);
	fprintf(f, "  \"events\": %" PRIu64 ", \"events_dropped\": %" PRIu64 ", \"page_failures\": %" PRIu64 ", \"realtime_set\": %s,\n",
		res->events, res->events_dropped, res->page_failures,
		res->realtime_set ? "true" : "false");
	fprintf(f, "  \"unrun\": ");
	json_stat(f, &res->unrun);
	fprintf(f, ",\n  \"histogram_log2_ns\": [");
	for (i = 0; i < WARP_HIST_BUCKETS; i++)
		fprintf(f, "%s%" PRIu64, i ? ", " : "", res->hist[i]);
	fprintf(f, "],\n  \"clocks\": {");
	for (c = 0, i = 0; c < WC_N; c++) {
		if (!(o->clocks & (1u << c)))
			continue;
		fprintf(f, "%s\n    \"%s\": {\"read\": %s, \"bare_per_s\": %.1f, \"readings\": %" PRIu64 ", \"checks\": {",
			i++ ? "," : "", warp_clock_name(c),
			res->clocks & (1u << c) ? "true" : "false",
			res->bare_rate[c], res->reads[c]);
		for (k = 0; k < WK_N; k++) {
			v = warp_verdict(res, o, c, k, buf, sizeof(buf));
			fprintf(f, "%s\n      \"%s\": {\"verdict\": \"%s\", \"stat\": ",
				k ? "," : "", warp_check_name(k),
				v > 0 ? "pass" : v == 0 ? "fail" : "skip");
			json_stat(f, &res->st[c][k]);
			fprintf(f, "}");
		}
		fprintf(f, "}}");
	}
	fprintf(f, "\n  }\n}\n");
}
