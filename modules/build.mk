# Flow modules: every modules/*.flow compiles with tools/flowc.py into
# $(BUILD)/modules/NAME.BFM, NAME being the source's base name in upper case
# (the FAT 8.3 base name the kernel sees under /MODULES). The image builder
# takes the list from MODULE_BFMS.

FLOWC := tools/flowc.py
FLOWC_DEPS := $(FLOWC) $(wildcard tools/flow/*.py) microjit/opcodes.def
MODULE_SRCS := $(sort $(wildcard modules/*.flow))
MODULE_BFMS := $(foreach src,$(MODULE_SRCS),$(BUILD)/modules/$(shell echo $(basename $(notdir $(src))) | tr a-z A-Z).BFM)

# $(call flow_module,SOURCE,BFM)
define flow_module
$(2): $(1) $(FLOWC_DEPS)
	@mkdir -p $$(@D)
	$(PYTHON) $(FLOWC) $(1) -o $(2)
endef
$(foreach src,$(MODULE_SRCS),$(eval $(call flow_module,$(src),$(BUILD)/modules/$(shell echo $(basename $(notdir $(src))) | tr a-z A-Z).BFM)))

.PHONY: modules
modules: $(MODULE_BFMS)
all: $(MODULE_BFMS)
