# The general-code suite (tests/suite/README.md): `make bench` runs it after
# the headline benchmark; table on stdout, figures in $(BUILD)/bench/suite.json.
# suite.c is built twice: with gcc -O2 (the reference the results must equal)
# and with -O3 -march=native -ffast-math, its symbols renamed o3_suite_*.
SUITE_BFM := $(BUILD)/bench/SUITE.BFM
SUITE_O2_OBJ := $(BUILD)/bench/obj/suite_o2.o
SUITE_O3_OBJ := $(BUILD)/bench/obj/suite_o3.o

$(SUITE_BFM): tests/suite/suite.flow $(FLOWC_DEPS)
	@mkdir -p $(@D)
	$(PYTHON) $(FLOWC) $< --name SUITE -o $@

$(SUITE_O2_OBJ): tests/suite/suite.c
	@mkdir -p $(@D)
	gcc -O2 -m32 -msse2 -mfpmath=sse -c $< -o $@

$(SUITE_O3_OBJ): tests/suite/suite.c
	@mkdir -p $(@D)
	gcc -m32 -O3 -march=native -ffast-math -c $< -o $@.plain
	nm --defined-only -g $@.plain | awk '$$2 == "T" && $$3 ~ /^suite_/ { print $$3 " o3_" $$3 }' > $@.syms
	objcopy --redefine-syms=$@.syms $@.plain $@

SUITE_BENCH_SRCS := tests/suite/suite_bench.cpp $(BENCH_LIB_SRCS) $(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS) tools/host/panic_host.cpp
$(BUILD)/bench/suite_bench: $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(SUITE_BENCH_SRCS)) $(SUITE_O2_OBJ) $(SUITE_O3_OBJ)
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@

.PHONY: bench-suite
bench-suite: $(BUILD)/bench/suite_bench $(SUITE_BFM)
	$(BUILD)/bench/suite_bench $(SUITE_BFM) $(BUILD)/bench/suite.json

BENCH_TARGETS += bench-suite

# In make test: every tier against gcc -O2's checksums.
$(eval $(call host_test,suite_test,tests/suite/suite_test.cpp,$(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS) tools/host/panic_host.cpp))
$(BUILD)/host/tests/suite_test: $(SUITE_O2_OBJ)
TEST_PREREQS += $(SUITE_BFM)
