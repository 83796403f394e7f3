/* SPDX-License-Identifier: GPL-2.0 */
/* tscpage-ctl: events, tscpage's migration events as they come. */
#ifndef _TSCPAGE_CTL_EVENTS_H
#define _TSCPAGE_CTL_EVENTS_H

#include "options.h"

/* The exit status. */
int ctl_cmd_events(const struct ctl_options *o);

#endif /* _TSCPAGE_CTL_EVENTS_H */
