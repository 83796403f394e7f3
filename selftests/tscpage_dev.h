/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/tscpage as the dev_* selftests meet it: opened read-only, its INFO,
 * its one page mapped, and the page read by the shared reader the way the
 * clocksource reads it. Each dev_* program checks one property of the
 * device (dev_abi, dev_refusals, dev_nonblock, dev_clock, dev_pinned).
 */
#ifndef _TSCPAGE_SELFTESTS_TSCPAGE_DEV_H
#define _TSCPAGE_SELFTESTS_TSCPAGE_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/tscpage.h>
#include <tscpage/reader.h>

#include "kselftest.h"
#include "hvsim_util.h"

/* As tscpage's clocksource: a healthy page never comes close. */
#define DEV_MAX_RETRIES	1024

/*
 * A read that failed is thrown away and taken again. An hvsim reference
 * page shows sequence 0 for the few stores of each of its rewrites (1000 a
 * second by default), so a failure now and then is expected; failing for
 * this long is not. Counted in time, not in tries: under TCG with one host
 * thread a vCPU can be switched out in the middle of a rewrite for a
 * whole round-robin slice (100 ms of host time), and a reader on another
 * vCPU then meets sequence 0 on every try of a tight loop (seen on 6.1
 * with the machine loaded: 'page unreadable after 0 samples: ENODATA'
 * after 100 tries).
 */
#define DEV_RETRY_NS	1000000000LL

/* The device, opened O_RDONLY, its INFO and its page mapped. */
struct tscpage_dev {
	int fd;
	struct tscpage_info info;
	const void *page;
	long page_size;
};

/*
 * The start of every dev_* test, after ksft_print_header(): skips unless
 * root and the device is there; opens it O_RDONLY into @d->fd and, with
 * @map, reads INFO and maps the page (a format the reader does not know
 * fails the test). Fails the test on any error: nothing can be checked
 * without them.
 */
void tscpage_dev_open(struct tscpage_dev *d, bool map);

/* TSCPAGE_IOC_INFO into @info, poisoned first; 0 or an errno. */
int tscpage_dev_info(int fd, struct tscpage_info *info);

/* Whether the reader knows @format. */
bool tscpage_format_known(uint32_t format);

struct read_stats {
	uint64_t reads;
	uint64_t retries;	/* attempts the reader threw away */
	uint64_t invalid;	/* reads that met a reference page's sequence 0 */
	uint64_t busy;		/* reads that gave up (-EAGAIN) */
};

/*
 * The time the mapped @page gives now, computed by the shared reader
 * exactly as the clocksource computes it, one attempt of up to
 * DEV_MAX_RETRIES. 0, or the reader's -errno; counted into @st.
 */
int tscpage_dev_time(const void *page, uint32_t format, uint64_t *ns,
		     struct read_stats *st);

/*
 * One sample of what the page holds (the one of @pv or @hv its format
 * says), retried over a reference page's transient sequence 0 for up to
 * DEV_RETRY_NS. 0 or the reader's -errno.
 */
int tscpage_dev_sample(const void *page, uint32_t format,
		       struct tscpage_pvclock_sample *pv,
		       struct tscpage_hvref_sample *hv);

/*
 * One refusal as one result: @got is the errno of the call, 0 if it
 * succeeded; @also a second acceptable errno, or @want again. Static
 * inline: kselftest.h counts results per source file.
 */
static inline void expect_errno(int got, int want, int also, const char *what)
{
	if (got && (got == want || got == also))
		ksft_test_result_pass("%s: refused with %s\n", what,
				      errname(got));
	else if (want == also)
		ksft_test_result_fail("%s: got %s, expected %s\n", what,
				      errname(got), errname(want));
	else
		ksft_test_result_fail("%s: got %s, expected %s or %s\n", what,
				      errname(got), errname(want),
				      errname(also));
}

#endif /* _TSCPAGE_SELFTESTS_TSCPAGE_DEV_H */
