// TierPolicy: the one place that knows when a function changes tier.
//
// Defaults (docs/jit.md, "Tier policy"), chosen between the anchors the
// project looked at (LuaJIT: hot after ~112 calls or ~56 loop iterations;
// HotSpot: 200 and 5000 invocations; V8: 400 and 3000):
//   tier 0 -> 1   after 100 calls, or 1,000 loop back edges in the interpreter
//   tier 1 -> 2   after 1,000 calls, or 10,000 loop back edges in tier-1 code
//   re-specialisation decided at 10,000 calls
// A failed compile backs off exponentially: the next attempt waits
// backoff_initial calls, then twice that, and so on up to backoff_max; after
// max_attempts failures at one tier the function stays where it is for good.
// Everything is configurable at run time (flowrun --thresholds, the kernel
// shell later).
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

struct TierPolicy {
    u32 tier1_calls { 100 };
    u32 tier1_loop_iterations { 1000 };
    u32 tier2_calls { 1000 };
    // Back edges tier-1 code runs (all its loops, every call together)
    // before it asks for tier 2: a function called a few times, each call a
    // long loop nest, must not wait for tier2_calls calls. As HotSpot and V8
    // do, but without on-stack replacement: the call that uses the budget up
    // finishes in tier-1 code, and the next call runs tier 2.
    u32 tier2_loop_iterations { 10000 };
    u32 respecialise_calls { 10000 };
    u32 backoff_initial { 64 };
    u32 backoff_max { 1u << 16 };
    u32 max_attempts { 8 };
    // Value specialisation (docs/specialisation.md). At the re-specialisation
    // threshold, and then every respecialise_calls calls, tier 2 looks at the
    // argument profile: a parameter whose most frequent value took at least
    // spec_stable_percent of the recent calls is folded in behind an entry
    // guard. When more than guard_failure_percent of the calls in a window
    // fail the guard, the function is re-specialised on the new values if
    // they are stable, or goes back to its generic code and waits (back-off,
    // doubling each time) before trying again; after max_attempts such
    // failures it keeps the generic code for good.
    u32 spec_stable_percent { 95 };
    u32 spec_min_samples { 100 }; // fewest profile samples a stable value needs (fewer if the window is short)
    u32 guard_failure_percent { 10 };
    // The largest native stack frame a tier may give one function. Native
    // frames live on the machine stack and a call chain may be 512 frames
    // deep (max_call_depth), so 512 x this must fit the stack: 448 bytes
    // keeps 512 frames inside 224 KiB of the kernel's 256 KiB stack. A
    // function needing more stays in the interpreter (JitUnsupported).
    // Host programs, with megabytes of stack, raise it.
    u32 max_native_frame_bytes { 448 };

    // Calls to wait after the n-th consecutive failure (n >= 1): exponential,
    // capped at backoff_max.
    u32 backoff_after(u32 failures) const;

    // "A,B,C" or "A,B,C,L": tier-1, tier-2 and re-specialisation call
    // thresholds, and optionally the tier-1 loop threshold (when omitted it is
    // 10 x A, which keeps the default ratio). Each is 1 .. 2^31. Returns
    // BadArguments for anything else, leaving *this unchanged.
    ErrorOr<void> parse_thresholds(const char* text);

    // Thresholds must rise with the tier; returns InvalidArgument otherwise.
    ErrorOr<void> validate() const;
};

// What a tier number means in profiles and --tier.
inline constexpr u8 max_tier = 2;
