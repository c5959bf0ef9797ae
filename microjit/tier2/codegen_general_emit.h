// The general code generator's emission state, shared by the file that
// emits the frame and control flow (codegen_general.cpp) and the one that
// emits values (codegen_general_values.cpp). Private to microjit/tier2.
//
// Frame (ESP-relative after the prologue; EBP is an allocatable register):
//   [esp + 0]   EAX across the hot stub       [esp + 4]  this frame's depth
//   [esp + 8]   [esp + 12] constants as memory operands
//   [esp + out_args]   outgoing arguments, 8 bytes per parameter
//   [esp + view_temp]  parallel copies of views
//   view slots (8 bytes each), then spill slots (4 bytes, shared)
//   padding to 16-byte alignment, saved EBX ESI EDI EBP, return address
//   standalone only: args, result and depth above the return address
// Versioned loops are emitted a second time after the body, without the
// bounds checks their entry guards prove (codegen_general_loops.cpp).
#pragma once

#include <microjit/jit/native_entry.h>
#include <microjit/jit/trap_kind.h>
#include <microjit/tier2/codegen_general.h>
#include <microjit/tier2/codegen_general_alloc.h>

namespace Tier2 {


struct VectorLoop; // codegen_general_vector.cpp

class GeneralEmitter {
public:
    GeneralEmitter(const Function& fn, x86::Assembler& a, const CodegenOptions& options, const GeneralLayout& layout)
        : m_fn(fn)
        , m_a(a)
        , m_env(options.tier_abi)
        , m_function(options.function)
        , m_layout(layout)
        , m_spec(options.spec && !options.spec->empty() ? options.spec : nullptr)
    {
        m_avx2 = options.avx2;
        m_fma = options.fma;
    }

    ErrorOr<void> run();

    // --- locations (codegen_general_values.cpp) ---------------------------------
    const Location& where(const Inst* v) const { return m_layout.where[v->id]; }
    x86::Mem slot(const Inst* v, i32 extra = 0) const { return x86::dword_ptr(x86::esp, where(v).offset + extra); }
    bool in_gpr(const Inst* v) const { return where(v).home == Home::Gpr; }
    bool in_xmm(const Inst* v) const { return where(v).home == Home::Xmm; }
    x86::Gp32 gpr(const Inst* v) const { return x86::Gp32 { where(v).reg }; }
    x86::Xmm xmm(const Inst* v) const { return x86::Xmm { where(v).reg }; }
    void load_i32(x86::Gp32 dst, const Inst* v);
    void load_f32(x86::Xmm dst, const Inst* v);
    void load_bits(x86::Gp32 dst, const Inst* v); // an i32, or an f32's bit pattern
    // The register v is computed into: its own, else the scratch.
    x86::Gp32 def_gpr(const Inst* v) const { return in_gpr(v) ? gpr(v) : x86::eax; }
    x86::Xmm def_xmm(const Inst* v) const { return in_xmm(v) ? xmm(v) : x86::xmm0; }
    // After computing v into `computed`: moves it home.
    void finish_i32(const Inst* v, x86::Gp32 computed);
    void finish_f32(const Inst* v, x86::Xmm computed);
    void finish_bits(const Inst* v, x86::Gp32 bits);
    // An f32 operand as a memory or register operand for SSE: constants go
    // through the frame's constant words.
    x86::Mem f32_memory(const Inst* v, i32 constant_slot);

    // x % 2^k whose only use is the next instruction, a branch comparing it
    // with 0: the branch tests the low bits instead, and the remainder is
    // never computed (even and odd tests).
    static bool low_bits_test(const Inst& rem, const GeneralLayout&);

    // True while emitting the unchecked copy of the loop the access's guard
    // belongs to: the guard was checked at the loop's entry.
    bool bounds_proven(const Inst& access) const
    {
        return m_copy && (access.flags & Unchecked) && access.guard < m_fn.guard_count
            && m_fn.guards[access.guard].loop && m_fn.guards[access.guard].loop->header == m_copy->header;
    }

