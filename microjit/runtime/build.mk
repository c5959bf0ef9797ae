# microjit/runtime: routines every tier shares (checksums, exp, sin, cos, log, pow, floor), and the
# argument literals both hosts read (the shell's `run`, flowrun), and the print builtins' number formats.
# Portable: built into the kernel and into host programs alike.
MICROJIT_RUNTIME_SRCS := microjit/runtime/crc32.cpp microjit/runtime/fnv1a64.cpp microjit/runtime/exp_f32.cpp \
  microjit/runtime/trig_f32.cpp microjit/runtime/log_f32.cpp microjit/runtime/pow_f32.cpp microjit/runtime/floor_f32.cpp \
  microjit/runtime/literal.cpp microjit/runtime/format_number.cpp
MICROJIT_SRCS += $(MICROJIT_RUNTIME_SRCS)
