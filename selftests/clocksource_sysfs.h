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

/*
 * Hands the clock back after a test: makes @prev current again. The kernel
 * refuses that when its clocksource watchdog marked @prev unstable in the
 * meantime (it logs "Override clocksource <prev> is unstable"); then the
 * override is cleared so the kernel picks its best clocksource, and
 * *@refused is set. Returns 0 with the current clocksource in @now, or
 * -errno (-EPROTO: refused for another reason).
 */
int clocksource_restore(const char *prev, char *now, size_t size,
			bool *refused);

#endif /* _TSCPAGE_SELFTESTS_CLOCKSOURCE_SYSFS_H */
