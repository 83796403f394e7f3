// SPDX-License-Identifier: GPL-2.0
/*
 * dev_refusals - /dev/tscpage refuses everything <linux/tscpage.h> does
 * not allow, each with its errno: opening for writing (root included),
 * writable, executable, private, longer or offset mappings, mprotect()
 * and mremap() of a good mapping, write(), unknown ioctls, INFO with
 * another size, and a bad INFO buffer. Every refusal is its own result
 * and names the errno it got and the one it expected.
 *
 * Runs with tscpage loaded, and leaves it as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "tscpage_dev.h"

static struct tscpage_dev dev;

/* 0 if mmap() succeeded (the mapping is removed at once), else its errno. */
static int try_mmap(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/*
 * The files a refusal is tried on: @ro is an O_RDONLY file, @rw an O_RDWR
 * one or -1 when the driver would not open one. Where the VFS refuses for
 * an O_RDONLY file before the driver is asked (a shared writable mapping,
 * mprotect() to writable), the O_RDWR file is used, so that the driver's
 * own refusal is what is tested: @w is @rw if there is one, else @ro.
 */
struct files {
	int ro, rw, w;
	const char *wname;
};

/*
 * Each refusal gives exactly one result; the table below lists them, and
 * the plan is its length.
 */

/*
 * O_RDONLY: the VFS refuses a shared writable mapping (EACCES); O_RDWR:
 * only the driver can (EPERM).
 */
static void mmap_shared_writable(const struct files *f)
{
	char what[160];
	int want = f->rw >= 0 ? EPERM : EACCES;

	snprintf(what, sizeof(what), "mmap PROT_READ|PROT_WRITE MAP_SHARED on an %s file",
		 f->wname);
	expect_errno(try_mmap(dev.page_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, f->w, 0), want, want, what);
}

static void mmap_exec(const struct files *f)
{
	expect_errno(try_mmap(dev.page_size, PROT_READ | PROT_EXEC, MAP_SHARED,
			      f->ro, 0),
		     EPERM, EPERM, "mmap PROT_READ|PROT_EXEC");
}

static void mmap_private(const struct files *f)
{
	expect_errno(try_mmap(dev.page_size, PROT_READ, MAP_PRIVATE, f->ro, 0),
		     EINVAL, EINVAL, "mmap MAP_PRIVATE PROT_READ");
}

/*
 * The VFS lets an O_RDONLY file give a private writable copy; the driver
 * refuses it for being writable (EPERM) or private (EINVAL), whichever it
 * checks first.
 */
static void mmap_private_writable(const struct files *f)
{
	expect_errno(try_mmap(dev.page_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE, f->ro, 0),
		     EPERM, EINVAL, "mmap MAP_PRIVATE PROT_READ|PROT_WRITE on an O_RDONLY file");
}

static void mmap_two_pages(const struct files *f)
{
	expect_errno(try_mmap(2 * dev.page_size, PROT_READ, MAP_SHARED, f->ro,
			      0),
		     EINVAL, EINVAL, "mmap of 2 pages");
}

static void mmap_offset(const struct files *f)
{
	expect_errno(try_mmap(dev.page_size, PROT_READ, MAP_SHARED, f->ro,
			      dev.page_size),
		     EINVAL, EINVAL, "mmap at offset 1 page");
}

/*
 * mprotect() needs VM_MAYWRITE, which the kernel already withholds from a
 * shared mapping of an O_RDONLY file: the mapping comes from the O_RDWR
 * file if there is one, so the driver's clearing of it is what refuses.
 */
static void mprotect_to(const struct files *f, int prot, const char *what)
{
	void *p = mmap(NULL, dev.page_size, PROT_READ, MAP_SHARED, f->w, 0);

	if (p == MAP_FAILED) {
		ksft_test_result_fail("%s: mmap PROT_READ of an %s file: %s\n",
				      what, f->wname, errname(errno));
		return;
	}
	expect_errno(mprotect(p, dev.page_size, prot) ? errno : 0, EACCES,
		     EACCES, what);
	munmap(p, dev.page_size);
}

static void mprotect_writable(const struct files *f)
{
	char what[160];

	snprintf(what, sizeof(what), "mprotect PROT_READ|PROT_WRITE of a mapping of an %s file",
		 f->wname);
	mprotect_to(f, PROT_READ | PROT_WRITE, what);
}

static void mprotect_exec(const struct files *f)
{
	mprotect_to(f, PROT_READ | PROT_EXEC, "mprotect PROT_READ|PROT_EXEC");
}

/*
 * Growing the mapping would be a second page by another way; the kernel
 * refuses it with EFAULT for VM_DONTEXPAND or VM_PFNMAP mappings.
 */
static void mremap_grow(const struct files *f)
{
	void *p = mmap(NULL, dev.page_size, PROT_READ, MAP_SHARED, f->ro, 0);
	void *q;

	if (p == MAP_FAILED) {
		ksft_test_result_fail("mremap to 2 pages: mmap: %s\n",
				      errname(errno));
		return;
	}
	q = mremap(p, dev.page_size, 2 * dev.page_size, MREMAP_MAYMOVE);
	expect_errno(q == MAP_FAILED ? errno : 0, EFAULT, EFAULT,
		     "mremap of the mapping to 2 pages");
	if (q != MAP_FAILED)
		munmap(q, 2 * dev.page_size);
	else
		munmap(p, dev.page_size);
}

/* The VFS: no writing to a file opened for reading. */
static void write_ro(const struct files *f)
{
	char byte = 0;

	expect_errno(write(f->ro, &byte, 1) < 0 ? errno : 0, EBADF, EBADF,
		     "write() to an O_RDONLY file");
}

static void ioctl_unknown(const struct files *f)
{
	expect_errno(ioctl(f->ro, _IO(TSCPAGE_IOC_MAGIC, 0x7f)) ? errno : 0,
		     ENOTTY, ENOTTY, "unknown ioctl _IO(0xE1, 0x7f)");
}

/* The whole command is compared, size and direction included. */
static void ioctl_info_size(const struct files *f)
{
	__u32 word = 0;

	expect_errno(ioctl(f->ro, _IOR(TSCPAGE_IOC_MAGIC, 0x01, __u32),
			   &word) ? errno : 0, ENOTTY, ENOTTY,
		     "INFO's number with another size, _IOR(0xE1, 0x01, __u32)");
}

/* A buffer the process may not write: a PROT_NONE page. */
static void ioctl_info_unwritable(const struct files *f)
{
	void *bad = mmap(NULL, dev.page_size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (bad == MAP_FAILED) {
		ksft_test_result_fail("INFO into a PROT_NONE page: mmap: %s\n",
				      errname(errno));
		return;
	}
	expect_errno(ioctl(f->ro, TSCPAGE_IOC_INFO, bad) ? errno : 0, EFAULT,
		     EFAULT, "INFO into a PROT_NONE page");
	munmap(bad, dev.page_size);
}

static void (*const refusals[])(const struct files *f) = {
	mmap_shared_writable, mmap_exec, mmap_private, mmap_private_writable,
	mmap_two_pages, mmap_offset, mprotect_writable, mprotect_exec,
	mremap_grow, write_ro, ioctl_unknown, ioctl_info_size,
	ioctl_info_unwritable,
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s\n", prog);
}

int main(int argc, char **argv)
{
	const struct arg_spec specs[] = { ARG_END };
	struct files f;
	unsigned int i;
	int opt;

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	tscpage_dev_open(&dev, false);
	ksft_set_plan(1 + ARRAY_SIZE(refusals));
	/*
	 * Mode 0444 does not stop root (CAP_DAC_OVERRIDE): the driver's
	 * open refuses writers itself, so that no file of the device can
	 * ever ask for a writable shared mapping. Should it let one through,
	 * the refusals below use it, so the driver's mmap checks are still
	 * what is tested.
	 */
	f.ro = dev.fd;
	f.rw = open(TSCPAGE_DEV, O_RDWR | O_CLOEXEC);
	expect_errno(f.rw < 0 ? errno : 0, EPERM, EPERM, "open O_RDWR as root");
	f.w = f.rw >= 0 ? f.rw : f.ro;
	f.wname = f.rw >= 0 ? "O_RDWR" : "O_RDONLY";
	for (i = 0; i < ARRAY_SIZE(refusals); i++)
		refusals[i](&f);
	ksft_finished();
}
