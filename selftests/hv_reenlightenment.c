// SPDX-License-Identifier: GPL-2.0
/*
 * hv_reenlightenment - on Hyper-V, tscpage never takes the kernel's
 * reenlightenment callback.
 *
 * The kernel has one slot for a TSC-change callback (set_hv_tscchange_cb())
 * and KVM takes it when it runs nested on Hyper-V; a module that takes it
 * cannot release it safely (clear_hv_tscchange_cb() does not wait for the
 * kernel's work, and clears whoever holds it). So with tscpage loaded
 * (provider=hyperv) the enable bits of HV_X64_MSR_REENLIGHTENMENT_CONTROL
 * (0x40000106, bit 16) and HV_X64_MSR_TSC_EMULATION_CONTROL (0x40000107,
 * bit 0) must be clear on every CPU, read through /dev/cpu/N/msr (msr.ko
 * is loaded first when the nodes are missing). Then tscpage is unloaded
 * and loaded again --reloads times (default 20) with the parameters it
 * had, the MSRs read after every load, and read once more at the end.
 * The reads with tscpage unloaded are the baseline: bits set then are
 * kvm's when kvm is loaded (the MSR results SKIP: not attributable), and
 * otherwise a tscpage that did not let go (a failure).
 *
 * SKIP when not root, tscpage is not loaded or not over provider hyperv,
 * there is no msr driver, or the MSR does not exist (not Hyper-V, or no
 * reenlightenment: the read fails with EIO).
 *
 * --self-test reads fake MSR files instead (a file per MSR under /tmp,
 * the enable bits set on the last of two CPUs as set_hv_tscchange_cb()
 * leaves them), over whichever provider tscpage has:
 * both MSR results must fail and name the CPU and the values.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/tscpage.h>

#include "kselftest.h"
#include "args.h"
#include "kmod.h"
#include "sysfs_file.h"

#define MSR_REENLIGHTENMENT_CONTROL	0x40000106
#define MSR_TSC_EMULATION_CONTROL	0x40000107
#define REENLIGHTENMENT_ENABLED		(1ULL << 16)
#define TSC_EMULATION_ENABLED		(1ULL << 0)
#define MAX_CPUS			256
#define FAKE_DIR			"/tmp/hv_reenlightenment.fake"

static char msr_dir[PATH_MAX] = "/dev/cpu";
static bool fake;
static int cpus[MAX_CPUS], ncpus;

/*
 * The MSR on @cpu into *@v; 0 or -errno (EIO: no such MSR). The fake
 * ones are a file per MSR: the device's offsets are MSR numbers, one
 * byte apart.
 */
static int rdmsr(int cpu, uint32_t msr, uint64_t *v)
{
	char path[PATH_MAX + 32];
	int fd, err = 0;

	if (fake)
		snprintf(path, sizeof(path), "%s/%d/%x", msr_dir, cpu, msr);
	else
		snprintf(path, sizeof(path), "%s/%d/msr", msr_dir, cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, v, sizeof(*v), fake ? 0 : msr) != sizeof(*v))
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/* The CPUs that have an MSR node. */
static void find_cpus(void)
{
	char path[PATH_MAX + 32];
	struct stat st;
	int cpu;

	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		snprintf(path, sizeof(path), "%s/%d/%s", msr_dir, cpu,
			 fake ? "40000106" : "msr");
		if (!stat(path, &st))
			cpus[ncpus++] = cpu;
	}
}

/*
 * Both MSRs on every CPU: how many CPUs have an enable bit set, their
 * values in @bad (or the read error, counted too).
 */
static int read_all(char *bad, size_t size)
{
	uint64_t re, emu;
	size_t len = 0;
	int i, n = 0, e1, e2;

	bad[0] = '\0';
	for (i = 0; i < ncpus; i++) {
		e1 = rdmsr(cpus[i], MSR_REENLIGHTENMENT_CONTROL, &re);
		e2 = rdmsr(cpus[i], MSR_TSC_EMULATION_CONTROL, &emu);
		if (e1 || e2) {
			n++;
			if (len < size)
				len += snprintf(bad + len, size - len,
						" cpu%d: rdmsr %s", cpus[i],
						strerror(-(e1 ? e1 : e2)));
			continue;
		}
		if (!(re & REENLIGHTENMENT_ENABLED) &&
		    !(emu & TSC_EMULATION_ENABLED))
			continue;
		n++;
		if (len < size)
			len += snprintf(bad + len, size - len,
					" cpu%d: REENLIGHTENMENT_CONTROL %#" PRIx64 " (enabled %d, vector %#x, target_vp %u), TSC_EMULATION_CONTROL %#" PRIx64 " (enabled %d);",
					cpus[i], re, !!(re & REENLIGHTENMENT_ENABLED),
					(unsigned int)(re & 0xff),
					(unsigned int)(re >> 32), emu,
					!!(emu & TSC_EMULATION_ENABLED));
	}
	return n;
}

