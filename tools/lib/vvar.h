/* SPDX-License-Identifier: GPL-2.0 */
/* Finding the kernel's own time pages in this process's vDSO data. */
#ifndef _LIBTSCPAGE_VVAR_H
#define _LIBTSCPAGE_VVAR_H

#include <linux/tscpage.h>

/*
 * The kernel's page of @format (TSCPAGE_FORMAT_PVCLOCK: kvmclock,
 * TSCPAGE_FORMAT_HVREF: Hyper-V), if this process can read it now. On
 * success *@where names the place ("page 0 of [vvar_vclock]"); on NULL it
 * says why not. Both are constant strings.
 */
const void *tscpage_vvar_find(enum tscpage_format format, const char **where);

/*
 * The kvmclock page, else the Hyper-V page, as tscpage_vvar_find() finds
 * them; NULL if neither. *@format says which.
 */
const void *tscpage_vvar_page(enum tscpage_format *format);

#endif /* _LIBTSCPAGE_VVAR_H */
