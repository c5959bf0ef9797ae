// The frame every pattern function shares: prologue, epilogue, trap exits
// and access to arguments, under the standalone convention or the tier ABI
// (codegen.h).
//
// Stack after the prologue (push ebp, ebx, esi, edi; sub esp, 64):
//   [esp + 0 .. 15]  locals 0-3
//   [esp + 16 .. 47] a 32-byte spill area (one ymm register), or locals 4-11
//   [esp + 48]       the argument pointer      [esp + 52] this frame's depth
//   [esp + 64]       saved edi, esi, ebx, ebp
//   [esp + 80]       return address
//   standalone only: [esp + 84] args   [esp + 88] result   [esp + 92] depth
#pragma once

#include <microjit/jit/native_entry.h>
#include <microjit/module/interpreter.h> // max_call_depth
#include <microjit/tier2/codegen.h>

namespace Tier2 {

class NativeFrame {
public:
    static constexpr i32 locals = 64;
    static constexpr i32 spill_offset = 16;
    static constexpr i32 args_slot = 48;
    static constexpr i32 depth_slot = 52;
    static constexpr i32 args_offset = locals + 20;
    static constexpr i32 result_offset = locals + 24;
    static constexpr i32 depth_offset = locals + 28;

    NativeFrame(x86::Assembler& a, const CodegenOptions& options)
        : m_a(a)
        , m_env(options.tier_abi)
        , m_function(options.function)
        , m_spec(options.spec)
        , m_specialised(options.spec && !options.spec->empty())
    {
        m_exit = a.new_label();
        m_trap_bounds = a.new_label();
        m_trap_depth = a.new_label();
    }

    void prologue()
    {
        using namespace x86;
        // Specialised code: arguments other than the folded values go to the
        // generic code before anything is pushed (native_entry.h).
        if (m_env && m_specialised)
            m_guard.emit(m_a, *m_env, m_function, *m_spec);
        m_a.push(ebp);
        m_a.push(ebx);
        m_a.push(esi);
        m_a.push(edi);
        m_a.sub(esp, locals);
        if (m_env) {
            // Tier ABI: EAX = args, EDX = the caller's depth; this frame is
            // one deeper and checks the limit itself.
            m_a.mov(dword_ptr(esp, args_slot), eax);
            m_a.lea(ecx, ptr(edx, 1));
            m_a.cmp(ecx, static_cast<i32>(max_call_depth));
            m_a.ja(m_trap_depth);
            m_a.mov(dword_ptr(esp, depth_slot), ecx);
            // The caller has counted this call; at the policy's next
            // threshold the runtime may re-specialise (jit_native_hot).
            m_hot = m_a.new_label();
            m_hot_return = m_a.new_label();
            emit_threshold_check(m_a, *m_env, m_function, m_hot);
            m_a.bind(m_hot_return);
            // Generic code profiles the arguments; specialised code has
            // them fixed by its guard.
            if (!m_specialised)
                m_profile.emit(m_a, *m_env, m_function);
        } else {
            m_a.mov(eax, dword_ptr(esp, args_offset));
            m_a.mov(dword_ptr(esp, args_slot), eax);
            m_a.mov(eax, dword_ptr(esp, depth_offset));
            m_a.mov(dword_ptr(esp, depth_slot), eax);
        }
    }

    x86::Mem local(u32 index) const { return x86::dword_ptr(x86::esp, static_cast<i32>(4 * index)); }
    void load_args(x86::Gp32 into) { m_a.mov(into, x86::dword_ptr(x86::esp, args_slot)); }
    // This frame's call depth (1 for the outermost call).
    void load_depth(x86::Gp32 into) { m_a.mov(into, x86::dword_ptr(x86::esp, depth_slot)); }

