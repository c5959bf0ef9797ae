// The runtime stubs of the tier ABI; see native_abi.h for the contract.
//
// jit_enter's frame, from its unwind point (the ESP stored in
// NativeUnwindPoint::entry_esp) upwards:
//
//   +0  instance->call_depth at entry (restored on a trap)
//   +4  ModuleInstance* instance
//   +8  the previous unwind point (nested entries: native -> interpreter -> native)
//   +12 EDI ESI EBX EBP saved for the C++ caller
//   +28 return address
//   +32 code, +36 args, +40 instance, +44 result   (the cdecl arguments)
//
// A C++ caller calls with ESP 16-byte aligned, so ESP is 16-aligned again at
// the unwind point (seven pushes plus the return address) and the `call code`
// gives native code the "ESP + 4 aligned" entry the ABI promises.
#include <microjit/jit/native_stubs.h>

using namespace x86;

namespace {

constexpr i32 frame_saved_depth = 0;
constexpr i32 frame_instance = 4;
constexpr i32 frame_code = 32;
constexpr i32 frame_args = 36;
constexpr i32 frame_result = 44;

constexpr i32 offset_call_depth = __builtin_offsetof(ModuleInstance, call_depth);
constexpr i32 offset_trap_error = __builtin_offsetof(ModuleInstance, trap) + __builtin_offsetof(TrapInfo, error);
constexpr i32 offset_trap_function = __builtin_offsetof(ModuleInstance, trap) + __builtin_offsetof(TrapInfo, function);
constexpr i32 offset_trap_offset = __builtin_offsetof(ModuleInstance, trap) + __builtin_offsetof(TrapInfo, offset);
static_assert(sizeof(Error) == 1, "trap_exit stores the Error as one byte");

}

ErrorOr<NativeStubs> emit_native_stubs(CodePool& pool, InPlace<Assembler>& storage, NativeUnwindPoint* unwind)
{
    constexpr usize capacity = 256;
    auto* code = static_cast<u8*>(TRY(pool.allocate(capacity)));
    Assembler& a = storage.construct(code, capacity);
    Mem unwind_esp = dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&unwind->entry_esp)));
    Mem interrupted_function = dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&unwind->interrupted_function)));

    Label enter = a.new_label(), leave = a.new_label(), trap_exit = a.new_label(), propagate_exit = a.new_label();
    Label interrupt_exit = a.new_label();

    a.bind(enter);
    a.push(ebp);
    a.push(ebx);
    a.push(esi);
    a.push(edi);
    a.mov(ecx, dword_ptr(esp, 28));                 // instance: argument 3, above 4 pushes and the return address
    a.push(unwind_esp);                              // previous unwind point
    a.push(ecx);                                     // instance
    a.push(dword_ptr(ecx, offset_call_depth));       // call depth to restore on a trap
    a.mov(unwind_esp, esp);
    a.mov(edx, dword_ptr(ecx, offset_call_depth)); // the caller's depth, in EDX by the tier ABI
    a.mov(eax, dword_ptr(esp, frame_args));
    a.call(dword_ptr(esp, frame_code));
    a.mov(ecx, dword_ptr(esp, frame_result));
    a.mov(dword_ptr(ecx), eax);
    // Native frames keep their depth in registers and frames, and store it
    // only before calling the interpreter: put back the caller's count.
    a.mov(ecx, dword_ptr(esp, frame_instance));
    a.mov(edx, dword_ptr(esp, frame_saved_depth));
    a.mov(dword_ptr(ecx, offset_call_depth), edx);
    a.xor_(eax, eax); // Error::Ok

    a.bind(leave); // ESP is the unwind point here, on both paths
    a.add(esp, 8);
    a.pop(unwind_esp);
    a.pop(edi);
    a.pop(esi);
    a.pop(ebx);
    a.pop(ebp);
    a.ret();

    // EAX = Error, EDX = function, ECX = bytecode offset: record the trap.
    a.align(16, Fill::Int3);
    a.bind(trap_exit);
    a.mov(esp, unwind_esp);
    a.mov(esi, dword_ptr(esp, frame_instance));
    a.mov(byte_ptr(esi, offset_trap_error), al);
    a.mov(dword_ptr(esi, offset_trap_function), edx);
    a.mov(dword_ptr(esi, offset_trap_offset), ecx);
    // EAX = Error, trap already recorded: unwind every native frame above
    // the entry at once, restoring the call depth they had counted.
    a.bind(propagate_exit);
    a.mov(esp, unwind_esp);
    a.mov(esi, dword_ptr(esp, frame_instance));
    a.mov(ecx, dword_ptr(esp, frame_saved_depth));
    a.mov(dword_ptr(esi, offset_call_depth), ecx);
    a.movzx(eax, al);
    a.jmp(leave);

    // An interrupt (Ctrl-C, the watchdog) found EIP in native code and sent
    // it here (JitInstance::interrupt_target): every register is as the
    // interrupted instruction left it, and none of it is needed, since the
    // trap unwinds every native frame to the entry.
    a.align(16, Fill::Int3);
    a.bind(interrupt_exit);
    a.mov(eax, static_cast<i32>(Error::TrapInterrupted));
    a.mov(edx, interrupted_function);
    a.mov(ecx, static_cast<i32>(TrapInfo::unknown_offset));
    a.jmp(trap_exit);

    auto size = a.finish();
    if (size.is_error()) {
        pool.free(code);
        return size.error();
    }
    pool.shrink(code, size.value());
    NativeStubs stubs;
    stubs.block = code;
    stubs.enter = reinterpret_cast<NativeStubs::EnterFunction>(code + a.label_offset(enter));
    stubs.trap_exit = code + a.label_offset(trap_exit);
    stubs.propagate_exit = code + a.label_offset(propagate_exit);
    stubs.interrupt_exit = code + a.label_offset(interrupt_exit);
    stubs.size = size.value();
    storage.destroy();
    return stubs;
}
