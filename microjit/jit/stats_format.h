// Text reports of the JIT's per-function profiles and of the pools, for
// `flowrun --stats` and the kernel shell. Portable: writes into a caller
// buffer, no libc. Times are given in microseconds when the caller knows the
// time stamp counter's rate (tsc_per_us > 0), else in cycles.
#pragma once

#include <microjit/jit/jit.h>

// One line per function that ran or was compiled (the others are counted
// in a closing line): calls, loop iterations, tier, the calls at which
// each tier was installed, compile time per tier, code size, back-offs and
// the last compile error, cycles of the last call and in total. Returns the
// length written (the text is cut at `capacity - 1` and NUL-terminated).
usize format_jit_profiles(const JitInstance& jit, char* out, usize capacity, u64 tsc_per_us);

// "code pool: 12345 / 4194304 bytes used (peak 23456), 3 free blocks, largest 4100000, 0 failures"
usize format_pool_stats(const char* name, const PoolStats& stats, char* out, usize capacity);

// The folded values: "arg0=40" or "arg0=3,arg2=64" (parameters by position:
// modules do not keep parameter names); "-" when empty.
usize format_specialisation(const Specialisation&, char* out, usize capacity);

// The policy in one line: "tier 0->1: 100 calls or 1000 loop iterations; tier 1->2: 1000 calls; ..."
usize format_tier_policy(const TierPolicy& policy, char* out, usize capacity);
