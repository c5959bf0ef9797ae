# tools/flowimg/build.mk: `make swap MOD=modules/x.flow` puts one module onto
# the default image with tools/flowimg.py (compiled if MOD is a .flow, checked
# if it is a .bfm) as /MODULES/X.BFM, with no rebuild. The image is built
# first only if it does not exist yet; an existing one is edited in place,
# never regenerated, so earlier swaps stay even when its inputs are newer
# (the image is not a prerequisite: make would remake it, order-only or not).
# A later `make image` after a source change rebuilds it from modules/ again.
# Guide: docs/swapping-modules.md.

FLOWIMG := tools/flowimg.py
SWAP_IMAGE := $(BUILD)/bareflow.img

# MOD is checked when make reads this file, so a missing one fails before
# anything (the image included) is built.
ifneq ($(filter swap,$(MAKECMDGOALS)),)
ifeq ($(strip $(MOD)),)
$(error make swap: say which module, e.g. make swap MOD=modules/fib.flow (or MOD=path/FIB.BFM))
endif
ifeq ($(wildcard $(MOD)),)
$(error make swap: MOD=$(MOD): no such file)
endif
endif

.PHONY: swap
swap:
	@if [ ! -f $(SWAP_IMAGE) ]; then $(MAKE) --no-print-directory image; fi
	$(PYTHON) $(FLOWIMG) put $(SWAP_IMAGE) $(MOD)
