// SPDX-License-Identifier: GPL-2.0
/*
 * lastgood_torture - a CPU's last good parameters stay whole for an
 * interrupt that lands in the middle of their update.
 *
 * tscpage keeps per CPU the last page parameters a read adopted
 * (include/tscpage/lastgood.h); an interrupt or NMI on the same CPU can
 * read the clock, fall back and extrapolate from them, in the middle of
 * an update. Here a thread plays the CPU and a signal its interrupt: a
 * POSIX timer sends the thread a signal every 50 microseconds while it
 * publishes two parameter sets, A and B, in turn, as fast as it can. The
 * handler copies what is published and checks it is A or B, whole.
 *
 *  1. control: the same with a plain copy (what the driver did before
 *     lastgood.h, its one tearing boundary widened): the handler must
 *     catch torn copies, or the test could not tell;
 *  2. lastgood.h: no torn copy in as many signals, while the handler also
 *     publishes (every 8th signal) into updates it interrupts;
 *  3. after the run no update is left in progress and what is published
 *     is whole.
 *
 * Each run lasts --ms (default 500) ms; the control runs again, up to 10
 * times, until it tears, and lastgood.h as many times. Prints the signals
 * taken, those that landed inside an update, and the torn copies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include <tscpage/arch.h>

/* Both variants copy through gap_copy(): only the protocol differs. */
union tscpage_params;
static void gap_copy(union tscpage_params *dst,
		     const union tscpage_params *src);
#define tscpage_lastgood_copy(dst, src)	gap_copy(dst, src)
#include <tscpage/lastgood.h>

/* Two sets that differ in every byte of every field. */
static const union tscpage_params set_a = { .pvclock = {
	.version = 0x11111112, .tsc_timestamp = 0x2222222222222222ULL,
	.system_time = 0x3333333333333333ULL, .tsc_to_system_mul = 0x44444444,
	.tsc_shift = 0x05, .flags = 0x06 } };
static const union tscpage_params set_b = { .pvclock = {
	.version = 0x77777778, .tsc_timestamp = 0x8888888888888888ULL,
	.system_time = 0x9999999999999999ULL, .tsc_to_system_mul = 0xaaaaaaaa,
	.tsc_shift = 0x0b, .flags = 0x0c } };

enum variant { PLAIN, LASTGOOD };

static volatile sig_atomic_t variant;
static union tscpage_params plain;
static struct tscpage_lastgood lg;
/* The set the main loop is publishing, for counting signals inside it. */
static volatile sig_atomic_t in_update;
static volatile sig_atomic_t stop;

static uint64_t signals, inside, torn, nested_sets;
static union tscpage_params torn_example;

static bool whole(const union tscpage_params *p)
{
	return !memcmp(p, &set_a, sizeof(*p)) || !memcmp(p, &set_b, sizeof(*p));
}

static void on_signal(int sig)
{
	union tscpage_params copy;

	(void)sig;
	signals++;
	if (in_update)
		inside++;
	if (variant == PLAIN) {
		tp_barrier();
		gap_copy(&copy, &plain);
	} else {
		tscpage_lastgood_read(&lg, &copy);
		/* An interrupt that reads the clock may also adopt. */
		if (!(signals & 7)) {
			tscpage_lastgood_set(&lg, signals & 8 ? &set_a : &set_b);
			nested_sets++;
		}
	}
	if (!whole(&copy)) {
		if (!torn)
			torn_example = copy;
		torn++;
	}
}

/*
 * A copy in two halves with a short spin between them. A struct copy
 * tears only at the boundary between its two or four stores: under a
 * loaded machine's timers, 1 signal in 10^4 to 10^5 landed there, so a
 * control that sometimes saw none failed (a package build beside CI's
 * guests) and "no tear in as many signals" said little for lastgood.h.
 * The spin widens that one boundary, for the plain copy and for
 * lastgood.h's slots alike (its tscpage_lastgood_copy), so that most
 * signals inside an update land in it.
 */
#define GAP_SPINS	64

static __attribute__((noinline)) void gap_copy(union tscpage_params *dst,
						const union tscpage_params *src)
{
	const size_t half = sizeof(*dst) / 2;

	memcpy(dst, src, half);
	tp_barrier();
	for (int i = 0; i < GAP_SPINS; i++)
		tp_cpu_relax();
	memcpy((char *)dst + half, (const char *)src + half,
	       sizeof(*dst) - half);
	tp_barrier();
}

