/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tscpage-ctl: migrate, and the wait for tscpage's acknowledgment of the
 * notification.
 */
#ifndef _TSCPAGE_CTL_MIGRATE_H
#define _TSCPAGE_CTL_MIGRATE_H

#include "options.h"

enum ctl_ack {
	CTL_ACK_NOT_WAITED,	/* --no-wait */
	CTL_ACK_RECEIVED,	/* acks grew */
	CTL_ACK_DROPPED,	/* acks_dropped grew: the no_ack fault */
	CTL_ACK_TIMEOUT,	/* neither, within --wait-ms */
};

struct ctl_migrate_result {
	struct tscpage_hvsim_migrate req;
	enum ctl_ack ack;
	unsigned long long waited_ns;	/* migrate's return to the ack */
	unsigned long wait_ms;
	struct tscpage_hvsim_status before;	/* just before the migrate */
	struct tscpage_hvsim_status after;	/* when the wait ended */
};

/* The exit status. */
int ctl_cmd_migrate(const struct ctl_options *o);

#endif /* _TSCPAGE_CTL_MIGRATE_H */
