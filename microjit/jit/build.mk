# microjit/jit: tier policy, profiles, the dispatch-table swap, native entry.
# Portable: built into the kernel and into host programs alike.
MICROJIT_SRCS += microjit/jit/tier_policy.cpp microjit/jit/code_swap.cpp \
  microjit/jit/native_stubs.cpp microjit/jit/jit.cpp microjit/jit/interrupt.cpp microjit/jit/stats_format.cpp \
  microjit/jit/specialisation.cpp microjit/jit/native_entry.cpp microjit/jit/jit_specialise.cpp microjit/jit/io_helper.cpp microjit/jit/jit_resize.cpp
