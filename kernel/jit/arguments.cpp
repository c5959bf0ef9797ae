// Shell arguments and results for Flow functions (see arguments.h).
#include <kernel/jit/arguments.h>
#include <kernel/jit/jit_system.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

bool parse_i32_literal(const char* text, i32& out)
{
    bool negative = *text == '-';
    if (*text == '-' || *text == '+')
        ++text;
    if (!*text)
        return false;
    u64 value = 0;
    u64 limit;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text += 2;
        if (!*text)
            return false;
        for (; *text; ++text) {
            int d = hex_digit(*text);
            if (d < 0 || value > 0xFFFFFFFFull)
                return false;
            value = value * 16 + static_cast<u64>(d);
        }
        limit = negative ? 0x80000000ull : 0xFFFFFFFFull;
    } else {
        for (; *text; ++text) {
            if (!is_digit(*text) || value > 0xFFFFFFFFull)
                return false;
            value = value * 10 + static_cast<u64>(*text - '0');
        }
        limit = negative ? 0x80000000ull : 0x7FFFFFFFull;
    }
    if (value > limit)
        return false;
    u32 bits = static_cast<u32>(value);
    out = static_cast<i32>(negative ? 0u - bits : bits);
    return true;
}

bool parse_f32_literal(const char* text, f32& out)
{
    bool negative = *text == '-';
    if (*text == '-' || *text == '+')
        ++text;
    if (equals_ignoring_case(text, "inf") || equals_ignoring_case(text, "infinity")) {
        out = negative ? -__builtin_inff() : __builtin_inff();
        return true;
    }
    if (equals_ignoring_case(text, "nan")) {
        out = negative ? -__builtin_nanf("") : __builtin_nanf("");
        return true;
    }
    u64 mantissa = 0;
    int exponent = 0, digits = 0;
    bool any = false;
    for (; is_digit(*text); ++text, any = true) {
        if (digits < 19) {
            mantissa = mantissa * 10 + static_cast<u64>(*text - '0');
            if (mantissa)
                ++digits;
        } else {
            ++exponent;
        }
    }
    if (*text == '.') {
        ++text;
        for (; is_digit(*text); ++text, any = true) {
            if (digits < 19) {
                mantissa = mantissa * 10 + static_cast<u64>(*text - '0');
                if (mantissa)
                    ++digits;
                --exponent;
            }
        }
    }
    if (!any)
        return false;
    if (*text == 'e' || *text == 'E') {
        ++text;
        bool exponent_negative = *text == '-';
        if (*text == '-' || *text == '+')
            ++text;
        if (!is_digit(*text))
            return false;
        int e = 0;
        for (; is_digit(*text); ++text)
            e = e < 10000 ? e * 10 + (*text - '0') : e;
        exponent += exponent_negative ? -e : e;
    }
    if (*text)
        return false;
    double value = static_cast<double>(mantissa);
    // Powers of ten by squaring keep the error within a few ulps of double,
    // far below f32's rounding step.
    double scale = 1.0, base = 10.0;
    for (int e = exponent < 0 ? -exponent : exponent; e; e >>= 1, base *= base) {
        if (e & 1)
            scale *= base;
        if (scale > 1e300)
            break;
    }
    value = exponent < 0 ? value / scale : value * scale;
    if (value > 3.4028235677973366e38 && mantissa)
        return false; // out of f32's range, as flowrun refuses "1e99"
    out = static_cast<f32>(negative ? -value : value);
    return true;
}

bool parse_count(const char* text, u32& out)
{
    i32 value;
    if (!parse_i32_literal(text, value) || value < 1)
        return false;
    out = static_cast<u32>(value);
    return true;
}

ErrorOr<void> parse_function_arguments(const FunctionInfo& f, char** words, int count, Value* out)
{
    if (count != f.param_count) {
        kprintf("%s takes %u argument%s, %d given\n", f.name, f.param_count, f.param_count == 1 ? "" : "s", count);
        return Error::BadArguments;
    }
    for (u32 k = 0; k < f.param_count; ++k) {
        ValueType type = f.register_types[k];
        out[k].raw = 0;
        if (type == ValueType::I32) {
            if (!parse_i32_literal(words[k], out[k].i)) {
                kprintf("argument %u of %s: '%s' is not an i32 literal\n", k + 1, f.name, words[k]);
                return Error::BadArguments;
            }
        } else if (type == ValueType::F32) {
            if (!parse_f32_literal(words[k], out[k].f)) {
                kprintf("argument %u of %s: '%s' is not an f32 literal\n", k + 1, f.name, words[k]);
                return Error::BadArguments;
            }
        } else {
            kprintf("argument %u of %s is a view (%s); views cannot be passed from the shell\n", k + 1, f.name,
                    value_type_name(type));
            return Error::BadArguments;
        }
    }
    return {};
}

void print_result(const FunctionInfo& f, Value result)
{
    if (f.return_type == ValueType::I32)
        kprintf("%d\n", result.i);
    else if (f.return_type == ValueType::F32)
        kprintf("%.9g\n", static_cast<double>(result.f));
}

void format_signature(const FunctionInfo& f, char* buffer, usize size)
{
    usize n = format_to(buffer, size, "%s(", f.name);
    for (u32 k = 0; k < f.param_count && n < size; ++k)
        n += format_to(buffer + n, size - n, "%s%s", k ? ", " : "", value_type_name(f.register_types[k]));
    if (n < size)
        n += format_to(buffer + n, size - n, ")");
    if (f.return_type != ValueType::Void && n < size)
        format_to(buffer + n, size - n, " -> %s", value_type_name(f.return_type));
}

void print_trap(const ModuleInstance& instance)
{
    const TrapInfo& t = instance.trap;
    const Module& m = *instance.module;
    const char* where = t.function < m.function_count ? m.functions[t.function].name : "?";
    if (t.offset != TrapInfo::unknown_offset)
        kprintf("trap %s in function '%s' at +0x%x: %s\n", error_name(t.error), where, t.offset, error_message(t.error));
    else
        kprintf("trap %s in function '%s': %s\n", error_name(t.error), where, error_message(t.error));
}
