/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tscpage-ctl: what each command prints on stdout, as text or as one JSON
 * object (per line, for events). JSON fields are named after the uapi
 * structs' fields and carry their raw values; an enum or flags field
 * also has its decoded names in "<field>_name" or "<field>_names".
 */
#ifndef _TSCPAGE_CTL_OUTPUT_H
#define _TSCPAGE_CTL_OUTPUT_H

#include <stdbool.h>

#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

#include "migrate.h"

void ctl_print_status(bool json, const char *path,
		      const struct tscpage_hvsim_status *st);
void ctl_print_migrate(bool json, const struct ctl_migrate_result *res);
void ctl_print_fault(bool json, const struct tscpage_hvsim_fault_req *req);
void ctl_print_fault_list(bool json);
void ctl_print_rate(bool json, __u32 update_hz);
void ctl_print_desync(bool json, const struct tscpage_hvsim_desync *d);
void ctl_print_event(bool json, const struct tscpage_event *ev);

#endif /* _TSCPAGE_CTL_OUTPUT_H */
