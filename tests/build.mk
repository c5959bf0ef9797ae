# Host test plumbing: GoogleTest built -m32 from the distribution's sources
# (/usr/src/googletest, Debian package `googletest`), and a helper that other
# fragments call to declare a test binary.

GTEST_DIR := /usr/src/googletest/googletest
GTEST_LIB := $(BUILD)/host/gtest/libgtest.a
GTEST_FLAGS := -m32 -std=c++20 -O1 -g -isystem $(GTEST_DIR)/include -I$(GTEST_DIR) -pthread

$(GTEST_LIB): 
	@mkdir -p $(@D)
	$(CXX_HOST) $(GTEST_FLAGS) -c $(GTEST_DIR)/src/gtest-all.cc -o $(@D)/gtest-all.o
	$(CXX_HOST) $(GTEST_FLAGS) -c $(GTEST_DIR)/src/gtest_main.cc -o $(@D)/gtest_main.o
	ar rcs $@ $(@D)/gtest-all.o $(@D)/gtest_main.o

# $(call host_test,NAME,TEST_SOURCES,LIBRARY_SOURCES)
# Builds $(BUILD)/host/tests/NAME: test sources get GoogleTest's include path,
# library sources are built exactly as for every other host program.
define host_test
HOST_TESTS += $(1)
$(BUILD)/host/tests/$(1): $(patsubst %.cpp,$(BUILD)/host/testobj/%.o,$(2)) $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(3)) $(GTEST_LIB)
	@mkdir -p $$(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $$^ -o $$@
endef

# $(call asan_test,NAME,TEST_SOURCES,LIBRARY_SOURCES)
# The same, with AddressSanitizer and UBSan over every object; the binary lands
# in $(BUILD)/asan/tests/NAME and `make test` runs it like the others.
define asan_test
TEST_PREREQS += $(BUILD)/asan/tests/$(1)
$(BUILD)/asan/tests/$(1): $(patsubst %.cpp,$(BUILD)/asan/obj/%.o,$(2) $(3)) $(GTEST_LIB)
	@mkdir -p $$(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $(ASAN_FLAGS) $$^ -o $$@
endef
