// `llm CHECKPOINT [-z TOKENIZER] [-n STEPS] [-t TEMP] [-p TOPP] [-s SEED] [-i PROMPT]`:
// generates text with the LLAMA2 module (modules/llama2.flow) from a
// llama2.c checkpoint and tokenizer on the boot volume, as run.c does, and
// prints `achieved tok/s: X`. The loop is llm_run.cpp's, shared with the
// host tool; this file is its kernel home: calls go through the JIT with its
// tier policy (so the model tiers up while it runs, and a snapshot makes the
// next boot start hot), and Ctrl-C or the watchdog stops any call.
#include <kernel/jit/arguments.h>
#include <kernel/jit/jit_system.h>
#include <kernel/jit/running_call.h>
#include <kernel/snapshot/snapshot.h>
#include <kernel/lib/kprintf.h>
#include <kernel/llm/llm.h>
#include <kernel/shell/command.h>
#include <kernel/time/clock.h>
#include <microjit/module/files.h>

namespace {

class KernelHome final : public LlmHome {
public:
    explicit KernelHome(LoadedModule& slot)
        : m_slot(slot)
    {
    }

    ErrorOr<Value> call(u32 function, const Value* args, u32 count) override
    {
        ErrorOr<Value> result = Error::Ok;
        {
            RunningCall running(*m_slot.jit);
            result = m_slot.jit->call(function, args, count);
        }
        if (result.is_error()) {
            kprintf("\nllm: ");
            print_trap(*m_slot.instance);
            if (result.error() == Error::TrapInterrupted)
                print_stop_reason();
        }
        return result;
    }

    ErrorOr<void> resize(u32 buffer, u32 count) override
    {
        auto resized = m_slot.jit->resize_buffer(buffer, count);
        if (resized.is_error())
            kprintf("llm: buffer %s.%s: %u elements (%u KiB): %s%s\n", m_slot.module->name,
                    m_slot.module->buffers[buffer].name, count, count / 256, error_message(resized.error()),
                    resized.error() == Error::OutOfMemory ? "; the data pool is full: boot with more memory (qemu -m)" : "");
        return resized;
    }

    ErrorOr<void> bind(u32 item, const char* path) override
    {
        auto bound = bind_file(*m_slot.instance, item, path);
        if (bound.is_error())
            kprintf("llm: '%s' is not a path on the boot volume (absolute, printable, at most 127 characters)\n", path);
        return bound;
    }

    // A snapshot saved after an earlier run has this layout: its code goes
    // in before the first call, so the first token comes from tier-2 code
    // without compiling (load_snapshot says what it did, or why not).
    void buffers_sized() override { (void)load_snapshot(m_slot, false); }

    View buffer(u32 buffer) override { return m_slot.instance->buffers[buffer]; }
    u8 tier(u32 function) override { return m_slot.jit->profile(function).tier; }
    u64 now_ns() override { return ::now_ns(); }
    void write(const char* text) override { kprintf("%s", text); }
    void status(const char* text) override { kprintf("%s\n", text); }

private:
    LoadedModule& m_slot;
};

ErrorOr<void> cmd_llm(int argc, char** argv)
{
    LlmOptions options;
    char why[160];
    if (parse_llm_options(argc, argv, options, why, sizeof why).is_error()) {
        kprintf("llm: %s\n", why);
        return Error::BadArguments;
    }
    if (!jit_system_ready())
        return Error::NotSupported;
    LoadedModule* slot = find_module_named("LLAMA2");
    if (!slot) {
        kprintf("llm: the LLAMA2 module is not loaded: put LLAMA2.BFM in %s and `reload`\n", modules_directory);
        return Error::NoSuchFunction;
    }
    KernelHome home(*slot);
    auto report = run_llm(*slot->module, options, home);
    if (report.is_error())
        return {}; // reported
    const LlmReport& r = report.value();
    kprintf("llm: load %llu ms, first token %llu ms (matmul at tier %u), %u positions\n", r.load_ns / 1000000,
            r.first_token_ns / 1000000, r.first_token_tier, r.tokens);
    return {};
}
SHELL_COMMAND("llm", "llm CHECKPOINT [-z TOKENIZER] [-n STEPS] [-t TEMP] [-p TOPP] [-s SEED] [-i PROMPT]",
              "generate text with the LLAMA2 module from a llama2.c checkpoint (docs/llm.md)", cmd_llm);

} // namespace
