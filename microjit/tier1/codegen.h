// The tier-1 code generator's state for one function, shared by the files
// that emit each family of opcodes (emit_integer.cpp, emit_float.cpp,
// emit_memory.cpp, emit_control.cpp). Private to microjit/tier1.
//
// Frame layout (ESP-relative; EBP is free to hold a pinned register):
//
//   [esp + 0 .. 15]          scratch: EAX across the hot stub at +0, this
//                            frame's call depth at +4
//   [esp + 16 + 8*r]         register r's slot (8 bytes: i32, f32 or a view)
//   ...padding so that ESP is 16-byte aligned after the prologue
//   pinned EBX/ESI/EDI/EBP saved by the prologue, then the return address
//
// A pinned register lives in its machine register for the whole function;
// its slot is written only where memory is needed: call arguments (a callee
// gets a pointer to the caller's slots) and XMM spills around calls.
#pragma once

#include <microjit/jit/native_abi.h>
#include <microjit/jit/native_entry.h>
#include <microjit/jit/trap_kind.h>
#include <microjit/module/bytecode.h>
#include <microjit/module/module.h>
#include <microjit/x86/assembler.h>

namespace Tier1 {

using namespace x86;

enum class HomeKind : u8 {
    Slot,
    Gpr,
    Xmm,
};

struct Home {
    HomeKind kind;
    u8 id;         // Gp32 or Xmm number when pinned
    u8 defs;       // instructions that write the register (saturating), params count one
    bool constant; // written once, by const.i32: every read sees `value`
    i32 value;
};


// A decoded instruction plus the label bound before it (0xFFFF: none).
struct Op {
    Instruction instruction;
    u16 label;      // bound before the instruction (no label: 0xFFFF)
    bool target;    // some jump lands here
    bool loop_head; // ... from below: align it
};

struct CodeGen {
    Assembler& a;
    const NativeEnvironment& env;
    const FunctionInfo& fn;
    u32 function;
    Op* ops;
    u32 op_count;
    Home* homes;          // reg_count entries
    u8 pinned_gprs[4] {};    // saved and restored by prologue/epilogue, in push order
    u8 pinned_gpr_count { 0 };
    u8 pinned_xmms[6] {};    // registers held in XMM2..7, by bytecode register index
    u8 pinned_xmm_regs[6] {};
    u8 pinned_xmm_count { 0 };
    i32 frame_size { 0 };    // the `sub esp` amount
    Label traps[static_cast<u32>(TrapKind::Count)] {};
    Label propagate {};   // EAX = Error from a callee: leave through propagate_exit
    Label hot_stub {};
    Label hot_return {};
    ArgumentProfileEmitter argument_profile {};

    // What is known inside the current basic block (forgotten at every label):
    // (view, index) pairs whose bounds check already passed, and the view
    // whose base EDX holds. Neither can change without a write to the
    // registers involved, which note_writes() watches.
    static constexpr u32 max_checked = 8;
    u8 checked_views[max_checked] {};
    u8 checked_indices[max_checked] {};
    u32 checked_count { 0 };
    u32 edx_view { 0xFFFFFFFF }; // register index, or no_view
    static constexpr u32 no_view = 0xFFFFFFFF;
    void forget_block()
    {
        checked_count = 0;
        edx_view = no_view;
    }
    void note_writes(const Instruction& in);
    // Calls whose callee is interpreted take a slow path, emitted out of
    // line after the body so the native-to-native path falls straight through.
    struct SlowCall {
        Label entry;
        Label resume;
        u32 callee;
    };
    static constexpr u32 max_slow_calls = 64;
    SlowCall slow_calls[max_slow_calls] {};
    u32 slow_call_count { 0 };
    void emit_slow_calls();
    // Back edges spend the loop budget (native_entry.h); the site that
    // finds it used up calls the shared stub out of line, then resumes.
    struct BudgetSite {
        Label entry;
        Label resume;
    };
    static constexpr u32 max_budget_sites = 16;
    BudgetSite budget_sites[max_budget_sites] {};
    u32 budget_site_count { 0 };
    Label budget_stub {};
    void emit_back_edge_budget();
    void emit_budget_sites();

    bool is_const(u32 r) const { return homes[r].constant; }
    i32 const_of(u32 r) const { return homes[r].value; }

    // --- frame and homes ---------------------------------------------------
    static constexpr i32 slot_base = 16;
    static constexpr i32 depth_offset = 4; // this frame's call depth, in the scratch area
    Mem depth_slot() const { return dword_ptr(esp, depth_offset); }
    Mem slot(u32 r, i32 extra = 0) const { return dword_ptr(esp, slot_base + 8 * static_cast<i32>(r) + extra); }
    bool is_gpr(u32 r) const { return homes[r].kind == HomeKind::Gpr; }
    bool is_xmm(u32 r) const { return homes[r].kind == HomeKind::Xmm; }
    Gp32 gpr(u32 r) const { return Gp32 { homes[r].id }; }
    Xmm xmm(u32 r) const { return Xmm { homes[r].id }; }
    // The label a trap check jumps to. The first max_trap_sites sites get a
    // stub of their own that reports the bytecode offset, as tier 0 does;
    // later ones share one stub per kind (offset unknown), which keeps big
    // functions inside the emitter's label table.
    Label trap(TrapKind kind);
    struct TrapSite {
        Label label;
        u32 offset;
        TrapKind kind;
    };
    static constexpr u32 max_trap_sites = 96;
    TrapSite trap_sites[max_trap_sites] {};
    u32 trap_site_count { 0 };
    u32 current_offset { 0 }; // of the instruction being emitted

    // --- i32 values ------------------------------------------------------------
    // Where r is as an i32: its pinned register, or its slot's load into `scratch`.
    Gp32 use_i32(u32 r, Gp32 scratch);
    void load_i32(Gp32 dst, u32 r);
    void store_i32(u32 r, Gp32 src);
    // The register d is computed in: its pinned register, else `scratch`.
    Gp32 def_i32(u32 d, Gp32 scratch) const { return is_gpr(d) ? gpr(d) : scratch; }
    // After computing into def_i32(d, scratch): writes the slot if d has one.
    void finish_i32(u32 d, Gp32 computed);

    // --- f32 values ---------------------------------------------------------------
    void load_f32(Xmm dst, u32 r);
    void store_f32(u32 r, Xmm src);
    void load_f32_bits(Gp32 dst, u32 r);
    void store_f32_bits(u32 r, Gp32 src);
    void call_math_helper(const void* helper, u32 d, u32 x);
    Xmm def_f32(u32 d, Xmm scratch) const { return is_xmm(d) ? xmm(d) : scratch; }
    void finish_f32(u32 d, Xmm computed);
    void spill_pinned_xmms();
    void reload_pinned_xmms();

    // --- emission ---------------------------------------------------------------------
    void emit_prologue();
    void emit_epilogue();
    void emit_trap_stubs();
    bool emit(const Op& op); // false: unsupported opcode (never for verified code)

    bool emit_integer(const Instruction& in);
    bool emit_float(const Instruction& in);
    bool emit_memory(const Instruction& in);
    bool emit_control(const Instruction& in);

    Label label_for_target(u32 target) const;
};

} // namespace Tier1