/* The plain copy: out of line, so each store stays a store. */
static __attribute__((noinline)) void plain_set(const union tscpage_params *p)
{
	gap_copy(&plain, p);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * One run of @v for @ms: a timer signals this thread every 50 us (the
 * kernel delivers what its timers allow) while it publishes A, B, A...
 * Returns the set it published last.
 */
static const union tscpage_params *run(enum variant v, unsigned int ms)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = SIGRTMIN };
	struct itimerspec its = { .it_value = { 0, 50000 },
				  .it_interval = { 0, 50000 } };
	const union tscpage_params *last = &set_a;
	uint64_t end, i = 0;
	timer_t timer;

	variant = v;
	signals = inside = torn = nested_sets = 0;
	plain = set_a;
	tscpage_lastgood_init(&lg, &set_a);
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer))
		ksft_exit_fail_msg("timer_create: %s\n", strerror(errno));
	if (timer_settime(timer, 0, &its, NULL))
		ksft_exit_fail_msg("timer_settime: %s\n", strerror(errno));
	end = now_ns() + (uint64_t)ms * 1000000u;
	while (now_ns() < end) {
		/* A burst of updates between looks at the clock. */
		for (int k = 0; k < 256; k++, i++) {
			last = i & 1 ? &set_b : &set_a;
			in_update = 1;
			tp_barrier();
			if (v == PLAIN)
				plain_set(last);
			else
				tscpage_lastgood_set(&lg, last);
			tp_barrier();
			in_update = 0;
		}
	}
	timer_delete(timer);
	return last;
}

/* The control runs up to this many rounds of --ms until it sees a tear. */
#define CONTROL_ROUNDS	10

struct totals {
	uint64_t signals, inside, torn, nested_sets;
};

static void print_torn(void)
{
	const struct tscpage_pvclock *p = &torn_example.pvclock;

	ksft_print_msg("  first torn copy: version %#x tsc_timestamp %#llx system_time %#llx mul %#x shift %d flags %#x\n",
		       p->version, (unsigned long long)p->tsc_timestamp,
		       (unsigned long long)p->system_time, p->tsc_to_system_mul,
		       p->tsc_shift, p->flags);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const union tscpage_params *last;
	union tscpage_params final;
	unsigned int ms = 500, rounds, i;
	struct totals t = { 0 };
	uint64_t plain_signals;
	char *end;

	if (argc == 3 && !strcmp(argv[1], "--ms")) {
		errno = 0;
		ms = strtoul(argv[2], &end, 10);
		if (errno || *end || ms < 10 || ms > 60000) {
			fprintf(stderr, "%s: --ms takes 10..60000\n", argv[0]);
			return KSFT_FAIL;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--ms MS]\n", argv[0]);
		return KSFT_FAIL;
	}

	ksft_print_header();
	ksft_set_plan(3);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGRTMIN, &sa, NULL))
		ksft_exit_fail_msg("sigaction: %s\n", strerror(errno));

	/*
	 * A tear needs a signal between two particular stores: on a loaded
	 * machine (CI's guests beside it) 500 ms may see none. The control
	 * goes on, round after round, until it has seen one.
	 */
	for (rounds = 1; ; rounds++) {
		run(PLAIN, ms);
		t.signals += signals;
		t.inside += inside;
		t.torn += torn;
		if (t.torn || rounds == CONTROL_ROUNDS)
			break;
	}
	ksft_print_msg("plain copy: %llu signals, %llu inside an update, %llu torn, in %u rounds of %u ms\n",
		       (unsigned long long)t.signals,
		       (unsigned long long)t.inside, (unsigned long long)t.torn,
		       rounds, ms);
	if (t.torn)
		print_torn();
	ksft_test_result(t.torn > 0,
			 "control: a plain copy tears under the signals (%llu torn in %llu)\n",
			 (unsigned long long)t.torn,
			 (unsigned long long)t.signals);

	plain_signals = t.signals;
	t = (struct totals){ 0 };
	for (i = 0; i < rounds; i++) {
		last = run(LASTGOOD, ms);
		t.signals += signals;
		t.inside += inside;
		t.torn += torn;
		t.nested_sets += nested_sets;
	}
	ksft_print_msg("lastgood.h: %llu signals, %llu inside an update, %llu torn, %llu published from the handler\n",
		       (unsigned long long)t.signals,
		       (unsigned long long)t.inside, (unsigned long long)t.torn,
		       (unsigned long long)t.nested_sets);
	if (t.torn)
		print_torn();
	ksft_test_result(!t.torn && t.inside > 0 && t.nested_sets > 0,
			 "lastgood.h: no torn copy in %llu signals (%llu inside an update; control: %llu)\n",
			 (unsigned long long)t.signals,
			 (unsigned long long)t.inside,
			 (unsigned long long)plain_signals);

	tscpage_lastgood_read(&lg, &final);
	ksft_test_result(!lg.busy && whole(&final) &&
			 (!memcmp(&final, last, sizeof(final)) || t.nested_sets),
			 "after the run: no update in progress, the published set whole (%s)\n",
			 !memcmp(&final, &set_a, sizeof(final)) ? "A" : "B");
	ksft_finished();
	return 0;
}
