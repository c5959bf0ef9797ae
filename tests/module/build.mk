# Tests of microjit/module and microjit/runtime: module results at tier 0,
# traps, verifier rejections, the tier hooks, flowrun; and the mutation test,
# which also runs in an AddressSanitizer + UBSan build.
# The shipped modules are compiled by flowc first (MODULE_BFMS, modules/build.mk).
MODULE_TEST_LIB_SRCS := $(MICROJIT_MODULE_SRCS) $(MICROJIT_RUNTIME_SRCS) tools/host/panic_host.cpp
MODULE_TEST_SRCS := $(sort $(wildcard tests/module/*_test.cpp))
MODULE_ASAN_TEST_SRCS := tests/module/mutation_test.cpp tests/module/verifier_test.cpp tests/module/trap_test.cpp \
  tests/module/superinstruction_test.cpp tests/module/instance_test.cpp

$(eval $(call host_test,module_tests,$(MODULE_TEST_SRCS),$(MODULE_TEST_LIB_SRCS)))
$(eval $(call asan_test,module_asan_tests,$(MODULE_ASAN_TEST_SRCS),$(MODULE_TEST_LIB_SRCS)))

# The tests read the modules and run flowrun at run time.
$(BUILD)/host/tests/module_tests: | $(MODULE_BFMS) $(BUILD)/host/flowrun
$(BUILD)/asan/tests/module_asan_tests: | $(MODULE_BFMS)
