# microjit/module: the .bfm loader and verifier, module instances and the
# tier-0 interpreter. Portable: built into the kernel and into host programs.
MICROJIT_MODULE_SRCS := \
  microjit/module/bytecode.cpp \
  microjit/module/format_message.cpp \
  microjit/module/reporter.cpp \
  microjit/module/loader.cpp \
  microjit/module/verifier.cpp \
  microjit/module/instance.cpp \
  microjit/module/files.cpp \
  microjit/module/interpreter_decode.cpp \
  microjit/module/interpreter.cpp \
  microjit/module/call_function.cpp
MICROJIT_SRCS += $(MICROJIT_MODULE_SRCS)
