# build/host/flowrun: runs a function of a .bfm module on the host with the
# kernel's own loader, verifier, interpreter and JIT (tools/flowrun/flowrun.cpp).
FLOWRUN_SRCS := tools/flowrun/flowrun.cpp tools/host/panic_host.cpp tools/host/directory_host.cpp $(MICROJIT_SRCS) $(MICROJIT_HOST_SRCS)

$(BUILD)/host/flowrun: $(patsubst %.cpp,$(BUILD)/host/obj/%.o,$(FLOWRUN_SRCS))
	@mkdir -p $(@D)
	$(CXX_HOST) $(HOST_LDFLAGS) $^ -o $@

HOST_PROGRAMS += $(BUILD)/host/flowrun
