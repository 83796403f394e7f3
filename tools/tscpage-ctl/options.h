/* SPDX-License-Identifier: GPL-2.0 */
/* tscpage-ctl: the command line. */
#ifndef _TSCPAGE_CTL_OPTIONS_H
#define _TSCPAGE_CTL_OPTIONS_H

#include <stdbool.h>

#include <linux/tscpage_hvsim.h>

#define CTL_HVSIM_PATH		"/dev/tscpage_hvsim"
#define CTL_TSCPAGE_PATH	"/dev/tscpage"

enum ctl_command {
	CTL_CMD_NONE,
	CTL_CMD_STATUS,
	CTL_CMD_MIGRATE,
	CTL_CMD_FAULT,
	CTL_CMD_FAULT_LIST,
	CTL_CMD_RATE,
	CTL_CMD_DESYNC,
	CTL_CMD_EVENTS,
};

/* Every value here is checked against its range before it is used. */
struct ctl_options {
	enum ctl_command command;
	const char *name;		/* the command, for messages */
	bool json;
	const char *device;		/* tscpage_hvsim's control device */
	const char *tscpage;		/* /dev/tscpage, for events */

	struct tscpage_hvsim_migrate migrate;
	bool wait;			/* for the acknowledgment */
	unsigned long wait_ms;

	struct tscpage_hvsim_fault_req fault;

	__u32 rate_hz;

	struct tscpage_hvsim_desync desync;

	unsigned long count;		/* events, 0: no limit */
	unsigned long timeout_ms;	/* events, 0: none */
};

/*
 * Fill @o from argv. Returns 0 to run, 1 when help or the version was
 * printed (exit 0), -1 on a bad command line (a one-line message on
 * stderr; exit 2).
 */
int ctl_parse_options(int argc, char **argv, struct ctl_options *o);

#endif /* _TSCPAGE_CTL_OPTIONS_H */
