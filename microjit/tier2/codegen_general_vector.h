// The loop vectoriser's plan (codegen_general_vector*.cpp): what a loop's
// vector code streams, accumulates and stores, as codegen_general_vector_plan.cpp
// finds it and codegen_general_vector.cpp emits it. Private to microjit/tier2.
#pragma once

#include <microjit/tier2/ir.h>

namespace Tier2 {

constexpr u32 max_streams = 6;     // pointer registers: EBX ESI EDI EBP ECX, then EAX (scratch anyway)
constexpr u32 max_reductions = 2;
constexpr u32 max_invariants = 4;
constexpr u32 vector_registers = 8;

// A base pointer the vector code steps: view + 4 * (iv + terms). Accesses
// through it add their own constant (v[iv + terms + c] is c elements on).
struct VectorStream {
    const Inst* view;
    const Inst* terms[2]; // loop-invariant i32 values added to the induction variable
    u32 term_count;
    i32 constant;         // while matching an index; then the access's own
};

struct VectorReduction {
    const Inst* phi;
    const Inst* update; // add.f32 / sub.f32 (Reassociable), phi as its first operand
    bool subtract;
};

struct VectorLoop {
    const Loop* loop;
    const Inst* iv;
    const Inst* end;
    VectorReduction reductions[max_reductions];
    u32 reduction_count;
    VectorStream streams[max_streams];
    u32 stream_count;
    const Inst* loads[16]; // each load's stream and element offset from it
    u8 load_stream[16];
    i32 load_offset[16];
    i32 store_offset;
    u32 load_count;
    const Inst* invariants[max_invariants];
    u32 invariant_count;
    u8 unroll;
    u8 temps;          // vector registers an expression needs
    bool direct_exit;  // only the accumulators (and the stepped iv) are used after the loop
    const Inst* store; // a map's one store (then there are no reductions), or nullptr
    u8 store_stream;
    const Inst* next;  // the stepped induction variable
    const Block* exit;
};

inline bool in_loop(const Loop& loop, const Inst* v) { return v->block && loop.contains(v->block); }

}
