/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tscpage-ctl: opening the two devices, and what their refusals mean, in
 * words.
 */
#ifndef _TSCPAGE_CTL_DEVICE_H
#define _TSCPAGE_CTL_DEVICE_H

/*
 * Open tscpage_hvsim's control device at @path for @cmd. The descriptor,
 * or -1 with one line on stderr naming @path and the likely cause.
 */
int ctl_open_hvsim(const char *cmd, const char *path);

/* Open /dev/tscpage (@path) for reading events, non-blocking; as above. */
int ctl_open_tscpage(const char *cmd, const char *path);

/* What a refusal of an ioctl is about, for its message. */
struct ctl_refusal {
	const char *cmd;	/* the command, "migrate" */
	const char *path;	/* the device */
	const char *request;	/* the ioctl's name */
	const char *einval;	/* the field probably wrong */
	const char *fault;	/* fault: the one asked for */
	const char *detail;	/* EOPNOTSUPP, EBUSY: what the status says */
};

/* One line on stderr: @err (an errno of ioctl()) in tscpage_hvsim's words. */
void ctl_refused(const struct ctl_refusal *r, int err);

#endif /* _TSCPAGE_CTL_DEVICE_H */
