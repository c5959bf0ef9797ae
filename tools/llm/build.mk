# build/host/llm: the `llm` command on the host (tools/llm/llm.cpp): the
# LLAMA2 module run by the kernel's own microjit, with the same generation
# loop as the kernel's shell (kernel/llm/), for tests and benchmarks.
LLM_SRCS := tools/llm/llm.cpp kernel/llm/llm_options.cpp kernel/llm/llm_run.cpp kernel/lib/format.cpp \
            tools/host/panic_host.cpp tools/host/directory_host.cpp $(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS)

$(BUILD)/host/llm: $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(LLM_SRCS))
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@

HOST_PROGRAMS += $(BUILD)/host/llm
