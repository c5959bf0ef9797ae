# microjit/x86/build.mk: the x86 emitter and its length decoder.
#
# The sources are portable: MICROJIT_SRCS puts them into the kernel, and the
# host test binaries below build the very same files -m32.
#
#   $(BUILD)/host/tests/x86_emitter_test  golden, execution, error, label and decoder tests
#   $(BUILD)/host/x86_golden_dump         prints every golden case (text and bytes) for
#                                         tools/gen_x86_vectors.py
#   make bench-emitter                    MInst/s and object size -> $(BUILD)/bench/emitter.json
#   make disasm FILE=blob.bin             a code blob through objdump (tools/disasm.py)

X86_SRCS := microjit/x86/assembler.cpp microjit/x86/assembler_labels.cpp \
  microjit/x86/assembler_gp.cpp microjit/x86/assembler_sse.cpp microjit/x86/length_decoder.cpp
MICROJIT_SRCS += $(X86_SRCS)

X86_HOST_LIB := $(X86_SRCS) tools/host/panic_host.cpp
X86_TEST_SRCS := tests/x86/golden_cases.cpp tests/x86/golden_test.cpp tests/x86/exec_test.cpp \
  tests/x86/error_test.cpp tests/x86/label_test.cpp tests/x86/decoder_test.cpp

$(eval $(call host_test,x86_emitter_test,$(X86_TEST_SRCS),$(X86_HOST_LIB)))
# Under AddressSanitizer/UBSan: the tests that do not need the (slow to
# compile) golden case list.
$(eval $(call asan_test,x86_emitter_test,tests/x86/exec_test.cpp tests/x86/error_test.cpp tests/x86/label_test.cpp,$(X86_HOST_LIB)))

X86_GOLDEN_DUMP := $(BUILD)/host/x86_golden_dump
$(X86_GOLDEN_DUMP): $(patsubst %.cpp,$(BUILD)/host/testobj/%.o,tests/x86/golden_dump.cpp tests/x86/golden_cases.cpp) \
  $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(X86_HOST_LIB))
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@
TEST_PREREQS += $(X86_GOLDEN_DUMP)

# Regenerates tests/x86/golden_vectors.txt from nasm and objdump.
.PHONY: x86-vectors
x86-vectors: $(X86_GOLDEN_DUMP)
	$(PYTHON) tools/gen_x86_vectors.py --dump $(X86_GOLDEN_DUMP) --out tests/x86/golden_vectors.txt

# --- benchmark --------------------------------------------------------------
X86_BENCH := $(BUILD)/host/x86_emitter_bench
X86_KERNEL_OBJS := $(patsubst %.cpp,$(BUILD)/kernel/%.o,$(X86_SRCS))
# The benchmark links the kernel's own objects (freestanding, -O2, no PIC),
# so it measures the code that runs in the kernel.
$(X86_BENCH): $(BUILD)/host/obj/tests/x86/bench_emitter.o $(BUILD)/host/obj/tools/host/panic_host.o $(X86_KERNEL_OBJS)
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) -no-pie $^ -o $@

.PHONY: bench-emitter
bench-emitter: $(X86_BENCH) $(X86_KERNEL_OBJS)
	@mkdir -p $(BUILD)/bench
	@$(X86_BENCH) --json $(BUILD)/bench/emitter.json \
	  --code-size $$(size -B $(X86_KERNEL_OBJS) | awk 'NR>1 { s += $$1 + $$2 } END { print s }')
BENCH_TARGETS += bench-emitter

.PHONY: disasm
disasm:
	@$(PYTHON) tools/disasm.py $(FILE)
