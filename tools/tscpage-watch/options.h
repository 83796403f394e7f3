/* SPDX-License-Identifier: GPL-2.0 */
/* tscpage-watch: the command line. */
#ifndef _TSCPAGE_WATCH_OPTIONS_H
#define _TSCPAGE_WATCH_OPTIONS_H

#include <stdbool.h>

enum watch_source_kind {
	WATCH_SOURCE_AUTO,	/* the device if present, else the vDSO page */
	WATCH_SOURCE_DEVICE,	/* /dev/tscpage only */
	WATCH_SOURCE_VVAR,	/* the kernel's vDSO page only */
};

struct watch_options {
	enum watch_source_kind source;
	unsigned long interval_ms;	/* between lines */
	unsigned long count;		/* lines, 0 for until a signal */
	unsigned long long step_ns;	/* step threshold */
	bool json;
};

/*
 * Fill @o from argv. Returns 0 to run, 1 when --help was printed (exit 0),
 * -1 on a bad command line (the message is printed; exit 2).
 */
int watch_parse_options(int argc, char **argv, struct watch_options *o);

#endif /* _TSCPAGE_WATCH_OPTIONS_H */
