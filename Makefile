# BareFlow top-level build.
#
# One make, two homes: the same microjit/ and fs/fat16/ sources compile into
# the freestanding i686 kernel (build/kernel/...) and into -m32 hosted test
# programs (build/host/...). Each subsystem lists its sources in its own
# build.mk fragment; this file holds the toolchains, the pattern rules and the
# user-facing targets.
#
#   make / make image   build/bareflow.img (and build/host/flowrun)
#   make run            boot the image in QEMU, serial console on this terminal
#   make debug          the same, paused, with gdb attached at the kernel entry
#   make test           every suite; ends with "N passed, M failed"
#   make bench          benchmarks; figures in build/bench/*.json
#   make fuzz           bounded libFuzzer runs (not part of make test)
#   make clean

BUILD ?= build
PYTHON ?= python3
# `make test` and `make bench` build with every core unless told otherwise.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

# --- toolchains ------------------------------------------------------------
NASM := nasm
CXX_KERNEL := g++
CXX_HOST := g++
CLANGXX := clang++

COMMON_WARN := -Wall -Wextra -Wno-unused-parameter
INCLUDES := -Iinclude -I.

# The kernel: freestanding C++20, 32-bit protected mode, SSE2 baseline.
KERNEL_CXXFLAGS := -m32 -march=i686 -msse -msse2 -mfpmath=sse -std=c++20 -O2 -g \
  -ffreestanding -fno-exceptions -fno-rtti -nostdlib -fno-stack-protector \
  -fno-pic -fno-pie -fno-asynchronous-unwind-tables -fno-threadsafe-statics \
  -fno-use-cxa-atexit -mno-red-zone -mpreferred-stack-boundary=4 \
  $(COMMON_WARN) $(INCLUDES)
# Host: the same sources, -m32 hosted, so emitted code runs natively.
HOST_CXXFLAGS := -m32 -msse2 -mfpmath=sse -std=c++20 -O2 -g $(COMMON_WARN) $(INCLUDES) \
  -fno-exceptions -fno-rtti -MMD -MP
HOST_TEST_CXXFLAGS := -m32 -msse2 -mfpmath=sse -std=c++20 -O2 -g $(COMMON_WARN) $(INCLUDES) \
  -isystem /usr/src/googletest/googletest/include -MMD -MP
HOST_LDFLAGS := -m32 -pthread
# UBSan reports fail the test (by default UBSan prints and carries on).
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1

# --- fragments: each subsystem appends to the variables below --------------
# BOOT_*            stage1/stage2 binaries
# KERNEL_SRCS       kernel-only sources (kernel/...)
# MICROJIT_SRCS     portable JIT sources, built into kernel and host
# FAT16_SRCS        portable FAT16 sources, built into kernel and host
# HOST_TESTS        names of GoogleTest binaries under $(BUILD)/host/tests/
# HOST_PROGRAMS     host programs built by `make` (e.g. build/host/flowrun)
# BENCH_TARGETS     targets that `make bench` runs
# FUZZ_TARGETS      targets that `make fuzz` runs
KERNEL_SRCS :=
MICROJIT_SRCS :=
FAT16_SRCS :=
HOST_TESTS :=
HOST_PROGRAMS :=
BENCH_TARGETS :=
FUZZ_TARGETS :=
TEST_PREREQS :=

# Order matters: tests/build.mk defines the host_test/asan_test helpers the
# others call, and kernel/ and boot/ come last because they consume the source
# lists and module files that the portable subsystems declare.
include tests/build.mk
-include $(sort $(wildcard microjit/build.mk microjit/*/build.mk))
-include $(sort $(wildcard fs/fat16/build.mk))
-include $(sort $(wildcard modules/build.mk tools/*/build.mk tests/*/build.mk))
-include $(sort $(wildcard kernel/build.mk))
-include $(sort $(wildcard boot/build.mk))

# --- pattern rules ----------------------------------------------------------
$(BUILD)/kernel/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX_KERNEL) $(KERNEL_CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/kernel/%.o: %.asm
	@mkdir -p $(@D)
	$(NASM) -f elf32 -g -F dwarf -Iinclude/ -Ikernel/ -MD $(@:.o=.d) $< -o $@

$(BUILD)/host/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_CXXFLAGS) -c $< -o $@

$(BUILD)/host/testobj/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_TEST_CXXFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_TEST_CXXFLAGS) $(ASAN_FLAGS) -c $< -o $@

# --- user-facing targets ----------------------------------------------------
.PHONY: all image run debug test bench fuzz clean deps

all: image $(HOST_PROGRAMS)

deps:
	@bash tools/ensure-deps.sh

run: deps image
	@bash tools/qemu-run.sh $(BUILD)/bareflow.img

debug: deps image
	@bash tools/qemu-run.sh --debug $(BUILD)/bareflow.img $(BUILD)/kernel/kernel.elf

test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all $(addprefix $(BUILD)/host/tests/,$(HOST_TESTS)) $(TEST_PREREQS)
	@$(PYTHON) tests/run_suites.py --build $(BUILD)

# Build in parallel, then run the benchmarks one after another so that they
# do not compete for the cores they measure.
bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@$(MAKE) --no-print-directory $(BENCH_TARGETS)
	@echo "bench figures are in $(BUILD)/bench/"

fuzz: deps $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
