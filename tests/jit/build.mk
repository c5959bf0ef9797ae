# tests/jit: the pools, the tier-1 compiler, tier-up and the code swap.
$(eval $(call host_test,pool_test,tests/jit/pool_test.cpp,microjit/pool/pool_core.cpp microjit/pool/host_pools.cpp tools/host/panic_host.cpp))

# Everything a JIT test links: the portable microjit sources and host backing.
JIT_TEST_LIBS := $(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS) tools/host/panic_host.cpp
$(eval $(call host_test,tier1_smoke_test,tests/jit/tier1_smoke_test.cpp,$(JIT_TEST_LIBS)))
TEST_PREREQS += $(MODULE_BFMS)
$(eval $(call host_test,tierup_test,tests/jit/tierup_test.cpp,$(JIT_TEST_LIBS)))
$(eval $(call host_test,tier1_diff_test,tests/jit/tier1_diff_test.cpp,$(JIT_TEST_LIBS)))
# Ctrl-C and the watchdog: a timer signal interrupts runaway calls at every tier.
$(eval $(call host_test,interrupt_test,tests/jit/interrupt_test.cpp,$(JIT_TEST_LIBS)))
# Which NaN an f32 operation returns, at every tier.
$(eval $(call host_test,nan_order_test,tests/jit/nan_order_test.cpp,$(JIT_TEST_LIBS)))
# The list of absolute addresses in JIT code (what snapshots rebase).
$(eval $(call host_test,absolute_fields_test,tests/jit/absolute_fields_test.cpp,$(JIT_TEST_LIBS)))

# Modules only the JIT tests use.
JIT_TEST_BFMS := $(BUILD)/tests/jit/OPS.BFM
$(BUILD)/tests/jit/OPS.BFM: tests/jit/flow/ops.flow $(FLOWC_DEPS)
	@mkdir -p $(@D)
	$(PYTHON) $(FLOWC) $< --name OPS -o $@
TEST_PREREQS += $(JIT_TEST_BFMS)

# --- the tier-1 benchmark (make bench -> $(BUILD)/bench/tier1.json) ----------
JIT_TEST_BFMS += $(BUILD)/tests/jit/HUNDRED.BFM
$(BUILD)/tests/jit/HUNDRED.BFM: tests/jit/flow/hundred.flow $(FLOWC_DEPS)
	@mkdir -p $(@D)
	$(PYTHON) $(FLOWC) $< --name HUNDRED -o $@

TIER1_BENCH_EXTRA_OBJ := $(BUILD)/bench/obj/tier1_reference_extra.o
$(TIER1_BENCH_EXTRA_OBJ): tests/jit/bench_reference_extra.c
	@mkdir -p $(@D)
	gcc $(BENCH_REFERENCE_CFLAGS) -c $< -o $@

TIER1_BENCH_SRCS := tests/jit/bench_tier1.cpp $(BENCH_LIB_SRCS) $(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS) tools/host/panic_host.cpp
$(BUILD)/bench/bench_tier1: $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(TIER1_BENCH_SRCS)) $(BENCH_REFERENCE_OBJ) $(TIER1_BENCH_EXTRA_OBJ)
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@

.PHONY: bench-tier1
bench-tier1: $(BUILD)/bench/bench_tier1 $(MODULE_BFMS) $(JIT_TEST_BFMS)
	$(BUILD)/bench/bench_tier1 $(BUILD)/modules $(BUILD)/tests/jit $(BUILD)/bench/tier1.json

BENCH_TARGETS += bench-tier1

# The pools and tier 1 again under AddressSanitizer and UBSan: the compiler,
# the pools and the runtime are C++ that must not touch memory it does not own.
$(eval $(call asan_test,pool_test_asan,tests/jit/pool_test.cpp,microjit/pool/pool_core.cpp microjit/pool/host_pools.cpp tools/host/panic_host.cpp))
$(eval $(call asan_test,tier1_diff_test_asan,tests/jit/tier1_diff_test.cpp,$(JIT_TEST_LIBS)))
$(eval $(call asan_test,absolute_fields_test,tests/jit/absolute_fields_test.cpp,$(JIT_TEST_LIBS)))

# flowrun's JIT options, run as a user would (needs $(BUILD)/host/flowrun).
$(eval $(call host_test,flowrun_tier_test,tests/jit/flowrun_tier_test.cpp,$(JIT_TEST_LIBS)))

# The file and print builtins at every tier, and buffers resized between calls.
$(eval $(call host_test,flow_io_test,tests/jit/flow_io_test.cpp,$(JIT_TEST_LIBS)))
