// SPDX-License-Identifier: GPL-2.0
/*
 * oops-harvest test module: its init function dereferences a NULL pointer,
 * so loading it produces a kernel Oops (the insmod process is killed, the
 * kernel keeps running).  The harness builds several copies under different
 * names (oops1.ko, oops2.ko, ...) because a module whose init oopsed stays
 * half-loaded and cannot be inserted again.  OOPS_HARVEST_NAME is set on the
 * compiler command line to the copy's name so each Oops is identifiable.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>

#ifndef OOPS_HARVEST_NAME
#define OOPS_HARVEST_NAME "oops"
#endif

static int __init oops_harvest_init(void)
{
	volatile int *p = NULL;

	pr_emerg("oops-harvest: %s: provoking a NULL pointer dereference\n",
		 OOPS_HARVEST_NAME);
	return *p;
}
module_init(oops_harvest_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("oops-harvest: oops on load (test sample generator)");
