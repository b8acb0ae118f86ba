# SPDX-License-Identifier: GPL-2.0
#
# harepl: `make` builds the module and the tool, `make check` runs every
# test in qemu, `make demo` shows two nodes at work. See README.md.

# The newest kernel that has both headers and a bootable image (for qemu).
KVER ?= $(shell scripts/kver.sh)
KDIR ?= /usr/lib/modules/$(KVER)/build

BUILD := $(CURDIR)/build
KSRC := $(BUILD)/ksrc/linux-source-6.1
CHECKPATCH := $(KSRC)/scripts/checkpatch.pl
# kselftest_harness.h has unused parameters of its own
TEST_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror -std=gnu11 -I$(CURDIR)/include/uapi \
	-I$(CURDIR)/userspace \
	-I$(KSRC)/tools/testing/selftests $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
TEST_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
TEST_PROGS := $(patsubst tests/%.c,$(BUILD)/tests/bin/%,$(wildcard tests/*.c))

.PHONY: all module userspace deps ksrc tests-bin initramfs check demo bench style \
	sparse clean

all: module userspace

module:
	@test -n "$(KVER)" || { echo "no kernel headers with a matching /boot/vmlinuz; run scripts/install-deps.sh" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

userspace:
	$(MAKE) -C userspace

deps:
	scripts/install-deps.sh

# Pieces of Debian's linux-source-6.1: checkpatch and kselftest_harness.h
ksrc: $(KSRC)/.done
$(KSRC)/.done:
	scripts/extract-ksrc.sh $(BUILD)/ksrc

tests-bin: $(TEST_PROGS)
$(BUILD)/tests/bin/%: tests/%.c userspace/crc32c.c include/uapi/linux/harepl.h $(KSRC)/.done
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< userspace/crc32c.c $(TEST_LIBS)

initramfs: all tests-bin
	scripts/mkinitramfs.sh $(BUILD)/initramfs.cpio

# T=name runs one test (or several: T="a b")
check: deps
	$(MAKE) initramfs
	$(MAKE) -C userspace check
	scripts/run-tests.sh $(T)

demo: deps
	$(MAKE) initramfs
	scripts/run-tests.sh -v demo

# raw disk, link, harepl sync/async and DRBD 8.4 protocol C/A side by side in
# two VMs, with resync and write-intent points (about 18 min on a quiet host,
# 33 min on a loaded one; QUICK=1: the smoke test, about 2 min). Writes
# build/bench/results.txt and Documentation/performance.{md,png}.
bench: deps
	$(MAKE) initramfs
	scripts/bench.sh $(if $(QUICK),--quick)

style: ksrc
	$(CHECKPATCH) --no-tree --strict -f $(filter-out %.mod.c,$(wildcard kernel/*.[ch])) \
		include/uapi/linux/harepl.h include/uapi/linux/harepl_wire.h

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 W=1 modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean
	rm -rf $(BUILD)
