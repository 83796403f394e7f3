// SPDX-License-Identifier: GPL-2.0
/*
 * Taking the clock and handing it back: see clock_takeover.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest.h"
#include "clock_takeover.h"

int clock_take(struct clock_takeover *t, const char *name, char *msg,
	       size_t size)
{
	int err;

	t->name = name;
	err = clocksource_current(t->prev, sizeof(t->prev));
	t->known = !err;
	if (err) {
		t->prev[0] = '\0';
		snprintf(msg, size, "%s made current: reading current_clocksource: %s",
			 name, strerror(-err));
		return err;
	}
	err = clocksource_select(name);
	snprintf(msg, size, "%s made current (was %s)%s%s", name, t->prev,
		 err ? ": " : "", err ? strerror(-err) : "");
	return err;
}

bool clock_give(const struct clock_takeover *t, char *msg, size_t size)
{
	char now[CLOCKSOURCE_NAME_MAX];
	bool refused;
	int err;

	if (!t->known) {
		snprintf(msg, size, "clocksource handed back from %s: the one before it is not known",
			 t->name);
		return false;
	}
	err = clocksource_restore(t->prev, now, sizeof(now), &refused);
	if (err) {
		snprintf(msg, size, "clocksource handed back from %s to %s: %s",
			 t->name, t->prev, strerror(-err));
		return false;
	}
	if (refused)
		ksft_print_msg("the kernel refused %s back: its clocksource watchdog marked it unstable during the run (see dmesg); it chose %s\n",
			       t->prev, now);
	snprintf(msg, size, "clocksource handed back from %s to %s%s", t->name,
		 now, refused ? " (the previous one refused by the kernel)" : "");
	return strcmp(now, t->name) || !strcmp(t->prev, t->name);
}
