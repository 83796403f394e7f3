/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's clocksource controls in sysfs: which clocksources exist,
 * which is current, and switching between them (root only).
 */
#ifndef _TSCPAGE_SELFTESTS_CLOCKSOURCE_SYSFS_H
#define _TSCPAGE_SELFTESTS_CLOCKSOURCE_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#define CLOCKSOURCE_NAME_MAX	64

/* Reads the current clocksource's name into @name; 0 or -errno. */
int clocksource_current(char *name, size_t size);

/* Whether @name is in available_clocksource. */
bool clocksource_available(const char *name);

/*
 * Makes @name current and checks that the kernel took it: 0, -errno from
 * the write, or -EPROTO when current_clocksource reads back otherwise.
 */
int clocksource_select(const char *name);

#endif /* _TSCPAGE_SELFTESTS_CLOCKSOURCE_SYSFS_H */
