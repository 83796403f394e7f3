// SPDX-License-Identifier: GPL-2.0
/*
 * The clocks clock_warp reads: clock_gettime()'s five, the raw TSC and the
 * page through /dev/tscpage (mmap and the shared reader); the bare read
 * loop the checked rate is compared with, and the TSC's calibration.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <tscpage/reader.h>

#include "warp_int.h"

bool warp_have_rdtscp;

static const char *const clock_names[WC_N] = {
	[WC_MONO] = "monotonic", [WC_RAW] = "raw", [WC_COARSE] = "coarse",
	[WC_BOOT] = "boottime", [WC_REAL] = "realtime", [WC_TSC] = "tsc",
	[WC_PAGE] = "page",
};

static const char *const check_names[WK_N] = {
	[WK_BACKWARD] = "backward", [WK_CROSS] = "cross_cpu",
	[WK_JUMP] = "jump", [WK_RATE] = "rate", [WK_STEP] = "tsc_step",
};

const char *warp_clock_name(enum warp_clock c)
{
	return c < WC_N ? clock_names[c] : "?";
}

const char *warp_check_name(enum warp_check k)
{
	return k < WK_N ? check_names[k] : "?";
}

int warp_parse_clocks(const char *s, unsigned int *mask, bool *all)
{
	char buf[256], *tok, *save;
	int c;

	*mask = 0;
	*all = false;
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(tok, "all")) {
			*mask |= WARP_ALL_CLOCKS;
			*all = true;
			continue;
		}
		for (c = 0; c < WC_N; c++)
			if (!strcasecmp(tok, clock_names[c]))
				break;
		if (c == WC_N)
			return -1;
		*mask |= 1u << c;
	}
	return *mask ? 0 : -1;
}

clockid_t warp_clockid(enum warp_clock c)
{
	switch (c) {
	case WC_MONO:	return CLOCK_MONOTONIC;
	case WC_RAW:	return CLOCK_MONOTONIC_RAW;
	case WC_COARSE:	return CLOCK_MONOTONIC_COARSE;
	case WC_BOOT:	return CLOCK_BOOTTIME;
	case WC_REAL:	return CLOCK_REALTIME;
	default:	return -1;
	}
}

bool warp_cpu_has_rdtscp(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000001, &a, &b, &c, &d))
		return false;
	return d & (1u << 27);
}

int warp_page_open(struct warp_run *r)
{
	struct tscpage_info info;
	void *p;
	int fd;

	fd = open("/dev/tscpage", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TSCPAGE_IOC_INFO, &info)) {
		int err = -errno;

		close(fd);
		return err;
	}
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;

		close(fd);
		return err;
	}
	r->page = p;
	r->page_fd = fd;
	r->format = info.format;
	r->page_per_cpu = info.format == TSCPAGE_FORMAT_PVCLOCK &&
			  !strncmp(info.provider, "kvm", sizeof(info.provider));
	return 0;
}

void warp_page_close(struct warp_run *r)
{
	if (r->page) {
		munmap((void *)r->page, 4096);
		close(r->page_fd);
		r->page = NULL;
	}
}

/*
 * Few retries: a read that gives up is counted and the thread goes on to
 * its next clock, so a page stuck mid-update stalls the page clock (the
 * jump check sees the stall) and never the thread.
 */
#define PAGE_RETRIES	64

int warp_page_read(const struct warp_run *r, struct page_read *pr)
{
	struct tscpage_pvclock_sample pv;
	struct tscpage_hvref_sample hv;
	int err;

	if (r->format == TSCPAGE_FORMAT_PVCLOCK) {
		err = tscpage_pvclock_sample(r->page, PAGE_RETRIES, &pv);
		if (err)
			return err;
		/*
		 * Without TSC_STABLE a vCPU's own kvmclock page holds for
		 * that vCPU only, and we read CPU 0's on every CPU: the vDSO
		 * does not take it then, so neither do we. tscpage clears the
		 * flag of CPU 0's page while that page is stale after a
		 * pause, until KVM rewrites it. hvsim's page is one page for
		 * every CPU, flag or not (it has none where the kernel found
		 * the TSC unstable: 6.1 under TCG), and is read as it is.
		 */
		if (r->page_per_cpu &&
		    !(pv.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE))
			return -EAGAIN;
		pr->p.pv = pv.params;
		pr->tsc = pv.tsc;
		pr->ns = tscpage_pvclock_ns(&pv.params, pv.tsc);
	} else {
		err = tscpage_hvref_sample(r->page, PAGE_RETRIES, &hv);
		if (err)
			return err;
		pr->p.hv = hv.params;
		pr->tsc = hv.tsc;
		pr->ns = tscpage_hvref_ns(&hv.params, hv.tsc);
	}
	return 0;
}