/* --self-test: files standing for /dev/cpu/N/msr, one per MSR. */
static void fake_msr(int cpu, uint32_t msr, uint64_t v)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), FAKE_DIR "/%d/%x", cpu, msr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, &v, sizeof(v)) != sizeof(v))
		ksft_exit_fail_perror("writing the fake MSR files");
	close(fd);
}

static void fake_msrs(int n)
{
	char path[PATH_MAX];
	int cpu;

	mkdir(FAKE_DIR, 0700);
	for (cpu = 0; cpu < n; cpu++) {
		snprintf(path, sizeof(path), FAKE_DIR "/%d", cpu);
		mkdir(path, 0700);
		/* The last CPU as set_hv_tscchange_cb() leaves it. */
		fake_msr(cpu, MSR_REENLIGHTENMENT_CONTROL, cpu == n - 1 ?
			 REENLIGHTENMENT_ENABLED | 0xee : 0);
		fake_msr(cpu, MSR_TSC_EMULATION_CONTROL, cpu == n - 1 ?
			 TSC_EMULATION_ENABLED : 0);
	}
	snprintf(msr_dir, sizeof(msr_dir), "%s", FAKE_DIR);
	fake = true;
}

/* tscpage's parameters now, to load it again with the same. */
static void tscpage_params(char *buf, size_t size)
{
	static const char *const names[] = { "provider", "rating", "unusable_ms" };
	char path[128], v[64];
	size_t len = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "/sys/module/tscpage/parameters/%s",
			 names[i]);
		if (!sysfs_read_line(path, v, sizeof(v)) && len < size)
			len += snprintf(buf + len, size - len, "%s%s=%s",
					len ? " " : "", names[i], v);
	}
}

static void say_hypervisor(void)
{
	unsigned int a, b, c, d;
	char vendor[13];

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31))) {
		ksft_print_msg("CPUID: no hypervisor bit\n");
		return;
	}
	__cpuid(0x40000000, a, b, c, d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &c, 4);
	memcpy(vendor + 8, &d, 4);
	vendor[12] = '\0';
	ksft_print_msg("CPUID 0x40000000: \"%s\", max leaf %#x\n", vendor, a);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--reloads N] [--self-test]\n"
		"  --reloads N  unload and load tscpage N times, 0..1000 (default 20)\n"
		"  --self-test  fake MSR files with the enable bits set on the last CPU:\n"
		"               the MSR results must fail\n", prog);
}

