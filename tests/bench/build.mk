# Benchmarks. A small library (bench.cpp: timing, inputs, table, JSON) and
# the C reference kernels, shared by one driver per tier; this fragment
# builds the interpreter's driver. `make bench` runs it and leaves the
# figures in $(BUILD)/bench/interp.json.
#
# The reference kernels are compiled with exactly the flags the comparison
# promises, in their own translation unit, so nothing is inlined or folded
# into the driver.
BENCH_REFERENCE_CFLAGS := -O2 -m32 -msse2 -mfpmath=sse
BENCH_REFERENCE_OBJ := $(BUILD)/bench/obj/reference_kernels.o
BENCH_LIB_SRCS := tests/bench/bench.cpp

$(BENCH_REFERENCE_OBJ): tests/bench/reference_kernels.c tests/bench/reference_kernels.h
	@mkdir -p $(@D)
	gcc $(BENCH_REFERENCE_CFLAGS) -c $< -o $@

INTERP_BENCH_SRCS := tests/bench/interp_bench.cpp $(BENCH_LIB_SRCS) tools/host/panic_host.cpp \
  $(MICROJIT_MODULE_SRCS) $(MICROJIT_RUNTIME_SRCS)

$(BUILD)/bench/interp_bench: $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(INTERP_BENCH_SRCS)) $(BENCH_REFERENCE_OBJ)
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@

.PHONY: bench-interp
bench-interp: $(BUILD)/bench/interp_bench $(MODULE_BFMS)
	$(BUILD)/bench/interp_bench $(BUILD)/modules $(BUILD)/bench/interp.json

BENCH_TARGETS += bench-interp
