// JitInstance::resize_buffer: a buffer sized to the data, between calls.
//
// Native code may embed a buffer's base and length (tier 2 folds them into
// its addressing), so after the memory moves no code compiled before may
// run again. Rather than find and patch every such use, the whole module
// goes back to tier 0 with fresh counters: the next calls tier up again
// from the interpreter, against the new buffer. A resize is an event
// between runs (a new input file), not something on a hot path.
#include <microjit/jit/jit.h>
#include <microjit/module/files.h>

ErrorOr<void> JitInstance::resize_buffer(u32 buffer, u32 count)
{
    if (!m_instance || !m_module)
        return Error::InvalidArgument;
    ModuleInstance& instance = *m_instance;
    const Module& module = *m_module;
    TRY(::resize_buffer(instance, buffer, count)); // on failure nothing changed
    detach(); // every dispatch entry back to 0, the code retired
    for (u32 f = 0; f < module.function_count; ++f)
        instance.profiles[f] = FunctionProfile { 0, 0 };
    auto prepared = prepare(module);
    attach(instance);
    return prepared;
}
