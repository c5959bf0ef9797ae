# tests/gen: random Flow programs (flowgen.py) run at tier 0, tier 1 and auto.
# The test runs the generator itself (BAREFLOW_GEN_COUNT, BAREFLOW_GEN_SEED).
$(eval $(call host_test,gen_diff_test,tests/gen/gen_diff_test.cpp,$(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS) tools/host/panic_host.cpp))
