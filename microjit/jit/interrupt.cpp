// Stopping a running call from an interrupt (Ctrl-C, the watchdog).
//
// The interpreter tests ModuleInstance::interrupt at every back edge and
// call, but native code tests nothing: it runs at full speed, and the
// interrupt handler itself moves it out. Native code keeps no state that
// outlives the call except counters and buffers, which a trap leaves as they
// are anyway, and every native frame lies between the innermost jit_enter
// and the interrupted instruction. So an EIP in a function's native code can
// be sent to interrupt_exit, which traps TrapInterrupted through trap_exit:
// the same unwinding as any other trap, from any instruction. EIP in the
// stubs (jit_enter saving or restoring its frame, the exits) is left alone;
// so is EIP outside the code pool (the interpreter, a helper, a compile):
// the interpreter stops at its next check, and a helper returns to native
// code that the next interrupt (the next timer tick) can move.
#include <microjit/jit/jit.h>

const void* JitInstance::interrupt_target(uptr eip)
{
    if (!m_instance || !interrupt_requested(*m_instance))
        return nullptr;
    if (m_runtime.retirement().native_depth() == 0)
        return nullptr; // no native frame to unwind
    const NativeStubs& stubs = m_runtime.stubs();
    if (!m_runtime.pools().code.contains(reinterpret_cast<const void*>(eip)))
        return nullptr;
    uptr stubs_start = reinterpret_cast<uptr>(stubs.block);
    if (eip >= stubs_start && eip < stubs_start + stubs.size)
        return nullptr;
    // Retired code (a function that tiered up while this frame ran) is in
    // the pool but in no profile: it is charged to the host's function.
    u32 function = m_host_function;
    auto inside = [eip](const u8* code, u32 size) {
        uptr start = reinterpret_cast<uptr>(code);
        return code && eip >= start && eip < start + size;
    };
    for (u32 f = 0; f < m_function_count; ++f) {
        const JitFunctionProfile& p = m_profiles[f];
        if (inside(p.code, p.code_size) || inside(p.generic_code, p.generic_size)) {
            function = f;
            break;
        }
    }
    m_runtime.set_interrupted_function(function);
    return stubs.interrupt_exit;
}
