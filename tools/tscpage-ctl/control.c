// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: status, fault, rate and desync. Every value was checked
 * against the uapi header's ranges before the device was opened, so an
 * EINVAL is about what this tool cannot check (a CPU that is not online)
 * or a module from another version of the ABI; the messages say which.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "control.h"
#include "device.h"
#include "faults.h"
#include "names.h"
#include "output.h"

int ctl_get_status(const struct ctl_options *o, int fd,
		   struct tscpage_hvsim_status *st)
{
	struct ctl_refusal r = {
		.cmd = o->name,
		.path = o->device,
		.request = "TSCPAGE_HVSIM_IOC_STATUS",
		.einval = "the status request (tool and module from different versions?)",
	};

	if (!ioctl(fd, TSCPAGE_HVSIM_IOC_STATUS, st))
		return 0;
	ctl_refused(&r, errno);
	return -1;
}

int ctl_cmd_status(const struct ctl_options *o)
{
	struct tscpage_hvsim_status st;
	int fd, ret = 1;

	fd = ctl_open_hvsim(o->name, o->device);
	if (fd < 0)
		return 1;
	if (!ctl_get_status(o, fd, &st)) {
		ctl_print_status(o->json, o->device, &st);
		ret = 0;
	}
	close(fd);
	return ret;
}

/*
 * What the status says about a refused fault, into @buf: the active fault
 * (EBUSY) or the page's format (EOPNOTSUPP). NULL if it cannot be had.
 */
static const char *fault_detail(int fd, const struct ctl_fault *asked,
				int err, char *buf, size_t len)
{
	struct tscpage_hvsim_status st;
	const struct ctl_fault *active;

	if (ioctl(fd, TSCPAGE_HVSIM_IOC_STATUS, &st))
		return NULL;
	if (err == EBUSY) {
		active = ctl_fault_by_id(st.fault);
		snprintf(buf, len, "%s, %llu ms left",
			 active ? active->name : "unknown",
			 (unsigned long long)st.fault_ms_left);
		return buf;
	}
	if (err == EOPNOTSUPP) {
		snprintf(buf, len, "the page is %s, %s applies to %s",
			 ctl_format_name(st.format), asked->name,
			 ctl_fault_formats(asked));
		return buf;
	}
	return NULL;
}

/*
 * Open the device, one ioctl, close: 0, or 1 with the refusal told (for a
 * fault, with what the status says about it).
 */
static int one_ioctl(const struct ctl_options *o, unsigned long request,
		     const void *arg, struct ctl_refusal *r)
{
	const struct ctl_fault *f = ctl_fault_by_name(r->fault ? r->fault : "");
	char detail[96];
	int fd, err;

	r->cmd = o->name;
	r->path = o->device;
	fd = ctl_open_hvsim(o->name, o->device);
	if (fd < 0)
		return 1;
	if (ioctl(fd, request, arg)) {
		err = errno;
		if (f)
			r->detail = fault_detail(fd, f, err, detail,
						 sizeof(detail));
		ctl_refused(r, err);
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

int ctl_cmd_fault(const struct ctl_options *o)
{
	const struct ctl_fault *f = ctl_fault_by_id(o->fault.fault);
	char einval[192];
	struct ctl_refusal r = {
		.request = "TSCPAGE_HVSIM_IOC_FAULT",
		.einval = einval,
		.fault = f->name,
	};

	snprintf(einval, sizeof(einval),
		 "fault %s (%u), for_ms %u, arg %lld are in the header's ranges, so the module probably does not know this fault (older than this tool?)",
		 f->name, o->fault.fault, o->fault.for_ms,
		 (long long)o->fault.arg);
	if (one_ioctl(o, TSCPAGE_HVSIM_IOC_FAULT, &o->fault, &r))
		return 1;
	ctl_print_fault(o->json, &o->fault);
	return 0;
}

int ctl_cmd_rate(const struct ctl_options *o)
{
	__u32 hz = o->rate_hz;
	char einval[128];
	struct ctl_refusal r = {
		.request = "TSCPAGE_HVSIM_IOC_RATE",
		.einval = einval,
	};

	snprintf(einval, sizeof(einval),
		 "HZ %u is in the header's 1..100000: tool and module from different versions?",
		 hz);
	if (one_ioctl(o, TSCPAGE_HVSIM_IOC_RATE, &hz, &r))
		return 1;
	ctl_print_rate(o->json, hz);
	return 0;
}

int ctl_cmd_desync(const struct ctl_options *o)
{
	char einval[128];
	struct ctl_refusal r = {
		.request = "TSCPAGE_HVSIM_IOC_DESYNC",
		.einval = einval,
	};

	snprintf(einval, sizeof(einval), "--cpu %d is probably not online",
		 (int)o->desync.cpu);
	if (one_ioctl(o, TSCPAGE_HVSIM_IOC_DESYNC, &o->desync, &r))
		return 1;
	ctl_print_desync(o->json, &o->desync);
	return 0;
}
