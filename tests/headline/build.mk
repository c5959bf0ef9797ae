# The headline benchmark of issue 7 (`make bench`): every kernel at tier 0, 1
# and 2 through the real JIT runtime, next to gcc -O2 and gcc -O3
# -march=native -ffast-math, in one run; table on stdout, figures in
# $(BUILD)/bench/results.json, chart in $(BUILD)/bench/results.svg.
#
# The C kernels are the existing reference files (tests/bench, tests/jit,
# tests/tier2) plus primes. The -O2 objects are the ones those fragments
# build; the -O3 objects are the same sources compiled alone with exactly
# HEADLINE_O3_CFLAGS, their ref* functions renamed o3_ref* so both sets link together.
HEADLINE_O2_CFLAGS := -O2 -m32 -msse2 -mfpmath=sse
HEADLINE_O3_CFLAGS := -m32 -O3 -march=native -ffast-math
HEADLINE_C_SRCS := tests/bench/reference_kernels.c tests/jit/bench_reference_extra.c tests/tier2/bench_reference.c \
  tests/headline/reference_primes.c
HEADLINE_O3_OBJS := $(patsubst %.c,$(BUILD)/bench/obj/o3/%.o,$(HEADLINE_C_SRCS))
HEADLINE_PRIMES_O2_OBJ := $(BUILD)/bench/obj/headline_primes_o2.o

$(HEADLINE_PRIMES_O2_OBJ): tests/headline/reference_primes.c
	@mkdir -p $(@D)
	gcc $(HEADLINE_O2_CFLAGS) -c $< -o $@

$(BUILD)/bench/obj/o3/%.o: %.c
	@mkdir -p $(@D)
	gcc $(HEADLINE_O3_CFLAGS) -c $< -o $@.plain
	nm --defined-only -g $@.plain | awk '$$2 == "T" && $$3 ~ /^ref/ { print $$3 " o3_" $$3 }' > $@.syms
	objcopy --redefine-syms=$@.syms $@.plain $@

HEADLINE_SRCS := tests/headline/headline_bench.cpp tests/headline/headline_report.cpp $(BENCH_LIB_SRCS) \
  $(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS) tools/host/panic_host.cpp
$(BUILD)/bench/headline_bench: $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(HEADLINE_SRCS)) $(BENCH_REFERENCE_OBJ) \
  $(BUILD)/bench/obj/tier1_reference_extra.o $(BUILD)/bench/obj/tier2_bench_reference.o $(HEADLINE_PRIMES_O2_OBJ) \
  $(HEADLINE_O3_OBJS)
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@

.PHONY: bench-headline
bench-headline: $(BUILD)/bench/headline_bench $(MODULE_BFMS)
	$(BUILD)/bench/headline_bench $(BUILD)/modules $(BUILD)/bench/results.json
	$(PYTHON) tools/benchchart.py $(BUILD)/bench/results.json $(BUILD)/bench/results.svg

BENCH_TARGETS += bench-headline
