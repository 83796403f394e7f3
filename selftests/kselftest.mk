# SPDX-License-Identifier: GPL-2.0
#
# Where kselftest.h comes from, for every Makefile of ours that builds KTAP
# programs: taken at build time out of Debian's linux-source-6.12 tarball,
# never copied into this repository. Set OUTPUT before including this.
#   KSFT_SRC  the tarball (default /usr/src/linux-source-6.12.tar.xz)
#   KSFT_DIR  where kselftest.h is, or is extracted to (default
#             $(OUTPUT)/ksft); any tools/testing/selftests directory works

KSFT_SRC ?= /usr/src/linux-source-6.12.tar.xz
KSFT_DIR ?= $(OUTPUT)/ksft

# With it, the kernel's runner, for an install in run_kselftest.sh's
# layout (its ksft.py is left out: a Python helper none of our programs
# uses). One rule for all: one pass of xz over the tarball, whichever of
# them is asked for first.
KSFT_RUNNER := run_kselftest.sh kselftest/runner.sh kselftest/prefix.pl \
	       kselftest/module.sh kselftest/ktap_helpers.sh
KSFT_FILES := kselftest.h $(KSFT_RUNNER)

# The rule below must not become the includer's default goal.
ksft_default_goal := $(.DEFAULT_GOAL)

$(addprefix $(KSFT_DIR)/,$(KSFT_FILES)) &:
	@test -r "$(KSFT_SRC)" || { \
		echo "$(KSFT_SRC) not found: apt-get install linux-source-6.12, or pass KSFT_DIR=<tools/testing/selftests>" >&2; \
		exit 1; }
	@mkdir -p $(KSFT_DIR)
	tar -xJf "$(KSFT_SRC)" -C $(KSFT_DIR) --strip-components=4 \
		$(addprefix linux-source-6.12/tools/testing/selftests/,$(KSFT_FILES))

.DEFAULT_GOAL := $(ksft_default_goal)
