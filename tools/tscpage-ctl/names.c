// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: the names of the values and flag bits of the two uapi
 * headers. The names are the macros' own, without their prefix, so that a
 * reader of the output finds them in the headers.
 */
#include <stdio.h>
#include <string.h>

#include "names.h"

const struct ctl_flag_name ctl_status_flags[] = {
	{ TSCPAGE_HVSIM_EMULATING,	"EMULATING" },
	{ TSCPAGE_HVSIM_GUEST_STOPPED,	"GUEST_STOPPED" },
	{ TSCPAGE_HVSIM_SUBSCRIBED,	"SUBSCRIBED" },
	{ TSCPAGE_HVSIM_TSC_WRITES,	"TSC_WRITES" },
	{ TSCPAGE_HVSIM_TSC_IGNORED,	"TSC_IGNORED" },
	{ 0, NULL },
};

const struct ctl_flag_name ctl_event_flags[] = {
	{ TSCPAGE_EVENT_CHANGED,	"CHANGED" },
	{ TSCPAGE_EVENT_GUEST_STOPPED,	"GUEST_STOPPED" },
	{ TSCPAGE_EVENT_ACKED,		"ACKED" },
	{ TSCPAGE_EVENT_BACKWARD,	"BACKWARD" },
	{ 0, NULL },
};

const char *ctl_format_name(unsigned int format)
{
	switch (format) {
	case TSCPAGE_FORMAT_PVCLOCK:
		return "pvclock";
	case TSCPAGE_FORMAT_HVREF:
		return "hvref";
	}
	return "unknown";
}

const char *ctl_event_type_name(unsigned int type)
{
	switch (type) {
	case TSCPAGE_EVENT_NOTIFIED:
		return "notified";
	case TSCPAGE_EVENT_DETECTED:
		return "detected";
	case TSCPAGE_EVENT_WITHDRAWN:
		return "withdrawn";
	}
	return "unknown";
}

void ctl_flags_text(const struct ctl_flag_name *table, unsigned int flags,
		    char *buf, size_t len)
{
	unsigned int rest = flags;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	if (!flags) {
		snprintf(buf, len, "none");
		return;
	}
	for (; table->bit; table++) {
		if (!(flags & table->bit))
			continue;
		rest &= ~table->bit;
		n = snprintf(buf + used, len - used, "%s%s", used ? "|" : "",
			     table->name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += n;
	}
	if (rest)
		snprintf(buf + used, len - used, "%s0x%x", used ? "|" : "", rest);
}
