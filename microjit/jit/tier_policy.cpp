// TierPolicy parsing and back-off arithmetic; see tier_policy.h.
#include <microjit/jit/tier_policy.h>

u32 TierPolicy::backoff_after(u32 failures) const
{
    if (failures == 0)
        return 0;
    u64 wait = backoff_initial ? backoff_initial : 1;
    for (u32 i = 1; i < failures && wait < backoff_max; ++i)
        wait *= 2;
    return wait > backoff_max ? backoff_max : static_cast<u32>(wait);
}

namespace {

// Parses a decimal number from text[*at], advancing *at. 1 .. 2^31 only.
bool parse_count(const char* text, usize* at, u32* out)
{
    u64 value = 0;
    usize start = *at;
    while (text[*at] >= '0' && text[*at] <= '9') {
        value = value * 10 + static_cast<u32>(text[*at] - '0');
        if (value > 0x80000000u)
            return false;
        ++*at;
    }
    if (*at == start || value == 0)
        return false;
    *out = static_cast<u32>(value);
    return true;
}

}

ErrorOr<void> TierPolicy::parse_thresholds(const char* text)
{
    if (!text)
        return Error::BadArguments;
    u32 values[4] = {};
    usize at = 0;
    u32 count = 0;
    for (;;) {
        if (count == 4 || !parse_count(text, &at, &values[count]))
            return Error::BadArguments;
        ++count;
        if (text[at] == 0)
            break;
        if (text[at] != ',')
            return Error::BadArguments;
        ++at;
    }
    if (count < 3)
        return Error::BadArguments;
    TierPolicy next = *this;
    next.tier1_calls = values[0];
    next.tier2_calls = values[1];
    next.respecialise_calls = values[2];
    u64 loops = count == 4 ? values[3] : static_cast<u64>(values[0]) * 10;
    next.tier1_loop_iterations = loops > 0x80000000u ? 0x80000000u : static_cast<u32>(loops);
    if (next.validate().is_error())
        return Error::BadArguments;
    *this = next;
    return {};
}

ErrorOr<void> TierPolicy::validate() const
{
    if (!tier1_calls || !tier1_loop_iterations || tier2_calls < tier1_calls || respecialise_calls < tier2_calls)
        return Error::InvalidArgument;
    if (spec_stable_percent == 0 || spec_stable_percent > 100 || guard_failure_percent > 100)
        return Error::InvalidArgument;
    if (!backoff_initial || backoff_max < backoff_initial)
        return Error::InvalidArgument;
    return {};
}
