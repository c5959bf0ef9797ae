// Pattern recognisers: each looks at the tier-2 IR by shape (which values
// flow where, which instructions have side effects), not at bytecode bytes,
// and returns a description that a pattern code generator consumes. They
// accept the same computation however flowc happened to order or spell it
// (operands swapped, a compare-then-jz instead of a compare-and-branch, a
// ternary join instead of two returns, constants in registers), because the
// IR has been simplified into canonical form first; and they reject
// near-misses (an extra side effect, an index that is not the counter, an
// aliasing write, a different recurrence) by insisting that every
// instruction of the loop or function be accounted for.
//
// Two levels: loop patterns describe one loop of a function; function
// patterns say that a whole function is exactly one pattern, with its inputs
// bound to parameters and constants, so that a standalone native function
// can replace it (codegen.h).
#pragma once

#include <microjit/tier2/ir.h>
#include <microjit/tier2/loops.h>

namespace Tier2 {

// Where a pattern input comes from, at function level.
struct Operand {
    enum class Kind : u8 {
        None,
        Param,    // the function's parameter `index`
        Constant, // `bits` (an i32, or an f32's bit pattern)
        Length,   // len() of view parameter `index`
        Element,  // view parameter `index`, element `bits` (bounds-checked: may trap)
    };
    Kind kind;
    u8 index;
    u32 bits;
    const Inst* value; // the IR value it was read from
};

// --- loop patterns ------------------------------------------------------------

enum class ReductionOp : u8 { Sum, Dot, Max, Min };

// acc = init; for iv in start..end { acc = acc OP term } with term = a[iv]
// (Sum, Max, Min) or a[iv] * b[iv] (Dot), and nothing else in the loop.
// Sum and Dot may subtract instead (acc = acc - term): `subtract`. An f32 Sum
// or Dot is matched only where the module marks the accumulation as a
// reduction (Reassociable), with the accumulator as the first operand; Max
// and Min may name the accumulator second (term OP acc): `acc_first` false.
struct ReductionPattern {
    CountedLoop counted;
    ReductionOp op;
    bool subtract;
    bool acc_first;
    Type element; // I32 or F32
    Inst* a;      // views, defined outside the loop
    Inst* b;      // Dot only
    Inst* acc;    // the header phi
    Inst* init;   // acc's value on entry
    Inst* next;   // acc's value at the end of a trip
};

// One node of an element-wise expression; children precede parents.
struct MapNode {
    enum class Kind : u8 { Input, Scalar, Op };
    Kind kind;
    Op op;       // Kind::Op: ADD_F32, SUB_F32, MUL_F32, DIV_F32, MIN_F32, MAX_F32, NEG_F32, ABS_F32, SQRT_F32
    u8 input;    // Kind::Input: index into MapPattern::inputs
    u8 left, right; // Kind::Op: node indices (right unused for unary)
    Inst* value; // Kind::Scalar: a loop-invariant f32 (parameter or constant)
};

// What a map computes, for compile logs: named after the expression, not
// after any module that happens to compute it. The code generator reads the
// expression tree, never the kind.
enum class MapKind : u8 {
    Generic,
    ScalarTimesPlus, // s * x[i] + y[i] (either operand order)
    MaxZero,         // max(x[i], 0.0) or max(0.0, x[i])
    ScalarTimes,     // s * x[i]
    Plus,            // x[i] + y[i]
};

// for iv in start..end { out[iv] = g(in_0[iv], ..., scalars) }, f32, where g is
// a tree of MapNodes. `out` may be one of the inputs (in place); any other
// overlap between views is checked at run time by the generated code.
struct MapPattern {
    static constexpr u32 max_inputs = 4;
    static constexpr u32 max_nodes = 16;
    CountedLoop counted;
    MapKind kind;
    Inst* out;
    Inst* inputs[max_inputs];
    u32 input_count;
    MapNode nodes[max_nodes];
    u32 node_count; // the root is nodes[node_count - 1]
};

// for i in 0..n { for j in 0..n { s = 0; for k in 0..n { s += a[i*n+k] * b[k*n+j] } c[i*n+j] = s } }
// (square, row-major, f32).
struct MatmulPattern {
    CountedLoop outer, middle, inner;
    Inst* a;
    Inst* b;
    Inst* c;
    Inst* n;
    bool a_first;   // the product is a * b (not b * a): operand order, for NaN payloads
    bool sum_first; // the accumulation is s + product (not product + s)
};

// A counted loop whose only loop-carried values besides the counter are i32
// state variables updated by a linear map with constant coefficients, which
// may also involve the counter itself:
//   s'[j] = sum_m coeff[j][m] * s[m] + coeff[j][counter_slot] * iv + constant[j]
// all modulo 2^32. No memory, no calls. The iterative fibonacci loop is the
// case (a, b) -> (b, a + b); `for i in 0..n { s += i }` is s -> s + iv.
struct RecurrencePattern {
    static constexpr u32 max_states = 4;
    static constexpr u32 counter_slot = max_states;
    CountedLoop counted;
    u32 state_count;
    Inst* states[max_states]; // header phis
    Inst* inits[max_states];
    i32 coeff[max_states][max_states + 1];
    i32 constant[max_states];
    bool uses_counter() const
    {
        for (u32 j = 0; j < state_count; ++j)
            if (coeff[j][counter_slot])
                return true;
        return false;
    }
};

bool match_reduction(const Function&, Loop*, ReductionPattern& out);
bool match_map(const Function&, Loop*, MapPattern& out);
bool match_matmul(const Function&, Loop* outer, MatmulPattern& out);
bool match_recurrence(const Function&, Loop*, RecurrencePattern& out);

// --- function patterns ----------------------------------------------------------

// The whole function is one reduction and returns its result:
//   f(...) = start < end ? fold(init, a[start..end), b[start..end)) : init
struct FunctionReduction {
    ReductionPattern loop;
    Operand a, b, start, end, init;
};

// The whole function is one element-wise map (void result).
struct FunctionMap {
    MapPattern loop;
    Operand out, start, end;
    Operand inputs[MapPattern::max_inputs];
    Operand scalars[MapPattern::max_nodes]; // per node, for Kind::Scalar nodes
};

// The whole function runs one linear recurrence and returns state `result`:
//   f(...) = start < end ? s[result] after (end - start) steps : init[result]
struct FunctionRecurrence {
    RecurrencePattern loop;
    Operand start, end;
    Operand inits[RecurrencePattern::max_states];
    u32 result;
};

// f(n) = n < 2 ? n : f(n - 1) + f(n - 2), i32, in any equivalent shape. Its
// value is fib(n) modulo 2^32 for n >= 0 and n for n < 2; evaluated as
// written it recurses to depth n - 1 below the caller's frame, so it traps
// with TrapCallDepth exactly when n >= 2 and depth + n - 1 > 512.
struct FunctionFibonacci {
    const Inst* branch;
};

bool match_function_reduction(const Function&, FunctionReduction& out);
bool match_function_map(const Function&, FunctionMap& out);
bool match_function_recurrence(const Function&, FunctionRecurrence& out);

// The whole function is one matmul nest over parameters a, b, c and n.
struct FunctionMatmul {
    MatmulPattern loop;
    Operand a, b, c, n;
};
bool match_function_matmul(const Function&, FunctionMatmul& out);
bool match_fibonacci(const Function&, FunctionFibonacci& out);

// Runs every recogniser over a prepared function (see prepare_for_patterns)
// and writes one line per match, e.g. "loop b2: reduction dot f32", into a
// compile log; returns the number of matches.
u32 describe_patterns(const Function&, char* log, usize size);

// The IR the recognisers expect: simplified (canonical forms, copies and
// constants propagated) with invariants hoisted, but index arithmetic not yet
// strength-reduced (the recognisers read i * n + k as written).
ErrorOr<void> prepare_for_patterns(Function&);

}