uint64_t warp_page_predict(const struct warp_run *r,
			   const struct page_read *prev, uint64_t tsc)
{
	if (r->format == TSCPAGE_FORMAT_PVCLOCK)
		return tscpage_pvclock_ns(&prev->p.pv, tsc);
	return tscpage_hvref_ns(&prev->p.hv, tsc);
}

int warp_read_bracketed(const struct warp_run *r, enum warp_clock c,
			uint64_t *v, uint64_t *lo, uint64_t *hi)
{
	struct page_read pr;
	struct timespec ts;
	int cpu, err;

	switch (c) {
	case WC_TSC:
		*v = *lo = *hi = warp_tsc(&cpu);
		return 0;
	case WC_PAGE:
		err = warp_page_read(r, &pr);
		if (err)
			return err;
		*v = pr.ns;
		*lo = *hi = pr.tsc;
		return 0;
	default:
		*lo = warp_tsc(&cpu);
		clock_gettime(warp_clockid(c), &ts);
		*hi = warp_tsc(&cpu);
		*v = warp_ts_ns(&ts);
		return 0;
	}
}

/* The narrowest of @tries bracketed readings of CLOCK_MONOTONIC_RAW. */
static void raw_pair(const struct warp_run *r, int tries, uint64_t *tsc,
		     uint64_t *ns, uint64_t *width)
{
	uint64_t v, lo, hi;

	*width = UINT64_MAX;
	while (tries--) {
		warp_read_bracketed(r, WC_RAW, &v, &lo, &hi);
		if (hi - lo < *width) {
			*width = hi - lo;
			*tsc = lo + (hi - lo) / 2;
			*ns = v;
		}
	}
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * Reads of @c in a bare loop for @seconds: reads per CPU-second of this
 * thread, so that a machine shared with other loads does not make the
 * bare rate look slow (the density compares per CPU-second too).
 */
static double bare_loop(const struct warp_run *r, enum warp_clock c,
			double seconds)
{
	struct page_read pr;
	struct timespec ts;
	uint64_t n = 0, i;
	double t0 = mono_s(), c0 = thread_cpu_s(), t;
	int cpu;

	do {
		for (i = 0; i < 256; i++) {
			switch (c) {
			case WC_TSC:
				__asm__ __volatile__("" : : "r"(warp_tsc(&cpu)));
				break;
			case WC_PAGE:
				warp_page_read(r, &pr);
				break;
			default:
				clock_gettime(warp_clockid(c), &ts);
				break;
			}
		}
		n += 256;
		t = mono_s();
	} while (t - t0 < seconds);
	t = thread_cpu_s() - c0;
	return t > 0 ? n / t : 0;
}

/*
 * Calibrates ns per TSC cycle against CLOCK_MONOTONIC_RAW across the bare
 * loops (one thread, the machine otherwise quiet), which is precise enough
 * for the step check's tolerance (see warp_checks.c); the rate check
 * calibrates again over a longer window (warp_rate.c).
 */
void warp_bare(struct warp_run *r, double seconds)
{
	uint64_t tsc0, ns0, w0, tsc1, ns1, w1;
	double per, inv = 0;
	int c, n = 0;

	for (c = 0; c < WC_N; c++)
		if (r->clocks & (1u << c))
			n++;
	per = seconds / (n ? n : 1);
	raw_pair(r, 16, &tsc0, &ns0, &w0);
	for (c = 0; c < WC_N; c++) {
		if (!(r->clocks & (1u << c)))
			continue;
		r->bare_rate[c] = bare_loop(r, c, per);
		inv += 1.0 / r->bare_rate[c];
	}
	r->bare_mix_rate = inv > 0 ? 1.0 / inv : 0;
	raw_pair(r, 16, &tsc1, &ns1, &w1);
	r->nspc = (double)(ns1 - ns0) / (double)(tsc1 - tsc0);
	r->rate_nspc = r->nspc;
}