    // --- values ---------------------------------------------------------------------
    void emit_integer(const Inst&);
    void emit_float(const Inst&);
    void emit_memory(const Inst&);

    // --- control (codegen_general.cpp) ----------------------------------------------
    x86::Label trap(TrapKind kind, u32 offset);
    void emit_call(const Inst&);

    const Function& m_fn;
    x86::Assembler& m_a;
    const NativeEnvironment* m_env;
    u32 m_function;
    const GeneralLayout& m_layout;

private:
    void emit_prologue();
    void emit_epilogue();
    void emit_stubs();
    void emit_block(const Block&);
    void emit_inst(const Block&, const Inst&);
    x86::Condition emit_condition(const Inst& branch);
    void emit_select(const Block&);
    void emit_branch(const Block&, const Inst&);
    void jump_to(const Block& from, const Block& to);
    void edge_copies(const Block& from, const Block& to);
    bool edge_moves(const Block& from, const Block& to) const;
    void return_eax();
    x86::Label label(const Block* b) const
    {
        return m_copy && m_copy->contains(b) ? m_alt_labels[b->id] : m_labels[b->id];
    }

    // Versioned loops (codegen_general_loops.cpp): an innermost counted loop
    // whose accesses the IR marked Unchecked is emitted twice; the guards at
    // its preheader choose the copy without bounds checks or the checked one.
    ErrorOr<void> plan_versions(Block** order, u32 count);
    void emit_versioned_entry(const Block& preheader, const Loop& loop);
    void emit_guard(const Guard&, x86::Label fail);
    void emit_copies(Block** order, u32 count);
    bool available_at(const Inst* v, const Inst* at) const;
    const Loop** m_versioned { nullptr }; // by preheader block id
    x86::Label* m_alt_labels { nullptr };   // by block id, for blocks of versioned loops
    const Loop* m_copy { nullptr };         // the loop whose unchecked copy is being emitted

    // The loop vectoriser (codegen_general_vector.cpp): an innermost loop
    // that is a marked float accumulation runs most of its trips in vectors
    // at the entry of its unchecked copy.
    const VectorLoop* plan_vector_loop(const Loop&);
    void emit_vector_prefix(const VectorLoop&);
    void vector_read_i32(x86::Gp32 dst, const Inst* v);
    u8 vector_saved_xmms(const VectorLoop&) const;
    void fold_lanes(x86::Xmm sum, x86::Xmm tmp);
    const VectorLoop** m_vector { nullptr }; // by preheader block id
    bool m_avx2 { false };
    bool m_fma { false };
    i32 m_vector_shift { 0 }; // how far ESP moved while the vector code runs

public:
    u32 m_vector_count { 0 };

public:
    u32 m_version_count { 0 };

private:

    static constexpr u32 max_trap_sites = 48;
    struct TrapSite {
        x86::Label label;
        u32 offset;
        TrapKind kind;
    };
    TrapSite m_sites[max_trap_sites] {};
    u32 m_site_count { 0 };
    x86::Label m_shared_traps[static_cast<u32>(TrapKind::Count)] {};
    struct SlowCall {
        x86::Label entry;
        x86::Label resume;
        u32 callee;
    };
    static constexpr u32 max_slow_calls = 32;
    SlowCall m_slow_calls[max_slow_calls] {};
    void emit_slow_call(const SlowCall&);
    u32 m_slow_call_count { 0 };
    x86::Label* m_labels { nullptr };
    x86::Label m_exit {};
    x86::Label m_hot_stub {};
    x86::Label m_hot_return {};
    x86::Label m_propagate {};
    // Value specialisation (native_entry.h): generic code profiles its
    // arguments, specialised code guards them.
    const Specialisation* m_spec;
    ArgumentProfileEmitter m_profile {};
    SpecialisationGuard m_guard {};
    const Block* m_next { nullptr };
};

}
