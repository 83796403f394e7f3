// SPDX-License-Identifier: GPL-2.0
/*
 * libtscpage's clock: one handle, one source, read through the shared
 * reader (include/tscpage/reader.h), the same code tscpage.ko runs.
 *
 * Concurrency: after tscpage_clock_open() returns, the handle's fields are
 * only read, except the counters and the guard, which are atomics updated
 * with relaxed ordering (each is a statistic or a maximum of its own, and
 * pairs with nothing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <tscpage/reader.h>

#include "libtscpage.h"
#include "vvar.h"

#define DEVICE_PATH	"/dev/tscpage"
/* A page stuck mid-update costs a read at most this many attempts. */
#define MAX_RETRIES	1024
/* Tries at open to measure the page's offset from CLOCK_MONOTONIC_RAW. */
#define OFFSET_TRIES	16

struct tscpage_clock {
	enum tscpage_clock_source source;
	enum tscpage_format format;
	const void *page;		/* NULL for the syscall source */
	void *map;			/* our mapping of /dev/tscpage */
	size_t map_len;
	int fd;				/* /dev/tscpage, or -1 */
	int64_t offset;			/* page ns - CLOCK_MONOTONIC_RAW ns */
	/*
	 * Set once a read had to fall back (or the page stopped promising
	 * a stable TSC): from then on every read goes through the guard, so
	 * page time and syscall time never step back against each other.
	 */
	atomic_bool guarded;
	struct tp_atomic64 last;	/* for tscpage_monotonic_guard() */
	atomic_uint_fast64_t scaling;	/* VVAR: the scaling last seen */
	atomic_uint_fast64_t generation; /* VVAR: scaling changes seen */
	atomic_uint_fast64_t fallbacks;
};

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * One read of the page: its time, whether it promises a stable TSC, and a
 * key that changes exactly when its TSC-to-time scaling does.
 */
static bool page_read(const struct tscpage_clock *c, uint64_t *ns,
		      bool *stable, uint64_t *scaling)
{
	if (c->format == TSCPAGE_FORMAT_PVCLOCK) {
		struct tscpage_pvclock_sample s;

		if (tscpage_pvclock_sample(c->page, MAX_RETRIES, &s))
			return false;
		*ns = tscpage_pvclock_ns(&s.params, s.tsc);
		*stable = s.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE;
		*scaling = (uint64_t)s.params.tsc_to_system_mul << 8 |
			   (uint8_t)s.params.tsc_shift;
	} else {
		struct tscpage_hvref_sample s;

		if (tscpage_hvref_sample(c->page, MAX_RETRIES, &s))
			return false;
		*ns = tscpage_hvref_ns(&s.params, s.tsc);
		*stable = true;
		*scaling = s.params.tsc_scale;
	}
	return true;
}

/* The page's offset from CLOCK_MONOTONIC_RAW, from the narrowest bracket. */
static bool measure_offset(struct tscpage_clock *c)
{
	uint64_t before, after, ns, scaling, best = UINT64_MAX;
	bool stable, any = false;
	int i;

	for (i = 0; i < OFFSET_TRIES; i++) {
		before = raw_ns();
		if (!page_read(c, &ns, &stable, &scaling))
			continue;
		after = raw_ns();
		if (after - before < best) {
			best = after - before;
			c->offset = (int64_t)(ns - (before + (after - before) / 2));
			atomic_store_explicit(&c->scaling, scaling,
					      memory_order_relaxed);
			any = true;
		}
	}
	return any;
}

static bool open_device(struct tscpage_clock *c)
{
	struct tscpage_info info;
	long psize = sysconf(_SC_PAGESIZE);

	c->fd = open(DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0)
		return false;
	if (ioctl(c->fd, TSCPAGE_IOC_INFO, &info) ||
	    (info.format != TSCPAGE_FORMAT_PVCLOCK &&
	     info.format != TSCPAGE_FORMAT_HVREF))
		goto fail;
	c->map = mmap(NULL, (size_t)psize, PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->map == MAP_FAILED)
		goto fail;
	c->map_len = (size_t)psize;
	c->page = c->map;
	c->format = info.format;
	c->source = TSCPAGE_CLOCK_DEVICE;
	if (measure_offset(c))
		return true;
	munmap(c->map, c->map_len);
	c->map = NULL;
	c->page = NULL;
fail:
	close(c->fd);
	c->fd = -1;
	return false;
}

