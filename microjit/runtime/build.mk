# microjit/runtime: routines every tier shares (checksums, exp).
# Portable: built into the kernel and into host programs alike.
MICROJIT_RUNTIME_SRCS := microjit/runtime/crc32.cpp microjit/runtime/fnv1a64.cpp microjit/runtime/exp_f32.cpp
MICROJIT_SRCS += $(MICROJIT_RUNTIME_SRCS)
