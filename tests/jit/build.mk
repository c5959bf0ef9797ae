# tests/jit: the pools, the tier-1 compiler, tier-up and the code swap.
$(eval $(call host_test,pool_test,tests/jit/pool_test.cpp,microjit/pool/pool_core.cpp microjit/pool/host_pools.cpp tools/host/panic_host.cpp))

# Everything a JIT test links: the portable microjit sources and host backing.
JIT_TEST_LIBS := $(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS) tools/host/panic_host.cpp
$(eval $(call host_test,tier1_smoke_test,tests/jit/tier1_smoke_test.cpp,$(JIT_TEST_LIBS)))
TEST_PREREQS += $(MODULE_BFMS)
$(eval $(call host_test,tierup_test,tests/jit/tierup_test.cpp,$(JIT_TEST_LIBS)))
$(eval $(call host_test,tier1_diff_test,tests/jit/tier1_diff_test.cpp,$(JIT_TEST_LIBS)))

# Modules only the JIT tests use.
JIT_TEST_BFMS := $(BUILD)/tests/jit/OPS.BFM
$(BUILD)/tests/jit/OPS.BFM: tests/jit/flow/ops.flow $(FLOWC_DEPS)
	@mkdir -p $(@D)
	$(PYTHON) $(FLOWC) $< --name OPS -o $@
TEST_PREREQS += $(JIT_TEST_BFMS)
