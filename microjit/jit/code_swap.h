// Installing and retiring native code: the dispatch-table swap and the rule
// for freeing superseded code on a single core.
//
// The swap: instance.dispatch[f] is one aligned u32; a new tier is installed
// with one 32-bit store, so every reader (the interpreter's call path, native
// call sites, the host entry) sees the old code or the new, never a mix.
//
// The free rule: a block goes back to the code pool only when no frame can
// still be executing in it. Every native frame lives inside some jit_enter
// call (native code is only entered through JitInstance::call_native, and
// native-to-native calls nest inside that), so "no native frame of any
// function exists" is exactly "the jit_enter nesting depth is zero". A block
// retired while the depth is non-zero (a function tiering up in the middle of
// its own recursion, say) waits on the retired list and is freed when the
// outermost native entry returns, normally or through a trap. The freed
// bytes become int3 (CodePool), so a stale jump would trap at once.
#pragma once

#include <bareflow/panic.h>
#include <microjit/jit/tier_compiler.h>
#include <microjit/pool/pool.h>

class CodeRetirement {
public:
    static constexpr u32 capacity = 128;

    explicit CodeRetirement(CodePool& pool) : m_pool(pool) { }

    // Frames of native code are about to run / have all returned.
    void enter_native() { ++m_native_depth; }
    void leave_native()
    {
        if (--m_native_depth == 0 && m_pending)
            free_pending();
    }
    u32 native_depth() const { return m_native_depth; }

    // `block` is no longer in any dispatch entry. Frees it now when no native
    // frame exists, else when the outermost native entry returns. If the
    // list is full the block is kept forever (counted in leaked()): memory
    // is lost, never safety.
    void retire(CodeBlock block);

    u32 pending() const { return m_pending; }
    u32 freed() const { return m_freed; }
    u32 leaked() const { return m_leaked; }

private:
    void free_pending();

    CodePool& m_pool;
    u32 m_native_depth { 0 };
    u32 m_pending { 0 };
    u32 m_freed { 0 };
    u32 m_leaked { 0 };
    CodeBlock m_list[capacity];
};

// One aligned 32-bit store: what makes the swap atomic for every reader on
// this core (SDM Vol. 3A, 8.1.1: aligned doubleword accesses are atomic).
inline void store_dispatch_entry(u32* dispatch, u32 function, const void* code)
{
    auto* entry = &dispatch[function];
    if (reinterpret_cast<uptr>(entry) & 3)
        panic("jit: dispatch entry is not 4-byte aligned, so the swap would not be atomic");
    __atomic_store_n(entry, static_cast<u32>(reinterpret_cast<uptr>(code)), __ATOMIC_RELEASE);
}
