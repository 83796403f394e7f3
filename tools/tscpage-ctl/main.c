// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl - the operator's command line for tscpage_hvsim, the
 * hypervisor test double (/dev/tscpage_hvsim), and for tscpage's migration
 * events (/dev/tscpage). Documentation/tscpage-ctl.rst.
 *
 * Exit status: 0 done; 1 a device missing or refusing, or a wait that ran
 * out; 2 bad usage. Every value is checked before a device is opened.
 */
#include "control.h"
#include "events.h"
#include "migrate.h"
#include "options.h"
#include "output.h"

int main(int argc, char **argv)
{
	struct ctl_options o;
	int ret;

	ret = ctl_parse_options(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;

	switch (o.command) {
	case CTL_CMD_STATUS:
		return ctl_cmd_status(&o);
	case CTL_CMD_MIGRATE:
		return ctl_cmd_migrate(&o);
	case CTL_CMD_FAULT:
		return ctl_cmd_fault(&o);
	case CTL_CMD_FAULT_LIST:
		ctl_print_fault_list(o.json);
		return 0;
	case CTL_CMD_RATE:
		return ctl_cmd_rate(&o);
	case CTL_CMD_DESYNC:
		return ctl_cmd_desync(&o);
	case CTL_CMD_EVENTS:
		return ctl_cmd_events(&o);
	case CTL_CMD_NONE:
		break;
	}
	return 2;
}
