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

