// SPDX-License-Identifier: GPL-2.0
/*
 * dev_abi - /dev/tscpage gives what <linux/tscpage.h> promises.
 *
 * Runs with tscpage loaded, and leaves it as it was:
 *
 *  - the device node is a character device, world-readable and nothing
 *    more (0444);
 *  - TSCPAGE_IOC_INFO names the provider (--provider), a known format and
 *    a TSC frequency, and leaves every reserved field and unknown flag
 *    zero;
 *  - one page at offset 0 maps read-only; what it holds is a usable page
 *    of the format INFO named, made for INFO's TSC frequency;
 *  - a process without privilege maps and reads it too.
 *
 * What the device refuses is dev_refusals'; its clock, dev_clock's.
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
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "as_nobody.h"
#include "tscpage_dev.h"

static struct tscpage_dev dev;

/* ------------------------------------------------------------ INFO */

#define INFO_FLAGS_KNOWN	(TSCPAGE_INFO_TSC_STABLE | TSCPAGE_INFO_CURRENT | \
				 TSCPAGE_INFO_VDSO)

static void check_info(const struct tscpage_info *info, const char *provider)
{
	bool terminated = memchr(info->provider, '\0',
				 sizeof(info->provider)) != NULL;
	unsigned int i;
	bool zero;

	ksft_print_msg("INFO: format %u (%s), flags %#x%s%s%s, provider \"%.*s\", tsc_khz %u, generation %" PRIu64 "\n",
		       info->format, format_name(info->format), info->flags,
		       info->flags & TSCPAGE_INFO_TSC_STABLE ? " TSC_STABLE" : "",
		       info->flags & TSCPAGE_INFO_CURRENT ? " CURRENT" : "",
		       info->flags & TSCPAGE_INFO_VDSO ? " VDSO" : "",
		       (int)sizeof(info->provider), info->provider,
		       info->tsc_khz, (uint64_t)info->generation);

	ksft_test_result(terminated && !strcmp(info->provider, provider),
			 "INFO provider is \"%s\" (got \"%.*s\"%s)\n", provider,
			 (int)sizeof(info->provider), info->provider,
			 terminated ? "" : ", not NUL-terminated");
	ksft_test_result(tscpage_format_known(info->format),
			 "INFO format is pvclock (%d) or hvref (%d) (got %u)\n",
			 TSCPAGE_FORMAT_PVCLOCK, TSCPAGE_FORMAT_HVREF,
			 info->format);
	ksft_test_result(info->tsc_khz > 0, "INFO tsc_khz > 0 (got %u)\n",
			 info->tsc_khz);

	zero = !info->reserved0 && !(info->flags & ~INFO_FLAGS_KNOWN);
	for (i = 0; i < ARRAY_SIZE(info->reserved); i++)
		zero = zero && !info->reserved[i];
	if (!zero)
		ksft_print_msg("reserved0 %#x, reserved {%#llx, %#llx, %#llx, %#llx}, unknown flags %#x\n",
			       info->reserved0,
			       (unsigned long long)info->reserved[0],
			       (unsigned long long)info->reserved[1],
			       (unsigned long long)info->reserved[2],
			       (unsigned long long)info->reserved[3],
			       info->flags & ~INFO_FLAGS_KNOWN);
	ksft_test_result(zero, "INFO reserved fields and unknown flag bits are zero\n");
}

/*
 * What the mapping holds is a page of INFO's format that a reader can use:
 * a pvclock page with an even version and a non-zero multiplier, a
 * reference page with a non-zero sequence and scale.
 */
static void check_content(const void *page, const struct tscpage_info *info)
{
	struct tscpage_pvclock_sample pv = { 0 };
	struct tscpage_hvref_sample hv = { 0 };
	int err = tscpage_dev_sample(page, info->format, &pv, &hv);

	if (info->format == TSCPAGE_FORMAT_PVCLOCK)
		ksft_test_result(!err && !(pv.params.version & 1) &&
				 pv.params.tsc_to_system_mul,
				 "page is a usable pvclock page: sample %s, version %u, mul %u, shift %d, flags %#x\n",
				 errname(-err), pv.params.version,
				 pv.params.tsc_to_system_mul,
				 pv.params.tsc_shift, pv.params.flags);
	else
		ksft_test_result(!err && hv.params.tsc_sequence &&
				 hv.params.tsc_scale,
				 "page is a usable reference page: sample %s, sequence %u, scale %#llx, offset %lld\n",
				 errname(-err), hv.params.tsc_sequence,
				 (unsigned long long)hv.params.tsc_scale,
				 (long long)hv.params.tsc_offset);
}

/*
 * The page's parameters were made for INFO's tsc_khz (its documented
 * meaning): the TSC rate they imply is that frequency. tsc_khz is whole
 * kHz and the page's multiplier is rounded (hvsim: 31 significant bits,
 * under 2 Hz at 4 GHz), so the two agree to within 1 kHz.
 */
