// The time stamp counter, for per-function profiles and compile times.
// RDTSC (SDM Vol. 2B) is unprivileged unless CR4.TSD is set, which BareFlow
// never does; on the host it is allowed for user code on Linux by default.
#pragma once

#include <bareflow/types.h>

inline u64 read_cycles()
{
    u32 low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (static_cast<u64>(high) << 32) | low;
}
