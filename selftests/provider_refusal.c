// SPDX-License-Identifier: GPL-2.0
/*
 * provider_refusal - tscpage refuses a provider whose page it must not
 * use, with the errno and the reason its documentation gives.
 *
 * usage: provider_refusal --provider NAME --errno NAME --reason TEXT
 *                         [--params "P=V ..."]
 *
 * Loads tscpage.ko with provider=NAME (and PARAMS); the load must fail
 * with the errno named (ENODEV, EINVAL, ...), the kernel log must say
 * TEXT, and tscpage must not be left loaded. The nested rows use it where
 * the hypervisor's page cannot be trusted: KVM without a master clock
 * gives a pvclock page without TSC_STABLE, and a Hyper-V reference page at
 * sequence 0. A load that succeeds fails the test and is undone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "klog.h"
#include "kmod.h"
#include "kselftest.h"

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "ENODEV", ENODEV }, { "EINVAL", EINVAL }, { "EBUSY", EBUSY },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "EAGAIN", EAGAIN },
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s --provider NAME --errno NAME --reason TEXT [--params \"P=V ...\"]\n"
		"Loads tscpage with provider=NAME: it must fail with the errno, the kernel\n"
		"log must say TEXT, and tscpage must not stay loaded.\n", prog);
}

int main(int argc, char **argv)
{
	const char *provider = NULL, *reason = NULL, *extra = "";
	const char *want_name = NULL;
	char params[512];
	int want = 0, err, c;
	const struct arg_spec specs[] = {
		ARG_STR("provider", 0, &provider),
		ARG_STR("errno", 0, &want_name),
		ARG_STR("reason", 0, &reason),
		ARG_STR("params", 0, &extra),
		ARG_END,
	};

	c = args_parse(argc, argv, specs, usage);
	if (c >= 0)
		return c;
	for (size_t i = 0; want_name && i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(errnos[i].name, want_name))
			want = errnos[i].err;
	if (!provider || !reason || !want) {
		fprintf(stderr, "%s: %s\n", argv[0],
			!provider ? "--provider is required" :
			!reason ? "--reason is required" :
			"--errno wants one of the names below");
		usage(stderr, argv[0]);
		return KSFT_FAIL;
	}

	ksft_print_header();
	/* The refusal, its reason in the log, nothing left loaded. */
	ksft_set_plan(3);
	if (kmod_loaded("tscpage"))
		ksft_exit_skip("tscpage is already loaded\n");

	snprintf(params, sizeof(params), "provider=%s %s", provider, extra);
	err = kmod_load("tscpage", params);
	if (err == -want)
		ksft_test_result_pass("tscpage %s: refused with %s\n", params,
				      want_name);
	else
		ksft_test_result_fail("tscpage %s: expected %s, got %s\n",
				      params, want_name,
				      err ? strerror(-err) : "success");
	ksft_test_result(klog_contains(reason),
			 "kernel log says why: \"%s\"\n", reason);
	if (!err && kmod_unload("tscpage"))
		ksft_print_msg("could not unload tscpage after its load\n");
	ksft_test_result(!kmod_loaded("tscpage"), "tscpage not left loaded\n");
	ksft_finished();
}
