// SPDX-License-Identifier: GPL-2.0
/*
 * tsc-audit - is this guest's timekeeping safe to live-migrate?
 *
 * SYNOPSIS
 *   tsc-audit [--json | --brief] [--fail-on risky|unsafe] [--fixture DIR]
 *   tsc-audit --dump DIR [--fixture DIR]
 *
 * DESCRIPTION
 *   Reads what a guest can see about its clocks (CPUID: vendor, model,
 *   invariant TSC, frequency leaves, KVM and Hyper-V feature leaves;
 *   /proc/cpuinfo flags; the clocksource sysfs files; /proc/cmdline (kernel
 *   parameters only: init's arguments after a lone "--" are dropped); the
 *   flags of the kvmclock page the vDSO maps) and prints a verdict with
 *   numbered reasons: what was seen, why it matters, what to do.
 *
 *   Verdicts: SAFE, RISKY, UNSAFE, and NOT_APPLICABLE on bare metal. The
 *   rules and the kernel code they come from are listed in rules.c.
 *
 * OPTIONS
 *   --json           JSON instead of text.
 *   --brief          one line: the verdict, then ID:LEVEL of every reason.
 *   --fixture DIR    read a recorded machine instead of this one. DIR holds
 *                    cpuid (required), cpuinfo_flags, available_clocksource,
 *                    current_clocksource, cmdline, pvclock_flags; a missing
 *                    optional file means "unknown". Lines starting with '#'
 *                    are comments.
 *   --dump DIR       record the machine (or the --fixture) into DIR in that
 *                    format (DIR is created if missing), print nothing else.
 *   --fail-on LEVEL  exit 1 when the verdict is LEVEL (risky|unsafe) or worse.
 *   -h, --help       usage.
 *
 * EXIT STATUS
 *   0 the audit ran (whatever the verdict, unless --fail-on); 1 the verdict
 *   reached --fail-on; 2 bad usage or an unreadable/invalid fixture or dump
 *   directory.
 *
 * Needs no privileges. Does not write anything unless --dump is given.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpuid.h"
#include "report.h"
#include "rules.h"
#include "sysinfo.h"
#include "vclock.h"

#define CPUID_FILE "cpuid"

static void usage(FILE *f)
{
	fputs("Usage: tsc-audit [--json | --brief] [--fail-on risky|unsafe] [--fixture DIR]\n"
	      "       tsc-audit --dump DIR [--fixture DIR]\n"
	      "\n"
	      "Is this guest's timekeeping safe to live-migrate? Prints SAFE, RISKY, UNSAFE\n"
	      "(or NOT_APPLICABLE on bare metal) and the numbered reasons for it.\n"
	      "\n"
	      "  --json           print JSON instead of text\n"
	      "  --brief          print one line: VERDICT ID:LEVEL ...\n"
	      "  --fixture DIR    audit a recorded machine: DIR/cpuid (required; lines\n"
	      "                   \"leaf subleaf eax ebx ecx edx\" in hex), cpuinfo_flags,\n"
	      "                   available_clocksource, current_clocksource, cmdline,\n"
	      "                   pvclock_flags (hex byte or \"unknown\"); a missing file\n"
	      "                   means unknown; '#' lines are comments\n"
	      "  --dump DIR       record this machine into DIR in that format and exit\n"
	      "  --fail-on LEVEL  exit 1 if the verdict is LEVEL (risky, unsafe) or worse\n"
	      "  -h, --help       this text\n"
	      "\n"
	      "Exit status: 0 audit done, 1 --fail-on reached, 2 usage or input error.\n"
	      "Examples:\n"
	      "  tsc-audit                         # this machine, text\n"
	      "  tsc-audit --json > audit.json\n"
	      "  tsc-audit --dump /tmp/me && tsc-audit --fixture /tmp/me --brief\n",
	      f);
}

static int fail(const char *msg)
{
	fprintf(stderr, "tsc-audit: %s\n", msg);
	return 2;
}

static int check_dir(const char *dir, char *err, size_t len)
{
	struct stat st;

	if (stat(dir, &st)) {
		snprintf(err, len, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, len, "%s: not a directory", dir);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "brief", no_argument, NULL, 'b' },
		{ "fixture", required_argument, NULL, 'f' },
		{ "dump", required_argument, NULL, 'd' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cpuid_table table;
	static struct sys_facts sys;
	struct cpu_facts cpu;
	struct vclock_info vc;
	static struct audit audit;
	const char *fixture = NULL, *dump = NULL;
	enum verdict fail_on = VERDICT_UNSAFE + 1;
	bool json = false, brief = false;
	char err[8192];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'b': brief = true; break;
		case 'f': fixture = optarg; break;
		case 'd': dump = optarg; break;
		case 'F':
			if (!strcmp(optarg, "risky"))
				fail_on = VERDICT_RISKY;
			else if (!strcmp(optarg, "unsafe"))
				fail_on = VERDICT_UNSAFE;
			else {
				fprintf(stderr, "tsc-audit: --fail-on takes risky or unsafe, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (c == ':')
				fprintf(stderr, "tsc-audit: option '%s' needs an argument\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "tsc-audit: unknown option '%s'\n", argv[optind - 1]);
			fputs("Try 'tsc-audit --help'.\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tsc-audit: unexpected argument '%s'\nTry 'tsc-audit --help'.\n",
			argv[optind]);
		return 2;
	}
	if (json && brief)
		return fail("--json and --brief exclude each other");

	if (fixture) {
		char path[4096];

		if (check_dir(fixture, err, sizeof(err)))
			return fail(err);
		snprintf(path, sizeof(path), "%s/%s", fixture, CPUID_FILE);
		if (cpuid_load(&table, path, err, sizeof(err)) ||
		    sysinfo_load(&sys, fixture, err, sizeof(err)) ||
		    vclock_load(&vc, fixture, err, sizeof(err)))
			return fail(err);
	} else {
		cpuid_probe_live(&table);
		sysinfo_live(&sys);
		vclock_live(&vc);
	}

	if (dump) {
		char path[4096];
		FILE *f;

		if (mkdir(dump, 0755) && errno != EEXIST) {
			snprintf(err, sizeof(err), "%s: %s", dump, strerror(errno));
			return fail(err);
		}
		if (check_dir(dump, err, sizeof(err)))
			return fail(err);
		snprintf(path, sizeof(path), "%s/%s", dump, CPUID_FILE);
		f = fopen(path, "w");
		if (!f) {
			snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
			return fail(err);
		}
		if (cpuid_save(&table, f) | fclose(f)) {
			snprintf(err, sizeof(err), "%s: write error", path);
			return fail(err);
		}
		if (sysinfo_save(&sys, dump, err, sizeof(err)) ||
		    vclock_save(&vc, dump, err, sizeof(err)))
			return fail(err);
		fprintf(stderr, "tsc-audit: recorded %s into %s\n",
			fixture ? fixture : "this machine", dump);
		return 0;
	}

	cpuid_analyze(&table, &cpu);
	audit_run(&cpu, &sys, &vc, &audit);
	{
		struct report_input in = {
			.source = fixture ? fixture : "live",
			.cpu = &cpu, .sys = &sys, .vc = &vc, .audit = &audit,
		};

		if (json)
			report_json(stdout, &in);
		else if (brief)
			report_brief(stdout, &in);
		else
			report_text(stdout, &in);
	}
	if (fflush(stdout))
		return fail("write error on stdout");
	return audit.verdict >= fail_on ? 1 : 0;
}
