// SPDX-License-Identifier: GPL-2.0
/*
 * dev_pinned - while /dev/tscpage is open, or only mapped, tscpage.ko
 * cannot be unloaded: the page may still be read.
 *
 * Runs with tscpage loaded and not current, and leaves it loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "kmod.h"
#include "tscpage_dev.h"

static struct tscpage_dev dev;

/*
 * An open file holds a reference on tscpage (the misc device's fops
 * owner), and a mapping holds its file: while either is left, the page
 * may still be read, so tscpage must stay. Asked with O_NONBLOCK, the
 * module loader answers EWOULDBLOCK for a module in use. tscpage must not
 * be current here, or the timekeeping core's reference would be what
 * refuses. Closes the file and unmaps the page.
 */
static void check_pinned(void)
{
	char now[CLOCKSOURCE_NAME_MAX];
	int err;

	err = clocksource_current(now, sizeof(now));
	if (err || !strcmp(now, "tscpage")) {
		ksft_test_result_skip("rmmod while open: tscpage is %s\n",
				      err ? "maybe current" : "current");
		ksft_test_result_skip("rmmod while mapped: tscpage is %s\n",
				      err ? "maybe current" : "current");
		close(dev.fd);
	} else {
		expect_errno(-kmod_unload("tscpage"), EWOULDBLOCK, EBUSY,
			     "rmmod tscpage while /dev/tscpage is open and mapped");
		close(dev.fd);
		expect_errno(-kmod_unload("tscpage"), EWOULDBLOCK, EBUSY,
			     "rmmod tscpage with the file closed and the page still mapped");
	}
	munmap((void *)dev.page, dev.page_size);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s\n", prog);
}

int main(int argc, char **argv)
{
	const struct arg_spec specs[] = { ARG_END };
	int opt;

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	tscpage_dev_open(&dev, true);
	ksft_set_plan(2);
	check_pinned();
	ksft_finished();
}