/* As the vDSO: a kvmclock page is used only while it says TSC_STABLE. */
static bool open_vvar(struct tscpage_clock *c)
{
	uint64_t ns, scaling;
	bool stable;

	c->page = tscpage_vvar_page(&c->format);
	if (!c->page)
		return false;
	c->source = TSCPAGE_CLOCK_VVAR;
	if (page_read(c, &ns, &stable, &scaling) && stable &&
	    measure_offset(c))
		return true;
	c->page = NULL;
	return false;
}

struct tscpage_clock *tscpage_clock_open(unsigned int flags)
{
	struct tscpage_clock *c;

	if (flags & ~(TSCPAGE_CLOCK_NO_DEVICE | TSCPAGE_CLOCK_NO_VVAR)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = -1;
	if ((flags & TSCPAGE_CLOCK_NO_DEVICE) || !open_device(c)) {
		if ((flags & TSCPAGE_CLOCK_NO_VVAR) || !open_vvar(c)) {
			c->source = TSCPAGE_CLOCK_SYSCALL;
			c->page = NULL;
			c->offset = 0;
		}
	}
	return c;
}

void tscpage_clock_close(struct tscpage_clock *c)
{
	if (!c)
		return;
	if (c->map)
		munmap(c->map, c->map_len);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void note_scaling(struct tscpage_clock *c, uint64_t scaling)
{
	uint_fast64_t seen = atomic_load_explicit(&c->scaling,
						  memory_order_relaxed);

	/* Of the threads that see the same change, one counts it. */
	if (seen != scaling &&
	    atomic_compare_exchange_strong_explicit(&c->scaling, &seen, scaling,
						    memory_order_relaxed,
						    memory_order_relaxed))
		atomic_fetch_add_explicit(&c->generation, 1,
					  memory_order_relaxed);
}

uint64_t tscpage_clock_ns(struct tscpage_clock *c)
{
	uint64_t ns, scaling;
	bool stable, clamped;

	/* The syscall source: CLOCK_MONOTONIC_RAW never goes back. */
	if (!c->page)
		return raw_ns();

	if (tp_likely(page_read(c, &ns, &stable, &scaling))) {
		if (tp_unlikely(scaling != atomic_load_explicit(&c->scaling,
							       memory_order_relaxed)))
			note_scaling(c, scaling);
		if (tp_likely(stable &&
			      !atomic_load_explicit(&c->guarded,
						    memory_order_relaxed)))
			return ns;
	} else {
		atomic_fetch_add_explicit(&c->fallbacks, 1,
					  memory_order_relaxed);
		ns = raw_ns() + (uint64_t)c->offset;
	}
	atomic_store_explicit(&c->guarded, true, memory_order_relaxed);
	return tscpage_monotonic_guard(&c->last, ns, &clamped);
}

enum tscpage_clock_source tscpage_clock_source(const struct tscpage_clock *c)
{
	return c->source;
}

const char *tscpage_clock_source_name(enum tscpage_clock_source s)
{
	switch (s) {
	case TSCPAGE_CLOCK_DEVICE:
		return "device";
	case TSCPAGE_CLOCK_VVAR:
		return "vvar";
	case TSCPAGE_CLOCK_SYSCALL:
		return "syscall";
	}
	return "unknown";
}

uint64_t tscpage_clock_generation(struct tscpage_clock *c)
{
	struct tscpage_info info;

	switch (c->source) {
	case TSCPAGE_CLOCK_DEVICE:
		return ioctl(c->fd, TSCPAGE_IOC_INFO, &info) ? 0 : info.generation;
	case TSCPAGE_CLOCK_VVAR:
		return atomic_load_explicit(&c->generation, memory_order_relaxed);
	case TSCPAGE_CLOCK_SYSCALL:
		break;
	}
	return 0;
}

uint64_t tscpage_clock_fallbacks(const struct tscpage_clock *c)
{
	return atomic_load_explicit(&((struct tscpage_clock *)c)->fallbacks,
				    memory_order_relaxed);
}
