// SPDX-License-Identifier: GPL-2.0
/*
 * The hvsim provider: the page of tscpage_hvsim.ko, the hypervisor test
 * double. symbol_get() finds it only once that module has finished
 * loading, and holds a reference on it, so the page outlives our use.
 */
#include <linux/module.h>

#include "../tscpage.h"

static int tscpage_hvsim_get(struct tscpage_provider *p, const char **why)
{
	const struct tscpage_provider *sim = symbol_get(tscpage_hvsim_provider);

	if (!sim) {
		*why = "tscpage_hvsim is not loaded";
		return -ENODEV;
	}
	*p = *sim;
	return 0;
}

static void tscpage_hvsim_put(void)
{
	symbol_put(tscpage_hvsim_provider);
}

const struct tscpage_source tscpage_source_hvsim = {
	.name	= "hvsim",
	.get	= tscpage_hvsim_get,
	.put	= tscpage_hvsim_put,
};
