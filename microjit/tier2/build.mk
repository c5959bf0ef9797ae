# microjit/tier2: the optimising tier (IR, optimisations, pattern recognisers,
# pattern code generators). Portable: the same sources go into the kernel
# (MICROJIT_SRCS) and into the -m32 host test below.
#
#   $(BUILD)/host/tests/tier2_test   IR, optimisation, pattern and native-code tests
#   $(BUILD)/asan/tests/tier2_test   the same under AddressSanitizer + UBSan

TIER2_SRCS := microjit/tier2/bytecode.cpp microjit/tier2/ir.cpp microjit/tier2/cfg.cpp \
  microjit/tier2/ssa_builder.cpp microjit/tier2/semantics.cpp microjit/tier2/eval.cpp \
  microjit/tier2/loops.cpp microjit/tier2/simplify.cpp microjit/tier2/loop_opts.cpp \
  microjit/tier2/patterns_loops.cpp microjit/tier2/patterns_function.cpp \
  microjit/tier2/codegen_scalar.cpp microjit/tier2/codegen_vector.cpp microjit/tier2/codegen_matmul.cpp microjit/tier2/codegen_general.cpp \
  microjit/tier2/codegen_general_alloc.cpp microjit/tier2/codegen_general_values.cpp microjit/tier2/codegen_general_loops.cpp \
  microjit/tier2/codegen_general_copies.cpp microjit/tier2/codegen_general_memory.cpp \
  microjit/tier2/module_adapter.cpp microjit/tier2/tier2_compiler.cpp
TIER2_SRCS += microjit/tier2/codegen_unrolled.cpp microjit/tier2/loop_unroll.cpp microjit/tier2/codegen_general_vector.cpp microjit/tier2/codegen_general_vector_plan.cpp microjit/tier2/gvn.cpp
MICROJIT_SRCS += $(TIER2_SRCS)

TIER2_TEST_SRCS := tests/tier2/ir_test.cpp tests/tier2/optimize_test.cpp tests/tier2/patterns_test.cpp \
  tests/tier2/codegen_test.cpp tests/tier2/modules_test.cpp tests/tier2/runtime_test.cpp \
  tests/tier2/general_codegen_test.cpp tests/tier2/general_runtime_test.cpp
TIER2_TEST_SRCS += tests/tier2/spec_test.cpp tests/tier2/fma_test.cpp tests/tier2/exact_division_test.cpp
TIER2_TEST_SRCS += tests/tier2/unroll_test.cpp tests/tier2/vector_loop_test.cpp
# The tests link all of microjit (tier 2 runs on the loader's modules, against
# the interpreter, and inside the JIT runtime through Tier2Compiler). Some
# fragments (microjit/x86) are read after this one, so the sources are taken
# by wildcard rather than from their variables.
TIER2_HOST_LIB := $(sort $(wildcard microjit/*/*.cpp)) tools/host/panic_host.cpp

$(eval $(call host_test,tier2_test,$(TIER2_TEST_SRCS),$(TIER2_HOST_LIB)))

# The loop vectoriser's test module (tests/tier2/vector_loop_test.cpp).
$(BUILD)/tests/VECLOOPS.BFM: tests/tier2/vector_loops.flow $(FLOWC_DEPS)
	@mkdir -p $(@D)
	$(PYTHON) tools/flowc.py $< --name VECLOOPS -o $@
TEST_PREREQS += $(BUILD)/tests/VECLOOPS.BFM

# The module tests read the compiled modules/*.flow (rules in modules/build.mk,
# which is read after this file; the names follow its NAME.BFM convention).
TEST_PREREQS += $(foreach src,$(sort $(wildcard modules/*.flow)),$(BUILD)/modules/$(shell echo $(basename $(notdir $(src))) | tr a-z A-Z).BFM)

# --- benchmark (make bench) ---------------------------------------------------
# Tier-2 pattern code against tier 0 and gcc -O2 on the kernels it compiles;
# figures in $(BUILD)/bench/tier2.json. The extra C kernels are compiled alone
# with the same flags as tests/bench's reference kernels.
TIER2_BENCH := $(BUILD)/bench/tier2_bench
TIER2_BENCH_REF_OBJ := $(BUILD)/bench/obj/tier2_bench_reference.o
$(TIER2_BENCH_REF_OBJ): tests/tier2/bench_reference.c
	@mkdir -p $(@D)
	gcc -O2 -m32 -msse2 -mfpmath=sse -c $< -o $@
$(TIER2_BENCH): $(patsubst %.cpp,$(BUILD)/host/obj/%.o,tests/tier2/tier2_bench.cpp tests/bench/bench.cpp $(TIER2_HOST_LIB)) \
  $(TIER2_BENCH_REF_OBJ) $(BUILD)/bench/obj/reference_kernels.o
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@

.PHONY: bench-tier2
bench-tier2: $(TIER2_BENCH) $(foreach src,$(sort $(wildcard modules/*.flow)),$(BUILD)/modules/$(shell echo $(basename $(notdir $(src))) | tr a-z A-Z).BFM)
	$(TIER2_BENCH) $(BUILD)/modules $(BUILD)/bench/tier2.json
BENCH_TARGETS += bench-tier2

# The same tests under AddressSanitizer and UBSan.
$(eval $(call asan_test,tier2_test,$(TIER2_TEST_SRCS),$(TIER2_HOST_LIB)))
