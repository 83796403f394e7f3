/* SPDX-License-Identifier: GPL-2.0 */
/* Finding the kernel's own time pages in this process's vDSO data. */
#ifndef _LIBTSCPAGE_VVAR_H
#define _LIBTSCPAGE_VVAR_H

#include <linux/tscpage.h>

/*
 * The kernel's kvmclock page (TSCPAGE_FORMAT_PVCLOCK) or Hyper-V page
 * (TSCPAGE_FORMAT_HVREF), if this process can read it now; NULL if not.
 * *@format says which.
 */
const void *tscpage_vvar_page(enum tscpage_format *format);

#endif /* _LIBTSCPAGE_VVAR_H */
