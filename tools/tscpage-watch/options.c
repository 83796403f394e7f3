// SPDX-License-Identifier: GPL-2.0
/* tscpage-watch: the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

static const char usage[] =
"usage: tscpage-watch [--source device|vvar] [--interval MS] [--count N]\n"
"                     [--step-ns NS] [--json]\n"
"\n"
"Decode a hypervisor time page live: one line every interval with its\n"
"sequence, parameters, implied TSC frequency and drift against\n"
"CLOCK_MONOTONIC_RAW; events (frequency change, GUEST_STOPPED, page\n"
"invalid, time step) on lines of their own.\n"
"\n"
"  --source device|vvar  /dev/tscpage, or the kernel's kvmclock/Hyper-V\n"
"                        page in this process's vDSO data (default: the\n"
"                        device if present, else the vDSO page)\n"
"  --interval MS         milliseconds between lines (default 1000)\n"
"  --count N             print N lines, then the summary, and exit\n"
"                        (default: run until SIGINT or SIGTERM)\n"
"  --step-ns NS          report a step of page time against\n"
"                        CLOCK_MONOTONIC_RAW larger than NS (default 1000)\n"
"  --json                one JSON object per line\n"
"  --help                this text\n"
"\n"
"Exit status: 0 done (a page that fails while watched is an event, not\n"
"an error), 2 bad usage or the source is not there.\n";

/* A whole decimal number in [@min, @max], or -1. */
static int parse_num(const char *opt, const char *s, unsigned long long min,
		     unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out < min || *out > max)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "tscpage-watch: %s: '%s' is not a number in %llu..%llu\n",
		opt, s, min, max);
	return -1;
}

int watch_parse_options(int argc, char **argv, struct watch_options *o)
{
	static const struct option longopts[] = {
		{ "source",	required_argument, NULL, 's' },
		{ "interval",	required_argument, NULL, 'i' },
		{ "count",	required_argument, NULL, 'c' },
		{ "step-ns",	required_argument, NULL, 'S' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int c;

	*o = (struct watch_options) {
		.source = WATCH_SOURCE_AUTO,
		.interval_ms = 1000,
		.count = 0,
		.step_ns = 1000,
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!strcmp(optarg, "device")) {
				o->source = WATCH_SOURCE_DEVICE;
			} else if (!strcmp(optarg, "vvar")) {
				o->source = WATCH_SOURCE_VVAR;
			} else {
				fprintf(stderr, "tscpage-watch: --source: '%s' is neither device nor vvar\n",
					optarg);
				return -1;
			}
			break;
		case 'i':
			if (parse_num("--interval", optarg, 1, 3600000, &v))
				return -1;
			o->interval_ms = v;
			break;
		case 'c':
			if (parse_num("--count", optarg, 1, 1000000000, &v))
				return -1;
			o->count = v;
			break;
		case 'S':
			if (parse_num("--step-ns", optarg, 0, 1000000000000ULL, &v))
				return -1;
			o->step_ns = v;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			if (optopt && strchr("sicS", optopt) &&
			    !strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "tscpage-watch: %s needs a value\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "tscpage-watch: unknown option '%s'\n",
					argv[optind - 1]);
			fputs("try 'tscpage-watch --help'\n", stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tscpage-watch: unexpected argument '%s'\n",
			argv[optind]);
		fputs("try 'tscpage-watch --help'\n", stderr);
		return -1;
	}
	return 0;
}
