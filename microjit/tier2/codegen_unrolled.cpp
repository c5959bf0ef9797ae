// Fully unrolled linear recurrences, for specialised code whose trip count
// is a constant (docs/specialisation.md): every step is straight-line code
// with no counter, no compare and no branch, and a state that is just a copy
// of another costs nothing, because the step renames registers instead of
// moving values. The iterative fibonacci step (a, b) -> (b, a + b) becomes a
// single ADD per step.
#include <microjit/tier2/codegen_unrolled.h>

namespace Tier2 {

using namespace x86;

namespace {

constexpr u32 gpr_count = 7;
constexpr Gp32 pool[gpr_count] = { eax, ebx, ecx, edx, esi, edi, ebp };

u32 slot_of(Gp32 r)
{
    for (u32 i = 0; i < gpr_count; ++i)
        if (pool[i].id == r.id)
            return i;
    return gpr_count;
}

}

ErrorOr<Gp32> emit_unrolled_recurrence(Assembler& a, const RecurrencePattern& rec, i32 start, u32 trips, const Gp32* initial, u32 result)
{
    u32 k = rec.state_count;
    if (k == 0 || k > RecurrencePattern::max_states || result >= k || trips > max_unrolled_trips)
        return Error::JitUnsupported;
    u32 reg_of[RecurrencePattern::max_states];
    for (u32 j = 0; j < k; ++j) {
        reg_of[j] = slot_of(initial[j]);
        if (reg_of[j] == gpr_count)
            return Error::JitUnsupported;
    }
    for (u32 step = 0; step < trips; ++step) {
        // The counter's value in this step is a constant: its term folds
        // into the step's constant (all modulo 2^32).
        u32 iv = static_cast<u32>(start) + step;
        u32 constant[RecurrencePattern::max_states];
        bool is_copy[RecurrencePattern::max_states] {};
        u32 copy_of[RecurrencePattern::max_states] {};
        u32 readers[RecurrencePattern::max_states] {}; // how many new values read each old state
        for (u32 j = 0; j < k; ++j) {
            constant[j] = static_cast<u32>(rec.constant[j]) + static_cast<u32>(rec.coeff[j][RecurrencePattern::counter_slot]) * iv;
            u32 terms = 0, only = 0;
            for (u32 m = 0; m < k; ++m) {
                if (rec.coeff[j][m] != 0) {
                    ++terms;
                    only = m;
                    ++readers[m];
                }
            }
            if (terms == 1 && rec.coeff[j][only] == 1 && constant[j] == 0) {
                is_copy[j] = true;
                copy_of[j] = only;
            }
        }
        bool busy[gpr_count] {};
        for (u32 j = 0; j < k; ++j)
            busy[reg_of[j]] = true;
        auto take_free = [&]() -> u32 {
            for (u32 i = 0; i < gpr_count; ++i) {
                if (!busy[i]) {
                    busy[i] = true;
                    return i;
                }
            }
            return gpr_count;
        };
        u32 new_reg[RecurrencePattern::max_states];
        bool claimed[gpr_count] {}; // old registers a new value already took over in place
        for (u32 j = 0; j < k; ++j) {
            if (is_copy[j]) {
                new_reg[j] = reg_of[copy_of[j]];
                claimed[new_reg[j]] = true;
            }
        }
        for (u32 j = 0; j < k; ++j) {
            if (is_copy[j])
                continue;
            // In place over one of its terms' state when nothing else reads
            // that state in this step (that term goes first); otherwise in
            // a free register, starting with the first term.
            u32 first = k;
            bool in_place = false;
            for (u32 m = 0; m < k; ++m) {
                if (rec.coeff[j][m] == 0)
                    continue;
                if (first == k)
                    first = m;
                if (readers[m] == 1 && !claimed[reg_of[m]]) {
                    first = m;
                    in_place = true;
                    break;
                }
            }
            u32 dest = gpr_count;
            if (in_place) {
                dest = reg_of[first];
                claimed[dest] = true;
            } else {
                dest = take_free();
                if (dest == gpr_count)
                    return Error::JitUnsupported;
            }
            Gp32 d = pool[dest];
            if (first == k) {
                a.mov(d, static_cast<i32>(constant[j]));
            } else {
                i32 c0 = rec.coeff[j][first];
                Gp32 s0 = pool[reg_of[first]];
                if (c0 != 1 || !in_place)
                    c0 == 1 ? a.mov(d, s0) : a.imul(d, s0, c0);
                for (u32 m = 0; m < k; ++m) {
                    i32 c = rec.coeff[j][m];
                    if (m == first)
                        continue;
                    Gp32 s = pool[reg_of[m]];
                    if (c == 0)
                        continue;
                    if (c == 1) {
                        a.add(d, s);
                    } else if (c == -1) {
                        a.sub(d, s);
                    } else {
                        u32 t = take_free();
                        if (t == gpr_count)
                            return Error::JitUnsupported;
                        a.imul(pool[t], s, c);
                        a.add(d, pool[t]);
                        busy[t] = false;
                    }
                }
                if (constant[j] != 0)
                    a.add(d, static_cast<i32>(constant[j]));
            }
            new_reg[j] = dest;
        }
        for (u32 j = 0; j < k; ++j)
            reg_of[j] = new_reg[j];
    }
    if (a.has_error())
        return a.error();
    return pool[reg_of[result]];
}

}
