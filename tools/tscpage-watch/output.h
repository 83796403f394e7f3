/* SPDX-License-Identifier: GPL-2.0 */
/* tscpage-watch: text and JSON lines. */
#ifndef _TSCPAGE_WATCH_OUTPUT_H
#define _TSCPAGE_WATCH_OUTPUT_H

#include <stdbool.h>

#include "sample.h"
#include "source.h"
#include "track.h"

void watch_print_header(bool json, const struct watch_source *src,
			unsigned long interval_ms, unsigned long long step_ns);

/* One line for @s; @gen_valid says whether @src->info.generation is. */
void watch_print_line(bool json, const struct watch_source *src,
		      bool gen_valid, const struct watch_track *t,
		      const struct watch_sample *s);

void watch_print_event(bool json, const struct watch_event *ev);

/* @why: "count" or the signal's name. */
void watch_print_summary(bool json, const struct watch_track *t,
			 unsigned long lines, const char *why);

#endif /* _TSCPAGE_WATCH_OUTPUT_H */
