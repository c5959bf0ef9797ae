# tests/gen: random Flow programs (flowgen.py) run at tier 0, tier 1 and auto.
# The test runs the generator itself (BAREFLOW_GEN_COUNT, BAREFLOW_GEN_SEED).
$(eval $(call host_test,gen_diff_test,tests/gen/gen_diff_test.cpp,$(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS) tools/host/panic_host.cpp))

# `make fuzz`: the same differential test over 100,000 generated programs
# (GEN_PROGRAMS), in batches of 5,000 with their own seeds, so that each run
# stays bounded in time and memory; about 14 minutes on two cores. A failing
# batch names its seed: rerun it with BAREFLOW_GEN_SEED=S BAREFLOW_GEN_COUNT=5000.
GEN_PROGRAMS ?= 100000
.PHONY: fuzz-tiers
fuzz-tiers: $(BUILD)/host/tests/gen_diff_test
	@set -e; batches=$$(( ($(GEN_PROGRAMS) + 4999) / 5000 )); \
	for b in $$(seq 1 $$batches); do \
	  seed=$$(( 1000 + b + $${SEED:-0} * 1000 )); \
	  echo "fuzz-tiers: batch $$b of $$batches (seed $$seed)"; \
	  BAREFLOW_GEN_COUNT=5000 BAREFLOW_GEN_SEED=$$seed $(BUILD)/host/tests/gen_diff_test --gtest_brief=1 \
	    || { echo "fuzz-tiers: batch seed $$seed failed"; exit 1; }; \
	done
FUZZ_TARGETS += fuzz-tiers
