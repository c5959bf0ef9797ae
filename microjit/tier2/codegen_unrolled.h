// Fully unrolled recurrences for specialised code (codegen_unrolled.cpp).
#pragma once

#include <microjit/tier2/patterns.h>
#include <microjit/x86/assembler.h>

namespace Tier2 {

// Longest recurrence emitted straight-line; longer ones keep their loop.
inline constexpr u32 max_unrolled_trips = 128;

// Emits `trips` steps of `rec`, with the counter running from `start`, on
// states that start in initial[0 .. state_count). Any of EAX EBX ECX EDX ESI
// EDI EBP may be used. Returns the register that holds state `result`
// afterwards, or JitUnsupported (nothing usable emitted: the caller must
// discard the code) when the steps need more registers than there are.
ErrorOr<x86::Gp32> emit_unrolled_recurrence(x86::Assembler&, const RecurrencePattern&, i32 start, u32 trips,
                                            const x86::Gp32* initial, u32 result);

}
