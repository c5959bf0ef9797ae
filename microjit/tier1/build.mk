# microjit/tier1: the baseline JIT (one linear pass over verified bytecode).
# Portable: built into the kernel and into host programs alike.
MICROJIT_SRCS += microjit/tier1/compiler.cpp microjit/tier1/emit_integer.cpp \
  microjit/tier1/emit_float.cpp microjit/tier1/emit_memory.cpp microjit/tier1/emit_control.cpp