static void check_rate(const void *page, const struct tscpage_info *info)
{
	struct tscpage_pvclock_sample pv = { 0 };
	struct tscpage_hvref_sample hv = { 0 };
	int err = tscpage_dev_sample(page, info->format, &pv, &hv);
	__uint128_t num, den;
	uint64_t hz, want = (uint64_t)info->tsc_khz * 1000;

	if (err) {
		ksft_test_result_fail("page rate matches INFO tsc_khz %u: page unreadable (%s)\n",
				      info->tsc_khz, errname(-err));
		return;
	}
	if (info->format == TSCPAGE_FORMAT_PVCLOCK) {
		/* ns per cycle = mul * 2^shift / 2^32: Hz = 1e9 * 2^32 / that */
		num = (__uint128_t)1000000000u << 32;
		den = pv.params.tsc_to_system_mul;
		if (pv.params.tsc_shift < 0)
			num <<= -pv.params.tsc_shift;
		else
			den <<= pv.params.tsc_shift;
	} else {
		/* 100 ns units per cycle = scale / 2^64: Hz = 1e7 * 2^64 / scale */
		num = (__uint128_t)10000000u << 64;
		den = hv.params.tsc_scale;
	}
	hz = den ? (uint64_t)(num / den) : 0;
	ksft_test_result(hz + 1000 >= want && hz <= want + 1000,
			 "page rate matches INFO: %" PRIu64 " Hz from the page, tsc_khz %u\n",
			 hz, info->tsc_khz);
}

/* ------------------------------------------------- mode and privilege */

static void check_node(void)
{
	struct stat st;

	if (stat(TSCPAGE_DEV, &st)) {
		ksft_test_result_fail(TSCPAGE_DEV " mode 0444: stat: %s\n",
				      errname(errno));
		return;
	}
	ksft_test_result(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0444,
			 TSCPAGE_DEV " is a character device with mode 0444 (got %s %04o)\n",
			 S_ISCHR(st.st_mode) ? "char" : "not char",
			 st.st_mode & 07777);
}

enum unpriv_step { UNPRIV_OK, UNPRIV_DROP, UNPRIV_LOST, UNPRIV_OPEN,
		   UNPRIV_MMAP, UNPRIV_READ };

struct unpriv_result {
	int step;		/* enum unpriv_step that failed */
	int err;		/* its errno */
};

/* As NOBODY (as_nobody()): open, map and read the page. */
static void unpriv_map(void *out, const void *arg)
{
	struct unpriv_result *r = out;
	__u32 format = *(const __u32 *)arg;
	struct read_stats st = { 0 };
	const void *page;
	uint64_t ns, start;
	int fd, err;

	*r = (struct unpriv_result){ UNPRIV_OK, 0 };
	fd = open(TSCPAGE_DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*r = (struct unpriv_result){ UNPRIV_OPEN, errno };
		return;
	}
	page = mmap(NULL, dev.page_size, PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED) {
		*r = (struct unpriv_result){ UNPRIV_MMAP, errno };
		return;
	}
	start = clock_ns(CLOCK_MONOTONIC_RAW);
	do {
		err = tscpage_dev_time(page, format, &ns, &st);
		if (err != -ENODATA && err != -EAGAIN)
			break;
	} while ((int64_t)(clock_ns(CLOCK_MONOTONIC_RAW) - start) < DEV_RETRY_NS);
	if (err)
		*r = (struct unpriv_result){ UNPRIV_READ, -err };
}

/*
 * The page is no secret (every process reads the kvmclock page through the
 * vDSO already): a process without privileges maps and reads it.
 */
static void check_unprivileged(__u32 format)
{
	static const char *const steps[] = {
		[UNPRIV_OK] = "ok", [UNPRIV_DROP] = "dropping root",
		[UNPRIV_LOST] = "the child's result did not come back",
		[UNPRIV_OPEN] = "open", [UNPRIV_MMAP] = "mmap",
		[UNPRIV_READ] = "reading the page",
	};
	struct unpriv_result r;
	int err = as_nobody(unpriv_map, &format, &r, sizeof(r));

	if (err)
		r = (struct unpriv_result){
			err == -EIO ? UNPRIV_LOST : UNPRIV_DROP, -err };
	ksft_test_result(r.step == UNPRIV_OK,
			 "uid %d maps and reads the page%s%s%s%s\n", NOBODY,
			 r.step ? ": " : "", r.step ? steps[r.step] : "",
			 r.step ? ": " : "", r.step ? errname(r.err) : "");
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--provider NAME]\n"
		"  --provider NAME   provider INFO must name (default hvsim)\n",
		prog);
}

/* One result each, in this order. */
enum {
	R_NODE, R_INFO, R_INFO_PROVIDER, R_INFO_FORMAT, R_INFO_KHZ,
	R_INFO_RESERVED, R_MMAP, R_CONTENT, R_RATE, R_UNPRIV, N_RESULTS
};

int main(int argc, char **argv)
{
	const char *provider = "hvsim";
	const void *page;
	int opt, err;
	const struct arg_spec specs[] = {
		ARG_STR("provider", 'p', &provider),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	tscpage_dev_open(&dev, false);
	ksft_set_plan(N_RESULTS);

	check_node();
	err = tscpage_dev_info(dev.fd, &dev.info);
	ksft_test_result(!err, "TSCPAGE_IOC_INFO%s%s\n", err ? ": " : "",
			 err ? errname(err) : "");
	if (err)
		ksft_exit_fail_msg("cannot go on without INFO\n");
	check_info(&dev.info, provider);
	if (!tscpage_format_known(dev.info.format))
		ksft_exit_fail_msg("cannot read a page of format %u\n",
				   dev.info.format);

	page = mmap(NULL, dev.page_size, PROT_READ, MAP_SHARED, dev.fd, 0);
	ksft_test_result(page != MAP_FAILED,
			 "mmap of 1 page at offset 0, PROT_READ, MAP_SHARED%s%s\n",
			 page == MAP_FAILED ? ": " : "",
			 page == MAP_FAILED ? errname(errno) : "");
	if (page == MAP_FAILED)
		ksft_exit_fail_msg("cannot go on without the page\n");
	check_content(page, &dev.info);
	check_rate(page, &dev.info);
	check_unprivileged(dev.info.format);
	ksft_finished();
}