    // Returns EAX as the function's result. Clobbers ECX.
    void return_eax()
    {
        using namespace x86;
        if (!m_env) {
            m_a.mov(ecx, dword_ptr(esp, result_offset));
            m_a.mov(dword_ptr(ecx), eax);
            m_a.mov(dword_ptr(ecx, 4), 0);
            m_a.xor_(eax, eax);
        }
        m_a.jmp(m_exit);
    }
    // A void function's result slot reads 0 (standalone), like the interpreter's.
    void return_void()
    {
        m_a.xor_(x86::eax, x86::eax);
        return_eax();
    }

    x86::Label trap_bounds() const { return m_trap_bounds; }
    x86::Label trap_depth() const { return m_trap_depth; }

    // The trap exits and the shared epilogue; call once, after the body.
    void finish()
    {
        using namespace x86;
        if (m_env) {
            // The tier-up / re-specialisation call, with ESP 16-byte aligned
            // (entry ESP + 4 was; 80 bytes are pushed since).
            m_a.bind(m_hot);
            m_a.sub(esp, 12);
            emit_native_hot_call(m_a, *m_env, m_function);
            m_a.add(esp, 12);
            m_a.mov(eax, dword_ptr(esp, args_slot));
            m_a.jmp(m_hot_return);
            m_profile.emit_misses(m_a);
            m_guard.emit_failure(m_a);
            // Tier ABI traps never return: trap_exit unwinds to jit_enter.
            Label common = m_a.new_label();
            m_a.bind(m_trap_bounds);
            m_a.mov(eax, static_cast<i32>(Error::TrapOutOfBounds));
            m_a.jmp(common);
            m_a.bind(m_trap_depth);
            m_a.mov(eax, static_cast<i32>(Error::TrapCallDepth));
            m_a.bind(common);
            m_a.mov(edx, static_cast<i32>(m_function));
            m_a.mov(ecx, static_cast<i32>(TrapInfo::unknown_offset));
            m_a.jmp(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&m_env->stubs->trap_exit))));
            m_a.note_absolute(); // rebased when a snapshot loads the code elsewhere
        } else {
            m_a.bind(m_trap_bounds);
            m_a.mov(eax, static_cast<i32>(Error::TrapOutOfBounds));
            m_a.jmp(m_exit);
            m_a.bind(m_trap_depth);
            m_a.mov(eax, static_cast<i32>(Error::TrapCallDepth));
        }
        m_a.bind(m_exit);
        m_a.add(esp, locals);
        m_a.pop(edi);
        m_a.pop(esi);
        m_a.pop(ebx);
        m_a.pop(ebp);
        m_a.ret();
    }
    // Loads an i32-valued operand (parameter, constant, length, element) into
    // `into`, using `args` as the argument pointer. An Element operand checks
    // its index against the view's length first (0 <= k < len, else trap).
    void load_operand(const Operand& op, x86::Gp32 into, x86::Gp32 args)
    {
        using namespace x86;
        switch (op.kind) {
        case Operand::Kind::Param:
            m_a.mov(into, dword_ptr(args, 8 * op.index));
            break;
        case Operand::Kind::Constant:
            m_a.mov(into, static_cast<i32>(op.bits));
            break;
        case Operand::Kind::Length:
            m_a.mov(into, dword_ptr(args, 8 * op.index + 4));
            break;
        case Operand::Kind::Element:
            // The index is a constant; compare it unsigned with the length.
            m_a.cmp(dword_ptr(args, 8 * op.index + 4), static_cast<i32>(op.bits));
            m_a.jbe(m_trap_bounds);
            m_a.mov(into, dword_ptr(args, 8 * op.index));
            m_a.mov(into, dword_ptr(into, static_cast<i32>(4 * op.bits)));
            break;
        case Operand::Kind::None:
            m_a.ud2(); // a recogniser never hands this over
            break;
        }
    }

private:
    x86::Assembler& m_a;
    const NativeEnvironment* m_env;
    u32 m_function;
    const Specialisation* m_spec;
    bool m_specialised;
    x86::Label m_hot;
    x86::Label m_hot_return;
    ArgumentProfileEmitter m_profile;
    SpecialisationGuard m_guard;
    x86::Label m_exit;
    x86::Label m_trap_bounds;
    x86::Label m_trap_depth;
};

}
