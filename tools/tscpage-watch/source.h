/* SPDX-License-Identifier: GPL-2.0 */
/* tscpage-watch: where the page comes from. */
#ifndef _TSCPAGE_WATCH_SOURCE_H
#define _TSCPAGE_WATCH_SOURCE_H

#include <stdbool.h>
#include <linux/tscpage.h>

#include "options.h"

#define WATCH_DEVICE_PATH	"/dev/tscpage"

struct watch_source {
	const char *name;		/* "device" or "vvar" */
	enum tscpage_format format;
	const void *page;		/* read-only, never written */
	int fd;				/* /dev/tscpage, or -1 */
	struct tscpage_info info;	/* TSCPAGE_IOC_INFO; device only */
};

/*
 * Open the source @kind asks for. Returns 0, or -1 with a message printed
 * when it is not there (the caller exits 2).
 */
int watch_source_open(enum watch_source_kind kind, struct watch_source *src);

/* Ask the device again (for its generation); false for vvar or on error. */
bool watch_source_refresh_info(struct watch_source *src);

const char *watch_format_name(enum tscpage_format format);

#endif /* _TSCPAGE_WATCH_SOURCE_H */