int main(int argc, char **argv)
{
	char bad[1024], base_bad[1024] = "", first_bad[1024] = "";
	char params[192], end_bad[1024];
	uint64_t reloads = 20, v, i;
	int opt, err, fd, loaded_set, end_set, after_set = 0, base_set = 0;
	int reload_fails = 0, first_after = -1;
	uint64_t done = 0;
	struct tscpage_info info;
	bool self_test = false, kvm, others;
	const struct arg_spec specs[] = {
		ARG_U64("reloads", 'r', &reloads, 0, 1000),
		ARG_FLAG("self-test", 't', &self_test),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root (MSRs, modules)\n");
	say_hypervisor();
	fd = open("/dev/tscpage", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ksft_exit_skip("/dev/tscpage: %s (tscpage not loaded: load it with provider=hyperv)\n",
			       strerror(errno));
	if (ioctl(fd, TSCPAGE_IOC_INFO, &info))
		ksft_exit_fail_perror("TSCPAGE_IOC_INFO");
	close(fd);	/* it pins the module */
	if (!self_test && strncmp(info.provider, "hyperv", sizeof(info.provider)))
		ksft_exit_skip("tscpage's provider is %.*s, not hyperv\n",
			       (int)sizeof(info.provider), info.provider);
	tscpage_params(params, sizeof(params));
	ksft_print_msg("tscpage over %.*s, loaded with: %s\n",
		       (int)sizeof(info.provider), info.provider, params);

	if (self_test) {
		fake_msrs(2);
		ksft_print_msg("--self-test: fake MSR files in %s, the enable bits set on cpu1: both MSR results must fail\n",
			       FAKE_DIR);
	} else if (access("/dev/cpu/0/msr", F_OK)) {
		err = kmod_load("msr", "");
		if (err && err != -EEXIST)
			ksft_exit_skip("no /dev/cpu/0/msr, and msr.ko: %s\n",
				       strerror(-err));
		if (access("/dev/cpu/0/msr", F_OK))
			ksft_exit_skip("no /dev/cpu/0/msr after loading msr.ko\n");
	}
	find_cpus();
	err = rdmsr(cpus[0], MSR_REENLIGHTENMENT_CONTROL, &v);
	if (err == -EIO)
		ksft_exit_skip("rdmsr %#x on cpu%d: EIO: no such MSR (not Hyper-V, or no reenlightenment offered)\n",
			       MSR_REENLIGHTENMENT_CONTROL, cpus[0]);
	if (err)
		ksft_exit_fail_msg("rdmsr %#x on cpu%d: %s\n",
				   MSR_REENLIGHTENMENT_CONTROL, cpus[0],
				   strerror(-err));
	kvm = kmod_loaded("kvm");
	ksft_print_msg("%d CPUs; kvm %s (it takes the callback itself when nested on Hyper-V)\n",
		       ncpus, kvm ? "is loaded" : "is not loaded");
	/* Loaded, the reloads, after them. */
	ksft_set_plan(3);

	loaded_set = read_all(bad, sizeof(bad));
	snprintf(first_bad, sizeof(first_bad), "%s", bad);

	for (i = 0; i < reloads; i++) {
		err = kmod_unload("tscpage");
		if (err) {
			ksft_print_msg("reload %" PRIu64 ": unload: %s\n", i,
				       strerror(-err));
			reload_fails++;
			break;
		}
		if (read_all(bad, sizeof(bad)) && !base_set++)
			snprintf(base_bad, sizeof(base_bad), "%s", bad);
		err = kmod_load("tscpage", params);
		if (err) {
			ksft_print_msg("reload %" PRIu64 ": load %s: %s\n", i,
				       params, strerror(-err));
			reload_fails++;
			break;
		}
		done++;
		if (read_all(bad, sizeof(bad))) {
			if (!after_set++) {
				first_after = (int)i;
				ksft_print_msg("after reload %" PRIu64 ":%s\n",
					       i, bad);
			}
		}
	}
	if (!kmod_loaded("tscpage")) {
		err = kmod_load("tscpage", params);
		ksft_print_msg("tscpage loaded again after the failure: %s\n",
			       err ? strerror(-err) : "ok");
	}
	end_set = read_all(end_bad, sizeof(end_bad));
	if (base_set)
		ksft_print_msg("with tscpage unloaded the bits were set too (%d of %" PRIu64 " times):%s\n",
			       base_set, done + reload_fails, base_bad);

	/*
	 * Set while tscpage was out: kvm's if kvm is there, else nobody's
	 * but a tscpage that did not let go.
	 */
	others = base_set && kvm && !self_test;
	if (others)
		ksft_test_result_skip("with tscpage loaded: enable bits on %d of %d CPUs, but they are set with tscpage unloaded too, and kvm is loaded: the callback is kvm's\n",
				      loaded_set, ncpus);
	else
		ksft_test_result(!loaded_set, "with tscpage loaded: REENLIGHTENMENT_CONTROL bit 16 and TSC_EMULATION_CONTROL bit 0 clear on %d of %d CPUs%s%s\n",
				 ncpus - loaded_set, ncpus,
				 loaded_set ? ":" : "", first_bad);
	ksft_test_result(!reload_fails, "%" PRIu64 " of %" PRIu64 " reloads of tscpage (%s)\n",
			 done, reloads, params);
	if (others)
		ksft_test_result_skip("after the reloads: not attributable (see above)\n");
	else
		ksft_test_result(!end_set && !after_set && !base_set,
				 "after the reloads: enable bits clear on %d of %d CPUs; they were set after %d of %" PRIu64 " loads (first: reload %d) and after %d unloads%s%s\n",
				 ncpus - end_set, ncpus, after_set, done,
				 first_after, base_set, end_set ? ":" : "",
				 end_bad);
	if (self_test) {
		for (int c = 0; c < ncpus; c++) {
			char p[PATH_MAX];

			snprintf(p, sizeof(p), FAKE_DIR "/%d/%x", c,
				 MSR_REENLIGHTENMENT_CONTROL);
			unlink(p);
			snprintf(p, sizeof(p), FAKE_DIR "/%d/%x", c,
				 MSR_TSC_EMULATION_CONTROL);
			unlink(p);
			snprintf(p, sizeof(p), FAKE_DIR "/%d", c);
			rmdir(p);
		}
		rmdir(FAKE_DIR);
	}
	ksft_finished();
}
