# tests/jit: the pools, the tier-1 compiler, tier-up and the code swap.
$(eval $(call host_test,pool_test,tests/jit/pool_test.cpp,microjit/pool/pool_core.cpp microjit/pool/host_pools.cpp tools/host/panic_host.cpp))
