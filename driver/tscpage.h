/* SPDX-License-Identifier: GPL-2.0 */
/* What the parts of tscpage.ko tell one another. */
#ifndef _DRIVER_TSCPAGE_H
#define _DRIVER_TSCPAGE_H

#include <tscpage/provider.h>

int tscpage_clocksource_register(const struct tscpage_provider *provider,
				 int rating);
void tscpage_clocksource_unregister(void);

#endif /* _DRIVER_TSCPAGE_H */
