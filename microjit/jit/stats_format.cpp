// Text reports for the JIT and the pools; see stats_format.h.
#include <microjit/jit/stats_format.h>

namespace {

class Writer {
public:
    Writer(char* out, usize capacity) : m_out(out), m_capacity(capacity)
    {
        if (m_capacity)
            m_out[0] = 0;
    }

    Writer& text(const char* s)
    {
        while (*s)
            put(*s++);
        return *this;
    }
    Writer& number(u64 v)
    {
        char digits[24];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        while (n)
            put(digits[--n]);
        return *this;
    }
    Writer& signed_number(i64 v)
    {
        if (v < 0)
            put('-');
        return number(v < 0 ? static_cast<u64>(-(v + 1)) + 1 : static_cast<u64>(v));
    }
    // A number right-aligned in `width` columns.
    Writer& column(u64 v, usize width)
    {
        usize digits = 1;
        for (u64 t = v; t >= 10; t /= 10)
            ++digits;
        while (digits++ < width)
            put(' ');
        return number(v);
    }
    Writer& padded(const char* s, usize width)
    {
        usize start = m_length;
        text(s);
        return pad_to(start + width);
    }
    // Spaces up to column `end` of the text; stops when the buffer is full
    // (a loop on length() alone would never end there).
    Writer& pad_to(usize end)
    {
        while (m_length < end && m_length + 1 < m_capacity)
            put(' ');
        return *this;
    }
    // Microseconds with two decimals, or cycles when the rate is unknown.
    Writer& duration(u64 cycles, u64 tsc_per_us)
    {
        if (!tsc_per_us)
            return number(cycles).text("cy");
        u64 hundredths = cycles * 100 / tsc_per_us;
        number(hundredths / 100).put('.');
        put(static_cast<char>('0' + hundredths / 10 % 10));
        put(static_cast<char>('0' + hundredths % 10));
        return text("us");
    }
    Writer& put(char c)
    {
        if (m_length + 1 < m_capacity) {
            m_out[m_length++] = c;
            m_out[m_length] = 0;
        }
        return *this;
    }
    usize length() const { return m_length; }

private:
    char* m_out;
    usize m_capacity;
    usize m_length { 0 };
};

}

usize format_jit_profiles(const JitInstance& jit, char* out, usize capacity, u64 tsc_per_us)
{
    Writer w(out, capacity);
    ModuleInstance* instance = jit.instance();
    if (!instance)
        return w.text("(no instance attached)\n").length();
    const Module& module = *instance->module;
    w.padded("function", 20).text("       calls  loop iters tier  tier-ups (tier@call)  compile t1/t2         code  backoffs  last call    total\n");
    u32 quiet = 0;
    for (u32 f = 0; f < jit.function_count(); ++f) {
        const JitFunctionProfile& p = jit.profile(f);
        if (jit.calls(f) == 0 && jit.loop_iterations(f) == 0 && p.tier == 0 && p.backoffs == 0) {
            ++quiet; // never ran: a line of zeros says nothing
            continue;
        }
        w.padded(module.functions[f].name, 20).column(jit.calls(f), 12).column(jit.loop_iterations(f), 12).column(p.tier, 5);
        w.text("  ");
        usize start = w.length();
        for (u8 t = 1; t <= max_tier; ++t) {
            if (p.compile_cycles[t] == 0)
                continue;
            w.text(t == 1 ? "1@" : " 2@").number(p.tier_up_at_calls[t]);
        }
        if (w.length() == start)
            w.text("-");
        w.pad_to(start + 22);
        if (p.compile_cycles[1] || p.compile_cycles[2]) {
            w.duration(p.compile_cycles[1], tsc_per_us).text("/");
            if (p.compile_cycles[2])
                w.duration(p.compile_cycles[2], tsc_per_us);
            else
                w.text("-");
        } else {
            w.text("-");
        }
        w.text(" ").column(p.code_size, 8).text("B").column(p.backoffs, 9);
        w.text("  ").duration(p.last_cycles, tsc_per_us).text("  ").duration(p.total_cycles, tsc_per_us);
        if (p.specialised || p.specialisations || p.spec_backoffs) {
            char values[64];
            format_specialisation(p.spec, values, sizeof(values));
            w.text("  spec ").text(p.specialised ? values : "none").text(" (").number(p.specialisations).text(" compiled, ");
            w.number(p.respecialisations).text(" re-specialised, guard failures ").number(p.guard_failures);
            w.text(", back-offs ").number(p.spec_backoffs).text(p.spec_given_up ? ", given up)" : ")");
        }
        if (p.backoffs || p.given_up) {
            w.text("  last failure: ").text(error_name(p.last_error));
            if (p.given_up)
                w.text(" (gave up)");
        }
        w.put('\n');
    }
    if (quiet)
        w.text("(").number(quiet).text(quiet == 1 ? " other function was" : " other functions were").text(" not called)\n");
    return w.length();
}

usize format_specialisation(const Specialisation& spec, char* out, usize capacity)
{
    Writer w(out, capacity);
    if (spec.empty())
        return w.put('-').length();
    for (u32 p = 0; p < max_profiled_arguments; ++p) {
        if (!spec.has(p))
            continue;
        if (w.length())
            w.put(',');
        w.text("arg").number(p).put('=').signed_number(spec.values[p]);
    }
    return w.length();
}

usize format_pool_stats(const char* name, const PoolStats& s, char* out, usize capacity)
{
    Writer w(out, capacity);
    w.text(name).text(" pool: ").number(s.used).text(" / ").number(s.capacity).text(" bytes used (peak ").number(s.peak);
    w.text("), ").number(s.free_blocks).text(" free block").text(s.free_blocks == 1 ? "" : "s").text(", largest ").number(s.largest_free);
    w.text(", ").number(s.failures).text(" failure").text(s.failures == 1 ? "" : "s").put('\n');
    return w.length();
}

usize format_tier_policy(const TierPolicy& p, char* out, usize capacity)
{
    Writer w(out, capacity);
    w.text("tier 0->1 after ").number(p.tier1_calls).text(" calls or ").number(p.tier1_loop_iterations);
    w.text(" loop iterations; tier 1->2 after ").number(p.tier2_calls).text(" calls; re-specialisation at ");
    w.number(p.respecialise_calls).text(" calls; back-off ").number(p.backoff_initial).text("..").number(p.backoff_max);
    w.text(" calls, at most ").number(p.max_attempts).text(" attempts\n");
    return w.length();
}
