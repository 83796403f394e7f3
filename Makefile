# SPDX-License-Identifier: GPL-2.0
#
# tscpage top-level build.
#
#   make                      the tools, the selftests, and the modules
#                             where a kernel build tree is at KDIR (else
#                             skipped, with how to get one)
#   make tools                libtscpage, tscpage-ctl, tscpage-watch,
#                             tsc-audit, into build/<name>/
#   make install [PREFIX=/usr/local] [DESTDIR=] [UDEVRULESDIR=/lib/udev/rules.d]
#                [LIBDIR=$(PREFIX)/lib] [INCLUDEDIR=$(PREFIX)/include]
#                             the tools and their man pages, libtscpage
#                             (shared, static, header, pkg-config file),
#                             the udev rule for /dev/tscpage
#   make KDIR=/usr/src/linux-headers-X modules
#   make modules_install      the modules, as Kbuild installs them
#                             (/lib/modules/<version>/updates/ by default)
#   make selftests [STATIC=1] [OUTPUT=dir]
#   make verify               the main job: one guest, tscpage current, every
#                             clock hammered across 20 simulated migrations
#   make check                the whole test suite (every kernel of the matrix)
#   make check-host           the reader's host tests alone (no VM)
#   make verify-host          host mode: clock_warp on this machine's own
#                             clocks, as a normal user, no module
#   make bench                read-latency table and plot (bench/results/)
#   make bench-guest          in-kernel read of every clocksource, in a guest
#
# Kbuild options pass through: make W=1, make C=1 (sparse).

KDIR ?= /lib/modules/$(shell uname -r)/build
BUILDDIR ?= $(CURDIR)/build
OUTPUT ?= $(BUILDDIR)/selftests
PREFIX ?= /usr/local
UDEVRULESDIR ?= /lib/udev/rules.d

TOOLS := lib tscpage-ctl tscpage-watch tsc-audit

.PHONY: all modules modules-if-tree modules_install clean selftests tools need-cc \
	install verify check check-host bench bench-guest verify-host

all: tools selftests modules-if-tree

NO_KDIR_MSG = tscpage: no kernel build tree at KDIR=$(KDIR); install \
	linux-headers-$$(uname -r) or pass KDIR=/usr/src/linux-headers-<version>

modules:
	@test -f "$(KDIR)/Makefile" || { echo "$(NO_KDIR_MSG)" >&2; exit 1; }
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

# What 'make' builds of the modules: nothing, said in one line, where this
# machine has no kernel tree (the userspace parts are built all the same).
modules-if-tree:
	@if [ -f "$(KDIR)/Makefile" ]; then \
		$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules; \
	else \
		echo "$(NO_KDIR_MSG)"; \
		echo "tscpage: modules not built; the tools and selftests are, in build/"; \
	fi

# One line, not make's "cc: No such file or directory", where there is
# no compiler.
need-cc:
	@command -v $(CC) >/dev/null || { \
		echo "tscpage: no C compiler ($(CC)): apt-get install build-essential" >&2; \
		exit 1; }

tools: need-cc
	@for t in $(TOOLS); do \
		$(MAKE) -C tools/$$t OUTPUT="$(BUILDDIR)/$$t" || exit 1; \
	done

install: tools
	@for t in $(TOOLS); do \
		$(MAKE) -C tools/$$t OUTPUT="$(BUILDDIR)/$$t" \
			PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" install || exit 1; \
	done
	install -D -m 0644 driver/60-tscpage.rules \
		"$(DESTDIR)$(UDEVRULESDIR)/60-tscpage.rules"

modules_install: modules
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules_install

selftests: need-cc
	$(MAKE) -C selftests OUTPUT="$(OUTPUT)"

verify:
	tools/vmtest/vmtest --kernel 6.12 --plan tools/vmtest/verify.plan

check:
	tools/vmtest/vmtest

bench:
	$(MAKE) -C bench run sensitivity

bench-guest:
	$(MAKE) -C bench OUTPUT=$(CURDIR)/build/bench-static LDFLAGS=-static
	tools/vmtest/vmtest --kernel 6.12 --plan bench/guest.plan \
		--test clocksource_bench
	tools/vmtest/vmtest --kernel 6.12 --plan bench/guest.plan \
		--test clock_latency \
		--add $(CURDIR)/build/bench-static/clock_latency:/opt/tscpage/selftests/clock_latency

# Host mode: clock_warp for this machine, run as a normal user (nobody when
# root) for VERIFY_HOST_S seconds: on a KVM guest, a real hypervisor's clock.
VERIFY_HOST_S ?= 10
verify-host:
	$(MAKE) -C selftests OUTPUT="$(CURDIR)/build/host-mode" \
		"$(CURDIR)/build/host-mode/clock_warp"
	selftests/run-host "$(CURDIR)/build/host-mode/clock_warp" \
		--duration $(VERIFY_HOST_S)

check-host:
	$(MAKE) -C tests/host OUTPUT="$(CURDIR)/build/host"
	tests/host/run "$(CURDIR)/build/host"

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then \
		$(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean; fi
	$(MAKE) -C selftests OUTPUT="$(OUTPUT)" clean
	$(MAKE) -C tests/host OUTPUT="$(CURDIR)/build/host" clean
	rm -rf build
