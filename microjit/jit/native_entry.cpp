// The shared entry snippets; see native_entry.h.
#include <microjit/jit/native_entry.h>

using namespace x86;

namespace {

Mem absolute(const void* p)
{
    return dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(p)));
}

}

void emit_threshold_check(Assembler& a, const NativeEnvironment& env, u32 function, Label hot)
{
    a.mov(ecx, absolute(&env.instance->profiles[function].calls));
    a.note_absolute(); // every address is rebased when a snapshot moves the code
    a.cmp(ecx, absolute(&env.states[function].next_threshold));
    a.note_absolute();
    a.jae(hot);
}

void emit_native_hot_call(Assembler& a, const NativeEnvironment& env, u32 function)
{
    a.mov(eax, static_cast<i32>(reinterpret_cast<uptr>(env.jit)));
    a.note_absolute();
    a.mov(edx, static_cast<i32>(function));
    a.call(reinterpret_cast<const void*>(&jit_native_hot));
}

void emit_loop_budget_check(Assembler& a, const NativeEnvironment& env, u32 function, Label hot)
{
    a.dec(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&env.states[function].loop_budget))));
    a.note_absolute();
    a.js(hot);
}

void emit_loop_budget_stub(Assembler& a, const NativeEnvironment& env, u32 function)
{
    a.push(eax);
    a.push(ecx);
    a.push(edx);
    a.push(ebx);
    a.mov(ebx, esp); // EBX survives the helper (callee-saved in the C ABI)
    a.sub(esp, 8 * 16);
    a.and_(esp, -16);
    for (u8 k = 0; k < 8; ++k)
        a.movups(xmmword_ptr(esp, 16 * k), Xmm { k });
    a.mov(eax, static_cast<i32>(reinterpret_cast<uptr>(env.jit)));
    a.note_absolute();
    a.mov(edx, static_cast<i32>(function));
    a.call(reinterpret_cast<const void*>(&jit_native_hot_loop));
    for (u8 k = 0; k < 8; ++k)
        a.movups(Xmm { k }, xmmword_ptr(esp, 16 * k));
    a.mov(esp, ebx);
    a.pop(ebx);
    a.pop(edx);
    a.pop(ecx);
    a.pop(eax);
    a.ret();
}

void ArgumentProfileEmitter::emit(Assembler& a, const NativeEnvironment& env, u32 function)
{
    const FunctionInfo& fn = env.instance->module->functions[function];
    m_count = 0;
    for (u32 p = 0; p < max_profiled_arguments; ++p) {
        if (!is_profiled_parameter(fn, p))
            continue;
        Site& site = m_sites[m_count++];
        site.param = p;
        site.profile = &env.states[function].arguments[p];
        site.miss = a.new_label();
        site.back = a.new_label();
        a.mov(ecx, dword_ptr(eax, static_cast<i32>(8 * p)));
        a.cmp(ecx, absolute(&site.profile->value));
        a.note_absolute(); // every state address is rebased when a snapshot moves the code
        a.jne(site.miss);
        a.inc(absolute(&site.profile->hits));
        a.note_absolute();
        a.bind(site.back);
    }
}

void ArgumentProfileEmitter::emit_misses(Assembler& a)
{
    for (u32 i = 0; i < m_count; ++i) {
        Site& site = m_sites[i];
        // Stores go through ECX so that each address is the instruction's
        // last field (Assembler::note_absolute).
        a.bind(site.miss);
        a.mov(ecx, absolute(&site.profile->misses));
        a.note_absolute();
        a.inc(ecx);
        a.mov(absolute(&site.profile->misses), ecx);
        a.note_absolute();
        a.cmp(ecx, absolute(&site.profile->hits));
        a.note_absolute();
        a.jbe(site.back);
        a.mov(ecx, dword_ptr(eax, static_cast<i32>(8 * site.param)));
        a.mov(absolute(&site.profile->value), ecx);
        a.note_absolute();
        a.mov(ecx, 1);
        a.mov(absolute(&site.profile->hits), ecx);
        a.note_absolute();
        a.dec(ecx);
        a.mov(absolute(&site.profile->misses), ecx);
        a.note_absolute();
        a.jmp(site.back);
    }
    m_count = 0;
}

void SpecialisationGuard::emit(Assembler& a, const NativeEnvironment& env, u32 function, const Specialisation& spec)
{
    m_used = !spec.empty();
    if (!m_used)
        return;
    m_state = &env.states[function];
    m_fail = a.new_label();
    for (u32 p = 0; p < max_profiled_arguments; ++p) {
        if (!spec.has(p))
            continue;
        a.cmp(dword_ptr(eax, static_cast<i32>(8 * p)), spec.values[p]);
        a.jne(m_fail);
    }
}

void SpecialisationGuard::emit_failure(Assembler& a)
{
    if (!m_used)
        return;
    a.bind(m_fail);
    a.inc(absolute(&m_state->guard_failures));
    a.note_absolute();
    a.jmp(absolute(&m_state->generic_code));
    a.note_absolute();
    m_used = false;
}
