# fs/fat16/build.mk: the FAT16 driver, its host tests, fuzzer and benchmark.
#
# The driver sources are portable: FAT16_SRCS puts them into the kernel
# (kernel/build.mk), and the host programs below build the very same files -m32.
#
#   $(BUILD)/host/tests/fat16_test   mount, read, write, random-model, crash and
#                                    corruption tests against mkfs.fat, mtools
#                                    and fsck.fat
#   $(BUILD)/asan/tests/fat16_asan_test  the corruption and fault tests under ASan+UBSan
#   make fuzz-fat16                  libFuzzer over mount, walk and read (bounded)
#   make bench-fat16                 host MB/s vs mcopy, and the kernel's 4 MiB read rate
#                                    (fsread at the shell, KVM if it runs the kernel)
#                                    -> $(BUILD)/bench/fat16.json

FAT16_DRIVER_SRCS := fs/fat16/name.cpp fs/fat16/volume.cpp fs/fat16/fat_table.cpp \
  fs/fat16/directory.cpp fs/fat16/file_io.cpp fs/fat16/namespace_ops.cpp fs/fat16/cross_link.cpp \
  fs/fat16/mount_check.cpp
FAT16_SRCS += $(FAT16_DRIVER_SRCS)

FAT16_HOST_LIB := $(FAT16_DRIVER_SRCS) tools/host/panic_host.cpp
FAT16_TEST_SUPPORT := tests/fat16/test_devices.cpp tests/fat16/fat_tools.cpp
FAT16_TEST_SRCS := $(FAT16_TEST_SUPPORT) $(sort $(wildcard tests/fat16/*_test.cpp))

$(eval $(call host_test,fat16_test,$(FAT16_TEST_SRCS),$(FAT16_HOST_LIB)))
$(eval $(call asan_test,fat16_asan_test,$(FAT16_TEST_SUPPORT) tests/fat16/corruption_test.cpp tests/fat16/mount_test.cpp \
  tests/fat16/mount_check_test.cpp,$(FAT16_HOST_LIB)))

# --- fuzzing: clang's libFuzzer, -m32 like every host build ---------------
FAT16_FUZZ_BIN := $(BUILD)/fuzz/fat16_fuzz
FAT16_FUZZ_SECONDS ?= 60
$(FAT16_FUZZ_BIN): tests/fat16/fat16_fuzz.cpp $(FAT16_DRIVER_SRCS) tools/host/panic_host.cpp
	@mkdir -p $(@D)
	$(CLANGXX) -m32 -std=c++20 -O1 -g $(INCLUDES) -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $^ -o $@

.PHONY: fuzz-fat16
fuzz-fat16: $(FAT16_FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/fat16-corpus
	$(PYTHON) tests/fat16/make_fuzz_seeds.py $(BUILD)/fuzz/fat16-corpus
	$(FAT16_FUZZ_BIN) -max_total_time=$(FAT16_FUZZ_SECONDS) -max_len=1200000 -rss_limit_mb=1024 \
	  -timeout=10 $(BUILD)/fuzz/fat16-corpus
FUZZ_TARGETS += fuzz-fat16

# --- benchmark ------------------------------------------------------------
FAT16_BENCH_BIN := $(BUILD)/host/fat16_bench
$(FAT16_BENCH_BIN): $(BUILD)/host/testobj/tests/fat16/fat16_bench.o $(BUILD)/host/testobj/tests/fat16/test_devices.o \
  $(BUILD)/host/testobj/tests/fat16/fat_tools.o $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(FAT16_HOST_LIB))
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@

.PHONY: bench-fat16
bench-fat16: $(FAT16_BENCH_BIN) image
	@mkdir -p $(BUILD)/bench
	$(FAT16_BENCH_BIN) $(BUILD)/bench/fat16.json
	$(PYTHON) tests/fat16/kernel_bench.py $(BUILD) $(BUILD)/bench/fat16.json
BENCH_TARGETS += bench-fat16
