# SPDX-License-Identifier: GPL-2.0-only
#
# Out of tree:  make KDIR=/path/to/kernel/build   (iopgtable.ko, and
#               iopgtable_test.ko where that kernel has KUnit)
# The project:  make demo    prepare the 6.12 kernel, build, run the demo
#               make check   run the KUnit suites under UML
#
# In a kernel tree the Kbuild file is used instead of this one.

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules modules_install clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

demo:
	scripts/demo.sh

check:
	scripts/check.sh

.PHONY: all modules modules_install clean demo check
