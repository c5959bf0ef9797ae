// `dis MOD.FUNC`: the native code now installed for a function, one
// instruction per line as offset and hex bytes. Instruction boundaries come
// from the length decoder (microjit/x86/length_decoder.h), the same walk
// that checks code loaded from a snapshot; bytes it cannot decode are shown
// raw, sixteen to a line, and counted.
#include <kernel/jit/jit_system.h>
#include <kernel/lib/kprintf.h>
#include <kernel/shell/command.h>
#include <microjit/x86/length_decoder.h>

namespace {

void print_bytes(const u8* code, u32 offset, u32 length)
{
    kprintf("  %08x +%04x  ", reinterpret_cast<u32>(code + offset), offset);
    for (u32 i = 0; i < length; ++i)
        kprintf("%02x%s", code[offset + i], i + 1 < length ? " " : "");
    kprintf("\n");
}

ErrorOr<void> cmd_dis(int argc, char** argv)
{
    if (argc != 2)
        return Error::BadArguments;
    if (!jit_system_ready())
        return Error::NotSupported;
    FunctionRef ref = TRY(resolve_function(argv[1]));
    const JitFunctionProfile& p = ref.slot->jit->profile(ref.function);
    const char* name = ref.slot->module->functions[ref.function].name;
    if (!p.code || !p.code_size) {
        kprintf("%s.%s runs in the interpreter (tier 0): no native code yet\n", ref.slot->module->name, name);
        return {};
    }
    kprintf("%s.%s: tier %u, %u bytes at %p\n", ref.slot->module->name, name, p.tier, p.code_size, p.code);
    u32 offset = 0, instructions = 0, undecoded = 0;
    while (offset < p.code_size) {
        auto length = x86::instruction_length(p.code + offset, p.code_size - offset);
        if (length.is_error()) {
            u32 n = p.code_size - offset < 16 ? p.code_size - offset : 16;
            kprintf("  (%s)\n", error_message(length.error()));
            print_bytes(p.code, offset, n);
            offset += n;
            undecoded += n;
            continue;
        }
        print_bytes(p.code, offset, length.value());
        offset += length.value();
        ++instructions;
    }
    kprintf("%u instructions", instructions);
    if (undecoded)
        kprintf(", %u bytes the length decoder could not walk", undecoded);
    kprintf("\n");
    return {};
}
SHELL_COMMAND("dis", "dis MOD.FUNC", "the function's native code as hex, one instruction per line", cmd_dis);

} // namespace
