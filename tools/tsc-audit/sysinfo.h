// SPDX-License-Identifier: GPL-2.0
/*
 * sysinfo.h - what the kernel says about time: /proc/cpuinfo flags, the
 * clocksource sysfs files and the command line, live or from a fixture.
 */
#ifndef TSC_AUDIT_SYSINFO_H
#define TSC_AUDIT_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>

struct sys_facts {
	bool have_flags;
	char flags[8192];	/* space-separated, from the first "flags" line */
	bool have_available;
	char available[1024];	/* available_clocksource */
	bool have_current;
	char current[128];	/* current_clocksource */
	bool have_cmdline;
	char cmdline[4096];
};

/* Fixture file names (also what --dump writes). */
#define SYS_FILE_FLAGS		"cpuinfo_flags"
#define SYS_FILE_AVAILABLE	"available_clocksource"
#define SYS_FILE_CURRENT	"current_clocksource"
#define SYS_FILE_CMDLINE	"cmdline"

void sysinfo_live(struct sys_facts *s);
/* Files absent from dir leave the fact unknown; other errors fail. */
int sysinfo_load(struct sys_facts *s, const char *dir, char *err, size_t errlen);
int sysinfo_save(const struct sys_facts *s, const char *dir, char *err, size_t errlen);

/* Is word one of the space-separated words of list? */
bool word_in(const char *list, const char *word);
/*
 * Kernel parameters end at a lone "--" (the rest goes to init).
 * cmdline_has: is param (e.g. "tsc=reliable", "no-kvmclock") present?
 * cmdline_last: value of the last "key=" (e.g. "clocksource="), or NULL.
 */
bool cmdline_has(const char *cmdline, const char *param);
const char *cmdline_last(const char *cmdline, const char *key, char *buf, size_t len);

#endif
