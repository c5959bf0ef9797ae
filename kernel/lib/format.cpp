// The kernel's printf engine (see format.h for the conversions).
//
// Floating point: values are scaled into [1, 10) with a table of 10^(2^k),
// then up to 17 significant digits are taken as a 64-bit integer and rounded
// once (ties to even). This is not an exact (Dragon4/Ryu) conversion: the
// scaling costs a few ulps, so digits past the 15th or 16th may differ from
// the C library's. That is far more than the 9 digits an f32 needs to
// round-trip, which kernel/tests/format_test.cpp checks.
#include <kernel/lib/format.h>
#include <kernel/lib/string.h>

namespace {

struct Spec {
    bool left = false;
    bool zero = false;
    bool plus = false;
    bool space = false;
    bool alternate = false;
    int width = 0;
    int precision = -1;
};

struct Output {
    FormatSink sink;
    void* context;
    usize count;

    void put(char c)
    {
        sink(c, context);
        ++count;
    }
    void repeat(char c, int n)
    {
        for (int i = 0; i < n; ++i)
            put(c);
    }
};

// Emits `body` (length n) with an optional sign/prefix, padded to the width.
void emit_padded(Output& out, const Spec& spec, const char* prefix, const char* body, int n, bool allow_zero_pad)
{
    int prefix_length = static_cast<int>(strlen(prefix));
    int padding = spec.width - n - prefix_length;
    if (padding < 0)
        padding = 0;
    if (!spec.left && !(spec.zero && allow_zero_pad))
        out.repeat(' ', padding);
    for (const char* p = prefix; *p; ++p)
        out.put(*p);
    if (!spec.left && spec.zero && allow_zero_pad)
        out.repeat('0', padding);
    for (int i = 0; i < n; ++i)
        out.put(body[i]);
    if (spec.left)
        out.repeat(' ', padding);
}

int unsigned_to_text(char* buffer, u64 value, unsigned base, bool upper)
{
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char reversed[24];
    int n = 0;
    do {
        reversed[n++] = digits[value % base];
        value /= base;
    } while (value);
    for (int i = 0; i < n; ++i)
        buffer[i] = reversed[n - 1 - i];
    return n;
}

void emit_integer(Output& out, Spec spec, u64 magnitude, bool negative, unsigned base, bool upper, bool is_pointer)
{
    char body[32];
    int n = 0;
    // A precision gives the minimum number of digits; precision 0 prints
    // nothing for the value 0 (C11 7.21.6.1).
    if (!(spec.precision == 0 && magnitude == 0))
        n = unsigned_to_text(body, magnitude, base, upper);
    char padded[64];
    int zeros = spec.precision > n ? spec.precision - n : 0;
    if (zeros > 32)
        zeros = 32;
    for (int i = 0; i < zeros; ++i)
        padded[i] = '0';
    memcpy(padded + zeros, body, n);
    const char* prefix = "";
    if (negative)
        prefix = "-";
    else if (spec.plus && base == 10)
        prefix = "+";
    else if (spec.space && base == 10)
        prefix = " ";
    else if ((spec.alternate || is_pointer) && base == 16)
        prefix = upper ? "0X" : "0x";
    else if (spec.alternate && base == 8 && (n + zeros == 0 || padded[0] != '0'))
        prefix = "0";
    emit_padded(out, spec, prefix, padded, n + zeros, spec.precision < 0);
}

// --- floating point ---------------------------------------------------------

constexpr double POWERS_OF_TEN[9] = { 1e1, 1e2, 1e4, 1e8, 1e16, 1e32, 1e64, 1e128, 1e256 };

// Splits |value| (finite, non-zero) into value = scaled * 10^exponent with
// scaled in [1, 10).
double normalise(double value, int& exponent)
{
    exponent = 0;
    if (value >= 10.0) {
        for (int k = 8; k >= 0; --k) {
            if (value >= POWERS_OF_TEN[k]) {
                value /= POWERS_OF_TEN[k];
                exponent += 1 << k;
            }
        }
    } else if (value < 1.0) {
        for (int k = 8; k >= 0; --k) {
            if (value < 1.0 / POWERS_OF_TEN[k] * 10.0 && value * POWERS_OF_TEN[k] < 1e300) {
                value *= POWERS_OF_TEN[k];
                exponent -= 1 << k;
            }
        }
        while (value < 1.0) { // denormals and rounding leftovers
            value *= 10.0;
            --exponent;
        }
    }
    while (value >= 10.0) {
        value /= 10.0;
        ++exponent;
    }
    return value;
}

// double -> u64 without __fixunsdfdi (value in [0, 2^64)).
u64 double_to_u64(double value)
{
    u32 high = static_cast<u32>(value / 4294967296.0);
    double rest = value - static_cast<double>(high) * 4294967296.0;
    if (rest < 0)
        rest = 0;
    return (static_cast<u64>(high) << 32) | static_cast<u32>(rest);
}

// Rounds a non-negative double to an integer, ties to even, as C's printf
// does for values that are exactly halfway (2.5 -> 2, 1.25 at one decimal ->
// 1.2) under the default rounding mode.
u64 round_to_integer(double scaled)
{
    u64 whole = double_to_u64(scaled);
    double fraction = scaled - static_cast<double>(whole >> 32) * 4294967296.0 - static_cast<double>(static_cast<u32>(whole));
    if (fraction > 0.5 || (fraction == 0.5 && (whole & 1)))
        ++whole;
    return whole;
}

u64 power_of_ten(int n)
{
    u64 p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

// The `significant` leading decimal digits of |value| (1..17), rounded;
// digits[] gets them as characters, the decimal exponent of the first digit
// is returned.
int decimal_digits(double value, int significant, char* digits)
{
    int exponent;
    double scaled = normalise(value, exponent);
    for (int i = 1; i < significant; ++i)
        scaled *= 10.0;
    u64 mantissa = round_to_integer(scaled);
    if (mantissa >= power_of_ten(significant)) { // 9.99..95 rounded up to 10.0
        mantissa /= 10;
        ++exponent;
    }
    for (int i = significant - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + mantissa % 10);
        mantissa /= 10;
    }
    return exponent;
}

struct Text {
    char data[400];
    int length = 0;
    void put(char c)
    {
        if (length < static_cast<int>(sizeof(data)))
            data[length++] = c;
    }
    void put(const char* s)
    {
        while (*s)
            put(*s++);
    }
};

void put_exponent(Text& text, int exponent, bool upper)
{
    text.put(upper ? 'E' : 'e');
    text.put(exponent < 0 ? '-' : '+');
    int e = exponent < 0 ? -exponent : exponent;
    char buffer[8];
    int n = unsigned_to_text(buffer, static_cast<u64>(e), 10, false);
    if (n < 2)
        text.put('0');
    for (int i = 0; i < n; ++i)
        text.put(buffer[i]);
}

// Formats |value| (finite) per conversion 'e', 'f' or 'g' into text.
void float_body(Text& text, double value, char conversion, int precision, bool alternate, bool upper)
{
    char digits[20];
    if (conversion == 'e') {
        int significant = precision + 1 > 17 ? 17 : precision + 1;
        int exponent = value == 0.0 ? 0 : decimal_digits(value, significant, digits);
        if (value == 0.0)
            memset(digits, '0', significant);
        text.put(digits[0]);
        if (precision > 0 || alternate)
            text.put('.');
        for (int i = 1; i <= precision; ++i)
            text.put(i < significant ? digits[i] : '0');
        put_exponent(text, exponent, upper);
        return;
    }
    if (conversion == 'f') {
        double scale = 1.0;
        for (int i = 0; i < precision && i < 19; ++i)
            scale *= 10.0;
        if (precision <= 18 && value * scale < 9.0e18) {
            // The whole result fits in one u64 of digits: round once.
            u64 mantissa = round_to_integer(value * scale);
            char buffer[24];
            int n = unsigned_to_text(buffer, mantissa, 10, false);
            char padded[48];
            int zeros = precision + 1 > n ? precision + 1 - n : 0; // at least "0." before the fraction
            memset(padded, '0', zeros);
            memcpy(padded + zeros, buffer, n);
            int total = zeros + n;
            int integer_digits = total - precision;
            for (int i = 0; i < integer_digits; ++i)
                text.put(padded[i]);
            if (precision > 0 || alternate)
                text.put('.');
            for (int i = integer_digits; i < total; ++i)
                text.put(padded[i]);
            return;
        }
        // More digits than double holds: 17 significant digits, then zeros.
        int exponent = decimal_digits(value, 17, digits);
        if (exponent < 0) {
            text.put('0');
        } else {
            for (int i = 0; i <= exponent; ++i)
                text.put(i < 17 ? digits[i] : '0');
        }
        if (precision > 0 || alternate)
            text.put('.');
        for (int i = 0; i < precision; ++i) {
            int index = exponent + 1 + i; // digit position after the point
            text.put(index >= 0 && index < 17 ? digits[index] : '0');
        }
        return;
    }
    // 'g': precision P significant digits; exponent style when the exponent
    // is < -4 or >= P (C11 7.21.6.1); trailing zeros go unless '#'.
    int significant = precision == 0 ? 1 : precision;
    if (significant > 17)
        significant = 17;
    int exponent = 0;
    if (value == 0.0)
        memset(digits, '0', significant);
    else
        exponent = decimal_digits(value, significant, digits);
    int last = significant - 1;
    if (!alternate) {
        while (last > 0 && digits[last] == '0')
            --last;
    }
    if (exponent < -4 || exponent >= significant) {
        text.put(digits[0]);
        if (last > 0 || alternate)
            text.put('.');
        for (int i = 1; i <= last; ++i)
            text.put(digits[i]);
        put_exponent(text, exponent, upper);
    } else if (exponent >= 0) {
        for (int i = 0; i <= exponent; ++i)
            text.put(digits[i]);
        if (last > exponent || alternate)
            text.put('.');
        for (int i = exponent + 1; i <= last; ++i)
            text.put(digits[i]);
    } else {
        text.put("0.");
        for (int i = 0; i < -exponent - 1; ++i)
            text.put('0');
        for (int i = 0; i <= last; ++i)
            text.put(digits[i]);
    }
}

void emit_float(Output& out, const Spec& spec, double value, char conversion)
{
    bool upper = conversion >= 'A' && conversion <= 'Z';
    char lower = static_cast<char>(upper ? conversion + 32 : conversion);
    u64 bits;
    memcpy(&bits, &value, sizeof(bits));
    bool negative = bits >> 63;
    const char* prefix = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
    Text text;
    bool finite = ((bits >> 52) & 0x7ff) != 0x7ff;
    if (!finite) {
        bool is_nan = bits & ((1ull << 52) - 1);
        text.put(is_nan ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"));
        emit_padded(out, spec, prefix, text.data, text.length, false);
        return;
    }
    double magnitude = negative ? -value : value;
    int precision = spec.precision < 0 ? 6 : spec.precision;
    if (precision > 300)
        precision = 300;
    float_body(text, magnitude, lower == 'g' ? 'g' : lower == 'e' ? 'e' : 'f', precision, spec.alternate, upper);
    emit_padded(out, spec, prefix, text.data, text.length, true);
}

} // namespace

usize vformat(FormatSink sink, void* context, const char* format, va_list args)
{
    Output out { sink, context, 0 };
    for (const char* p = format; *p; ++p) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        ++p;
        Spec spec;
        for (;; ++p) {
            if (*p == '-')
                spec.left = true;
            else if (*p == '0')
                spec.zero = true;
            else if (*p == '+')
                spec.plus = true;
            else if (*p == ' ')
                spec.space = true;
            else if (*p == '#')
                spec.alternate = true;
            else
                break;
        }
        if (*p == '*') {
            spec.width = va_arg(args, int);
            if (spec.width < 0) {
                spec.left = true;
                spec.width = -spec.width;
            }
            ++p;
        } else {
            while (*p >= '0' && *p <= '9')
                spec.width = spec.width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            ++p;
            spec.precision = 0;
            if (*p == '*') {
                spec.precision = va_arg(args, int);
                ++p;
            } else {
                while (*p >= '0' && *p <= '9')
                    spec.precision = spec.precision * 10 + (*p++ - '0');
            }
        }
        int longs = 0; // 0 int, 1 long, 2 long long
        bool size_t_arg = false;
        for (;; ++p) {
            if (*p == 'l')
                ++longs;
            else if (*p == 'h')
                ; // promoted to int anyway
            else if (*p == 'z' || *p == 't' || *p == 'j')
                size_t_arg = *p != 'j', longs = *p == 'j' ? 2 : longs;
            else
                break;
        }
        char conversion = *p;
        if (!conversion)
            break;
        switch (conversion) {
        case 'd':
        case 'i': {
            i64 v = longs >= 2 ? va_arg(args, long long) : size_t_arg ? va_arg(args, i32) : longs ? va_arg(args, long) : va_arg(args, int);
            u64 magnitude = v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
            emit_integer(out, spec, magnitude, v < 0, 10, false, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            u64 v = longs >= 2 ? va_arg(args, unsigned long long) : size_t_arg ? va_arg(args, usize) : longs ? va_arg(args, unsigned long) : va_arg(args, unsigned);
            unsigned base = conversion == 'u' ? 10 : conversion == 'o' ? 8 : 16;
            emit_integer(out, spec, v, false, base, conversion == 'X', false);
            break;
        }
        case 'p': {
            auto v = reinterpret_cast<uptr>(va_arg(args, void*));
            if (spec.precision < 0)
                spec.precision = 8;
            emit_integer(out, spec, v, false, 16, false, true);
            break;
        }
        case 'c': {
            char c = static_cast<char>(va_arg(args, int));
            emit_padded(out, spec, "", &c, 1, false);
            break;
        }
        case 's': {
            const char* s = va_arg(args, const char*);
            if (!s)
                s = "(null)";
            int n = 0;
            while (s[n] && (spec.precision < 0 || n < spec.precision))
                ++n;
            emit_padded(out, spec, "", s, n, false);
            break;
        }
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
            emit_float(out, spec, va_arg(args, double), conversion);
            break;
        case '%':
            out.put('%');
            break;
        default: // unknown conversion: show it rather than guess
            out.put('%');
            out.put(conversion);
            break;
        }
    }
    return out.count;
}

namespace {
struct BufferSink {
    char* buffer;
    usize size;
    usize used;
};

void buffer_put(char c, void* context)
{
    auto* b = static_cast<BufferSink*>(context);
    if (b->used + 1 < b->size)
        b->buffer[b->used] = c;
    ++b->used;
}
} // namespace

usize vformat_to(char* buffer, usize size, const char* format, va_list args)
{
    BufferSink sink { buffer, size, 0 };
    usize n = vformat(buffer_put, &sink, format, args);
    if (size > 0)
        buffer[n < size ? n : size - 1] = 0;
    return n;
}

usize format_to(char* buffer, usize size, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    usize n = vformat_to(buffer, size, format, args);
    va_end(args);
    return n;
}

usize format_float(char* buffer, usize size, double value, int significant)
{
    usize n = format_to(buffer, size, "%.*g", significant, value);
    return n < size ? n : (size ? size - 1 : 0);
}
