# libFuzzer target for the module loader and verifier (tests/fuzz/module_fuzz.cpp).
# Not part of `make test`: `make fuzz` runs it for FUZZ_SECONDS (default 60)
# from a corpus seeded with the shipped modules (prefixed with the byte that
# asks for checksum repair). Findings land in $(BUILD)/fuzz/.
FUZZ_SECONDS ?= 60
MODULE_FUZZ_SRCS := tests/fuzz/module_fuzz.cpp $(MICROJIT_MODULE_SRCS) $(MICROJIT_RUNTIME_SRCS) tools/host/panic_host.cpp
MODULE_FUZZ_FLAGS := -m32 -msse2 -mfpmath=sse -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $(INCLUDES)

$(BUILD)/fuzz/module_fuzz: $(MODULE_FUZZ_SRCS) $(wildcard microjit/module/*.h microjit/runtime/*.h include/bareflow/*.h)
	@mkdir -p $(@D)
	$(CLANGXX) $(MODULE_FUZZ_FLAGS) $(MODULE_FUZZ_SRCS) -o $@

.PHONY: fuzz-module
fuzz-module: $(BUILD)/fuzz/module_fuzz $(MODULE_BFMS)
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/artifacts
	@for m in $(MODULE_BFMS); do \
	  { printf '\001'; cat $$m; } > $(BUILD)/fuzz/corpus/seed-$$(basename $$m); \
	  { printf '\000'; cat $$m; } > $(BUILD)/fuzz/corpus/raw-$$(basename $$m); \
	done
	$(BUILD)/fuzz/module_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
	  -artifact_prefix=$(BUILD)/fuzz/artifacts/ $(BUILD)/fuzz/corpus

FUZZ_TARGETS += fuzz-module

# CRC-fixed snapshot mutants on the real kernel: 250 boots of four mutants
# each (1000 mutants), every answer checked (tests/boot/test_jit_snapshots.py).
.PHONY: fuzz-snapshots
fuzz-snapshots: image
	BAREFLOW_BUILD=$(abspath $(BUILD)) BAREFLOW_SNAP_MUTANT_BOOTS=250 BAREFLOW_SNAP_MUTANT_SEED=$${SEED:-1} \
	  $(PYTHON) -m unittest discover -s tests/boot -p test_jit_snapshots.py -k mutants -v
FUZZ_TARGETS += fuzz-snapshots
