/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tscpage-ctl: the commands that are one ioctl on tscpage_hvsim's control
 * device: status, fault, rate, desync. Each returns the exit status.
 */
#ifndef _TSCPAGE_CTL_CONTROL_H
#define _TSCPAGE_CTL_CONTROL_H

#include "options.h"

/* TSCPAGE_HVSIM_IOC_STATUS into @st: 0, or -1 with the message printed. */
int ctl_get_status(const struct ctl_options *o, int fd,
		   struct tscpage_hvsim_status *st);

int ctl_cmd_status(const struct ctl_options *o);
int ctl_cmd_fault(const struct ctl_options *o);
int ctl_cmd_rate(const struct ctl_options *o);
int ctl_cmd_desync(const struct ctl_options *o);

#endif /* _TSCPAGE_CTL_CONTROL_H */
