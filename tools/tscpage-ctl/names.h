/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tscpage-ctl: the names of the values and flag bits of the two uapi
 * headers, as the text and JSON output print them.
 */
#ifndef _TSCPAGE_CTL_NAMES_H
#define _TSCPAGE_CTL_NAMES_H

#include <stddef.h>

#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

/* One flag bit and its name. Tables end with a zero bit. */
struct ctl_flag_name {
	unsigned int bit;
	const char *name;
};

extern const struct ctl_flag_name ctl_status_flags[];	/* TSCPAGE_HVSIM_* */
extern const struct ctl_flag_name ctl_event_flags[];	/* TSCPAGE_EVENT_* */

/* "pvclock", "hvref", or "unknown". */
const char *ctl_format_name(unsigned int format);

/* "notified", "detected", "withdrawn", or "unknown". */
const char *ctl_event_type_name(unsigned int type);

/*
 * The names of the bits of @flags joined by '|' ("none" for 0; a bit with
 * no name as "0x..."), into @buf of @len bytes.
 */
void ctl_flags_text(const struct ctl_flag_name *table, unsigned int flags,
		    char *buf, size_t len);

#endif /* _TSCPAGE_CTL_NAMES_H */
